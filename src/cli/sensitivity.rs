//! `bordin sensitivity`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::sensitivity::Sensitivity;
use bordin::io::progress::{self, Progress};

/// The flags of `bordin sensitivity`.
#[derive(Args, Debug)]
pub struct SensitivityArgs {
    /// The sensitivity file (base scenario, parameters with ranges, outputs, method, budget:
    /// docs/sensitivity.md).
    spec: PathBuf,
    /// Directory for sensitivity.csv, sensitivity.md, design.csv and the chart.
    #[arg(long, default_value = "sensitivity")]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl SensitivityArgs {
    /// Runs the design and writes the indices.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let pool = bordin::sim::engine::thread_pool(self.threads)?;
        let s = Sensitivity::load(&self.spec)?;
        let show = progress::wanted(self.quiet);
        let total = if show { s.patients()? } else { 0 };
        let bar = Progress::start("sensitivity", total, show);
        let outcome = pool.install(|| s.run(|_| {}));
        bar.finish();
        let outcome = outcome?;
        outcome.write(&self.out)?;
        print!("{}", outcome.markdown());
        println!(
            "\nwrote sensitivity.csv, sensitivity.md, design.csv and the chart (SVG, PNG) to {} ({} model runs)",
            self.out.display(),
            outcome.runs
        );
        Ok(ExitCode::SUCCESS)
    }
}
