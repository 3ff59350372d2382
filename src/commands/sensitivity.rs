//! `bordin sensitivity SPEC.toml`: global sensitivity of a scenario's outputs (statistics of the
//! registry) to uncertain parameters (any numeric scenario key with a range), by Morris
//! screening or Sobol indices (`stats::sensitivity`), with the simulation's own noise reported
//! beside the indices (docs/sensitivity.md).
//!
//! Every design point runs the base scenario with the parameters set and the same seed, so the
//! points share their random numbers (common random numbers: a difference between points is
//! the parameters', not the draws'). The noise runs repeat the base scenario at the centre of
//! the design (each parameter at its median) with `noise_runs` other seeds; their variance of each output, against the
//! output's variance over the design, says how much of what the indices share out could be
//! simulation noise.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::{ArmSummary, SummaryStats, statistics};
use crate::commands::calibrate;
use crate::commands::sweep::Shard;
use crate::config::reader::did_you_mean;
use crate::error::{Error, Result, SensitivityError};
use crate::io::format::num;
use crate::io::{AtomicFile, Mode, OutputDir, Owned};
use crate::scenario::Scenario;
use crate::stats::sensitivity::morris::{MorrisDesign, morris_design, morris_indices};
use crate::stats::sensitivity::sobol::{SaltelliDesign, saltelli_design, sobol_indices};

/// A sensitivity file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    /// The base scenario, relative to the file (the embedded default when absent).
    #[serde(default)]
    base: Option<String>,
    #[serde(default = "default_replicates")]
    replicates: u64,
    /// Patients per replicate (the base scenario's when absent).
    #[serde(default)]
    patients: Option<u64>,
    method: String,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default = "default_bootstrap")]
    bootstrap: usize,
    #[serde(default = "default_noise_runs")]
    noise_runs: usize,
    #[serde(default)]
    morris: MorrisSpec,
    #[serde(default)]
    sobol: SobolSpec,
    parameter: Vec<Parameter>,
    output: Vec<Output>,
}

fn default_replicates() -> u64 {
    2
}
fn default_seed() -> u64 {
    1
}
fn default_bootstrap() -> usize {
    500
}
fn default_noise_runs() -> usize {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MorrisSpec {
    #[serde(default = "default_trajectories")]
    trajectories: usize,
    #[serde(default = "default_levels")]
    levels: usize,
}

impl Default for MorrisSpec {
    fn default() -> Self {
        MorrisSpec {
            trajectories: default_trajectories(),
            levels: default_levels(),
        }
    }
}

fn default_trajectories() -> usize {
    10
}
fn default_levels() -> usize {
    4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SobolSpec {
    #[serde(default = "default_base_rows")]
    base_rows: usize,
}

impl Default for SobolSpec {
    fn default() -> Self {
        SobolSpec {
            base_rows: default_base_rows(),
        }
    }
}

fn default_base_rows() -> usize {
    64
}

/// A `[[parameter]]`: a numeric scenario key, its range, and its distribution over the range:
/// uniform (the default) or a normal with `mean` and `sd` truncated to the range.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub key: String,
    pub lower: f64,
    pub upper: f64,
    #[serde(default = "uniform")]
    pub distribution: String,
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub sd: Option<f64>,
}

fn uniform() -> String {
    "uniform".into()
}

impl Parameter {
    /// The value at unit coordinate `u`: the quantile of the parameter's distribution.
    fn value(&self, u: f64) -> f64 {
        self.prior().quantile(u)
    }

    /// The parameter's distribution (checked by [`Parameter::distribution_problem`]).
    pub fn prior(&self) -> crate::stats::abc::Prior {
        use crate::stats::abc::Prior;
        match (self.distribution.as_str(), self.mean, self.sd) {
            ("normal", Some(mean), Some(sd)) => Prior::TruncatedNormal {
                mean,
                sd,
                lower: self.lower,
                upper: self.upper,
            },
            _ => Prior::Uniform {
                lower: self.lower,
                upper: self.upper,
            },
        }
    }

    /// What is wrong with the distribution's fields, if anything.
    fn distribution_problem(&self) -> Option<String> {
        match (self.distribution.as_str(), self.mean, self.sd) {
            ("uniform", None, None) => None,
            ("uniform", _, _) => {
                Some("`mean` and `sd` belong to `distribution = \"normal\"`".into())
            }
            ("normal", Some(m), Some(sd)) if m.is_finite() && sd.is_finite() && sd > 0.0 => None,
            ("normal", _, _) => Some("a normal needs a finite `mean` and a positive `sd`".into()),
            (other, _, _) => Some(format!(
                "unknown distribution `{other}` (known: `uniform`, `normal` truncated to [lower, upper])"
            )),
        }
    }

    /// What is wrong with the parameter, if anything: its range, a key named twice (in
    /// `earlier`), its distribution, or a key or value one of the scenarios `(name, text)` does
    /// not accept at either end of the range.
    pub fn problem(&self, earlier: &[Parameter], scenarios: &[(&str, &str)]) -> Option<String> {
        if !(self.lower.is_finite() && self.upper.is_finite() && self.lower < self.upper) {
            return Some(format!(
                "`lower` ({}) must be below `upper` ({}), both finite",
                self.lower, self.upper
            ));
        }
        if earlier.iter().any(|q| q.key == self.key) {
            return Some("named twice".into());
        }
        if let Some(problem) = self.distribution_problem() {
            return Some(problem);
        }
        for (name, text) in scenarios {
            for v in [self.lower, self.upper] {
                let o = vec![format!("{}={v}", self.key)];
                if let Err(e) = Scenario::parse(text, name, &o) {
                    return Some(
                        e.diagnostics
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
            }
        }
        None
    }
}

/// An `[[output]]` as written: exactly one of `statistic` (a statistic of the registry on the
/// base scenario), `summary` (a column of `summary.csv` on the base scenario, of the arm `arm`
/// or of all arms pooled) and `target` (a calibration target by id: its statistic on its own
/// calibration scenario).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Output {
    #[serde(default)]
    pub statistic: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub arm: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
}

/// What an output measures, resolved against its scenario.
#[derive(Clone, Debug)]
enum Measure {
    /// A statistic of the registry.
    Statistic(String),
    /// Column `column` of [`SummaryStats::NAMES`], of arm `arm` (all arms pooled when `None`).
    Summary { column: usize, arm: Option<usize> },
}

/// An output resolved: its label in the tables, the scenario it is computed on
/// ([`Sensitivity::worlds`]) and what it measures there.
#[derive(Clone, Debug)]
struct Resolved {
    label: String,
    world: usize,
    measure: Measure,
}

/// A scenario the design points run: the base (world 0) or a calibration scenario a target
/// names.
#[derive(Clone, Debug)]
struct World {
    name: String,
    text: String,
    /// The scenario's own seed (noise runs use the seeds after it).
    seed: u64,
    /// Whether the file's `patients` applies (the base only: a calibration scenario keeps the
    /// size its targets were set for).
    resize: bool,
}

/// The method and its design.
#[derive(Clone, Debug)]
enum Design {
    Morris(MorrisDesign),
    Sobol(SaltelliDesign),
}

impl Design {
    fn points(&self) -> &[Vec<f64>] {
        match self {
            Design::Morris(d) => &d.points,
            Design::Sobol(d) => &d.points,
        }
    }
}

/// A sensitivity analysis read and checked, ready to run.
#[derive(Debug)]
pub struct Sensitivity {
    path: PathBuf,
    /// SHA-256 of the file and the scenarios it runs: a directory's work units belong to it.
    digest: String,
    /// The base scenario first, then each calibration scenario a target output names.
    worlds: Vec<World>,
    outputs: Vec<Resolved>,
    spec: Spec,
    design: Design,
}

/// One index of one parameter for one output.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexRow {
    pub parameter: String,
    pub output: String,
    /// `mu_star`, `mu`, `sigma` (Morris) or `S1`, `ST` (Sobol).
    pub index: &'static str,
    pub estimate: f64,
    /// The bootstrap interval (NaN when the method gives none for this index).
    pub lower: f64,
    pub upper: f64,
}

/// The noise of one output: its SD over `noise_runs` seeds at the centre of the design, and
/// that variance as a share of the output's variance over the design.
#[derive(Clone, Debug, PartialEq)]
pub struct Noise {
    pub output: String,
    pub design_sd: f64,
    pub noise_sd: f64,
    pub noise_share: f64,
}

/// What a sensitivity analysis found.
#[derive(Clone, Debug)]
pub struct SensitivityOutcome {
    pub method: String,
    pub parameters: Vec<Parameter>,
    pub outputs: Vec<String>,
    /// The design points in parameter units, and each output at each point.
    pub points: Vec<Vec<f64>>,
    pub values: Vec<Vec<f64>>,
    pub indices: Vec<IndexRow>,
    pub noise: Vec<Noise>,
    /// Sobol only: per output, the largest change of an index between n/2 and n base rows.
    pub convergence: Vec<f64>,
    pub runs: usize,
}

impl Sensitivity {
    /// Reads and checks a sensitivity file: its fields, the base scenario, every parameter at
    /// both ends of its range, every output statistic, and the method's design.
    ///
    /// # Errors
    /// [`SensitivityError`] naming the field, parameter or output at fault; an unreadable or
    /// invalid base scenario.
    pub fn load(path: &Path) -> Result<Sensitivity> {
        let spec_error = |message: String| SensitivityError::Spec {
            path: path.to_path_buf(),
            message,
        };
        let text = crate::config::read_text(path).map_err(|source| Error::ReadScenario {
            path: path.to_path_buf(),
            source,
        })?;
        let spec: Spec =
            toml_edit::de::from_str(&text).map_err(|e| spec_error(e.message().to_string()))?;
        let (base_name, base_text) = match &spec.base {
            None => (
                "embedded default".to_string(),
                crate::scenario::DEFAULT_SCENARIO.to_string(),
            ),
            Some(b) => {
                let p = path.parent().unwrap_or(Path::new(".")).join(b);
                let t = crate::config::read_text(&p).map_err(|source| Error::ReadScenario {
                    path: p.clone(),
                    source,
                })?;
                (p.display().to_string(), t)
            }
        };
        if spec.parameter.is_empty() {
            return Err(spec_error("no [[parameter]] (at least one)".into()).into());
        }
        if spec.output.is_empty() {
            return Err(spec_error("no [[output]] (at least one)".into()).into());
        }
        if spec.replicates == 0 {
            return Err(spec_error("`replicates` must be at least 1".into()).into());
        }
        if spec.noise_runs == 1 {
            return Err(spec_error("`noise_runs` must be 0 (none) or at least 2".into()).into());
        }
        let k = spec.parameter.len();
        let design = match spec.method.as_str() {
            "morris" => Design::Morris(
                morris_design(k, spec.morris.levels, spec.morris.trajectories, spec.seed)
                    .map_err(|e| spec_error(format!("[morris]: {e}")))?,
            ),
            "sobol" => Design::Sobol(
                saltelli_design(k, spec.sobol.base_rows, spec.seed as u32)
                    .map_err(|e| spec_error(format!("[sobol]: {e}")))?,
            ),
            other => {
                return Err(spec_error(format!(
                    "unknown method `{other}` (known: `morris`, `sobol`)"
                ))
                .into());
            }
        };
        let base_seed = Scenario::parse(&base_text, &base_name, &[])?.run.seed;
        let mut worlds = vec![World {
            name: base_name,
            text: base_text,
            seed: base_seed,
            resize: true,
        }];
        let outputs = resolve_outputs(path, &spec.output, &mut worlds)?;
        let mut hashed = text.clone();
        for w in &worlds {
            hashed.push('\0');
            hashed.push_str(&w.text);
        }
        let digest = crate::io::sha256_hex(hashed.as_bytes());
        let s = Sensitivity {
            path: path.to_path_buf(),
            digest,
            worlds,
            outputs,
            design,
            spec,
        };
        let named: Vec<(&str, &str)> = s
            .worlds
            .iter()
            .map(|w| (w.name.as_str(), w.text.as_str()))
            .collect();
        for (i, p) in s.spec.parameter.iter().enumerate() {
            if let Some(problem) = p.problem(&s.spec.parameter[..i], &named) {
                return Err(SensitivityError::Parameter {
                    path: path.to_path_buf(),
                    number: i + 1,
                    key: p.key.clone(),
                    message: problem,
                }
                .into());
            }
        }
        for o in &s.outputs {
            if let Measure::Statistic(name) = &o.measure {
                let sc = s.scenario(o.world, &[], 0)?;
                let empty = statistics::Replicate {
                    scenario: &sc,
                    therapists: &[],
                    outcomes: &[],
                };
                statistics::compute(name, &empty).map_err(|e| SensitivityError::Output {
                    path: path.to_path_buf(),
                    statistic: o.label.clone(),
                    source: e.into(),
                })?;
            }
        }
        Ok(s)
    }

    /// The uncertain parameters, as the file declares them.
    pub fn parameters(&self) -> &[Parameter] {
        &self.spec.parameter
    }

    /// Model runs the analysis needs: design points plus noise runs.
    pub fn runs(&self) -> usize {
        self.design.points().len() + self.spec.noise_runs
    }

    /// Patients simulated in all, for a progress bar.
    pub fn patients(&self) -> Result<u64> {
        let mut per_run = 0;
        for w in self.used_worlds() {
            let sc = self.scenario(w, &[], 0)?;
            per_run += sc.run.replicates * sc.run.patients;
        }
        Ok(self.runs() as u64 * per_run)
    }

    /// The worlds some output is computed on (the base is run only when an output needs it).
    fn used_worlds(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.worlds.len()).filter(|w| self.outputs.iter().any(|o| o.world == *w))
    }

    /// World `world` with the file's replicates (and, for the base, its patients), `settings`
    /// and the world's seed moved by `seed_offset`.
    fn scenario(
        &self,
        world: usize,
        settings: &[(String, f64)],
        seed_offset: u64,
    ) -> Result<Scenario> {
        let w = &self.worlds[world];
        let mut o = vec![format!("run.replicates={}", self.spec.replicates)];
        if let (true, Some(n)) = (w.resize, self.spec.patients) {
            o.push(format!("run.patients={n}"));
        }
        if seed_offset > 0 {
            o.push(format!("run.seed={}", w.seed + seed_offset));
        }
        o.extend(settings.iter().map(|(k, v)| format!("{k}={v}")));
        Ok(Scenario::parse(&w.text, &w.name, &o)?)
    }

    /// The outputs of one model run: every world run once with `settings` and the seed offset,
    /// each output evaluated on its world (its mean over replicates).
    fn outputs(&self, settings: &[(String, f64)], seed_offset: u64) -> Result<Vec<f64>> {
        let mut values = vec![f64::NAN; self.outputs.len()];
        for w in self.used_worlds() {
            let sc = self.scenario(w, settings, seed_offset)?;
            let collected = calibrate::simulate(&sc)?;
            for (j, o) in self
                .outputs
                .iter()
                .enumerate()
                .filter(|(_, o)| o.world == w)
            {
                values[j] = match &o.measure {
                    Measure::Statistic(name) => {
                        calibrate::evaluate(&sc, &collected, name)
                            .map_err(|e| SensitivityError::Output {
                                path: self.path.clone(),
                                statistic: o.label.clone(),
                                source: e.into(),
                            })?
                            .0
                    }
                    Measure::Summary { column, arm } => {
                        let per_replicate: Vec<f64> = collected
                            .replicates
                            .iter()
                            .map(|r| {
                                let mut acc = ArmSummary::default();
                                for p in
                                    r.outcomes.iter().filter(|p| arm.is_none_or(|a| p.arm == a))
                                {
                                    acc.push(&sc.instrument, p);
                                }
                                acc.row().values()[*column]
                            })
                            .filter(|v| v.is_finite())
                            .collect();
                        calibrate::mean_and_se(&per_replicate).0
                    }
                };
            }
        }
        Ok(values)
    }

    /// Parameter values of a unit-cube point.
    fn settings(&self, u: &[f64]) -> Vec<(String, f64)> {
        self.spec
            .parameter
            .iter()
            .zip(u)
            .map(|(p, u)| (p.key.clone(), p.value(*u)))
            .collect()
    }

    /// The outputs of model run `k`: design point `k`, or after the design points, noise run
    /// `k` minus their number.
    fn unit(&self, k: usize) -> Result<Vec<f64>> {
        let points = self.design.points();
        if k < points.len() {
            self.outputs(&self.settings(&points[k]), 0)
        } else {
            let centre = self.settings(&vec![0.5; self.spec.parameter.len()]);
            self.outputs(&centre, (k - points.len()) as u64 + 1)
        }
    }

    /// Runs every design point and the noise runs in memory, then the analysis. `done` is
    /// called after each model run with the number of runs finished.
    ///
    /// # Errors
    /// A run or statistic that fails; an output the method cannot analyse (no variance).
    pub fn run(&self, mut done: impl FnMut(usize)) -> Result<SensitivityOutcome> {
        let mut units = Vec::with_capacity(self.runs());
        for k in 0..self.runs() {
            units.push(self.unit(k)?);
            done(k + 1);
        }
        self.analyse(&units)
    }

    /// Runs the model runs of `shard` (all without one) that `dir/units/` does not hold yet,
    /// each written there as it finishes (so a killed run resumes where it stopped, and shards
    /// of one analysis can share the directory), then, without a shard and when every unit is
    /// there, the analysis.
    /// `dir/sensitivity.json` records which analysis the units belong to.
    ///
    /// # Errors
    /// `dir` holds the units of another analysis (the file or its base scenario changed); a
    /// run, a statistic or a file that fails; the analysis.
    pub fn run_in(
        &self,
        dir: &Path,
        shard: Option<Shard>,
        mut done: impl FnMut(usize),
    ) -> Result<UnitsDone> {
        let want = format!(
            "{{\n  \"sha256\": \"{}\",\n  \"units\": {}\n}}\n",
            self.digest,
            self.runs()
        );
        if !crate::io::claim_work_dir(dir, UNITS_DIR, STATE_FILE, &want)? {
            return Err(SensitivityError::Spec {
                path: self.path.clone(),
                message: format!(
                    "{} holds the work units of another analysis (the file or its base scenario changed); choose another --out",
                    dir.display()
                ),
            }
            .into());
        }
        let units_dir = dir.join(UNITS_DIR);
        let mut ran = 0;
        for k in 0..self.runs() {
            let mine = shard.is_none_or(|s| s.owns(k as u64));
            if !mine || units_dir.join(unit_name(k)).exists() {
                continue;
            }
            let values = self.unit(k)?;
            let line: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            let mut f = AtomicFile::create(&units_dir, &unit_name(k))?;
            f.raw(format!("{}\n", line.join(",")).as_bytes())?;
            f.commit()?;
            ran += 1;
            done(ran);
        }
        let present = (0..self.runs())
            .filter(|k| units_dir.join(unit_name(*k)).exists())
            .count();
        // A shard never analyses: shards of a SLURM array finish together, and the analysis
        // is one writer's (run without a shard once they are done).
        if shard.is_some() || present < self.runs() {
            return Ok(UnitsDone::Partial {
                ran,
                present,
                total: self.runs(),
            });
        }
        let mut units = Vec::with_capacity(self.runs());
        for k in 0..self.runs() {
            let path = units_dir.join(unit_name(k));
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            let values: Vec<f64> = text
                .trim()
                .split(',')
                .map(|v| v.parse::<f64>())
                .collect::<std::result::Result<_, _>>()
                .ok()
                .filter(|v: &Vec<f64>| v.len() == self.outputs.len())
                .ok_or_else(|| SensitivityError::Spec {
                    path: self.path.clone(),
                    message: format!("{} is not a work unit of this analysis", path.display()),
                })?;
            units.push(values);
        }
        Ok(UnitsDone::Complete {
            ran,
            outcome: Box::new(self.analyse(&units)?),
        })
    }

    /// The indices and noise from every model run's outputs (`units[k][output]`).
    fn analyse(&self, units: &[Vec<f64>]) -> Result<SensitivityOutcome> {
        let outputs: Vec<String> = self.outputs.iter().map(|o| o.label.clone()).collect();
        let n_points = self.design.points().len();
        let points: Vec<Vec<f64>> = self
            .design
            .points()
            .iter()
            .map(|u| self.settings(u).into_iter().map(|(_, v)| v).collect())
            .collect();
        let column = |j: usize, range: std::ops::Range<usize>| -> Vec<f64> {
            units[range].iter().map(|u| u[j]).collect()
        };
        let values: Vec<Vec<f64>> = (0..outputs.len()).map(|j| column(j, 0..n_points)).collect();
        let noise_values: Vec<Vec<f64>> = (0..outputs.len())
            .map(|j| column(j, n_points..units.len()))
            .collect();
        let mut indices = Vec::new();
        let mut convergence = Vec::new();
        let analysis_error = |statistic: &str, e: crate::stats::StatsError| -> Error {
            SensitivityError::Analysis {
                path: self.path.clone(),
                statistic: statistic.to_string(),
                message: e.to_string(),
            }
            .into()
        };
        let boot_seed = self.spec.seed.wrapping_add(0x5eed);
        for (j, name) in outputs.iter().enumerate() {
            let y = &values[j];
            let row = |p: usize, index: &'static str, estimate: f64, ci: Option<(f64, f64)>| {
                let (lower, upper) = ci.unwrap_or((f64::NAN, f64::NAN));
                IndexRow {
                    parameter: self.spec.parameter[p].key.clone(),
                    output: name.clone(),
                    index,
                    estimate,
                    lower,
                    upper,
                }
            };
            match &self.design {
                Design::Morris(d) => {
                    let m = morris_indices(d, y, self.spec.bootstrap, 0.95, boot_seed)
                        .map_err(|e| analysis_error(name, e))?;
                    for (p, ix) in m.iter().enumerate() {
                        let ci = (ix.mu_star_ci.lower, ix.mu_star_ci.upper);
                        indices.push(row(p, "mu_star", ix.mu_star, Some(ci)));
                        indices.push(row(p, "mu", ix.mu, None));
                        indices.push(row(p, "sigma", ix.sigma, None));
                    }
                }
                Design::Sobol(d) => {
                    let r = sobol_indices(d, y, self.spec.bootstrap, 0.95, boot_seed)
                        .map_err(|e| analysis_error(name, e))?;
                    for (p, ix) in r.indices.iter().enumerate() {
                        indices.push(row(p, "S1", ix.s1, Some((ix.s1_ci.lower, ix.s1_ci.upper))));
                        indices.push(row(p, "ST", ix.st, Some((ix.st_ci.lower, ix.st_ci.upper))));
                    }
                    convergence.push(r.convergence);
                }
            }
        }
        let noise = outputs
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let design_var = crate::stats::var(&values[j]);
                let noise_var = if noise_values[j].len() >= 2 {
                    crate::stats::var(&noise_values[j])
                } else {
                    f64::NAN
                };
                Noise {
                    output: name.clone(),
                    design_sd: design_var.sqrt(),
                    noise_sd: noise_var.sqrt(),
                    noise_share: noise_var / design_var,
                }
            })
            .collect();
        Ok(SensitivityOutcome {
            method: self.spec.method.clone(),
            parameters: self.spec.parameter.clone(),
            outputs,
            points,
            values,
            indices,
            noise,
            convergence,
            runs: self.runs(),
        })
    }
}

/// Resolves the `[[output]]`s: each to its label, its world (the base, or the calibration
/// scenario of a target, added to `worlds` once) and its measure.
fn resolve_outputs(
    path: &Path,
    outputs: &[Output],
    worlds: &mut Vec<World>,
) -> Result<Vec<Resolved>> {
    let bad = |number: usize, message: String| -> Error {
        SensitivityError::Spec {
            path: path.to_path_buf(),
            message: format!("[[output]] {number}: {message}"),
        }
        .into()
    };
    let base = Scenario::parse(&worlds[0].text, &worlds[0].name, &[])?;
    let targets = calibrate::targets();
    let mut resolved: Vec<Resolved> = Vec::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        let number = i + 1;
        if o.arm.is_some() && o.summary.is_none() {
            return Err(bad(number, "`arm` belongs to a `summary` output".into()));
        }
        let r = match (&o.statistic, &o.summary, &o.target) {
            (Some(name), None, None) => Resolved {
                label: name.clone(),
                world: 0,
                measure: Measure::Statistic(name.clone()),
            },
            (None, Some(col), None) => {
                let column = SummaryStats::NAMES
                    .iter()
                    .position(|n| n == col)
                    .ok_or_else(|| {
                        let hint = did_you_mean(col, SummaryStats::NAMES.iter().copied())
                            .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                        bad(
                            number,
                            format!(
                                "unknown summary column `{col}`{hint}; known: {}",
                                SummaryStats::NAMES.join(", ")
                            ),
                        )
                    })?;
                let arm = match &o.arm {
                    None => None,
                    Some(a) => {
                        Some(base.arms.iter().position(|x| &x.name == a).ok_or_else(|| {
                            let names: Vec<&str> =
                                base.arms.iter().map(|x| x.name.as_str()).collect();
                            bad(
                                number,
                                format!(
                                    "unknown arm `{a}`; the base scenario's arms: {}",
                                    names.join(", ")
                                ),
                            )
                        })?)
                    }
                };
                Resolved {
                    label: match &o.arm {
                        None => format!("summary:{col}"),
                        Some(a) => format!("summary:{col}:{a}"),
                    },
                    world: 0,
                    measure: Measure::Summary { column, arm },
                }
            }
            (None, None, Some(id)) => {
                let t = targets.iter().find(|t| &t.id == id).ok_or_else(|| {
                    let hint = did_you_mean(id, targets.iter().map(|t| t.id.as_str()))
                        .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                    bad(
                        number,
                        format!("unknown calibration target `{id}`{hint} (the ids of configs/calibration/targets.toml)"),
                    )
                })?;
                if t.statistic.is_empty() {
                    return Err(bad(
                        number,
                        format!("calibration target `{id}` has no statistic (it is not computed)"),
                    ));
                }
                let text = calibrate::SCENARIOS
                    .iter()
                    .find(|(n, _)| *n == t.scenario)
                    .map(|(_, text)| *text)
                    .ok_or_else(|| {
                        bad(
                            number,
                            format!("target `{id}` names an unknown scenario `{}`", t.scenario),
                        )
                    })?;
                let name = format!("configs/calibration/{}.toml", t.scenario);
                let world = match worlds.iter().position(|w| w.name == name) {
                    Some(w) => w,
                    None => {
                        let seed = Scenario::parse(text, &name, &[])?.run.seed;
                        worlds.push(World {
                            name,
                            text: text.to_string(),
                            seed,
                            resize: false,
                        });
                        worlds.len() - 1
                    }
                };
                Resolved {
                    label: format!("target:{id}"),
                    world,
                    measure: Measure::Statistic(t.statistic.clone()),
                }
            }
            _ => {
                return Err(bad(
                    number,
                    "give exactly one of `statistic`, `summary` and `target`".into(),
                ));
            }
        };
        if resolved.iter().any(|x| x.label == r.label) {
            return Err(bad(number, format!("`{}` is named twice", r.label)));
        }
        resolved.push(r);
    }
    Ok(resolved)
}

/// The folder of finished work units (one model run each) and the file naming their analysis.
const UNITS_DIR: &str = "units";
const STATE_FILE: &str = "sensitivity.json";

/// The file of work unit `k`.
fn unit_name(k: usize) -> String {
    format!("{k:08}.csv")
}

/// What [`Sensitivity::run_in`] got done.
#[derive(Debug)]
pub enum UnitsDone {
    /// Every unit is there: the analysis (`ran` units run by this call).
    Complete {
        ran: usize,
        outcome: Box<SensitivityOutcome>,
    },
    /// A shard's units are done, or units are missing (another shard's, or a killed run's):
    /// `present` of `total` are there.
    Partial {
        ran: usize,
        present: usize,
        total: usize,
    },
}

/// The files `bordin sensitivity` writes.
const OUTPUTS: Owned = Owned {
    owns: |p| {
        matches!(
            p,
            "sensitivity.csv"
                | "sensitivity.md"
                | "design.csv"
                | "sensitivity.svg"
                | "sensitivity.png"
        )
    },
    subdirs: &[],
};

impl SensitivityOutcome {
    /// The Markdown summary: per output, the parameters by importance with their intervals,
    /// and the simulation noise beside them.
    pub fn markdown(&self) -> String {
        let main = if self.method == "morris" {
            "mu_star"
        } else {
            "ST"
        };
        let mut md = format!(
            "# Sensitivity ({}, {} model runs)\n\nParameters ordered by {} within each output; \
             95% bootstrap intervals. Noise: the output's SD over repeated runs at the centre \
             of the design (parameters at their medians) with other seeds, and its variance as a share of the output's \
             variance over the design (a share near 1 means the indices mostly share out noise).\n",
            self.method, self.runs, main
        );
        for (j, out) in self.outputs.iter().enumerate() {
            let n = &self.noise[j];
            md.push_str(&format!(
                "\n## `{out}`\n\nSD over the design {}; noise SD {}; noise share {}{}\n\n",
                num(n.design_sd, 4),
                num(n.noise_sd, 4),
                num(n.noise_share, 3),
                self.convergence.get(j).map_or(String::new(), |c| format!(
                    "; largest change of an index from n/2 to n base rows {}",
                    num(*c, 3)
                ))
            ));
            let rows: Vec<&IndexRow> = self.indices.iter().filter(|r| &r.output == out).collect();
            let (cols, heads): (&[&str], &str) = if self.method == "morris" {
                (
                    &["mu_star", "mu", "sigma"],
                    "| parameter | μ* | 95% interval | μ | σ |\n|---|---|---|---|---|\n",
                )
            } else {
                (
                    &["ST", "S1"],
                    "| parameter | ST | 95% interval | S1 | 95% interval |\n|---|---|---|---|---|\n",
                )
            };
            md.push_str(heads);
            let mut params: Vec<&str> = self.parameters.iter().map(|p| p.key.as_str()).collect();
            let get = |p: &str, ix: &str| rows.iter().find(|r| r.parameter == p && r.index == ix);
            params.sort_by(|a, b| {
                let v = |p: &str| get(p, main).map_or(f64::NEG_INFINITY, |r| r.estimate);
                v(b).total_cmp(&v(a))
            });
            for p in params {
                let mut line = format!("| `{p}` |");
                for (c, ix) in cols.iter().enumerate() {
                    let r = get(p, ix);
                    line.push_str(&format!(
                        " {} |",
                        r.map_or(String::new(), |r| num(r.estimate, 4))
                    ));
                    if c == 0 || (self.method == "sobol" && c == 1) {
                        line.push_str(&format!(
                            " {} |",
                            r.map_or(String::new(), |r| format!(
                                "[{}, {}]",
                                num(r.lower, 4),
                                num(r.upper, 4)
                            ))
                        ));
                    }
                }
                md.push_str(&line);
                md.push('\n');
            }
        }
        md
    }

    /// The main index (μ* or ST) of each output's parameters, ordered, with their intervals:
    /// one panel per output.
    pub fn chart(&self) -> crate::plot::ForestChart {
        let main = self.main_index();
        crate::plot::ForestChart {
            title: format!("Sensitivity: {} ({} model runs)", main, self.runs),
            note: "Parameters ordered by the index within each output; noise share beside the output's name.".into(),
            values: format!("{main}; bar: 95% bootstrap interval"),
            checks: false,
            panels: self
                .outputs
                .iter()
                .zip(&self.noise)
                .map(|(out, n)| {
                    let mut items: Vec<crate::plot::ForestItem> = self
                        .indices
                        .iter()
                        .filter(|r| &r.output == out && r.index == main)
                        .map(|r| crate::plot::ForestItem {
                            label: r.parameter.clone(),
                            value: r.estimate,
                            mc_se: f64::NAN,
                            interval: Some((r.lower, r.upper)),
                            band: None,
                            pass: None,
                        })
                        .collect();
                    items.sort_by(|a, b| b.value.total_cmp(&a.value));
                    crate::plot::ForestPanel {
                        title: format!("{out} (noise share {})", num(n.noise_share, 3)),
                        items,
                    }
                })
                .collect(),
        }
    }

    /// The index parameters are ranked by: μ* (Morris) or ST (Sobol).
    fn main_index(&self) -> &'static str {
        if self.method == "morris" {
            "mu_star"
        } else {
            "ST"
        }
    }

    /// Writes `sensitivity.csv` (parameter, output, index, estimate, lower, upper),
    /// `sensitivity.md`, `design.csv` (each design point's parameter values and outputs) and the
    /// chart `sensitivity.svg` and `.png` into `out`, together (replacing those files of an earlier run only on success).
    ///
    /// # Errors
    /// The directory is in use or a file cannot be written.
    pub fn write(&self, out: &Path) -> Result<()> {
        let dir = OutputDir::open(out, OUTPUTS, Mode::Update)?;
        let staging = dir.staging();
        let mut csv = AtomicFile::create(staging, "sensitivity.csv")?;
        csv.record(["parameter", "output", "index", "estimate", "lower", "upper"])?;
        for r in &self.indices {
            csv.record([
                r.parameter.clone(),
                r.output.clone(),
                r.index.to_string(),
                num(r.estimate, 6),
                num(r.lower, 6),
                num(r.upper, 6),
            ])?;
        }
        csv.commit()?;
        let mut design = AtomicFile::create(staging, "design.csv")?;
        let header: Vec<String> = std::iter::once("point".to_string())
            .chain(self.parameters.iter().map(|p| p.key.clone()))
            .chain(self.outputs.iter().cloned())
            .collect();
        design.record(header)?;
        for (i, p) in self.points.iter().enumerate() {
            let row: Vec<String> = std::iter::once(i.to_string())
                .chain(p.iter().map(|v| num(*v, 6)))
                .chain(self.values.iter().map(|v| num(v[i], 6)))
                .collect();
            design.record(row)?;
        }
        design.commit()?;
        crate::plot::write_files(staging, "sensitivity", &self.chart())?;
        let mut md = AtomicFile::create(staging, "sensitivity.md")?;
        md.raw(self.markdown().as_bytes())?;
        md.commit()?;
        dir.commit()
    }
}
