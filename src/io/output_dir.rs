//! An output directory written as one transaction (issue 16): either every output file of a
//! run appears, or none does, and the previous run's outputs survive any failure.
//!
//! 1. **Lock.** [`OutputDir::open`] takes the directory's lock ([`crate::io::lock`]); a second
//!    bordin into the same directory fails at once, naming the process that holds it.
//! 2. **Leftovers.** Still under the lock, what a killed run left is cleaned up, with a note on
//!    stderr: a staging directory is removed; an interrupted commit (a `.bordin-old-*`
//!    directory) is finished if all its new files were in place, otherwise undone, restoring
//!    the previous outputs.
//! 3. **Staging.** Every output is written into `.bordin-staging-PID-N` inside the directory
//!    ([`OutputDir::staging`]); nothing in the directory itself is touched while the run works.
//! 4. **Commit.** When the run has succeeded, [`OutputDir::commit`] records what it will do in
//!    a journal, moves the files it replaces into `.bordin-old-PID-N` (the staged files' names,
//!    and the command's outputs of an earlier run that this one does not write), renames the
//!    staged files into place (`manifest.json` last), and deletes the old files. If a rename
//!    fails, the new files are taken out again and the old ones put back. Renames stay within
//!    the directory's filesystem, so each is atomic.
//!
//! Dropped without a commit (an error, a refused run), the staging directory is removed, the
//! lock released and a directory created by `open` removed again when empty.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, OutputError, Result, printable};
use crate::io::atomic::unique_suffix;
use crate::io::lock::{LOCK_FILE, Lock, LockKind};

const STAGING_PREFIX: &str = ".bordin-staging-";
const OLD_PREFIX: &str = ".bordin-old-";
const STALE_LOCK_PREFIX: &str = ".bordin-stale-lock-";
/// The commit's journal, in the old-files directory: the staging directory and its files.
const JOURNAL: &str = ".bordin-journal";
/// The test hook that makes a commit fail (or the process exit) after this many renames.
pub const FAULT_VAR: &str = "BORDIN_FAULT_AFTER_RENAMES";

/// The files a command writes: those of an earlier run are replaced or removed by a commit.
#[derive(Clone, Copy, Debug)]
pub struct Owned {
    /// Whether a path (relative to the directory, `/`-separated) is one of the outputs.
    pub owns: fn(&str) -> bool,
    /// Subdirectories that may hold outputs (looked into, one level deep).
    pub subdirs: &'static [&'static str],
}

/// How a command claims its directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The run's own directory (`run`, `power`, `trace`): a non-empty one is refused unless
    /// `force`; with it, the command's outputs of an earlier run are replaced on success.
    New { force: bool },
    /// Outputs added to a directory (`calibrate`, `experiment`, `report`): files of the same
    /// names, and the command's other outputs, are replaced on success.
    Update,
}

/// An output directory being written; see the module documentation.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    owned: Owned,
    created: bool,
    committed: bool,
    /// Whether staging must stay for the next run to restore a failed rollback.
    keep_staging: bool,
    lock: Option<Lock>,
}

/// What a commit is doing, as written to its journal.
#[derive(Serialize, Deserialize)]
struct Journal {
    /// The staging directory's name.
    staging: String,
    /// The staged files, in the order they are moved into place.
    files: Vec<String>,
    /// The command's subdirectories, removed when a finished commit left them empty.
    subdirs: Vec<String>,
}

impl OutputDir {
    /// Creates or opens `dir`, locks it, cleans up after a killed run and creates the staging
    /// directory.
    ///
    /// # Errors
    /// [`Error::OutNotADirectory`], [`OutputError::Locked`], [`Error::OutputNotEmpty`] (`New`
    /// without `force`) and [`Error::Write`].
    pub fn open(dir: &Path, owned: Owned, mode: Mode) -> Result<OutputDir> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::OutNotADirectory(dir.to_path_buf()));
        }
        let created = !dir.exists();
        fs::create_dir_all(dir).map_err(write_error(dir))?;
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            staging: dir.join(format!("{STAGING_PREFIX}{}", unique_suffix())),
            owned,
            created,
            committed: false,
            keep_staging: false,
            lock: None,
        };
        out.lock = Some(Lock::acquire(dir, LockKind::Exclusive)?);
        recover(dir)?;
        if mode == (Mode::New { force: false }) && !out.is_empty()? {
            return Err(Error::OutputNotEmpty(dir.to_path_buf()));
        }
        fs::create_dir(&out.staging).map_err(write_error(&out.staging))?;
        Ok(out)
    }

    /// Where the outputs are written until [`OutputDir::commit`].
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn is_empty(&self) -> Result<bool> {
        Ok(fs::read_dir(&self.dir)
            .map_err(write_error(&self.dir))?
            .filter_map(|e| e.ok())
            .all(|e| e.file_name() == LOCK_FILE))
    }

    /// Moves the staged files into place, replacing the command's earlier outputs; see the
    /// module documentation.
    ///
    /// # Errors
    /// [`OutputError::Commit`] naming the file and the system's error, after the previous
    /// outputs have been put back; [`Error::Write`] when the journal cannot be written.
    pub fn commit(mut self) -> Result<()> {
        let mut files = files_under(&self.staging)?;
        // The manifest last: it lists the others, so its presence marks a complete run.
        files.sort_by_key(|f| f == "manifest.json");
        let mut aside: Vec<String> = files
            .iter()
            .filter(|f| is_file(&self.dir.join(f)))
            .cloned()
            .chain(self.earlier_outputs()?)
            .collect();
        aside.sort();
        aside.dedup();
        let mut tx = Commit {
            dir: &self.dir,
            staging: &self.staging,
            old: self.dir.join(format!("{OLD_PREFIX}{}", unique_suffix())),
            aside: Vec::new(),
            placed: Vec::new(),
            made_dirs: Vec::new(),
            fault: Fault::from_env(),
        };
        tx.begin(&self.staging, &files, self.owned.subdirs)?;
        if let Err((file, source)) = tx.run(&aside, &files) {
            let kept = tx.rollback();
            self.keep_staging = kept.is_err();
            return Err(OutputError::Commit {
                file,
                source,
                kept: kept.as_ref().err().map(|_| tx.old.clone()),
                rollback: kept.err().unwrap_or_default(),
            }
            .into());
        }
        let _ = fs::remove_dir_all(&tx.old);
        let _ = fs::remove_dir_all(&self.staging);
        for sub in self.owned.subdirs {
            let _ = fs::remove_dir(self.dir.join(sub));
        }
        self.committed = true;
        Ok(())
    }

    /// The command's outputs in the directory (an earlier run's), as relative paths.
    fn earlier_outputs(&self) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut look = |sub: Option<&str>| -> Result<()> {
            let d = sub.map_or(self.dir.clone(), |s| self.dir.join(s));
            if !d.is_dir() {
                return Ok(());
            }
            for e in fs::read_dir(&d).map_err(write_error(&d))?.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = sub.map_or(name.clone(), |s| format!("{s}/{name}"));
                if is_file(&e.path()) && (self.owned.owns)(&rel) {
                    found.push(rel);
                }
            }
            Ok(())
        };
        look(None)?;
        for sub in self.owned.subdirs {
            look(Some(sub))?;
        }
        Ok(found)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.keep_staging {
            let _ = fs::remove_dir_all(&self.staging);
        }
        self.lock.take();
        if self.created && !self.committed {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// A commit under way: the renames done so far, to undo them.
struct Commit<'a> {
    dir: &'a Path,
    staging: &'a Path,
    old: PathBuf,
    /// Files moved into `old`.
    aside: Vec<String>,
    /// Staged files moved into place.
    placed: Vec<String>,
    /// Directories created in `dir` for them.
    made_dirs: Vec<PathBuf>,
    fault: Fault,
}

type Failure = (PathBuf, std::io::Error);

impl Commit<'_> {
    /// Creates the old-files directory and writes the journal into it.
    fn begin(&self, staging: &Path, files: &[String], subdirs: &[&str]) -> Result<()> {
        fs::create_dir(&self.old).map_err(write_error(&self.old))?;
        let journal = Journal {
            staging: file_name(staging),
            files: files.to_vec(),
            subdirs: subdirs.iter().map(|s| s.to_string()).collect(),
        };
        let text = serde_json::to_string(&journal).expect("journal serialises");
        let tmp = self.old.join(format!("{JOURNAL}.tmp"));
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, self.old.join(JOURNAL)))
            .map_err(write_error(&self.old.join(JOURNAL)))
    }

    /// The renames: earlier outputs aside, then the staged files into place.
    fn run(&mut self, aside: &[String], files: &[String]) -> Result<(), Failure> {
        for f in aside {
            self.fault.tick(&self.dir.join(f))?;
            move_file(&self.dir.join(f), &self.old.join(f), &mut Vec::new())?;
            self.aside.push(f.clone());
        }
        for f in files {
            self.fault.tick(&self.dir.join(f))?;
            move_file(
                &self.staging.join(f),
                &self.dir.join(f),
                &mut self.made_dirs,
            )?;
            self.placed.push(f.clone());
        }
        self.fault.after_last();
        Ok(())
    }

    /// Takes the new files out and puts the old ones back; on success removes the old-files
    /// and staging directories. On failure they stay (with the journal) for the next run in
    /// the directory to restore, and the error says why.
    ///
    /// A new file is back in staging before any old file is restored, so that at every moment
    /// a file of the journal is in place exactly when it is not in staging (what
    /// [`recover_commit`] relies on).
    fn rollback(&self) -> Result<(), String> {
        let mut failed = Vec::new();
        for f in self.placed.iter().rev() {
            if let Err((_, e)) =
                move_file(&self.dir.join(f), &self.staging.join(f), &mut Vec::new())
            {
                return Err(format!("{f}: {e}"));
            }
        }
        for f in self.aside.iter().rev() {
            if let Err((_, e)) = move_file(&self.old.join(f), &self.dir.join(f), &mut Vec::new()) {
                failed.push(format!("{f}: {e}"));
            }
        }
        if !failed.is_empty() {
            return Err(failed.join("; "));
        }
        for d in self.made_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        let _ = fs::remove_dir_all(&self.old);
        let _ = fs::remove_dir_all(self.staging);
        Ok(())
    }
}

/// Renames `from` to `to`, creating `to`'s missing parent directories (recorded in `made`).
fn move_file(from: &Path, to: &Path, made: &mut Vec<PathBuf>) -> Result<(), Failure> {
    if let Some(parent) = to.parent()
        && !parent.is_dir()
    {
        fs::create_dir_all(parent).map_err(|e| (to.to_path_buf(), e))?;
        made.push(parent.to_path_buf());
    }
    fs::rename(from, to).map_err(|e| (to.to_path_buf(), e))
}

/// The test hook [`FAULT_VAR`]: `K` makes the commit's rename number K+1 fail as a full disk
/// would; `K:exit` makes the process exit at that point (code 137) without cleaning up, as a
/// kill -9 would (with K the number of renames: after the last one, before the old files are
/// deleted). Used by tests/reliability.rs only.
struct Fault {
    after: Option<u64>,
    exit: bool,
    done: u64,
}

impl Fault {
    fn from_env() -> Fault {
        let var = std::env::var(FAULT_VAR).unwrap_or_default();
        let (k, exit) = match var.strip_suffix(":exit") {
            Some(k) => (k, true),
            None => (var.as_str(), false),
        };
        Fault {
            after: k.parse().ok(),
            exit,
            done: 0,
        }
    }

    fn tick(&mut self, file: &Path) -> Result<(), Failure> {
        if self.after == Some(self.done) {
            if self.exit {
                std::process::exit(137);
            }
            let e = std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!("no space left on device (injected by {FAULT_VAR})"),
            );
            return Err((file.to_path_buf(), e));
        }
        self.done += 1;
        Ok(())
    }

    fn after_last(&self) {
        if self.exit && self.after == Some(self.done) {
            std::process::exit(137);
        }
    }
}

/// Cleans up what killed runs left in `dir` (which this process has locked).
fn recover(dir: &Path) -> Result<()> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(write_error(dir))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".bordin-"))
        .collect();
    // Interrupted commits first: undoing one needs its staging directory.
    names.sort_by_key(|n| !n.starts_with(OLD_PREFIX));
    for name in names {
        let path = dir.join(&name);
        if name.starts_with(OLD_PREFIX) {
            recover_commit(dir, &path)?;
        } else if name.starts_with(STAGING_PREFIX) && path.is_dir() {
            fs::remove_dir_all(&path).map_err(write_error(&path))?;
            note(&format!(
                "removed {}, the unfinished outputs of a run that was interrupted",
                path.display()
            ));
        } else if name.starts_with(STALE_LOCK_PREFIX) {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(())
}

/// Finishes or undoes the commit whose old files are in `old`.
fn recover_commit(dir: &Path, old: &Path) -> Result<()> {
    let journal: Option<Journal> = fs::read_to_string(old.join(JOURNAL))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    // Without a journal, the commit had moved nothing yet.
    if let Some(j) = journal {
        let staging = dir.join(&j.staging);
        let left = if staging.is_dir() {
            files_under(&staging)?
        } else {
            Vec::new()
        };
        if left.is_empty() {
            for sub in &j.subdirs {
                let _ = fs::remove_dir(dir.join(sub));
            }
            note(&format!(
                "finished the commit of an interrupted run in {}: its outputs were all in place",
                dir.display()
            ));
        } else {
            for f in j.files.iter().filter(|f| !left.contains(f)) {
                let path = dir.join(f);
                if is_file(&path) {
                    fs::remove_file(&path).map_err(write_error(&path))?;
                }
            }
            for f in files_under(old)?.iter().filter(|f| *f != JOURNAL) {
                move_file(&old.join(f), &dir.join(f), &mut Vec::new())
                    .map_err(|(path, source)| Error::Write { path, source })?;
            }
            note(&format!(
                "restored the previous outputs in {}: a run interrupted while replacing them had put only part of its own in place",
                dir.display()
            ));
        }
        let _ = fs::remove_dir_all(&staging);
    }
    fs::remove_dir_all(old).map_err(write_error(old))
}

/// The files under `root`, as sorted `/`-separated relative paths.
fn files_under(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for e in fs::read_dir(&d).map_err(write_error(&d))?.flatten() {
            let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                stack.push((e.path(), format!("{rel}/")));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn note(text: &str) {
    eprintln!("note: {}", printable(text, false));
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Write { path, source }
}
