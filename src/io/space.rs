//! The disk-space guard (issue 16, item 11): a run whose outputs would not fit on the disk is
//! refused before it starts, rather than failing hours later.

use std::path::Path;

use crate::error::{OutputError, Result};

/// What a run is estimated to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Bytes of every output file.
    pub bytes: u64,
    /// Bytes without `sessions.csv`, when the run writes it.
    pub without_sessions: Option<u64>,
    /// What the estimate counts, for the message.
    pub what: String,
}

/// Bytes free for an unprivileged user on the filesystem of `dir`; `None` where the system
/// does not say.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut s = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
        // SAFETY: `path` is a NUL-terminated string and `s` a writable statvfs record; the
        // record is read only when the call reports success.
        let s = unsafe {
            if libc::statvfs(path.as_ptr(), s.as_mut_ptr()) != 0 {
                return None;
            }
            s.assume_init()
        };
        // The field types differ between systems (u32 or u64).
        #[allow(clippy::unnecessary_cast)]
        Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Refuses a run whose estimated outputs exceed the free space of `dir`'s filesystem, unless
/// `force_large` (the check is skipped where the free space is unknown).
///
/// # Errors
/// [`OutputError::DiskSpace`] with the estimate, the free space and the flags that help.
pub fn check(dir: &Path, estimate: &Estimate, force_large: bool) -> Result<()> {
    if force_large {
        return Ok(());
    }
    match free_bytes(dir) {
        Some(free) if estimate.bytes > free => Err(OutputError::DiskSpace {
            dir: dir.to_path_buf(),
            estimate: estimate.bytes,
            what: estimate.what.clone(),
            free,
            without_sessions: estimate.without_sessions,
        }
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_known_here_and_the_guard_refuses_what_exceeds_it() {
        let dir = std::env::temp_dir();
        if cfg!(unix) {
            assert!(free_bytes(&dir).is_some_and(|b| b > 0));
        }
        let huge = Estimate {
            bytes: u64::MAX,
            without_sessions: Some(u64::MAX / 2),
            what: "everything".into(),
        };
        if free_bytes(&dir).is_some() {
            let e = check(&dir, &huge, false).unwrap_err().to_string();
            assert!(
                e.contains("--force-large") && e.contains("--sessions-output none"),
                "{e}"
            );
        }
        assert!(check(&dir, &huge, true).is_ok());
        let small = Estimate {
            bytes: 1,
            without_sessions: None,
            what: String::new(),
        };
        assert!(check(&dir, &small, false).is_ok());
    }
}
