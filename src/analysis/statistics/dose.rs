//! Dose and response: sessions attended, and how soon patients improve over sessions
//! (Kaplan-Meier curves as in Howard et al. 1986, censored at the last observed score).

use super::args::{Args, ONE_ARM};
use super::measured::{improvement, km_by, km_median};
use super::sample::share;
use super::{Family, Replicate, Statistic, Value};
use crate::analysis::CoMoments;
use crate::model::instrument::Instrument;
use crate::stats::mean;

pub(super) const FAMILY: Family = Family {
    name: "Dose and response: sessions attended, improvement over sessions",
    file: file!(),
    statistics: &[
        Statistic {
            name: "mean_sessions",
            args: &[],
            doc: "Mean sessions attended by all patients.",
            source: "",
            compute: mean_sessions,
        },
        Statistic {
            name: "arm_mean_sessions",
            args: ONE_ARM,
            doc: "Mean sessions attended in an arm.",
            source: "",
            compute: arm_mean_sessions,
        },
        Statistic {
            name: "improved_by_session_{n}",
            args: &[],
            doc: "Kaplan-Meier share reliably improved by n sessions.",
            source: "Howard et al. 1986",
            compute: improved_by_session,
        },
        Statistic {
            name: "recovered_by_session_8",
            args: &[],
            doc: "Kaplan-Meier share of cases reliably and clinically improved by session 8.",
            source: "Kadera et al. 1996",
            compute: recovered_by_session_8,
        },
        Statistic {
            name: "median_sessions_to_rcsi",
            args: &[],
            doc: "Sessions until half the cases reliably and clinically improve (Kaplan-Meier).",
            source: "Hansen et al. 2002",
            compute: median_sessions_to_rcsi,
        },
        Statistic {
            name: "improved_before_session_1",
            args: &[],
            doc: "Share reliably improved between intake and the first session.",
            source: "",
            compute: improved_before_session_1,
        },
        Statistic {
            name: "per_session_benefit",
            args: &[],
            doc: "OLS slope of improvement on sessions attended, adjusted for intake.",
            source: "",
            compute: per_session_benefit,
        },
    ],
};

/// Mean sessions attended by all patients.
fn mean_sessions(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(mean(
        &r.outcomes
            .iter()
            .map(|o| f64::from(o.course.sessions_attended))
            .collect::<Vec<_>>(),
    ))
}

/// Mean sessions attended in an arm.
fn arm_mean_sessions(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    Ok(mean(
        &r.of_arm(args.arm(0)?)
            .iter()
            .map(|o| f64::from(o.course.sessions_attended))
            .collect::<Vec<_>>(),
    ))
}

/// Reliable and clinically significant improvement of `score` from `intake`: reliably
/// improved and below the cut-off.
fn rcsi(inst: &Instrument) -> impl Fn(f64, f64) -> bool + Copy + '_ {
    |intake, score| intake - score >= inst.rc_threshold && !inst.is_case(score)
}

/// Kaplan-Meier share reliably improved (score at least the RC threshold below intake) by n
/// sessions, censored at the last observed score (Howard et al. 1986: D1, D2).
fn improved_by_session(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let n = args.number()?;
    let rc = r.inst().rc_threshold;
    Ok(km_by(&r.all(), n, |i, x| i - x >= rc))
}

/// Kaplan-Meier share of cases at intake that recovered (reliably improved and below the
/// cut-off) by session 8 (Kadera et al. 1996, D8).
fn recovered_by_session_8(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(km_by(&r.cases(), 8, rcsi(r.inst())))
}

/// Sessions until half of the cases at intake reach reliable and clinically significant
/// improvement, Kaplan-Meier (Hansen et al. 2002, D4).
fn median_sessions_to_rcsi(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(km_median(&r.cases(), 200, rcsi(r.inst())))
}

/// Share reliably improved between intake and the pre-session score of session 1 (D3).
fn improved_before_session_1(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let rc = r.inst().rc_threshold;
    let xs: Vec<bool> = r
        .outcomes
        .iter()
        .filter_map(|o| {
            o.course
                .sessions
                .first()
                .filter(|s| s.attended)
                .map(|s| o.course.intake_score - s.symptom_score >= rc)
        })
        .collect();
    Ok(share(xs.iter().filter(|x| **x).count(), xs.len()))
}

/// Per-session benefit (D12): coefficient of sessions attended in an OLS regression of
/// improvement on sessions attended and intake score (case-mix adjusted), among patients who
/// attended at least one session.
fn per_session_benefit(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let mut m = CoMoments::<3>::default();
    for o in r.outcomes.iter().filter(|o| o.course.sessions_attended > 0) {
        m.push([
            improvement(&o.course),
            f64::from(o.course.sessions_attended),
            o.course.intake_score,
        ]);
    }
    Ok(m.partial_slope(0, 1, 2))
}
