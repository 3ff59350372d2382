//! `bordin sensitivity`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::sensitivity::{Sensitivity, UnitsDone};
use bordin::commands::sweep::Shard;
use bordin::io::progress::{self, Progress};

/// The flags of `bordin sensitivity`.
#[derive(Args, Debug)]
pub struct SensitivityArgs {
    /// The sensitivity file (base scenario, parameters with ranges, outputs, method, budget:
    /// docs/sensitivity.md).
    spec: PathBuf,
    /// Directory for sensitivity.csv, sensitivity.md, design.csv and the chart, and for the work
    /// units (units/, one per model run) a killed or sharded analysis resumes from.
    #[arg(long, default_value = "sensitivity")]
    out: PathBuf,
    /// Run only shard I of N of the model runs (1-based); default: SLURM_ARRAY_TASK_ID of
    /// SLURM_ARRAY_TASK_COUNT when set, else every run. A shard only runs its units; run
    /// without --shard once every shard is done to write the analysis.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
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
        let shard = match &self.shard {
            Some(t) => Some(Shard::parse(t)?),
            None => Shard::from_env(|k| std::env::var(k).ok())?,
        };
        let done = pool.install(|| s.run_in(&self.out, shard, |_| {}));
        bar.finish();
        let outcome = match done? {
            UnitsDone::Complete { outcome, .. } => outcome,
            UnitsDone::Partial {
                ran,
                present,
                total,
            } => {
                println!(
                    "ran {ran} model runs; {present} of {total} are in {}; {}",
                    self.out.join("units").display(),
                    if present < total {
                        "run the missing ones (the other shards, or this command again), then without --shard to analyse"
                    } else {
                        "all are there: run without --shard to analyse"
                    }
                );
                return Ok(ExitCode::SUCCESS);
            }
        };
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
