//! Progress bars for long commands (`bordin run`, `bordin calibrate`).
//!
//! A bar (patients simulated, rate, ETA) is drawn on stderr only when stderr is a terminal and
//! the command is not `--quiet`; otherwise nothing is drawn. The bar never writes to stdout and
//! never touches an output file, so outputs are the same with or without it.
//!
//! The bar is fed by the engine's progress hook ([`crate::sim::progress`]).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sim::progress::{clear_hook, set_hook};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_installs_no_hook() {
        let p = Progress::start("run", 100, false);
        assert!(p.bar.is_none());
        // Without a hook the call does nothing (and does not panic).
        crate::sim::progress::patients_done(5);
        p.finish();
    }
}
