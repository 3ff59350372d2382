//! Duration expectation: patients leave once they have had the number of sessions they expected.
//!
//! Patients come to therapy expecting it to be brief: most expect ten sessions or fewer, fewer
//! than therapists plan, and the number a patient expects at intake predicts the number attended
//! (Garfield 1994, in Bergin & Garfield's Handbook, 4th ed.; Pekarik & Wierzbicki 1986,
//! Psychotherapy 23(4); Mueller & Pekarik 2000, Psychotherapy 37(2)). Many unilateral endings in
//! routine care are patients who stop when the course they expected is over. Telling patients at
//! the start how long therapy takes (role induction on duration) reduces dropout (Swift &
//! Callahan 2011, Psychotherapy Research 21(2); Swift, Greenberg, Whipple & Kominiak 2012).
//!
//! The mechanism reads the patient trait `expected_sessions` and the service's
//! `design.duration_agreed` (how far the planned course is agreed with the patient at the
//! start, as trials and stepped-care services do): the patient's working expectation moves that
//! share of the way from their own expectation to the planned sessions. Once the sessions
//! attended reach it, the dropout logit rises by `weight`. A brief routine service and a trial
//! then differ in who is referred and whether the length is agreed, not in a dropout constant.

use serde::Serialize;

use crate::config::reader::Table;

/// `[mechanisms.duration_expectation]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DurationExpectation {
    pub enabled: bool,
    pub weight: f64,
}

impl DurationExpectation {
    pub fn read(t: &Table<'_>) -> Self {
        DurationExpectation {
            enabled: t.bool("enabled", true, "Patients are more likely to stop once they have had the sessions they expected (`expected_sessions`, moved towards the planned course by `design.duration_agreed`: Pekarik & Wierzbicki 1986; Swift & Callahan 2011). Off: the expected duration changes nothing."),
            weight: t.f64("weight", 6.0, 0.0, 20.0, "Logit added to the dropout hazard once the sessions attended reach the patient's working expectation (ramping in over the session before)."),
        }
    }

    /// The patient's working expectation: their own `expected` number of sessions moved the
    /// share `agreed` of the way to the `planned` sessions.
    pub fn working_expectation(expected: f64, agreed: f64, planned: u32) -> f64 {
        expected + agreed * (f64::from(planned) - expected)
    }

    /// Logit added to the dropout hazard after session `session` for a patient whose working
    /// expectation is `expectation` sessions: 0 before session `expectation - 1`, `weight` from
    /// session `expectation` on, linear in between.
    pub fn dropout_logit(&self, session: u32, expectation: f64) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        self.weight * (f64::from(session) - expectation + 1.0).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> DurationExpectation {
        DurationExpectation {
            enabled: true,
            weight: 3.0,
        }
    }

    #[test]
    fn reaching_the_expectation_raises_dropout() {
        let m = on();
        assert_eq!(m.dropout_logit(2, 5.0), 0.0);
        assert_eq!(m.dropout_logit(4, 5.0), 0.0);
        assert!((m.dropout_logit(5, 5.5) - 1.5).abs() < 1e-12);
        assert_eq!(m.dropout_logit(5, 5.0), 3.0);
        assert_eq!(m.dropout_logit(9, 5.0), 3.0);
        let off = DurationExpectation {
            enabled: false,
            ..on()
        };
        assert_eq!(off.dropout_logit(9, 5.0), 0.0);
    }

    #[test]
    fn an_agreed_course_replaces_the_patients_expectation() {
        assert_eq!(DurationExpectation::working_expectation(4.0, 0.0, 12), 4.0);
        assert_eq!(DurationExpectation::working_expectation(4.0, 1.0, 12), 12.0);
        assert_eq!(DurationExpectation::working_expectation(4.0, 0.5, 12), 8.0);
    }
}
