//! Traits: how a patient's or a therapist's trait relates to the rated alliance, to dropout and
//! to outcome, as the meta-analyses of patient and therapist characteristics measure it
//! (docs/findings.md, K1-K12). Traits are the latent values the model drew; a study's trait
//! questionnaire would add measurement error and attenuate each r by the square root of its
//! reliability (about .95 at the ECR-R's .9).

use super::args::Args;
use super::sample::pearson;
use super::{Family, Replicate, Statistic, Value};
use crate::model::attendance::Ending;
use crate::model::traits::Traits;
use crate::model::treatment::ArmKind;
use crate::sim::engine::PatientOutcome;
use crate::stats::mean;

pub(super) const FAMILY: Family = Family {
    name: "Traits: patient and therapist characteristics, alliance, dropout and outcome",
    file: file!(),
    statistics: &[
        Statistic {
            name: "trait_alliance_r",
            args: super::args::PATIENT_TRAIT,
            doc: "r of a patient trait with the session-3 patient WAI-SR, therapy arms.",
            source: "",
            compute: trait_alliance_r,
        },
        Statistic {
            name: "trait_outcome_r",
            args: super::args::PATIENT_TRAIT,
            doc: "r of a patient trait with residual gain, therapy arms.",
            source: "",
            compute: trait_outcome_r,
        },
        Statistic {
            name: "trait_dropout_r",
            args: super::args::PATIENT_TRAIT,
            doc: "Point-biserial r of a patient trait with dropout, therapy arms.",
            source: "",
            compute: trait_dropout_r,
        },
        Statistic {
            name: "therapist_trait_alliance_r",
            args: super::args::THERAPIST_TRAIT,
            doc: "r over therapists of a trait with their patients' mean session-3 WAI-SR.",
            source: "",
            compute: therapist_trait_alliance_r,
        },
    ],
};

/// Patients of therapy arms who attended a session.
fn in_therapy<'o>(r: &Replicate<'o>) -> Vec<&'o PatientOutcome> {
    r.outcomes
        .iter()
        .filter(|o| {
            r.scenario.arms[o.arm].kind == ArmKind::Therapy && o.course.sessions_attended > 0
        })
        .collect()
}

/// r of the trait with the session-3 patient WAI-SR total, among patients of therapy arms who
/// attended session 3 (the alliance A1 relates to outcome).
fn trait_alliance_r(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let t = args.patient_trait(0)?;
    let (x, y): (Vec<f64>, Vec<f64>) = in_therapy(r)
        .into_iter()
        .filter_map(|o| Some((o.patient.traits.get(t), f64::from(o.course.wai_patient_s3?))))
        .unzip();
    Ok(pearson(&x, &y))
}

/// r of the trait with residual gain: the final score's residual on the intake score by OLS
/// within each therapy arm, sign set so that improvement is positive (as outcome studies
/// correlate a pre-treatment characteristic with pre-post change adjusted for intake).
fn trait_outcome_r(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let t = args.patient_trait(0)?;
    let patients = in_therapy(r);
    let mut x = Vec::with_capacity(patients.len());
    let mut y = Vec::with_capacity(patients.len());
    for arm in 0..r.scenario.arms.len() {
        let of_arm: Vec<&PatientOutcome> =
            patients.iter().copied().filter(|o| o.arm == arm).collect();
        let intake: Vec<f64> = of_arm.iter().map(|o| o.course.intake_score).collect();
        let last: Vec<f64> = of_arm.iter().map(|o| o.course.final_score).collect();
        for (o, g) in of_arm.iter().zip(residual_gains(&intake, &last)) {
            x.push(o.patient.traits.get(t));
            y.push(g);
        }
    }
    Ok(pearson(&x, &y))
}

/// Minus the residuals of `last` regressed on `intake` by OLS (empty when fewer than 3).
fn residual_gains(intake: &[f64], last: &[f64]) -> Vec<f64> {
    if intake.len() < 3 {
        return vec![];
    }
    let (mi, ml) = (mean(intake), mean(last));
    let sxx: f64 = intake.iter().map(|a| (a - mi).powi(2)).sum();
    let sxy: f64 = intake
        .iter()
        .zip(last)
        .map(|(a, b)| (a - mi) * (b - ml))
        .sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    intake
        .iter()
        .zip(last)
        .map(|(a, b)| -(b - ml - slope * (a - mi)))
        .collect()
}

/// Point-biserial r of the trait with having dropped out (1) rather than any other ending
/// (0), among patients of therapy arms who attended a session.
fn trait_dropout_r(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let t = args.patient_trait(0)?;
    let (x, y): (Vec<f64>, Vec<f64>) = in_therapy(r)
        .into_iter()
        .map(|o| {
            let dropped = o.course.ending == Ending::DroppedOut;
            (o.patient.traits.get(t), f64::from(u8::from(dropped)))
        })
        .unzip();
    Ok(pearson(&x, &y))
}

/// r, over therapists with at least 3 patients rating session 3, of the therapist's trait with
/// the mean session-3 patient WAI-SR of their caseload (their first patients: a re-match's
/// later therapist is not counted).
fn therapist_trait_alliance_r(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let t = args.therapist_trait(0)?;
    let mut caseloads: Vec<Vec<Vec<f64>>> =
        r.therapists.iter().map(|p| vec![vec![]; p.len()]).collect();
    for o in in_therapy(r) {
        let (Some(pool), Some(th), Some(w)) = (
            r.scenario.arms[o.arm].pool,
            o.course.first_therapist,
            o.course.wai_patient_s3,
        ) else {
            continue;
        };
        caseloads[pool][th as usize].push(f64::from(w));
    }
    let (x, y): (Vec<f64>, Vec<f64>) = caseloads
        .iter()
        .zip(r.therapists)
        .flat_map(|(cases, pool)| cases.iter().zip(pool))
        .filter(|(c, _)| c.len() >= 3)
        .map(|(c, th)| (th.traits.get(t), mean(c)))
        .unzip();
    Ok(pearson(&x, &y))
}
