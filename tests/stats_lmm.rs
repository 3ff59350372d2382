//! Linear mixed models by REML against lme4 + lmerTest (Satterthwaite): random intercepts,
//! three-level growth models (therapists nested in or crossed with arms, a partially nested
//! waitlist design), singular fits and the within-person cross-lagged model. Fixtures:
//! scripts/r/make_fixtures.R; tolerances: docs/statistics.md.

mod stats_support;

use bordin::stats::lmm::{Lmm, LmmFit, LmmOptions, RandomTerm, fit_lmm, random_intercept};
use bordin::stats::longitudinal::{cross_lagged, growth_design, three_level};
use bordin::stats::{Design, Factor, StatsError};
use serde_json::Value;
use stats_support::*;

/// Compares a fit to lme4/lmerTest: fixed effects, SEs, t (1e-4 relative), Satterthwaite df
/// (1%), p (1e-3 absolute), intervals, variance components (1e-3 relative), sigma, theta-free
/// quantities, the REML criterion and the singular flag.
#[track_caller]
fn check_fit(what: &str, fit: &LmmFit, exp: &Value) {
    let fe = &exp["fixef"];
    let names = strs(&fe["names"]);
    assert_eq!(fit.names, names, "{what}: fixed-effect names");
    let df = nums(&fe["df"]);
    for (j, c) in fit.coefs.iter().enumerate() {
        close(
            &format!("{what} `{}` df", names[j]),
            c.df,
            df[j],
            DF_REL,
            0.0,
        );
    }
    check_coefs(what, &fit.coefs, fe, None);
    close(
        &format!("{what} sigma"),
        fit.sigma,
        exp["sigma"].as_f64().unwrap(),
        VARCOMP_REL,
        0.0,
    );
    close(
        &format!("{what} REML criterion"),
        fit.reml_criterion,
        exp["reml_criterion"].as_f64().unwrap(),
        1e-9,
        0.0,
    );
    assert!(
        fit.reml_criterion <= exp["reml_criterion"].as_f64().unwrap() + 1e-7,
        "{what}: R found a lower REML criterion"
    );
    assert_eq!(
        fit.singular,
        exp["singular"].as_bool().unwrap(),
        "{what}: singular flag"
    );
    // Variance components: rows (grp, var1, var2, vcov) of as.data.frame(VarCorr(m)).
    let vc = &exp["varcorr"];
    let grp = strs(&vc["grp"]);
    let var1 = strs(&vc["var1"]);
    let var2 = strs(&vc["var2"]);
    let vcov = nums(&vc["vcov"]);
    // The largest variance of each term sets the scale of "zero" for that term.
    for r in 0..grp.len() {
        if grp[r] == "Residual" {
            close(
                &format!("{what} residual variance"),
                fit.sigma * fit.sigma,
                vcov[r],
                VARCOMP_REL,
                0.0,
            );
            continue;
        }
        let comp = fit
            .var_comps
            .iter()
            .find(|c| c.group_name == grp[r])
            .unwrap_or_else(|| panic!("{what}: no term `{}`", grp[r]));
        // Column positions by the order of the diagonal rows of this term in R's table.
        let diag_names: Vec<&String> = (0..grp.len())
            .filter(|&k| grp[k] == grp[r] && var2[k].is_empty())
            .map(|k| &var1[k])
            .collect();
        let i = diag_names.iter().position(|n| **n == var1[r]).unwrap();
        let j = if var2[r].is_empty() {
            i
        } else {
            diag_names.iter().position(|n| **n == var2[r]).unwrap()
        };
        let q = comp.names.len();
        let scale = (0..q)
            .map(|k| comp.cov[k * q + k])
            .fold(0.0, f64::max)
            .max(1e-2);
        close(
            &format!("{what} {} cov[{},{}]", grp[r], var1[r], var2[r]),
            comp.cov[i * q + j],
            vcov[r],
            VARCOMP_REL,
            VARCOMP_REL * 1e-2 * scale,
        );
    }
}

struct Long {
    score: Vec<f64>,
    time: Vec<f64>,
    patient: Vec<usize>,
    therapist: Vec<Option<usize>>,
    arm: Vec<String>,
    treat: Vec<f64>,
}

fn read_long(name: &str) -> Long {
    let t = Table::read(name);
    let patient = Factor::new(&t.text("patient")).codes;
    let (therapist, _) = Factor::optional(&t.optional("therapist"));
    Long {
        score: t.num("score"),
        time: t.num("time"),
        patient,
        therapist,
        arm: t.text("arm"),
        treat: t.num("treat"),
    }
}

/// `score ~ time * arm` with the treatment arm coded 1, as lmer's `armtreatment`.
fn arm_growth_design(d: &Long) -> Design {
    let arm: Vec<f64> = d
        .arm
        .iter()
        .map(|a| if a == "treatment" { 1.0 } else { 0.0 })
        .collect();
    growth_design(&d.time, &arm, "armtreatment")
}

fn check_three_level(stem: &str) -> LmmFit {
    let d = read_long(&format!("{stem}.csv"));
    let exp = expected(&format!("{stem}.expected.json"));
    let x = arm_growth_design(&d);
    let fit = three_level(&d.score, &d.time, &x, &d.patient, &d.therapist).unwrap();
    check_fit(stem, &fit, &exp);
    fit
}

#[test]
fn random_intercept_matches_lmer() {
    let t = Table::read("ri.csv");
    let exp = expected("ri.expected.json");
    let arm = Factor::new(&t.text("arm"));
    let x = Design::intercept(t.n)
        .with("intake", t.num("intake"))
        .with_dummies("arm", &arm);
    let th = Factor::new(&t.text("therapist"));
    let fit = random_intercept(&t.num("end"), &x, "therapist", &th.codes).unwrap();
    check_fit("ri", &fit, &exp);
    close(
        "ri icc",
        fit.icc().unwrap(),
        exp["icc"].as_f64().unwrap(),
        VARCOMP_REL,
        0.0,
    );
    assert_eq!(
        fit.var_comps[0].n_levels as f64,
        exp["ngrps"]["therapist"].as_f64().unwrap()
    );
}

#[test]
fn singular_random_intercept_is_a_boundary_fit() {
    let t = Table::read("ri_singular.csv");
    let exp = expected("ri_singular.expected.json");
    let arm = Factor::new(&t.text("arm"));
    let x = Design::intercept(t.n)
        .with("intake", t.num("intake"))
        .with_dummies("arm", &arm);
    let th = Factor::new(&t.text("therapist"));
    let fit = random_intercept(&t.num("end"), &x, "therapist", &th.codes).unwrap();
    assert!(fit.singular);
    assert_eq!(
        fit.theta,
        [0.0],
        "the therapist variance sits exactly on the boundary"
    );
    check_fit("ri_singular", &fit, &exp);
    assert_eq!(fit.icc(), Some(0.0));
}

#[test]
fn three_level_therapists_nested_in_arms_matches_lmer() {
    let fit = check_three_level("lmm3_nested");
    assert!(!fit.singular && fit.converged);
}

#[test]
fn three_level_therapists_crossed_with_arms_matches_lmer() {
    check_three_level("lmm3_crossed");
}

#[test]
fn three_level_balanced_benchmark_design_matches_lmer() {
    check_three_level("lmm3_bench");
}

#[test]
fn three_level_singular_therapist_variance_matches_lmer() {
    let fit = check_three_level("lmm3_singular");
    assert!(fit.singular);
}

#[test]
fn partially_nested_waitlist_design_matches_lmer() {
    let d = read_long("lmm3_partial.csv");
    let exp = expected("lmm3_partial.expected.json");
    // score ~ time * treat + (1 + time | patient) + (0 + treat + treat:time | therapist)
    let x = growth_design(&d.time, &d.treat, "treat");
    let x = Design {
        names: vec![
            "(Intercept)".into(),
            "time".into(),
            "treat".into(),
            "time:treat".into(),
        ],
        columns: x.columns,
    };
    assert!(
        d.therapist
            .iter()
            .zip(&d.treat)
            .all(|(t, tr)| t.is_some() == (*tr == 1.0))
    );
    let fit = three_level(&d.score, &d.time, &x, &d.patient, &d.therapist).unwrap();
    check_fit("lmm3_partial", &fit, &exp);
    // The same model written with explicit dummy columns, as in lme4.
    let treat_time: Vec<f64> = d.treat.iter().zip(&d.time).map(|(a, b)| a * b).collect();
    let ther = RandomTerm {
        group_name: "therapist".into(),
        group: d.therapist.clone(),
        names: vec!["treat".into(), "treat:time".into()],
        columns: vec![d.treat.clone(), treat_time],
    };
    let pat = RandomTerm::intercept_and_slope(
        "patient",
        d.patient.iter().map(|&p| Some(p)).collect(),
        "time",
        &d.time,
    );
    // Terms given outer first: the nesting is detected either way.
    let fit2 = fit_lmm(&d.score, &x, &[ther, pat]).unwrap();
    check_fit("lmm3_partial (terms swapped)", &fit2, &exp);
}

#[test]
fn reml_criterion_at_r_theta_equals_r() {
    for stem in [
        "lmm3_nested",
        "lmm3_crossed",
        "lmm3_partial",
        "lmm3_singular",
    ] {
        let d = read_long(&format!("{stem}.csv"));
        let exp = expected(&format!("{stem}.expected.json"));
        let arm: Vec<f64> = if stem == "lmm3_partial" {
            d.treat.clone()
        } else {
            d.arm
                .iter()
                .map(|a| if a == "treatment" { 1.0 } else { 0.0 })
                .collect()
        };
        let x = growth_design(&d.time, &arm, "arm");
        let mut ther =
            RandomTerm::intercept_and_slope("therapist", d.therapist.clone(), "time", &d.time);
        for col in &mut ther.columns {
            for (v, g) in col.iter_mut().zip(&d.therapist) {
                if g.is_none() {
                    *v = 0.0;
                }
            }
        }
        let pat = RandomTerm::intercept_and_slope(
            "patient",
            d.patient.iter().map(|&p| Some(p)).collect(),
            "time",
            &d.time,
        );
        let m = Lmm::new(&d.score, &x, &[pat, ther]).unwrap();
        let dev = m.reml_criterion(&nums(&exp["theta"]));
        close(
            &format!("{stem} REML criterion at R's theta"),
            dev,
            exp["reml_criterion"].as_f64().unwrap(),
            1e-11,
            0.0,
        );
    }
}

#[test]
fn cross_lagged_within_person_model_matches_lmer() {
    let t = Table::read("crosslag.csv");
    let exp = expected("crosslag.expected.json");
    let patient = Factor::new(&t.text("patient")).codes;
    let session: Vec<i64> = t.num("session").iter().map(|&s| s as i64).collect();
    let cl = cross_lagged(&patient, &session, &t.num("alliance"), &t.num("symptoms")).unwrap();
    assert_eq!(cl.n_lagged as f64, exp["n_lagged"].as_f64().unwrap());
    for (got, key) in [
        (&cl.x.between, "x_pm"),
        (&cl.x.within, "x_cw"),
        (&cl.y.within, "y_cw"),
    ] {
        for (i, (g, w)) in got.iter().zip(nums(&exp["centring"][key])).enumerate() {
            close(&format!("{key}[{i}]"), *g, w, 1e-12, 1e-12);
        }
    }
    check_fit("crosslag", &cl.fit, &exp);
}

#[test]
fn degenerate_inputs_are_errors_not_panics() {
    let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.5];
    let x = Design::intercept(6);
    // Patients in two therapists each: not nested either way.
    let a = RandomTerm::intercept("patient", &[0, 0, 1, 1, 2, 2]);
    let b = RandomTerm::intercept("therapist", &[0, 1, 0, 1, 0, 1]);
    assert!(matches!(
        fit_lmm(&y, &x, &[a.clone(), b]),
        Err(StatsError::NotNested { .. })
    ));
    // One level per observation.
    let c = RandomTerm::intercept("row", &[0, 1, 2, 3, 4, 5]);
    assert!(matches!(
        fit_lmm(&y, &x, &[c]),
        Err(StatsError::TooFewObservations { .. })
    ));
    assert!(matches!(
        fit_lmm(&y, &x, &[]),
        Err(StatsError::Unsupported(_))
    ));
    let xr = Design::intercept(6).with("ones", vec![1.0; 6]);
    assert!(matches!(
        fit_lmm(&y, &xr, std::slice::from_ref(&a)),
        Err(StatsError::RankDeficient(_))
    ));
    assert!(matches!(
        fit_lmm(
            &[1.0, f64::NAN, 3.0, 4.0, 5.0, 6.0],
            &x,
            std::slice::from_ref(&a)
        ),
        Err(StatsError::NonFinite(_))
    ));
    // A response without within-group variation still fits (sigma tiny) or errors, never panics.
    let flat = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0];
    let _ =
        Lmm::new(&flat, &x, std::slice::from_ref(&a)).and_then(|m| m.fit(&LmmOptions::default()));
}

/// A warm start (`LmmOptions::start`) reaches the same fit as lme4's start: it still matches
/// lmer on the benchmark design, with fewer criterion evaluations; a start of the wrong
/// length is ignored (the cold fit, exactly).
#[test]
fn warm_start_reaches_the_same_optimum_in_fewer_evaluations() {
    let d = read_long("lmm3_bench.csv");
    let exp = expected("lmm3_bench.expected.json");
    let x = arm_growth_design(&d);
    let terms = [
        RandomTerm::intercept_and_slope(
            "patient",
            d.patient.iter().map(|&p| Some(p)).collect(),
            "time",
            &d.time,
        ),
        RandomTerm::intercept_and_slope("therapist", d.therapist.clone(), "time", &d.time),
    ];
    let m = Lmm::new(&d.score, &x, &terms).unwrap();
    let cold = m.fit(&LmmOptions::default()).unwrap();
    let start: Vec<f64> = cold.theta.iter().map(|t| 0.8 * t).collect();
    let warm = m
        .fit(&LmmOptions {
            start: Some(start),
            ..LmmOptions::default()
        })
        .unwrap();
    check_fit("lmm3_bench warm", &warm, &exp);
    assert!((warm.reml_criterion - cold.reml_criterion).abs() < 1e-8);
    assert!(
        warm.evaluations < cold.evaluations,
        "{} vs {}",
        warm.evaluations,
        cold.evaluations
    );
    let ignored = m
        .fit(&LmmOptions {
            start: Some(vec![1.0; 2]),
            ..LmmOptions::default()
        })
        .unwrap();
    assert_eq!(ignored.coefficients, cold.coefficients);
    assert_eq!(ignored.evaluations, cold.evaluations);
}
