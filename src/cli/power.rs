//! `bordin power`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::power;
use bordin::io::progress::{self, Progress};

/// The flags of `bordin power`.
#[derive(Args, Debug)]
pub struct PowerArgs {
    /// Scenario file (TOML) with exactly two arms. Without it, the embedded two-arm trial
    /// (configs/power_two_arm.toml) is used.
    scenario: Option<PathBuf>,
    /// Patients per arm, comma-separated (each a design point; allocation 1:1).
    #[arg(long, default_value = "20,40,60", value_name = "N,N,...")]
    n_per_arm: String,
    /// Therapists per arm (each arm's pool size; arms must have separate pools).
    #[arg(long, value_name = "K")]
    therapists_per_arm: Option<u32>,
    /// Replicates (simulated trials) per design point.
    #[arg(long, default_value_t = 1000)]
    reps: u64,
    /// Analyses, comma-separated: ancova, lmm-endpoint, lmm-longitudinal.
    #[arg(long, default_value = "ancova,lmm-endpoint,lmm-longitudinal")]
    analysis: String,
    /// Significance level: two-sided, or of each one-sided test (intervals are two-sided at
    /// 1 - alpha).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// The hypothesis on treatment minus control (lower scores are better): two-sided,
    /// one-sided (superiority), non-inferiority or equivalence (TOST); the last two need
    /// --margin.
    #[arg(long, default_value = "two-sided", value_name = "NAME")]
    hypothesis: String,
    /// The non-inferiority or equivalence margin: in score points (`--margin 2`) or as a
    /// standardised difference, times the instrument's reference SD (`--margin d=0.3`).
    #[arg(long, value_name = "POINTS|d=X", allow_hyphen_values = true)]
    margin: Option<String>,
    /// Also search the smallest n per arm reaching this power (per analysis).
    #[arg(long)]
    target_power: Option<f64>,
    /// Largest n per arm the --target-power search tries.
    #[arg(long, default_value_t = 2000)]
    max_n: u64,
    /// Assessments besides intake and end: every-session, pre-post or sessions:1,4,8,12.
    #[arg(long, default_value = "every-session")]
    schedule: String,
    /// Dropouts' missing scores: completers, available or locf.
    #[arg(long, default_value = "available")]
    missing: String,
    /// Write the first K simulated trial datasets of each design point (long CSV).
    #[arg(long, default_value_t = 0, value_name = "K")]
    emit_datasets: u64,
    /// Output directory (created if missing; a non-empty one needs --force).
    #[arg(long, default_value = "power")]
    out: PathBuf,
    /// Write into a non-empty output directory (bordin's own files there are replaced).
    #[arg(long)]
    force: bool,
    /// Seed (overrides run.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Override a scenario key (as for run; repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Uncertain scenario key: each replicate draws its value from DIST, a number or a
    /// distribution as in scenario files, e.g. 'arms[1].technique_potency={ type =
    /// "normal", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }'; power becomes assurance
    /// (repeatable).
    #[arg(long = "assume", value_name = "PATH=DIST")]
    assume: Vec<String>,
    #[command(flatten)]
    posterior: super::PosteriorArgs,
    /// Print nothing but errors, and draw no progress bar (drawn on stderr only when it is a
    /// terminal).
    #[arg(long, short)]
    quiet: bool,
}

impl PowerArgs {
    /// Runs the power analysis and prints its table.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let req = power::PowerFlags {
            scenario: self.scenario,
            n_per_arm: self.n_per_arm,
            therapists_per_arm: self.therapists_per_arm,
            reps: self.reps,
            analysis: self.analysis,
            alpha: self.alpha,
            hypothesis: self.hypothesis,
            margin: self.margin,
            target_power: self.target_power,
            max_n: self.max_n,
            schedule: self.schedule,
            missing: self.missing,
            emit_datasets: self.emit_datasets,
            out: self.out,
            force: self.force,
            seed: self.seed,
            threads: self.threads,
            set: self.set,
            assume: self.assume,
            posterior: self.posterior.posterior,
            draws: self.posterior.draws,
            command_line: std::env::args().collect(),
        }
        .request()?;
        let bar = Progress::start(
            "power",
            req.planned_patients(),
            progress::wanted(self.quiet),
        );
        let report = power::run(&req);
        bar.finish();
        let report = report?;
        if !self.quiet {
            print!("{}", report.table);
            println!(
                "wrote {} files to {} in {:.2} s on {} thread(s)",
                report.files.len(),
                report.out.display(),
                report.wall_seconds,
                report.threads
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
