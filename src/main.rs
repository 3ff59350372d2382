//! The `bordin` command line: parses arguments and delegates to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// bordin: agent-based simulation of psychotherapy processes (alliance, ruptures, repair,
/// symptoms, dropout).
#[derive(Parser, Debug)]
#[command(name = "bordin", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario (the embedded default when none is given) and write an output directory.
    Run {
        /// Scenario file (TOML). Without it, the embedded default scenario runs.
        scenario: Option<PathBuf>,
        /// Output directory (created if missing; a non-empty one needs --force).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Write into a non-empty output directory: bordin's own output files there are replaced,
        /// and those this run does not write are removed; other files are left alone.
        #[arg(long)]
        force: bool,
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
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a scenario file and report every problem in it.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Override a scenario key (as for run).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Print the embedded default scenario (every key, with its documentation).
    DefaultScenario,
    /// Run the calibration scenarios and check every published target (exit 0 only when every
    /// confirmed target passes).
    Calibrate {
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
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SessionsOutput {
    All,
    None,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprint!("error: {e}");
            if !e.to_string().ends_with('\n') {
                eprintln!();
            }
            if e.is_usage() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn execute(cli: Cli) -> bordin::Result<ExitCode> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            force,
            seed,
            replicates,
            threads,
            mut set,
            counterfactual,
            sessions_output,
            quiet,
        } => {
            if let Some(s) = seed {
                set.push(format!("run.seed={s}"));
            }
            if let Some(r) = replicates {
                set.push(format!("run.replicates={r}"));
            }
            let sc = bordin::load_scenario(scenario.as_deref(), &set)?;
            let req = bordin::RunRequest {
                scenario: sc,
                scenario_source: scenario
                    .as_ref()
                    .map_or("embedded default".into(), |p| p.display().to_string()),
                out,
                force,
                threads,
                counterfactual,
                sessions_output: sessions_output == SessionsOutput::All,
                command_line: std::env::args().collect(),
            };
            let report = bordin::run(&req)?;
            if !quiet {
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
        Command::Validate { scenario, set } => {
            let sc = bordin::load_scenario(Some(&scenario), &set)?;
            println!(
                "{}: valid ({} arm(s), {} therapist pool(s), {} population(s), {} patients x {} replicate(s))",
                scenario.display(),
                sc.arms.len(),
                sc.therapist_pools.len(),
                sc.populations.len(),
                sc.run.patients,
                sc.run.replicates
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate {
            quick,
            set,
            out,
            threads,
        } => {
            if threads == Some(0) {
                return Err(bordin::Error::Usage("--threads must be at least 1".into()));
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
                .map_err(|e| bordin::Error::Threads {
                    threads: threads.unwrap_or(0),
                    message: e.to_string(),
                })?;
            let results = pool.install(|| {
                bordin::calibration::calibrate(&bordin::calibration::CalibrateOptions {
                    quick,
                    overrides: set,
                })
            })?;
            bordin::calibration::write(&out, &results, quick)?;
            print!("{}", bordin::calibration::text_table(&results));
            println!(
                "wrote {} and {}",
                out.join("calibration.csv").display(),
                out.join("calibration.md").display()
            );
            Ok(if bordin::calibration::all_confirmed_pass(&results) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::DefaultScenario => {
            print!("{}", bordin::scenario::DEFAULT_SCENARIO);
            Ok(ExitCode::SUCCESS)
        }
    }
}
