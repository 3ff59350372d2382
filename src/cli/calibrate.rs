//! `bordin calibrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::calibrate;
use bordin::io::progress::{self, Progress};

/// The flags of `bordin calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Fewer replicates; bands widened by two Monte Carlo standard errors.
    #[arg(long)]
    quick: bool,
    /// Override a key in every calibration scenario (sensitivity analysis; repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Directory for calibration.csv and calibration.md.
    #[arg(long, default_value = "calibration")]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

impl CalibrateArgs {
    /// Checks every target; exit 1 when a confirmed target fails.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let pool = bordin::sim::engine::thread_pool(self.threads)?;
        let show = progress::wanted(false);
        let patients = if show {
            calibrate::calibration_patients(self.quick, &self.set)
        } else {
            0
        };
        let progress = Progress::start("calibrate", patients, show);
        let options = calibrate::CalibrateOptions {
            quick: self.quick,
            overrides: self.set,
        };
        let results = pool.install(|| calibrate::calibrate(&options));
        progress.finish();
        let results = results?;
        calibrate::write(&self.out, &results, self.quick)?;
        print!("{}", calibrate::text_table(&results));
        println!(
            "wrote {} and {}",
            self.out.join("calibration.csv").display(),
            self.out.join("calibration.md").display()
        );
        Ok(if calibrate::all_confirmed_pass(&results) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
