//! The disk-space guard (issue 16, item 11): a run whose outputs would not fit on the disk is
//! refused before it starts, rather than failing hours later: [`estimate`] (what `bordin run`
//! will write), [`free_bytes`] and [`check`].

use std::path::Path;

use crate::error::{OutputError, Result};
use crate::io::csv::{
    RenderedRows, RowFormat, SESSION_COLUMNS, SUMMARY_COLUMNS, patient_header, therapist_header,
};
use crate::scenario::Scenario;
use crate::sim::allocation::ReplicateContext;
use crate::sim::engine::{PatientOutcome, RunOptions, Sink};

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

/// Patients simulated (the first of replicate 0) to measure the bytes a patient takes in
/// `patients.csv` and `sessions.csv`, for [`estimate`].
pub const ESTIMATE_SAMPLE: u64 = 200;

/// Adds up the bytes of the rows the run's writer formats.
struct SizeSink {
    rows: RowFormat,
    patients: u64,
    sessions: u64,
}

impl Sink for SizeSink {
    type Rendered = RenderedRows;
    fn render(&self, sc: &Scenario, ctx: &ReplicateContext, o: &PatientOutcome) -> RenderedRows {
        self.rows.render(sc, ctx, o)
    }
    fn begin_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
    fn patient(
        &mut self,
        _: &Scenario,
        _: &ReplicateContext,
        _: PatientOutcome,
        rows: RenderedRows,
    ) -> Result<()> {
        self.patients += rows.patient.len() as u64;
        self.sessions += rows.sessions.len() as u64;
        Ok(())
    }
    fn end_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
}

/// The bytes `bordin run` will write for `sc`: the bytes per patient of `patients.csv` and
/// `sessions.csv`, measured by formatting the first [`ESTIMATE_SAMPLE`] patients of replicate
/// 0 with the writer's own code, times the patients of every replicate; `therapists.csv` and
/// `summary.csv` at their header's length per row (their cells are numbers shorter than the
/// column names); the headers and the manifest (its resolved scenario twice over, for the
/// escapes, and a kilobyte per file record).
///
/// # Errors
/// A failure of the sample's simulation.
pub fn estimate(sc: &Scenario, sessions: bool, counterfactual: bool) -> Result<Estimate> {
    let mut sample = sc.clone();
    sample.run.patients = sc.run.patients.min(ESTIMATE_SAMPLE);
    let opts = RunOptions {
        counterfactual,
        record_sessions: sessions,
        progress: false,
        ..RunOptions::default()
    };
    let rows = RowFormat {
        sessions,
        counterfactual,
    };
    let mut sizes = SizeSink {
        rows,
        patients: 0,
        sessions: 0,
    };
    crate::sim::engine::run(&sample, &opts, 0..1, &mut sizes)?;
    let n = sample.run.patients.max(1) as f64;
    let total = sc.run.patients as f64 * sc.run.replicates as f64;
    let line = |cells: &[&str]| (cells.join(",").len() + 1) as f64;
    let therapists: u64 = sc
        .therapist_pools
        .iter()
        .map(|p| u64::from(p.therapists))
        .sum();
    let small = sc.run.replicates as f64
        * (therapists as f64 * line(&therapist_header())
            + sc.arms.len() as f64 * line(SUMMARY_COLUMNS))
        + line(
            &patient_header(sc, counterfactual)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        + 2.0 * crate::scenario::resolved_toml(sc).len() as f64
        + 5.0 * 1024.0;
    let patients = sizes.patients as f64 / n * total;
    let session_bytes = if sessions {
        sizes.sessions as f64 / n * total + line(SESSION_COLUMNS)
    } else {
        0.0
    };
    let round = |x: f64| x.ceil().min(u64::MAX as f64) as u64;
    let per_patient = (sizes.patients + sizes.sessions) as f64 / n;
    Ok(Estimate {
        bytes: round(small + patients + session_bytes),
        without_sessions: sessions.then(|| round(small + patients)),
        what: format!(
            "{} patients x {} replicate(s) at about {} each in {}, measured on {} simulated patients",
            sc.run.patients,
            sc.run.replicates,
            crate::error::byte_size(round(per_patient)),
            if sessions {
                "patients.csv and sessions.csv"
            } else {
                "patients.csv"
            },
            sample.run.patients
        ),
    })
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
