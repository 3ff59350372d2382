//! One simulated trial as a trial observes it: the engine's replicate with potential outcomes
//! (each patient's true effect), the scheduled assessments, and the scores dropouts miss.

use serde::Serialize;

use crate::error::Result;
use crate::model::attendance::Ending;
use crate::scenario::Scenario;
use crate::sim::engine::{self, CollectSink, PatientOutcome, RunOptions};

use super::settings::Schedule;

/// The trial as given (`effect`) or with the arms made equivalent (`null`: the treatment arm's
/// parameters and therapist pool copied into the control arm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Hypothesis {
    Effect,
    Null,
}

impl Hypothesis {
    pub fn as_str(self) -> &'static str {
        match self {
            Hypothesis::Effect => "effect",
            Hypothesis::Null => "null",
        }
    }
}

/// One scheduled assessment of a patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Occasion {
    /// `None`: intake or the end assessment; `Some(t)`: before session t.
    pub session: Option<u32>,
    /// `intake`, `session` or `end`.
    pub kind: &'static str,
    /// Week after intake.
    pub week: u32,
    /// The measured score; `None` when the assessment was missed.
    pub score: Option<f64>,
}

/// One randomised patient as a trial observes them.
#[derive(Clone, Debug)]
pub struct PatientData {
    /// Patient index in the replicate.
    pub patient: u64,
    /// 1 in the treatment (second) arm.
    pub treat: bool,
    /// Index into [`TrialData::therapist_ids`] of the first therapist (`None`: waitlist).
    pub therapist: Option<usize>,
    pub intake: f64,
    pub ending: Ending,
    /// Scheduled assessments in time order: intake, sessions, end.
    pub occasions: Vec<Occasion>,
}

impl PatientData {
    pub fn dropped_out(&self) -> bool {
        self.ending == Ending::DroppedOut
    }

    /// The observed end score.
    pub fn end(&self) -> Option<f64> {
        self.occasions.last().and_then(|o| o.score)
    }

    /// The last observed score (carried forward).
    pub(super) fn last_observed(&self) -> f64 {
        self.occasions
            .iter()
            .rev()
            .find_map(|o| o.score)
            .unwrap_or(self.intake)
    }
}

/// One simulated trial.
#[derive(Clone, Debug)]
pub struct TrialData {
    pub n_per_arm: u64,
    pub hypothesis: Hypothesis,
    pub replicate: u64,
    /// Control and treatment arm names.
    pub arms: [String; 2],
    /// Therapist identifiers of the replicate (both arms).
    pub therapist_ids: Vec<String>,
    pub patients: Vec<PatientData>,
    /// Mean over the randomised patients of post_score under treatment minus under control.
    pub true_effect: f64,
    /// The week of the end assessment (the later of the two arms'): T of the growth contrast.
    pub end_week: u32,
    /// The values drawn for the `--assume` keys, in their order (empty without).
    pub assumed: Vec<f64>,
}

/// Simulates replicate `replicate` of the trial whose scenario is `sc` (`n` patients per arm)
/// and observes it on `schedule`: dropouts miss every assessment after they leave.
///
/// # Errors
/// As [`engine::run`].
pub(super) fn simulate_trial(
    sc: &Scenario,
    schedule: &Schedule,
    n: u64,
    hypothesis: Hypothesis,
    replicate: u64,
) -> Result<TrialData> {
    let opts = RunOptions {
        counterfactual: true,
        record_sessions: *schedule != Schedule::PrePost,
        ..RunOptions::default()
    };
    let mut sink = CollectSink::default();
    engine::run(sc, &opts, replicate..replicate + 1, &mut sink)?;
    let engine::CollectedReplicate {
        therapists: pools,
        outcomes,
        ..
    } = sink.replicates.pop().expect("one replicate was run");
    let mut offsets = Vec::with_capacity(pools.len());
    let mut therapist_ids = Vec::new();
    for pool in &pools {
        offsets.push(therapist_ids.len());
        therapist_ids.extend(pool.iter().map(|t| t.id.clone()));
    }
    let end_week = sc.end_week(&sc.arms[0]).max(sc.end_week(&sc.arms[1]));
    let mut effect_sum = 0.0;
    let patients = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            effect_sum += o.potential[1].post_score - o.potential[0].post_score;
            observe(sc, schedule, &offsets, i as u64, o)
        })
        .collect::<Vec<_>>();
    Ok(TrialData {
        n_per_arm: n,
        hypothesis,
        replicate,
        arms: [sc.arms[0].name.clone(), sc.arms[1].name.clone()],
        therapist_ids,
        true_effect: effect_sum / patients.len().max(1) as f64,
        patients,
        end_week,
        assumed: Vec::new(),
    })
}

/// Patient `patient` as the trial observes them: intake, the scheduled sessions' pre-session
/// scores, and the end assessment unless they dropped out. `offsets` are the first indices of
/// each pool's therapists in the replicate's list.
fn observe(
    sc: &Scenario,
    schedule: &Schedule,
    offsets: &[usize],
    patient: u64,
    o: &PatientOutcome,
) -> PatientData {
    let arm = &sc.arms[o.arm];
    let c = &o.course;
    let dropped = c.ending == Ending::DroppedOut;
    let mut occasions = vec![Occasion {
        session: None,
        kind: "intake",
        week: 0,
        score: Some(c.intake_score),
    }];
    for t in (1..=arm.sessions).filter(|&t| schedule.has_session(t)) {
        occasions.push(Occasion {
            session: Some(t),
            kind: "session",
            week: sc.design.session_week(t),
            score: c
                .sessions
                .iter()
                .find(|r| r.session == t)
                .map(|r| r.symptom_score),
        });
    }
    occasions.push(Occasion {
        session: None,
        kind: "end",
        week: sc.end_week(arm),
        score: (!dropped).then_some(c.post_score),
    });
    PatientData {
        patient,
        treat: o.arm == 1,
        therapist: match (arm.pool, o.therapist) {
            (Some(p), Some(t)) => Some(offsets[p] + t as usize),
            _ => None,
        },
        intake: c.intake_score,
        ending: c.ending,
        occasions,
    }
}
