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

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::reader::{self, Entry, Node, Seg, Table, Value, fmt_num};
use crate::error::{Error, Result};
use crate::io::{self, AtomicFile, FileRecord, num};
use crate::model::attendance::Ending;
use crate::model::treatment::ArmKind;
use crate::plot::{PowerChart, PowerPoint, PowerSeries};
use crate::random::distribution::Dist;
use crate::random::{Entity, Purpose, Streams, TraitDraws, stream_id};
use crate::scenario::Scenario;
use crate::sim::engine::{self, CollectSink, RunOptions};
use crate::stats::lmm::{RandomTerm, fit_lmm};
use crate::stats::longitudinal::{growth_design, three_level};
use crate::stats::ols::{HcType, ols};
use crate::stats::{Design, cohens_d, dist};

/// The scenario `bordin power` uses when none is given: `configs/power_two_arm.toml`.
pub const DEFAULT_POWER_SCENARIO: &str = include_str!("../../configs/power_two_arm.toml");

/// Smallest number of patients per arm accepted.
pub const MIN_N_PER_ARM: u64 = 4;

/// The files `bordin power` writes at the top of its output directory.
pub const POWER_FILES: &[&str] = &[
    "power.csv",
    "replicates.csv",
    "target.csv",
    "power.svg",
    "power.png",
    "manifest.json",
];

/// The hidden name `power.png` is rendered to before it is renamed into place.
const PNG_TMP: &str = ".power.tmp.png";

/// Subdirectory of the trial datasets written by `--emit-datasets`.
pub const DATASET_DIR: &str = "datasets";

/// Loads a scenario file (or [`DEFAULT_POWER_SCENARIO`] when `path` is `None`) with `--set`
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

/// An analysis of a simulated trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Analysis {
    /// `end ~ intake + treat` by OLS, HC3 standard errors, t on n - 3 df.
    Ancova,
    /// `end ~ intake + treat + (1 | therapist)` by REML, Satterthwaite df.
    LmmEndpoint,
    /// `score ~ time * treat + (1 + time | patient) + (1 + time | therapist)` by REML; the
    /// effect is `T x (time:treat)` at the end week T, Satterthwaite df.
    LmmLongitudinal,
}

impl Analysis {
    /// Every analysis, in output order.
    pub const ALL: [Analysis; 3] = [
        Analysis::Ancova,
        Analysis::LmmEndpoint,
        Analysis::LmmLongitudinal,
    ];

    /// The name used on the command line and in the output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Analysis::Ancova => "ancova",
            Analysis::LmmEndpoint => "lmm-endpoint",
            Analysis::LmmLongitudinal => "lmm-longitudinal",
        }
    }

    /// Parses a comma-separated list (`ancova,lmm-endpoint,lmm-longitudinal`); duplicates are
    /// dropped and the order is the canonical one.
    ///
    /// # Errors
    /// [`Error::Usage`] for an empty list or an unknown name.
    pub fn parse_list(s: &str) -> Result<Vec<Analysis>> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim) {
            let a = Analysis::ALL
                .into_iter()
                .find(|a| a.as_str() == item)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--analysis: unknown analysis `{item}`; expected a comma-separated list of {}",
                        Analysis::ALL.map(Analysis::as_str).join(", ")
                    ))
                })?;
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// Which scores are collected, besides intake and the end assessment that every patient is
/// scheduled for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Schedule {
    /// The pre-session score of every session.
    EverySession,
    /// Intake and end only.
    PrePost,
    /// The pre-session scores of these sessions (1-based, increasing).
    Sessions(Vec<u32>),
}

impl Schedule {
    /// Parses `every-session`, `pre-post` or `sessions:1,4,8,12`.
    ///
    /// # Errors
    /// [`Error::Usage`] for anything else.
    pub fn parse(s: &str) -> Result<Schedule> {
        let bad = || {
            Error::Usage(format!(
                "--schedule: `{s}` is not a schedule; expected every-session, pre-post or sessions:LIST (e.g. sessions:1,4,8,12: positive session numbers)"
            ))
        };
        match s.trim() {
            "every-session" => Ok(Schedule::EverySession),
            "pre-post" => Ok(Schedule::PrePost),
            other => {
                let list = other.strip_prefix("sessions:").ok_or_else(bad)?;
                let mut v = list
                    .split(',')
                    .map(|x| x.trim().parse::<u32>().ok().filter(|&t| t >= 1))
                    .collect::<Option<Vec<u32>>>()
                    .ok_or_else(bad)?;
                v.sort_unstable();
                v.dedup();
                Ok(Schedule::Sessions(v))
            }
        }
    }

    /// Whether session `t` is scheduled.
    pub fn has_session(&self, t: u32) -> bool {
        match self {
            Schedule::EverySession => true,
            Schedule::PrePost => false,
            Schedule::Sessions(v) => v.binary_search(&t).is_ok(),
        }
    }

    /// The name as given on the command line.
    pub fn label(&self) -> String {
        match self {
            Schedule::EverySession => "every-session".into(),
            Schedule::PrePost => "pre-post".into(),
            Schedule::Sessions(v) => format!(
                "sessions:{}",
                v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

/// How dropouts' missing scores are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Missing {
    /// Only patients with an end assessment (all their observed scores).
    Completers,
    /// Every observed score of every patient (endpoint analyses: as completers, since the
    /// endpoint is missing for dropouts; the growth model uses dropouts' earlier scores).
    Available,
    /// Last observation carried forward to every scheduled assessment that was missed.
    Locf,
}

impl Missing {
    /// Parses `completers`, `available` or `locf`.
    ///
    /// # Errors
    /// [`Error::Usage`] for anything else.
    pub fn parse(s: &str) -> Result<Missing> {
        match s.trim() {
            "completers" => Ok(Missing::Completers),
            "available" => Ok(Missing::Available),
            "locf" => Ok(Missing::Locf),
            other => Err(Error::Usage(format!(
                "--missing: `{other}` is not a missing-data rule; expected completers, available or locf"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Completers => "completers",
            Missing::Available => "available",
            Missing::Locf => "locf",
        }
    }
}

/// Parses `--n-per-arm`: a comma-separated list of patients per arm (sorted, duplicates
/// dropped).
///
/// # Errors
/// [`Error::Usage`] for an empty list, a non-integer or a value below [`MIN_N_PER_ARM`].
pub fn parse_n_list(s: &str) -> Result<Vec<u64>> {
    let mut v = Vec::new();
    for item in s.split(',').map(str::trim) {
        match item.parse::<u64>() {
            Ok(n) if (MIN_N_PER_ARM..=1_000_000).contains(&n) => v.push(n),
            _ => {
                return Err(Error::Usage(format!(
                    "--n-per-arm: `{item}` is not a number of patients per arm; expected a comma-separated list of integers from {MIN_N_PER_ARM} to 1000000, e.g. --n-per-arm 20,40,60"
                )));
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Where `--assume` draws come from: the `extra` word of their random streams, so they never
/// share a stream with the engine.
const ASSUME_STREAM: u64 = 0x4153_5355_4D45;

/// The source name of the scenario re-read at each replicate with its drawn values.
const ASSUME_SOURCE: &str = "scenario with --assume values";

/// An example for the error messages of `--assume`.
const ASSUME_EXAMPLE: &str = "--assume 'arms[1].technique_potency={ type = \"normal\", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }'";

/// One `--assume PATH=DIST`: a scenario key whose value is uncertain. Every replicate draws its
/// own value from the prior `dist` and simulates the scenario with it, so the share of
/// replicates that reject estimates the expected power over the prior (assurance).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assumption {
    /// The key path, normalised (`arms[1].technique_potency`).
    pub path: String,
    /// The prior.
    pub dist: Dist,
}

impl Assumption {
    /// Parses `PATH=DIST`. DIST is a number (a fixed value) or a distribution written as in
    /// scenario files: `{ type = "normal", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }`,
    /// `{ type = "uniform", min = 0.03, max = 0.11 }`, or a beta, lognormal or mixture (read by
    /// the scenario's own distribution reader).
    ///
    /// # Errors
    /// [`Error::Usage`] naming `--assume` and what is wrong.
    pub fn parse(text: &str) -> Result<Assumption> {
        let usage = |m: String| Error::Usage(format!("--assume {text}: {m}"));
        let Some((path, dist)) = text.split_once('=') else {
            return Err(usage(format!("expected PATH=DIST, e.g. {ASSUME_EXAMPLE}")));
        };
        let segs = reader::parse_path(path.trim()).ok_or_else(|| {
            usage(format!(
                "`{}` is not a key path: expected keys joined by dots, with [i] for array elements, e.g. arms[1].technique_potency",
                path.trim()
            ))
        })?;
        let path = reader::path_string(&segs);
        if matches!(segs.first(), Some(Seg::Key(k)) if k == "run") {
            return Err(usage(format!(
                "`{path}` is set by bordin power itself (--seed, --n-per-arm, --reps); put the prior on an arm, pool, population or mechanism parameter"
            )));
        }
        if dist.trim().is_empty() {
            return Err(usage(format!(
                "no distribution after `=`; e.g. {ASSUME_EXAMPLE}"
            )));
        }
        let node = reader::parse_override_value(dist.trim(), text);
        let wrapper = Node {
            loc: node.loc.clone(),
            value: Value::Table(vec![Entry {
                key: "prior".into(),
                key_loc: node.loc.clone(),
                node,
            }]),
        };
        let ctx = reader::Ctx::default();
        let table = Table::detached(&ctx, Vec::new(), &wrapper);
        let dist = table.dist(
            "prior",
            Dist::Fixed { value: f64::NAN },
            f64::NEG_INFINITY,
            f64::INFINITY,
            "the prior of --assume",
        );
        table.finish();
        let (errors, _, _) = ctx.into_parts();
        if !errors.is_empty() {
            let problems = errors
                .iter()
                .map(|e| {
                    let sub = e.path.strip_prefix("prior").unwrap_or(&e.path);
                    let sub = sub.trim_start_matches('.');
                    let message = e.message.replace(" in [-inf, inf]", "");
                    if sub.is_empty() {
                        message
                    } else {
                        format!("`{sub}`: {message}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(usage(format!("{problems} (e.g. {ASSUME_EXAMPLE})")));
        }
        Ok(Assumption { path, dist })
    }

    /// The smallest and largest values the prior can draw. A normal (or lognormal) without
    /// bounds reaches 8.5 SDs either side at most: no 53-bit uniform maps further.
    pub fn support(&self) -> (f64, f64) {
        fn support(d: &Dist) -> (f64, f64) {
            match d {
                Dist::Fixed { value } => (*value, *value),
                Dist::Normal { mean, sd, min, max } => (
                    (mean - 8.5 * sd).clamp(*min, *max),
                    (mean + 8.5 * sd).clamp(*min, *max),
                ),
                Dist::Uniform { min, max } | Dist::Beta { min, max, .. } => (*min, *max),
                Dist::Lognormal {
                    meanlog,
                    sdlog,
                    min,
                    max,
                } => (
                    (meanlog - 8.5 * sdlog).exp().clamp(*min, *max),
                    (meanlog + 8.5 * sdlog).exp().clamp(*min, *max),
                ),
                Dist::Mixture { components } => components
                    .iter()
                    .map(|(_, d)| support(d))
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (c, d)| {
                        (a.min(c), b.max(d))
                    }),
            }
        }
        support(&self.dist)
    }

    /// The value replicate `replicate` draws under `seed`: from the replicate's own random
    /// stream for this key path, so it depends on neither the thread count, the design point,
    /// the hypothesis nor the other `--assume` flags.
    pub fn draw(&self, seed: u64, replicate: u64) -> f64 {
        let key = stream_id(&self.path.bytes().map(u64::from).collect::<Vec<_>>());
        let stream = Streams::new(seed).stream(
            replicate,
            Entity::Replicate,
            key,
            Purpose::Traits,
            ASSUME_STREAM,
        );
        self.dist.sample(&mut TraitDraws::new(stream).source(0))
    }

    /// Short form for tables and charts, e.g. `arms[1].technique_potency ~ normal(0.07, 0.02)`.
    pub fn describe(&self) -> String {
        let (lo, hi) = self.support();
        match self.dist {
            Dist::Fixed { value } => format!("{} = {}", self.path, fmt_num(value)),
            Dist::Uniform { .. } => format!("{} ~ {}", self.path, self.dist.describe()),
            _ => format!(
                "{} ~ {} in [{}, {}]",
                self.path,
                self.dist.describe(),
                fmt_num(lo),
                fmt_num(hi)
            ),
        }
    }
}

/// Everything that determines the results of a power analysis (besides the scenario).
#[derive(Clone, Debug, Serialize)]
pub struct PowerSettings {
    /// Design points: patients per arm.
    pub n_per_arm: Vec<u64>,
    /// Therapists per arm (each arm's pool size); `None`: as in the scenario.
    pub therapists_per_arm: Option<u32>,
    /// Replicates per design point (and per hypothesis).
    pub reps: u64,
    pub analyses: Vec<Analysis>,
    /// Two-sided significance level; intervals are at level 1 - alpha.
    pub alpha: f64,
    /// Search the smallest n per arm reaching this power.
    pub target_power: Option<f64>,
    /// Upper limit of that search.
    pub max_n: u64,
    pub schedule: Schedule,
    pub missing: Missing,
    /// Trial datasets written per design point (the first K replicates).
    pub emit_datasets: u64,
    /// Priors over scenario keys (`--assume`): power becomes assurance.
    pub assume: Vec<Assumption>,
}

impl Default for PowerSettings {
    fn default() -> Self {
        PowerSettings {
            n_per_arm: vec![20, 40, 60],
            therapists_per_arm: None,
            reps: 1000,
            analyses: Analysis::ALL.to_vec(),
            alpha: 0.05,
            target_power: None,
            max_n: 2000,
            schedule: Schedule::EverySession,
            missing: Missing::Available,
            emit_datasets: 0,
            assume: Vec::new(),
        }
    }
}

impl PowerSettings {
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`Error::Usage`] with the offending flag.
    pub fn validate(&self) -> Result<()> {
        let usage = |m: String| Err(Error::Usage(m));
        if self.n_per_arm.is_empty() {
            return usage("--n-per-arm: give at least one number of patients per arm".into());
        }
        if let Some(&n) = self.n_per_arm.iter().find(|&&n| n < MIN_N_PER_ARM) {
            return usage(format!(
                "--n-per-arm: {n} is too small; expected at least {MIN_N_PER_ARM} patients per arm"
            ));
        }
        if self.reps < 2 {
            return usage(format!(
                "--reps: {} is too few; expected at least 2 replicates (power is a share of replicates)",
                self.reps
            ));
        }
        if self.therapists_per_arm == Some(0) {
            return usage("--therapists-per-arm: expected at least 1 therapist per arm".into());
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return usage(format!(
                "--alpha: {} is not a significance level; expected a value between 0 and 1, e.g. 0.05",
                self.alpha
            ));
        }
        if let Some(t) = self.target_power
            && !(t > 0.0 && t < 1.0)
        {
            return usage(format!(
                "--target-power: {t} is not a power; expected a value between 0 and 1, e.g. 0.8"
            ));
        }
        let max_grid = self.n_per_arm.iter().max().copied().unwrap_or(0);
        if self.target_power.is_some() && self.max_n < max_grid {
            return usage(format!(
                "--max-n: {} is below the largest --n-per-arm ({max_grid})",
                self.max_n
            ));
        }
        if self.analyses.is_empty() {
            return usage("--analysis: give at least one analysis".into());
        }
        for (i, a) in self.assume.iter().enumerate() {
            if self.assume[..i].iter().any(|b| b.path == a.path) {
                return usage(format!(
                    "--assume: `{}` is given twice; give one prior per key",
                    a.path
                ));
            }
        }
        if self.analyses.contains(&Analysis::LmmLongitudinal) {
            let sessions = match &self.schedule {
                Schedule::PrePost => false,
                Schedule::Sessions(v) => !v.is_empty(),
                Schedule::EverySession => true,
            };
            if !sessions {
                return usage("--analysis lmm-longitudinal needs scores between intake and the end (random slopes per patient need at least three assessments): use --schedule every-session or sessions:LIST".into());
            }
        }
        Ok(())
    }
}

/// The trial as given (`effect`) or with the arms made equivalent (`null`: the treatment arm's
/// parameters and therapist pool copied into the control arm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Hypothesis {
    Effect,
    Null,
}

impl Hypothesis {
    pub fn as_str(self) -> &'static str {
        match self {
            Hypothesis::Effect => "effect",
            Hypothesis::Null => "null",
        }
    }
}

/// One scheduled assessment of a patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Occasion {
    /// `None`: intake or the end assessment; `Some(t)`: before session t.
    pub session: Option<u32>,
    /// `intake`, `session` or `end`.
    pub kind: &'static str,
    /// Week after intake.
    pub week: u32,
    /// The measured score; `None` when the assessment was missed.
    pub score: Option<f64>,
}

/// One randomised patient as a trial observes them.
#[derive(Clone, Debug)]
pub struct PatientData {
    /// Patient index in the replicate.
    pub patient: u64,
    /// 1 in the treatment (second) arm.
    pub treat: bool,
    /// Index into [`TrialData::therapist_ids`] of the first therapist (`None`: waitlist).
    pub therapist: Option<usize>,
    pub intake: f64,
    pub ending: Ending,
    /// Scheduled assessments in time order: intake, sessions, end.
    pub occasions: Vec<Occasion>,
}

impl PatientData {
    pub fn dropped_out(&self) -> bool {
        self.ending == Ending::DroppedOut
    }

    /// The observed end score.
    pub fn end(&self) -> Option<f64> {
        self.occasions.last().and_then(|o| o.score)
    }

    /// The last observed score (carried forward).
    fn last_observed(&self) -> f64 {
        self.occasions
            .iter()
            .rev()
            .find_map(|o| o.score)
            .unwrap_or(self.intake)
    }
}

/// One simulated trial.
#[derive(Clone, Debug)]
pub struct TrialData {
    pub n_per_arm: u64,
    pub hypothesis: Hypothesis,
    pub replicate: u64,
    /// Control and treatment arm names.
    pub arms: [String; 2],
    /// Therapist identifiers of the replicate (both arms).
    pub therapist_ids: Vec<String>,
    pub patients: Vec<PatientData>,
    /// Mean over the randomised patients of post_score under treatment minus under control.
    pub true_effect: f64,
    /// The week of the end assessment (the later of the two arms'): T of the growth contrast.
    pub end_week: u32,
    /// The values drawn for the `--assume` keys, in their order (empty without).
    pub assumed: Vec<f64>,
}

/// One analysis of one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub analysis: Analysis,
    /// Treatment minus control at the end (NaN when the fit failed).
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
    pub p: f64,
    /// Interval at level 1 - alpha.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Patients in the analysis.
    pub n_analysed: usize,
    /// Why the fit failed.
    pub error: Option<String>,
}

impl Estimate {
    fn failed(analysis: Analysis, n_analysed: usize, error: String) -> Estimate {
        Estimate {
            analysis,
            estimate: f64::NAN,
            se: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            n_analysed,
            error: Some(error),
        }
    }

    /// Significant at `alpha` (a failed fit never is).
    pub fn rejects(&self, alpha: f64) -> bool {
        self.error.is_none() && self.p < alpha
    }
}

/// Everything kept of one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicateResult {
    pub replicate: u64,
    pub true_effect: f64,
    /// Share of randomised patients who dropped out.
    pub dropout: f64,
    /// ICC of the endpoint mixed model (NaN when not fitted or failed).
    pub icc: f64,
    /// Cohen's d of the endpoint scores analysed, treatment minus control.
    pub d: f64,
    /// One per analysis, in the order of the settings.
    pub estimates: Vec<Estimate>,
    /// The values drawn for the `--assume` keys, in their order (empty without).
    pub assumed: Vec<f64>,
}

/// A validated power analysis: the scenario, its two arms, and the settings.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    pub settings: PowerSettings,
    /// With `--assume`: what each replicate needs to re-read the scenario with its draws.
    prior: Option<Prior>,
}

/// The scenario as TOML (values as resolved, defaults that follow other keys left out so that
/// they follow the drawn values too), re-read at each replicate with the drawn values as
/// overrides, and whether each assumed key is an integer (its draws are rounded).
#[derive(Clone, Debug)]
struct Prior {
    base: String,
    integer: Vec<bool>,
}

impl Prior {
    /// Checks the `--assume` keys against the scenario: each must be a number that the scenario
    /// accepts at both ends of its prior.
    fn new(scenario: &Scenario, settings: &PowerSettings) -> Result<Prior> {
        let base = base_toml(scenario);
        let mut integer = Vec::new();
        for a in &settings.assume {
            let usage = |m: String| Error::Usage(format!("--assume {}: {m}", a.path));
            let segs = reader::parse_path(&a.path).expect("a normalised path");
            let resolved = scenario.resolved.iter().find(|r| r.path == segs);
            integer.push(match resolved.map(|r| &r.value) {
                None | Some(toml_edit::Value::Float(_)) => false,
                Some(toml_edit::Value::Integer(_)) => true,
                Some(toml_edit::Value::InlineTable(_)) => {
                    return Err(usage(format!(
                        "`{}` is a distribution (it varies between agents); put the prior on one of its parameters, e.g. {}.mean",
                        a.path, a.path
                    )));
                }
                Some(v) => {
                    let kind = v.type_name();
                    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    return Err(usage(format!(
                        "`{}` is {article} {kind} (`{}`), not a number; --assume draws numbers",
                        a.path,
                        v.to_string().trim()
                    )));
                }
            });
            // A key the scenario does not have (or a parameter of a distribution, which the
            // resolved values do not list one by one): the reader says which.
            if resolved.is_none() {
                let text = format!("{}={:?}", a.path, a.dist.nominal_mean());
                if let Err(e) = Scenario::parse(&base, ASSUME_SOURCE, &[text]) {
                    let why: Vec<String> = e
                        .diagnostics
                        .iter()
                        .map(|d| format!("{}: {}", d.path, d.message))
                        .collect();
                    return Err(usage(format!(
                        "not a numeric key of the scenario: {}",
                        why.join("; ")
                    )));
                }
            }
        }
        let prior = Prior { base, integer };
        // Every value a prior can draw must give a valid scenario: try both ends of each (the
        // keys read ranges are intervals, so the ends stand for the values between).
        for (k, a) in settings.assume.iter().enumerate() {
            let (lo, hi) = a.support();
            for x in [lo, hi] {
                let text = prior.override_text(k, a, x);
                let checked = Scenario::parse(&prior.base, ASSUME_SOURCE, &[text])
                    .map_err(|e| {
                        e.diagnostics
                            .iter()
                            .map(|d| format!("{}: {}", d.path, d.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .and_then(|sc| adapt(&sc, settings).map_err(|e| e.to_string()));
                if let Err(why) = checked {
                    let what = if lo == hi {
                        format!("the value {}", fmt_num(x))
                    } else {
                        format!("the prior {} reaches {}", a.dist.describe(), fmt_num(x))
                    };
                    return Err(Error::Usage(format!(
                        "--assume {}: {what}, which the scenario does not accept ({why}); keep the prior inside the key's range (bound it with `min` and `max`)",
                        a.path,
                    )));
                }
            }
        }
        Ok(prior)
    }

    /// The `--set` form of a drawn value (integers rounded; floats written to round-trip).
    fn override_text(&self, k: usize, a: &Assumption, x: f64) -> String {
        if self.integer[k] {
            format!("{}={}", a.path, x.round() as i64)
        } else {
            format!("{}={x:?}", a.path)
        }
    }
}

/// The scenario as TOML that reads back to the same scenario, with the defaults that follow
/// other keys (the arms' sessions follow `design.planned_sessions`, an instrument's cut-off its
/// preset) left out wherever leaving them out gives the same value, so that they follow a drawn
/// value too. Falls back to every value written out if that would not read back the same.
fn base_toml(sc: &Scenario) -> String {
    use crate::config::render::to_toml;
    let full = to_toml(&sc.resolved, "", false);
    let target = crate::scenario::resolved_toml(sc);
    let reads_back = |text: &str| {
        Scenario::parse(text, ASSUME_SOURCE, &[])
            .is_ok_and(|s| crate::scenario::resolved_toml(&s) == target)
    };
    // Every derived default left out: the values they take then.
    let slim: Vec<_> = sc.resolved.iter().filter(|r| !r.derived).cloned().collect();
    let Ok(defaults) = Scenario::parse(&to_toml(&slim, "", false), ASSUME_SOURCE, &[]) else {
        return full;
    };
    let following = |r: &reader::Resolved| {
        r.derived
            && defaults
                .resolved
                .iter()
                .find(|d| d.path == r.path)
                .is_some_and(|d| d.value.to_string() == r.value.to_string())
    };
    let kept: Vec<_> = sc
        .resolved
        .iter()
        .filter(|r| !following(r))
        .cloned()
        .collect();
    let base = to_toml(&kept, "", false);
    if reads_back(&base) { base } else { full }
}

/// The scenario checked and fitted to a power analysis: exactly two arms (control first,
/// treatment second), `--therapists-per-arm` applied, allocation 1:1, one engine replicate.
fn adapt(scenario: &Scenario, settings: &PowerSettings) -> Result<Scenario> {
    let sc = scenario;
    if sc.arms.len() != 2 {
        return Err(Error::Usage(format!(
            "bordin power needs a scenario with exactly two arms (the first is the control, the second the treatment); scenario \"{}\" has {}: {}",
            sc.name,
            sc.arms.len(),
            sc.arms
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut sc = sc.clone();
    if sc.arms[1].kind == ArmKind::Waitlist && sc.arms[0].kind == ArmKind::Therapy {
        return Err(Error::Usage(format!(
            "the second arm is the treatment, but `{}` is a waitlist and the control `{}` a therapy: swap the arms in the scenario",
            sc.arms[1].name, sc.arms[0].name
        )));
    }
    if let Some(k) = settings.therapists_per_arm {
        match (sc.arms[0].pool, sc.arms[1].pool) {
            (Some(a), Some(b)) if a == b => {
                return Err(Error::Usage(format!(
                    "--therapists-per-arm: both arms draw therapists from the pool `{}`, so therapists are crossed with arms; give each arm its own [[therapist_pools]] entry (therapists nested in arms), or leave --therapists-per-arm out to keep the crossed design",
                    sc.therapist_pools[a].name
                )));
            }
            _ => {}
        }
        for arm in &sc.arms {
            if let Some(p) = arm.pool {
                sc.therapist_pools[p].therapists = k;
            }
        }
    }
    for arm in &mut sc.arms {
        arm.allocation = 1.0;
    }
    sc.run.replicates = 1;
    Ok(sc)
}

/// The scenario of a design point: `n` patients per arm, under a hypothesis.
fn design_scenario(sc: &Scenario, n: u64, hypothesis: Hypothesis) -> Scenario {
    let mut sc = match hypothesis {
        Hypothesis::Effect => sc.clone(),
        Hypothesis::Null => null_scenario(sc),
    };
    sc.run.patients = 2 * n;
    sc
}

impl Plan {
    /// Checks that the scenario has exactly two arms (control first, treatment second) and that
    /// `--therapists-per-arm` can apply, and fixes the allocation at 1:1 and the pool sizes;
    /// checks the `--assume` keys against the scenario.
    ///
    /// # Errors
    /// [`Error::Usage`] for a scenario that does not fit, or bad settings.
    pub fn new(scenario: &Scenario, settings: &PowerSettings) -> Result<Plan> {
        settings.validate()?;
        let sc = adapt(scenario, settings)?;
        let prior = if settings.assume.is_empty() {
            None
        } else {
            Some(Prior::new(scenario, settings)?)
        };
        Ok(Plan {
            scenario: sc,
            settings: settings.clone(),
            prior,
        })
    }

    /// The scenario simulated for `n` patients per arm under a hypothesis (without the
    /// `--assume` draws, which differ by replicate).
    pub fn scenario_for(&self, n: u64, hypothesis: Hypothesis) -> Scenario {
        design_scenario(&self.scenario, n, hypothesis)
    }

    /// The values replicate `replicate` draws for the `--assume` keys, in their order (integer
    /// keys rounded); empty without `--assume`. The same at every n and for both hypotheses.
    pub fn assumed_values(&self, replicate: u64) -> Vec<f64> {
        let Some(prior) = &self.prior else {
            return Vec::new();
        };
        let seed = self.scenario.run.seed;
        self.settings
            .assume
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let x = a.draw(seed, replicate);
                if prior.integer[k] { x.round() } else { x }
            })
            .collect()
    }

    /// The scenario replicate `replicate` simulates: `sc` (the design point's) or, with
    /// `--assume`, the scenario re-read with the replicate's draws.
    fn replicate_scenario<'a>(
        &self,
        sc: &'a Scenario,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<(Cow<'a, Scenario>, Vec<f64>)> {
        let Some(prior) = &self.prior else {
            return Ok((Cow::Borrowed(sc), Vec::new()));
        };
        let values = self.assumed_values(replicate);
        let overrides: Vec<String> = self
            .settings
            .assume
            .iter()
            .enumerate()
            .map(|(k, a)| prior.override_text(k, a, values[k]))
            .collect();
        let drawn = Scenario::parse(&prior.base, ASSUME_SOURCE, &overrides)?;
        let drawn = adapt(&drawn, &self.settings)?;
        Ok((Cow::Owned(design_scenario(&drawn, n, hypothesis)), values))
    }

    /// Simulates replicate `replicate` of the design point whose scenario is `sc`.
    fn simulate_replicate(
        &self,
        sc: &Scenario,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<TrialData> {
        let (sc, assumed) = self.replicate_scenario(sc, n, hypothesis, replicate)?;
        let mut data = self.simulate_scenario(&sc, n, hypothesis, replicate)?;
        data.assumed = assumed;
        Ok(data)
    }

    fn record_sessions(&self) -> bool {
        self.settings.schedule != Schedule::PrePost
    }

    /// Simulates replicate `replicate` of the trial with `n` patients per arm.
    ///
    /// # Errors
    /// As [`engine::run`].
    pub fn simulate(&self, n: u64, hypothesis: Hypothesis, replicate: u64) -> Result<TrialData> {
        let sc = self.scenario_for(n, hypothesis);
        self.simulate_replicate(&sc, n, hypothesis, replicate)
    }

    fn simulate_scenario(
        &self,
        sc: &Scenario,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<TrialData> {
        let opts = RunOptions {
            counterfactual: true,
            record_sessions: self.record_sessions(),
            ..RunOptions::default()
        };
        let mut sink = CollectSink::default();
        engine::run(sc, &opts, replicate..replicate + 1, &mut sink)?;
        let (_, pools, outcomes) = sink.replicates.pop().expect("one replicate was run");
        let mut offsets = Vec::with_capacity(pools.len());
        let mut therapist_ids = Vec::new();
        for pool in &pools {
            offsets.push(therapist_ids.len());
            therapist_ids.extend(pool.iter().map(|t| t.id.clone()));
        }
        let end_week = sc.end_week(&sc.arms[0]).max(sc.end_week(&sc.arms[1]));
        let mut effect_sum = 0.0;
        let patients = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| {
                effect_sum += o.potential[1].post_score - o.potential[0].post_score;
                let arm = &sc.arms[o.arm];
                let c = &o.course;
                let dropped = c.ending == Ending::DroppedOut;
                let mut occasions = vec![Occasion {
                    session: None,
                    kind: "intake",
                    week: 0,
                    score: Some(c.intake_score),
                }];
                for t in (1..=arm.sessions).filter(|&t| self.settings.schedule.has_session(t)) {
                    occasions.push(Occasion {
                        session: Some(t),
                        kind: "session",
                        week: sc.design.session_week(t),
                        score: c
                            .sessions
                            .iter()
                            .find(|r| r.session == t)
                            .map(|r| r.symptom_score),
                    });
                }
                occasions.push(Occasion {
                    session: None,
                    kind: "end",
                    week: sc.end_week(arm),
                    score: (!dropped).then_some(c.post_score),
                });
                PatientData {
                    patient: i as u64,
                    treat: o.arm == 1,
                    therapist: match (arm.pool, o.therapist) {
                        (Some(p), Some(t)) => Some(offsets[p] + t as usize),
                        _ => None,
                    },
                    intake: c.intake_score,
                    ending: c.ending,
                    occasions,
                }
            })
            .collect::<Vec<_>>();
        Ok(TrialData {
            n_per_arm: n,
            hypothesis,
            replicate,
            arms: [sc.arms[0].name.clone(), sc.arms[1].name.clone()],
            therapist_ids,
            true_effect: effect_sum / patients.len().max(1) as f64,
            patients,
            end_week,
            assumed: Vec::new(),
        })
    }

    /// Fits every analysis of the settings to one simulated trial.
    pub fn analyse(&self, data: &TrialData) -> ReplicateResult {
        let alpha = self.settings.alpha;
        let endpoint = EndpointData::new(data, self.settings.missing);
        let mut icc = f64::NAN;
        let estimates = self
            .settings
            .analyses
            .iter()
            .map(|&a| match a {
                Analysis::Ancova => endpoint.ancova(alpha),
                Analysis::LmmEndpoint => {
                    let (e, i) = endpoint.lmm(alpha);
                    icc = i;
                    e
                }
                Analysis::LmmLongitudinal => growth(data, self.settings.missing, alpha),
            })
            .collect();
        let arm = |treated: bool| -> Vec<f64> {
            endpoint
                .end
                .iter()
                .zip(&endpoint.treat)
                .filter(|&(_, &tr)| (tr == 1.0) == treated)
                .map(|(&y, _)| y)
                .collect()
        };
        let (t, c) = (arm(true), arm(false));
        ReplicateResult {
            replicate: data.replicate,
            true_effect: data.true_effect,
            dropout: data.patients.iter().filter(|p| p.dropped_out()).count() as f64
                / data.patients.len().max(1) as f64,
            icc,
            d: cohens_d(&t, &c).map_or(f64::NAN, |e| e.cohens_d),
            estimates,
            assumed: data.assumed.clone(),
        }
    }

    /// Simulates and analyses one replicate.
    ///
    /// # Errors
    /// As [`Plan::simulate`].
    pub fn replicate(
        &self,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<ReplicateResult> {
        Ok(self.analyse(&self.simulate(n, hypothesis, replicate)?))
    }

    /// Simulates and analyses replicates `0..reps` of one design point in parallel (rayon),
    /// in replicate order; also returns the datasets of the first `keep` replicates.
    ///
    /// # Errors
    /// As [`Plan::simulate`].
    pub fn design_point(
        &self,
        n: u64,
        hypothesis: Hypothesis,
        keep: u64,
    ) -> Result<(Vec<ReplicateResult>, Vec<TrialData>)> {
        let sc = self.scenario_for(n, hypothesis);
        let out: Vec<(ReplicateResult, Option<TrialData>)> = (0..self.settings.reps)
            .into_par_iter()
            .map(|r| {
                let data = self.simulate_replicate(&sc, n, hypothesis, r)?;
                let res = self.analyse(&data);
                Ok((res, (r < keep).then_some(data)))
            })
            .collect::<Result<_>>()?;
        let mut results = Vec::with_capacity(out.len());
        let mut datasets = Vec::new();
        for (r, d) in out {
            results.push(r);
            datasets.extend(d);
        }
        Ok((results, datasets))
    }
}

/// The scenario with the arms made equivalent: the control arm takes every parameter of the
/// treatment arm (keeping its name), and its therapists are drawn from the treatment pool's
/// distributions (the control's own pool keeps its name and size; a waitlist control gets a new
/// pool like the treatment's; a shared pool stays shared).
pub fn null_scenario(sc: &Scenario) -> Scenario {
    let mut null = sc.clone();
    let mut arm = sc.arms[1].clone();
    arm.name = sc.arms[0].name.clone();
    arm.allocation = sc.arms[0].allocation;
    if let Some(tp) = sc.arms[1].pool {
        match sc.arms[0].pool {
            Some(cp) if cp == tp => {}
            Some(cp) => {
                let own = &sc.therapist_pools[cp];
                null.therapist_pools[cp] = crate::model::therapist::TherapistPool {
                    name: own.name.clone(),
                    therapists: own.therapists,
                    ..sc.therapist_pools[tp].clone()
                };
                arm.pool = Some(cp);
                arm.pool_name = Some(own.name.clone());
            }
            None => {
                let mut name = format!("{}_null", sc.therapist_pools[tp].name);
                while null.therapist_pools.iter().any(|p| p.name == name) {
                    name.push('_');
                }
                null.therapist_pools
                    .push(crate::model::therapist::TherapistPool {
                        name: name.clone(),
                        ..sc.therapist_pools[tp].clone()
                    });
                arm.pool = Some(null.therapist_pools.len() - 1);
                arm.pool_name = Some(name);
            }
        }
    }
    null.arms[0] = arm;
    null
}

/// The endpoint data set of a trial under a missing-data rule.
struct EndpointData {
    end: Vec<f64>,
    intake: Vec<f64>,
    treat: Vec<f64>,
    therapist: Vec<Option<usize>>,
}

impl EndpointData {
    fn new(data: &TrialData, missing: Missing) -> EndpointData {
        let mut d = EndpointData {
            end: Vec::new(),
            intake: Vec::new(),
            treat: Vec::new(),
            therapist: Vec::new(),
        };
        for p in &data.patients {
            let end = match (p.end(), missing) {
                (Some(y), _) => y,
                (None, Missing::Locf) => p.last_observed(),
                (None, _) => continue,
            };
            d.end.push(end);
            d.intake.push(p.intake);
            d.treat.push(if p.treat { 1.0 } else { 0.0 });
            d.therapist.push(p.therapist);
        }
        d
    }

    fn design(&self) -> Design {
        Design::intercept(self.end.len())
            .with("intake", self.intake.clone())
            .with("treat", self.treat.clone())
    }

    fn ancova(&self, alpha: f64) -> Estimate {
        let n = self.end.len();
        match ols(&self.end, &self.design()) {
            Ok(fit) => {
                let c = &fit.robust(HcType::HC3)[2];
                estimate(Analysis::Ancova, c.estimate, c.se, c.df, n, alpha)
            }
            Err(e) => Estimate::failed(Analysis::Ancova, n, e.to_string()),
        }
    }

    /// The endpoint mixed model and its ICC.
    fn lmm(&self, alpha: f64) -> (Estimate, f64) {
        let n = self.end.len();
        // Therapists, then a singleton group for each patient without one (waitlist).
        let mut codes: BTreeMap<usize, usize> = BTreeMap::new();
        for t in self.therapist.iter().flatten() {
            let next = codes.len();
            codes.entry(*t).or_insert(next);
        }
        let mut next = codes.len();
        let groups: Vec<usize> = self
            .therapist
            .iter()
            .map(|t| match t {
                Some(t) => codes[t],
                None => {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        let fit = fit_lmm(
            &self.end,
            &self.design(),
            &[RandomTerm::intercept("therapist", &groups)],
        );
        match fit {
            Ok(fit) => {
                let c = &fit.coefs[2];
                (
                    estimate(Analysis::LmmEndpoint, c.estimate, c.se, c.df, n, alpha),
                    fit.icc().unwrap_or(f64::NAN),
                )
            }
            Err(e) => (
                Estimate::failed(Analysis::LmmEndpoint, n, e.to_string()),
                f64::NAN,
            ),
        }
    }
}

/// The three-level growth model; the effect is T x (time:treat), T the end week.
fn growth(data: &TrialData, missing: Missing, alpha: f64) -> Estimate {
    let (mut score, mut time, mut treat, mut patient, mut therapist) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut codes: BTreeMap<usize, usize> = BTreeMap::new();
    let mut n_patients = 0;
    for p in &data.patients {
        if missing == Missing::Completers && p.end().is_none() {
            continue;
        }
        let th = p.therapist.map(|t| {
            let next = codes.len();
            *codes.entry(t).or_insert(next)
        });
        let mut last = p.intake;
        for o in &p.occasions {
            let y = match (o.score, missing) {
                (Some(y), _) => y,
                (None, Missing::Locf) => last,
                (None, _) => continue,
            };
            last = y;
            score.push(y);
            time.push(f64::from(o.week));
            treat.push(if p.treat { 1.0 } else { 0.0 });
            patient.push(Some(n_patients));
            therapist.push(th);
        }
        n_patients += 1;
    }
    let x = growth_design(&time, &treat, "treat");
    let patient_codes: Vec<usize> = patient.iter().flatten().copied().collect();
    match three_level(&score, &time, &x, &patient_codes, &therapist) {
        Ok(fit) => {
            let t_end = f64::from(data.end_week);
            match fit.contrast("treat_at_end", &[0.0, 0.0, 0.0, t_end]) {
                Ok(c) => estimate(
                    Analysis::LmmLongitudinal,
                    c.estimate,
                    c.se,
                    c.df,
                    n_patients,
                    alpha,
                ),
                Err(e) => Estimate::failed(Analysis::LmmLongitudinal, n_patients, e.to_string()),
            }
        }
        Err(e) => Estimate::failed(Analysis::LmmLongitudinal, n_patients, e.to_string()),
    }
}

/// An estimate with its t test and 1 - alpha interval.
fn estimate(analysis: Analysis, est: f64, se: f64, df: f64, n: usize, alpha: f64) -> Estimate {
    if !(est.is_finite() && se.is_finite() && se > 0.0 && df > 0.0) {
        return Estimate::failed(
            analysis,
            n,
            format!("non-finite estimate, standard error or df ({est}, {se}, {df})"),
        );
    }
    let q = dist::t_quantile(1.0 - alpha / 2.0, df);
    Estimate {
        analysis,
        estimate: est,
        se,
        df,
        p: dist::t_two_sided_p(est / se, df),
        ci_low: est - q * se,
        ci_high: est + q * se,
        n_analysed: n,
        error: None,
    }
}

/// Summary of one design point and analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PowerRow {
    pub n_per_arm: u64,
    pub analysis: Analysis,
    /// Share of replicates significant at alpha (failed fits count as not significant).
    pub power: f64,
    /// sqrt(power (1 - power) / reps).
    pub power_mc_se: f64,
    /// Wilson 95% interval of the power.
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Rejection rate with the arms made equivalent (NaN when not simulated).
    pub type1: f64,
    pub type1_mc_se: f64,
    /// Mean of estimate - true effect over the replicates fitted.
    pub bias: f64,
    /// Share of fitted replicates whose interval covers their true effect.
    pub coverage: f64,
    pub mean_estimate: f64,
    /// Mean of the replicates' true effects.
    pub true_effect: f64,
    pub dropout: f64,
    pub icc: f64,
    pub d: f64,
    /// Mean standard error, and the standard deviation of the estimates (they should agree).
    pub mean_se: f64,
    pub sd_estimate: f64,
    /// Monte Carlo standard error of the bias.
    pub bias_mc_se: f64,
    pub reps: u64,
    /// Fits that failed (effect design).
    pub failed: u64,
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs.iter().copied());
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// Wilson score interval of a proportion (95%).
pub fn wilson(p: f64, n: u64) -> (f64, f64) {
    let n = n as f64;
    let z = dist::norm_quantile(0.975);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Summarises one analysis (index `k` of the settings' analyses) of a design point.
pub fn summarise(
    n: u64,
    k: usize,
    effect: &[ReplicateResult],
    null: Option<&[ReplicateResult]>,
    alpha: f64,
) -> PowerRow {
    let reps = effect.len() as u64;
    let share = |rs: &[ReplicateResult]| {
        rs.iter().filter(|r| r.estimates[k].rejects(alpha)).count() as f64 / rs.len() as f64
    };
    let mc = |p: f64, n: usize| (p * (1.0 - p) / n as f64).sqrt();
    let power = share(effect);
    let (lo, hi) = wilson(power, reps);
    let ok: Vec<&ReplicateResult> = effect
        .iter()
        .filter(|r| r.estimates[k].error.is_none())
        .collect();
    let errors: Vec<f64> = ok
        .iter()
        .map(|r| r.estimates[k].estimate - r.true_effect)
        .collect();
    let ests: Vec<f64> = ok.iter().map(|r| r.estimates[k].estimate).collect();
    let (type1, type1_mc_se) = match null {
        Some(rs) => {
            let t = share(rs);
            (t, mc(t, rs.len()))
        }
        None => (f64::NAN, f64::NAN),
    };
    PowerRow {
        n_per_arm: n,
        analysis: effect
            .first()
            .map_or(Analysis::Ancova, |r| r.estimates[k].analysis),
        power,
        power_mc_se: mc(power, effect.len()),
        power_ci_low: lo,
        power_ci_high: hi,
        type1,
        type1_mc_se,
        bias: mean(errors.iter().copied()),
        bias_mc_se: sd(&errors) / (errors.len() as f64).sqrt(),
        coverage: mean(ok.iter().map(|r| {
            let e = &r.estimates[k];
            f64::from(u8::from(
                e.ci_low <= r.true_effect && r.true_effect <= e.ci_high,
            ))
        })),
        mean_estimate: mean(ests.iter().copied()),
        true_effect: mean(effect.iter().map(|r| r.true_effect)),
        dropout: mean(effect.iter().map(|r| r.dropout)),
        icc: mean(effect.iter().map(|r| r.icc).filter(|x| x.is_finite())),
        d: mean(effect.iter().map(|r| r.d).filter(|x| x.is_finite())),
        mean_se: mean(ok.iter().map(|r| r.estimates[k].se)),
        sd_estimate: sd(&ests),
        reps,
        failed: reps - ok.len() as u64,
    }
}

/// The replicates of one design point.
#[derive(Clone, Debug)]
pub struct DesignPoint {
    pub n_per_arm: u64,
    pub effect: Vec<ReplicateResult>,
    /// `None` for points evaluated only by the target-power search.
    pub null: Option<Vec<ReplicateResult>>,
    /// Files of the datasets written, per hypothesis and replicate.
    pub datasets: BTreeMap<(Hypothesis, u64), String>,
}

/// The outcome of the search for the smallest n per arm reaching the target power.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetResult {
    pub analysis: Analysis,
    pub target_power: f64,
    /// The smallest n per arm found (the largest tried when not reached).
    pub n_per_arm: u64,
    pub power: f64,
    pub power_mc_se: f64,
    pub reached: bool,
}

/// Everything a power analysis produced.
#[derive(Clone, Debug)]
pub struct PowerResults {
    pub points: BTreeMap<u64, DesignPoint>,
    pub rows: Vec<PowerRow>,
    pub targets: Vec<TargetResult>,
}

/// Runs the whole analysis: the design points, then the target-power search. `write_dataset`
/// receives the datasets to emit (and returns their file names).
///
/// # Errors
/// As [`Plan::design_point`] and `write_dataset`.
pub fn compute(
    plan: &Plan,
    mut write_dataset: impl FnMut(&TrialData) -> Result<String>,
) -> Result<PowerResults> {
    let s = &plan.settings;
    let mut points: BTreeMap<u64, DesignPoint> = BTreeMap::new();
    let mut eval =
        |n: u64, with_null: bool, points: &mut BTreeMap<u64, DesignPoint>| -> Result<()> {
            if points.contains_key(&n) {
                return Ok(());
            }
            let mut datasets = BTreeMap::new();
            let (effect, data) = plan.design_point(n, Hypothesis::Effect, s.emit_datasets)?;
            for d in &data {
                datasets.insert((d.hypothesis, d.replicate), write_dataset(d)?);
            }
            let null = if with_null {
                let (null, data) = plan.design_point(n, Hypothesis::Null, s.emit_datasets)?;
                for d in &data {
                    datasets.insert((d.hypothesis, d.replicate), write_dataset(d)?);
                }
                Some(null)
            } else {
                None
            };
            points.insert(
                n,
                DesignPoint {
                    n_per_arm: n,
                    effect,
                    null,
                    datasets,
                },
            );
            Ok(())
        };
    for &n in &s.n_per_arm {
        eval(n, true, &mut points)?;
    }
    let mut targets = Vec::new();
    if let Some(target) = s.target_power {
        for (k, &a) in s.analyses.iter().enumerate() {
            let power_at = |points: &BTreeMap<u64, DesignPoint>, n: u64| {
                let e = &points[&n].effect;
                e.iter().filter(|r| r.estimates[k].rejects(s.alpha)).count() as f64 / e.len() as f64
            };
            // Bracket: lo fails (or is below the smallest n allowed), hi reaches the target.
            let mut lo = MIN_N_PER_ARM - 1;
            let mut hi = None;
            for &n in points.keys() {
                if power_at(&points, n) >= target {
                    hi = Some(n);
                    break;
                }
                lo = n;
            }
            if hi.is_none() {
                let mut n = lo.max(MIN_N_PER_ARM);
                while n < s.max_n {
                    n = (2 * n).min(s.max_n);
                    eval(n, false, &mut points)?;
                    if power_at(&points, n) >= target {
                        hi = Some(n);
                        break;
                    }
                    lo = n;
                }
            }
            let result = match hi {
                Some(mut hi) => {
                    while hi - lo > 1 {
                        let mid = lo + (hi - lo) / 2;
                        eval(mid, false, &mut points)?;
                        if power_at(&points, mid) >= target {
                            hi = mid;
                        } else {
                            lo = mid;
                        }
                    }
                    (hi, true)
                }
                None => (lo, false),
            };
            let p = power_at(&points, result.0);
            targets.push(TargetResult {
                analysis: a,
                target_power: target,
                n_per_arm: result.0,
                power: p,
                power_mc_se: (p * (1.0 - p) / s.reps as f64).sqrt(),
                reached: result.1,
            });
        }
    }
    let mut rows = Vec::new();
    for (&n, pt) in &points {
        for k in 0..s.analyses.len() {
            rows.push(summarise(n, k, &pt.effect, pt.null.as_deref(), s.alpha));
        }
    }
    Ok(PowerResults {
        points,
        rows,
        targets,
    })
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
    pub command_line: Vec<String>,
}

impl PowerFlags {
    /// Parses the flags and loads the scenario.
    ///
    /// # Errors
    /// [`Error::Usage`] for a bad flag value; scenario errors.
    pub fn request(&self) -> Result<PowerRequest> {
        let settings = PowerSettings {
            n_per_arm: parse_n_list(&self.n_per_arm)?,
            therapists_per_arm: self.therapists_per_arm,
            reps: self.reps,
            analyses: Analysis::parse_list(&self.analysis)?,
            alpha: self.alpha,
            target_power: self.target_power,
            max_n: self.max_n,
            schedule: Schedule::parse(&self.schedule)?,
            missing: Missing::parse(&self.missing)?,
            emit_datasets: self.emit_datasets,
            assume: self
                .assume
                .iter()
                .map(|a| Assumption::parse(a))
                .collect::<Result<_>>()?,
        };
        settings.validate()?;
        let mut set = self.set.clone();
        if let Some(s) = self.seed {
            set.push(format!("run.seed={s}"));
        }
        let scenario = load_scenario(self.scenario.as_deref(), &set)?;
        Ok(PowerRequest {
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

/// The file name of a dataset, relative to the output directory.
pub fn dataset_name(n: u64, hypothesis: Hypothesis, replicate: u64) -> String {
    format!(
        "{DATASET_DIR}/n{n:04}_{}_rep{replicate:04}.csv",
        hypothesis.as_str()
    )
}

/// Runs a power analysis and writes its output directory.
///
/// # Errors
/// Usage errors (flags, the scenario's arms, a non-empty output directory) and write failures.
pub fn run(req: &PowerRequest) -> Result<PowerReport> {
    if req.threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    let plan = Plan::new(&req.scenario, &req.settings)?;
    io::prepare_dir(&req.out, req.force)?;
    remove_stale(&req.out)?;
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    let start = Instant::now();
    let mut files = Vec::new();
    let results = pool.install(|| {
        compute(&plan, |d| {
            let name = dataset_name(d.n_per_arm, d.hypothesis, d.replicate);
            files.push(write_dataset(&req.out, &name, d)?);
            Ok(name)
        })
    })?;
    files.push(write_power_csv(&req.out, &results.rows)?);
    files.push(write_replicates_csv(&req.out, &plan, &results)?);
    if plan.settings.target_power.is_some() {
        files.push(write_target_csv(&req.out, &results.targets)?);
    }
    files.extend(write_chart(&req.out, &chart(&plan, &results))?);
    let wall_seconds = start.elapsed().as_secs_f64();
    files.push(write_manifest(req, &plan, &files, threads, wall_seconds)?);
    Ok(PowerReport {
        out: req.out.clone(),
        table: table(&plan, &results),
        files,
        results,
        wall_seconds,
        threads,
    })
}

/// With --force: removes the files an earlier `bordin power` wrote (other files stay).
fn remove_stale(dir: &Path) -> Result<()> {
    let rm = |path: PathBuf| -> Result<()> {
        if path.is_file() {
            fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
        }
        Ok(())
    };
    for name in POWER_FILES {
        rm(dir.join(name))?;
        rm(dir.join(format!(".{name}.tmp")))?;
    }
    rm(dir.join(PNG_TMP))?;
    let ds = dir.join(DATASET_DIR);
    if ds.is_dir() {
        let entries = fs::read_dir(&ds).map_err(|source| Error::Write {
            path: ds.clone(),
            source,
        })?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = name.trim_start_matches('.').starts_with('n')
                && (name.contains("_effect_rep") || name.contains("_null_rep"));
            if ours {
                rm(e.path())?;
            }
        }
    }
    Ok(())
}

const DATASET_COLUMNS: &[&str] = &[
    "patient",
    "arm",
    "treat",
    "therapist_id",
    "occasion",
    "session",
    "week",
    "score",
    "observed",
    "ending",
    "dropped_out",
];

fn write_dataset(out: &Path, name: &str, d: &TrialData) -> Result<FileRecord> {
    let dir = out.join(DATASET_DIR);
    fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let file = name
        .trim_start_matches(&format!("{DATASET_DIR}/"))
        .to_string();
    let mut f = AtomicFile::create(&dir, &file)?;
    f.record(DATASET_COLUMNS)?;
    for p in &d.patients {
        for o in &p.occasions {
            f.record([
                p.patient.to_string(),
                d.arms[usize::from(p.treat)].clone(),
                u8::from(p.treat).to_string(),
                p.therapist
                    .map_or(String::new(), |t| d.therapist_ids[t].clone()),
                o.kind.to_string(),
                o.session.map_or(String::new(), |s| s.to_string()),
                o.week.to_string(),
                o.score.map_or(String::new(), |y| num(y, 6)),
                u8::from(o.score.is_some()).to_string(),
                p.ending.as_str().to_string(),
                u8::from(p.dropped_out()).to_string(),
            ])?;
        }
    }
    let mut rec = f.commit()?;
    rec.file = name.to_string();
    Ok(rec)
}

const POWER_COLUMNS: &[&str] = &[
    "n_per_arm",
    "analysis",
    "power",
    "power_mc_se",
    "type1",
    "bias",
    "coverage",
    "mean_estimate",
    "true_effect",
    "dropout",
    "icc",
    "d",
    "power_ci_low",
    "power_ci_high",
    "type1_mc_se",
    "bias_mc_se",
    "mean_se",
    "sd_estimate",
    "reps",
    "failed",
    "assurance",
];

fn write_power_csv(out: &Path, rows: &[PowerRow]) -> Result<FileRecord> {
    let mut f = AtomicFile::create(out, "power.csv")?;
    f.record(POWER_COLUMNS)?;
    for r in rows {
        f.record([
            r.n_per_arm.to_string(),
            r.analysis.as_str().to_string(),
            num(r.power, 6),
            num(r.power_mc_se, 6),
            num(r.type1, 6),
            num(r.bias, 6),
            num(r.coverage, 6),
            num(r.mean_estimate, 6),
            num(r.true_effect, 6),
            num(r.dropout, 6),
            num(r.icc, 6),
            num(r.d, 6),
            num(r.power_ci_low, 6),
            num(r.power_ci_high, 6),
            num(r.type1_mc_se, 6),
            num(r.bias_mc_se, 6),
            num(r.mean_se, 6),
            num(r.sd_estimate, 6),
            r.reps.to_string(),
            r.failed.to_string(),
            num(r.power, 6),
        ])?;
    }
    f.commit()
}

const REPLICATE_COLUMNS: &[&str] = &[
    "n_per_arm",
    "replicate",
    "analysis",
    "estimate",
    "se",
    "df",
    "p",
    "ci_low",
    "ci_high",
    "dataset",
    "hypothesis",
    "true_effect",
    "reject",
    "n_analysed",
    "dropout",
    "icc",
    "d",
    "error",
];

fn write_replicates_csv(out: &Path, plan: &Plan, res: &PowerResults) -> Result<FileRecord> {
    let alpha = plan.settings.alpha;
    let mut f = AtomicFile::create(out, "replicates.csv")?;
    let assumed = plan.settings.assume.iter().map(|a| a.path.as_str());
    f.record(REPLICATE_COLUMNS.iter().copied().chain(assumed))?;
    for (&n, pt) in &res.points {
        let sets = [
            (Hypothesis::Effect, Some(&pt.effect)),
            (Hypothesis::Null, pt.null.as_ref()),
        ];
        for (h, rs) in sets {
            for r in rs.into_iter().flatten() {
                for e in &r.estimates {
                    let fields = [
                        n.to_string(),
                        r.replicate.to_string(),
                        e.analysis.as_str().to_string(),
                        num(e.estimate, 6),
                        num(e.se, 6),
                        num(e.df, 4),
                        num(e.p, 9),
                        num(e.ci_low, 6),
                        num(e.ci_high, 6),
                        pt.datasets
                            .get(&(h, r.replicate))
                            .cloned()
                            .unwrap_or_default(),
                        h.as_str().to_string(),
                        num(r.true_effect, 6),
                        u8::from(e.rejects(alpha)).to_string(),
                        e.n_analysed.to_string(),
                        num(r.dropout, 6),
                        num(r.icc, 6),
                        num(r.d, 6),
                        e.error.clone().unwrap_or_default(),
                    ];
                    let drawn = r.assumed.iter().map(|&x| num(x, 9));
                    f.record(fields.into_iter().chain(drawn))?;
                }
            }
        }
    }
    f.commit()
}

fn write_target_csv(out: &Path, targets: &[TargetResult]) -> Result<FileRecord> {
    let mut f = AtomicFile::create(out, "target.csv")?;
    f.record([
        "analysis",
        "target_power",
        "n_per_arm",
        "power",
        "power_mc_se",
        "reached",
    ])?;
    for t in targets {
        f.record([
            t.analysis.as_str().to_string(),
            num(t.target_power, 6),
            t.n_per_arm.to_string(),
            num(t.power, 6),
            num(t.power_mc_se, 6),
            u8::from(t.reached).to_string(),
        ])?;
    }
    f.commit()
}

fn write_manifest(
    req: &PowerRequest,
    plan: &Plan,
    files: &[FileRecord],
    threads: usize,
    wall_seconds: f64,
) -> Result<FileRecord> {
    let sc = &plan.scenario;
    let s = &plan.settings;
    let manifest = serde_json::json!({
        "bordin_version": crate::VERSION,
        "command": "power",
        "scenario_name": sc.name,
        "scenario_source": req.scenario_source,
        "seed": sc.run.seed,
        "control_arm": sc.arms[0].name,
        "treatment_arm": sc.arms[1].name,
        "n_per_arm": s.n_per_arm,
        "therapists_per_arm": s.therapists_per_arm,
        "reps": s.reps,
        "analyses": s.analyses.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "alpha": s.alpha,
        "target_power": s.target_power,
        "max_n": s.max_n,
        "schedule": s.schedule.label(),
        "missing": s.missing.as_str(),
        "emit_datasets": s.emit_datasets,
        "assume": s.assume.iter().map(|a| serde_json::json!({
            "path": a.path,
            "prior": a.dist.to_toml().to_string().trim(),
        })).collect::<Vec<_>>(),
        "threads": threads,
        "wall_time_seconds": wall_seconds,
        "command_line": req.command_line,
        "files": files,
        "resolved_scenario": crate::scenario::resolved_toml(&req.scenario),
    });
    let mut f = AtomicFile::create(&req.out, "manifest.json")?;
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    f.raw(text.as_bytes())?;
    f.raw(b"\n")?;
    f.commit()
}

/// The printed table: one line per design point and analysis, then the target search.
pub fn table(plan: &Plan, res: &PowerResults) -> String {
    let s = &plan.settings;
    let sc = &plan.scenario;
    let mut out = String::new();
    let (pct, f2) = (crate::io::table_percent, crate::io::table_2dp);
    // With --assume the power column is the assurance (expected power over the priors).
    let (label, pw) = if s.assume.is_empty() {
        ("power", 6)
    } else {
        ("assurance", 9)
    };
    let _ = writeln!(
        out,
        "{:>5}  {:<16}  {:>pw$}  {:<15}  {:>6}  {:>6}  {:>8}  {:>8}  {:>6}  {:>7}  {:>5}  {:>6}",
        "n/arm",
        "analysis",
        label,
        "95% CI",
        "type I",
        "bias",
        "coverage",
        "estimate",
        "true",
        "dropout",
        "ICC",
        "d"
    );
    for r in &res.rows {
        let _ = writeln!(
            out,
            "{:>5}  {:<16}  {:>pw$}  {:<15}  {:>6}  {:>6}  {:>8}  {:>8}  {:>6}  {:>7}  {:>5}  {:>6}",
            r.n_per_arm,
            r.analysis.as_str(),
            pct(r.power),
            format!("[{}, {}]", pct(r.power_ci_low), pct(r.power_ci_high)),
            pct(r.type1),
            f2(r.bias),
            pct(r.coverage),
            f2(r.mean_estimate),
            f2(r.true_effect),
            pct(r.dropout),
            f2(r.icc),
            f2(r.d)
        );
    }
    for t in &res.targets {
        let _ = writeln!(
            out,
            "target {label} {}: {} {} n = {} per arm ({label} {} +/- {} MC SE)",
            pct(t.target_power),
            t.analysis.as_str(),
            if t.reached {
                "reaches it from"
            } else {
                "does not reach it up to --max-n;"
            },
            t.n_per_arm,
            pct(t.power),
            pct(t.power_mc_se)
        );
    }
    let _ = writeln!(
        out,
        "{}: {} (control) vs {} (treatment), {} replicates per design point, alpha {}, schedule {}, missing {}; effects are {} minus {} on {} (negative: the treatment lowers scores); type I error from the same design with the arms made equivalent.",
        sc.name,
        sc.arms[0].name,
        sc.arms[1].name,
        s.reps,
        s.alpha,
        s.schedule.label(),
        s.missing.as_str(),
        sc.arms[1].name,
        sc.arms[0].name,
        sc.instrument.name
    );
    if !s.assume.is_empty() {
        let _ = writeln!(
            out,
            "assurance = expected power over the priors: each replicate drew {} (replicates.csv has the draws).",
            s.assume
                .iter()
                .map(Assumption::describe)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

/// The power chart's data: one series per analysis, over every n simulated.
pub fn chart(plan: &Plan, res: &PowerResults) -> PowerChart {
    let s = &plan.settings;
    let sc = &plan.scenario;
    let series = s
        .analyses
        .iter()
        .map(|&a| PowerSeries {
            label: a.as_str().to_string(),
            style: Analysis::ALL.iter().position(|&b| b == a).unwrap_or(0),
            points: res
                .rows
                .iter()
                .filter(|r| r.analysis == a)
                .map(|r| PowerPoint {
                    n: r.n_per_arm as f64,
                    power: r.power,
                    power_se: r.power_mc_se,
                    type1: r.type1,
                    type1_se: r.type1_mc_se,
                })
                .collect(),
        })
        .collect();
    let mut subtitle = format!(
        "{} (treatment) vs {} (control) on {}; {} simulated trials per point; schedule {}, missing data {}",
        sc.arms[1].name,
        sc.arms[0].name,
        sc.instrument.name,
        s.reps,
        s.schedule.label(),
        s.missing.as_str()
    );
    if !s.assume.is_empty() {
        let priors: Vec<String> = s.assume.iter().map(Assumption::describe).collect();
        let _ = write!(
            subtitle,
            "\nassurance: each trial draws {}",
            priors.join(", ")
        );
    }
    PowerChart {
        title: sc.name.clone(),
        subtitle,
        panel_title: if s.assume.is_empty() {
            "Power by sample size".into()
        } else {
            "Assurance by sample size".into()
        },
        y_title: if s.assume.is_empty() {
            "Power (share of trials with p < α)".into()
        } else {
            "Assurance (expected power over the priors)".into()
        },
        alpha: s.alpha,
        target: s.target_power.unwrap_or(0.8),
        target_label: match s.target_power {
            Some(t) => format!("target power {t}"),
            None => "power 0.8 (a usual target)".into(),
        },
        series,
    }
}

/// Writes `power.svg` and `power.png` (rendered to a hidden name, then renamed into place).
fn write_chart(out: &Path, c: &PowerChart) -> Result<Vec<FileRecord>> {
    let render_error = |name: &str| {
        let path = out.join(name);
        move |msg: String| Error::Write {
            path,
            source: std::io::Error::other(msg),
        }
    };
    let svg = crate::plot::svg(c).map_err(render_error("power.svg"))?;
    let mut f = AtomicFile::create(out, "power.svg")?;
    f.raw(svg.as_bytes())?;
    let svg_record = f.commit()?;
    let tmp = out.join(PNG_TMP);
    let png = out.join("power.png");
    if let Err(e) = crate::plot::png(c, &tmp).map_err(render_error("power.png")) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let bytes = fs::read(&tmp).map_err(|source| Error::Write {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, &png).map_err(|source| Error::Write {
        path: png.clone(),
        source,
    })?;
    use sha2::Digest as _;
    let png_record = FileRecord {
        file: "power.png".into(),
        rows: 0,
        bytes: bytes.len() as u64,
        sha256: sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    };
    Ok(vec![svg_record, png_record])
}
