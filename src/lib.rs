//! bordin: an agent-based simulator of psychotherapy processes.
//!
//! Therapists and patients are agents with interpersonal traits. Session by session, each dyad
//! builds a working alliance (bond, goals, tasks: Bordin 1979), meets ruptures (withdrawal or
//! confrontation) and repairs them or fails to; the alliance, ruptures and repairs drive each
//! patient's symptoms, dropout and ending. Many dyads and replicates run in parallel and give
//! outcome distributions under scenarios configured in TOML files.
//!
//! One module per concept: [`therapist`], [`patient`], [`interpersonal`] (complementarity),
//! [`alliance`], [`rupture`] (ruptures, detection, repair), [`symptoms`], [`measures`]
//! (instrument scores, WAI-SR), [`attendance`] (dropout and endings), [`policy`], [`treatment`]
//! (arms and design), [`scenario`], [`course`] (one patient's session loop), [`engine`]
//! (replicates, parallelism, counterfactuals), [`analysis`] and [`output`].
//!
//! ```
//! use bordin::engine::{self, RunOptions};
//!
//! // The embedded default scenario, smaller.
//! let sc = bordin::load_scenario(None, &["run.patients=50".to_string()]).unwrap();
//! let run = engine::collect(&sc, &RunOptions::default()).unwrap();
//! let outcomes = &run.replicates[0].2;
//! assert_eq!(outcomes.len(), 50);
//! let summary = bordin::analysis::summarize(&sc, outcomes);
//! assert!(summary[0].dropout >= 0.0 && summary[0].dropout <= 1.0);
//! ```

pub mod alliance;
pub mod analysis;
pub mod attendance;
pub mod calibration;
pub mod charts;
pub mod course;
pub mod distribution;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod instrument;
pub mod interpersonal;
pub mod measures;
pub mod output;
pub mod patient;
pub mod policy;
pub mod power;
pub mod progress;
pub mod report;
pub mod rng;
pub mod rupture;
pub mod scenario;
pub mod stats;
pub mod sweep;
pub mod symptoms;
pub mod therapist;
pub mod trace;
pub mod treatment;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::{Error, Result, ScenarioError};
pub use scenario::Scenario;

use analysis::SummaryStats;
use engine::RunOptions;
use output::{AtomicFile, CsvSink, FileRecord};

/// The version written into manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Loads a scenario file (or the embedded default when `path` is `None`) and applies `--set`
/// overrides.
///
/// # Errors
/// [`Error::ReadScenario`] when the file cannot be read; [`Error::Scenario`] with every problem
/// of the file otherwise.
pub fn load_scenario(path: Option<&Path>, overrides: &[String]) -> Result<Scenario> {
    match path {
        None => Ok(Scenario::parse(
            scenario::DEFAULT_SCENARIO,
            "embedded default",
            overrides,
        )?),
        Some(p) => {
            let src = std::fs::read_to_string(p).map_err(|source| Error::ReadScenario {
                path: p.to_path_buf(),
                source,
            })?;
            Ok(Scenario::parse(&src, &p.display().to_string(), overrides)?)
        }
    }
}

/// A rayon pool of `threads` workers (`None`: all cores).
///
/// # Errors
/// [`Error::Usage`] for zero threads; [`Error::Threads`] when the pool cannot start.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Threads {
            threads: threads.unwrap_or(0),
            message: e.to_string(),
        })
}

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
    if req.threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    output::prepare_dir(&req.out, req.force)?;
    let pool = crate::thread_pool(req.threads)?;
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
        table: output::summary_table(sc, &pooled),
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
    let manifest = serde_json::json!({
        "bordin_version": VERSION,
        "scenario_name": sc.name,
        "scenario_source": req.scenario_source,
        "seed": sc.run.seed,
        "replicates": sc.run.replicates,
        "patients_per_replicate": sc.run.patients,
        "counterfactual": req.counterfactual,
        "sessions_output": if req.sessions_output { "all" } else { "none" },
        "threads": threads,
        "wall_time_seconds": wall_seconds,
        "command_line": req.command_line,
        "files": files,
        "resolved_scenario": resolved_toml(sc),
    });
    let mut f = AtomicFile::create(&req.out, "manifest.json")?;
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    f.raw(text.as_bytes())?;
    f.raw(b"\n")?;
    f.commit()
}

/// The resolved scenario as TOML: every key with its value, as read (runs again as it is).
pub fn resolved_toml(sc: &Scenario) -> String {
    scenario::render::to_toml(&sc.resolved, "", false)
}
