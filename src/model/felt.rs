//! Felt improvement: the patient's own, sustained sense of being well enough, on which a
//! good-enough ending rests.
//!
//! Under the good-enough level (Barkham, Connell, Stiles et al. 2006, "Dose-effect relations
//! and responsive regulation of treatment duration: the good enough level", *J Consult Clin
//! Psychol* 74(1):160-167; Stiles, Barkham, Connell & Mellor-Clark 2008, "Responsive regulation
//! of treatment duration in routine practice in United Kingdom primary care settings:
//! replication in a larger sample", *J Consult Clin Psychol* 76(2):298-305) patient and
//! therapist end when the patient has improved enough, as they judge it: from how the patient
//! has been over the past weeks, not from one questionnaire score. The patient's felt severity
//! is a smoothed trace of the latent severity (an exponential average, `weight` the share of the
//! current week); the patient feels well enough when that felt severity is below the
//! instrument's cut-off and reliably improved on the intake severity, and a good-enough ending
//! becomes possible once that has held for `sustained_sessions` consecutive sessions.
//!
//! By default the patient feels the latent severity itself (`weight` 1, one session): the
//! patient's state, not a score. Smoothing over weeks or asking for several well sessions in a
//! row delays endings; with `weight` .5 and two sessions, IAPT reliable recovery (O3a) rose
//! above its band (.47 against .463), so the default is the latent state.
//!
//! Because the felt state follows the latent severity, not a measured score, a good-enough
//! ender is not selected on a score that was low by measurement error: on average they hold,
//! at the end assessment, the score they had at the ending, up to the natural course. Switched
//! off, the criterion reads the one measured score before the session (the model's earlier
//! rule), and early good-enough enders regress to the mean at the end assessment.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::instrument::Instrument;

/// Parameters of the patient's felt improvement (`[mechanisms.felt_improvement]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeltImprovement {
    pub enabled: bool,
    /// Share of the current week's latent severity in the felt severity (1: no smoothing).
    pub weight: f64,
    /// Consecutive sessions the patient must have felt well enough before a good-enough ending.
    pub sustained_sessions: u32,
}

impl FeltImprovement {
    pub fn read(t: &Table<'_>) -> Self {
        FeltImprovement {
            enabled: t.bool("enabled", true,
                "Good-enough endings follow the patient's sense of being well enough: a felt severity that follows the latent severity, smoothed over past sessions when `weight` is below 1 (Barkham et al. 2006; Stiles et al. 2008). Off: the criterion reads the one measured score before the session, and good-enough enders selected on a score low by measurement error regress at the end assessment."),
            weight: t.f64("weight", 1.0, 0.01, 1.0,
                "Share of the latent severity before the session in the updated felt severity (an exponential average; 1: the patient feels only the current week)."),
            sustained_sessions: t.int("sustained_sessions", 1, 1, 200,
                "Consecutive sessions at which the felt severity must be below the cut-off and reliably improved on intake before a good-enough ending can happen.") as u32,
        }
    }
}

/// The patient's felt state during a course.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Felt {
    /// Felt severity, in instrument points (starts at the intake severity).
    pub severity: f64,
    /// Consecutive sessions, up to this one, at which the patient felt well enough.
    pub well_sessions: u32,
}

impl Felt {
    /// At intake the patient feels their intake severity.
    pub fn at_intake(intake_latent: f64) -> Felt {
        Felt {
            severity: intake_latent,
            well_sessions: 0,
        }
    }

    /// Before a session: the felt severity takes `weight` of the latent severity `latent`;
    /// the patient feels well enough when it is no longer a case and reliably improved on the
    /// intake severity `intake_latent`.
    pub fn update(
        &mut self,
        p: &FeltImprovement,
        inst: &Instrument,
        intake_latent: f64,
        latent: f64,
    ) {
        self.severity += p.weight * (latent - self.severity);
        let well =
            !inst.is_case(self.severity) && intake_latent - self.severity >= inst.rc_threshold;
        self.well_sessions = if well { self.well_sessions + 1 } else { 0 };
    }

    /// Whether the patient has felt well enough for long enough to end.
    pub fn well_enough(&self, p: &FeltImprovement) -> bool {
        self.well_sessions >= p.sustained_sessions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(weight: f64, sustained: u32) -> FeltImprovement {
        FeltImprovement {
            enabled: true,
            weight,
            sustained_sessions: sustained,
        }
    }

    #[test]
    fn one_good_week_is_not_enough() {
        let inst = Instrument::phq9_for_tests();
        let p = params(0.5, 2);
        let mut f = Felt::at_intake(16.0);
        // A single low week moves the felt severity half way only.
        f.update(&p, &inst, 16.0, 4.0);
        assert_eq!(f.severity, 10.0);
        assert!(!f.well_enough(&p));
        // Sustained improvement: felt severity 7 then 5.5, both well, two in a row.
        f.update(&p, &inst, 16.0, 4.0);
        assert!(f.severity < 10.0 && !f.well_enough(&p));
        f.update(&p, &inst, 16.0, 4.0);
        assert!(f.well_enough(&p), "{f:?}");
        // A bad week breaks the run.
        f.update(&p, &inst, 16.0, 20.0);
        assert_eq!(f.well_sessions, 0);
    }
}
