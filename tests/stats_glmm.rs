//! The logistic random-intercept model against lme4's glmer (binomial, nAGQ 25 and Laplace):
//! fixed effects, their SEs, the random-intercept SD, the log-likelihood and the latent-scale
//! ICC. Fixture: scripts/r/make_fixtures.R, section 6; tolerances: docs/statistics.md.

mod stats_support;

use bordin::stats::Design;
use bordin::stats::glmm::logistic_random_intercept;
use serde_json::Value;
use stats_support::*;

/// Estimates within `rel` (relative, or 1e-6 absolute near 0), SEs, sigma and the ICC within
/// 1e-3 relative (1e-2 for Laplace), the log-likelihood within `ll_rel`.
#[track_caller]
fn check(what: &str, n_agq: usize, exp: &Value, rel: f64, ll_rel: f64) {
    let t = Table::read("glmm.csv");
    let labels = t.text("group");
    let mut levels: Vec<&String> = labels.iter().collect();
    levels.sort();
    levels.dedup();
    let group: Vec<usize> = labels
        .iter()
        .map(|l| levels.binary_search(&l).unwrap())
        .collect();
    let x = Design::intercept(labels.len()).with("x", t.num("x"));
    let fit = logistic_random_intercept(&t.num("y"), &x, &group, n_agq).unwrap();
    assert!(fit.converged, "{what}: not converged");
    let est = nums(&exp["estimate"]);
    let se = nums(&exp["se"]);
    for (j, name) in strs(&exp["names"]).iter().enumerate() {
        let c = fit.coef(name).unwrap();
        close(&format!("{what} {name}"), c.estimate, est[j], rel, 1e-6);
        close(&format!("{what} {name} se"), c.se, se[j], 10.0 * rel, 0.0);
    }
    let sigma = exp["sigma"].as_f64().unwrap();
    close(&format!("{what} sigma"), fit.sigma, sigma, 10.0 * rel, 0.0);
    close(
        &format!("{what} icc"),
        fit.icc(),
        exp["icc"].as_f64().unwrap(),
        10.0 * rel,
        0.0,
    );
    let ll = exp["loglik"].as_f64().unwrap();
    close(&format!("{what} loglik"), fit.loglik, ll, ll_rel, 0.0);
}

/// The path the statistics use (therapist effects on dropout and deterioration): R's maximum
/// to 1e-4 in the estimates and 1e-6 in the log-likelihood, and no lower likelihood than R's.
#[test]
fn adaptive_quadrature_matches_glmer_nagq_25() {
    let exp = &expected("glmm.expected.json")["agq25"];
    check("nAGQ 25", 25, exp, 1e-4, 1e-6);
}

/// The textbook Laplace approximation. lme4's Laplace deviance differs from it in about the
/// sixth significant digit (R's own deviance function at bordin's optimum is -590.83273 where
/// bordin computes -590.83191), which moves the optimum by about 5e-4: hence the looser
/// tolerances. Nothing in bordin fits with one node.
#[test]
fn laplace_matches_glmer_nagq_1() {
    let exp = &expected("glmm.expected.json")["laplace"];
    check("Laplace", 1, exp, 1e-3, 1e-5);
}
