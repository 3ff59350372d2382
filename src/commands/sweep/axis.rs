//! The axes of a sweep file: `[[axis]]` tables, each a scenario key path with its `values` or
//! a `range`, and the column it becomes in `sweep.csv`.

use crate::config::reader;
use crate::io::SUMMARY_COLUMNS;

/// Largest number of values an axis `range` may generate.
const MAX_RANGE_VALUES: usize = 100_000;

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

/// The `sweep.csv` column name of a key path: lowercase, runs of other characters as `_`.
pub(super) fn column_name(path: &str) -> String {
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
        .map(|i| range_value(from.0, step.0, i, ints))
        .collect())
}

/// Value `i` of a range from `from` by `step` (integers when all three were).
fn range_value(from: f64, step: f64, i: usize, ints: bool) -> AxisValue {
    let text = if ints {
        ((from as i64) + i as i64 * (step as i64)).to_string()
    } else {
        // 12 significant digits: 0.1 + 2 * 0.1 is 0.3, not 0.30000000000000004.
        let raw = from + i as f64 * step;
        let v: f64 = format!("{raw:.11e}")
            .parse()
            .expect("formatted float parses");
        float_toml(v)
    };
    AxisValue {
        toml: text.clone(),
        cell: text,
    }
}

/// The value index of each axis of sizes `sizes` at design point `p` (the last axis changes
/// fastest).
pub(super) fn coords(sizes: &[usize], mut p: u64) -> Vec<usize> {
    let mut c = vec![0; sizes.len()];
    for (i, &n) in sizes.iter().enumerate().rev() {
        c[i] = (p % n as u64) as usize;
        p /= n as u64;
    }
    c
}

/// Reads the `axis` array of tables; each problem is prefixed with its axis (1-based).
pub(super) fn read_axes(doc: &toml_edit::DocumentMut, errors: &mut Vec<String>) -> Vec<Axis> {
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
    let mut axes = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let (axis, errs) = read_axis(*t, &axes);
        let label = if axis.path.is_empty() {
            format!("axis {}", i + 1)
        } else {
            format!("axis {} (`{}`)", i + 1, axis.path)
        };
        errors.extend(errs.into_iter().map(|e| format!("{label}: {e}")));
        axes.push(axis);
    }
    axes
}

/// Reads one `[[axis]]` table (after the axes `earlier`), with its problems.
fn read_axis(t: &dyn toml_edit::TableLike, earlier: &[Axis]) -> (Axis, Vec<String>) {
    let mut errs = Vec::new();
    for (k, _) in t.iter() {
        if !matches!(k, "path" | "values" | "range") {
            errs.push(format!(
                "unknown key `{k}` (expected path, and values or range)"
            ));
        }
    }
    let path = read_axis_path(t, &mut errs);
    let values = read_values(t, &mut errs);
    for (j, v) in values.iter().enumerate() {
        if values[..j].iter().any(|w| w.toml == v.toml) {
            errs.push(format!("value {} appears more than once", v.cell));
        }
    }
    let column = column_name(&path);
    if !path.is_empty() {
        if let Some(prev) = earlier.iter().position(|a| a.path == path) {
            errs.push(format!("path `{path}` is also axis {}", prev + 1));
        } else if let Some(prev) = earlier.iter().position(|a| a.column == column) {
            errs.push(format!(
                "column name `{column}` is also axis {}'s; rename one path",
                prev + 1
            ));
        } else if SUMMARY_COLUMNS.contains(&column.as_str()) {
            errs.push(format!("column name `{column}` is a statistics column"));
        }
    }
    let axis = Axis {
        path,
        column,
        values,
    };
    (axis, errs)
}

/// The `path` of an axis, trimmed (empty when missing).
fn read_axis_path(t: &dyn toml_edit::TableLike, errs: &mut Vec<String>) -> String {
    let Some(p) = t.get("path").and_then(|p| p.as_str()) else {
        errs.push("needs `path`, a scenario key path as a string".into());
        return String::new();
    };
    let p = p.trim().to_string();
    match reader::parse_path(&p) {
        None => errs.push(format!(
            "`path` {p:?} is not a key path (keys joined by dots, [i] for array elements)"
        )),
        Some(segs) => {
            if reader::path_string(&segs) == "run.replicates" {
                errs.push(
                    "`run.replicates` cannot be an axis; set `replicates` at the top of the sweep file"
                        .into(),
                );
            }
        }
    }
    p
}

/// The values of an axis: its `values` array or its `range`.
fn read_values(t: &dyn toml_edit::TableLike, errs: &mut Vec<String>) -> Vec<AxisValue> {
    match (t.get("values"), t.get("range")) {
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
    }
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
