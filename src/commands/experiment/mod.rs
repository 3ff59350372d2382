//! Experiments: a folder with an `experiment.toml` that names its scenarios (files beside it),
//! the statistics to report (from the registry of [`crate::analysis::statistics`]; `bordin
//! experiment --list-statistics` lists them) and the qualitative checks its finding implies.
//! `bordin experiment DIR` runs every scenario once (with counterfactuals), reports each
//! statistic as a mean over replicates with its Monte Carlo SE, and writes `results.csv` and
//! `results.md`; `--quick` uses a third of the replicates, and the tests run every experiment
//! that way and assert its checks.
//!
//! Every experiment also draws `figure.png` and `figure.svg`: a forest-style dot plot of every
//! row and check (value, 95% Monte Carlo interval of ± 1.96 SE; a check's band as a shaded box,
//! its dot filled when it passes and hollow when not). Rows and checks with the same optional
//! `panel` string share an x axis; panels are stacked in the order their names first appear
//! (rows before checks). Rows and checks without `panel` share one untitled panel, so an
//! experiment whose statistics have different scales names its panels.
//!
//! A `[[figure]]` table adds a curve, `figure_NAME.png`, `.svg` and `.csv`: statistic
//! `statistic` with `{n}` replaced by `from`, `from + 1`, ..., `to`, one line per scenario with
//! a ribbon of ± 1.96 Monte Carlo SE. Only statistics with a numeric suffix make sense there
//! (`improved_by_session_{n}`). Figures are checked before anything is simulated: an unknown
//! scenario or a statistic that does not parse is an error naming the figure and the field.
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
//! panel = "Hedges' g"
//! [[check]]
//! label = "|g| at most .20"
//! scenario = "main"
//! statistic = "abs_hedges_g:cbt:psychodynamic"
//! lower = 0.0
//! upper = 0.2
//! panel = "Hedges' g"
//! [[figure]]
//! name = "dose_effect"
//! kind = "series"
//! title = "Share reliably improved by session n"
//! x_label = "Sessions attended"
//! y_label = "Share improved (Kaplan-Meier)"
//! statistic = "improved_by_session_{n}"
//! from = 1
//! to = 20
//! scenarios = ["main"]
//! ```
//!
//! Here: the outcome's types and the two entry points, [`run`] and [`write`]. Reading and
//! checking `experiment.toml` is in `spec`, loading and simulating the scenarios and computing
//! each value in `run`, the tables (`results.md`, `results.csv`, `figure_NAME.csv`) in
//! `results`, and the figures' charts in `figure`.

mod figure;
mod results;
mod run;
mod spec;

use std::path::Path;

use crate::analysis::statistics;
use crate::commands::calibrate;
use crate::error::Result;
use crate::io::{Mode, OutputDir, Owned};
use crate::plot;
use crate::scenario::posterior::Posterior;

/// One reported value.
#[derive(Clone, Debug)]
pub struct Value {
    pub label: String,
    pub scenario: String,
    pub statistic: String,
    pub value: f64,
    pub mc_se: f64,
    /// With `--posterior`: the 2.5% and 97.5% quantiles of the replicates' values (each
    /// replicate a posterior draw), the posterior predictive interval.
    pub interval: Option<(f64, f64)>,
    /// For checks: the band and whether the value lies in it (widened by 2 SE when quick).
    pub band: Option<(f64, f64)>,
    pub pass: Option<bool>,
    /// The figure panel it is drawn in (`None`: the default panel).
    pub panel: Option<String>,
}

/// A curve of a `[[figure]]`: a statistic at each number, per scenario.
#[derive(Clone, Debug)]
pub struct Series {
    /// The files are `figure_NAME.png`, `.svg` and `.csv`.
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// The statistic, with `{n}` where the number goes.
    pub statistic: String,
    pub lines: Vec<SeriesLine>,
}

impl Series {
    /// The stem of the figure's files: `figure_NAME`.
    fn stem(&self) -> String {
        format!("figure_{}", self.name)
    }
}

/// One scenario's curve.
#[derive(Clone, Debug)]
pub struct SeriesLine {
    pub scenario: String,
    /// `(n, mean over replicates, Monte Carlo SE)`.
    pub points: Vec<(u32, f64, f64)>,
}

/// A panel of the results figure: rows and checks that share an x axis.
#[derive(Clone, Debug)]
pub struct Panel<'a> {
    /// The `panel` key (empty: the default panel, drawn untitled).
    pub name: &'a str,
    /// Rows, then checks, in file order.
    pub values: Vec<&'a Value>,
}

/// The result of an experiment.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub title: String,
    pub question: String,
    pub rows: Vec<Value>,
    pub checks: Vec<Value>,
    /// The `[[figure]]` curves.
    pub series: Vec<Series>,
    pub quick: bool,
    /// With `--posterior`: the posterior and its draws, described.
    pub posterior: Option<String>,
}

impl Outcome {
    /// Whether every check passes.
    pub fn all_checks_pass(&self) -> bool {
        self.checks.iter().all(|c| c.pass == Some(true))
    }

    /// The panels of the results figure: one per distinct `panel` value, in the order the
    /// values first appear (rows before checks); values without a panel share one.
    pub fn panels(&self) -> Vec<Panel<'_>> {
        let mut out: Vec<Panel<'_>> = Vec::new();
        for v in self.rows.iter().chain(&self.checks) {
            let name = v.panel.as_deref().unwrap_or("");
            match out.iter_mut().find(|p| p.name == name) {
                Some(p) => p.values.push(v),
                None => out.push(Panel {
                    name,
                    values: vec![v],
                }),
            }
        }
        out
    }
}

/// What `bordin experiment --list-statistics` prints: every statistic of the registry with its
/// arguments, its one-line doc and the calibration targets that use it.
pub fn list_statistics() -> String {
    with_target_uses(statistics::render::text)
}

/// docs/statistics-registry.md: the registry as Markdown, with the targets that use each
/// statistic.
pub fn statistics_markdown() -> String {
    with_target_uses(statistics::render::markdown)
}

fn with_target_uses(render: fn(&[(&str, &str)]) -> String) -> String {
    let targets = calibrate::targets();
    let uses: Vec<(&str, &str)> = targets
        .iter()
        .map(|t| (t.id.as_str(), t.statistic.as_str()))
        .collect();
    render(&uses)
}

/// Runs the experiment in `dir`.
///
/// # Errors
/// A missing or invalid `experiment.toml` or scenario file (naming the path), or an
/// [`crate::error::ExperimentError`]: a row, check or figure naming an unknown scenario, a bad
/// figure field, or an unknown statistic. Figures and scenario names are checked before
/// anything is simulated.
pub fn run(dir: &Path, quick: bool) -> Result<Outcome> {
    run_over(dir, quick, None)
}

/// [`run`] over a posterior (`--posterior FILE|default [--draws K]`): each replicate of every
/// scenario simulates a posterior draw; values carry their posterior predictive intervals.
///
/// # Errors
/// As [`run`]; a posterior whose keys a scenario does not have.
pub fn run_over(
    dir: &Path,
    quick: bool,
    posterior: Option<(&Posterior, Option<u64>)>,
) -> Result<Outcome> {
    let spec = spec::read(dir)?;
    let scenarios = run::load(&spec, dir, quick)?;
    spec::check_figure_statistics(&spec, &scenarios)?;
    let runs = run::simulate(&spec, scenarios, posterior)?;
    Ok(run::outcome(&runs, quick)?)
}

/// Writes `results.csv` (kind, label, scenario, statistic, value, mc_se, lower, upper, pass),
/// `results.md` and the figures into `out`: `figure.png` and `figure.svg` (every row and check),
/// and per `[[figure]]` `figure_NAME.png`, `.svg` and `.csv` (scenario, n, statistic, value,
/// mc_se).
///
/// The files appear together ([`OutputDir`]), replacing those of the same names; other files
/// (a figure no longer in the experiment, notes) stay.
///
/// # Errors
/// The directory is in use or a file cannot be written, or a figure cannot be rendered.
pub fn write(out: &Path, o: &Outcome) -> Result<()> {
    let dir = OutputDir::open(out, RESULT_OUTPUTS, Mode::Update)?;
    let staging = dir.staging();
    results::write_csv(staging, o)?;
    results::write_markdown(staging, o)?;
    plot::write_files(staging, "figure", &figure::forest_chart(o))?;
    for s in &o.series {
        results::write_series_csv(staging, s)?;
        plot::write_files(staging, &s.stem(), &figure::series_chart(s))?;
    }
    dir.commit()
}

/// An experiment's results replace only the files of the same names.
const RESULT_OUTPUTS: Owned = Owned {
    owns: |_| false,
    subdirs: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn value(label: &str, panel: Option<&str>, band: Option<(f64, f64)>) -> Value {
        Value {
            label: label.into(),
            scenario: "main".into(),
            statistic: "mean_sessions".into(),
            value: 1.0,
            mc_se: 0.1,
            interval: None,
            band,
            pass: band.map(|_| true),
            panel: panel.map(String::from),
        }
    }

    #[test]
    fn panels_group_by_name_in_first_appearance_order() {
        let o = Outcome {
            title: "t".into(),
            question: "q".into(),
            rows: vec![
                value("a", Some("Sessions"), None),
                value("b", None, None),
                value("c", Some("Shares"), None),
                value("d", Some("Sessions"), None),
            ],
            checks: vec![
                value("e", Some("Shares"), Some((0.0, 1.0))),
                value("f", Some("Effect sizes"), Some((0.0, 1.0))),
                value("g", None, Some((0.0, 1.0))),
            ],
            series: Vec::new(),
            quick: false,
            posterior: None,
        };
        let panels = o.panels();
        let got: Vec<(&str, Vec<&str>)> = panels
            .iter()
            .map(|p| (p.name, p.values.iter().map(|v| v.label.as_str()).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Sessions", vec!["a", "d"]),
                ("", vec!["b", "g"]),
                ("Shares", vec!["c", "e"]),
                ("Effect sizes", vec!["f"]),
            ]
        );
    }

    #[test]
    fn without_panels_everything_shares_one() {
        let o = Outcome {
            title: "t".into(),
            question: "q".into(),
            rows: vec![value("a", None, None), value("b", None, None)],
            checks: vec![value("c", None, Some((0.0, 1.0)))],
            series: Vec::new(),
            quick: false,
            posterior: None,
        };
        let panels = o.panels();
        assert_eq!(panels.len(), 1);
        assert_eq!(panels[0].values.len(), 3);
        assert!(
            Outcome {
                rows: vec![],
                checks: vec![],
                ..o
            }
            .panels()
            .is_empty()
        );
    }
}
