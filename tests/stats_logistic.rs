//! Logistic regression with model-based and cluster-robust standard errors against R's
//! `glm(binomial)` and `sandwich::vcovCL` (types HC0 and HC1). Fixture:
//! scripts/r/make_fixtures.R, section 7; tolerances: docs/statistics.md.

mod stats_support;

use bordin::stats::Design;
use bordin::stats::logistic::{ClusterAdjust, logistic};
use stats_support::*;

fn data() -> (Vec<f64>, Design, Vec<usize>) {
    let t = Table::read("logistic.csv");
    let labels = t.text("therapist");
    let mut levels: Vec<&String> = labels.iter().collect();
    levels.sort();
    levels.dedup();
    let cluster = labels
        .iter()
        .map(|l| levels.binary_search(&l).unwrap())
        .collect();
    let x = Design::intercept(labels.len())
        .with("intake", t.num("intake"))
        .with("treat", t.num("treat"));
    (t.num("y"), x, cluster)
}

/// Estimates within 1e-8 relative, every SE within 1e-6, the log-likelihood within 1e-10.
#[test]
fn logistic_regression_matches_glm_and_vcovcl() {
    let exp = expected("logistic.expected.json");
    let (y, x, cluster) = data();
    let fit = logistic(&y, &x).unwrap();
    close(
        "loglik",
        fit.loglik,
        exp["loglik"].as_f64().unwrap(),
        1e-10,
        0.0,
    );
    let names = strs(&exp["names"]);
    let model = fit.coefs();
    let hc0 = fit.cluster_robust(&cluster, ClusterAdjust::Hc0).unwrap();
    let hc1 = fit.cluster_robust(&cluster, ClusterAdjust::Hc1).unwrap();
    for (j, name) in names.iter().enumerate() {
        assert_eq!(&model[j].name, name);
        close(
            name,
            model[j].estimate,
            nums(&exp["estimate"])[j],
            1e-8,
            1e-10,
        );
        close(
            &format!("{name} se"),
            model[j].se,
            nums(&exp["se_model"])[j],
            1e-6,
            0.0,
        );
        close(
            &format!("{name} CR HC0"),
            hc0[j].se,
            nums(&exp["se_cl_hc0"])[j],
            1e-6,
            0.0,
        );
        close(
            &format!("{name} CR HC1"),
            hc1[j].se,
            nums(&exp["se_cl_hc1"])[j],
            1e-6,
            0.0,
        );
    }
    // Wald z: the p-value of treat is the normal one.
    let z = hc1[2].estimate / hc1[2].se;
    let p = bordin::stats::dist::t_two_sided_p(z, f64::INFINITY);
    close("treat p", hc1[2].p, p, 1e-12, 0.0);
}

/// Bad data are errors, not panics: a non-binary outcome, all outcomes equal, complete
/// separation, a cluster vector of the wrong length, a single cluster.
#[test]
fn logistic_regression_refuses_what_it_cannot_fit() {
    let (y, x, cluster) = data();
    let mut bad = y.clone();
    bad[0] = 2.0;
    assert!(logistic(&bad, &x).is_err());
    assert!(logistic(&vec![1.0; y.len()], &x).is_err());
    let treat = x.columns[2].clone();
    let separated = logistic(&treat, &x);
    assert!(separated.is_err(), "{separated:?}");
    let fit = logistic(&y, &x).unwrap();
    assert!(
        fit.cluster_robust(&cluster[1..], ClusterAdjust::Hc1)
            .is_err()
    );
    assert!(
        fit.cluster_robust(&vec![0; y.len()], ClusterAdjust::Hc1)
            .is_err()
    );
}
