//! The therapist's own judgement of progress (`mechanisms.judgement`): how much of their
//! patients' deterioration therapists see without outcome monitoring, their optimism, and how
//! often monitoring's alert corrects their view.

use super::args::{Args, ONE_ARM};
use super::sample::share;
use super::{Family, Replicate, Statistic, Value};
use crate::model::instrument::ChangeClass;
use crate::model::judgement::Verdict;
use crate::sim::engine::PatientOutcome;

pub(super) const FAMILY: Family = Family {
    name: "Judgement: the therapist's own view of progress",
    file: file!(),
    statistics: &[
        Statistic {
            name: "deterioration_recognised",
            args: ONE_ARM,
            doc: "Share of reliably deteriorated patients the therapist saw deteriorating at the end.",
            source: "Hatfield et al. 2010; Hannan et al. 2005",
            compute: deterioration_recognised,
        },
        Statistic {
            name: "judged_improving_excess",
            args: ONE_ARM,
            doc: "Share judged improving by the therapist at the end minus share reliably improved.",
            source: "Walfish et al. 2012",
            compute: judged_improving_excess,
        },
        Statistic {
            name: "alerts_correcting",
            args: ONE_ARM,
            doc: "Share of alerted patients with an alert that corrected the therapist's own view.",
            source: "Lambert et al. 2018",
            compute: alerts_correcting,
        },
    ],
};

/// The arm's patients who attended a session (only they have a therapist's view).
fn treated<'o>(
    r: &Replicate<'o>,
    args: &Args<'_>,
) -> Result<Vec<&'o PatientOutcome>, super::StatisticError> {
    Ok(r.of_arm(args.arm(0)?)
        .into_iter()
        .filter(|o| o.course.sessions_attended > 0)
        .collect())
}

/// Among reliably deteriorated patients, the share the therapist saw deteriorating at the last
/// session, when the deterioration is there to be seen (Hatfield et al. 2010: progress notes
/// recorded it for about a fifth; Hannan et al. 2005: predicted for 1 of 40 at the end).
fn deterioration_recognised(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let inst = r.inst();
    let worse: Vec<_> = treated(r, args)?
        .into_iter()
        .filter(|o| {
            inst.classify(o.course.intake_score, o.course.final_score) == ChangeClass::Deteriorated
        })
        .collect();
    Ok(share(
        worse
            .iter()
            .filter(|o| o.course.last_view == Some(Verdict::Deteriorating))
            .count(),
        worse.len(),
    ))
}

/// Judged improving at the end minus reliably improved (Walfish et al. 2012: therapists
/// believe most of their clients improve).
fn judged_improving_excess(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let inst = r.inst();
    let os = treated(r, args)?;
    let judged = os
        .iter()
        .filter(|o| o.course.last_view == Some(Verdict::Improving))
        .count();
    let improved = os
        .iter()
        .filter(|o| {
            inst.classify(o.course.intake_score, o.course.final_score)
                .reliably_improved()
        })
        .count();
    Ok(share(judged, os.len()) - share(improved, os.len()))
}

/// Among alerted patients, the share with an alert that corrected the therapist's view.
fn alerts_correcting(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let alerted: Vec<_> = treated(r, args)?
        .into_iter()
        .filter(|o| o.course.alerted)
        .collect();
    Ok(share(
        alerted
            .iter()
            .filter(|o| o.course.alerts_correcting > 0)
            .count(),
        alerted.len(),
    ))
}
