//! Ruptures and repair (Safran & Muran; Eubanks et al. 2018): rates as each rater reports them,
//! and what repair of observer-coded ruptures goes with.

use super::args::{Args, TWO_ARMS};
use super::measured::{improvement, observer_coded};
use super::sample::{pearson, share};
use super::{Family, Replicate, Statistic, Value};
use crate::model::attendance::Ending;
use crate::model::rupture::RuptureKind;
use crate::sim::course::Course;
use crate::stats::mean;

pub(super) const FAMILY: Family = Family {
    name: "Ruptures and repair",
    file: file!(),
    statistics: &[
        Statistic {
            name: "rupture_rate_patient",
            args: &[],
            doc: "Ruptures the patient reports per attended session.",
            source: "",
            compute: rupture_rate_patient,
        },
        Statistic {
            name: "rupture_rate_therapist",
            args: &[],
            doc: "Ruptures the therapist reports per attended session.",
            source: "",
            compute: rupture_rate_therapist,
        },
        Statistic {
            name: "rupture_rate_observer",
            args: &[],
            doc: "Ruptures an observer codes per attended session.",
            source: "",
            compute: rupture_rate_observer,
        },
        Statistic {
            name: "therapist_minus_patient_rupture_rate",
            args: &[],
            doc: "Therapist-reported minus patient-reported ruptures per attended session.",
            source: "",
            compute: therapist_minus_patient_rupture_rate,
        },
        Statistic {
            name: "repair_outcome_r",
            args: &[],
            doc: "Point-biserial r of any repaired observer-coded rupture with improvement.",
            source: "",
            compute: repair_outcome_r,
        },
        Statistic {
            name: "repair_dropout_r",
            args: &[],
            doc: "r of the share of observer-coded ruptures repaired with dropping out.",
            source: "",
            compute: repair_dropout_r,
        },
        Statistic {
            name: "withdrawal_share",
            args: &[],
            doc: "Share of withdrawals among observer-coded ruptures.",
            source: "",
            compute: withdrawal_share,
        },
        Statistic {
            name: "confrontation_minus_withdrawal_drop",
            args: &[],
            doc: "WAI-O drop at observer-coded confrontations minus that at withdrawals.",
            source: "",
            compute: confrontation_minus_withdrawal_drop,
        },
        Statistic {
            name: "repair_rate_difference",
            args: TWO_ARMS,
            doc: "Share of ruptures repaired (latent) in arm a minus that in arm b.",
            source: "",
            compute: repair_rate_difference,
        },
    ],
};

/// Ruptures per attended session, counted by `count` on each course (R4-R6).
fn per_session(r: &Replicate<'_>, count: fn(&Course) -> u32) -> f64 {
    let sessions: u64 = r
        .outcomes
        .iter()
        .map(|o| u64::from(o.course.sessions_attended))
        .sum();
    r.outcomes
        .iter()
        .map(|o| u64::from(count(&o.course)))
        .sum::<u64>() as f64
        / sessions as f64
}

/// Ruptures the patient reports per attended session (R4).
fn rupture_rate_patient(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(per_session(r, |c| c.ruptures_reported_by_patient))
}

/// Ruptures the therapist reports per attended session (R6).
fn rupture_rate_therapist(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(per_session(r, |c| c.ruptures_reported_by_therapist))
}

/// Ruptures an observer codes per attended session (R5).
fn rupture_rate_observer(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(per_session(r, |c| c.ruptures_reported_by_observer))
}

/// Therapist-reported minus patient-reported ruptures per attended session (R7).
fn therapist_minus_patient_rupture_rate(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(per_session(r, |c| c.ruptures_reported_by_therapist)
        - per_session(r, |c| c.ruptures_reported_by_patient))
}

/// Point-biserial r between having at least one repaired observer-coded rupture (vs only
/// unrepaired ones) and improvement, among patients with observer-coded ruptures (R1, R3).
fn repair_outcome_r(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let (mut g, mut y) = (vec![], vec![]);
    for o in r.outcomes {
        let coded = observer_coded(&o.course);
        if coded.is_empty() {
            continue;
        }
        g.push(f64::from(u8::from(coded.iter().any(|e| e.repaired))));
        y.push(improvement(&o.course));
    }
    Ok(pearson(&g, &y))
}

/// r between the share of observer-coded ruptures repaired and dropping out, among patients
/// with observer-coded ruptures (R7).
fn repair_dropout_r(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let (mut x, mut y) = (vec![], vec![]);
    for o in r.outcomes {
        let coded = observer_coded(&o.course);
        if !coded.is_empty() {
            x.push(coded.iter().filter(|e| e.repaired).count() as f64 / coded.len() as f64);
            y.push(f64::from(u8::from(o.course.ending == Ending::DroppedOut)));
        }
    }
    Ok(pearson(&x, &y))
}

/// Share of withdrawals among observer-coded ruptures (R8).
fn withdrawal_share(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let kinds: Vec<_> = r
        .outcomes
        .iter()
        .flat_map(|o| observer_coded(&o.course))
        .collect();
    Ok(share(
        kinds
            .iter()
            .filter(|e| e.kind == RuptureKind::Withdrawal)
            .count(),
        kinds.len(),
    ))
}

/// Mean drop of the observer-rated alliance (WAI-O, 12-60) from the previous session to a
/// session with an observer-coded confrontation, minus the same for withdrawal (R8).
fn confrontation_minus_withdrawal_drop(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let (mut conf, mut wd) = (vec![], vec![]);
    for o in r.outcomes {
        for w in o.course.sessions.windows(2) {
            if let Some(e) = w[1].rupture.filter(|e| e.reported_by_observer) {
                let drop = w[0].wai_observer - w[1].wai_observer;
                match e.kind {
                    RuptureKind::Confrontation => conf.push(drop),
                    RuptureKind::Withdrawal => wd.push(drop),
                }
            }
        }
    }
    Ok(mean(&conf) - mean(&wd))
}

/// Share of an arm's ruptures that were repaired, minus the same share in arm b (all
/// ruptures, latent).
fn repair_rate_difference(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let rate = |a: usize| {
        let (rep, rup) = r.of_arm(a).iter().fold((0u32, 0u32), |(rep, n), o| {
            (rep + o.course.repairs, n + o.course.ruptures)
        });
        share(rep as usize, rup as usize)
    };
    Ok(rate(args.arm(0)?) - rate(args.arm(1)?))
}
