//! The therapist's own judgement of progress: a view, formed session by session, of whether the
//! patient is improving, not changing or deteriorating, and the optimism it carries.
//!
//! Without outcome monitoring therapists see few of their deteriorating patients: asked to
//! predict which of 550 clients would be worse at the end, 48 therapists named 3, one of the 40
//! who were (Hannan, Lambert, Harmon et al. 2005, *J Clin Psychol* 61(2):155-163); the progress
//! notes of clients whose scores had reliably worsened recorded it for about a fifth of them
//! (Hatfield, McCullough, Frantz & Krieger 2010, *Clin Psychol Psychother* 17(1):25-32); and
//! therapists believe that most of their clients improve and very few deteriorate (Walfish,
//! McAlister, O'Donnell & Lambert 2012, *Psychol Rep* 110(2):639-644). Outcome monitoring works
//! by correcting this view: its alert reaches the therapist of a case that is not on track while
//! the therapist believes it improving (Lambert et al. 2018, F1-F3).
//!
//! What the therapist notices of the patient's change since intake, in instrument SDs, is the
//! latent change seen with noise (`noise`); the view takes `weight` of each session's impression
//! (an exponential average: a view, not a snapshot), and is read with the optimism the
//! literature reports (`optimism`, in SDs towards improvement): improving when the optimistic
//! view reaches `threshold`, deteriorating when it falls to `-threshold`, no change between.
//!
//! A therapist who judges a patient to be deteriorating responds with the share `response` of an
//! alert's response: attends to the alliance, watches for ruptures and works to keep the patient
//! (the response of the arm's `policies.routine_outcome_monitoring`, which the feedback studies
//! measured; model.md 7.15). The alert brings the full response, above all to the cases the
//! therapist's own view missed. `response` is small (.1): with more, the harm of more sessions
//! on a poor alliance in early psychosis (G1b) falls below its band, as if therapists who saw
//! such patients worsen put it right, which Goldsmith et al. 2015 found they did not.

use serde::Serialize;

use crate::config::reader::Table;
use crate::random::{Slot, WeekDraws};

/// Parameters of the therapist's judgement of progress (`[mechanisms.judgement]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judgement {
    pub enabled: bool,
    /// Share of the current session's impression in the view (1: no memory).
    pub weight: f64,
    /// SD of what the therapist notices of the change since intake, per session [instrument SDs].
    pub noise: f64,
    /// Shift of the view towards improvement [instrument SDs].
    pub optimism: f64,
    /// How far the (optimistic) view must be from no change to read as improving or
    /// deteriorating [instrument SDs].
    pub threshold: f64,
    /// Strength of the therapist's response to a patient they see deteriorating, as a share of
    /// the response to an outcome-monitoring alert.
    pub response: f64,
}

impl Judgement {
    pub fn read(t: &Table<'_>) -> Self {
        Judgement {
            enabled: t.bool("enabled", true,
                "Therapists form their own view of each patient's progress (improving, no change, deteriorating) from what they notice, with optimism, and respond to a patient they see deteriorating with a share of an alert's response (Hannan et al. 2005; Hatfield et al. 2010; Walfish et al. 2012). Outcome monitoring then corrects the view. Off: therapists form no view, and only an alert prompts the response."),
            weight: t.f64("weight", 0.5, 0.01, 1.0,
                "Share of the current session's impression in the therapist's view (an exponential average; 1: the view is the current impression)."),
            noise: t.f64("noise", 0.5, 0.0, 10.0,
                "SD of what the therapist notices of the patient's change since intake, per session [instrument SDs]."),
            optimism: t.f64("optimism", 0.75, -5.0, 5.0,
                "Shift of the therapist's view towards improvement [instrument SDs] (Walfish et al. 2012: therapists believe most clients improve and few deteriorate). Negative: pessimism."),
            threshold: t.f64("threshold", 0.5, 0.0, 10.0,
                "Distance of the optimistic view from no change at which the therapist sees the patient as improving (above) or deteriorating (below its negative) [instrument SDs]."),
            response: t.f64("response", 0.1, 0.0, 1.0,
                "Strength of the response of a therapist who sees a patient deteriorating by their own view, as a share of the response to an outcome-monitoring alert (the arm's `policies.routine_outcome_monitoring`: `alliance_focus`, `attunement_boost`, `dropout_reduction`). Below 1: without the alert's prompt to review the case, therapists mostly carry on (Lambert 2010)."),
        }
    }

    /// The strength of the response the therapist's own view brings (`view` this session):
    /// `response` when it sees the patient deteriorating, else 0.
    pub fn response_to(&self, view: Option<Verdict>) -> f64 {
        if view == Some(Verdict::Deteriorating) {
            self.response
        } else {
            0.0
        }
    }

    /// The view after this session's impression: `view` is the therapist's view so far (none
    /// before the first session with this therapist), `improvement` the latent change since
    /// intake [instrument SDs, positive = better]. None when switched off. Slot:
    /// `TherapistImpression`.
    pub fn update(
        &self,
        view: Option<ProgressView>,
        improvement: f64,
        d: &WeekDraws,
    ) -> Option<ProgressView> {
        if !self.enabled {
            return None;
        }
        let impression = improvement + self.noise * d.z(Slot::TherapistImpression);
        let before = view.map_or(0.0, |v| v.perceived);
        let perceived = before + self.weight * (impression - before);
        let seen = perceived + self.optimism;
        let verdict = if seen >= self.threshold {
            Verdict::Improving
        } else if seen <= -self.threshold {
            Verdict::Deteriorating
        } else {
            Verdict::NoChange
        };
        Some(ProgressView { perceived, verdict })
    }
}

/// The therapist's view of a patient's progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProgressView {
    /// Perceived change since intake, before optimism [instrument SDs, positive = better].
    pub perceived: f64,
    pub verdict: Verdict,
}

/// What the therapist believes about the patient's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improving,
    NoChange,
    Deteriorating,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improving => "improving",
            Verdict::NoChange => "no_change",
            Verdict::Deteriorating => "deteriorating",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgement(noise: f64, optimism: f64) -> Judgement {
        Judgement {
            enabled: true,
            weight: 0.5,
            noise,
            optimism,
            threshold: 0.5,
            response: 0.25,
        }
    }

    #[test]
    fn the_view_forms_over_sessions_and_optimism_hides_deterioration() {
        let d = WeekDraws::default();
        // A patient one SD worse than at intake, seen without noise.
        let fair = judgement(0.0, 0.0);
        let v1 = fair.update(None, -1.0, &d).unwrap();
        assert_eq!(v1.perceived, -0.5);
        assert_eq!(v1.verdict, Verdict::Deteriorating);
        let v2 = fair.update(Some(v1), -1.0, &d).unwrap();
        assert_eq!(v2.perceived, -0.75);
        // The optimistic therapist sees the same patient as not changing.
        let hopeful = judgement(0.0, 0.5);
        assert_eq!(
            hopeful.update(Some(v1), -1.0, &d).unwrap().verdict,
            Verdict::NoChange
        );
        // And a patient who has not changed as improving.
        assert_eq!(
            hopeful.update(None, 0.0, &d).unwrap().verdict,
            Verdict::Improving
        );
        let off = Judgement {
            enabled: false,
            ..fair
        };
        assert_eq!(off.update(Some(v1), -1.0, &d), None);
    }
}
