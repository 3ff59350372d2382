//! The working alliance as patients rate it (WAI-SR): its relation to outcome, its reliability
//! and course over sessions, and its session-by-session interplay with symptoms.

use super::args::Args;
use super::sample::pearson;
use super::{Family, Replicate, Statistic, Value};
use crate::model::treatment::ArmKind;
use crate::stats::{mean, sum_squared_deviations, var};

pub(super) const FAMILY: Family = Family {
    name: "Alliance: outcome, reliability, course and interplay with symptoms",
    file: file!(),
    statistics: &[
        Statistic {
            name: "alliance_outcome_r",
            args: &[],
            doc: "r of the session-3 patient WAI-SR with residual gain, first therapy arm.",
            source: "",
            compute: alliance_outcome_r,
        },
        Statistic {
            name: "wai_alpha",
            args: &[],
            doc: "Cronbach's alpha of the 12 patient-rated WAI-SR items at session 3.",
            source: "",
            compute: wai_alpha,
        },
        Statistic {
            name: "wai_item_mean_s3",
            args: &[],
            doc: "Patient-rated WAI-SR mean item score at session 3.",
            source: "",
            compute: wai_item_mean_s3,
        },
        Statistic {
            name: "alliance_slope",
            args: &[],
            doc: "Mean within-patient OLS slope of the WAI-SR over sessions (4+ sessions).",
            source: "",
            compute: alliance_slope,
        },
        Statistic {
            name: "alliance_within_sd",
            args: &[],
            doc: "Mean within-patient SD of the WAI-SR around its line (4+ sessions).",
            source: "",
            compute: alliance_within_sd,
        },
        Statistic {
            name: "complementarity_bond_r",
            args: &[],
            doc: "r of a session's behavioural complementarity with its WAI-SR bond items.",
            source: "",
            compute: complementarity_bond_r,
        },
        Statistic {
            name: "lagged_alliance_to_symptoms",
            args: &[],
            doc: "Within-person cross-lagged effect of the alliance on next symptoms.",
            source: "Falkenström et al. 2013",
            compute: lagged_alliance_to_symptoms,
        },
        Statistic {
            name: "lagged_symptoms_to_alliance",
            args: &[],
            doc: "Within-person cross-lagged effect of symptoms on the next alliance.",
            source: "Falkenström et al. 2013",
            compute: lagged_symptoms_to_alliance,
        },
    ],
};

/// Alliance-outcome r (A1): patient-rated WAI-SR total at session 3 against residual gain
/// (final regressed on intake, sign set so improvement is positive), among patients of the
/// first therapy arm who attended session 3 (as `summary.csv` computes it).
fn alliance_outcome_r(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(crate::analysis::summarize(r.scenario, r.outcomes)
        .iter()
        .zip(&r.scenario.arms)
        .filter(|(_, a)| a.kind == ArmKind::Therapy)
        .map(|(s, _)| s.alliance_outcome_r)
        .next()
        .unwrap_or(f64::NAN))
}

/// Cronbach's alpha of item ratings (rows: respondents).
fn cronbach_alpha(rows: &[[f64; 12]]) -> f64 {
    let k = 12.0;
    let item_var: f64 = (0..12)
        .map(|j| var(&rows.iter().map(|r| r[j]).collect::<Vec<_>>()))
        .sum();
    let total_var = var(&rows.iter().map(|r| r.iter().sum()).collect::<Vec<f64>>());
    k / (k - 1.0) * (1.0 - item_var / total_var)
}

/// Cronbach's alpha of the 12 patient-rated WAI-SR items at session 3 (AL2).
fn wai_alpha(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let rows: Vec<[f64; 12]> = r
        .outcomes
        .iter()
        .filter_map(|o| {
            o.course
                .sessions
                .iter()
                .find(|s| s.attended && s.session == 3)
        })
        .map(|s| s.wai_patient_items.map(f64::from))
        .collect();
    Ok(cronbach_alpha(&rows))
}

/// Patient-rated WAI-SR mean item score at session 3 (AL4).
fn wai_item_mean_s3(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(mean(
        &r.outcomes
            .iter()
            .filter_map(|o| o.course.wai_patient_s3)
            .map(|w| f64::from(w) / 12.0)
            .collect::<Vec<_>>(),
    ))
}

/// The mean over patients with at least 4 attended sessions of `per_patient(xs, ys, mx, my, b)`:
/// xs the sessions, ys the patient WAI-SR totals, their means, and b the OLS slope of ys on xs.
fn alliance_line(r: &Replicate<'_>, per_patient: fn(&[f64], &[f64], f64, f64, f64) -> f64) -> f64 {
    let mut vals = vec![];
    for o in r.outcomes {
        let pts: Vec<(f64, f64)> = o
            .course
            .sessions
            .iter()
            .filter(|s| s.attended)
            .map(|s| (f64::from(s.session), f64::from(s.wai_patient)))
            .collect();
        if pts.len() < 4 {
            continue;
        }
        let (xs, ys): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        let (mx, my) = (mean(&xs), mean(&ys));
        let b = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (x - mx) * (y - my))
            .sum::<f64>()
            / sum_squared_deviations(&xs, mx);
        vals.push(per_patient(&xs, &ys, mx, my, b));
    }
    mean(&vals)
}

/// Mean within-patient OLS slope of the patient WAI-SR total over sessions, among patients
/// with at least 4 sessions (R11).
fn alliance_slope(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(alliance_line(r, |_, _, _, _, b| b))
}

/// Mean within-patient residual SD of the patient WAI-SR total around its OLS line over
/// sessions, among patients with at least 4 sessions (R11).
fn alliance_within_sd(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(alliance_line(r, |xs, ys, mx, my, b| {
        let ss: f64 = xs
            .iter()
            .zip(ys)
            .map(|(x, y)| (y - my - b * (x - mx)).powi(2))
            .sum();
        (ss / (xs.len() - 2) as f64).sqrt()
    }))
}

/// r between a session's behavioural complementarity and the patient's WAI-SR bond subscale
/// (items 3, 5, 7, 9) in that session (C2).
fn complementarity_bond_r(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let (mut x, mut y) = (vec![], vec![]);
    for o in r.outcomes {
        for s in o.course.sessions.iter().filter(|s| s.attended) {
            x.push(s.complementarity);
            y.push(
                [2, 4, 6, 8]
                    .iter()
                    .map(|&i| f64::from(s.wai_patient_items[i]))
                    .sum(),
            );
        }
    }
    Ok(pearson(&x, &y))
}

/// Falkenström et al. (W1): within-person cross-lagged model (see `stats::cross_lagged`) on
/// attended sessions, `x` predicting the next `y`, with x and y the patient WAI-SR at the end of
/// session t or the pre-session symptom score. Standardised as a random-intercept cross-lagged
/// panel model (RI-CLPM, the model of W3's source) standardises its within-person paths: by the
/// within-person SDs of x and of the outcome (person-mean-centred), not the total SD, which
/// would mix in the stable differences between patients.
fn cross_lagged(r: &Replicate<'_>, alliance_first: bool) -> f64 {
    let (mut pat, mut ses, mut wai, mut sym) = (vec![], vec![], vec![], vec![]);
    for (i, o) in r.outcomes.iter().enumerate() {
        for s in o.course.sessions.iter().filter(|s| s.attended) {
            pat.push(i);
            ses.push(i64::from(s.session));
            wai.push(f64::from(s.wai_patient));
            sym.push(s.symptom_score);
        }
    }
    let (x, y) = if alliance_first {
        (&wai, &sym)
    } else {
        (&sym, &wai)
    };
    match crate::stats::cross_lagged(&pat, &ses, x, y) {
        Ok(cl) => {
            let b = cl.fit.coef("x_cw").map_or(f64::NAN, |c| c.estimate);
            b * var(&cl.x.within).sqrt() / var(&cl.y.within).sqrt()
        }
        Err(_) => f64::NAN,
    }
}

/// [`cross_lagged`] effect of the alliance at session t on the symptom score at t + 1 (W1a).
fn lagged_alliance_to_symptoms(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(cross_lagged(r, true))
}

/// [`cross_lagged`] effect of the symptom score at session t on the alliance at t + 1 (W1b).
fn lagged_symptoms_to_alliance(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(cross_lagged(r, false))
}
