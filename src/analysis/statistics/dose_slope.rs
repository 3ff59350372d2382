//! Dose slopes within alliance strata (Goldsmith et al. 2015): the effect of each session
//! attended among patients who form a good or a poor alliance, known exactly from common random
//! numbers, and estimated as a trial would by instrumental variables.

use super::args::{Args, Stratum};
use super::{Arg, ArgKind, Family, Replicate, Statistic, Value};
use crate::sim::engine::PatientOutcome;
use crate::stats::Design;
use crate::stats::mean;

pub(super) const FAMILY: Family = Family {
    name: "Dose slopes within alliance strata",
    file: file!(),
    statistics: &[
        Statistic {
            name: "dose_slope_good_alliance",
            args: THERAPY_COMPARISON,
            doc: "Post-score change per session attended among patients with a good alliance.",
            source: "Goldsmith et al. 2015",
            compute: dose_slope_good_alliance,
        },
        Statistic {
            name: "dose_slope_poor_alliance",
            args: THERAPY_COMPARISON,
            doc: "Post-score change per session attended among patients with a poor alliance.",
            source: "Goldsmith et al. 2015",
            compute: dose_slope_poor_alliance,
        },
        Statistic {
            name: "iv_dose_slope",
            args: &[
                Arg {
                    name: "control",
                    kind: ArgKind::Arm,
                },
                STRATUM,
            ],
            doc: "Two-stage least squares dose slope in an alliance-capacity stratum.",
            source: "Goldsmith et al. 2015",
            compute: iv_dose_slope,
        },
        Statistic {
            name: "true_dose_slope",
            args: &[
                Arg {
                    name: "therapy",
                    kind: ArgKind::Arm,
                },
                Arg {
                    name: "control",
                    kind: ArgKind::Arm,
                },
                STRATUM,
            ],
            doc: "The dose slope the IV estimates, from counterfactuals, in a capacity stratum.",
            source: "Goldsmith et al. 2015",
            compute: true_dose_slope,
        },
    ],
};

const THERAPY_COMPARISON: &[Arg] = &[
    Arg {
        name: "therapy",
        kind: ArgKind::Arm,
    },
    Arg {
        name: "comparison",
        kind: ArgKind::Arm,
    },
];

const STRATUM: Arg = Arg {
    name: "stratum",
    kind: ArgKind::Stratum,
};

/// Causal dose slope (G1), Goldsmith et al.'s estimand: the effect of each session attended
/// within the stratum of patients who form a good (patient WAI-SR mean item at session 3 >=
/// 3.5) or poor (< 3.5) alliance in therapy. Arm 0 is the therapy, arm 1 the comparison
/// (routine care alone, or fewer sessions); every patient is simulated under both (common
/// random numbers). The alliance is rated only in therapy, so the strata are formed among the
/// patients assigned to arm 0, whose rated alliance is observed. Slope = mean paired difference
/// of post scores (arm 0 - arm 1) / mean difference in sessions attended (a Wald ratio, as the
/// IV analysis estimates).
fn dose_slope(r: &Replicate<'_>, args: &Args<'_>, good: bool) -> Value {
    let (therapy, comparison) = (args.arm(0)?, args.arm(1)?);
    let (mut dy, mut dn) = (vec![], vec![]);
    for o in r.of_arm(therapy) {
        let (Some(w), Some(t), Some(c)) = (
            o.course.wai_patient_s3,
            o.potential.get(therapy),
            o.potential.get(comparison),
        ) else {
            continue;
        };
        if (f64::from(w) / 12.0 >= 3.5) != good {
            continue;
        }
        dy.push(t.post_score - c.post_score);
        dn.push(f64::from(t.sessions_attended) - f64::from(c.sessions_attended));
    }
    Ok(mean(&dy) / mean(&dn))
}

/// [`dose_slope`] among patients who form a good alliance (G1a).
fn dose_slope_good_alliance(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    dose_slope(r, args, true)
}

/// [`dose_slope`] among patients who form a poor alliance (G1b).
fn dose_slope_poor_alliance(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    dose_slope(r, args, false)
}

/// The patients of a stratum of baseline alliance capacity: `good` at or above the median of
/// every patient of the replicate, `poor` below.
fn stratum<'o>(all: &[&'o PatientOutcome], which: Stratum) -> Vec<&'o PatientOutcome> {
    let mut caps: Vec<f64> = all
        .iter()
        .map(|o| o.patient.traits.alliance_capacity)
        .collect();
    caps.sort_by(f64::total_cmp);
    let median = caps.get(caps.len() / 2).copied().unwrap_or(0.0);
    all.iter()
        .copied()
        .filter(|o| (o.patient.traits.alliance_capacity >= median) == (which == Stratum::Good))
        .collect()
}

/// Instrumental-variable dose slope (Goldsmith et al. 2015): two-stage least squares of the
/// post score on sessions attended and intake, sessions instrumented by random assignment to
/// any therapy arm (the control arm has none), among patients whose baseline alliance capacity
/// is above (`good`) or below (`poor`) the replicate's median: a baseline predictor of the
/// alliance, as a trial must use, since the control arm rates no alliance.
fn iv_dose_slope(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let control = args.arm(0)?;
    let rows = stratum(&r.all(), args.stratum(1)?);
    let y: Vec<f64> = rows.iter().map(|o| o.course.post_score).collect();
    let intake: Vec<f64> = rows.iter().map(|o| o.course.intake_score).collect();
    let x = Design::intercept(rows.len())
        .with(
            "sessions",
            rows.iter()
                .map(|o| f64::from(o.course.sessions_attended))
                .collect(),
        )
        .with("intake", intake.clone());
    let z = Design::intercept(rows.len())
        .with(
            "assigned",
            rows.iter()
                .map(|o| f64::from(u8::from(o.arm != control)))
                .collect(),
        )
        .with("intake", intake);
    Ok(crate::stats::two_stage_least_squares(&y, &x, &z)
        .ok()
        .and_then(|f| {
            f.coefs
                .iter()
                .find(|c| c.name == "sessions")
                .map(|c| c.estimate)
        })
        .unwrap_or(f64::NAN))
}

/// The true dose slope of a therapy arm against the control arm in the same strata as
/// [`iv_dose_slope`]: mean paired difference of potential post scores / mean difference of
/// sessions attended (the Wald ratio the IV estimates, known exactly from counterfactuals).
fn true_dose_slope(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let (t, c) = (args.arm(0)?, args.arm(1)?);
    let rows = stratum(&r.all(), args.stratum(2)?);
    let (dy, dn): (Vec<f64>, Vec<f64>) = rows
        .iter()
        .filter(|o| o.potential.len() > t.max(c))
        .map(|o| {
            (
                o.potential[t].post_score - o.potential[c].post_score,
                f64::from(o.potential[t].sessions_attended)
                    - f64::from(o.potential[c].sessions_attended),
            )
        })
        .unzip();
    Ok(mean(&dy) / mean(&dn))
}
