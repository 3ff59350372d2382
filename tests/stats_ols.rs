//! OLS, HC standard errors, ANCOVA, correlation, effect sizes, reliable change and 2SLS against
//! R (lm, sandwich::vcovHC, cor.test, AER::ivreg). Fixtures: scripts/r/make_fixtures.R.

mod stats_support;

use bordin::model::instrument::{Instrument, reliable_change};
use bordin::stats::{
    Design, Factor, HcType, ancova, cohens_d, ols, pearson, two_stage_least_squares,
};
use stats_support::*;

fn ols_data() -> (Vec<f64>, Vec<f64>, Factor, Vec<String>) {
    let t = Table::read("ols.csv");
    let arm = t.text("arm");
    (
        t.num("end"),
        t.num("intake"),
        Factor::with_levels(&arm, &["control", "cbt", "ipt"]).unwrap(),
        arm,
    )
}

#[test]
fn ancova_classical_and_hc_standard_errors_match_lm_and_sandwich() {
    let exp = expected("ols.expected.json");
    let (end, intake, arm, _) = ols_data();
    let fit = ancova(&end, &intake, &arm).unwrap();
    let names = strs(&exp["names"]);
    assert_eq!(fit.names, names);
    let mut classical = exp["classical"].clone();
    classical["names"] = exp["names"].clone();
    let df = exp["df_residual"].as_f64().unwrap();
    check_coefs("classical", &fit.coefs, &classical, Some(df));
    close(
        "sigma",
        fit.sigma,
        exp["sigma"].as_f64().unwrap(),
        1e-10,
        0.0,
    );
    close(
        "r2",
        fit.r_squared,
        exp["r_squared"].as_f64().unwrap(),
        1e-10,
        0.0,
    );
    close(
        "adj r2",
        fit.adj_r_squared,
        exp["adj_r_squared"].as_f64().unwrap(),
        1e-10,
        0.0,
    );
    for (kind, key) in [
        (HcType::HC0, "HC0"),
        (HcType::HC1, "HC1"),
        (HcType::HC2, "HC2"),
        (HcType::HC3, "HC3"),
    ] {
        let mut want = exp["hc"][key].clone();
        want["names"] = exp["names"].clone();
        check_coefs(key, &fit.robust(kind), &want, Some(df));
    }
    // The same model through the general OLS entry point.
    let x = Design::intercept(end.len())
        .with("intake", intake.clone())
        .with_dummies("arm", &arm);
    let again = ols(&end, &x).unwrap();
    assert_eq!(again.coefficients, fit.coefficients);
}

#[test]
fn correlation_matches_cor_test() {
    let exp = &expected("ols.expected.json")["correlation"];
    let (end, intake, _, _) = ols_data();
    let c = pearson(&intake, &end).unwrap();
    close("r", c.r, exp["r"].as_f64().unwrap(), 1e-10, 0.0);
    close("t", c.t, exp["t"].as_f64().unwrap(), 1e-9, 0.0);
    close("df", c.df, exp["df"].as_f64().unwrap(), 0.0, 0.0);
    close("p", c.p, exp["p"].as_f64().unwrap(), 1e-6, 1e-15);
    close(
        "ci lower",
        c.ci_lower,
        exp["ci_lower"].as_f64().unwrap(),
        1e-9,
        0.0,
    );
    close(
        "ci upper",
        c.ci_upper,
        exp["ci_upper"].as_f64().unwrap(),
        1e-9,
        0.0,
    );
}

#[test]
fn cohens_d_and_hedges_g_match_r() {
    let exp = &expected("ols.expected.json")["effect_size"];
    let (end, _, _, arm) = ols_data();
    let pick = |level: &str| {
        end.iter()
            .zip(&arm)
            .filter(|(_, a)| *a == level)
            .map(|(v, _)| *v)
            .collect::<Vec<f64>>()
    };
    let e = cohens_d(&pick("cbt"), &pick("control")).unwrap();
    assert_eq!(e.n1 as f64, exp["n1"].as_f64().unwrap());
    for (got, key) in [
        (e.mean_diff, "mean_diff"),
        (e.pooled_sd, "pooled_sd"),
        (e.cohens_d, "cohens_d"),
        (e.hedges_j, "hedges_j"),
        (e.hedges_g, "hedges_g"),
    ] {
        close(key, got, exp[key].as_f64().unwrap(), 1e-10, 0.0);
    }
}

#[test]
fn reliable_change_and_criterion_c_match_r() {
    let exp = &expected("ols.expected.json");
    let rc = &exp["reliable_change"];
    let (end, intake, _, _) = ols_data();
    // The default scenario's instrument (PHQ-9 preset), with the values R used set explicitly.
    let mut inst: Instrument = bordin::scenario::load(None, &[]).unwrap().instrument;
    inst.sd = rc["sd"].as_f64().unwrap();
    inst.reliability = rc["reliability"].as_f64().unwrap();
    inst.cutoff = rc["cutoff"].as_f64().unwrap();
    inst.rc_threshold = rc["rc_threshold"].as_f64().unwrap();
    let s = reliable_change(&inst, &intake, &end).unwrap();
    for (i, (got, want)) in s.rci.iter().zip(nums(&rc["rci"])).enumerate() {
        close(&format!("rci[{i}]"), *got, want, 1e-12, 1e-12);
    }
    let counts = &rc["counts"];
    for (got, key) in [
        (s.recovered, "recovered"),
        (s.improved, "improved"),
        (s.unchanged, "unchanged"),
        (s.deteriorated, "deteriorated"),
    ] {
        assert_eq!(got as f64, counts[key].as_f64().unwrap(), "{key}");
    }
    let c = &exp["criterion_c"];
    let got = Instrument::criterion_c(
        c["m_clinical"].as_f64().unwrap(),
        c["s_clinical"].as_f64().unwrap(),
        c["m_functional"].as_f64().unwrap(),
        c["s_functional"].as_f64().unwrap(),
    );
    close("criterion c", got, c["c"].as_f64().unwrap(), 1e-12, 0.0);
}

#[test]
fn two_stage_least_squares_matches_ivreg_and_sandwich() {
    let exp = expected("iv.expected.json");
    let t = Table::read("iv.csv");
    let n = t.n;
    let x = Design::intercept(n)
        .with("x", t.num("x"))
        .with("w", t.num("w"));
    let z = Design::intercept(n)
        .with("z1", t.num("z1"))
        .with("z2", t.num("z2"))
        .with("w", t.num("w"));
    let fit = two_stage_least_squares(&t.num("y"), &x, &z).unwrap();
    let df = exp["df_residual"].as_f64().unwrap();
    let mut classical = exp["classical"].clone();
    classical["names"] = exp["names"].clone();
    check_coefs("iv classical", &fit.coefs, &classical, Some(df));
    close(
        "iv sigma",
        fit.sigma,
        exp["sigma"].as_f64().unwrap(),
        1e-10,
        0.0,
    );
    for (kind, key) in [
        (HcType::HC0, "HC0"),
        (HcType::HC1, "HC1"),
        (HcType::HC2, "HC2"),
        (HcType::HC3, "HC3"),
    ] {
        let mut want = exp["hc"][key].clone();
        want["names"] = exp["names"].clone();
        check_coefs(&format!("iv {key}"), &fit.robust(kind), &want, Some(df));
    }
}
