//! Shared helpers of the tests/stats_*.rs suites: reading the fixtures that
//! scripts/r/make_fixtures.R wrote to tests/fixtures/stats/ and comparing numbers to R's.
#![allow(dead_code)]

use std::collections::HashMap;

use serde_json::Value;

/// Tolerances of docs/statistics.md.
pub const FIXED_REL: f64 = 1e-4;
pub const VARCOMP_REL: f64 = 1e-3;
pub const DF_REL: f64 = 1e-2;
pub const P_ABS: f64 = 1e-3;

pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/stats/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A CSV file as named columns of text.
pub struct Table {
    pub n: usize,
    cols: HashMap<String, Vec<String>>,
}

impl Table {
    pub fn read(name: &str) -> Table {
        let mut rdr =
            csv::Reader::from_path(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let mut cols: HashMap<String, Vec<String>> =
            headers.iter().map(|h| (h.clone(), Vec::new())).collect();
        let mut n = 0;
        for rec in rdr.records() {
            let rec = rec.unwrap();
            for (h, v) in headers.iter().zip(rec.iter()) {
                cols.get_mut(h).unwrap().push(v.to_string());
            }
            n += 1;
        }
        Table { n, cols }
    }

    pub fn text(&self, col: &str) -> Vec<String> {
        self.cols[col].clone()
    }

    pub fn num(&self, col: &str) -> Vec<f64> {
        self.cols[col]
            .iter()
            .map(|v| v.parse::<f64>().unwrap_or_else(|_| panic!("{col}: `{v}`")))
            .collect()
    }

    pub fn optional(&self, col: &str) -> Vec<Option<String>> {
        self.cols[col]
            .iter()
            .map(|v| if v.is_empty() { None } else { Some(v.clone()) })
            .collect()
    }
}

pub fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        Value::Number(x) => vec![x.as_f64().unwrap()],
        _ => panic!("not numbers: {v}"),
    }
}

pub fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        Value::String(s) => vec![s.clone()],
        _ => panic!("not strings: {v}"),
    }
}

/// |a - b| <= rel |b| + abs.
#[track_caller]
pub fn close(what: &str, got: f64, want: f64, rel: f64, abs: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs() + abs,
        "{what}: got {got}, R {want} (diff {:.3e}, rel {:.3e})",
        got - want,
        (got - want) / want
    );
}

/// Compares a coefficient table to R's (estimate, se, t, CI relative `rel`; df relative
/// `df_rel` unless None; p absolute P_ABS).
#[track_caller]
pub fn check_coefs(what: &str, got: &[bordin::stats::Coef], want: &Value, df: Option<f64>) {
    let names = strs(&want["names"]);
    assert_eq!(got.len(), names.len(), "{what}: number of coefficients");
    let est = nums(&want["estimate"]);
    let se = nums(&want["se"]);
    let t = nums(&want["t"]);
    let p = nums(&want["p"]);
    let lo = nums(&want["ci_lower"]);
    let hi = nums(&want["ci_upper"]);
    for (j, c) in got.iter().enumerate() {
        let w = format!("{what} `{}`", names[j]);
        assert_eq!(c.name, names[j], "{what}: coefficient names");
        // Estimates and interval ends are compared relative to their SE scale as well.
        close(
            &format!("{w} estimate"),
            c.estimate,
            est[j],
            FIXED_REL,
            FIXED_REL * se[j] * 1e-2,
        );
        close(&format!("{w} se"), c.se, se[j], FIXED_REL, 0.0);
        close(&format!("{w} t"), c.t, t[j], FIXED_REL, 1e-6);
        close(&format!("{w} p"), c.p, p[j], 0.0, P_ABS);
        close(
            &format!("{w} ci lower"),
            c.ci_lower,
            lo[j],
            FIXED_REL,
            FIXED_REL * se[j],
        );
        close(
            &format!("{w} ci upper"),
            c.ci_upper,
            hi[j],
            FIXED_REL,
            FIXED_REL * se[j],
        );
        if let Some(d) = df {
            close(&format!("{w} df"), c.df, d, 1e-9, 0.0);
        }
    }
}
