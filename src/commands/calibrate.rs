//! Calibration against published findings (`configs/calibration/targets.toml`).
//!
//! Each target names a statistic of the registry ([`statistics`], whose functions say how each
//! value is computed from the simulated measured data) and a calibration scenario. Every
//! scenario runs once, with all its replicates and with counterfactuals; each statistic is
//! computed per replicate, and the value reported is the mean over replicates with its Monte
//! Carlo standard error (SD over replicates / sqrt(replicates)). A target passes when the value
//! lies in its band; in `--quick` mode (fewer replicates) the band is widened by two Monte Carlo
//! SEs, as docs/findings.md's conventions ask for smaller runs.

use crate::analysis::statistics::{self, StatisticError};

use serde::{Deserialize, Serialize};

use crate::error::{CalibrateError, Result};
use crate::scenario::Scenario;
use crate::scenario::posterior::PosteriorDraws;
use crate::sim::engine::{self, RunOptions};
use crate::stats;

/// The targets file, embedded.
pub const TARGETS: &str = include_str!("../../configs/calibration/targets.toml");

/// The calibration scenarios, embedded (name, text).
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "routine",
        include_str!("../../configs/calibration/routine.toml"),
    ),
    (
        "routine_brief",
        include_str!("../../configs/calibration/routine_brief.toml"),
    ),
    ("dose", include_str!("../../configs/calibration/dose.toml")),
    (
        "trial",
        include_str!("../../configs/calibration/trial.toml"),
    ),
    (
        "bona_fide",
        include_str!("../../configs/calibration/bona_fide.toml"),
    ),
    (
        "psychosis",
        include_str!("../../configs/calibration/psychosis.toml"),
    ),
    (
        "feedback",
        include_str!("../../configs/calibration/feedback.toml"),
    ),
    (
        "rupture_training",
        include_str!("../../configs/calibration/rupture_training.toml"),
    ),
    (
        "baldwin",
        include_str!("../../configs/calibration/baldwin.toml"),
    ),
];

/// One target: a finding, its statistic and its band.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    pub finding: String,
    pub statistic: String,
    pub scenario: String,
    pub lower: f64,
    pub upper: f64,
    pub source: String,
    pub confirmed: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize)]
struct TargetsFile {
    target: Vec<Target>,
}

/// Parses the embedded targets.
pub fn targets() -> Vec<Target> {
    toml_edit::de::from_str::<TargetsFile>(TARGETS)
        .expect("the embedded targets file is valid (tested)")
        .target
}

/// The result for one target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetResult {
    pub id: String,
    pub statistic: String,
    pub scenario: String,
    pub value: f64,
    pub mc_se: f64,
    pub lower: f64,
    pub upper: f64,
    /// `None` when the statistic is not computed.
    pub pass: Option<bool>,
    pub confirmed: String,
    pub finding: String,
    pub note: String,
}

/// Options of a calibration.
#[derive(Clone, Debug, Default)]
pub struct CalibrateOptions {
    /// Fewer replicates, bands widened by two Monte Carlo SEs.
    pub quick: bool,
    /// `--set` overrides applied to every calibration scenario (sensitivity analyses).
    pub overrides: Vec<String>,
}

/// Loads a calibration scenario by name, with the run size of the mode and extra overrides.
///
/// # Errors
/// [`CalibrateError::UnknownScenario`] for an unknown name, or overrides that do not fit the
/// scenario.
pub fn scenario(name: &str, quick: bool, overrides: &[String]) -> Result<Scenario> {
    let (_, text) = SCENARIOS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        CalibrateError::UnknownScenario {
            name: name.to_string(),
        }
    })?;
    let source = format!("configs/calibration/{name}.toml");
    let full = Scenario::parse(text, &source, overrides)?;
    if !quick {
        return Ok(full);
    }
    let mut o = overrides.to_vec();
    o.push(format!(
        "run.replicates={}",
        (full.run.replicates / 3).max(3)
    ));
    Ok(Scenario::parse(text, &source, &o)?)
}

/// Runs every calibration scenario and evaluates every target.
///
/// # Errors
/// A calibration scenario that does not parse, or [`CalibrateError::Target`] for a target naming
/// an unknown statistic.
pub fn calibrate(opts: &CalibrateOptions) -> Result<Vec<TargetResult>> {
    let targets = targets();
    let mut names: Vec<&str> = targets.iter().map(|t| t.scenario.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut results = Vec::new();
    for name in names {
        let sc = scenario(name, opts.quick, &opts.overrides)?;
        let collected = simulate(&sc)?;
        for t in targets.iter().filter(|t| t.scenario == name) {
            if t.statistic.is_empty() {
                results.push(result(t, f64::NAN, f64::NAN, None));
                continue;
            }
            let (value, se) =
                evaluate(&sc, &collected, &t.statistic).map_err(|e| CalibrateError::Target {
                    id: t.id.clone(),
                    source: e.into(),
                })?;
            let widen = if opts.quick && se.is_finite() {
                2.0 * se
            } else {
                0.0
            };
            let pass = value.is_finite() && value >= t.lower - widen && value <= t.upper + widen;
            results.push(result(t, value, se, Some(pass)));
        }
    }
    let order: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    results.sort_by_key(|r| order.iter().position(|id| *id == r.id));
    Ok(results)
}

/// Runs a scenario with counterfactuals and session rows, as calibration and experiments need.
///
/// # Errors
/// As [`engine::collect`].
pub fn simulate(sc: &Scenario) -> Result<engine::CollectSink> {
    simulate_over(sc, None)
}

/// [`simulate`], each replicate with its posterior draw's scenario when `draws` is given.
///
/// # Errors
/// As [`engine::run_each`].
pub fn simulate_over(sc: &Scenario, draws: Option<&PosteriorDraws>) -> Result<engine::CollectSink> {
    let run_opts = RunOptions {
        counterfactual: true,
        record_sessions: true,
        ..RunOptions::default()
    };
    let mut sink = engine::CollectSink::default();
    let replicates = 0..sc.run.replicates;
    match draws {
        None => engine::run(sc, &run_opts, replicates, &mut sink)?,
        Some(d) => engine::run_each(&|r| d.scenario(r), &run_opts, replicates, &mut sink)?,
    }
    Ok(sink)
}

/// A statistic's mean over replicates and its Monte Carlo standard error (SD over replicates
/// / sqrt(replicates)); replicates where it is undefined are left out.
///
/// # Errors
/// An unknown statistic or argument.
pub fn evaluate(
    sc: &Scenario,
    collected: &engine::CollectSink,
    statistic: &str,
) -> std::result::Result<(f64, f64), StatisticError> {
    Ok(mean_and_se(&replicate_values(
        &|_| sc,
        collected,
        statistic,
    )?))
}

/// A statistic's value in each replicate where it is defined (in replicate order), each
/// computed with its replicate's scenario (`scenario_of(replicate)`: a posterior draw's).
///
/// # Errors
/// An unknown statistic or argument.
pub fn replicate_values<'a>(
    scenario_of: &dyn Fn(u64) -> &'a Scenario,
    collected: &engine::CollectSink,
    statistic: &str,
) -> std::result::Result<Vec<f64>, StatisticError> {
    let mut values = Vec::new();
    for engine::CollectedReplicate {
        replicate,
        therapists,
        outcomes,
    } in &collected.replicates
    {
        let r = statistics::Replicate {
            scenario: scenario_of(*replicate),
            therapists,
            outcomes,
        };
        let v = statistics::compute(statistic, &r)?;
        if v.is_finite() {
            values.push(v);
        }
    }
    Ok(values)
}

/// The mean of `values` and its Monte Carlo SE (NaN for none).
pub fn mean_and_se(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let se = stats::var(values).sqrt() / (values.len() as f64).sqrt();
    (stats::mean(values), se)
}

fn result(t: &Target, value: f64, mc_se: f64, pass: Option<bool>) -> TargetResult {
    TargetResult {
        id: t.id.clone(),
        statistic: t.statistic.clone(),
        scenario: t.scenario.clone(),
        value,
        mc_se,
        lower: t.lower,
        upper: t.upper,
        pass,
        confirmed: t.confirmed.clone(),
        finding: t.finding.clone(),
        note: t.note.clone(),
    }
}

/// Whether every confirmed, computed target passes.
pub fn all_confirmed_pass(results: &[TargetResult]) -> bool {
    results
        .iter()
        .filter(|r| r.confirmed == "yes")
        .all(|r| r.pass != Some(false))
}

fn f(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "-".into()
    }
}

fn verdict(r: &TargetResult) -> &'static str {
    match r.pass {
        Some(true) => "pass",
        Some(false) => "FAIL",
        None => "not computed",
    }
}

/// A Markdown table of the results.
pub fn markdown(results: &[TargetResult], quick: bool) -> String {
    let mut out = String::from(
        "| id | finding | scenario | value | MC SE | band | result | confirmed |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | [{}, {}] | {} | {} |\n",
            r.id,
            r.finding.replace('|', "\\|"),
            r.scenario,
            f(r.value),
            f(r.mc_se),
            r.lower,
            r.upper,
            if r.pass.is_none() && !r.note.is_empty() {
                format!("not computed: {}", r.note)
            } else {
                verdict(r).to_string()
            },
            r.confirmed
        ));
    }
    if quick {
        out.push_str("\nQuick mode: fewer replicates; bands widened by two Monte Carlo SEs.\n");
    }
    out
}

/// A plain-text table for the terminal.
pub fn text_table(results: &[TargetResult]) -> String {
    let mut out = format!(
        "{:<5} {:<38} {:<16} {:>9} {:>8} {:>19}  {:<12} {}\n",
        "id", "statistic", "scenario", "value", "mc_se", "band", "result", "confirmed"
    );
    for r in results {
        let stat: String = if r.statistic.is_empty() {
            "(not computed)".into()
        } else {
            r.statistic.chars().take(38).collect()
        };
        out.push_str(&format!(
            "{:<5} {:<38} {:<16} {:>9} {:>8} {:>19}  {:<12} {}\n",
            r.id,
            stat,
            r.scenario,
            f(r.value),
            f(r.mc_se),
            format!("[{}, {}]", r.lower, r.upper),
            verdict(r),
            r.confirmed
        ));
    }
    let confirmed: Vec<_> = results
        .iter()
        .filter(|r| r.confirmed == "yes" && r.pass.is_some())
        .collect();
    let passed = confirmed.iter().filter(|r| r.pass == Some(true)).count();
    out.push_str(&format!(
        "{passed} of {} computed confirmed targets pass.\n",
        confirmed.len()
    ));
    out
}

/// The files `bordin calibrate` writes; they replace those of an earlier calibration.
pub const CALIBRATION_OUTPUTS: crate::io::Owned = crate::io::Owned {
    owns: |path| path == "calibration.csv" || path == "calibration.md",
    subdirs: &[],
};

/// Writes `calibration.csv` (id, statistic, scenario, value, mc_se, lower, upper, pass,
/// confirmed) and `calibration.md` into `out`; the two appear together ([`OutputDir`]).
///
/// # Errors
/// The directory is in use or a file cannot be written.
///
/// [`OutputDir`]: crate::io::OutputDir
pub fn write(out: &std::path::Path, results: &[TargetResult], quick: bool) -> Result<()> {
    use crate::io::{AtomicFile, Mode, OutputDir, num};
    let out = OutputDir::open(out, CALIBRATION_OUTPUTS, Mode::Update)?;
    let dir = out.staging();
    let mut csv = AtomicFile::create(dir, "calibration.csv")?;
    csv.record([
        "id",
        "statistic",
        "scenario",
        "value",
        "mc_se",
        "lower",
        "upper",
        "pass",
        "confirmed",
    ])?;
    for r in results {
        csv.record([
            r.id.clone(),
            r.statistic.clone(),
            r.scenario.clone(),
            num(r.value, 6),
            num(r.mc_se, 6),
            num(r.lower, 6),
            num(r.upper, 6),
            r.pass
                .map_or(String::new(), |p| crate::io::format::flag(p).into()),
            r.confirmed.clone(),
        ])?;
    }
    csv.commit()?;
    let mut md = AtomicFile::create(dir, "calibration.md")?;
    md.raw(format!("# Calibration\n\n{}", markdown(results, quick)).as_bytes())?;
    md.commit()?;
    out.commit()
}

/// Patients `bordin calibrate` simulates: replicates x patients of every calibration scenario
/// (an estimate; the bar grows if more are simulated).
pub fn calibration_patients(quick: bool, overrides: &[String]) -> u64 {
    let mut names: Vec<String> = targets().into_iter().map(|t| t.scenario).collect();
    names.sort_unstable();
    names.dedup();
    names
        .iter()
        .filter_map(|n| scenario(n, quick, overrides).ok())
        .map(|sc| sc.run.replicates * sc.run.patients)
        .sum()
}
