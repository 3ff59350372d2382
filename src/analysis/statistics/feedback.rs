//! Routine outcome monitoring and feedback (Lambert et al. 2018): contrasts of a feedback arm
//! with usual care, overall and among patients not on track.

use super::args::{Args, TWO_ARMS};
use super::measured::post;
use super::sample::{self, share};
use super::{Family, Replicate, Statistic, Value};
use crate::model::attendance::Ending;
use crate::model::instrument::Instrument;
use crate::sim::course::Course;
use crate::sim::engine::PatientOutcome;

pub(super) const FAMILY: Family = Family {
    name: "Feedback: monitoring contrasts, patients not on track",
    file: file!(),
    statistics: &[
        Statistic {
            name: "dropout_difference",
            args: TWO_ARMS,
            doc: "Dropout rate of arm a minus that of arm b.",
            source: "",
            compute: dropout_difference,
        },
        Statistic {
            name: "not_on_track_improvement_ratio",
            args: TWO_ARMS,
            doc: "Reliable-improvement rate of not-on-track patients, arm a over arm b.",
            source: "Lambert et al. 2018",
            compute: not_on_track_improvement_ratio,
        },
        Statistic {
            name: "not_on_track_g",
            args: TWO_ARMS,
            doc: "Hedges' g on post scores of not-on-track patients, arm a vs arm b.",
            source: "Lambert et al. 2018",
            compute: not_on_track_g,
        },
    ],
};

/// Dropout rate of arm a minus arm b (F1).
fn dropout_difference(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let rate = |a: usize| {
        let os = r.of_arm(a);
        share(
            os.iter()
                .filter(|o| o.course.ending == Ending::DroppedOut)
                .count(),
            os.len(),
        )
    };
    Ok(rate(args.arm(0)?) - rate(args.arm(1)?))
}

/// Not on track as the feedback systems flag it, computed identically in every arm: at session
/// 3, the pre-session score has improved by less than half the reliable-change threshold.
fn not_on_track(inst: &Instrument, c: &Course) -> Option<bool> {
    let s3 = c.sessions.iter().find(|s| s.attended && s.session == 3)?;
    Some(c.intake_score - s3.symptom_score < 0.5 * inst.rc_threshold)
}

/// The not-on-track patients of arm a and of arm b.
type NotOnTrack<'o> = (Vec<&'o PatientOutcome>, Vec<&'o PatientOutcome>);

fn not_on_track_arms<'o>(
    r: &Replicate<'o>,
    args: &Args<'_>,
) -> Result<NotOnTrack<'o>, super::StatisticError> {
    let nots = |a: usize| -> Vec<&'o PatientOutcome> {
        r.of_arm(a)
            .into_iter()
            .filter(|o| not_on_track(r.inst(), &o.course) == Some(true))
            .collect()
    };
    Ok((nots(args.arm(0)?), nots(args.arm(1)?)))
}

/// Among not-on-track cases (same rule in both arms), the ratio of reliable-improvement
/// rates, arm a over arm b (F2).
fn not_on_track_improvement_ratio(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let (a, b) = not_on_track_arms(r, args)?;
    let inst = r.inst();
    let ri = |os: &[&PatientOutcome]| {
        share(
            os.iter()
                .filter(|o| {
                    inst.classify(o.course.intake_score, o.course.final_score)
                        .reliably_improved()
                })
                .count(),
            os.len(),
        )
    };
    Ok(ri(&a) / ri(&b))
}

/// Among not-on-track cases (same rule in both arms), Hedges' g on post scores, arm a vs arm
/// b (F3).
fn not_on_track_g(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let (a, b) = not_on_track_arms(r, args)?;
    Ok(sample::hedges_g(&post(&a), &post(&b)))
}
