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
    /// Run an experiment folder (experiments/NN_name) and write its results table.
    Experiment {
        /// The experiment's folder (holds experiment.toml and its scenarios).
        dir: PathBuf,
        /// A third of the replicates; check bands widened by two Monte Carlo SEs.
        #[arg(long)]
        quick: bool,
        /// Where to write results.csv and results.md (default: DIR/results).
        #[arg(long)]
        out: Option<PathBuf>,
    },
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
    /// Trace one dyad session by session (alliance, ruptures, repairs, symptoms), optionally
    /// against a second therapist with the same random draws; writes trace.csv, trace.md,
    /// trace.svg and trace.png.
    Trace {
        /// Scenario file (TOML); the dyad runs under its first therapy arm. Without it, the
        /// embedded default.
        scenario: Option<PathBuf>,
        /// Therapist: an archetype (see --list), key=value traits, or both
        /// (warm-flexible,fis=1.5). Unset traits: the archetype's, else the pool mean.
        #[arg(long, required_unless_present = "list")]
        therapist: Option<String>,
        /// Patient: an archetype (see --list), key=value traits, or both. Unset traits: the
        /// archetype's, else the first population's mean.
        #[arg(long, required_unless_present = "list")]
        patient: Option<String>,
        /// A second therapist for the same patient with the same random draws (common random
        /// numbers).
        #[arg(long)]
        compare_therapist: Option<String>,
        /// Planned sessions (default: the arm's).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
        sessions: Option<u32>,
        /// Seed (overrides run.seed): the patient's random draws.
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
        seed: Option<u64>,
        /// Override a scenario key (as for run).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
        /// Output directory (a non-empty one needs --force).
        #[arg(long, default_value = "trace")]
        out: PathBuf,
        /// Write into a non-empty output directory.
        #[arg(long)]
        force: bool,
        /// List the therapist and patient archetypes and the trait keys, and exit.
        #[arg(long)]
        list: bool,
    },
    /// Simulation-based power analysis of a two-arm trial (first arm: control; second:
    /// treatment): power, type I error, bias and coverage per sample size and analysis.
    Power {
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
        /// Two-sided significance level (intervals at 1 - alpha).
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
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
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
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
        Command::Trace {
            scenario,
            therapist,
            patient,
            compare_therapist,
            sessions,
            seed,
            mut set,
            out,
            force,
            list,
        } => {
            if list {
                print!("{}", bordin::trace::list_text()?);
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(s) = seed {
                set.push(format!("run.seed={s}"));
            }
            let report = bordin::trace::run(&bordin::trace::TraceRequest {
                scenario: bordin::load_scenario(scenario.as_deref(), &set)?,
                scenario_source: scenario
                    .as_ref()
                    .map_or("embedded default".into(), |p| p.display().to_string()),
                therapist: therapist.unwrap_or_default(),
                patient: patient.unwrap_or_default(),
                compare_therapist,
                sessions,
                out,
                force,
            })?;
            print!("{}", report.text);
            println!(
                "wrote {} files to {}",
                report.files.len(),
                report.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Experiment { dir, quick, out } => {
            let outcome = bordin::experiment::run(&dir, quick)?;
            let out = out.unwrap_or_else(|| dir.join("results"));
            bordin::experiment::write(&out, &outcome)?;
            print!("{}", outcome.markdown());
            println!(
                "\nwrote {} and {}",
                out.join("results.csv").display(),
                out.join("results.md").display()
            );
            Ok(if outcome.all_checks_pass() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::DefaultScenario => {
            print!("{}", bordin::scenario::DEFAULT_SCENARIO);
            Ok(ExitCode::SUCCESS)
        }
        Command::Power {
            scenario,
            n_per_arm,
            therapists_per_arm,
            reps,
            analysis,
            alpha,
            target_power,
            max_n,
            schedule,
            missing,
            emit_datasets,
            out,
            force,
            seed,
            threads,
            set,
            quiet,
        } => {
            let req = bordin::power::PowerFlags {
                scenario,
                n_per_arm,
                therapists_per_arm,
                reps,
                analysis,
                alpha,
                target_power,
                max_n,
                schedule,
                missing,
                emit_datasets,
                out,
                force,
                seed,
                threads,
                set,
                command_line: std::env::args().collect(),
            }
            .request()?;
            let report = bordin::power::run(&req)?;
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
    }
}
