//! Experiments: a folder with an `experiment.toml` that names its scenarios (files beside it),
//! the statistics to report (functions of [`crate::calibration::statistics`]) and the
//! qualitative checks its finding implies. `bordin experiment DIR` runs every scenario once
//! (with counterfactuals), reports each statistic as a mean over replicates with its Monte
//! Carlo SE, and writes `results.csv` and `results.md`; `--quick` uses a third of the
//! replicates, and the tests run every experiment that way and assert its checks.
//!
//! ```toml
//! title = "Dodo bird"
//! question = "Do two bona fide therapies with different techniques differ in outcome?"
//! [[scenario]]
//! name = "main"
//! file = "scenario.toml"
//! [[row]]
//! label = "Hedges' g, CBT vs psychodynamic"
//! scenario = "main"
//! statistic = "hedges_g:cbt:psychodynamic"
//! [[check]]
//! label = "|g| at most .20"
//! scenario = "main"
//! statistic = "abs_hedges_g:cbt:psychodynamic"
//! lower = 0.0
//! upper = 0.2
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::calibration;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    title: String,
    question: String,
    scenario: Vec<ScenarioRef>,
    #[serde(default)]
    row: Vec<Row>,
    #[serde(default)]
    check: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioRef {
    name: String,
    file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    label: String,
    scenario: String,
    statistic: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    label: String,
    scenario: String,
    statistic: String,
    lower: f64,
    upper: f64,
}

/// One reported value.
#[derive(Clone, Debug)]
pub struct Value {
    pub label: String,
    pub scenario: String,
    pub statistic: String,
    pub value: f64,
    pub mc_se: f64,
    /// For checks: the band and whether the value lies in it (widened by 2 SE when quick).
    pub band: Option<(f64, f64)>,
    pub pass: Option<bool>,
}

/// The result of an experiment.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub title: String,
    pub question: String,
    pub rows: Vec<Value>,
    pub checks: Vec<Value>,
    pub quick: bool,
}

impl Outcome {
    /// Whether every check passes.
    pub fn all_checks_pass(&self) -> bool {
        self.checks.iter().all(|c| c.pass == Some(true))
    }

    /// The result as Markdown.
    pub fn markdown(&self) -> String {
        let f = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        let mut out = format!(
            "# {}\n\n{}\n\n| quantity | scenario | value | MC SE |\n|---|---|---|---|\n",
            self.title, self.question
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.label,
                r.scenario,
                f(r.value),
                f(r.mc_se)
            ));
        }
        if !self.checks.is_empty() {
            out.push_str("\n| check | value | band | result |\n|---|---|---|---|\n");
            for c in &self.checks {
                let (lo, hi) = c.band.unwrap_or((f64::NAN, f64::NAN));
                out.push_str(&format!(
                    "| {} | {} | [{lo}, {hi}] | {} |\n",
                    c.label,
                    f(c.value),
                    if c.pass == Some(true) { "pass" } else { "FAIL" }
                ));
            }
        }
        if self.quick {
            out.push_str("\nQuick mode: a third of the replicates; check bands widened by two Monte Carlo SEs.\n");
        }
        out
    }
}

/// Runs the experiment in `dir`.
///
/// # Errors
/// A missing or invalid `experiment.toml` or scenario file (naming the path), or an unknown
/// statistic.
pub fn run(dir: &Path, quick: bool) -> Result<Outcome> {
    let spec_path = dir.join("experiment.toml");
    let text = std::fs::read_to_string(&spec_path).map_err(|source| Error::ReadScenario {
        path: spec_path.clone(),
        source,
    })?;
    let spec: Spec = toml_edit::de::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: {}", spec_path.display(), e.message())))?;
    let mut runs: Vec<(String, Scenario, crate::engine::CollectSink)> = Vec::new();
    for s in &spec.scenario {
        let path: PathBuf = dir.join(&s.file);
        let src = std::fs::read_to_string(&path).map_err(|source| Error::ReadScenario {
            path: path.clone(),
            source,
        })?;
        let name = path.display().to_string();
        let mut sc = Scenario::parse(&src, &name, &[])?;
        if quick {
            sc = Scenario::parse(
                &src,
                &name,
                &[format!("run.replicates={}", (sc.run.replicates / 3).max(3))],
            )?;
        }
        let collected = calibration::simulate(&sc)?;
        runs.push((s.name.clone(), sc, collected));
    }
    let value = |label: &str, scenario: &str, statistic: &str| -> Result<(f64, f64)> {
        let (_, sc, col) = runs.iter().find(|(n, _, _)| n == scenario).ok_or_else(|| {
            Error::Usage(format!(
                "{}: `{label}` names no scenario `{scenario}`",
                spec_path.display()
            ))
        })?;
        calibration::evaluate(sc, col, statistic)
            .map_err(|e| Error::Usage(format!("{}: `{label}`: {e}", spec_path.display())))
    };
    let mut rows = Vec::new();
    for r in &spec.row {
        let (v, se) = value(&r.label, &r.scenario, &r.statistic)?;
        rows.push(Value {
            label: r.label.clone(),
            scenario: r.scenario.clone(),
            statistic: r.statistic.clone(),
            value: v,
            mc_se: se,
            band: None,
            pass: None,
        });
    }
    let mut checks = Vec::new();
    for c in &spec.check {
        let (v, se) = value(&c.label, &c.scenario, &c.statistic)?;
        let widen = if quick && se.is_finite() {
            2.0 * se
        } else {
            0.0
        };
        let pass = v.is_finite() && v >= c.lower - widen && v <= c.upper + widen;
        checks.push(Value {
            label: c.label.clone(),
            scenario: c.scenario.clone(),
            statistic: c.statistic.clone(),
            value: v,
            mc_se: se,
            band: Some((c.lower, c.upper)),
            pass: Some(pass),
        });
    }
    Ok(Outcome {
        title: spec.title,
        question: spec.question,
        rows,
        checks,
        quick,
    })
}

/// Writes `results.csv` (kind, label, scenario, statistic, value, mc_se, lower, upper, pass) and
/// `results.md` into `out`.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn write(out: &Path, o: &Outcome) -> Result<()> {
    use crate::output::{AtomicFile, num};
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let mut csv = AtomicFile::create(out, "results.csv")?;
    csv.record([
        "kind",
        "label",
        "scenario",
        "statistic",
        "value",
        "mc_se",
        "lower",
        "upper",
        "pass",
    ])?;
    for (kind, v) in o
        .rows
        .iter()
        .map(|v| ("row", v))
        .chain(o.checks.iter().map(|v| ("check", v)))
    {
        let (lo, hi) = v.band.map_or((String::new(), String::new()), |(l, h)| {
            (num(l, 6), num(h, 6))
        });
        csv.record([
            kind.to_string(),
            v.label.clone(),
            v.scenario.clone(),
            v.statistic.clone(),
            num(v.value, 6),
            num(v.mc_se, 6),
            lo,
            hi,
            v.pass.map_or(String::new(), |p| u8::from(p).to_string()),
        ])?;
    }
    csv.commit()?;
    let mut md = AtomicFile::create(out, "results.md")?;
    md.raw(o.markdown().as_bytes())?;
    md.commit()?;
    Ok(())
}
