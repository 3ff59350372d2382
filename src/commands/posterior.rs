//! `bordin calibrate --posterior [PRIORS.toml]` and `bordin calibrate --targets TARGETS.toml
//! SCENARIO`: calibration to a posterior distribution of parameter sets by ABC-SMC
//! ([`crate::stats::abc`]; Toni et al. 2009, Beaumont et al. 2009), against the confirmed
//! calibration targets (the embedded ones) or the user's own (docs/calibration.md).
//!
//! A proposal θ sets the priors' keys in every scenario the targets use, runs each scenario
//! with `abc.replicates` replicates and the proposal's own seed, and computes every target's
//! statistic (mean over replicates, as `bordin calibrate` does). Its distance is the root mean
//! square over targets of z = (value − band centre) / sqrt(half-width² + SE²): the band's
//! half-width stands for the finding's own uncertainty, and SE is the Monte Carlo SE of the
//! value at this run size, from a pilot run of `abc.pilot_replicates` replicates at the
//! scenarios' own settings (SD over replicates / sqrt(`abc.replicates`)). A target the
//! proposal leaves undefined (no ruptures to repair, say) counts as z = [`UNDEFINED_Z`].
//!
//! Each generation is saved in `OUT/abc/` as soon as it is complete, so a killed calibration
//! resumes after the last complete generation with the same result.
//!
//! Decision (written down here and in docs/calibration.md): ABC-SMC rather than history matching
//! with emulators. With ~14 parameters and ~70 targets an emulator per target is a project of
//! its own, and ABC's accepted particles are the posterior sample the other commands draw from,
//! with no emulator error to account for; a proposal costs about half a second here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::statistics;
use crate::commands::calibrate;
use crate::commands::sensitivity::Parameter;
use crate::error::{Error, PosteriorError, Result};
use crate::io::format::num;
use crate::io::{AtomicFile, Mode, OutputDir, Owned};
use crate::scenario::Scenario;
use crate::stats::abc::{AbcOptions, Evaluation, Generation, Prior, abc_smc_resumable};

/// The embedded default priors (`configs/posterior/priors.toml`).
pub const DEFAULT_PRIORS: &str = include_str!("../../configs/posterior/priors.toml");

/// z of a target the proposal leaves undefined.
pub const UNDEFINED_Z: f64 = 10.0;

/// Targets whose prior-sample correlation with a parameter reaches this are said to move it
/// (about three standard errors of r at 100 particles).
pub const MOVES: f64 = 0.3;

/// The `[abc]` table: the size of the ABC-SMC run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AbcSpec {
    #[serde(default = "default_particles")]
    pub particles: usize,
    #[serde(default = "default_generations")]
    pub generations: usize,
    #[serde(default = "default_quantile")]
    pub quantile: f64,
    #[serde(default = "default_replicates")]
    pub replicates: u64,
    #[serde(default = "default_pilot")]
    pub pilot_replicates: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_budget")]
    pub max_proposals_per_particle: usize,
}

fn default_particles() -> usize {
    150
}
fn default_generations() -> usize {
    4
}
fn default_quantile() -> f64 {
    0.5
}
fn default_replicates() -> u64 {
    2
}
fn default_pilot() -> u64 {
    10
}
fn default_seed() -> u64 {
    1
}
fn default_budget() -> usize {
    40
}

impl Default for AbcSpec {
    fn default() -> Self {
        AbcSpec {
            particles: default_particles(),
            generations: default_generations(),
            quantile: default_quantile(),
            replicates: default_replicates(),
            pilot_replicates: default_pilot(),
            seed: default_seed(),
            max_proposals_per_particle: default_budget(),
        }
    }
}

impl AbcSpec {
    /// The `--quick` size: a smoke test of the whole path (minutes, not an hour).
    fn quick(&self) -> AbcSpec {
        AbcSpec {
            particles: self.particles.min(24),
            generations: self.generations.min(2),
            replicates: 1,
            pilot_replicates: self.pilot_replicates.min(4),
            ..self.clone()
        }
    }

    fn problem(&self) -> Option<String> {
        if self.particles < 2 {
            return Some("`abc.particles` must be at least 2".into());
        }
        if !(self.quantile > 0.0 && self.quantile < 1.0) {
            return Some(format!(
                "`abc.quantile` ({}) must be in (0, 1)",
                self.quantile
            ));
        }
        if self.replicates == 0 {
            return Some("`abc.replicates` must be at least 1".into());
        }
        if self.pilot_replicates < 2 {
            return Some("`abc.pilot_replicates` must be at least 2 (an SD)".into());
        }
        if self.max_proposals_per_particle == 0 {
            return Some("`abc.max_proposals_per_particle` must be at least 1".into());
        }
        None
    }
}

/// A priors file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorsSpec {
    #[serde(default)]
    abc: AbcSpec,
    #[serde(default)]
    parameter: Vec<Parameter>,
}

/// A user's targets file (`--targets`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsSpec {
    target: Vec<UserTarget>,
}

/// A `[[target]]` of a user's targets file: a statistic of the registry and the number it
/// should show, as `value` (with an optional `sd`, its uncertainty) or as a band `lower`,
/// `upper`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserTarget {
    #[serde(default)]
    id: Option<String>,
    statistic: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    sd: Option<f64>,
    #[serde(default)]
    lower: Option<f64>,
    #[serde(default)]
    upper: Option<f64>,
}

/// One target of a calibration: a statistic in a scenario, its band.
#[derive(Clone, Debug, PartialEq)]
pub struct FitTarget {
    pub id: String,
    pub statistic: String,
    /// Index into [`Calibration::scenarios`].
    pub scenario: usize,
    pub lower: f64,
    pub upper: f64,
}

impl FitTarget {
    fn centre(&self) -> f64 {
        (self.lower + self.upper) / 2.0
    }
    fn half_width(&self) -> f64 {
        (self.upper - self.lower) / 2.0
    }
}

/// A scenario the targets use.
#[derive(Clone, Debug)]
pub struct FitScenario {
    pub name: String,
    pub text: String,
}

/// A calibration to a posterior, checked and ready to run.
#[derive(Debug)]
pub struct Calibration {
    /// The priors file as given (`embedded default` for the default).
    pub priors_name: String,
    pub parameters: Vec<Parameter>,
    pub abc: AbcSpec,
    pub scenarios: Vec<FitScenario>,
    pub targets: Vec<FitTarget>,
    /// The user's scenario file (`--targets`), for the fitted scenario.
    pub user_scenario: Option<PathBuf>,
    /// The targets file as named in messages.
    targets_file: String,
    /// Hash of everything the result depends on.
    digest: String,
}

/// What a calibration found.
#[derive(Debug)]
pub struct PosteriorOutcome {
    pub parameters: Vec<Parameter>,
    pub priors: Vec<Prior>,
    pub targets: Vec<FitTarget>,
    pub scenario_names: Vec<String>,
    /// Each target's noise scale sqrt(half-width² + SE²).
    pub scales: Vec<f64>,
    /// Each parameter's value in the scenarios before calibration, when they hold one.
    pub defaults: Vec<Option<f64>>,
    pub generations: Vec<Generation>,
    pub abc: AbcSpec,
    /// The fitted scenario (`--targets`): the user's scenario at the posterior medians.
    pub fitted: Option<String>,
}

/// One parameter's row of the identifiability table.
#[derive(Clone, Debug)]
pub struct Identifiability {
    pub key: String,
    pub default: Option<f64>,
    pub prior_mean: f64,
    pub prior_sd: f64,
    pub mean: f64,
    pub sd: f64,
    pub q05: f64,
    pub q50: f64,
    pub q95: f64,
    /// Targets whose values moved with the parameter over the prior sample: (id, r).
    pub moved_by: Vec<(String, f64)>,
}

impl Identifiability {
    /// Posterior SD / prior SD: near 1, the targets say little about the parameter.
    pub fn sd_ratio(&self) -> f64 {
        self.sd / self.prior_sd
    }
}

fn read(path: &Path) -> Result<String> {
    crate::config::read_text(path).map_err(|source| Error::ReadScenario {
        path: path.to_path_buf(),
        source,
    })
}

impl Calibration {
    /// The embedded calibration: every confirmed, computed target of
    /// `configs/calibration/targets.toml` in its scenario, with the priors of `priors` (the
    /// embedded default when `None`).
    ///
    /// # Errors
    /// [`PosteriorError`] naming the priors file's entry at fault.
    pub fn embedded(priors: Option<&Path>, quick: bool) -> Result<Calibration> {
        let mut names: Vec<String> = Vec::new();
        let mut targets = Vec::new();
        for t in calibrate::targets() {
            if t.confirmed != "yes" || t.statistic.is_empty() {
                continue;
            }
            let scenario = match names.iter().position(|n| *n == t.scenario) {
                Some(i) => i,
                None => {
                    names.push(t.scenario.clone());
                    names.len() - 1
                }
            };
            targets.push(FitTarget {
                id: t.id,
                statistic: t.statistic,
                scenario,
                lower: t.lower,
                upper: t.upper,
            });
        }
        let scenarios = names
            .iter()
            .map(|n| {
                let text = calibrate::SCENARIOS
                    .iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, t)| t.to_string())
                    .expect("targets name embedded scenarios (tested)");
                FitScenario {
                    name: format!("configs/calibration/{n}.toml"),
                    text,
                }
            })
            .collect();
        Calibration::new(priors, quick, scenarios, targets, None, "embedded targets")
    }

    /// A calibration of `scenario` to the targets of the file `targets` (`--targets`).
    ///
    /// # Errors
    /// [`PosteriorError`] naming the file and entry at fault; an unreadable or invalid
    /// scenario.
    pub fn user(
        targets: &Path,
        scenario: &Path,
        priors: Option<&Path>,
        quick: bool,
    ) -> Result<Calibration> {
        let file = targets.display().to_string();
        let text = read(targets)?;
        let spec: TargetsSpec =
            toml_edit::de::from_str(&text).map_err(|e| PosteriorError::Spec {
                file: file.clone(),
                message: e.message().to_string(),
            })?;
        if spec.target.is_empty() {
            return Err(PosteriorError::Spec {
                file,
                message: "no [[target]] (at least one)".into(),
            }
            .into());
        }
        let scenario_text = read(scenario)?;
        Scenario::parse(&scenario_text, &scenario.display().to_string(), &[])?;
        let mut fit = Vec::new();
        for (i, t) in spec.target.iter().enumerate() {
            let id = t.id.clone().unwrap_or_else(|| t.statistic.clone());
            let bad = |message: String| PosteriorError::Target {
                file: file.clone(),
                number: i + 1,
                id: id.clone(),
                message,
            };
            let (lower, upper) = match (t.value, t.sd, t.lower, t.upper) {
                (Some(v), sd, None, None) => {
                    let sd = sd.unwrap_or(0.0);
                    if !(v.is_finite() && sd.is_finite() && sd >= 0.0) {
                        return Err(bad("`value` must be finite and `sd` at least 0".into()).into());
                    }
                    (v - sd, v + sd)
                }
                (None, None, Some(l), Some(u)) => {
                    if !(l.is_finite() && u.is_finite() && l <= u) {
                        return Err(bad(format!(
                            "`lower` ({l}) must not be above `upper` ({u}), both finite"
                        ))
                        .into());
                    }
                    (l, u)
                }
                _ => {
                    return Err(bad(
                        "give `value` (with an optional `sd`) or `lower` and `upper`".into(),
                    )
                    .into());
                }
            };
            if fit.iter().any(|f: &FitTarget| f.id == id) {
                return Err(bad("id named twice (give each target its own `id`)".into()).into());
            }
            fit.push(FitTarget {
                id,
                statistic: t.statistic.clone(),
                scenario: 0,
                lower,
                upper,
            });
        }
        let scenarios = vec![FitScenario {
            name: scenario.display().to_string(),
            text: scenario_text,
        }];
        let mut c = Calibration::new(priors, quick, scenarios, fit, Some(targets), &text)?;
        c.user_scenario = Some(scenario.to_path_buf());
        Ok(c)
    }

    fn new(
        priors: Option<&Path>,
        quick: bool,
        scenarios: Vec<FitScenario>,
        targets: Vec<FitTarget>,
        targets_file: Option<&Path>,
        targets_text: &str,
    ) -> Result<Calibration> {
        let (priors_name, priors_text) = match priors {
            None => (
                "embedded default priors".to_string(),
                DEFAULT_PRIORS.to_string(),
            ),
            Some(p) => (p.display().to_string(), read(p)?),
        };
        let spec: PriorsSpec =
            toml_edit::de::from_str(&priors_text).map_err(|e| PosteriorError::Spec {
                file: priors_name.clone(),
                message: e.message().to_string(),
            })?;
        if spec.parameter.is_empty() {
            return Err(PosteriorError::Spec {
                file: priors_name,
                message: "no [[parameter]] (at least one)".into(),
            }
            .into());
        }
        if let Some(problem) = spec.abc.problem() {
            return Err(PosteriorError::Spec {
                file: priors_name,
                message: problem,
            }
            .into());
        }
        let texts: Vec<(&str, &str)> = scenarios
            .iter()
            .map(|s| (s.name.as_str(), s.text.as_str()))
            .collect();
        for (i, p) in spec.parameter.iter().enumerate() {
            if let Some(message) = p.problem(&spec.parameter[..i], &texts) {
                return Err(PosteriorError::Parameter {
                    file: priors_name,
                    number: i + 1,
                    key: p.key.clone(),
                    message,
                }
                .into());
            }
        }
        let file = targets_file.map_or("embedded targets".into(), |p| p.display().to_string());
        for (i, t) in targets.iter().enumerate() {
            let s = &scenarios[t.scenario];
            let sc = Scenario::parse(&s.text, &s.name, &[])?;
            let empty = statistics::Replicate {
                scenario: &sc,
                therapists: &[],
                outcomes: &[],
            };
            statistics::compute(&t.statistic, &empty)
                .map_err(|e| statistic_error(&file, i, t, e))?;
        }
        let abc = if quick { spec.abc.quick() } else { spec.abc };
        let mut h = format!(
            "{}\0{priors_text}\0{targets_text}\0{abc:?}\0",
            env!("CARGO_PKG_VERSION")
        );
        for s in &scenarios {
            h.push_str(&s.text);
            h.push('\0');
        }
        for t in &targets {
            h.push_str(&format!("{t:?}\0"));
        }
        Ok(Calibration {
            priors_name,
            parameters: spec.parameter,
            abc,
            scenarios,
            targets,
            user_scenario: None,
            targets_file: file,
            digest: crate::io::sha256_hex(h.as_bytes()),
        })
    }

    /// Patients simulated per proposal (every scenario, `abc.replicates` replicates each).
    pub fn patients_per_proposal(&self) -> Result<u64> {
        let mut n = 0;
        for s in &self.scenarios {
            let sc = Scenario::parse(&s.text, &s.name, &[])?;
            n += sc.run.patients * self.abc.replicates;
        }
        Ok(n)
    }

    /// Every target's value (mean over replicates) and per-replicate SD, with `settings`
    /// applied, `replicates` replicates and, when given, the seed `seed`.
    fn simulate(
        &self,
        settings: &[(String, f64)],
        replicates: u64,
        seed: Option<u64>,
    ) -> Result<Vec<(f64, f64)>> {
        let mut out = vec![(f64::NAN, f64::NAN); self.targets.len()];
        for (si, s) in self.scenarios.iter().enumerate() {
            let mut o = vec![format!("run.replicates={replicates}")];
            if let Some(seed) = seed {
                o.push(format!("run.seed={seed}"));
            }
            o.extend(settings.iter().map(|(k, v)| format!("{k}={v:?}")));
            let sc = Scenario::parse(&s.text, &s.name, &o)?;
            let collected = calibrate::simulate(&sc)?;
            for (ti, t) in self.targets.iter().enumerate() {
                if t.scenario != si {
                    continue;
                }
                let (value, se) = calibrate::evaluate(&sc, &collected, &t.statistic)
                    .map_err(|e| statistic_error(&self.targets_file, ti, t, e))?;
                out[ti] = (value, se * (replicates as f64).sqrt());
            }
        }
        Ok(out)
    }

    fn settings(&self, theta: &[f64]) -> Vec<(String, f64)> {
        self.parameters
            .iter()
            .zip(theta)
            .map(|(p, v)| (p.key.clone(), *v))
            .collect()
    }

    /// Each parameter's value in the first scenario that holds it.
    fn defaults(&self) -> Vec<Option<f64>> {
        let parsed: Vec<Scenario> = self
            .scenarios
            .iter()
            .filter_map(|s| Scenario::parse(&s.text, &s.name, &[]).ok())
            .collect();
        self.parameters
            .iter()
            .map(|p| {
                parsed.iter().find_map(|sc| {
                    sc.resolved
                        .iter()
                        .find(|r| crate::config::reader::path_string(&r.path) == p.key)
                        .and_then(|r| {
                            r.value
                                .as_float()
                                .or_else(|| r.value.as_integer().map(|i| i as f64))
                        })
                })
            })
            .collect()
    }

    /// Runs the calibration, saving each generation in `dir/abc/` and resuming from the
    /// generations there. `report` is called with each generation as it completes (index,
    /// generation, whether it was read back rather than run).
    ///
    /// # Errors
    /// `dir` holds another calibration's generations; a run or a file that fails; a
    /// generation that spends its proposal budget.
    pub fn run_in(
        &self,
        dir: &Path,
        mut report: impl FnMut(usize, &Generation, bool),
    ) -> Result<PosteriorOutcome> {
        let want = format!("{{\n  \"sha256\": \"{}\"\n}}\n", self.digest);
        let state = format!("{ABC_DIR}/{STATE_FILE}");
        if !crate::io::claim_work_dir(dir, ABC_DIR, &state, &want)? {
            return Err(PosteriorError::OtherRun(dir.to_path_buf()).into());
        }
        let abc_dir = dir.join(ABC_DIR);
        // The pilot: each target's per-replicate SD at the scenarios' own settings.
        let pilot = self.simulate(&[], self.abc.pilot_replicates, None)?;
        let scales: Vec<f64> = self
            .targets
            .iter()
            .zip(&pilot)
            .map(|(t, (_, sd))| {
                let se = if sd.is_finite() {
                    sd / (self.abc.replicates as f64).sqrt()
                } else {
                    0.0
                };
                (t.half_width().powi(2) + se * se)
                    .sqrt()
                    .max(1e-9 * t.centre().abs().max(1.0))
            })
            .collect();
        let mut done = Vec::new();
        for g in 0..=self.abc.generations {
            let path = abc_dir.join(generation_name(g));
            if !path.exists() {
                break;
            }
            let generation = load_generation(&path, self)?;
            report(g, &generation, true);
            done.push(generation);
        }
        let priors: Vec<Prior> = self.parameters.iter().map(Parameter::prior).collect();
        let opts = AbcOptions {
            particles: self.abc.particles,
            generations: self.abc.generations,
            quantile: self.abc.quantile,
            max_proposals_per_particle: self.abc.max_proposals_per_particle,
            seed: self.abc.seed,
        };
        let mut index = done.len();
        let generations: Vec<Generation> = abc_smc_resumable(
            &priors,
            &opts,
            done,
            |g: &Generation| -> std::result::Result<(), Failure> {
                save_generation(&abc_dir, index, g)?;
                report(index, g, false);
                index += 1;
                Ok(())
            },
            |theta: &[f64], rng| -> std::result::Result<Evaluation, Failure> {
                use rand_chacha::rand_core::Rng;
                let seed = rng.next_u64() >> 16;
                let values =
                    self.simulate(&self.settings(theta), self.abc.replicates, Some(seed))?;
                let summaries: Vec<f64> = values.iter().map(|v| v.0).collect();
                Ok(Evaluation {
                    distance: distance(&self.targets, &scales, &summaries),
                    summaries,
                })
            },
        )
        .map_err(|f| match f {
            Failure::Abc(e) => Error::from(PosteriorError::Abc(e.to_string())),
            Failure::Run(e) => e,
        })?;
        let last = generations.last().expect("generation 0 at least");
        let fitted = match &self.user_scenario {
            None => None,
            Some(path) => {
                let medians: Vec<(String, f64)> = (0..self.parameters.len())
                    .map(|i| (self.parameters[i].key.clone(), last.quantile(i, 0.5)))
                    .collect();
                let o: Vec<String> = medians.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                let s = &self.scenarios[0];
                let sc = Scenario::parse(&s.text, &s.name, &o)?;
                let header = format!(
                    "# {} fitted by `bordin calibrate --targets` (bordin {}): the posterior\n# medians of {}.\n",
                    path.display(),
                    env!("CARGO_PKG_VERSION"),
                    medians
                        .iter()
                        .map(|(k, v)| format!("{k} = {}", num(*v, 4)))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                Some(format!("{header}{}", crate::scenario::resolved_toml(&sc)))
            }
        };
        Ok(PosteriorOutcome {
            parameters: self.parameters.clone(),
            priors,
            targets: self.targets.clone(),
            scenario_names: self.scenarios.iter().map(|s| s.name.clone()).collect(),
            scales,
            defaults: self.defaults(),
            generations,
            abc: self.abc.clone(),
            fitted,
        })
    }
}

/// What stops an ABC run: the engine (a spent budget) or a simulation or file.
enum Failure {
    Abc(crate::stats::StatsError),
    Run(Error),
}

impl From<crate::stats::StatsError> for Failure {
    fn from(e: crate::stats::StatsError) -> Self {
        Failure::Abc(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Run(e)
    }
}

/// Target `i` (0-based) of the targets file `file` whose statistic cannot be computed.
fn statistic_error(file: &str, i: usize, t: &FitTarget, e: statistics::StatisticError) -> Error {
    PosteriorError::Statistic {
        file: file.to_string(),
        number: i + 1,
        id: t.id.clone(),
        source: e.into(),
    }
    .into()
}

/// The distance of simulated target values to their bands: the root mean square of
/// z = (value − centre) / scale, with z = [`UNDEFINED_Z`] for an undefined value.
pub fn distance(targets: &[FitTarget], scales: &[f64], values: &[f64]) -> f64 {
    let sum: f64 = targets
        .iter()
        .zip(scales)
        .zip(values)
        .map(|((t, s), v)| {
            if v.is_finite() {
                ((v - t.centre()) / s).powi(2)
            } else {
                UNDEFINED_Z * UNDEFINED_Z
            }
        })
        .sum();
    (sum / targets.len().max(1) as f64).sqrt()
}

const ABC_DIR: &str = "abc";
const STATE_FILE: &str = "calibration.json";

fn generation_name(g: usize) -> String {
    format!("generation_{g:03}.json")
}

/// A generation as saved (non-finite numbers as `null`).
#[derive(Serialize, Deserialize)]
struct SavedGeneration {
    tolerance: Option<f64>,
    particles: Vec<Vec<f64>>,
    weights: Vec<f64>,
    distances: Vec<f64>,
    summaries: Vec<Vec<Option<f64>>>,
    proposals: usize,
    acceptance_rate: f64,
    ess: f64,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn save_generation(dir: &Path, g: usize, generation: &Generation) -> Result<()> {
    let saved = SavedGeneration {
        tolerance: finite(generation.tolerance),
        particles: generation.particles.clone(),
        weights: generation.weights.clone(),
        distances: generation.distances.clone(),
        summaries: generation
            .summaries
            .iter()
            .map(|s| s.iter().map(|x| finite(*x)).collect())
            .collect(),
        proposals: generation.proposals,
        acceptance_rate: generation.acceptance_rate,
        ess: generation.ess,
    };
    let text = serde_json::to_string(&saved).expect("finite numbers serialise");
    let mut f = AtomicFile::create(dir, &generation_name(g))?;
    f.raw(text.as_bytes())?;
    f.commit()?;
    Ok(())
}

fn load_generation(path: &Path, c: &Calibration) -> Result<Generation> {
    let bad = |message: String| PosteriorError::Saved {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let s: SavedGeneration = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let k = c.parameters.len();
    if s.particles.len() != c.abc.particles
        || s.particles.iter().any(|p| p.len() != k)
        || s.weights.len() != s.particles.len()
        || s.distances.len() != s.particles.len()
        || s.summaries.len() != s.particles.len()
        || s.summaries.iter().any(|v| v.len() != c.targets.len())
    {
        return Err(bad(format!(
            "expected {} particles of {k} parameters and {} targets",
            c.abc.particles,
            c.targets.len()
        ))
        .into());
    }
    Ok(Generation {
        tolerance: s.tolerance.unwrap_or(f64::INFINITY),
        particles: s.particles,
        weights: s.weights,
        distances: s.distances,
        summaries: s
            .summaries
            .into_iter()
            .map(|v| v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
            .collect(),
        proposals: s.proposals,
        acceptance_rate: s.acceptance_rate,
        ess: s.ess,
    })
}

/// Pearson's r of the finite pairs (NaN with fewer than 4 or no variance).
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    if pairs.len() < 4 {
        return f64::NAN;
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    crate::stats::pearson(&xs, &ys).map_or(f64::NAN, |c| c.r)
}

/// The files `bordin calibrate --posterior` writes (beside `abc/`, which it keeps).
const OUTPUTS: Owned = Owned {
    owns: |p| {
        matches!(
            p,
            "posterior.csv"
                | "generations.csv"
                | "identifiability.csv"
                | "predictive.csv"
                | "posterior.md"
                | "marginals.svg"
                | "marginals.png"
                | "pairs.svg"
                | "pairs.png"
                | "fitted.toml"
        )
    },
    subdirs: &[],
};

impl PosteriorOutcome {
    /// The posterior: the final generation.
    pub fn last(&self) -> &Generation {
        self.generations.last().expect("generation 0 at least")
    }

    /// Per parameter: prior and posterior summaries, and the targets that move it (|r| ≥
    /// [`MOVES`] between the parameter and the target's value over generation 0, the prior
    /// sample).
    pub fn identifiability(&self) -> Vec<Identifiability> {
        let last = self.last();
        let prior_sample = &self.generations[0];
        self.parameters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (prior_mean, prior_sd) = self.priors[i].mean_sd();
                let (mean, sd) = last.mean_sd(i);
                let xs: Vec<f64> = prior_sample.particles.iter().map(|q| q[i]).collect();
                let mut moved_by: Vec<(String, f64)> = self
                    .targets
                    .iter()
                    .enumerate()
                    .filter_map(|(t, target)| {
                        let ys: Vec<f64> = prior_sample.summaries.iter().map(|s| s[t]).collect();
                        let r = correlation(&xs, &ys);
                        (r.abs() >= MOVES).then(|| (target.id.clone(), r))
                    })
                    .collect();
                moved_by.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                Identifiability {
                    key: p.key.clone(),
                    default: self.defaults[i],
                    prior_mean,
                    prior_sd,
                    mean,
                    sd,
                    q05: last.quantile(i, 0.05),
                    q50: last.quantile(i, 0.5),
                    q95: last.quantile(i, 0.95),
                    moved_by,
                }
            })
            .collect()
    }

    /// Per target: its band, the prior sample's mean value, and the posterior predictive mean,
    /// 90% interval and share of particles in the band.
    fn predictive(&self) -> Vec<[f64; 6]> {
        let last = self.last();
        let prior = &self.generations[0];
        self.targets
            .iter()
            .enumerate()
            .map(|(t, target)| {
                let pv: Vec<f64> = prior.summaries.iter().map(|s| s[t]).collect();
                let finite: Vec<f64> = pv.iter().copied().filter(|x| x.is_finite()).collect();
                let prior_mean = crate::stats::mean(&finite);
                let v: Vec<f64> = last.summaries.iter().map(|s| s[t]).collect();
                let (mut m, mut wsum, mut inside) = (0.0, 0.0, 0.0);
                for (x, w) in v.iter().zip(&last.weights) {
                    if x.is_finite() {
                        m += w * x;
                        wsum += w;
                        if (target.lower..=target.upper).contains(x) {
                            inside += w;
                        }
                    }
                }
                use crate::stats::abc::weighted_quantile;
                [
                    prior_mean,
                    if wsum > 0.0 { m / wsum } else { f64::NAN },
                    weighted_quantile(&v, &last.weights, 0.05),
                    weighted_quantile(&v, &last.weights, 0.95),
                    inside,
                    if wsum > 0.0 { 1.0 - wsum } else { 1.0 },
                ]
            })
            .collect()
    }

    /// The Markdown summary: diagnostics per generation, the identifiability table, and the
    /// posterior predictive check of every target.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "# Posterior (ABC-SMC)\n\n{} particles, {} generations after the prior sample, \
             tolerance quantile {}, {} replicate(s) per scenario per proposal, seed {}.\n\n\
             ## Generations\n\n| generation | tolerance | proposals | acceptance | ESS |\n|---|---|---|---|---|\n",
            self.abc.particles,
            self.abc.generations,
            self.abc.quantile,
            self.abc.replicates,
            self.abc.seed
        );
        for (g, x) in self.generations.iter().enumerate() {
            md.push_str(&format!(
                "| {g} | {} | {} | {} | {} |\n",
                if x.tolerance.is_finite() {
                    num(x.tolerance, 3)
                } else {
                    "(prior)".into()
                },
                x.proposals,
                num(x.acceptance_rate, 3),
                num(x.ess, 1)
            ));
        }
        md.push_str(
            "\n## Parameters\n\nPosterior SD / prior SD near 1: the targets say little about the \
             parameter. Moved by: targets whose value correlates with the parameter over the \
             prior sample (|r| ≥ 0.3).\n\n\
             | parameter | before | prior mean (SD) | posterior median [90%] | SD ratio | moved by |\n|---|---|---|---|---|---|\n",
        );
        for r in self.identifiability() {
            md.push_str(&format!(
                "| `{}` | {} | {} ({}) | {} [{}, {}] | {} | {} |\n",
                r.key,
                r.default.map_or("-".into(), |v| num(v, 3)),
                num(r.prior_mean, 3),
                num(r.prior_sd, 3),
                num(r.q50, 3),
                num(r.q05, 3),
                num(r.q95, 3),
                num(r.sd_ratio(), 2),
                moved(&r.moved_by, 4)
            ));
        }
        md.push_str(
            "\n## Targets\n\nPosterior predictive: the final particles' simulated values \
             (weighted).\n\n| id | scenario | band | prior mean | posterior mean [90%] | in band |\n|---|---|---|---|---|---|\n",
        );
        for (t, p) in self.targets.iter().zip(self.predictive()) {
            md.push_str(&format!(
                "| {} | {} | [{}, {}] | {} | {} [{}, {}] | {} |\n",
                t.id,
                short_scenario(&self.scenario_names[t.scenario]),
                num(t.lower, 3),
                num(t.upper, 3),
                num(p[0], 3),
                num(p[1], 3),
                num(p[2], 3),
                num(p[3], 3),
                num(p[4], 2)
            ));
        }
        md
    }

    /// Writes posterior.csv, generations.csv, identifiability.csv, predictive.csv,
    /// posterior.md, the charts (marginals, pairs; SVG and PNG) and, for `--targets`,
    /// fitted.toml into `out`, together.
    ///
    /// # Errors
    /// The directory is in use or a file cannot be written.
    pub fn write(&self, out: &Path) -> Result<()> {
        let dir = OutputDir::open(out, OUTPUTS, Mode::Update)?;
        let staging = dir.staging();
        let mut csv = AtomicFile::create(staging, "posterior.csv")?;
        let header: Vec<String> = ["generation", "particle", "weight", "distance"]
            .iter()
            .map(ToString::to_string)
            .chain(self.parameters.iter().map(|p| p.key.clone()))
            .collect();
        csv.record(header)?;
        for (g, generation) in self.generations.iter().enumerate() {
            for (i, p) in generation.particles.iter().enumerate() {
                let row: Vec<String> = [
                    g.to_string(),
                    i.to_string(),
                    format!("{:?}", generation.weights[i]),
                    num(generation.distances[i], 6),
                ]
                .into_iter()
                .chain(p.iter().map(|v| format!("{v:?}")))
                .collect();
                csv.record(row)?;
            }
        }
        csv.commit()?;
        let mut gens = AtomicFile::create(staging, "generations.csv")?;
        gens.record([
            "generation",
            "tolerance",
            "proposals",
            "accepted",
            "acceptance_rate",
            "ess",
        ])?;
        for (g, x) in self.generations.iter().enumerate() {
            gens.record([
                g.to_string(),
                num(x.tolerance, 6),
                x.proposals.to_string(),
                x.particles.len().to_string(),
                num(x.acceptance_rate, 6),
                num(x.ess, 3),
            ])?;
        }
        gens.commit()?;
        let mut id = AtomicFile::create(staging, "identifiability.csv")?;
        id.record([
            "parameter",
            "default",
            "prior_mean",
            "prior_sd",
            "posterior_mean",
            "posterior_sd",
            "sd_ratio",
            "q05",
            "q50",
            "q95",
            "moved_by",
        ])?;
        for r in self.identifiability() {
            id.record([
                r.key.clone(),
                r.default.map_or(String::new(), |v| num(v, 6)),
                num(r.prior_mean, 6),
                num(r.prior_sd, 6),
                num(r.mean, 6),
                num(r.sd, 6),
                num(r.sd_ratio(), 4),
                num(r.q05, 6),
                num(r.q50, 6),
                num(r.q95, 6),
                moved(&r.moved_by, usize::MAX),
            ])?;
        }
        id.commit()?;
        let mut pred = AtomicFile::create(staging, "predictive.csv")?;
        pred.record([
            "id",
            "statistic",
            "scenario",
            "lower",
            "upper",
            "scale",
            "prior_mean",
            "posterior_mean",
            "posterior_q05",
            "posterior_q95",
            "in_band",
            "undefined",
        ])?;
        for ((t, p), s) in self.targets.iter().zip(self.predictive()).zip(&self.scales) {
            pred.record([
                t.id.clone(),
                t.statistic.clone(),
                self.scenario_names[t.scenario].clone(),
                num(t.lower, 6),
                num(t.upper, 6),
                num(*s, 6),
                num(p[0], 6),
                num(p[1], 6),
                num(p[2], 6),
                num(p[3], 6),
                num(p[4], 4),
                num(p[5], 4),
            ])?;
        }
        pred.commit()?;
        crate::plot::write_files(staging, "marginals", &self.marginals())?;
        crate::plot::write_files(staging, "pairs", &self.pairs())?;
        let mut md = AtomicFile::create(staging, "posterior.md")?;
        md.raw(self.markdown().as_bytes())?;
        md.commit()?;
        if let Some(text) = &self.fitted {
            let mut f = AtomicFile::create(staging, "fitted.toml")?;
            f.raw(text.as_bytes())?;
            f.commit()?;
        }
        dir.commit()
    }

    /// The prior's plotted range of parameter `i`: its support, or its central 99.8% where
    /// the support is unbounded.
    fn range(&self, i: usize) -> (f64, f64) {
        let p = self.priors[i];
        let (lo, hi) = p.support();
        (
            if lo.is_finite() {
                lo
            } else {
                p.quantile(0.001)
            },
            if hi.is_finite() {
                hi
            } else {
                p.quantile(0.999)
            },
        )
    }

    /// The marginals chart.
    pub fn marginals(&self) -> crate::plot::MarginalsChart {
        let last = self.last();
        let bins = 20;
        let panels = self
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (lo, hi) = self.range(i);
                let width = (hi - lo) / bins as f64;
                let mut mass = vec![0.0; bins];
                for (q, w) in last.particles.iter().zip(&last.weights) {
                    let b = (((q[i] - lo) / width).floor().max(0.0) as usize).min(bins - 1);
                    mass[b] += w;
                }
                crate::plot::MarginalPanel {
                    key: p.key.clone(),
                    range: (lo, hi),
                    prior: (0..=100)
                        .map(|j| {
                            let x = lo + (hi - lo) * j as f64 / 100.0;
                            (x, self.priors[i].density(x))
                        })
                        .collect(),
                    bins: mass
                        .iter()
                        .enumerate()
                        .map(|(b, m)| (lo + b as f64 * width, m / width))
                        .collect(),
                    bin: width,
                    default: self.defaults[i],
                    interval: (last.quantile(i, 0.05), last.quantile(i, 0.95)),
                }
            })
            .collect();
        crate::plot::MarginalsChart {
            title: format!(
                "Posterior marginals (ABC-SMC, {} particles, generation {})",
                self.abc.particles,
                self.generations.len() - 1
            ),
            panels,
        }
    }

    /// The pairwise chart.
    pub fn pairs(&self) -> crate::plot::PairsChart {
        let last = self.last();
        crate::plot::PairsChart {
            title: "Posterior particles, pair by pair".into(),
            keys: self.parameters.iter().map(|p| p.key.clone()).collect(),
            ranges: (0..self.parameters.len()).map(|i| self.range(i)).collect(),
            particles: last.particles.clone(),
            weights: last.weights.clone(),
            defaults: self.defaults.clone(),
        }
    }
}

fn moved(m: &[(String, f64)], at_most: usize) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .take(at_most)
        .map(|(id, r)| format!("{id} ({})", num(*r, 2)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short_scenario(name: &str) -> &str {
    name.rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".toml"))
        .unwrap_or(name)
}
