//! Running an experiment: each scenario loaded and simulated once (with counterfactuals, as
//! calibration runs them), then every row, check and figure point computed from those runs.

use std::path::Path;

use crate::commands::calibrate;
use crate::error::{Error, ExperimentError, Result};
use crate::scenario::Scenario;
use crate::scenario::posterior::{Posterior, PosteriorDraws};
use crate::sim::engine::CollectSink;

use super::spec::{Spec, series_statistic};
use super::{Outcome, Series, SeriesLine, Value};

/// The scenarios of `spec` by name, read from their files beside `experiment.toml` (`dir`);
/// `quick` keeps a third of the replicates (at least 3).
///
/// # Errors
/// A scenario file that cannot be read or is invalid.
pub(super) fn load(spec: &Spec, dir: &Path, quick: bool) -> Result<Vec<(String, Scenario)>> {
    let mut scenarios = Vec::new();
    for s in &spec.scenario {
        let path = dir.join(&s.file);
        let src = crate::config::read_text(&path).map_err(|source| Error::ReadScenario {
            path: path.clone(),
            source,
        })?;
        let name = path.display().to_string();
        let mut sc = Scenario::parse(&src, &name, &[])?;
        if quick {
            let replicates = (sc.run.replicates / 3).max(3);
            sc = Scenario::parse(&src, &name, &[format!("run.replicates={replicates}")])?;
        }
        scenarios.push((s.name.clone(), sc));
    }
    Ok(scenarios)
}

/// The 2.5% and 97.5% quantiles of the replicates' values.
type Interval = (f64, f64);

/// One scenario, simulated (with `--posterior`, a draw per replicate).
struct Run {
    name: String,
    scenario: Scenario,
    draws: Option<PosteriorDraws>,
    collected: CollectSink,
}

/// The simulated scenarios of an experiment.
pub(super) struct Runs<'a> {
    spec: &'a Spec,
    runs: Vec<Run>,
}

/// Simulates each scenario in turn; with a posterior, each replicate with its draw's
/// constants (the keys checked against every scenario first).
///
/// # Errors
/// As [`calibrate::simulate`]; a posterior whose keys a scenario does not have.
pub(super) fn simulate<'a>(
    spec: &'a Spec,
    scenarios: Vec<(String, Scenario)>,
    posterior: Option<(&Posterior, Option<u64>)>,
) -> Result<Runs<'a>> {
    let draws: Vec<Option<PosteriorDraws>> = scenarios
        .iter()
        .map(|(_, sc)| {
            posterior
                .map(|(p, k)| PosteriorDraws::new(p.clone(), sc, k))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let mut runs = Vec::new();
    for ((name, scenario), draws) in scenarios.into_iter().zip(draws) {
        let collected = calibrate::simulate_over(&scenario, draws.as_ref())?;
        runs.push(Run {
            name,
            scenario,
            draws,
            collected,
        });
    }
    Ok(Runs { spec, runs })
}

impl Runs<'_> {
    /// A statistic's mean over replicates and its Monte Carlo SE in the run of `scenario`;
    /// `label` names the row, check or figure in errors.
    fn value(
        &self,
        label: &str,
        scenario: &str,
        statistic: &str,
    ) -> Result<(f64, f64), ExperimentError> {
        let (values, _) = self.values(label, scenario, statistic)?;
        Ok(calibrate::mean_and_se(&values))
    }

    /// [`Runs::value`] with, under a posterior, the 2.5% and 97.5% quantiles of the
    /// replicates' values: the posterior predictive interval.
    fn value_with_interval(
        &self,
        label: &str,
        scenario: &str,
        statistic: &str,
    ) -> Result<(f64, f64, Option<Interval>), ExperimentError> {
        let (mut values, posterior) = self.values(label, scenario, statistic)?;
        let (mean, se) = calibrate::mean_and_se(&values);
        values.sort_by(f64::total_cmp);
        let interval = (posterior && !values.is_empty()).then(|| {
            (
                crate::stats::quantile_sorted(&values, 0.025),
                crate::stats::quantile_sorted(&values, 0.975),
            )
        });
        Ok((mean, se, interval))
    }

    /// The statistic's value in each replicate where it is defined, and whether the run is
    /// over a posterior.
    fn values(
        &self,
        label: &str,
        scenario: &str,
        statistic: &str,
    ) -> Result<(Vec<f64>, bool), ExperimentError> {
        let run = self
            .runs
            .iter()
            .find(|r| r.name == scenario)
            .ok_or_else(|| self.spec.unknown_scenario(label, scenario))?;
        let values = match &run.draws {
            None => calibrate::replicate_values(&|_| &run.scenario, &run.collected, statistic),
            Some(d) => calibrate::replicate_values(&|r| d.scenario(r), &run.collected, statistic),
        }
        .map_err(|e| ExperimentError::Statistic {
            path: self.spec.path.clone(),
            label: label.to_string(),
            source: e.into(),
        })?;
        Ok((values, run.draws.is_some()))
    }

    /// The posterior the runs answer over, described (`None` without).
    fn posterior(&self) -> Option<String> {
        let mut text = self
            .runs
            .iter()
            .find_map(|r| r.draws.as_ref().map(PosteriorDraws::describe_source))?;
        for r in &self.runs {
            if let Some(kept) = r.draws.as_ref().and_then(PosteriorDraws::describe_kept) {
                text.push_str(&format!("; scenario `{}` keeps its own {kept}", r.name));
            }
        }
        Some(text)
    }
}

/// The rows, checks (bands widened by two Monte Carlo SEs when `quick`) and figure curves.
///
/// # Errors
/// [`ExperimentError::Statistic`] for a statistic that cannot be computed as written.
pub(super) fn outcome(runs: &Runs, quick: bool) -> Result<Outcome, ExperimentError> {
    Ok(Outcome {
        title: runs.spec.title.clone(),
        question: runs.spec.question.clone(),
        rows: rows(runs)?,
        checks: checks(runs, quick)?,
        series: series(runs)?,
        quick,
        posterior: runs.posterior(),
    })
}

fn rows(runs: &Runs) -> Result<Vec<Value>, ExperimentError> {
    let mut rows = Vec::new();
    for r in &runs.spec.row {
        let (value, mc_se, interval) =
            runs.value_with_interval(&r.label, &r.scenario, &r.statistic)?;
        rows.push(Value {
            interval,
            label: r.label.clone(),
            scenario: r.scenario.clone(),
            statistic: r.statistic.clone(),
            value,
            mc_se,
            band: None,
            pass: None,
            panel: r.panel.clone(),
        });
    }
    Ok(rows)
}

fn checks(runs: &Runs, quick: bool) -> Result<Vec<Value>, ExperimentError> {
    let mut checks = Vec::new();
    for c in &runs.spec.check {
        let (value, mc_se, interval) =
            runs.value_with_interval(&c.label, &c.scenario, &c.statistic)?;
        let widen = if quick && mc_se.is_finite() {
            2.0 * mc_se
        } else {
            0.0
        };
        let pass = value.is_finite() && value >= c.lower - widen && value <= c.upper + widen;
        checks.push(Value {
            interval,
            label: c.label.clone(),
            scenario: c.scenario.clone(),
            statistic: c.statistic.clone(),
            value,
            mc_se,
            band: Some((c.lower, c.upper)),
            pass: Some(pass),
            panel: c.panel.clone(),
        });
    }
    Ok(checks)
}

fn series(runs: &Runs) -> Result<Vec<Series>, ExperimentError> {
    let mut series = Vec::new();
    for f in &runs.spec.figure {
        let label = format!("figure `{}`", f.name);
        let mut lines = Vec::new();
        for s in &f.scenarios {
            let points = (f.from..=f.to)
                .map(|n| {
                    let (v, se) = runs.value(&label, s, &series_statistic(&f.statistic, n))?;
                    Ok((n, v, se))
                })
                .collect::<Result<Vec<_>, ExperimentError>>()?;
            lines.push(SeriesLine {
                scenario: s.clone(),
                points,
            });
        }
        series.push(Series {
            name: f.name.clone(),
            title: f.title.clone(),
            x_label: f.x_label.clone(),
            y_label: f.y_label.clone(),
            statistic: f.statistic.clone(),
            lines,
        });
    }
    Ok(series)
}
