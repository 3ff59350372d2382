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

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::statistics;
use crate::commands::calibrate;
use crate::error::{Error, Result};
use crate::plot;
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
    #[serde(default)]
    figure: Vec<FigureSpec>,
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
    /// The figure panel (rows and checks with the same panel share an x axis).
    #[serde(default)]
    panel: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    label: String,
    scenario: String,
    statistic: String,
    lower: f64,
    upper: f64,
    #[serde(default)]
    panel: Option<String>,
}

/// A `[[figure]]`: a statistic over a range of its numeric argument, one line per scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FigureSpec {
    name: String,
    kind: String,
    title: String,
    x_label: String,
    y_label: String,
    /// The statistic, with `{n}` where the number goes.
    statistic: String,
    from: u32,
    to: u32,
    scenarios: Vec<String>,
}

/// The most points a series figure may have per line.
const MAX_SERIES_POINTS: u32 = 500;

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

/// The statistic of a series figure at `n`.
fn series_statistic(template: &str, n: u32) -> String {
    template.replace("{n}", &n.to_string())
}

/// Checks the `[[figure]]` tables that need no scenario: names, kinds, ranges, templates and
/// scenario names.
fn check_figures(spec: &Spec, spec_path: &Path) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    for (i, f) in spec.figure.iter().enumerate() {
        let err = |field: &str, msg: String| {
            Error::Usage(format!(
                "{}: figure {} (`{}`), field `{field}`: {msg}",
                spec_path.display(),
                i + 1,
                f.name
            ))
        };
        if f.name.is_empty()
            || !f
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(err(
                "name",
                "must be letters, digits, `_` or `-` (it names the files figure_NAME.*)".into(),
            ));
        }
        if names.contains(&f.name.as_str()) {
            return Err(err("name", "another figure has this name".into()));
        }
        names.push(&f.name);
        if f.kind != "series" {
            return Err(err(
                "kind",
                format!("unknown kind `{}` (known: `series`)", f.kind),
            ));
        }
        if !f.statistic.contains("{n}") {
            return Err(err(
                "statistic",
                format!(
                    "`{}` has no `{{n}}` for the number (e.g. `improved_by_session_{{n}}`)",
                    f.statistic
                ),
            ));
        }
        if f.from > f.to {
            return Err(err("to", format!("{} is below `from` ({})", f.to, f.from)));
        }
        if f.to - f.from >= MAX_SERIES_POINTS {
            return Err(err(
                "to",
                format!("at most {MAX_SERIES_POINTS} points from `from` to `to`"),
            ));
        }
        if f.scenarios.is_empty() {
            return Err(err("scenarios", "names no scenario".into()));
        }
        for (k, s) in f.scenarios.iter().enumerate() {
            if !spec.scenario.iter().any(|r| r.name == *s) {
                let known: Vec<&str> = spec.scenario.iter().map(|r| r.name.as_str()).collect();
                return Err(err(
                    "scenarios",
                    format!(
                        "no scenario `{s}` (the experiment has: {})",
                        known.join(", ")
                    ),
                ));
            }
            if f.scenarios[..k].contains(s) {
                return Err(err("scenarios", format!("`{s}` is named twice")));
            }
        }
    }
    Ok(())
}

/// Checks that a figure's statistic parses at every number, by computing it on no patients.
fn check_figure_statistics(
    spec: &Spec,
    spec_path: &Path,
    scenarios: &[(String, Scenario)],
) -> Result<()> {
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
                let stat = series_statistic(&f.statistic, n);
                statistics::compute(&stat, &empty).map_err(|e| {
                    Error::Usage(format!(
                        "{}: figure {} (`{}`), field `statistic`: `{stat}` for scenario `{s}`: {e}",
                        spec_path.display(),
                        i + 1,
                        f.name
                    ))
                })?;
            }
        }
    }
    Ok(())
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
/// A missing or invalid `experiment.toml` or scenario file (naming the path), a row, check or
/// figure naming an unknown scenario, or an unknown statistic. Figures and scenario names are
/// checked before anything is simulated.
pub fn run(dir: &Path, quick: bool) -> Result<Outcome> {
    let spec_path = dir.join("experiment.toml");
    let text = crate::config::read_text(&spec_path).map_err(|source| Error::ReadScenario {
        path: spec_path.clone(),
        source,
    })?;
    let spec: Spec = toml_edit::de::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: {}", spec_path.display(), e.message())))?;
    check_figures(&spec, &spec_path)?;
    for (label, scenario) in spec
        .row
        .iter()
        .map(|r| (&r.label, &r.scenario))
        .chain(spec.check.iter().map(|c| (&c.label, &c.scenario)))
    {
        if !spec.scenario.iter().any(|s| s.name == *scenario) {
            return Err(Error::Usage(format!(
                "{}: `{label}` names no scenario `{scenario}`",
                spec_path.display()
            )));
        }
    }
    let mut scenarios: Vec<(String, Scenario)> = Vec::new();
    for s in &spec.scenario {
        let path: PathBuf = dir.join(&s.file);
        let src = crate::config::read_text(&path).map_err(|source| Error::ReadScenario {
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
        scenarios.push((s.name.clone(), sc));
    }
    check_figure_statistics(&spec, &spec_path, &scenarios)?;
    let mut runs: Vec<(String, Scenario, crate::sim::engine::CollectSink)> = Vec::new();
    for (name, sc) in scenarios {
        let collected = calibrate::simulate(&sc)?;
        runs.push((name, sc, collected));
    }
    let value = |label: &str, scenario: &str, statistic: &str| -> Result<(f64, f64)> {
        let (_, sc, col) = runs.iter().find(|(n, _, _)| n == scenario).ok_or_else(|| {
            Error::Usage(format!(
                "{}: `{label}` names no scenario `{scenario}`",
                spec_path.display()
            ))
        })?;
        calibrate::evaluate(sc, col, statistic)
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
            panel: r.panel.clone(),
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
            panel: c.panel.clone(),
        });
    }
    let mut series = Vec::new();
    for f in &spec.figure {
        let mut lines = Vec::new();
        for s in &f.scenarios {
            let label = format!("figure `{}`", f.name);
            let points = (f.from..=f.to)
                .map(|n| {
                    let (v, se) = value(&label, s, &series_statistic(&f.statistic, n))?;
                    Ok((n, v, se))
                })
                .collect::<Result<Vec<_>>>()?;
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
    Ok(Outcome {
        title: spec.title,
        question: spec.question,
        rows,
        checks,
        series,
        quick,
    })
}

/// The results figure of an outcome.
fn forest_chart(o: &Outcome) -> plot::ForestChart {
    plot::ForestChart {
        title: o.title.clone(),
        note: if o.quick {
            "Quick mode: a third of the replicates; a check passes within two Monte Carlo SEs of its band.".into()
        } else {
            String::new()
        },
        panels: o
            .panels()
            .into_iter()
            .map(|p| plot::ForestPanel {
                title: p.name.to_string(),
                items: p
                    .values
                    .iter()
                    .map(|v| plot::ForestItem {
                        label: v.label.clone(),
                        value: v.value,
                        mc_se: v.mc_se,
                        band: v.band,
                        pass: v.pass,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The chart of a series figure.
fn series_chart(s: &Series) -> plot::SeriesChart {
    plot::SeriesChart {
        title: s.title.clone(),
        x_label: s.x_label.clone(),
        y_label: s.y_label.clone(),
        curves: s
            .lines
            .iter()
            .map(|l| plot::SeriesCurve {
                name: l.scenario.clone(),
                points: l
                    .points
                    .iter()
                    .map(|&(n, value, se)| plot::SeriesPoint {
                        x: f64::from(n),
                        value,
                        se,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Writes `STEM.svg` and `STEM.png` into `out`: the SVG through [`crate::io::AtomicFile`],
/// the PNG rendered to a hidden name and renamed into place.
fn write_figure(
    out: &Path,
    stem: &str,
    svg: impl FnOnce() -> std::result::Result<String, String>,
    png: impl FnOnce(&Path) -> std::result::Result<(), String>,
) -> Result<()> {
    let render_error = |path: PathBuf| {
        move |msg: String| Error::Write {
            path,
            source: std::io::Error::other(msg),
        }
    };
    let svg_name = format!("{stem}.svg");
    let text = svg().map_err(render_error(out.join(&svg_name)))?;
    let mut f = crate::io::AtomicFile::create(out, &svg_name)?;
    f.raw(text.as_bytes())?;
    f.commit()?;
    let png_path = out.join(format!("{stem}.png"));
    let tmp = out.join(format!(".{stem}.tmp.png"));
    if let Err(e) = png(&tmp).map_err(render_error(png_path.clone())) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &png_path).map_err(|source| Error::Write {
        path: png_path,
        source,
    })
}

/// Writes `results.csv` (kind, label, scenario, statistic, value, mc_se, lower, upper, pass),
/// `results.md` and the figures into `out`: `figure.png` and `figure.svg` (every row and check),
/// and per `[[figure]]` `figure_NAME.png`, `.svg` and `.csv` (scenario, n, statistic, value,
/// mc_se).
///
/// # Errors
/// The directory or a file cannot be written, or a figure cannot be rendered.
pub fn write(out: &Path, o: &Outcome) -> Result<()> {
    use crate::io::{AtomicFile, num};
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
    let forest = forest_chart(o);
    write_figure(
        out,
        "figure",
        || plot::svg(&forest),
        |p| plot::png(&forest, p),
    )?;
    for s in &o.series {
        let stem = format!("figure_{}", s.name);
        let mut csv = AtomicFile::create(out, &format!("{stem}.csv"))?;
        csv.record(["scenario", "n", "statistic", "value", "mc_se"])?;
        for l in &s.lines {
            for &(n, v, se) in &l.points {
                csv.record([
                    l.scenario.clone(),
                    n.to_string(),
                    series_statistic(&s.statistic, n),
                    num(v, 6),
                    num(se, 6),
                ])?;
            }
        }
        csv.commit()?;
        let chart = series_chart(s);
        write_figure(out, &stem, || plot::svg(&chart), |p| plot::png(&chart, p))?;
    }
    Ok(())
}

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

    #[test]
    fn series_statistic_fills_in_the_number() {
        assert_eq!(
            series_statistic("improved_by_session_{n}", 12),
            "improved_by_session_12"
        );
    }
}
