//! The command line's arguments: clap structs shaped like the flags, kept in the binary (as
//! ripgrep keeps its `LowArgs`/`HiArgs`); each group's file turns its flags into the library's
//! request and prints the result.

use clap::{Args, Parser, Subcommand};

pub mod calibrate;
pub mod experiment;
pub mod power;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod sweep;
pub mod trace;

/// bordin: agent-based simulation of psychotherapy processes (alliance, ruptures, repair,
/// symptoms, dropout).
#[derive(Parser, Debug)]
#[command(name = "bordin", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; each variant's doc comment is its help line.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario (the embedded default when none is given) and write an output directory.
    Run(run::RunArgs),
    /// Write RUN_DIR/report.html: one self-contained page with the scenario, the per-arm table,
    /// charts (also as SVG and PNG in RUN_DIR/charts/) and three example patients.
    Report(report::ReportArgs),
    /// Check a scenario file and report every problem in it.
    Validate(run::ValidateArgs),
    /// Print the embedded default scenario (every key, with its documentation).
    DefaultScenario,
    /// Run an experiment folder (experiments/NN_name) and write its results table.
    Experiment(experiment::ExperimentArgs),
    /// Run the calibration scenarios and check every published target (exit 0 only when every
    /// confirmed target passes).
    Calibrate(calibrate::CalibrateArgs),
    /// Trace one dyad session by session (alliance, ruptures, repairs, symptoms), optionally
    /// against a second therapist with the same random draws; writes trace.csv, trace.md,
    /// trace.svg and trace.png.
    Trace(trace::TraceArgs),
    /// Simulation-based power analysis of a two-arm trial (first arm: control; second:
    /// treatment): power, type I error, bias and coverage per sample size and analysis.
    Power(power::PowerArgs),
    /// Global sensitivity analysis: Morris screening or Sobol indices of a scenario's outputs
    /// to uncertain parameters, with the simulation's noise beside them (docs/sensitivity.md).
    Sensitivity(sensitivity::SensitivityArgs),
    /// Run a parameter sweep (axes x replicates) into a sweep directory; resumable, and
    /// shardable with --shard I/N or a SLURM job array (docs/sweeps.md).
    Sweep(sweep::SweepArgs),
    /// Merge sweep directories (shards of one sweep) into OUT/sweep.csv, in unit order.
    Merge(sweep::MergeArgs),
    /// Write SLURM scripts for a sweep: a job array, a merge job depending on it, and
    /// submit.sh submitting both.
    Slurm(sweep::SlurmArgs),
}

/// Where a scenario came from, as manifests and reports name it.
pub fn scenario_source(scenario: Option<&std::path::Path>) -> String {
    scenario.map_or("embedded default".into(), |p| p.display().to_string())
}

/// `--posterior FILE|default [--draws K]` of run, experiment, power and sweep.
#[derive(Args, Debug, Clone, Default)]
pub struct PosteriorArgs {
    /// Answer over a calibrated posterior: each replicate simulates the mechanism constants of
    /// one posterior draw (a posterior.csv of `bordin calibrate --posterior`, or `default`, the
    /// shipped configs/posterior/default.csv), so results carry the uncertainty about the model
    /// as well as Monte Carlo error (docs/calibration.md, "Answers over the posterior").
    #[arg(long, value_name = "FILE|default")]
    pub posterior: Option<String>,
    /// With --posterior: use K draws, replicate r taking draw r mod K (default: one draw per
    /// replicate).
    #[arg(long, value_name = "K", requires = "posterior")]
    pub draws: Option<u64>,
}
