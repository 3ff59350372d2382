//! A sweep file read and checked: its base scenario, replicates and axes, every axis value
//! and every design point against the base scenario, and the scenario of each design point.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result, SweepError};
use crate::io::{self, SUMMARY_COLUMNS};
use crate::scenario::posterior::PosteriorDraws;
use crate::scenario::{self, Scenario};

use super::axis::{Axis, coords, read_axes};
use super::state::{State, StateAxis, StatePosterior};

/// A validated sweep file.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The sweep file as given.
    pub source: String,
    /// The base scenario's path, or "embedded default".
    pub base_source: String,
    base_text: String,
    pub replicates: u64,
    pub axes: Vec<Axis>,
    pub sweep_sha256: String,
    pub base_sha256: String,
    /// `--posterior`: replicate `r` of every design point simulates draw `r`'s constants
    /// (the same draws at every point: common random numbers).
    pub posterior: Option<PosteriorDraws>,
}

impl Sweep {
    /// Reads and validates a sweep file: its structure, then every axis value against the base
    /// scenario, then every design point. Reports every problem found (exit code 2).
    ///
    /// # Errors
    /// [`SweepError::Read`] when the file cannot be read; [`SweepError::Problems`] listing each
    /// problem (with its axis number, 1-based).
    pub fn load(path: &Path) -> Result<Sweep> {
        let text = crate::config::read_text(path).map_err(|source| SweepError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Sweep::parse(&text, path)
    }

    /// [`Sweep::load`] from text; `path` locates a relative `base`.
    ///
    /// # Errors
    /// As [`Sweep::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Sweep> {
        let source = path.display().to_string();
        let problems = |problems: Vec<String>| SweepError::Problems {
            file: source.clone(),
            problems,
        };
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| problems(vec![e.to_string()]))?;
        let mut errors = Vec::new();
        for (k, _) in doc.iter() {
            if !matches!(k, "base" | "replicates" | "axis") {
                errors.push(format!(
                    "unknown key `{k}` (expected `base`, `replicates` and [[axis]] tables)"
                ));
            }
        }
        let (base_source, base_text) = read_base(&doc, path, &mut errors);
        let replicates = read_replicates(&doc, &mut errors);
        let axes = read_axes(&doc, &mut errors);
        if !errors.is_empty() {
            return Err(problems(errors).into());
        }
        let base_text = base_text.expect("read when there are no errors");
        // The base scenario with the sweep's replicates.
        let base = Scenario::parse(&base_text, &base_source, &[]).map_err(|e| {
            problems(
                e.diagnostics
                    .iter()
                    .map(|d| format!("base scenario: {d}"))
                    .collect(),
            )
        })?;
        let sweep = Sweep {
            source: source.clone(),
            base_sha256: io::sha256_hex(base_text.as_bytes()),
            base_source,
            base_text,
            replicates: replicates.unwrap_or(base.run.replicates),
            axes,
            sweep_sha256: io::sha256_hex(text.as_bytes()),
            posterior: None,
        };
        let mut errors = sweep.value_errors();
        if errors.is_empty() {
            errors = sweep.point_errors()?;
        }
        if !errors.is_empty() {
            return Err(problems(errors).into());
        }
        Ok(sweep)
    }

    /// Every axis value on its own against the base scenario, messages grouped per axis.
    fn value_errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (i, axis) in self.axes.iter().enumerate() {
            let mut by_message: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut order = Vec::new();
            for v in &axis.values {
                let set = format!("{}={}", axis.path, v.toml);
                if let Err(e) = Scenario::parse(&self.base_text, &self.base_source, &[set]) {
                    for d in e.diagnostics {
                        let m = if d.path.is_empty() {
                            d.message
                        } else {
                            format!("`{}`: {}", d.path, d.message)
                        };
                        if !by_message.contains_key(&m) {
                            order.push(m.clone());
                        }
                        by_message.entry(m).or_default().push(v.cell.clone());
                    }
                }
            }
            for m in order {
                let vals = &by_message[&m];
                errors.push(format!(
                    "axis {} (`{}`): {m} (value{} {})",
                    i + 1,
                    axis.path,
                    if vals.len() == 1 { "" } else { "s" },
                    vals.join(", ")
                ));
            }
        }
        errors
    }

    /// Every design point (combinations may break constraints between keys), up to 50 errors.
    fn point_errors(&self) -> Result<Vec<String>> {
        let mut errors = Vec::new();
        for p in 0..self.points() {
            if let Err(e) = self.scenario(p) {
                let Error::Scenario(e) = e else {
                    return Err(e);
                };
                for d in e.diagnostics {
                    errors.push(format!("design point {p} ({}): {d}", self.label(p)));
                }
                if errors.len() > 50 {
                    errors.push("... (stopped after 50 errors)".into());
                    break;
                }
            }
        }
        Ok(errors)
    }

    /// The sweep over a posterior (`--posterior SPEC [--draws K]`; `None`: as it is), its keys
    /// checked against the base scenario (with the sweep's replicates). A key that is also an
    /// axis takes the axis's values (the question asked), the posterior the others.
    ///
    /// # Errors
    /// [`crate::error::PosteriorFileError`] for a posterior that does not fit the base
    /// scenario.
    pub fn with_posterior(mut self, spec: Option<&str>, draws: Option<u64>) -> Result<Sweep> {
        let base = self.scenario_with(0, &[])?;
        self.posterior = PosteriorDraws::from_flags(spec, draws, &base)?;
        Ok(self)
    }

    /// The posterior's keys that are also axes (the axes' values are used).
    pub fn swept_posterior_keys(&self) -> Vec<&str> {
        self.posterior.as_ref().map_or_else(Vec::new, |d| {
            d.key_paths()
                .filter(|k| self.axes.iter().any(|a| a.path == *k))
                .collect()
        })
    }

    /// Number of design points.
    pub fn points(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// Number of work units (points x replicates).
    pub fn units(&self) -> u64 {
        self.points() * self.replicates
    }

    /// The value index of each axis at design point `p` (the last axis changes fastest).
    pub fn coords(&self, p: u64) -> Vec<usize> {
        coords(
            &self.axes.iter().map(|a| a.values.len()).collect::<Vec<_>>(),
            p,
        )
    }

    /// `a=1, b=2` for design point `p`.
    pub fn label(&self, p: u64) -> String {
        self.axes
            .iter()
            .zip(self.coords(p))
            .map(|(a, j)| format!("{}={}", a.path, a.values[j].cell))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The overrides of design point `p`.
    pub fn overrides(&self, p: u64) -> Vec<String> {
        let mut v = vec![format!("run.replicates={}", self.replicates)];
        v.extend(
            self.axes
                .iter()
                .zip(self.coords(p))
                .map(|(a, j)| format!("{}={}", a.path, a.values[j].toml)),
        );
        v
    }

    /// The scenario of design point `p`.
    ///
    /// # Errors
    /// [`Error::Scenario`] when the point's values do not make a valid scenario.
    pub fn scenario(&self, p: u64) -> Result<Scenario> {
        self.scenario_with(p, &[])
    }

    /// The scenario of work unit (design point `p`, replicate `r`): the point's, with the
    /// replicate's posterior draw set under `--posterior`.
    ///
    /// # Errors
    /// As [`Sweep::scenario`].
    pub fn unit_scenario(&self, p: u64, r: u64) -> Result<Scenario> {
        match &self.posterior {
            None => self.scenario(p),
            Some(d) => self.scenario_with(p, &d.overrides_except(r, &self.swept_posterior_keys())),
        }
    }

    fn scenario_with(&self, p: u64, extra: &[String]) -> Result<Scenario> {
        let mut overrides = self.overrides(p);
        overrides.extend_from_slice(extra);
        Ok(Scenario::parse(
            &self.base_text,
            &self.base_source,
            &overrides,
        )?)
    }

    /// The header of `sweep.csv`.
    /// With `--posterior`, a last column `particle` names each replicate's draw.
    pub fn header(&self) -> Vec<String> {
        self.axes
            .iter()
            .map(|a| a.column.clone())
            .chain(SUMMARY_COLUMNS.iter().map(|s| s.to_string()))
            .chain(self.posterior.as_ref().map(|_| "particle".to_string()))
            .collect()
    }

    pub(super) fn state(&self) -> State {
        State {
            format: 1,
            bordin_version: crate::VERSION.to_string(),
            sweep_file: self.source.clone(),
            sweep_sha256: self.sweep_sha256.clone(),
            base: self.base_source.clone(),
            base_sha256: self.base_sha256.clone(),
            replicates: self.replicates,
            points: self.points(),
            units: self.units(),
            header: self.header(),
            posterior: self.posterior.as_ref().map(|d| StatePosterior {
                source: d.posterior.source_name.clone(),
                sha256: d.posterior.sha256.clone(),
                draws: d.draws,
            }),
            axes: self
                .axes
                .iter()
                .map(|a| StateAxis {
                    path: a.path.clone(),
                    column: a.column.clone(),
                    values: a.values.iter().map(|v| v.cell.clone()).collect(),
                })
                .collect(),
        }
    }
}

/// The base scenario's source and text (`None` when it cannot be read): the `base` path,
/// relative to the sweep file, or the embedded default.
fn read_base(
    doc: &toml_edit::DocumentMut,
    path: &Path,
    errors: &mut Vec<String>,
) -> (String, Option<String>) {
    let Some(item) = doc.get("base") else {
        return (
            "embedded default".to_string(),
            Some(scenario::DEFAULT_SCENARIO.to_string()),
        );
    };
    let Some(b) = item.as_str() else {
        errors.push("`base` must be a string (a scenario file path)".into());
        return (String::new(), None);
    };
    let p = path.parent().unwrap_or(Path::new("")).join(b);
    match crate::config::read_text(&p) {
        Ok(t) => (p.display().to_string(), Some(t)),
        Err(e) => {
            errors.push(format!(
                "`base`: cannot read scenario file {}: {e}",
                p.display()
            ));
            (p.display().to_string(), None)
        }
    }
}

/// `replicates`, when given.
fn read_replicates(doc: &toml_edit::DocumentMut, errors: &mut Vec<String>) -> Option<u64> {
    let item = doc.get("replicates")?;
    match item.as_integer() {
        Some(r) if (1..=1_000_000).contains(&r) => Some(r as u64),
        _ => {
            errors.push("`replicates` must be an integer from 1 to 1000000".into());
            None
        }
    }
}
