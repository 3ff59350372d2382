//! Merging sweep directories (shards of one sweep) into `sweep.csv`: the header and the unit
//! files concatenated in unit order.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::AtomicFile;

use super::STATE_FILE;
use super::SWEEP_CSV;
use super::state::{State, read_state, unit_path, write_state};

/// Combines the unit files of one or more sweep directories (shards of the same sweep) into
/// `out/sweep.csv`, in unit order; refuses directories of different sweeps and lists missing
/// units. Returns the path written.
///
/// # Errors
/// [`Error::Usage`] for missing state files, different sweeps or missing units; write
/// failures.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    let state = common_state(dirs)?;
    let mut files = Vec::with_capacity(state.units as usize);
    let mut missing = Vec::new();
    for k in 0..state.units {
        match dirs.iter().map(|d| unit_path(d, k)).find(|p| p.is_file()) {
            Some(p) => files.push(p),
            None => missing.push(k),
        }
    }
    if !missing.is_empty() {
        return Err(incomplete(dirs, &state, &missing));
    }
    fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    if read_state(out)?.is_none() {
        write_state(out, &state)?;
    }
    let mut f = AtomicFile::create(out, SWEEP_CSV)?;
    f.record(&state.header)?;
    for p in files {
        let bytes = fs::read(&p).map_err(|source| Error::Write {
            path: p.clone(),
            source,
        })?;
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        f.rows_raw(&bytes, rows)?;
    }
    f.commit()?;
    Ok(out.join(SWEEP_CSV))
}

/// The state of the sweep the directories hold, if they hold shards of one sweep.
fn common_state(dirs: &[PathBuf]) -> Result<State> {
    let mut state: Option<State> = None;
    for d in dirs {
        let s = read_state(d)?.ok_or_else(|| {
            Error::Usage(format!(
                "{} is not a sweep directory (no {STATE_FILE})",
                d.display()
            ))
        })?;
        match &state {
            None => state = Some(s),
            Some(first) => {
                if first.sweep_sha256 != s.sweep_sha256
                    || first.base_sha256 != s.base_sha256
                    || first.header != s.header
                    || first.units != s.units
                    || first.bordin_version != s.bordin_version
                {
                    return Err(Error::Usage(format!(
                        "{} and {} hold different sweeps ({} vs {}); merge only shards of one sweep",
                        dirs[0].display(),
                        d.display(),
                        first.sweep_file,
                        s.sweep_file
                    )));
                }
            }
        }
    }
    state.ok_or_else(|| Error::Usage("merge needs at least one sweep directory".into()))
}

/// The missing units (the first 20) and what to do.
fn incomplete(dirs: &[PathBuf], state: &State, missing: &[u64]) -> Error {
    let shown = 20;
    let mut msg = format!(
        "the sweep is incomplete: {} of {} units missing in {}:\n",
        missing.len(),
        state.units,
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for &k in missing.iter().take(shown) {
        msg.push_str(&format!("  {}\n", state.unit_label(k)));
    }
    if missing.len() > shown {
        msg.push_str(&format!("  ... and {} more\n", missing.len() - shown));
    }
    msg.push_str("run the missing shards again (finished units are skipped), then merge\n");
    Error::Usage(msg)
}
