//! Attendance and endings: dropout hazard (highest early; weak alliance, unrepaired ruptures,
//! low motivation: Swift & Greenberg 2012, P1, P5; Sharf et al. 2010, P4), planned endings and
//! good-enough endings.

use serde::Serialize;

use crate::config::reader::Table;
use crate::math::logistic;
use crate::model::engagement::REFERENCE_MOTIVATION;
use crate::model::felt::{Felt, FeltImprovement};
use crate::model::instrument::Instrument;
use crate::model::treatment::{Design, EndingRule};
use crate::random::{Slot, WeekDraws};

/// How a course of treatment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// All planned sessions attended.
    Completed,
    /// Ended by agreement once recovered (good-enough level).
    GoodEnough,
    /// Unilateral ending before the planned or good-enough end (P1 definition).
    DroppedOut,
    /// Ended by the poor-alliance policy.
    Stopped,
    /// A waitlist or no-treatment arm: no sessions.
    Waitlist,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Completed => "completed",
            Ending::GoodEnough => "good_enough",
            Ending::DroppedOut => "dropped_out",
            Ending::Stopped => "stopped",
            Ending::Waitlist => "waitlist",
        }
    }
}

/// Parameters of the dropout hazard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DropoutParams {
    pub enabled: bool,
    pub base: f64,
    pub early: f64,
    pub early_decay: f64,
    pub alliance_weight: f64,
    pub strain_weight: f64,
    pub unrepaired_weight: f64,
    pub motivation_weight: f64,
    pub improvement_weight: f64,
    pub therapist_weight: f64,
}

impl DropoutParams {
    pub fn read(t: &Table<'_>) -> Self {
        DropoutParams {
            enabled: t.bool("enabled", true, "Patients may drop out after any session. Off: nobody drops out."),
            base: t.f64("base", -5.1, -20.0, 20.0, "Logit of the per-session dropout hazard late in treatment for an average patient (P1: about 20% drop out overall)."),
            early: t.f64("early", 1.8, 0.0, 20.0, "Extra logit after session 1, fading over the first sessions: dropout is highest early (P5)."),
            early_decay: t.f64("early_decay", 2.0, 0.1, 100.0, "Sessions over which the early extra hazard fades by a factor e."),
            alliance_weight: t.f64("alliance_weight", 4.0, 0.0, 50.0, "Logit gain per unit of alliance below 0.65 (P4: weaker alliance, more dropout; d about .55)."),
            strain_weight: t.f64("strain_weight", 0.8, 0.0, 20.0, "Logit gain per unit of lasting strain from unrepaired ruptures (R7: resolution predicts retention)."),
            unrepaired_weight: t.f64("unrepaired_weight", 0.4, 0.0, 20.0, "Logit gain after a session whose rupture went unrepaired."),
            motivation_weight: t.f64("motivation_weight", 2.0, 0.0, 20.0, "Logit gain per unit of motivation below 0.67."),
            improvement_weight: t.f64("improvement_weight", 0.0, -20.0, 20.0, "Logit gain per instrument SD of improvement since intake (positive: improvers leave early, 'flight into health')."),
            therapist_weight: t.f64("therapist_weight", 0.5, 0.0, 5.0, "Logit loss per SD of the therapist's `retention`: therapists differ in how many of their patients drop out, beyond the alliance they form (Saxon et al. 2017: 12.6% of the variance of dropout between therapists, unrelated to their deterioration rates; K15). 0: therapists differ in dropout only through the alliance."),
        }
    }

    /// Probability of not returning after a session.
    #[allow(clippy::too_many_arguments)]
    pub fn hazard(
        &self,
        session: u32,
        alliance: f64,
        strain: f64,
        unrepaired: bool,
        motivation: f64,
        improvement_sd: f64,
        expectation_logit: f64,
        retention: f64,
        reduction: f64,
    ) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        logistic(
            self.base
                + self.early * (-(f64::from(session) - 1.0) / self.early_decay).exp()
                + self.alliance_weight * (0.65 - alliance)
                + self.strain_weight * strain
                + if unrepaired {
                    self.unrepaired_weight
                } else {
                    0.0
                }
                + self.motivation_weight * (REFERENCE_MOTIVATION - motivation)
                + self.improvement_weight * improvement_sd
                + expectation_logit
                - self.therapist_weight * retention
                - reduction,
        )
    }
}

/// Whether patient and therapist end by agreement after this session at the good-enough level
/// (Barkham et al. 2006; Stiles et al. 2008): under that ending rule, from
/// `good_enough_min_sessions` on, once the patient has felt well enough for long enough
/// (`felt`, [`crate::model::felt`]), with the design's per-session probability. With felt
/// improvement switched off, the criterion is the score before the session (`score`): no longer
/// a case and reliably improved on `intake_score`.
///
/// Slot: `GoodEnough`.
#[allow(clippy::too_many_arguments)]
pub fn good_enough(
    design: &Design,
    inst: &Instrument,
    felt_params: &FeltImprovement,
    felt: &Felt,
    session: u32,
    intake_score: f64,
    score: f64,
    d: &WeekDraws,
) -> bool {
    let well = if felt_params.enabled {
        felt.well_enough(felt_params)
    } else {
        !inst.is_case(score) && intake_score - score >= inst.rc_threshold
    };
    design.ending == EndingRule::GoodEnough
        && session >= design.good_enough_min_sessions
        && well
        && d.u(Slot::GoodEnough) < design.good_enough_probability
}
