//! The chart of a trace (alliance and symptoms per session, ruptures marked), as
//! `trace.svg` and `trace.png`.

use std::path::Path;

use crate::error::Result;
use crate::model::attendance::Ending;
use crate::model::rupture::RuptureKind;
use crate::plot::{ChartDyad, RuptureMark, TraceChart};
use crate::sim::course::Course;

use super::Trace;
use super::narrative::instrument_label;

/// The ending in a few words, for chart captions.
fn ending_short(c: &Course) -> String {
    match c.ending {
        Ending::Completed => "completed".into(),
        Ending::GoodEnough => format!("good-enough ending after session {}", c.sessions_attended),
        Ending::DroppedOut => format!("dropped out after session {}", c.sessions_attended),
        Ending::Stopped => format!("stopped after session {}", c.sessions_attended),
        Ending::Waitlist => "waitlist".into(),
    }
}

/// The chart's data.
pub fn chart_data(trace: &Trace) -> TraceChart {
    let inst = &trace.scenario.instrument;
    let dyads = trace
        .dyads
        .iter()
        .map(|d| {
            let c = &d.course;
            let mut scores = vec![(0.0, c.intake_score)];
            scores.extend(
                c.sessions
                    .iter()
                    .map(|r| (f64::from(r.session), r.symptom_score)),
            );
            let last = c.sessions.last().map_or(0, |r| r.session);
            ChartDyad {
                title: format!(
                    "{}: {} with {}",
                    d.name, d.therapist_label, trace.patient_label
                ),
                alliance: c
                    .sessions
                    .iter()
                    .map(|r| {
                        (
                            f64::from(r.session),
                            [r.alliance.bond, r.alliance.goals, r.alliance.tasks],
                        )
                    })
                    .collect(),
                ruptures: c
                    .sessions
                    .iter()
                    .filter_map(|r| {
                        r.rupture.map(|e| RuptureMark {
                            session: f64::from(r.session),
                            before: e.alliance_before,
                            after_drop: e.alliance_after_drop,
                            withdrawal: e.kind == RuptureKind::Withdrawal,
                            repaired: e.repaired,
                        })
                    })
                    .collect(),
                scores,
                end_score: (c.ending != Ending::DroppedOut)
                    .then(|| (f64::from(last + 1), c.final_score)),
                ending: ending_short(c),
            }
        })
        .collect();
    TraceChart {
        title: format!(
            "bordin trace: {} ({} planned sessions, seed {})",
            trace.arm.name, trace.arm.sessions, trace.scenario.run.seed
        ),
        sessions: trace.arm.sessions,
        instrument: instrument_label(inst),
        score_range: (inst.min, inst.max),
        cutoff: inst.cutoff,
        intake: trace.dyads.first().map_or(0.0, |d| d.course.intake_score),
        rc_threshold: inst.rc_threshold,
        dyads,
    }
}

/// Writes the chart as `trace.svg` and `trace.png` to `dir`.
pub(super) fn write_chart(dir: &Path, trace: &Trace) -> Result<()> {
    crate::plot::write_files(dir, "trace", &chart_data(trace))?;
    Ok(())
}
