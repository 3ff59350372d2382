//! Traits that matter as the literature says they do (issue "Model", section 4): each
//! mechanism that turns a patient trait into a relation with the alliance or the outcome
//! produces it in the reported direction when on, and the relation shrinks when it is off
//! (so a removed or inverted mechanism fails here). Sizes are calibration targets K1-K11.
//! Same seed on and off (common random numbers: the patients' traits are the same); tolerances
//! are at least 4 standard errors of r, (1 - r^2) / sqrt(n).

mod common;

use bordin::model::patient::PatientTraits;
use bordin::sim::engine::PatientOutcome;
use common::{outcomes, pearson, scenario};

const PATIENTS: usize = 8000;

fn run(overrides: &[&str]) -> Vec<PatientOutcome> {
    let n = format!("run.patients={PATIENTS}");
    let mut o = vec![n.as_str(), "run.replicates=1"];
    o.extend_from_slice(overrides);
    outcomes(&scenario(&o), false, false)
        .into_iter()
        .filter(|o| o.course.sessions_attended > 0)
        .collect()
}

/// r of a trait with the session-3 patient WAI-SR.
fn with_alliance(os: &[PatientOutcome], t: fn(&PatientTraits) -> f64) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = os
        .iter()
        .filter_map(|o| Some((t(&o.patient.traits), f64::from(o.course.wai_patient_s3?))))
        .unzip();
    pearson(&x, &y)
}

/// r of a trait with residual gain (final on intake by OLS, improvement positive).
fn with_outcome(os: &[PatientOutcome], t: fn(&PatientTraits) -> f64) -> f64 {
    let intake: Vec<f64> = os.iter().map(|o| o.course.intake_score).collect();
    let last: Vec<f64> = os.iter().map(|o| o.course.final_score).collect();
    let n = intake.len() as f64;
    let (mi, ml) = (intake.iter().sum::<f64>() / n, last.iter().sum::<f64>() / n);
    let sxx: f64 = intake.iter().map(|a| (a - mi).powi(2)).sum();
    let sxy: f64 = intake
        .iter()
        .zip(&last)
        .map(|(a, b)| (a - mi) * (b - ml))
        .sum();
    let gain: Vec<f64> = intake
        .iter()
        .zip(&last)
        .map(|(a, b)| -(b - ml - sxy / sxx * (a - mi)))
        .collect();
    let x: Vec<f64> = os.iter().map(|o| t(&o.patient.traits)).collect();
    pearson(&x, &gain)
}

/// Four standard errors of an r near `r` over the treated patients.
fn tol(os: &[PatientOutcome], r: f64) -> f64 {
    4.0 * (1.0 - r * r) / (os.len() as f64).sqrt()
}

/// Attachment anxiety predicts a poorer outcome (K3) through the vulnerability of the natural
/// course (`mechanisms.attachment`): off, what remains (through the bond and ruptures) is much
/// weaker.
#[test]
fn attachment_anxiety_predicts_a_poorer_outcome() {
    let anxiety = |t: &PatientTraits| t.attachment_anxiety;
    let on = run(&[]);
    let off = run(&["mechanisms.attachment.enabled=false"]);
    let (r_on, r_off) = (with_outcome(&on, anxiety), with_outcome(&off, anxiety));
    assert!(r_on < -0.10, "anxiety-outcome r {r_on:.3}");
    assert!(r_on < r_off - 0.08, "on {r_on:.3} vs off {r_off:.3}");
    assert!(r_off.abs() < 0.08, "without the vulnerability: {r_off:.3}");
}

/// Anxious and avoidant patients form weaker alliances (K1, K2) through the bond ceiling; with
/// both weights at 0 the relations vanish (what is left comes through ruptures).
#[test]
fn insecure_patients_form_weaker_bonds() {
    let anxiety = |t: &PatientTraits| t.attachment_anxiety;
    let avoidance = |t: &PatientTraits| t.attachment_avoidance;
    let on = run(&[]);
    let off = run(&[
        "mechanisms.alliance.avoidance_weight=0",
        "mechanisms.alliance.anxiety_weight=0",
    ]);
    let (av_on, av_off) = (
        with_alliance(&on, avoidance),
        with_alliance(&off, avoidance),
    );
    let (an_on, an_off) = (with_alliance(&on, anxiety), with_alliance(&off, anxiety));
    assert!(av_on < -tol(&on, av_on), "avoidance-alliance r {av_on:.3}");
    assert!(an_on < -tol(&on, an_on), "anxiety-alliance r {an_on:.3}");
    assert!(
        av_on < av_off - 0.06,
        "avoidance: on {av_on:.3} vs off {av_off:.3}"
    );
    assert!(
        an_on < an_off - 0.03,
        "anxiety: on {an_on:.3} vs off {an_off:.3}"
    );
    assert!(av_off.abs() < tol(&off, 0.0), "avoidance off: {av_off:.3}");
}

/// Readiness for change predicts outcome (K7) mostly through engagement with the work of
/// therapy (`mechanisms.engagement`); off, only its small part through the alliance and
/// dropout is left.
#[test]
fn motivated_patients_gain_more() {
    let motivation = |t: &PatientTraits| t.motivation;
    let on = run(&[]);
    let off = run(&["mechanisms.engagement.enabled=false"]);
    let (r_on, r_off) = (
        with_outcome(&on, motivation),
        with_outcome(&off, motivation),
    );
    assert!(r_on > 0.10, "motivation-outcome r {r_on:.3}");
    assert!(r_on > r_off + 0.06, "on {r_on:.3} vs off {r_off:.3}");
}

/// Outcome expectations predict outcome (K5) mostly because hopeful patients take more from the
/// relationship (`expectancy.benefit_weight`); at 0 the relation is much weaker.
#[test]
fn hopeful_patients_gain_more() {
    let expectancy = |t: &PatientTraits| t.expectancy;
    let on = run(&[]);
    let off = run(&["mechanisms.expectancy.benefit_weight=0"]);
    let (r_on, r_off) = (
        with_outcome(&on, expectancy),
        with_outcome(&off, expectancy),
    );
    assert!(r_on > 0.08, "expectancy-outcome r {r_on:.3}");
    assert!(r_on > r_off + 0.05, "on {r_on:.3} vs off {r_off:.3}");
}

/// Therapists differ in dropout beyond the alliance (K15; Saxon et al. 2017) through their
/// retention practice (`dropout.therapist_weight`): therapists with more of it lose fewer
/// patients, and the latent-scale ICC of dropout is higher than without it.
#[test]
fn therapists_differ_in_dropout_by_their_retention_practice() {
    use bordin::model::attendance::Ending;
    use bordin::sim::engine::{self, RunOptions};
    use bordin::stats::Design;
    use bordin::stats::glmm::logistic_random_intercept;
    let fit = |keys: &[&str]| {
        let n = format!("run.patients={PATIENTS}");
        let mut o = vec![n.as_str(), "run.replicates=1"];
        o.extend_from_slice(keys);
        let run = engine::collect(&scenario(&o), &RunOptions::default()).unwrap();
        let rep = &run.replicates[0];
        let treated: Vec<_> = rep
            .outcomes
            .iter()
            .filter(|o| o.course.sessions_attended > 0)
            .collect();
        let group: Vec<usize> = treated
            .iter()
            .map(|o| o.course.first_therapist.unwrap() as usize)
            .collect();
        let dropped: Vec<f64> = treated
            .iter()
            .map(|o| f64::from(u8::from(o.course.ending == Ending::DroppedOut)))
            .collect();
        let x = Design::intercept(group.len());
        let icc = logistic_random_intercept(&dropped, &x, &group, 25)
            .unwrap()
            .icc();
        let pool = &rep.therapists[0];
        let (mut n, mut d) = (vec![0.0; pool.len()], vec![0.0; pool.len()]);
        for (g, y) in group.iter().zip(&dropped) {
            n[*g] += 1.0;
            d[*g] += y;
        }
        let (retention, rate): (Vec<f64>, Vec<f64>) = (0..pool.len())
            .filter(|g| n[*g] >= 10.0)
            .map(|g| (pool[g].traits.retention, d[g] / n[g]))
            .unzip();
        (icc, pearson(&retention, &rate), rate.len())
    };
    let (icc_on, r_on, k) = fit(&[]);
    let (icc_off, r_off, _) = fit(&["mechanisms.dropout.therapist_weight=0"]);
    let se = 1.0 / (k as f64).sqrt();
    assert!(
        r_on < -3.0 * se,
        "retention-dropout r over {k} therapists: {r_on:.3}"
    );
    assert!(r_off.abs() < 3.0 * se, "without the practice: {r_off:.3}");
    assert!(
        icc_on > icc_off + 0.02,
        "ICC on {icc_on:.3} vs off {icc_off:.3}"
    );
}
