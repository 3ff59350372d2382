//! `bordin run`, `bordin validate` and `bordin default-scenario`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use bordin::commands::run;
use bordin::io::progress::{self, Progress};
use bordin::scenario::posterior::PosteriorDraws;

/// The flags of `bordin run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML). Without it, the embedded default scenario runs.
    scenario: Option<PathBuf>,
    /// Output directory (created if missing; a non-empty one needs --force).
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Write into a non-empty output directory: when this run has succeeded, bordin's own
    /// output files there are replaced, and those this run does not write are removed; other
    /// files are left alone.
    #[arg(long)]
    force: bool,
    /// Run even if the outputs are estimated not to fit in the free disk space.
    #[arg(long)]
    force_large: bool,
    /// Seed (overrides run.seed; 0 to 9223372036854775807, the TOML integer range).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Replicates (overrides run.replicates).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    replicates: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Override a scenario key: --set design.planned_sessions=16 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Also simulate every patient under every arm with common random numbers, and write
    /// potential outcomes.
    #[arg(long)]
    counterfactual: bool,
    /// Write sessions.csv (all) or skip it (none) for very large runs.
    #[arg(long, value_enum, default_value_t = SessionsOutput::All)]
    sessions_output: SessionsOutput,
    /// Print nothing but errors (and draw no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Also write report.html (charts, per-arm table, example patients) into the output
    /// directory, as `bordin report` does.
    #[arg(long)]
    report: bool,
    #[command(flatten)]
    posterior: super::PosteriorArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SessionsOutput {
    All,
    None,
}

impl RunArgs {
    /// Runs the scenario, prints the per-arm table and, with `--report`, writes the report.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let mut set = self.set;
        if let Some(s) = self.seed {
            set.push(format!("run.seed={s}"));
        }
        if let Some(r) = self.replicates {
            set.push(format!("run.replicates={r}"));
        }
        let scenario = bordin::scenario::load(self.scenario.as_deref(), &set)?;
        let posterior = PosteriorDraws::from_flags(
            self.posterior.posterior.as_deref(),
            self.posterior.draws,
            &scenario,
        )?;
        let req = run::RunRequest {
            scenario,
            posterior,
            scenario_source: super::scenario_source(self.scenario.as_deref()),
            out: self.out,
            force: self.force,
            force_large: self.force_large,
            threads: self.threads,
            counterfactual: self.counterfactual,
            sessions_output: self.sessions_output == SessionsOutput::All,
            report: self.report,
            command_line: std::env::args().collect(),
        };
        let progress = Progress::start(
            "run",
            req.scenario.run.replicates * req.scenario.run.patients,
            progress::wanted(self.quiet),
        );
        let done = run::run(&req);
        progress.finish();
        let done = done?;
        if !self.quiet {
            print!("{}", done.table);
            if let (Some((_, table)), Some(d)) = (&done.intervals, &req.posterior) {
                println!(
                    "\nposterior predictive intervals over {} replicates of {} patients (intervals.csv; draws.csv):\n{}",
                    req.scenario.run.replicates,
                    req.scenario.run.patients,
                    d.describe()
                );
                print!("{table}");
            }
            println!(
                "wrote {} files to {} in {:.2} s on {} thread(s)",
                done.files.len(),
                done.out.display(),
                done.wall_seconds,
                done.threads
            );
        }
        if let Some(r) = &done.report
            && !self.quiet
        {
            println!("wrote {}", r.path.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The flags of `bordin validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Override a scenario key (as for run).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl ValidateArgs {
    /// Loads the scenario (every problem is an error) and prints what it holds.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let sc = bordin::scenario::load(Some(&self.scenario), &self.set)?;
        println!(
            "{}: valid ({} arm(s), {} therapist pool(s), {} population(s), {} patients x {} replicate(s))",
            self.scenario.display(),
            sc.arms.len(),
            sc.therapist_pools.len(),
            sc.populations.len(),
            sc.run.patients,
            sc.run.replicates
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// `bordin default-scenario`: prints the embedded default scenario.
pub fn default_scenario() -> ExitCode {
    print!("{}", bordin::scenario::DEFAULT_SCENARIO);
    ExitCode::SUCCESS
}
