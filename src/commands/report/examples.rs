//! The report's three example patients: re-simulated session by session with the run's scenario
//! and seed, and told by the trace module (`bordin trace`).

use std::fmt::Write as _;

use super::EXAMPLE_POOL;
use crate::commands::trace;
use crate::error::Result;
use crate::model::attendance::Ending;
use crate::model::instrument::ChangeClass;
use crate::model::treatment::ArmKind;
use crate::plot;
use crate::scenario::Scenario;
use crate::sim::engine::{self, PatientOutcome, RunOptions};

/// An example patient, re-simulated.
pub(super) struct Example {
    /// Why it was chosen.
    pub(super) why: String,
    pub(super) trace: trace::Trace,
    /// The therapist's id (and the last one's after a re-match).
    pub(super) therapist: String,
}

/// Re-simulates the first [`EXAMPLE_POOL`] patients of replicate 0 (placement and random draws
/// are those of the run: allocation and assignment run in patient order, so the first patients
/// of a smaller run are the same patients) and picks three of the therapy arms: one who
/// recovered, one who dropped out, and the one with most ruptures; others fill in. `source`
/// names the scenario file.
///
/// # Errors
/// A failure of the re-simulation.
pub(super) fn examples(sc: &Scenario, source: &str) -> Result<Vec<Example>> {
    let mut small = sc.clone();
    small.run.patients = sc.run.patients.min(EXAMPLE_POOL);
    small.run.replicates = 1;
    let opts = RunOptions {
        counterfactual: false,
        record_sessions: true,
        ..RunOptions::default()
    };
    let collected = engine::collect(&small, &opts)?;
    let Some(engine::CollectedReplicate {
        therapists,
        outcomes,
        ..
    }) = collected.replicates.first()
    else {
        return Ok(Vec::new());
    };
    let therapy: Vec<&PatientOutcome> = outcomes
        .iter()
        .filter(|o| sc.arms[o.arm].kind == ArmKind::Therapy && o.course.first_therapist.is_some())
        .collect();
    let mut picks = pick(sc, &therapy);
    picks.sort_by_key(|(i, _)| therapy[*i].patient.index);
    Ok(picks
        .into_iter()
        .map(|(i, why)| {
            let o = therapy[i];
            let arm = sc.arms[o.arm].clone();
            let pool = &therapists[arm.pool.unwrap_or(0)];
            let first = &pool[o.course.first_therapist.unwrap_or(0) as usize];
            let mut therapist = first.id.clone();
            if let Some(last) = o.course.last_therapist
                && last != first.index
            {
                let _ = write!(therapist, " (re-matched to {})", pool[last as usize].id);
            }
            let trace = trace::Trace {
                scenario: sc.clone(),
                scenario_source: source.to_string(),
                arm,
                patient_label: o.patient.index.to_string(),
                patient: o.patient.clone(),
                dyads: vec![trace::Dyad {
                    name: "A".into(),
                    therapist_label: first.id.clone(),
                    therapist: first.traits.clone(),
                    course: o.course.clone(),
                }],
            };
            Example {
                why,
                trace,
                therapist,
            }
        })
        .collect())
}

/// Up to three of `therapy` (indices, with why): the first who recovered, the first who
/// dropped out, the one with most ruptures of at least minor severity (most repairs, then the
/// first, among ties), then the first others.
fn pick(sc: &Scenario, therapy: &[&PatientOutcome]) -> Vec<(usize, String)> {
    let inst = &sc.instrument;
    let big_ruptures = |o: &PatientOutcome| {
        o.course
            .sessions
            .iter()
            .filter(|r| {
                r.rupture
                    .is_some_and(|e| e.severity >= trace::MINOR_RUPTURE)
            })
            .count()
    };
    let mut picks: Vec<(usize, String)> = Vec::new();
    let taken = |picks: &Vec<(usize, String)>, i: usize| picks.iter().any(|(j, _)| *j == i);
    if let Some(i) = therapy.iter().position(|o| {
        o.course.ending != Ending::DroppedOut
            && inst.classify(o.course.intake_score, o.course.final_score) == ChangeClass::Recovered
    }) {
        picks.push((i, "recovered".into()));
    }
    if let Some(i) = therapy
        .iter()
        .position(|o| o.course.ending == Ending::DroppedOut)
    {
        picks.push((i, "dropped out".into()));
    }
    let most = therapy
        .iter()
        .enumerate()
        .filter(|(i, o)| !taken(&picks, *i) && big_ruptures(o) > 0)
        .max_by(|(i, a), (j, b)| {
            (big_ruptures(a), a.course.repairs)
                .cmp(&(big_ruptures(b), b.course.repairs))
                .then(j.cmp(i))
        });
    if let Some((i, o)) = most {
        picks.push((
            i,
            format!(
                "most ruptures: {} of severity {} or more",
                big_ruptures(o),
                trace::MINOR_RUPTURE
            ),
        ));
    }
    for i in 0..therapy.len() {
        if picks.len() >= 3 {
            break;
        }
        if !taken(&picks, i) {
            picks.push((i, "one of the first patients".into()));
        }
    }
    picks
}

/// An example's trace chart (alliance and symptoms by session) as SVG, titled for the report.
///
/// # Errors
/// A rendering failure, as text.
pub(super) fn chart_svg(e: &Example) -> std::result::Result<String, String> {
    let mut chart = trace::chart_data(&e.trace);
    let idx = e.trace.patient.index;
    chart.title = format!(
        "Patient {idx} of replicate 0: {} with therapist {}",
        e.trace.arm.name, e.therapist
    );
    if let Some(d) = chart.dyads.first_mut() {
        d.title = format!("Patient {idx}");
    }
    plot::svg(&chart)
}
