//! Longitudinal models of a trial: the three-level growth model (sessions in patients in
//! therapists) and the within-person cross-lagged model of a process variable (e.g. alliance)
//! predicting next-session symptoms.

use std::collections::HashMap;

use serde::Serialize;

use super::design::Design;
use super::effect::{Centred, person_mean_centre};
use super::lmm::{Lmm, LmmFit, LmmOptions, RandomTerm};
use super::{Result, StatsError, check_finite};

/// Fixed effects of a two-arm growth model, `score ~ time * arm`: columns `(Intercept)`,
/// `time`, `arm_name`, `time:arm_name` (arm: 1 for the treatment arm, 0 otherwise).
pub fn growth_design(time: &[f64], arm: &[f64], arm_name: &str) -> Design {
    let inter = time.iter().zip(arm).map(|(t, a)| t * a).collect();
    Design::intercept(time.len())
        .with("time", time.to_vec())
        .with(arm_name, arm.to_vec())
        .with(format!("time:{arm_name}"), inter)
}

/// Three-level growth model by REML:
/// `score ~ X + (1 + time | patient) + (1 + time | therapist)`, patients nested in therapists.
///
/// Therapists may be nested in arms or crossed with them (the fixed effects X carry the arms).
/// A patient whose therapist is `None` (a waitlist arm) has no therapist effect: this is
/// lme4's partially nested `(0 + treat + treat:time | therapist)` with treat = 1 when the
/// patient has a therapist.
///
/// # Errors
/// As [`Lmm::new`]; also a patient seen by more than one therapist.
pub fn three_level(
    score: &[f64],
    time: &[f64],
    x: &Design,
    patient: &[usize],
    therapist: &[Option<usize>],
) -> Result<LmmFit> {
    three_level_with(score, time, x, patient, therapist, &LmmOptions::default())
}

/// [`three_level`] with options (e.g. a warm start).
///
/// # Errors
/// As [`three_level`].
pub fn three_level_with(
    score: &[f64],
    time: &[f64],
    x: &Design,
    patient: &[usize],
    therapist: &[Option<usize>],
    opts: &LmmOptions,
) -> Result<LmmFit> {
    let n = score.len();
    if time.len() != n || patient.len() != n || therapist.len() != n {
        return Err(StatsError::Dimension(format!(
            "three-level model: {n} scores, {} times, {} patients, {} therapists",
            time.len(),
            patient.len(),
            therapist.len()
        )));
    }
    let pat = RandomTerm::intercept_and_slope(
        "patient",
        patient.iter().map(|&p| Some(p)).collect(),
        "time",
        time,
    );
    let mut ther = RandomTerm::intercept_and_slope("therapist", therapist.to_vec(), "time", time);
    for col in &mut ther.columns {
        for (v, g) in col.iter_mut().zip(therapist) {
            if g.is_none() {
                *v = 0.0;
            }
        }
    }
    Lmm::new(score, x, &[pat, ther])?.fit(opts)
}

/// A fitted within-person cross-lagged model.
#[derive(Clone, Debug, Serialize)]
pub struct CrossLagged {
    /// `y_next ~ x_cw + x_pm + y_cw + session + (1 | patient)` by REML.
    pub fit: LmmFit,
    /// Number of lagged pairs (rows of the model).
    pub n_lagged: usize,
    /// Person-mean centring of x over all observed sessions.
    pub x: Centred,
    /// Person-mean centring of y over all observed sessions.
    pub y: Centred,
}

/// Within-person cross-lagged model of panel data (one row per patient and session):
///
/// y_{i,s+1} = b0 + b1 xw_{i,s} + b2 xb_i + b3 yw_{i,s} + b4 s + u_i + e_{i,s},  u_i ~ N(0, tau^2)
///
/// with xw, yw the person-mean-centred x and y at session s (deviations from the patient's mean
/// over all their observed sessions), xb the patient's mean of x, and a random intercept per
/// patient. b1 is the within-person effect of x on the next session's y, adjusted for the
/// patient's current deviation in y and for time; b2 the between-person association. A pair
/// enters only when session s + 1 of the same patient was observed (a missed session breaks
/// the lag). Coefficients are named `(Intercept)`, `x_cw`, `x_pm`, `y_cw`, `session`.
///
/// # Errors
/// Mismatched lengths, non-finite values, duplicated (patient, session) rows, and the errors
/// of [`Lmm::new`] for the lagged data.
pub fn cross_lagged(
    patient: &[usize],
    session: &[i64],
    x: &[f64],
    y: &[f64],
) -> Result<CrossLagged> {
    let n = patient.len();
    if session.len() != n || x.len() != n || y.len() != n {
        return Err(StatsError::Dimension(format!(
            "cross-lagged model: {n} patients, {} sessions, {} x, {} y",
            session.len(),
            x.len(),
            y.len()
        )));
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    let xc = person_mean_centre(patient, x)?;
    let yc = person_mean_centre(patient, y)?;
    let mut index: HashMap<(usize, i64), usize> = HashMap::with_capacity(n);
    for i in 0..n {
        if index.insert((patient[i], session[i]), i).is_some() {
            return Err(StatsError::Dimension(format!(
                "patient {} has session {} twice",
                patient[i], session[i]
            )));
        }
    }
    let mut rows = Vec::new();
    for i in 0..n {
        if let Some(&j) = index.get(&(patient[i], session[i] + 1)) {
            rows.push((i, j));
        }
    }
    let y_next: Vec<f64> = rows.iter().map(|&(_, j)| y[j]).collect();
    let design = Design::intercept(rows.len())
        .with("x_cw", rows.iter().map(|&(i, _)| xc.within[i]).collect())
        .with("x_pm", rows.iter().map(|&(i, _)| xc.between[i]).collect())
        .with("y_cw", rows.iter().map(|&(i, _)| yc.within[i]).collect())
        .with(
            "session",
            rows.iter().map(|&(i, _)| session[i] as f64).collect(),
        );
    let groups: Vec<usize> = rows.iter().map(|&(i, _)| patient[i]).collect();
    let fit = Lmm::new(
        &y_next,
        &design,
        &[RandomTerm::intercept("patient", &groups)],
    )?
    .fit(&LmmOptions::default())?;
    Ok(CrossLagged {
        fit,
        n_lagged: rows.len(),
        x: xc,
        y: yc,
    })
}
