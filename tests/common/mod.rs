//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bordin::Scenario;
use bordin::sim::engine::{self, PatientOutcome, RunOptions};

/// The default scenario with `--set`-style overrides.
pub fn scenario(overrides: &[&str]) -> Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::parse(bordin::scenario::DEFAULT_SCENARIO, "default", &o)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A scenario from TOML text with overrides.
pub fn scenario_from(src: &str, overrides: &[&str]) -> Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::parse(src, "test", &o).unwrap_or_else(|e| panic!("{e}"))
}

/// Every outcome of every replicate, in order.
pub fn outcomes(sc: &Scenario, record: bool, counterfactual: bool) -> Vec<PatientOutcome> {
    let opts = RunOptions {
        record_sessions: record,
        counterfactual,
        ..RunOptions::default()
    };
    engine::collect(sc, &opts)
        .unwrap()
        .replicates
        .into_iter()
        .flat_map(|r| r.outcomes)
        .collect()
}

/// Mean and standard error of the mean.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

/// Pearson correlation.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}
pub mod findings;
