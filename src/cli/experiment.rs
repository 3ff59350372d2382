//! `bordin experiment`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::experiment;
use bordin::scenario::posterior::Posterior;

/// The flags of `bordin experiment`.
#[derive(Args, Debug)]
pub struct ExperimentArgs {
    /// The experiment's folder (holds experiment.toml and its scenarios).
    #[arg(required_unless_present = "list_statistics")]
    dir: Option<PathBuf>,
    /// Print the statistics an experiment or a calibration target may name (name,
    /// arguments, what each computes) and exit.
    #[arg(long)]
    list_statistics: bool,
    /// A third of the replicates; check bands widened by two Monte Carlo SEs.
    #[arg(long)]
    quick: bool,
    /// Where to write results.csv, results.md and the figures (default: DIR/results, or
    /// DIR/results-posterior with --posterior).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    posterior: super::PosteriorArgs,
}

impl ExperimentArgs {
    /// Runs the experiment (or lists the statistics); exit 1 when a check fails.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        // Without --list-statistics, clap has required DIR.
        let Some(dir) = self.dir.filter(|_| !self.list_statistics) else {
            print!("{}", experiment::list_statistics());
            return Ok(ExitCode::SUCCESS);
        };
        let posterior = self
            .posterior
            .posterior
            .as_deref()
            .map(Posterior::load)
            .transpose()?;
        let outcome = experiment::run_over(
            &dir,
            self.quick,
            posterior.as_ref().map(|p| (p, self.posterior.draws)),
        )?;
        // Results over a posterior go beside the point results, not over them.
        let default_out = if posterior.is_some() {
            "results-posterior"
        } else {
            "results"
        };
        let out = self.out.unwrap_or_else(|| dir.join(default_out));
        experiment::write(&out, &outcome)?;
        print!("{}", outcome.markdown());
        println!(
            "\nwrote results.csv, results.md and figures (PNG and SVG) to {}",
            out.display()
        );
        Ok(if outcome.all_checks_pass() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
