//! Each policy slot changes the dynamics the way it should. Arms that differ only in a policy
//! are compared on the same patients with common random numbers (`counterfactual`), so paired
//! differences are precise; tolerances are multiples of their standard errors.

mod common;

use bordin::model::attendance::Ending;
use common::{mean_se, outcomes, scenario_from};

const TWO_ARMS: &str = r#"
[run]
patients = 2000
[[therapist_pools]]
name = "clinic"
therapists = 1
[[arms]]
name = "usual"
[[arms]]
name = "policy"
"#;

/// Paired difference policy - usual of a potential-outcome statistic.
fn paired(
    sc: &bordin::Scenario,
    f: fn(&bordin::sim::engine::PotentialOutcome) -> f64,
) -> (f64, f64) {
    let d: Vec<f64> = outcomes(sc, false, true)
        .iter()
        .map(|o| f(&o.potential[1]) - f(&o.potential[0]))
        .collect();
    mean_se(&d)
}

/// With one therapist and identical arms, common random numbers make the potential outcomes of
/// the two arms identical: the arm is the only thing that differs, and here nothing does.
#[test]
fn identical_arms_give_identical_potential_outcomes() {
    let sc = scenario_from(TWO_ARMS, &["run.patients=300"]);
    for o in outcomes(&sc, false, true) {
        assert_eq!(o.potential[0], o.potential[1]);
        let own = &o.potential[o.arm];
        assert_eq!(own.final_score, o.course.final_score);
        assert_eq!(own.end_latent, o.course.end_latent);
    }
}

#[test]
fn rupture_resolution_training_raises_repairs() {
    let sc = scenario_from(
        TWO_ARMS,
        &["arms[1].policies.rupture_resolution_training.enabled=true"],
    );
    let o = outcomes(&sc, false, false);
    let rate = |arm: usize| {
        let xs: Vec<f64> = o
            .iter()
            .filter(|x| x.arm == arm && x.course.ruptures > 0)
            .map(|x| f64::from(x.course.repairs) / f64::from(x.course.ruptures))
            .collect();
        mean_se(&xs)
    };
    let ((usual, s0), (trained, s1)) = (rate(0), rate(1));
    assert!(
        trained - usual > 5.0 * (s0 * s0 + s1 * s1).sqrt(),
        "repair rate {usual:.3} -> {trained:.3}"
    );
    // Outcome improves a little (R2: small effect), on the same patients.
    let (d, se) = paired(&sc, |p| p.end_latent);
    assert!(
        d < -3.0 * se,
        "training effect on end severity {d:.3} (se {se:.3})"
    );
}

#[test]
fn alliance_feedback_brings_missed_ruptures_to_attention() {
    let sc = scenario_from(
        TWO_ARMS,
        &["arms[1].policies.alliance_feedback.enabled=true"],
    );
    let mut via = [0u32; 2];
    for o in outcomes(&sc, true, false) {
        via[o.arm] += o
            .course
            .sessions
            .iter()
            .filter(|s| s.rupture.is_some_and(|e| e.via_feedback))
            .count() as u32;
    }
    assert_eq!(via[0], 0);
    assert!(
        via[1] > 100,
        "ruptures noticed through feedback: {}",
        via[1]
    );
    let (d, se) = paired(&sc, |p| p.end_latent);
    assert!(
        d < -3.0 * se,
        "feedback effect on end severity {d:.3} (se {se:.3})"
    );
}

#[test]
fn outcome_monitoring_with_support_tools_helps() {
    let sc = scenario_from(
        TWO_ARMS,
        &[
            "arms[1].policies.routine_outcome_monitoring.enabled=true",
            "arms[1].policies.routine_outcome_monitoring.clinical_support_tools=true",
        ],
    );
    let (d, se) = paired(&sc, |p| p.end_latent);
    assert!(
        d < -4.0 * se,
        "ROM + CST effect on end severity {d:.3} (se {se:.3})"
    );
    let (dd, dse) = paired(&sc, |p| f64::from(u8::from(p.ending == Ending::DroppedOut)));
    assert!(
        dd < -2.0 * dse,
        "ROM + CST effect on dropout {dd:.4} (se {dse:.4})"
    );
}

/// Clinical support tools that also revise a not-on-track case's plan (`support_responsiveness`)
/// help more than tools restricted to the alliance, repair and dropout (F2); the revision acts
/// only on cases once flagged, so patients never flagged are untouched.
#[test]
fn support_tools_plan_revision_helps_not_on_track_cases() {
    let sc = scenario_from(
        TWO_ARMS,
        &[
            "arms[0].policies.routine_outcome_monitoring.enabled=true",
            "arms[0].policies.routine_outcome_monitoring.clinical_support_tools=true",
            "arms[0].policies.routine_outcome_monitoring.support_responsiveness=0",
            "arms[1].policies.routine_outcome_monitoring.enabled=true",
            "arms[1].policies.routine_outcome_monitoring.clinical_support_tools=true",
            "arms[1].policies.routine_outcome_monitoring.support_responsiveness=0.5",
        ],
    );
    let (d, se) = paired(&sc, |p| p.end_latent);
    assert!(
        d < -4.0 * se,
        "plan revision effect on end severity {d:.3} (se {se:.3})"
    );
    // Patients whose two courses are identical are those never flagged (or flagged only after
    // their last session): a large share improve early and are never off track.
    let same = outcomes(&sc, false, true)
        .iter()
        .filter(|o| o.potential[0] == o.potential[1])
        .count();
    assert!(same > 200, "only {same} of 2000 courses untouched");
}

#[test]
fn poor_alliance_rule_stops_or_rematches() {
    let stop = scenario_from(
        TWO_ARMS,
        &[
            "therapist_pools[0].therapists=20",
            "arms[1].policies.poor_alliance_rule.enabled=true",
            "arms[1].policies.poor_alliance_rule.threshold=3.6",
        ],
    );
    let o = outcomes(&stop, true, false);
    let stopped: Vec<_> = o
        .iter()
        .filter(|x| x.course.ending == Ending::Stopped)
        .collect();
    assert!(
        !stopped.is_empty()
            && stopped
                .iter()
                .all(|x| x.arm == 1 && x.course.sessions_attended == 3)
    );
    assert!(
        stopped
            .iter()
            .all(|x| f64::from(x.course.sessions[2].wai_patient) / 12.0 < 3.6)
    );

    let rematch = scenario_from(
        TWO_ARMS,
        &[
            "therapist_pools[0].therapists=20",
            "arms[1].policies.poor_alliance_rule.enabled=true",
            "arms[1].policies.poor_alliance_rule.threshold=3.6",
            "arms[1].policies.poor_alliance_rule.action=\"rematch\"",
        ],
    );
    let o = outcomes(&rematch, true, false);
    let moved: Vec<_> = o
        .iter()
        .filter(|x| x.course.first_therapist != x.course.last_therapist)
        .collect();
    assert!(!moved.is_empty());
    assert!(
        moved
            .iter()
            .all(|x| x.arm == 1 && x.course.sessions[2].status.as_str() == "rematched")
    );
    assert!(o.iter().all(|x| x.course.ending != Ending::Stopped));
}
