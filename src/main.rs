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
        /// Print nothing but errors (and draw no progress bar).
        #[arg(long, short)]
        quiet: bool,
        /// Also write report.html (charts, per-arm table, example patients) into the output
        /// directory, as `bordin report` does.
        #[arg(long)]
        report: bool,
    },
    /// Write RUN_DIR/report.html: one self-contained page with the scenario, the per-arm table,
    /// charts (also as SVG and PNG in RUN_DIR/charts/) and three example patients.
    Report {
        /// Output directory of `bordin run`.
        run_dir: PathBuf,
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
        #[arg(required_unless_present = "list_statistics")]
        dir: Option<PathBuf>,
        /// Print the statistics an experiment or a calibration target may name (name,
        /// arguments, what each computes) and exit.
        #[arg(long)]
        list_statistics: bool,
        /// A third of the replicates; check bands widened by two Monte Carlo SEs.
        #[arg(long)]
        quick: bool,
        /// Where to write results.csv, results.md and the figures (default: DIR/results).
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
        /// Uncertain scenario key: each replicate draws its value from DIST, a number or a
        /// distribution as in scenario files, e.g. 'arms[1].technique_potency={ type =
        /// "normal", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }'; power becomes assurance
        /// (repeatable).
        #[arg(long = "assume", value_name = "PATH=DIST")]
        assume: Vec<String>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a parameter sweep (axes x replicates) into a sweep directory; resumable, and
    /// shardable with --shard I/N or a SLURM job array (docs/sweeps.md).
    Sweep {
        /// Sweep file (TOML): base, replicates, [[axis]] tables.
        sweep: PathBuf,
        /// Sweep directory (units/, sweep.json, and sweep.csv when complete).
        #[arg(long, default_value = "sweep")]
        out: PathBuf,
        /// Discard the units of another sweep (or other files' claim) in --out.
        #[arg(long)]
        force: bool,
        /// Run shard I of N (1-based): the units k with k mod N = I - 1. Default: from
        /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set, else every unit.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Stop after running this many units (the rest resume on the next run).
        #[arg(long, value_name = "N")]
        max_units: Option<u64>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Merge sweep directories (shards of one sweep) into OUT/sweep.csv, in unit order.
    Merge {
        /// Sweep directories written by `bordin sweep`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write sweep.csv.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write SLURM scripts for a sweep: a job array, a merge job depending on it, and
    /// submit.sh submitting both.
    Slurm {
        /// Sweep file (TOML).
        sweep: PathBuf,
        /// Tasks in the job array (shards).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        array: u32,
        /// SLURM partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task (SLURM format, e.g. 02:00:00).
        #[arg(long)]
        time: Option<String>,
        /// CPUs per task (also the sweep's --threads).
        #[arg(long, default_value_t = 1)]
        cpus: u32,
        /// Sweep directory the jobs write.
        #[arg(long, default_value = "sweep")]
        out: PathBuf,
        /// Where to write sweep.sbatch, merge.sbatch and submit.sh.
        #[arg(long, default_value = "slurm")]
        script_dir: PathBuf,
        /// bordin binary the jobs run (default: this one).
        #[arg(long)]
        bordin: Option<PathBuf>,
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
            let text = e.to_string();
            eprint!("error: {}", bordin::error::printable(&text, true));
            if !text.ends_with('\n') {
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
            report: with_report,
        } => {
            if let Some(s) = seed {
                set.push(format!("run.seed={s}"));
            }
            if let Some(r) = replicates {
                set.push(format!("run.replicates={r}"));
            }
            let sc = bordin::scenario::load(scenario.as_deref(), &set)?;
            let req = bordin::commands::run::RunRequest {
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
            if req.force && req.out.is_dir() {
                // No report of an earlier run may survive beside this run's files.
                bordin::commands::report::remove_outputs(&req.out);
            }
            let progress = bordin::io::progress::Progress::start(
                "run",
                req.scenario.run.replicates * req.scenario.run.patients,
                bordin::io::progress::wanted(quiet),
            );
            let report = bordin::commands::run::run(&req);
            progress.finish();
            let report = report?;
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
            if with_report {
                let r = bordin::commands::report::write(&report.out)?;
                if !quiet {
                    println!("wrote {}", r.path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { run_dir } => {
            let r = bordin::commands::report::write(&run_dir)?;
            for (chart, reason) in &r.skipped {
                eprintln!("note: chart {chart} not drawn: {reason}");
            }
            println!(
                "wrote {} and {} chart files in {}",
                r.path.display(),
                r.charts.len(),
                run_dir.join(bordin::commands::report::CHART_DIR).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { scenario, set } => {
            let sc = bordin::scenario::load(Some(&scenario), &set)?;
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
            let pool = bordin::sim::engine::thread_pool(threads)?;
            let show = bordin::io::progress::wanted(false);
            let progress = bordin::io::progress::Progress::start(
                "calibrate",
                if show {
                    bordin::commands::calibrate::calibration_patients(quick, &set)
                } else {
                    0
                },
                show,
            );
            let results = pool.install(|| {
                bordin::commands::calibrate::calibrate(
                    &bordin::commands::calibrate::CalibrateOptions {
                        quick,
                        overrides: set,
                    },
                )
            });
            progress.finish();
            let results = results?;
            bordin::commands::calibrate::write(&out, &results, quick)?;
            print!("{}", bordin::commands::calibrate::text_table(&results));
            println!(
                "wrote {} and {}",
                out.join("calibration.csv").display(),
                out.join("calibration.md").display()
            );
            Ok(
                if bordin::commands::calibrate::all_confirmed_pass(&results) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                },
            )
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
                print!("{}", bordin::commands::trace::list_text()?);
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(s) = seed {
                set.push(format!("run.seed={s}"));
            }
            let report = bordin::commands::trace::run(&bordin::commands::trace::TraceRequest {
                scenario: bordin::scenario::load(scenario.as_deref(), &set)?,
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
        Command::Experiment {
            dir,
            list_statistics,
            quick,
            out,
        } => {
            // Without --list-statistics, clap has required DIR.
            let Some(dir) = dir.filter(|_| !list_statistics) else {
                print!("{}", bordin::commands::experiment::list_statistics());
                return Ok(ExitCode::SUCCESS);
            };
            let outcome = bordin::commands::experiment::run(&dir, quick)?;
            let out = out.unwrap_or_else(|| dir.join("results"));
            bordin::commands::experiment::write(&out, &outcome)?;
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
        Command::Sweep {
            sweep,
            out,
            force,
            shard,
            threads,
            max_units,
            quiet,
        } => {
            let shard = match shard {
                Some(s) => Some(bordin::commands::sweep::Shard::parse(&s)?),
                None => bordin::commands::sweep::Shard::from_env(|k| std::env::var(k).ok())?,
            };
            let req = bordin::commands::sweep::SweepRequest {
                sweep: bordin::commands::sweep::Sweep::load(&sweep)?,
                out,
                force,
                shard,
                threads,
                max_units,
            };
            let r = bordin::commands::sweep::run(&req)?;
            if !quiet {
                let which = shard.map_or(String::new(), |s| {
                    format!("shard {}/{}: ", s.index + 1, s.count)
                });
                println!(
                    "{which}ran {} unit(s), skipped {} finished, {} left (of {} owned, {} total) in {:.2} s on {} thread(s)",
                    r.ran,
                    r.skipped,
                    r.remaining,
                    r.units_owned,
                    r.units_total,
                    r.wall_seconds,
                    r.threads
                );
                match &r.merged {
                    Some(p) => println!("wrote {}", p.display()),
                    None if r.remaining > 0 => {
                        println!("run the same command again to resume")
                    }
                    None => println!(
                        "merge the shards with: bordin merge {} --out {}",
                        req.out.display(),
                        req.out.display()
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { dirs, out } => {
            let p = bordin::commands::sweep::merge(&dirs, &out)?;
            println!("wrote {}", p.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Slurm {
            sweep,
            array,
            partition,
            time,
            cpus,
            out,
            script_dir,
            bordin,
        } => {
            bordin::commands::sweep::Sweep::load(&sweep)?;
            let exe = match bordin {
                Some(b) => b,
                None => std::env::current_exe().map_err(|source| bordin::Error::Write {
                    path: PathBuf::from("bordin"),
                    source,
                })?,
            };
            let files =
                bordin::commands::sweep::write_slurm(&bordin::commands::sweep::SlurmRequest {
                    sweep_file: sweep,
                    array,
                    partition,
                    time,
                    cpus,
                    out,
                    script_dir,
                    bordin: exe,
                })?;
            for f in &files {
                println!("wrote {}", f.display());
            }
            println!("submit with: {}", files[2].display());
            Ok(ExitCode::SUCCESS)
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
            assume,
            quiet,
        } => {
            let req = bordin::commands::power::PowerFlags {
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
                assume,
                command_line: std::env::args().collect(),
            }
            .request()?;
            let report = bordin::commands::power::run(&req)?;
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
