//! Merging sweep directories (shards of one sweep) into `sweep.csv`: the header and the unit
//! files concatenated in unit order.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, SweepError};
use crate::io::AtomicFile;

use super::STATE_FILE;
use super::SWEEP_CSV;
use super::state::{State, read_state, unit_path, write_state};

/// Combines the unit files of one or more sweep directories (shards of the same sweep) into
/// `out/sweep.csv`, in unit order; refuses directories of different sweeps and lists missing
/// units. Returns the path written.
///
/// # Errors
/// [`SweepError`] for missing state files, different sweeps or missing units; write failures.
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
        let s = read_state(d)?.ok_or_else(|| SweepError::NotASweepDirectory {
            dir: d.clone(),
            state_file: STATE_FILE,
        })?;
        match &state {
            None => state = Some(s),
            Some(first) => {
                if first.sweep_sha256 != s.sweep_sha256
                    || first.base_sha256 != s.base_sha256
                    || first.header != s.header
                    || first.units != s.units
                    || first.bordin_version != s.bordin_version
                    || first.posterior != s.posterior
                {
                    return Err(SweepError::DifferentSweeps {
                        first: dirs[0].clone(),
                        other: d.clone(),
                        first_file: first.sweep_file.clone(),
                        other_file: s.sweep_file.clone(),
                    }
                    .into());
                }
            }
        }
    }
    state.ok_or_else(|| SweepError::NothingToMerge.into())
}

/// The missing units, the first 20 of them by name.
fn incomplete(dirs: &[PathBuf], state: &State, missing: &[u64]) -> Error {
    SweepError::Incomplete {
        dirs: dirs.to_vec(),
        units: state.units,
        missing: missing.len() as u64,
        shown: missing
            .iter()
            .take(20)
            .map(|&k| state.unit_label(k))
            .collect(),
    }
    .into()
}
