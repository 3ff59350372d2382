//! The lock of an output directory, so that two bordin processes never write one directory at
//! once (issue 16: two `--force` runs into one folder left the data files of one run and the
//! manifest of the other).
//!
//! A lock is a file created exclusively (`O_EXCL`) in the directory, holding the owner's pid,
//! its start time (Linux) and its command line: `.bordin.lock` for a command that owns the
//! directory, `.bordin-shard-I-of-N.lock` for a shard of a sweep (shards of one sweep share a
//! directory; a whole-directory lock excludes every shard, and a shard excludes a
//! whole-directory lock). A lock whose owner no longer runs (its pid is gone from `/proc`, or
//! now belongs to a process started at another time) is stale: it is removed with a note on
//! stderr. Where `/proc` is missing, a lock is taken as held, and the message says which file
//! to delete. The lock is removed when dropped, on success and on every error path.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, LockHolder, OutputError, Result, printable};
use crate::io::atomic::unique_suffix;

/// The lock of a command that owns its output directory.
pub const LOCK_FILE: &str = ".bordin.lock";
const SHARD_PREFIX: &str = ".bordin-shard-";
const LOCK_SUFFIX: &str = ".lock";

/// Which lock a process takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// The whole directory: no other lock may be held beside it.
    Exclusive,
    /// Shard `index` (0-based) of `count` of a sweep: other shards may run beside it.
    Shard { index: u64, count: u64 },
}

impl LockKind {
    fn file_name(self) -> String {
        match self {
            LockKind::Exclusive => LOCK_FILE.to_string(),
            LockKind::Shard { index, count } => {
                format!("{SHARD_PREFIX}{}-of-{count}{LOCK_SUFFIX}", index + 1)
            }
        }
    }
}

/// Whether `name` is a lock file of bordin.
pub fn is_lock_name(name: &str) -> bool {
    name == LOCK_FILE || (name.starts_with(SHARD_PREFIX) && name.ends_with(LOCK_SUFFIX))
}

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

/// What a lock file says, and whether its owner runs.
enum State {
    /// Its owner runs (or this system cannot tell: `checked` false).
    Held { holder: LockHolder, checked: bool },
    /// Its owner no longer runs.
    Stale(LockHolder),
    /// It went away while being read.
    Gone,
}

impl Lock {
    /// Takes the lock of `kind` in `dir` (which exists), removing stale locks on the way.
    ///
    /// # Errors
    /// [`OutputError::Locked`] naming the directory and the process holding it, or
    /// [`Error::Write`] when the lock file cannot be written.
    pub fn acquire(dir: &Path, kind: LockKind) -> Result<Lock> {
        let path = dir.join(kind.file_name());
        // A few tries: a stale lock removed here may be taken by another process first.
        for _ in 0..4 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    let lock = write_owner(file, &path)?;
                    lock.check_others(dir, kind)?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    clear_or_refuse(dir, &path)?;
                }
                Err(source) => return Err(Error::Write { path, source }),
            }
        }
        Err(locked(dir, &path, read_holder(&path).map(|h| h.0), false))
    }

    /// Refuses (and releases the lock) when another live lock excludes this one.
    fn check_others(&self, dir: &Path, kind: LockKind) -> Result<()> {
        let own = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let others: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|source| Error::Write {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_lock_name(n) && Some(n) != own.as_ref())
            .filter(|n| kind == LockKind::Exclusive || n == LOCK_FILE)
            .map(|n| dir.join(n))
            .collect();
        for other in others {
            clear_or_refuse(dir, &other)?;
        }
        Ok(())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Writes the owner's pid, start time and command line into a new lock file.
fn write_owner(mut file: File, path: &Path) -> Result<Lock> {
    let lock = Lock {
        path: path.to_path_buf(),
    };
    let command: Vec<String> = std::env::args().collect();
    let pid = std::process::id();
    let start = start_time(pid).map_or(String::new(), |s| format!("start {s}\n"));
    let text = format!(
        "pid {pid}\n{start}command {}\n",
        command.join(" ").replace('\n', " ")
    );
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(lock)
}

/// Removes the lock at `path` if stale (with a note); refuses if it is held.
fn clear_or_refuse(dir: &Path, path: &Path) -> Result<()> {
    match state(path) {
        State::Gone => Ok(()),
        State::Held { holder, checked } => Err(locked(dir, path, Some(holder), checked)),
        State::Stale(holder) => {
            // Moved aside first, then checked again: if another process replaced the stale lock
            // with its own meanwhile, that one is put back and respected.
            let aside = dir.join(format!(".bordin-stale-lock-{}", unique_suffix()));
            if fs::rename(path, &aside).is_err() {
                return Ok(()); // gone meanwhile: try again
            }
            match read_holder(&aside) {
                Some((h, start)) if h == holder && !runs(h.pid, start).unwrap_or(true) => {
                    let _ = fs::remove_file(&aside);
                    eprintln!(
                        "note: removed the stale lock {} of {holder}, which no longer runs",
                        printable(&path.display().to_string(), false)
                    );
                    Ok(())
                }
                _ => {
                    let _ = fs::rename(&aside, path);
                    clear_or_refuse(dir, path)
                }
            }
        }
    }
}

fn locked(dir: &Path, lock: &Path, holder: Option<LockHolder>, checked: bool) -> Error {
    OutputError::Locked {
        dir: dir.to_path_buf(),
        lock: lock.to_path_buf(),
        holder: holder.unwrap_or(LockHolder {
            pid: None,
            command: String::new(),
        }),
        checked,
    }
    .into()
}

fn state(path: &Path) -> State {
    if !path.exists() {
        return State::Gone;
    }
    let Some((holder, start)) = read_holder(path) else {
        return State::Held {
            holder: LockHolder {
                pid: None,
                command: String::new(),
            },
            checked: false,
        };
    };
    match runs(holder.pid, start) {
        Some(false) => State::Stale(holder),
        Some(true) => State::Held {
            holder,
            checked: true,
        },
        None => State::Held {
            holder,
            checked: false,
        },
    }
}

/// The holder a lock file names, with its recorded start time.
fn read_holder(path: &Path) -> Option<(LockHolder, Option<u64>)> {
    let text = fs::read_to_string(path).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
    };
    let pid = field("pid")?.trim().parse().ok()?;
    let start = field("start").and_then(|s| s.trim().parse().ok());
    let holder = LockHolder {
        pid: Some(pid),
        command: field("command").unwrap_or_default().trim().to_string(),
    };
    Some((holder, start))
}

/// Whether process `pid`, started at `start` (clock ticks after boot), runs: `None` where this
/// system cannot tell (no `/proc`).
fn runs(pid: Option<u32>, start: Option<u64>) -> Option<bool> {
    let pid = pid?;
    if !Path::new("/proc/self/stat").exists() {
        return None;
    }
    match start_time(pid) {
        None => Some(false),
        Some(now) => Some(start.is_none_or(|s| s == now)),
    }
}

/// Whether process `pid` runs: `None` where this system cannot tell (no `/proc`).
pub fn process_runs(pid: u32) -> Option<bool> {
    runs(Some(pid), None)
}

/// The start time of process `pid` (field 22 of `/proc/PID/stat`), where `/proc` has it.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_runs_and_a_dead_one_does_not() {
        if !Path::new("/proc/self/stat").exists() {
            return;
        }
        let me = std::process::id();
        assert_eq!(runs(Some(me), start_time(me)), Some(true));
        // Same pid, another start time: a reused pid, so the recorded owner is gone.
        assert_eq!(runs(Some(me), start_time(me).map(|s| s + 1)), Some(false));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(runs(Some(pid), None), Some(false));
    }

    #[test]
    fn lock_names() {
        assert!(is_lock_name(LOCK_FILE));
        let shard = LockKind::Shard { index: 1, count: 4 }.file_name();
        assert_eq!(shard, ".bordin-shard-2-of-4.lock");
        assert!(is_lock_name(&shard));
        assert!(!is_lock_name(".bordin-staging-1-0"));
    }
}
