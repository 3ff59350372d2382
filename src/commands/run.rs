//! `bordin run`: simulate a scenario and write its output directory (`sessions.csv`,
//! `patients.csv`, `therapists.csv`, `summary.csv` and `manifest.json`; with `--posterior`
//! also `draws.csv` and `intervals.csv`; with `--report` the report), as one transaction
//! ([`OutputDir`]) after the disk-space guard.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::SummaryStats;
use crate::analysis::intervals::{self, ReplicateInterval};
use crate::commands::report::{self, ReportOutput};
use crate::error::Result;
use crate::io::manifest::Manifest;
use crate::io::{CsvSink, FileRecord, Mode, OutputDir, Owned};
use crate::scenario::Scenario;
use crate::scenario::posterior::PosteriorDraws;
use crate::sim::engine::{self, RunOptions};

/// The files `bordin run` writes (beside the report's, [`report::is_report_file`]).
pub const RUN_FILES: &[&str] = &[
    "sessions.csv",
    "patients.csv",
    "therapists.csv",
    "summary.csv",
    "manifest.json",
    "draws.csv",
    "intervals.csv",
];

/// A run's outputs: its files and a report's; with `--force` an earlier run's are replaced.
pub const RUN_OUTPUTS: Owned = Owned {
    owns: is_run_file,
    subdirs: &[report::CHART_DIR],
};

fn is_run_file(path: &str) -> bool {
    RUN_FILES.contains(&path) || report::is_report_file(path)
}

/// Everything `bordin run` needs.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub scenario: Scenario,
    /// Where the scenario came from (a path, or "embedded default").
    pub scenario_source: String,
    pub out: PathBuf,
    pub force: bool,
    /// Skip the disk-space guard.
    pub force_large: bool,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    pub counterfactual: bool,
    pub sessions_output: bool,
    /// Also write the report (`report.html` and the charts), in the same transaction.
    pub report: bool,
    /// `--posterior`: each replicate simulates a posterior draw's mechanism constants.
    pub posterior: Option<PosteriorDraws>,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub out: PathBuf,
    pub files: Vec<FileRecord>,
    pub pooled: Vec<SummaryStats>,
    pub table: String,
    /// With `--posterior`: the posterior predictive intervals over replicates, and their
    /// printed table.
    pub intervals: Option<(Vec<ReplicateInterval>, String)>,
    pub wall_seconds: f64,
    pub threads: usize,
    /// The report, with `report`.
    pub report: Option<ReportOutput>,
}

/// Runs a scenario and writes its output directory: refused before it starts when the
/// directory is in use, not empty (without `force`) or its disk too small for the estimated
/// outputs (without `force_large`); the files appear only when all are written.
///
/// # Errors
/// Usage errors (a non-empty or locked output directory, a bad thread count, too little disk
/// space) and write failures.
pub fn run(req: &RunRequest) -> Result<RunReport> {
    crate::sim::engine::check_threads(req.threads)?;
    let out = OutputDir::open(&req.out, RUN_OUTPUTS, Mode::New { force: req.force })?;
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    let sc = &req.scenario;
    let estimate =
        pool.install(|| crate::io::space::estimate(sc, req.sessions_output, req.counterfactual))?;
    crate::io::space::check(out.dir(), &estimate, req.force_large)?;
    let start = Instant::now();
    let dir = out.staging();
    let opts = RunOptions {
        counterfactual: req.counterfactual,
        record_sessions: req.sessions_output,
        ..RunOptions::default()
    };
    let replicates = 0..sc.run.replicates;
    let tables = pool.install(|| -> Result<_> {
        let mut sink = CsvSink::create(dir, sc, req.sessions_output, req.counterfactual)?;
        match &req.posterior {
            None => engine::run(sc, &opts, replicates.clone(), &mut sink)?,
            Some(d) => engine::run_each(&|r| d.scenario(r), &opts, replicates.clone(), &mut sink)?,
        }
        sink.finish()
    })?;
    let mut files = tables.files;
    let intervals = match &req.posterior {
        None => None,
        Some(d) => {
            let arms: Vec<String> = sc.arms.iter().map(|a| a.name.clone()).collect();
            let iv = intervals::over_replicates(&arms, &tables.per_replicate);
            files.push(crate::io::write_draws(dir, d, replicates)?);
            files.push(crate::io::write_intervals(dir, &iv)?);
            let table = crate::io::interval_table(&iv);
            Some((iv, table))
        }
    };
    let wall_seconds = start.elapsed().as_secs_f64();
    files.push(write_manifest(req, dir, &files, threads, wall_seconds)?);
    let report = if req.report {
        Some(report::write_into(dir, dir, &req.out)?)
    } else {
        None
    };
    out.commit()?;
    Ok(RunReport {
        out: req.out.clone(),
        table: crate::io::summary_table(sc, &tables.pooled),
        intervals,
        files,
        pooled: tables.pooled,
        wall_seconds,
        threads,
        report,
    })
}

fn write_manifest(
    req: &RunRequest,
    dir: &Path,
    files: &[FileRecord],
    threads: usize,
    wall_seconds: f64,
) -> Result<FileRecord> {
    let sc = &req.scenario;
    Manifest::new(
        sc,
        &req.scenario_source,
        &req.command_line,
        threads,
        wall_seconds,
    )
    .with("replicates", sc.run.replicates)
    .with("patients_per_replicate", sc.run.patients)
    .with("counterfactual", req.counterfactual)
    .with(
        "sessions_output",
        if req.sessions_output { "all" } else { "none" },
    )
    .with_posterior(req.posterior.as_ref())
    .write(dir, files)
}
