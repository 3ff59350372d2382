//! Parameter sweeps: a cross product of scenario key values (axes) x replicates, cut into work
//! units that can run in one process, in shards (`--shard I/N`, SLURM job arrays) and be
//! resumed after a kill, with the same bytes in the end (docs/sweeps.md).
//!
//! A work unit is one (design point, replicate). Design points are numbered in row-major order
//! of the axes (the last axis changes fastest); unit `k` is design point `k / R`, replicate
//! `k % R` (R replicates). Each unit's rows (one per arm) are written atomically to
//! `DIR/units/NNNNNNNN.csv`; a finished unit is a unit whose file exists, which is what resume
//! and sharding rely on. `sweep.csv` is always produced by [`merge`]: the header and the unit
//! files concatenated in unit order, so a whole run, a resumed run and a merged sharded run give
//! the same bytes.
//!
//! Replicate `r` of every design point uses the random streams of replicate `r` of the base
//! seed (common random numbers across design points).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::ArmSummary;
use crate::error::{Error, Result};
use crate::io::AtomicFile;
use crate::scenario::{self, Scenario};
use crate::sim::allocation::ReplicateContext;
use crate::sim::engine::{self, PatientOutcome, RunOptions, Sink};

/// The state file of a sweep directory (what is being swept, and its hashes).
pub const STATE_FILE: &str = "sweep.json";
/// The merged result.
pub const SWEEP_CSV: &str = "sweep.csv";
/// The folder of finished work units.
pub const UNITS_DIR: &str = "units";

/// Largest number of values an axis `range` may generate.
const MAX_RANGE_VALUES: usize = 100_000;

/// The statistics columns of `sweep.csv`: those of `summary.csv`.
pub use crate::io::SUMMARY_COLUMNS;

/// One value of an axis.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisValue {
    /// As TOML (the right-hand side of a `--set` override).
    pub toml: String,
    /// As written in `sweep.csv`.
    pub cell: String,
}

/// One `[[axis]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Scenario key path, e.g. `mechanisms.repair.skill_weight`.
    pub path: String,
    /// Column name in `sweep.csv`, e.g. `mechanisms_repair_skill_weight`.
    pub column: String,
    pub values: Vec<AxisValue>,
}

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
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `sweep.csv` column name of a key path: lowercase, runs of other characters as `_`.
pub fn column_name(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn float_toml(x: f64) -> String {
    // Debug keeps a '.' or an exponent ("4.0", "1e-7"), so TOML reads it back as a float.
    format!("{x:?}")
}

fn value_of(v: &toml_edit::Value) -> std::result::Result<AxisValue, String> {
    use toml_edit::Value as V;
    match v {
        V::Integer(i) => {
            let s = i.value().to_string();
            Ok(AxisValue {
                toml: s.clone(),
                cell: s,
            })
        }
        V::Float(f) => {
            let x = *f.value();
            if !x.is_finite() {
                return Err(format!("{x} is not a finite number"));
            }
            let s = float_toml(x);
            Ok(AxisValue {
                toml: s.clone(),
                cell: s,
            })
        }
        V::Boolean(b) => Ok(AxisValue {
            toml: b.value().to_string(),
            cell: b.value().to_string(),
        }),
        V::String(s) => Ok(AxisValue {
            toml: toml_edit::Value::from(s.value().as_str())
                .to_string()
                .trim()
                .to_string(),
            cell: s.value().clone(),
        }),
        other => Err(format!(
            "expected a number, boolean or string, found {}",
            other.type_name()
        )),
    }
}

fn range_values(t: &dyn toml_edit::TableLike) -> std::result::Result<Vec<AxisValue>, String> {
    let mut errs = Vec::new();
    for (k, _) in t.iter() {
        if !matches!(k, "from" | "to" | "step") {
            errs.push(format!(
                "`range` has unknown key `{k}` (expected from, to, step)"
            ));
        }
    }
    let get = |k: &str| -> std::result::Result<(f64, bool), String> {
        match t.get(k).and_then(|i| i.as_value()) {
            Some(toml_edit::Value::Integer(i)) => Ok((*i.value() as f64, true)),
            Some(toml_edit::Value::Float(f)) if f.value().is_finite() => Ok((*f.value(), false)),
            Some(_) => Err(format!("`range.{k}` must be a finite number")),
            None => Err(format!("`range` needs `{k}`")),
        }
    };
    let (from, to, step) = match (get("from"), get("to"), get("step")) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (a, b, c) => {
            errs.extend([a.err(), b.err(), c.err()].into_iter().flatten());
            return Err(errs.join("; "));
        }
    };
    if step.0 <= 0.0 {
        errs.push(format!("`range.step` must be positive, found {}", step.0));
    }
    if to.0 < from.0 {
        errs.push(format!(
            "`range.to` ({}) is below `range.from` ({})",
            to.0, from.0
        ));
    }
    if !errs.is_empty() {
        return Err(errs.join("; "));
    }
    let count = ((to.0 - from.0) / step.0 + 1e-9).floor() + 1.0;
    if count > MAX_RANGE_VALUES as f64 {
        return Err(format!(
            "`range` generates {count} values; at most {MAX_RANGE_VALUES}"
        ));
    }
    let ints = from.1 && to.1 && step.1;
    Ok((0..count as usize)
        .map(|i| {
            if ints {
                let v = (from.0 as i64) + i as i64 * (step.0 as i64);
                AxisValue {
                    toml: v.to_string(),
                    cell: v.to_string(),
                }
            } else {
                // 12 significant digits: 0.1 + 2 * 0.1 is 0.3, not 0.30000000000000004.
                let raw = from.0 + i as f64 * step.0;
                let v: f64 = format!("{raw:.11e}")
                    .parse()
                    .expect("formatted float parses");
                let s = float_toml(v);
                AxisValue {
                    toml: s.clone(),
                    cell: s,
                }
            }
        })
        .collect())
}

fn usage_list(head: String, errors: &[String]) -> Error {
    let mut msg = format!(
        "{head} has {} error{}:\n",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for e in errors {
        msg.push_str("  ");
        msg.push_str(e);
        msg.push('\n');
    }
    Error::Usage(msg)
}

impl Sweep {
    /// Reads and validates a sweep file: its structure, then every axis value against the base
    /// scenario, then every design point. Reports every problem found (exit code 2).
    ///
    /// # Errors
    /// [`Error::Usage`] listing each problem (with its axis number, 1-based).
    pub fn load(path: &Path) -> Result<Sweep> {
        let text = fs::read_to_string(path)
            .map_err(|e| Error::Usage(format!("cannot read sweep file {}: {e}", path.display())))?;
        Sweep::parse(&text, path)
    }

    /// [`Sweep::load`] from text; `path` locates a relative `base`.
    ///
    /// # Errors
    /// As [`Sweep::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Sweep> {
        let source = path.display().to_string();
        let head = format!("sweep file {source}");
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| usage_list(head.clone(), &[e.to_string()]))?;
        let mut errors = Vec::new();
        for (k, _) in doc.iter() {
            if !matches!(k, "base" | "replicates" | "axis") {
                errors.push(format!(
                    "unknown key `{k}` (expected `base`, `replicates` and [[axis]] tables)"
                ));
            }
        }
        let (base_source, base_text) = match doc.get("base") {
            None => (
                "embedded default".to_string(),
                Some(scenario::DEFAULT_SCENARIO.to_string()),
            ),
            Some(item) => match item.as_str() {
                None => {
                    errors.push("`base` must be a string (a scenario file path)".into());
                    (String::new(), None)
                }
                Some(b) => {
                    let p = path.parent().unwrap_or(Path::new("")).join(b);
                    match fs::read_to_string(&p) {
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
            },
        };
        let replicates = match doc.get("replicates") {
            None => None,
            Some(item) => match item.as_integer() {
                Some(r) if (1..=1_000_000).contains(&r) => Some(r as u64),
                _ => {
                    errors.push("`replicates` must be an integer from 1 to 1000000".into());
                    None
                }
            },
        };
        let mut axes = Vec::new();
        let tables: Vec<&dyn toml_edit::TableLike> = match doc.get("axis") {
            None => Vec::new(),
            Some(toml_edit::Item::ArrayOfTables(a)) => {
                a.iter().map(|t| t as &dyn toml_edit::TableLike).collect()
            }
            Some(toml_edit::Item::Value(toml_edit::Value::Array(a))) => {
                let mut v = Vec::new();
                for it in a.iter() {
                    match it.as_inline_table() {
                        Some(t) => v.push(t as &dyn toml_edit::TableLike),
                        None => errors.push("`axis` must be an array of tables".into()),
                    }
                }
                v
            }
            Some(_) => {
                errors.push("`axis` must be an array of tables ([[axis]])".into());
                Vec::new()
            }
        };
        for (i, t) in tables.iter().enumerate() {
            let n = i + 1;
            let mut errs = Vec::new();
            for (k, _) in t.iter() {
                if !matches!(k, "path" | "values" | "range") {
                    errs.push(format!(
                        "unknown key `{k}` (expected path, and values or range)"
                    ));
                }
            }
            let path_text = match t.get("path").and_then(|p| p.as_str()) {
                Some(p) => {
                    let p = p.trim().to_string();
                    match crate::config::reader::parse_path(&p) {
                        None => errs.push(format!(
                            "`path` {p:?} is not a key path (keys joined by dots, [i] for array elements)"
                        )),
                        Some(segs) => {
                            let canon = crate::config::reader::path_string(&segs);
                            if canon == "run.replicates" {
                                errs.push(
                                    "`run.replicates` cannot be an axis; set `replicates` at the top of the sweep file"
                                        .into(),
                                );
                            }
                        }
                    }
                    p
                }
                None => {
                    errs.push("needs `path`, a scenario key path as a string".into());
                    String::new()
                }
            };
            let values = match (t.get("values"), t.get("range")) {
                (Some(_), Some(_)) => {
                    errs.push("has both `values` and `range`; give one".into());
                    Vec::new()
                }
                (None, None) => {
                    errs.push("needs `values = [..]` or `range = { from, to, step }`".into());
                    Vec::new()
                }
                (Some(v), None) => match v.as_array() {
                    None => {
                        errs.push("`values` must be an array".into());
                        Vec::new()
                    }
                    Some(a) if a.is_empty() => {
                        errs.push("`values` is empty".into());
                        Vec::new()
                    }
                    Some(a) => {
                        let mut out = Vec::new();
                        for (j, v) in a.iter().enumerate() {
                            match value_of(v) {
                                Ok(av) => out.push(av),
                                Err(m) => errs.push(format!("values[{j}]: {m}")),
                            }
                        }
                        out
                    }
                },
                (None, Some(r)) => match r.as_table_like() {
                    None => {
                        errs.push("`range` must be a table { from, to, step }".into());
                        Vec::new()
                    }
                    Some(rt) => range_values(rt).unwrap_or_else(|m| {
                        errs.push(m);
                        Vec::new()
                    }),
                },
            };
            for (j, v) in values.iter().enumerate() {
                if values[..j].iter().any(|w| w.toml == v.toml) {
                    errs.push(format!("value {} appears more than once", v.cell));
                }
            }
            let column = column_name(&path_text);
            if !path_text.is_empty() {
                if let Some(prev) = axes.iter().position(|a: &Axis| a.path == path_text) {
                    errs.push(format!("path `{path_text}` is also axis {}", prev + 1));
                } else if let Some(prev) = axes.iter().position(|a: &Axis| a.column == column) {
                    errs.push(format!(
                        "column name `{column}` is also axis {}'s; rename one path",
                        prev + 1
                    ));
                } else if SUMMARY_COLUMNS.contains(&column.as_str()) {
                    errs.push(format!("column name `{column}` is a statistics column"));
                }
            }
            let label = if path_text.is_empty() {
                format!("axis {n}")
            } else {
                format!("axis {n} (`{path_text}`)")
            };
            errors.extend(errs.into_iter().map(|e| format!("{label}: {e}")));
            axes.push(Axis {
                path: path_text,
                column,
                values,
            });
        }
        if !errors.is_empty() {
            return Err(usage_list(head, &errors));
        }
        let base_text = base_text.expect("read when there are no errors");
        // The base scenario with the sweep's replicates.
        let base = Scenario::parse(&base_text, &base_source, &[]).map_err(|e| {
            usage_list(
                head.clone(),
                &e.diagnostics
                    .iter()
                    .map(|d| format!("base scenario: {d}"))
                    .collect::<Vec<_>>(),
            )
        })?;
        let mut sweep = Sweep {
            source,
            base_source,
            base_text,
            replicates: replicates.unwrap_or(base.run.replicates),
            axes,
            sweep_sha256: sha256_hex(text.as_bytes()),
            base_sha256: String::new(),
        };
        sweep.base_sha256 = sha256_hex(sweep.base_text.as_bytes());
        // Every axis value on its own, messages grouped per axis.
        for (i, axis) in sweep.axes.iter().enumerate() {
            let mut by_message: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut order = Vec::new();
            for v in &axis.values {
                let set = format!("{}={}", axis.path, v.toml);
                if let Err(e) = Scenario::parse(&sweep.base_text, &sweep.base_source, &[set]) {
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
        if errors.is_empty() {
            // Every design point (combinations may break constraints between keys).
            for p in 0..sweep.points() {
                if let Err(e) = sweep.scenario(p) {
                    let Error::Scenario(e) = e else {
                        return Err(e);
                    };
                    for d in e.diagnostics {
                        errors.push(format!("design point {p} ({}): {d}", sweep.label(p)));
                    }
                    if errors.len() > 50 {
                        errors.push("... (stopped after 50 errors)".into());
                        break;
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(usage_list(head, &errors));
        }
        Ok(sweep)
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
        Ok(Scenario::parse(
            &self.base_text,
            &self.base_source,
            &self.overrides(p),
        )?)
    }

    /// The header of `sweep.csv`.
    pub fn header(&self) -> Vec<String> {
        self.axes
            .iter()
            .map(|a| a.column.clone())
            .chain(SUMMARY_COLUMNS.iter().map(|s| s.to_string()))
            .collect()
    }

    fn state(&self) -> State {
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

fn coords(sizes: &[usize], mut p: u64) -> Vec<usize> {
    let mut c = vec![0; sizes.len()];
    for (i, &n) in sizes.iter().enumerate().rev() {
        c[i] = (p % n as u64) as usize;
        p /= n as u64;
    }
    c
}

/// `DIR/sweep.json`: what a sweep directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    pub bordin_version: String,
    pub sweep_file: String,
    pub sweep_sha256: String,
    pub base: String,
    pub base_sha256: String,
    pub replicates: u64,
    pub points: u64,
    pub units: u64,
    pub header: Vec<String>,
    pub axes: Vec<StateAxis>,
}

/// An axis in [`State`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateAxis {
    pub path: String,
    pub column: String,
    pub values: Vec<String>,
}

impl State {
    fn unit_label(&self, k: u64) -> String {
        let p = k / self.replicates;
        let sizes: Vec<usize> = self.axes.iter().map(|a| a.values.len()).collect();
        let vals = self
            .axes
            .iter()
            .zip(coords(&sizes, p))
            .map(|(a, j)| format!("{}={}", a.path, a.values[j]))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "unit {k} (design point {p}: {vals}; replicate {})",
            k % self.replicates
        )
    }
}

/// The file of unit `k` in a sweep directory.
pub fn unit_path(dir: &Path, k: u64) -> PathBuf {
    dir.join(UNITS_DIR).join(unit_name(k))
}

fn unit_name(k: u64) -> String {
    format!("{k:08}.csv")
}

fn read_state(dir: &Path) -> Result<Option<State>> {
    let path = dir.join(STATE_FILE);
    match fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
            Error::Usage(format!(
                "{} is not a bordin sweep state file: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Write { path, source }),
    }
}

/// Writes `bytes` to `path` through a temporary name unique to this process, then renames
/// (shards of an array may write the same file at the same time).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let io = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::write(&tmp, bytes).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

/// A shard: 0-based index and count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether unit `k` belongs to the shard (`k mod count == index`).
    pub fn owns(&self, k: u64) -> bool {
        k % self.count == self.index
    }

    /// Parses `I/N` (1-based I).
    ///
    /// # Errors
    /// [`Error::Usage`] unless `1 <= I <= N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text:?}: expected I/N with 1 <= I <= N, e.g. --shard 2/4"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: u64 = i.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }

    /// The shard of a SLURM array task: `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` (MIN
    /// taken as 0 when unset) of `SLURM_ARRAY_TASK_COUNT`, so `--array=0-3` and `--array=1-4`
    /// both work. `None` outside an array job.
    ///
    /// # Errors
    /// [`Error::Usage`] when the variables are malformed or the array has gaps or steps.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>> {
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |name: &str, v: &str| -> Result<u64> {
            v.trim()
                .parse()
                .map_err(|_| Error::Usage(format!("{name}={v:?} is not a number")))
        };
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let count = num("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = match get("SLURM_ARRAY_TASK_MIN") {
            Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        if count == 0 || id < min || id - min >= count {
            return Err(Error::Usage(format!(
                "SLURM array task {id} (min {min}, count {count}) does not map to a shard; use a contiguous array such as --array=0-{}",
                count.saturating_sub(1)
            )));
        }
        Ok(Some(Shard {
            index: id - min,
            count,
        }))
    }
}

/// Everything `bordin sweep` needs.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    pub sweep: Sweep,
    pub out: PathBuf,
    pub force: bool,
    /// `None`: every unit (then `sweep.csv` is merged).
    pub shard: Option<Shard>,
    pub threads: Option<usize>,
    /// Stop after running this many units (time-boxing; the rest resume later).
    pub max_units: Option<u64>,
}

/// What a sweep run did.
#[derive(Clone, Debug)]
pub struct SweepReport {
    pub units_total: u64,
    /// Units of this shard (all units without a shard).
    pub units_owned: u64,
    /// Units found finished and skipped.
    pub skipped: u64,
    pub ran: u64,
    /// Units of this shard still to run (after --max-units).
    pub remaining: u64,
    /// `sweep.csv`, when written.
    pub merged: Option<PathBuf>,
    pub wall_seconds: f64,
    pub threads: usize,
}

/// Checks or claims `out` for `sweep`: a directory holding the same sweep resumes; a different
/// sweep is refused (unless `force`, which discards its units).
fn prepare(out: &Path, sweep: &Sweep, force: bool) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let state = sweep.state();
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} exists and is not a directory",
            out.display()
        )));
    }
    let discard = |out: &Path| -> Result<()> {
        let units = out.join(UNITS_DIR);
        if units.is_dir() {
            fs::remove_dir_all(&units).map_err(io(&units))?;
        }
        for f in [SWEEP_CSV, STATE_FILE] {
            let p = out.join(f);
            if p.is_file() {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        Ok(())
    };
    match read_state(out)? {
        Some(old) => {
            if old.sweep_sha256 != state.sweep_sha256
                || old.base_sha256 != state.base_sha256
                || old.bordin_version != state.bordin_version
                || old.header != state.header
                || old.units != state.units
            {
                if !force {
                    let what = if old.sweep_sha256 != state.sweep_sha256 {
                        format!(
                            "the sweep file differs (recorded sha256 {}, {} has {})",
                            old.sweep_sha256, sweep.source, state.sweep_sha256
                        )
                    } else if old.base_sha256 != state.base_sha256 {
                        format!(
                            "the base scenario {} differs (recorded sha256 {}, now {})",
                            sweep.base_source, old.base_sha256, state.base_sha256
                        )
                    } else {
                        format!(
                            "it was written by bordin {} (this is {})",
                            old.bordin_version,
                            crate::VERSION
                        )
                    };
                    return Err(Error::Usage(format!(
                        "{} holds another sweep ({}): {what}; refusing to resume. Use another --out, or --force to discard its units",
                        out.display(),
                        old.sweep_file
                    )));
                }
                discard(out)?;
            }
        }
        None => {
            if out.is_dir() {
                // Only a sweep's own entries (or a shard's temporary state) may be there.
                let foreign = fs::read_dir(out)
                    .map_err(io(out))?
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .any(|n| !(n == UNITS_DIR || n == SWEEP_CSV || n.starts_with(".sweep.json")));
                if foreign && !force {
                    return Err(Error::OutputNotEmpty(out.to_path_buf()));
                }
                if force {
                    discard(out)?;
                }
            }
        }
    }
    fs::create_dir_all(out).map_err(io(out))?;
    let text = serde_json::to_string_pretty(&state).expect("state serialises") + "\n";
    write_atomic(&out.join(STATE_FILE), text.as_bytes())?;
    let units = out.join(UNITS_DIR);
    fs::create_dir_all(&units).map_err(io(&units))?;
    Ok(())
}

/// Accumulates one replicate's per-arm summaries.
struct UnitSink {
    acc: Vec<ArmSummary>,
}

impl Sink for UnitSink {
    type Rendered = ();
    fn render(&self, _: &Scenario, _: &ReplicateContext, _: &PatientOutcome) {}
    fn begin_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
    fn patient(
        &mut self,
        scenario: &Scenario,
        _: &ReplicateContext,
        outcome: PatientOutcome,
        _: (),
    ) -> Result<()> {
        self.acc[outcome.arm].push(&scenario.instrument, &outcome);
        Ok(())
    }
    fn end_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
}

/// Runs unit `k` and writes its file atomically.
fn run_unit(sweep: &Sweep, out: &Path, k: u64) -> Result<()> {
    let (p, r) = (k / sweep.replicates, k % sweep.replicates);
    let sc = sweep.scenario(p)?;
    let opts = RunOptions {
        counterfactual: false,
        record_sessions: false,
        ..RunOptions::default()
    };
    let mut sink = UnitSink {
        acc: vec![ArmSummary::default(); sc.arms.len()],
    };
    engine::run(&sc, &opts, r..r + 1, &mut sink)?;
    let axis_cells: Vec<String> = sweep
        .axes
        .iter()
        .zip(sweep.coords(p))
        .map(|(a, j)| a.values[j].cell.clone())
        .collect();
    let mut f = AtomicFile::create(&out.join(UNITS_DIR), &unit_name(k))?;
    for (arm, acc) in sc.arms.iter().zip(&sink.acc) {
        let row = axis_cells
            .iter()
            .cloned()
            .chain([r.to_string(), arm.name.clone()])
            .chain(crate::io::summary_stat_cells(&acc.row()));
        f.record(row)?;
    }
    f.commit()?;
    Ok(())
}

/// Runs the units of a sweep (of its shard) that are not finished yet; without a shard, and
/// when every unit is done, merges `sweep.csv`.
///
/// # Errors
/// Usage errors (a directory holding another sweep, bad thread counts) and write failures.
pub fn run(req: &SweepRequest) -> Result<SweepReport> {
    if req.threads == Some(0) {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    let start = Instant::now();
    let sweep = &req.sweep;
    prepare(&req.out, sweep, req.force)?;
    let total = sweep.units();
    let owned: Vec<u64> = (0..total)
        .filter(|&k| req.shard.is_none_or(|s| s.owns(k)))
        .collect();
    let todo: Vec<u64> = owned
        .iter()
        .copied()
        .filter(|&k| !unit_path(&req.out, k).is_file())
        .collect();
    let skipped = (owned.len() - todo.len()) as u64;
    let limit = req
        .max_units
        .map_or(todo.len(), |m| (m as usize).min(todo.len()));
    let batch = &todo[..limit];
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    pool.install(|| {
        batch
            .par_iter()
            .try_for_each(|&k| run_unit(sweep, &req.out, k))
    })?;
    let remaining = (todo.len() - limit) as u64;
    let merged = if req.shard.is_none() && remaining == 0 {
        Some(merge(std::slice::from_ref(&req.out), &req.out)?)
    } else {
        None
    };
    Ok(SweepReport {
        units_total: total,
        units_owned: owned.len() as u64,
        skipped,
        ran: limit as u64,
        remaining,
        merged,
        wall_seconds: start.elapsed().as_secs_f64(),
        threads,
    })
}

/// Combines the unit files of one or more sweep directories (shards of the same sweep) into
/// `out/sweep.csv`, in unit order; refuses directories of different sweeps and lists missing
/// units. Returns the path written.
///
/// # Errors
/// [`Error::Usage`] for missing state files, different sweeps or missing units; write
/// failures.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    if dirs.is_empty() {
        return Err(Error::Usage(
            "merge needs at least one sweep directory".into(),
        ));
    }
    let mut state: Option<State> = None;
    for d in dirs {
        let s = read_state(d)?.ok_or_else(|| {
            Error::Usage(format!(
                "{} is not a sweep directory (no {STATE_FILE})",
                d.display()
            ))
        })?;
        match &state {
            None => state = Some(s),
            Some(first) => {
                if first.sweep_sha256 != s.sweep_sha256
                    || first.base_sha256 != s.base_sha256
                    || first.header != s.header
                    || first.units != s.units
                    || first.bordin_version != s.bordin_version
                {
                    return Err(Error::Usage(format!(
                        "{} and {} hold different sweeps ({} vs {}); merge only shards of one sweep",
                        dirs[0].display(),
                        d.display(),
                        first.sweep_file,
                        s.sweep_file
                    )));
                }
            }
        }
    }
    let state = state.expect("at least one directory");
    let mut files = Vec::with_capacity(state.units as usize);
    let mut missing = Vec::new();
    for k in 0..state.units {
        match dirs.iter().map(|d| unit_path(d, k)).find(|p| p.is_file()) {
            Some(p) => files.push(p),
            None => missing.push(k),
        }
    }
    if !missing.is_empty() {
        let shown = 20;
        let mut msg = format!(
            "the sweep is incomplete: {} of {} units missing in {}:\n",
            missing.len(),
            state.units,
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for &k in missing.iter().take(shown) {
            msg.push_str(&format!("  {}\n", state.unit_label(k)));
        }
        if missing.len() > shown {
            msg.push_str(&format!("  ... and {} more\n", missing.len() - shown));
        }
        msg.push_str("run the missing shards again (finished units are skipped), then merge\n");
        return Err(Error::Usage(msg));
    }
    fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    if read_state(out)?.is_none() {
        let text = serde_json::to_string_pretty(&state).expect("state serialises") + "\n";
        write_atomic(&out.join(STATE_FILE), text.as_bytes())?;
    }
    let mut f = AtomicFile::create(out, SWEEP_CSV)?;
    f.record(&state.header)?;
    for p in files {
        let bytes = fs::read(&p).map_err(|source| Error::Write {
            path: p.clone(),
            source,
        })?;
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        f.rows_raw(&bytes, rows)?;
    }
    f.commit()?;
    Ok(out.join(SWEEP_CSV))
}

/// Everything `bordin slurm` needs.
#[derive(Clone, Debug)]
pub struct SlurmRequest {
    /// The sweep file (made absolute in the scripts).
    pub sweep_file: PathBuf,
    /// Tasks of the job array.
    pub array: u32,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus: u32,
    /// The sweep directory the tasks write (made absolute).
    pub out: PathBuf,
    /// Where the scripts go.
    pub script_dir: PathBuf,
    /// The bordin binary the jobs run (made absolute).
    pub bordin: PathBuf,
}

/// Quotes a word for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|source| Error::Write {
        path: p.to_path_buf(),
        source,
    })
}

/// Writes `sweep.sbatch` (the job array), `merge.sbatch` (the merge, after the array succeeds)
/// and `submit.sh` (submits both with `sbatch --parsable`, printing the two job ids) into
/// `script_dir`. Returns the paths written.
///
/// # Errors
/// Usage errors (bad array size, a SLURM value with a newline) and write failures.
pub fn write_slurm(req: &SlurmRequest) -> Result<Vec<PathBuf>> {
    if req.array == 0 {
        return Err(Error::Usage("--array must be at least 1".into()));
    }
    if req.cpus == 0 {
        return Err(Error::Usage("--cpus must be at least 1".into()));
    }
    for (name, v) in [("--partition", &req.partition), ("--time", &req.time)] {
        if let Some(v) = v
            && (v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '#'))
        {
            return Err(Error::Usage(format!(
                "{name} {v:?}: expected a single word"
            )));
        }
    }
    let sweep = absolute(&req.sweep_file)?;
    let out = absolute(&req.out)?;
    let bordin = absolute(&req.bordin)?;
    let dir = absolute(&req.script_dir)?;
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let mut common = String::new();
    if let Some(p) = &req.partition {
        common.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &req.time {
        common.push_str(&format!("#SBATCH --time={t}\n"));
    }
    let logs = dir.join("logs");
    let array = format!(
        "#!/bin/bash\n\
         # A job array of {n} tasks: task i runs shard i of the sweep (bordin reads\n\
         # SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT). Finished units are\n\
         # skipped, so a failed task can simply be resubmitted.\n\
         #SBATCH --job-name=bordin-sweep\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         {common}\
         #SBATCH --output={logs}/sweep-%A_%a.out\n\
         set -euo pipefail\n\
         exec {bordin} sweep {sweep} --out {out} --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        n = req.array,
        last = req.array - 1,
        cpus = req.cpus,
        logs = logs.display(),
        bordin = q(&bordin),
        sweep = q(&sweep),
        out = q(&out),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # Merges the shards into sweep.csv (submitted with --dependency=afterok on the array).\n\
         #SBATCH --job-name=bordin-merge\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task=1\n\
         {common}\
         #SBATCH --output={logs}/merge-%j.out\n\
         set -euo pipefail\n\
         exec {bordin} merge {out} --out {out}\n",
        logs = logs.display(),
        bordin = q(&bordin),
        out = q(&out),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the sweep's job array, then the merge job once every task has succeeded.\n\
         # Prints the two job ids: ARRAY_JOB_ID MERGE_JOB_ID.\n\
         set -euo pipefail\n\
         dir={dir}\n\
         mkdir -p \"$dir/logs\"\n\
         ARRAY_JOB_ID=$(sbatch --parsable \"$dir/sweep.sbatch\")\n\
         ARRAY_JOB_ID=${{ARRAY_JOB_ID%%;*}}\n\
         MERGE_JOB_ID=$(sbatch --parsable --dependency=afterok:$ARRAY_JOB_ID \"$dir/merge.sbatch\")\n\
         MERGE_JOB_ID=${{MERGE_JOB_ID%%;*}}\n\
         echo \"$ARRAY_JOB_ID $MERGE_JOB_ID\"\n",
        dir = q(&dir),
    );
    fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, text) in [
        ("sweep.sbatch", array),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ] {
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|source| {
                Error::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_and_coords() {
        assert_eq!(
            column_name("mechanisms.repair.skill_weight"),
            "mechanisms_repair_skill_weight"
        );
        assert_eq!(
            column_name("arms[1].technique_potency"),
            "arms_1_technique_potency"
        );
        assert_eq!(coords(&[2, 3], 4), vec![1, 1]);
        assert_eq!(coords(&[2, 3], 5), vec![1, 2]);
    }

    #[test]
    fn shards_parse_and_map_from_slurm() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 1, count: 4 });
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        let env = |id: &'static str, min: Option<&'static str>| {
            move |k: &str| match k {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
                "SLURM_ARRAY_TASK_MIN" => min.map(str::to_string),
                _ => None,
            }
        };
        assert_eq!(
            Shard::from_env(env("0", Some("0"))).unwrap(),
            Some(Shard { index: 0, count: 4 })
        );
        assert_eq!(
            Shard::from_env(env("4", Some("1"))).unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        assert!(Shard::from_env(env("4", None)).is_err());
        assert_eq!(Shard::from_env(|_| None).unwrap(), None);
    }

    #[test]
    fn ranges_are_clean() {
        let doc: toml_edit::DocumentMut =
            "r = { from = 0.1, to = 0.5, step = 0.1 }\ni = { from = 1, to = 7, step = 3 }"
                .parse()
                .unwrap();
        let cells = |k: &str| -> Vec<String> {
            range_values(doc[k].as_table_like().unwrap())
                .unwrap()
                .into_iter()
                .map(|v| v.cell)
                .collect()
        };
        assert_eq!(cells("r"), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(cells("i"), ["1", "4", "7"]);
    }
}
