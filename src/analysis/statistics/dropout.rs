//! Dropout: unilateral endings before the planned or a good-enough end (P1), who drops out and
//! when.

use super::args::Args;
use super::measured::improvement;
use super::sample::{self, share};
use super::{Family, Replicate, Statistic, Value};
use crate::model::attendance::Ending;
use crate::stats::mean;

pub(super) const FAMILY: Family = Family {
    name: "Dropout: who ends unilaterally, and when",
    file: file!(),
    statistics: &[
        Statistic {
            name: "dropout",
            args: &[],
            doc: "Share of all patients who dropped out.",
            source: "",
            compute: dropout,
        },
        Statistic {
            name: "dropout_alliance_d",
            args: &[],
            doc: "d of the session-1 patient WAI-SR, completers vs dropouts.",
            source: "",
            compute: dropout_alliance_d,
        },
        Statistic {
            name: "peak_dropout_session",
            args: &[],
            doc: "The session after which the dropout hazard is highest.",
            source: "",
            compute: peak_dropout_session,
        },
        Statistic {
            name: "completer_dropout_change_gap",
            args: &[],
            doc: "Mean improvement of non-dropouts minus that of dropouts.",
            source: "",
            compute: completer_dropout_change_gap,
        },
    ],
};

/// Share of patients who dropped out (unilateral ending before the planned or a good-enough
/// end: P1).
fn dropout(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(share(
        r.outcomes
            .iter()
            .filter(|o| o.course.ending == Ending::DroppedOut)
            .count(),
        r.outcomes.len(),
    ))
}

/// d of the session-1 patient WAI-SR between completers (any other ending) and dropouts;
/// session 1 is the one early rating every patient has (P4).
fn dropout_alliance_d(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let w = |drop: bool| -> Vec<f64> {
        r.outcomes
            .iter()
            .filter(|o| {
                o.course.sessions_attended > 0 && (o.course.ending == Ending::DroppedOut) == drop
            })
            .filter_map(|o| o.course.sessions.first().map(|s| f64::from(s.wai_patient)))
            .collect()
    };
    Ok(-sample::hedges_g(&w(false), &w(true)))
}

/// The session after which the dropout hazard (dropouts / attenders) is highest (P5).
fn peak_dropout_session(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let all = r.outcomes;
    let max_t = all
        .iter()
        .map(|o| o.course.sessions_attended)
        .max()
        .unwrap_or(0);
    Ok((1..max_t)
        .map(|t| {
            let at = all
                .iter()
                .filter(|o| o.course.sessions_attended >= t)
                .count();
            let d = all
                .iter()
                .filter(|o| {
                    o.course.sessions_attended == t && o.course.ending == Ending::DroppedOut
                })
                .count();
            (t, share(d, at))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(f64::NAN, |(t, _)| f64::from(t)))
}

/// Mean improvement of non-dropouts minus that of dropouts, among patients who attended at
/// least one session (P6).
fn completer_dropout_change_gap(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let imp = |drop: bool| -> Vec<f64> {
        r.outcomes
            .iter()
            .filter(|o| {
                (o.course.ending == Ending::DroppedOut) == drop && o.course.sessions_attended > 0
            })
            .map(|o| improvement(&o.course))
            .collect()
    };
    Ok(mean(&imp(false)) - mean(&imp(true)))
}
