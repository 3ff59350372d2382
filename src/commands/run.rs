//! `bordin run`: simulate a scenario and write its output directory (`sessions.csv`,
//! `patients.csv`, `therapists.csv`, `summary.csv` and `manifest.json`).

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::SummaryStats;
use crate::error::Result;
use crate::io::manifest::Manifest;
use crate::io::{CsvSink, FileRecord};
use crate::scenario::Scenario;
use crate::sim::engine::{self, RunOptions};

/// Everything `bordin run` needs.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub scenario: Scenario,
    /// Where the scenario came from (a path, or "embedded default").
    pub scenario_source: String,
    pub out: PathBuf,
    pub force: bool,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    pub counterfactual: bool,
    pub sessions_output: bool,
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
    pub wall_seconds: f64,
    pub threads: usize,
}

/// Runs a scenario and writes its output directory.
///
/// # Errors
/// Usage errors (a non-empty output directory, a bad thread count) and write failures.
pub fn run(req: &RunRequest) -> Result<RunReport> {
    crate::sim::engine::check_threads(req.threads)?;
    crate::io::prepare_dir(&req.out, req.force)?;
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    let start = Instant::now();
    let sc = &req.scenario;
    let opts = RunOptions {
        counterfactual: req.counterfactual,
        record_sessions: req.sessions_output,
        ..RunOptions::default()
    };
    let (files, pooled) = pool.install(|| -> Result<_> {
        let mut sink = CsvSink::create(&req.out, sc, req.sessions_output, req.counterfactual)?;
        engine::run(sc, &opts, 0..sc.run.replicates, &mut sink)?;
        sink.finish()
    })?;
    let wall_seconds = start.elapsed().as_secs_f64();
    let mut files = files;
    files.push(write_manifest(req, &files, threads, wall_seconds)?);
    Ok(RunReport {
        out: req.out.clone(),
        table: crate::io::summary_table(sc, &pooled),
        files,
        pooled,
        wall_seconds,
        threads,
    })
}

fn write_manifest(
    req: &RunRequest,
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
    .write(&req.out, files)
}
