//! A sweep directory: its state file (`sweep.json`: what is swept, and its hashes), which lets
//! a run resume and shards check they belong together, and the files of finished work units.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, SweepDifference, SweepError};
use crate::io::atomic::temp_name_pid;
use crate::io::lock::{Lock, LockKind, is_lock_name, process_runs};

use super::Shard;
use super::axis::coords;
use super::spec::Sweep;
use super::{STATE_FILE, SWEEP_CSV, UNITS_DIR};

/// `DIR/sweep.json`: what a sweep directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct State {
    pub format: u32,
    pub bordin_version: String,
    pub sweep_file: String,
    pub sweep_sha256: String,
    pub base: String,
    pub base_sha256: String,
    pub replicates: u64,
    pub points: u64,
    pub units: u64,
    pub header: Vec<String>,
    pub axes: Vec<StateAxis>,
    /// `--posterior`: the draws every design point's replicates use (absent without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<StatePosterior>,
}

/// The posterior in [`State`]: a sweep resumes, and shards merge, only with the same file and
/// `--draws`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StatePosterior {
    pub source: String,
    pub sha256: String,
    pub draws: Option<u64>,
}

impl StatePosterior {
    /// `FILE (sha256 ..., K draws)` or `none`, for messages.
    pub(super) fn describe(p: Option<&StatePosterior>) -> String {
        p.map_or("none".into(), |p| {
            format!(
                "{} (sha256 {}{})",
                p.source,
                p.sha256,
                p.draws.map_or(String::new(), |k| format!(", --draws {k}"))
            )
        })
    }
}

/// An axis in [`State`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StateAxis {
    pub path: String,
    pub column: String,
    pub values: Vec<String>,
}

impl State {
    pub(super) fn unit_label(&self, k: u64) -> String {
        let p = k / self.replicates;
        let sizes: Vec<usize> = self.axes.iter().map(|a| a.values.len()).collect();
        let vals = self
            .axes
            .iter()
            .zip(coords(&sizes, p))
            .map(|(a, j)| format!("{}={}", a.path, a.values[j]))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "unit {k} (design point {p}: {vals}; replicate {})",
            k % self.replicates
        )
    }
}

/// The file of unit `k` in a sweep directory.
pub(super) fn unit_path(dir: &Path, k: u64) -> PathBuf {
    dir.join(UNITS_DIR).join(unit_name(k))
}

pub(super) fn unit_name(k: u64) -> String {
    format!("{k:08}.csv")
}

pub(super) fn read_state(dir: &Path) -> Result<Option<State>> {
    let path = dir.join(STATE_FILE);
    match fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|source| SweepError::State { path, source }.into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Write { path, source }),
    }
}

/// Writes `bytes` to `path` through a temporary name unique to this process and call, then
/// renames (shards of an array may write the same file at the same time).
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(crate::io::atomic::temp_name(&name));
    let io = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::write(&tmp, bytes).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

/// Writes `dir/sweep.json`.
pub(super) fn write_state(dir: &Path, state: &State) -> Result<()> {
    let text = serde_json::to_string_pretty(state).expect("state serialises") + "\n";
    write_atomic(&dir.join(STATE_FILE), text.as_bytes())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Write { path, source }
}

/// Checks or claims `out` for `sweep` and locks it: a directory holding the same sweep resumes;
/// a different sweep is refused (unless `force`, which discards its units).
///
/// A shard takes its shard's lock, so shards of one sweep run side by side; a whole sweep, and
/// any sweep with `force` (which may discard units), locks the whole directory. Temporary
/// files of processes that no longer run are removed.
pub(super) fn prepare(
    out: &Path,
    sweep: &Sweep,
    force: bool,
    shard: Option<Shard>,
) -> Result<Lock> {
    let state = sweep.state();
    if out.exists() && !out.is_dir() {
        return Err(SweepError::OutNotADirectory(out.to_path_buf()).into());
    }
    fs::create_dir_all(out).map_err(io_error(out))?;
    let kind = match shard {
        Some(s) if !force => LockKind::Shard {
            index: s.index,
            count: s.count,
        },
        _ => LockKind::Exclusive,
    };
    let lock = Lock::acquire(out, kind)?;
    match read_state(out)? {
        Some(old) => {
            if old.sweep_sha256 != state.sweep_sha256
                || old.base_sha256 != state.base_sha256
                || old.bordin_version != state.bordin_version
                || old.header != state.header
                || old.units != state.units
                || old.posterior != state.posterior
            {
                if !force {
                    return Err(another_sweep(out, &old, &state, sweep).into());
                }
                discard(out)?;
            }
        }
        None => {
            if out.is_dir() {
                // Only a sweep's own entries (or a shard's temporary state) may be there.
                let foreign = fs::read_dir(out)
                    .map_err(io_error(out))?
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .any(|n| {
                        !(n == UNITS_DIR
                            || n == SWEEP_CSV
                            || n.starts_with(".sweep.json")
                            || is_lock_name(&n))
                    });
                if foreign && !force {
                    return Err(Error::OutputNotEmpty(out.to_path_buf()));
                }
                if force {
                    discard(out)?;
                }
            }
        }
    }
    write_state(out, &state)?;
    let units = out.join(UNITS_DIR);
    fs::create_dir_all(&units).map_err(io_error(&units))?;
    remove_dead_temporaries(out)?;
    remove_dead_temporaries(&units)?;
    Ok(lock)
}

/// Removes the temporary files in `dir` (`.NAME.PID-N.tmp`, or an older bordin's `.NAME.tmp`)
/// of processes that no longer run: a unit or state file a killed run was writing.
fn remove_dead_temporaries(dir: &Path) -> Result<()> {
    for e in fs::read_dir(dir).map_err(io_error(dir))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        let owner = temp_name_pid(&name).filter(|&p| p != std::process::id());
        if owner.is_none_or(|p| process_runs(p) == Some(false)) {
            let path = e.path();
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// Why `out`, holding the sweep `old`, cannot resume `sweep` (whose state is `state`).
fn another_sweep(out: &Path, old: &State, state: &State, sweep: &Sweep) -> SweepError {
    let difference = if old.sweep_sha256 != state.sweep_sha256 {
        SweepDifference::SweepFile {
            recorded: old.sweep_sha256.clone(),
            source: sweep.source.clone(),
            now: state.sweep_sha256.clone(),
        }
    } else if old.base_sha256 != state.base_sha256 {
        SweepDifference::Base {
            base: sweep.base_source.clone(),
            recorded: old.base_sha256.clone(),
            now: state.base_sha256.clone(),
        }
    } else if old.posterior != state.posterior {
        SweepDifference::Posterior {
            recorded: StatePosterior::describe(old.posterior.as_ref()),
            now: StatePosterior::describe(state.posterior.as_ref()),
        }
    } else {
        SweepDifference::Version {
            recorded: old.bordin_version.clone(),
            now: crate::VERSION,
        }
    };
    SweepError::AnotherSweep {
        out: out.to_path_buf(),
        sweep_file: old.sweep_file.clone(),
        difference: Box::new(difference),
    }
}

/// Removes the units, the merged result and the state of a sweep directory.
fn discard(out: &Path) -> Result<()> {
    let units = out.join(UNITS_DIR);
    if units.is_dir() {
        fs::remove_dir_all(&units).map_err(io_error(&units))?;
    }
    for f in [SWEEP_CSV, STATE_FILE] {
        let p = out.join(f);
        if p.is_file() {
            fs::remove_file(&p).map_err(io_error(&p))?;
        }
    }
    Ok(())
}
