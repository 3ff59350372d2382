//! Simulation-based power analysis of a two-arm trial (`bordin power`).
//!
//! Each replicate simulates a whole trial with the engine (randomisation by permuted blocks,
//! therapists drawn per replicate, balanced caseloads, every patient's course), observes it as
//! a trial would (an assessment schedule; dropouts miss every assessment after they leave,
//! including the end one), handles the missing scores as the analyst chose, and fits each
//! analysis: ANCOVA, the endpoint mixed model and the three-level growth model. Power is the
//! share of replicates whose arm contrast is significant; the same design with the arms made
//! equivalent gives the type I error; potential outcomes (counterfactual runs) give each
//! replicate's true effect, against which bias and coverage are measured. The formulations and
//! decisions are documented in docs/power.md.
//!
//! Conventions: the FIRST arm of the scenario is the control, the SECOND the treatment; every
//! effect is treatment minus control on the instrument's score (negative: the treatment lowers
//! symptoms), Cohen's d included.
//!
//! The files follow the steps: `settings` (the flags checked), `assume` (priors over scenario
//! keys), `design` (the plan, its design points and the target-power search), `simulate` (one
//! trial as a trial observes it), `analyses` (the three analyses), `summary` (power, Monte
//! Carlo errors, the table and the chart) and `output` (the files written).

mod analyses;
mod assume;
mod design;
mod output;
mod report;
mod settings;
mod simulate;
mod summary;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{PowerError, Result};
use crate::io::{FileRecord, Mode, OutputDir};
use crate::scenario::Scenario;
use crate::scenario::posterior::PosteriorDraws;

pub use analyses::{Estimate, ReplicateResult, Starts};
pub use assume::Assumption;
pub use design::{DesignPoint, Plan, PowerResults, TargetResult, compute};
pub use settings::{Analysis, Missing, PowerSettings, Schedule, Test};
pub use simulate::{Hypothesis, Occasion, PatientData, TrialData};
pub use summary::PowerRow;

use output::dataset_name;
use settings::parse_n_list;

/// The scenario `bordin power` uses when none is given: `configs/power_two_arm.toml`.
const DEFAULT_POWER_SCENARIO: &str = include_str!("../../../configs/power_two_arm.toml");

/// Smallest number of patients per arm accepted.
const MIN_N_PER_ARM: u64 = 4;

/// Loads a scenario file (or `configs/power_two_arm.toml` when `path` is `None`) with `--set`
/// overrides.
///
/// # Errors
/// As [`crate::scenario::load`].
pub fn load_scenario(path: Option<&Path>, overrides: &[String]) -> Result<Scenario> {
    match path {
        None => Ok(Scenario::parse(
            DEFAULT_POWER_SCENARIO,
            "embedded power scenario (configs/power_two_arm.toml)",
            overrides,
        )?),
        Some(p) => crate::scenario::load(Some(p), overrides),
    }
}

/// Everything `bordin power` needs.
#[derive(Clone, Debug)]
pub struct PowerRequest {
    pub scenario: Scenario,
    /// Where the scenario came from.
    pub scenario_source: String,
    pub settings: PowerSettings,
    pub out: PathBuf,
    pub force: bool,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// `--posterior`: each replicate's mechanism constants (assurance over the posterior).
    pub posterior: Option<PosteriorDraws>,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// What `bordin power` produced.
#[derive(Clone, Debug)]
pub struct PowerReport {
    pub out: PathBuf,
    pub files: Vec<FileRecord>,
    pub results: PowerResults,
    pub table: String,
    pub wall_seconds: f64,
    pub threads: usize,
}

/// The command-line values of `bordin power`, as given (checked here, not in the CLI).
#[derive(Clone, Debug)]
pub struct PowerFlags {
    pub scenario: Option<PathBuf>,
    pub n_per_arm: String,
    pub therapists_per_arm: Option<u32>,
    pub reps: u64,
    pub analysis: String,
    pub alpha: f64,
    /// `--hypothesis`: two-sided, one-sided, non-inferiority or equivalence.
    pub hypothesis: String,
    /// `--margin POINTS` or `--margin d=X`.
    pub margin: Option<String>,
    pub target_power: Option<f64>,
    pub max_n: u64,
    pub schedule: String,
    pub missing: String,
    pub emit_datasets: u64,
    pub out: PathBuf,
    pub force: bool,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub set: Vec<String>,
    /// `--assume PATH=DIST` (repeatable).
    pub assume: Vec<String>,
    /// `--posterior FILE|default`.
    pub posterior: Option<String>,
    /// `--draws K`.
    pub draws: Option<u64>,
    pub command_line: Vec<String>,
}

impl PowerFlags {
    /// Parses the flags and loads the scenario.
    ///
    /// # Errors
    /// [`PowerError`] for a bad flag value; scenario errors.
    pub fn request(&self) -> Result<PowerRequest> {
        let mut settings = PowerSettings {
            n_per_arm: parse_n_list(&self.n_per_arm)?,
            therapists_per_arm: self.therapists_per_arm,
            reps: self.reps,
            analyses: Analysis::parse_list(&self.analysis)?,
            alpha: self.alpha,
            // Resolved below, once the instrument's SD (for a margin in d) is known.
            hypothesis: Test::TwoSided,
            target_power: self.target_power,
            max_n: self.max_n,
            schedule: Schedule::parse(&self.schedule)?,
            missing: Missing::parse(&self.missing)?,
            emit_datasets: self.emit_datasets,
            assume: self
                .assume
                .iter()
                .map(|a| Assumption::parse(a))
                .collect::<Result<_, PowerError>>()?,
        };
        settings.validate()?;
        let mut set = self.set.clone();
        if let Some(s) = self.seed {
            set.push(format!("run.seed={s}"));
        }
        let scenario = load_scenario(self.scenario.as_deref(), &set)?;
        settings.hypothesis = Test::parse(
            &self.hypothesis,
            self.margin.as_deref(),
            scenario.instrument.sd,
        )?;
        let posterior =
            PosteriorDraws::from_flags(self.posterior.as_deref(), self.draws, &scenario)?;
        Ok(PowerRequest {
            posterior,
            scenario,
            scenario_source: self.scenario.as_ref().map_or(
                "embedded power scenario (configs/power_two_arm.toml)".into(),
                |p| p.display().to_string(),
            ),
            settings,
            out: self.out.clone(),
            force: self.force,
            threads: self.threads,
            command_line: self.command_line.clone(),
        })
    }
}

impl PowerRequest {
    /// The patients the requested design points simulate (both arms, the effect and the null
    /// design, every replicate): the length of the progress bar. The `--target-power` search
    /// adds points beyond it (the bar grows).
    pub fn planned_patients(&self) -> u64 {
        let s = &self.settings;
        s.n_per_arm.iter().map(|n| 2 * 2 * n * s.reps).sum()
    }
}

/// Runs a power analysis and writes its output directory.
///
/// # Errors
/// [`PowerError`] (flags, the scenario's arms), [`crate::Error::OutputNotEmpty`] and write
/// failures.
pub fn run(req: &PowerRequest) -> Result<PowerReport> {
    crate::sim::engine::check_threads(req.threads)?;
    let plan = Plan::new(&req.scenario, &req.settings)?.with_posterior(req.posterior.clone());
    let out = OutputDir::open(
        &req.out,
        output::POWER_OUTPUTS,
        Mode::New { force: req.force },
    )?;
    let dir = out.staging();
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    let start = Instant::now();
    let mut files = Vec::new();
    let results = pool.install(|| {
        compute(&plan, |d| {
            let name = dataset_name(d.n_per_arm, d.hypothesis, d.replicate);
            files.push(output::write_dataset(dir, &name, d)?);
            Ok(name)
        })
    })?;
    files.extend(output::write_results(dir, &plan, &results)?);
    files.extend(output::write_report(
        dir,
        &report::blocks(req, &plan, &results),
    )?);
    let wall_seconds = start.elapsed().as_secs_f64();
    files.push(output::write_manifest(
        req,
        dir,
        &plan,
        &files,
        threads,
        wall_seconds,
    )?);
    out.commit()?;
    Ok(PowerReport {
        out: req.out.clone(),
        table: summary::table(&plan, &results),
        files,
        results,
        wall_seconds,
        threads,
    })
}
