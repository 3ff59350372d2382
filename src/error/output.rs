//! Errors of an output directory (`crate::io::output_dir`): in use by another bordin, too small
//! a disk for the outputs, or a commit that failed (and was rolled back).

use std::fmt;
use std::path::PathBuf;

/// The bordin process holding a directory's lock, as its lock file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Its process id, if the lock file names one.
    pub pid: Option<u32>,
    /// Its command line.
    pub command: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => write!(f, "a process whose lock file names no pid")?,
        }
        if !self.command.is_empty() {
            write!(f, ": {}", self.command)?;
        }
        Ok(())
    }
}

/// Why an output directory cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Another bordin is writing the directory (exit code 2).
    #[error(
        "output directory {} is in use by another bordin ({holder}); wait for it to finish or choose another --out{}",
        .dir.display(),
        if *.checked { format!(" (if no such process runs, delete {})", .lock.display()) } else {
            format!("; this system cannot tell whether that process still runs: if it does not, delete {}", .lock.display())
        }
    )]
    Locked {
        dir: PathBuf,
        lock: PathBuf,
        holder: LockHolder,
        /// Whether the holder was found running (false: liveness cannot be checked here).
        checked: bool,
    },
    /// The outputs would not fit on the disk (exit code 2).
    #[error(
        "this run would write about {} to {} ({what}), but its filesystem has {} free; pass --force-large to run it anyway{}",
        byte_size(*.estimate),
        .dir.display(),
        byte_size(*.free),
        .without_sessions.map_or(String::new(), |b| format!(", or --sessions-output none to leave out sessions.csv (about {} in all)", byte_size(b)))
    )]
    DiskSpace {
        dir: PathBuf,
        /// Estimated bytes of every output file.
        estimate: u64,
        /// What the estimate counts.
        what: String,
        free: u64,
        /// The estimate without `sessions.csv`, when the run writes it.
        without_sessions: Option<u64>,
    },
    /// Renaming the finished outputs into place failed; the previous outputs were restored
    /// (`restored`) or are kept in `kept` for the next run in the directory to restore.
    #[error(
        "cannot put the outputs in place: renaming {} failed: {source}; {}",
        .file.display(),
        match .kept {
            None => "no output was changed (the previous outputs, if any, are as they were)".to_string(),
            Some(k) => format!("restoring the previous outputs failed too ({}); they are in {}, and the next bordin run in this directory restores them", .rollback, k.display()),
        }
    )]
    Commit {
        file: PathBuf,
        source: std::io::Error,
        /// Where the previous outputs are, when they could not be put back.
        kept: Option<PathBuf>,
        /// Why putting them back failed (empty when it did not).
        rollback: String,
    },
}

impl OutputError {
    /// Whether the error is the user's to fix before running again (exit code 2): a directory
    /// in use or a disk too small; a failed commit is a failure at run time (exit code 1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, OutputError::Commit { .. })
    }
}

/// Bytes in decimal units, to three significant figures ("2.31 TB").
pub fn byte_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < UNITS.len() {
        x /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if x < 10.0 {
        format!("{x:.2} {}", UNITS[u])
    } else if x < 100.0 {
        format!("{x:.1} {}", UNITS[u])
    } else {
        format!("{x:.0} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_in_decimal_units() {
        assert_eq!(super::byte_size(999), "999 B");
        assert_eq!(super::byte_size(2_310_000_000_000), "2.31 TB");
        assert_eq!(super::byte_size(95_200_000_000), "95.2 GB");
        assert_eq!(super::byte_size(123_456_789), "123 MB");
    }
}
