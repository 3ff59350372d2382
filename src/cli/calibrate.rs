//! `bordin calibrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::calibrate;
use bordin::commands::posterior::Calibration;
use bordin::io::progress::{self, Progress};

/// The flags of `bordin calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Fewer replicates; bands widened by two Monte Carlo standard errors.
    #[arg(long)]
    quick: bool,
    /// Override a key in every calibration scenario (sensitivity analysis; repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", conflicts_with_all = ["posterior", "targets"])]
    set: Vec<String>,
    /// Calibrate to a posterior by ABC-SMC over the priors of PRIORS.toml (default: the embedded
    /// configs/posterior/priors.toml): posterior.csv, diagnostics, charts (docs/calibration.md).
    #[arg(long, num_args = 0..=1, value_name = "PRIORS.toml")]
    posterior: Option<Option<PathBuf>>,
    /// Fit SCENARIO to your own targets (a targets file: docs/calibration.md) by ABC-SMC, with
    /// the priors of --posterior; writes the posterior and fitted.toml.
    #[arg(long, value_name = "TARGETS.toml", requires = "scenario")]
    targets: Option<PathBuf>,
    /// The scenario --targets fits.
    #[arg(requires = "targets")]
    scenario: Option<PathBuf>,
    /// Directory for the results (default: `calibration`, or `posterior` with --posterior or
    /// --targets; the ABC generations in its abc/, from which a killed run resumes).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

impl CalibrateArgs {
    /// Checks every target; exit 1 when a confirmed target fails.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let pool = bordin::sim::engine::thread_pool(self.threads)?;
        if self.posterior.is_some() || self.targets.is_some() {
            return pool.install(|| self.posterior());
        }
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("calibration"));
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
        calibrate::write(&out, &results, self.quick)?;
        print!("{}", calibrate::text_table(&results));
        println!(
            "wrote {} and {}",
            out.join("calibration.csv").display(),
            out.join("calibration.md").display()
        );
        Ok(if calibrate::all_confirmed_pass(&results) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// `--posterior` or `--targets`: ABC-SMC to a posterior; one line per generation on stderr.
    fn posterior(self) -> bordin::Result<ExitCode> {
        let priors = self.posterior.clone().flatten();
        let c = match (&self.targets, &self.scenario) {
            (Some(t), Some(s)) => Calibration::user(t, s, priors.as_deref(), self.quick)?,
            _ => Calibration::embedded(priors.as_deref(), self.quick)?,
        };
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("posterior"));
        let started = std::time::Instant::now();
        if !self.quiet {
            eprintln!(
                "ABC-SMC: {} parameters, {} targets, {} particles, {} generations; {} patients per proposal (priors: {})",
                c.parameters.len(),
                c.targets.len(),
                c.abc.particles,
                c.abc.generations,
                c.patients_per_proposal()?,
                c.priors_name
            );
        }
        let quiet = self.quiet;
        let outcome = c.run_in(&out, |g, x, resumed| {
            if !quiet {
                eprintln!(
                    "generation {g}{}: tolerance {}, {} proposals (acceptance {:.2}), ESS {:.0}, {:.0} s",
                    if resumed { " (read back)" } else { "" },
                    if x.tolerance.is_finite() {
                        format!("{:.3}", x.tolerance)
                    } else {
                        "none (prior)".into()
                    },
                    x.proposals,
                    x.acceptance_rate,
                    x.ess,
                    started.elapsed().as_secs_f64()
                );
            }
        })?;
        outcome.write(&out)?;
        print!("{}", outcome.markdown());
        println!(
            "\nwrote posterior.csv, generations.csv, identifiability.csv, predictive.csv, posterior.md and the charts{} to {} in {:.0} s",
            if outcome.fitted.is_some() {
                ", fitted.toml"
            } else {
                ""
            },
            out.display(),
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    }
}
