//! What a study measures of a course, as several families of statistics read it: improvement,
//! the series of scores, observer-coded ruptures, and Kaplan-Meier curves over sessions.

use crate::model::attendance::Ending;
use crate::model::rupture::RuptureEvent;
use crate::sim::course::Course;
use crate::sim::engine::PatientOutcome;

/// Intake score - final score (positive = better).
pub(super) fn improvement(c: &Course) -> f64 {
    c.intake_score - c.final_score
}

/// The post scores of some patients.
pub(super) fn post(os: &[&PatientOutcome]) -> Vec<f64> {
    os.iter().map(|o| o.course.post_score).collect()
}

/// Measured scores after 0, 1, 2, ... sessions: intake, then the pre-session score of each
/// later session, then the end-of-treatment assessment (not for dropouts, who have none).
pub(super) fn score_series(c: &Course) -> Vec<f64> {
    let mut s = vec![c.intake_score];
    s.extend(
        c.sessions
            .iter()
            .filter(|r| r.attended)
            .skip(1)
            .map(|r| r.symptom_score),
    );
    if c.ending != Ending::DroppedOut && c.sessions_attended > 0 {
        s.push(c.final_score);
    }
    s
}

/// The ruptures of a course that an observer coded (studies see these, not latent ruptures).
pub(super) fn observer_coded(c: &Course) -> Vec<RuptureEvent> {
    c.sessions
        .iter()
        .filter_map(|s| s.rupture)
        .filter(|e| e.reported_by_observer)
        .collect()
}

/// Kaplan-Meier share of patients with the event by `n` sessions. `event(intake, score)` is
/// tested on each score after 1, 2, ... sessions; patients are censored after their last
/// observed score.
pub(super) fn km_by(outs: &[&PatientOutcome], n: usize, event: impl Fn(f64, f64) -> bool) -> f64 {
    let mut times: Vec<(usize, bool)> = outs
        .iter()
        .filter_map(|o| {
            let s = score_series(&o.course);
            let last = s.len() - 1;
            if last == 0 {
                return None;
            }
            let hit = (1..=last).find(|&k| event(s[0], s[k]));
            Some(hit.map_or((last, false), |k| (k, true)))
        })
        .collect();
    times.sort_unstable();
    let mut surv = 1.0;
    let mut at_risk = times.len();
    let mut i = 0;
    while i < times.len() && times[i].0 <= n {
        let t = times[i].0;
        let (mut d, mut c) = (0, 0);
        while i < times.len() && times[i].0 == t {
            if times[i].1 {
                d += 1
            } else {
                c += 1
            }
            i += 1;
        }
        if at_risk > 0 {
            surv *= 1.0 - d as f64 / at_risk as f64;
        }
        at_risk -= d + c;
    }
    1.0 - surv
}

/// Sessions until the Kaplan-Meier curve of an event first reaches one half (`NaN` if never).
pub(super) fn km_median(
    outs: &[&PatientOutcome],
    max: usize,
    event: impl Fn(f64, f64) -> bool + Copy,
) -> f64 {
    (1..=max)
        .find(|&n| km_by(outs, n, event) >= 0.5)
        .map_or(f64::NAN, |n| n as f64)
}
