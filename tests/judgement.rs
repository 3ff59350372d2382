//! The therapist's own judgement of progress (`mechanisms.judgement`; issue "Model", section 3):
//! without outcome monitoring therapists miss most of their deteriorating patients (Hatfield et
//! al. 2010; Hannan et al. 2005), they are optimistic (Walfish et al. 2012), and monitoring works
//! by correcting their view (Lambert et al. 2018). Statistical checks use fixed seeds and
//! tolerances of at least 3 Monte Carlo standard errors.

mod common;

use bordin::model::instrument::ChangeClass;
use bordin::model::judgement::Verdict;
use bordin::sim::engine::PatientOutcome;
use common::{mean_se, outcomes, scenario};

const PATIENTS: &str = "run.patients=6000";

fn run(overrides: &[&str]) -> (Vec<PatientOutcome>, bordin::scenario::Scenario) {
    let mut o = vec![PATIENTS, "run.replicates=1"];
    o.extend_from_slice(overrides);
    let sc = scenario(&o);
    (outcomes(&sc, true, false), sc)
}

fn flag(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Indices of the treated patients whose change, final vs intake, is a reliable deterioration.
fn deteriorated(os: &[PatientOutcome], sc: &bordin::scenario::Scenario) -> Vec<usize> {
    (0..os.len())
        .filter(|&i| {
            let c = &os[i].course;
            c.sessions_attended > 0
                && sc.instrument.classify(c.intake_score, c.final_score)
                    == ChangeClass::Deteriorated
        })
        .collect()
}

/// Among the reliably deteriorated patients, the share whose therapist's view at the last
/// session was "deteriorating" (J1), and its SE.
fn seen_deteriorating(os: &[PatientOutcome], sc: &bordin::scenario::Scenario) -> (f64, f64) {
    let seen: Vec<f64> = deteriorated(os, sc)
        .iter()
        .map(|&i| flag(os[i].course.last_view == Some(Verdict::Deteriorating)))
        .collect();
    mean_se(&seen)
}

/// Without monitoring, the therapist's view at the last session sees at most a minority of the
/// reliably deteriorated patients; with monitoring, most of them are flagged, and most alerts
/// reach a therapist whose own view had missed the case (J1, J3).
#[test]
fn without_monitoring_therapists_miss_most_deteriorating_patients() {
    let (os, sc) = run(&[]);
    assert!(
        deteriorated(&os, &sc).len() > 100,
        "too few deteriorated patients"
    );
    let (r, se) = seen_deteriorating(&os, &sc);
    assert!(
        r + 3.0 * se < 0.5,
        "share of deteriorated patients the therapist saw deteriorating {r:.3} (se {se:.3})"
    );
    assert!(
        r > 3.0 * se,
        "the therapist never sees deterioration ({r:.3})"
    );

    let rom = "arms[0].policies.routine_outcome_monitoring.enabled=true";
    let (fed, sc) = run(&[rom]);
    let worse = deteriorated(&fed, &sc);
    let flagged: Vec<f64> = worse.iter().map(|&i| flag(fed[i].course.alerted)).collect();
    let (f, fse) = mean_se(&flagged);
    assert!(
        f - 3.0 * fse > r + 3.0 * se,
        "monitoring flags {f:.3} of deteriorated patients, the therapist's own view {r:.3}"
    );
    let correcting: Vec<f64> = fed
        .iter()
        .filter(|o| o.course.alerted)
        .map(|o| flag(o.course.alerts_correcting > 0))
        .collect();
    let (c, cse) = mean_se(&correcting);
    assert!(
        c - 3.0 * cse > 0.5,
        "share of alerted patients with an alert that corrected the therapist's view {c:.3}"
    );
}

/// The view follows what the therapist notices of the patient's change, read with optimism:
/// sessions judged improving come from patients who improved more than those judged
/// deteriorating; more patients are judged improving at the end than reliably improve (J2);
/// and optimism is what hides deterioration: a pessimistic therapist sees most of it. Off, no
/// view is formed.
#[test]
fn the_therapists_view_follows_the_patient_with_optimism() {
    let (os, sc) = run(&[]);
    let (mut up, mut down) = (vec![], vec![]);
    let mut sessions = 0usize;
    for o in &os {
        for s in o.course.sessions.iter().filter(|s| s.attended) {
            sessions += 1;
            let gain = o.course.intake_latent - s.symptom_latent;
            match s.therapist_view {
                Some(Verdict::Improving) => up.push(gain),
                Some(Verdict::Deteriorating) => down.push(gain),
                Some(Verdict::NoChange) => {}
                None => panic!("a session without the therapist's view"),
            }
        }
    }
    assert!(sessions > 10_000);
    let (u, use_) = mean_se(&up);
    let (d, dse) = mean_se(&down);
    assert!(
        u - d > 3.0 * (use_.powi(2) + dse.powi(2)).sqrt(),
        "latent improvement where judged improving {u:.2}, deteriorating {d:.2}"
    );
    let treated: Vec<&PatientOutcome> = os
        .iter()
        .filter(|o| o.course.sessions_attended > 0)
        .collect();
    let excess: Vec<f64> = treated
        .iter()
        .map(|o| {
            let c = &o.course;
            let improved = sc
                .instrument
                .classify(c.intake_score, c.final_score)
                .reliably_improved();
            flag(c.last_view == Some(Verdict::Improving)) - flag(improved)
        })
        .collect();
    let (e, ese) = mean_se(&excess);
    assert!(
        e - 3.0 * ese > 0.1,
        "judged improving minus reliably improved {e:.3}"
    );

    let (dark, sc) = run(&["mechanisms.judgement.optimism=-0.75"]);
    let (p, pse) = seen_deteriorating(&dark, &sc);
    assert!(
        p - 3.0 * pse > 0.5,
        "a pessimistic therapist sees {p:.3} of the deteriorated patients"
    );

    let (off, _) = run(&["mechanisms.judgement.enabled=false"]);
    assert!(off.iter().all(|o| o.course.last_view.is_none()
        && o.course.sessions.iter().all(|s| s.therapist_view.is_none())));
}

/// A therapist who sees a patient deteriorating responds (`judgement.response`, a share of the
/// alert's response): among the patients whose therapist saw them deteriorating, a full
/// response leaves them less severe at the end than none, on the same patients and draws.
#[test]
fn a_therapist_who_sees_deterioration_responds() {
    let (none, _) = run(&["mechanisms.judgement.response=0"]);
    let (full, _) = run(&["mechanisms.judgement.response=1"]);
    let diff: Vec<f64> = none
        .iter()
        .zip(&full)
        .filter(|(a, _)| a.course.judged_deteriorating)
        .map(|(a, b)| b.course.end_latent - a.course.end_latent)
        .collect();
    assert!(
        diff.len() > 100,
        "{} patients seen deteriorating",
        diff.len()
    );
    let (m, se) = mean_se(&diff);
    assert!(
        m < -3.0 * se,
        "end severity with a full response minus none {m:.3} (se {se:.3})"
    );
}
