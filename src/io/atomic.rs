//! Files that appear whole: written under a hidden temporary name unique to the process and
//! the file, hashed while written, synced and renamed into place.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A writer that hashes what it writes.
struct HashingWriter {
    inner: BufWriter<File>,
    hash: Sha256,
    bytes: u64,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A file written under a temporary name and renamed into place on [`AtomicFile::commit`];
/// dropped uncommitted, its temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<HashingWriter>,
    rows: u64,
    line: String,
}

/// A committed file: name, rows and digest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileRecord {
    pub file: String,
    /// Data rows (CSV, header excluded) or 0.
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// The lower-case hexadecimal SHA-256 of `bytes`, as manifests record files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends a CSV field, quoted when it has to be (RFC 4180).
fn push_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

/// `PID-N`: unique to this process and to each call, for temporary names no other run (and no
/// other file of this one) uses.
pub fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The hidden temporary name of `name` (`.NAME.PID-N.tmp`).
pub fn temp_name(name: &str) -> String {
    format!(".{name}.{}.tmp", unique_suffix())
}

/// The process id in a temporary name of [`temp_name`], if it has one.
pub fn temp_name_pid(file_name: &str) -> Option<u32> {
    let stem = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, suffix) = stem.rsplit_once('.')?;
    suffix.split_once('-')?.0.parse().ok()
}

impl AtomicFile {
    /// Creates `dir/name` (under a [`temp_name`] until committed).
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile> {
        let path = dir.join(name);
        let tmp = dir.join(temp_name(name));
        let file = File::create(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        let out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 16, file),
            hash: Sha256::new(),
            bytes: 0,
        };
        Ok(AtomicFile {
            path,
            tmp,
            out: Some(out),
            rows: 0,
            line: String::new(),
        })
    }

    /// Writes one CSV record (the first is the header).
    pub fn record<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            push_field(&mut line, f.as_ref());
        }
        line.push('\n');
        let r = self.rows_raw(line.as_bytes(), 1);
        self.line = line;
        r
    }

    /// Writes pre-formatted CSV lines (`rows` of them).
    pub fn rows_raw(&mut self, bytes: &[u8], rows: u64) -> Result<()> {
        self.rows += rows;
        self.raw(bytes)
    }

    /// Writes raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        let w = self.out.as_mut().expect("open until committed");
        w.write_all(bytes).map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<FileRecord> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source: std::io::Error| Error::Write { path, source }
        };
        let mut w = self.out.take().expect("open until committed");
        w.flush().map_err(io(&self.path))?;
        let HashingWriter { inner, hash, bytes } = w;
        let file = inner
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        let digest = hash.finalize();
        Ok(FileRecord {
            file: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: self.rows.saturating_sub(1),
            bytes,
            sha256: hex(&digest),
        })
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Prepares `dir/sub` for resumable work (work units, saved generations) and claims it for the
/// work `record` describes (a digest of its inputs), kept in the file `dir/state`: true when
/// `dir/state` holds `record` or was just written with it, false when it holds another work's.
///
/// # Errors
/// [`Error::OutNotADirectory`] when `dir` is a file; a directory or file that cannot be written.
pub fn claim_work_dir(dir: &Path, sub: &str, state: &str, record: &str) -> Result<bool> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::OutNotADirectory(dir.to_path_buf()));
    }
    let work = dir.join(sub);
    std::fs::create_dir_all(&work).map_err(|source| Error::Write {
        path: work.clone(),
        source,
    })?;
    match std::fs::read_to_string(dir.join(state)) {
        Ok(have) => Ok(have == record),
        Err(_) => {
            let path = dir.join(state);
            let (parent, name) = (
                path.parent().unwrap_or(dir),
                path.file_name().and_then(|n| n.to_str()).unwrap_or(state),
            );
            let mut f = AtomicFile::create(parent, name)?;
            f.raw(record.as_bytes())?;
            f.commit()?;
            Ok(true)
        }
    }
}
