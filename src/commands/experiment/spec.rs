//! `experiment.toml`: its tables, read with errors that name the file and the row, check or
//! figure at fault, and the checks made before anything is simulated.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::statistics;
use crate::error::{Error, ExperimentError, FigureProblem, Result};
use crate::scenario::Scenario;

/// An experiment as its file declares it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spec {
    /// Where it was read from (errors name it).
    #[serde(skip)]
    pub path: PathBuf,
    pub title: String,
    pub question: String,
    pub scenario: Vec<ScenarioRef>,
    #[serde(default)]
    pub row: Vec<Row>,
    #[serde(default)]
    pub check: Vec<Check>,
    #[serde(default)]
    pub figure: Vec<FigureSpec>,
}

/// A `[[scenario]]`: a scenario file beside `experiment.toml`, and the name rows use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioRef {
    pub name: String,
    pub file: String,
}

/// A `[[row]]`: a statistic to report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Row {
    pub label: String,
    pub scenario: String,
    pub statistic: String,
    /// The figure panel (rows and checks with the same panel share an x axis).
    #[serde(default)]
    pub panel: Option<String>,
}

/// A `[[check]]`: a statistic and the band the finding puts it in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Check {
    pub label: String,
    pub scenario: String,
    pub statistic: String,
    pub lower: f64,
    pub upper: f64,
    #[serde(default)]
    pub panel: Option<String>,
}

/// A `[[figure]]`: a statistic over a range of its numeric argument, one line per scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FigureSpec {
    pub name: String,
    pub kind: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// The statistic, with `{n}` where the number goes.
    pub statistic: String,
    pub from: u32,
    pub to: u32,
    pub scenarios: Vec<String>,
}

/// The most points a series figure may have per line.
const MAX_SERIES_POINTS: u32 = 500;

/// The statistic of a series figure at `n`.
pub(super) fn series_statistic(template: &str, n: u32) -> String {
    template.replace("{n}", &n.to_string())
}

impl Spec {
    /// Whether the experiment has a scenario of this name.
    fn has_scenario(&self, name: &str) -> bool {
        self.scenario.iter().any(|s| s.name == name)
    }

    /// A row, check or figure (`label`) naming a scenario the experiment does not have.
    pub fn unknown_scenario(&self, label: &str, scenario: &str) -> ExperimentError {
        ExperimentError::UnknownScenario {
            path: self.path.clone(),
            label: label.to_string(),
            scenario: scenario.to_string(),
        }
    }

    /// Figure `i` (from 0) with a bad field.
    fn figure_error(&self, i: usize, problem: FigureProblem) -> ExperimentError {
        ExperimentError::Figure {
            path: self.path.clone(),
            number: i + 1,
            name: self.figure[i].name.clone(),
            problem: Box::new(problem),
        }
    }
}

/// Reads `dir/experiment.toml` and checks its figures and the scenario names of its rows and
/// checks.
///
/// # Errors
/// [`Error::ReadScenario`] when the file cannot be read, else an [`ExperimentError`] naming it.
pub(super) fn read(dir: &Path) -> Result<Spec> {
    let path = dir.join("experiment.toml");
    let text = crate::config::read_text(&path).map_err(|source| Error::ReadScenario {
        path: path.clone(),
        source,
    })?;
    let mut spec: Spec = toml_edit::de::from_str(&text).map_err(|e| ExperimentError::Spec {
        path: path.clone(),
        message: e.message().to_string(),
    })?;
    spec.path = path;
    check_figures(&spec)?;
    check_scenario_names(&spec)?;
    Ok(spec)
}

/// Every row and check names a scenario of the experiment.
fn check_scenario_names(spec: &Spec) -> Result<(), ExperimentError> {
    let rows = spec.row.iter().map(|r| (&r.label, &r.scenario));
    let checks = spec.check.iter().map(|c| (&c.label, &c.scenario));
    match rows.chain(checks).find(|(_, s)| !spec.has_scenario(s)) {
        Some((label, scenario)) => Err(spec.unknown_scenario(label, scenario)),
        None => Ok(()),
    }
}

/// Checks the `[[figure]]` tables in file order, as far as no scenario is needed.
fn check_figures(spec: &Spec) -> Result<(), ExperimentError> {
    for (i, f) in spec.figure.iter().enumerate() {
        let duplicate = spec.figure[..i].iter().any(|g| g.name == f.name);
        check_figure(spec, f, duplicate).map_err(|problem| spec.figure_error(i, problem))?;
    }
    Ok(())
}

/// A figure's name (`duplicate`: an earlier figure has it), kind, statistic template, range
/// and scenario names, in that order.
fn check_figure(spec: &Spec, f: &FigureSpec, duplicate: bool) -> Result<(), FigureProblem> {
    let file_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if f.name.is_empty() || !f.name.chars().all(file_name) {
        return Err(FigureProblem::BadName);
    }
    if duplicate {
        return Err(FigureProblem::DuplicateName);
    }
    if f.kind != "series" {
        return Err(FigureProblem::UnknownKind(f.kind.clone()));
    }
    if !f.statistic.contains("{n}") {
        return Err(FigureProblem::NoNumber(f.statistic.clone()));
    }
    if f.from > f.to {
        return Err(FigureProblem::ToBelowFrom {
            from: f.from,
            to: f.to,
        });
    }
    if f.to - f.from >= MAX_SERIES_POINTS {
        return Err(FigureProblem::TooManyPoints {
            max: MAX_SERIES_POINTS,
        });
    }
    if f.scenarios.is_empty() {
        return Err(FigureProblem::NoScenario);
    }
    for (k, s) in f.scenarios.iter().enumerate() {
        if !spec.has_scenario(s) {
            let known = spec.scenario.iter().map(|r| r.name.clone()).collect();
            return Err(FigureProblem::UnknownScenario {
                name: s.clone(),
                known,
            });
        }
        if f.scenarios[..k].contains(s) {
            return Err(FigureProblem::ScenarioTwice(s.clone()));
        }
    }
    Ok(())
}

/// Checks that each figure's statistic parses at every number, by computing it on no patients
/// of each of its scenarios (`scenarios`: name and scenario, loaded).
pub(super) fn check_figure_statistics(
    spec: &Spec,
    scenarios: &[(String, Scenario)],
) -> Result<(), ExperimentError> {
    for (i, f) in spec.figure.iter().enumerate() {
        for s in &f.scenarios {
            let Some((_, sc)) = scenarios.iter().find(|(n, _)| n == s) else {
                continue;
            };
            let empty = statistics::Replicate {
                scenario: sc,
                therapists: &[],
                outcomes: &[],
            };
            for n in f.from..=f.to {
                let statistic = series_statistic(&f.statistic, n);
                statistics::compute(&statistic, &empty).map_err(|e| {
                    let problem = FigureProblem::Statistic {
                        statistic: statistic.clone(),
                        scenario: s.clone(),
                        source: e.into(),
                    };
                    spec.figure_error(i, problem)
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_statistic_fills_in_the_number() {
        assert_eq!(
            series_statistic("improved_by_session_{n}", 12),
            "improved_by_session_12"
        );
    }
}
