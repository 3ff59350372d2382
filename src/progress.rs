//! Progress bars for long commands (`bordin run`, `bordin calibrate`).
//!
//! A bar (patients simulated, rate, ETA) is drawn on stderr only when stderr is a terminal and
//! the command is not `--quiet`; otherwise nothing is drawn. The bar never writes to stdout and
//! never touches an output file, so outputs are the same with or without it.
//!
//! The engine reports progress through a process-wide hook: [`engine::run`](crate::engine::run)
//! calls [`patients_done`] once per batch of chunks with the number of patients that batch
//! simulated. Without a hook installed (the library's default, and every test) that call is one
//! relaxed atomic load per batch of thousands of patients; it draws no random number and
//! changes no result.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

type Hook = Box<dyn Fn(u64) + Send + Sync>;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// Called by the engine once per batch with the patients that batch simulated (each patient
/// once, whatever the number of arms simulated for it).
pub fn patients_done(patients: u64) {
    if !ACTIVE.load(Ordering::Relaxed) {
        return;
    }
    let hook = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(h) = hook.as_ref() {
        h(patients);
    }
}

/// Installs `hook` as the progress callback of every engine run in this process (replacing any
/// other), until [`clear_hook`].
pub fn set_hook(hook: impl Fn(u64) + Send + Sync + 'static) {
    *HOOK.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    ACTIVE.store(true, Ordering::Relaxed);
}

/// Removes the progress callback.
pub fn clear_hook() {
    ACTIVE.store(false, Ordering::Relaxed);
    *HOOK.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

/// Whether a command should draw a progress bar: stderr is a terminal and not `--quiet`.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A progress bar over a known number of patients, fed by the engine's hook while it lives.
/// Hidden (and no hook installed) when not [`wanted`].
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts a bar of `total` patients labelled `what` when `show`, else does nothing.
    pub fn start(what: &str, total: u64, show: bool) -> Progress {
        if !show {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {human_pos}/{human_len} patients  {per_sec:0}  ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        let fed = bar.clone();
        set_hook(move |n| {
            fed.inc(n);
            // A total that was an estimate (calibration) grows rather than overflows.
            if let Some(len) = fed.length()
                && fed.position() > len
            {
                fed.set_length(fed.position());
            }
        });
        Progress { bar: Some(bar) }
    }

    /// Changes the label (e.g. the calibration scenario being run).
    pub fn set_label(&self, what: &str) {
        if let Some(b) = &self.bar {
            b.set_prefix(what.to_string());
        }
    }

    /// Removes the bar from the terminal and the hook from the engine.
    pub fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            clear_hook();
            b.finish_and_clear();
        }
    }
}

/// Patients `bordin calibrate` simulates: replicates x patients of every calibration scenario
/// (an estimate; the bar grows if more are simulated).
pub fn calibration_patients(quick: bool, overrides: &[String]) -> u64 {
    let mut names: Vec<String> = crate::calibration::targets()
        .into_iter()
        .map(|t| t.scenario)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .iter()
        .filter_map(|n| crate::calibration::scenario(n, quick, overrides).ok())
        .map(|sc| sc.run.replicates * sc.run.patients)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_installs_no_hook() {
        let p = Progress::start("run", 100, false);
        assert!(p.bar.is_none());
        // Without a hook the call does nothing (and does not panic).
        patients_done(5);
        p.finish();
    }

    #[test]
    fn calibration_total_is_positive() {
        assert!(calibration_patients(true, &[]) > 0);
    }
}
