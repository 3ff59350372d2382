//! `bordin report`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::report;

/// The flags of `bordin report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output directory of `bordin run`.
    run_dir: PathBuf,
}

impl ReportArgs {
    /// Writes the report and notes every chart it could not draw.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let r = report::write(&self.run_dir)?;
        for (chart, reason) in &r.skipped {
            eprintln!("note: chart {chart} not drawn: {reason}");
        }
        println!(
            "wrote {} and {} chart files in {}",
            r.path.display(),
            r.charts.len(),
            self.run_dir.join(report::CHART_DIR).display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
