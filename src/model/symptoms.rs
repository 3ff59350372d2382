//! Symptom change, week by week, on the latent severity scale of the instrument.
//!
//! Change = natural course (drift towards a personal set point, life-stress shocks, noise: the
//! extratherapeutic share) + common factors through the alliance, which turn harmful when the
//! alliance is poor (Goldsmith et al. 2015, G1) + specific technique that works only on an
//! adequate alliance + expectancy, including improvement between booking and session 1 (Howard
//! et al. 1986, D3) + occasional sudden gains (Tang & DeRubeis 1999, S1-S3).
//!
//! Therapy effects are proportional to the remaining severity above the functional population's
//! mean (the level recovery heads for), which
//! gives the negatively accelerated dose-effect curve (Howard et al. 1986, D1-D2).

use serde::Serialize;

use crate::config::reader::Table;
use crate::math::logistic;
use crate::model::attachment::Attachment;
use crate::model::engagement::Engagement;
use crate::model::life_events::LifeEvents;
use crate::model::mistrust::Mistrust;
use crate::model::technique_harm::TechniqueHarm;
use crate::random::{Slot, WeekDraws};

/// Natural course (extratherapeutic factors, about 40% of improvement: Fall, Holden & Marquis 2004).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NaturalCourse {
    pub enabled: bool,
    pub rate: f64,
    pub therapy_durability: f64,
    pub noise: f64,
    pub shock_probability: f64,
    pub shock_size: f64,
}

/// The common-factor effect through the alliance (Flückiger et al. 2018, A1; G1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommonFactor {
    pub enabled: bool,
    pub weight: f64,
    pub harm_threshold: f64,
    pub harmful: bool,
    pub harm_multiplier: f64,
}

/// Specific technique, gated by the alliance (Castonguay et al. 1996).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Technique {
    pub enabled: bool,
    pub gating: bool,
    pub adequacy: f64,
    pub gate_width: f64,
    pub rigidity_penalty: f64,
}

/// Expectancy, hope and remoralisation (Howard et al. 1986, D3).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expectancy {
    pub enabled: bool,
    pub pre_treatment: f64,
    pub early: f64,
    pub decay_sessions: f64,
    pub benefit_weight: f64,
}

/// Expectancy (0-1) at which it neither adds to nor takes from a session's benefit: the mean of
/// the default population's `expectancy` (beta(3, 2), mean .6).
pub const REFERENCE_EXPECTANCY: f64 = 0.6;

impl Expectancy {
    /// The factor on a session's common-factor benefit for a patient whose expectancy (times the
    /// arm's) is `expectancy`: hope as one pathway of the contextual model (Wampold & Imel 2015),
    /// so that outcome expectations predict outcome (Constantino et al. 2018, K5). Technique's
    /// effect does not depend on it.
    pub fn benefit_factor(&self, expectancy: f64) -> f64 {
        if self.enabled {
            (1.0 + self.benefit_weight * (expectancy - REFERENCE_EXPECTANCY)).max(0.0)
        } else {
            1.0
        }
    }
}

/// Sudden gains (Tang & DeRubeis 1999, S1-S5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SuddenGains {
    pub enabled: bool,
    pub probability: f64,
    pub min_share: f64,
    pub max_share: f64,
}

impl NaturalCourse {
    pub fn read(t: &Table<'_>) -> Self {
        NaturalCourse {
            enabled: t.bool("enabled", true, "Natural course: drift towards the personal set point, life-stress shocks and weekly noise. Off: latent severity changes only through therapy."),
            rate: t.f64("rate", 0.08, 0.0, 1.0, "Share of the gap to the personal set point closed per week."),
            therapy_durability: t.f64("therapy_durability", 0.7, 0.0, 1.0, "Share of the change brought by therapy (common factors, technique, sudden gains; harm too) that moves the personal set point, so that it lasts after therapy instead of regressing away (effects persist at 6-12 months: M8; harm of a poor alliance persists at 18 months: G1)."),
            noise: t.f64("noise", 0.09, 0.0, 5.0, "SD of weekly symptom noise [instrument SDs]."),
            shock_probability: t.f64("shock_probability", 0.03, 0.0, 1.0, "Weekly probability of a life-stress shock."),
            shock_size: t.f64("shock_size", 0.9, 0.0, 10.0, "Mean size of a shock [instrument SDs]; sizes are exponential."),
        }
    }
}

impl CommonFactor {
    pub fn read(t: &Table<'_>) -> Self {
        CommonFactor {
            enabled: t.bool("enabled", true, "The alliance acts on symptoms as a common factor. Off: the alliance has no direct effect on symptoms (it still gates technique), which removes most of the alliance-outcome correlation."),
            weight: t.f64("weight", 0.22, 0.0, 5.0, "Share of remaining severity removed per session per unit of alliance above `harm_threshold` (A1)."),
            harm_threshold: t.f64("harm_threshold", 0.45, 0.0, 1.0, "Alliance (0-1) below which sessions do harm (G1: with a poor alliance, more sessions worsen symptoms)."),
            harmful: t.bool("harmful", true, "Whether a poor alliance (below `harm_threshold`) worsens symptoms (G1). Off: a poor alliance only fails to help."),
            harm_multiplier: t.f64("harm_multiplier", 1.0, 0.0, 50.0, "Slope of the harm below `harm_threshold` relative to the benefit slope `weight`, for a patient without mistrust; a mistrustful patient's harm is steeper (`mechanisms.mistrust`, G1)."),
        }
    }
}

impl Technique {
    pub fn read(t: &Table<'_>) -> Self {
        Technique {
            enabled: t.bool("enabled", true, "Specific technique effects (each arm's `technique_potency`). Off: arms differ only in common factors."),
            gating: t.bool("gating", true, "Technique works only on an adequate alliance. Off: technique works whatever the alliance."),
            adequacy: t.f64("adequacy", 0.5, 0.0, 1.0, "Alliance (0-1) at which technique reaches half its effect."),
            gate_width: t.f64("gate_width", 0.06, 0.001, 1.0, "Width of the logistic gate around `adequacy`."),
            rigidity_penalty: t.f64("rigidity_penalty", 0.5, 0.0, 1.0, "Share of technique lost under strain at full rigidity: more technique, less effect, when the alliance is strained (Castonguay et al. 1996)."),
        }
    }
}

impl Expectancy {
    pub fn read(t: &Table<'_>) -> Self {
        Expectancy {
            enabled: t.bool("enabled", true, "Expectancy and hope act before and early in treatment (D3)."),
            pre_treatment: t.f64("pre_treatment", 0.05, 0.0, 1.0, "Share of remaining severity removed per waiting week at expectancy 1 (improvement between booking and session 1, D3)."),
            early: t.f64("early", 0.05, 0.0, 1.0, "Share of remaining severity removed per session at expectancy 1 in session 1, fading after."),
            decay_sessions: t.f64("decay_sessions", 3.0, 0.1, 100.0, "Sessions over which the early expectancy effect fades by a factor e."),
            benefit_weight: t.f64("benefit_weight", 2.0, 0.0, 10.0, "Change of every session's common-factor benefit (above the harm threshold) per unit of expectancy above 0.6, as a share: patients who expect therapy to help take more from the relationship (the contextual model's expectancy pathway; Constantino et al. 2018, K5)."),
        }
    }
}

impl SuddenGains {
    pub fn read(t: &Table<'_>) -> Self {
        SuddenGains {
            enabled: t.bool("enabled", true, "Occasional sudden gains between sessions (S1-S3)."),
            probability: t.f64("probability", 0.035, 0.0, 1.0, "Per-session probability of a sudden gain on an adequate alliance in an arm with technique (`technique_potency` above 0), times responsiveness; the technique's alliance gate scales it, the technique's switch does not."),
            min_share: t.f64("min_share", 0.25, 0.0, 1.0, "Smallest sudden gain as a share of remaining severity (S1: at least 25% of the pre-gain score)."),
            max_share: t.f64("max_share", 0.5, 0.0, 1.0, "Largest sudden gain as a share of remaining severity."),
        }
    }
}

/// All symptom mechanisms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SymptomParams {
    pub natural: NaturalCourse,
    pub common: CommonFactor,
    pub technique: Technique,
    pub expectancy: Expectancy,
    pub sudden: SuddenGains,
    pub mistrust: Mistrust,
    pub engagement: Engagement,
    pub attachment: Attachment,
    pub technique_harm: TechniqueHarm,
    pub life_events: LifeEvents,
}

/// The session a week's therapy effect comes from.
#[derive(Clone, Copy, Debug)]
pub struct SessionEffect {
    /// 1-based session number.
    pub session: u32,
    /// Latent alliance after the session (0-1).
    pub alliance: f64,
    /// Arm's technique potency times the phase weight.
    pub technique: f64,
    /// Arm's delivery of common factors.
    pub common_factors: f64,
    /// Patient expectancy times the arm's multiplier.
    pub expectancy: f64,
    /// Rigidity times current strain (0-1).
    pub rigid_strain: f64,
    /// The patient's responsiveness to therapy (multiplier, mean about 1).
    pub responsiveness: f64,
    /// The patient's mistrust (0-1): see [`Mistrust`].
    pub mistrust: f64,
    /// The patient's motivation (0-1): see [`Engagement`].
    pub motivation: f64,
}

/// A week's change, by source [instrument points; negative = improvement].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct WeekChange {
    pub natural: f64,
    /// A severe life event's impact ([`LifeEvents`]).
    pub life_event: f64,
    pub common_factor: f64,
    pub technique: f64,
    pub expectancy: f64,
    pub sudden_gain: f64,
}

impl WeekChange {
    pub fn total(&self) -> f64 {
        self.natural
            + self.life_event
            + self.common_factor
            + self.technique
            + self.expectancy
            + self.sudden_gain
    }
    /// The change brought by therapy itself (not natural course or expectancy).
    pub fn therapy(&self) -> f64 {
        self.common_factor + self.technique + self.sudden_gain
    }
}

/// The technique gate: 0-1 as the alliance passes `adequacy`.
fn gate(p: &Technique, alliance: f64) -> f64 {
    if p.gating {
        logistic((alliance - p.adequacy) / p.gate_width)
    } else {
        1.0
    }
}

/// Latent severity context.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// The functional population's mean: therapy effects are proportional to the severity above it.
    pub floor: f64,
    /// The instrument's clinical SD (unit of noise and shocks).
    pub sd: f64,
}

/// One week of change. `waiting_expectancy` is the expectancy acting in a pre-treatment week
/// (0 otherwise); `session` is the session held this week, if any.
///
/// Slots: `SymptomNoise`, `ShockOccurs`, `ShockSize` (natural course, every week), then in a
/// session week `SuddenGain`, `SuddenGainSize`.
pub fn week_change(
    p: &SymptomParams,
    scale: Scale,
    severity: f64,
    set_point: f64,
    waiting_expectancy: f64,
    session: Option<SessionEffect>,
    d: &WeekDraws,
) -> WeekChange {
    let room = (severity - scale.floor).max(0.0);
    let mut c = WeekChange::default();
    if p.natural.enabled {
        c.natural = -p.natural.rate * (severity - set_point)
            + p.natural.noise * scale.sd * d.z(Slot::SymptomNoise);
        if d.u(Slot::ShockOccurs) < p.natural.shock_probability {
            c.natural += -d.u(Slot::ShockSize).ln() * p.natural.shock_size * scale.sd;
        }
    }
    if p.natural.enabled {
        // Severe events are part of the course outside therapy: off with it.
        c.life_event = p.life_events.impact(d) * scale.sd;
    }
    if p.expectancy.enabled {
        c.expectancy = -room * p.expectancy.pre_treatment * waiting_expectancy;
    }
    if let Some(s) = session {
        let engagement = p.engagement.factor(s.motivation);
        let hope = p.expectancy.benefit_factor(s.expectancy);
        if p.common.enabled {
            let mut drive = s.alliance - p.common.harm_threshold;
            if drive < 0.0 {
                drive *= if p.common.harmful {
                    p.common.harm_multiplier * p.mistrust.harm_factor(s.mistrust)
                } else {
                    0.0
                };
            } else {
                drive *= engagement * hope;
            }
            c.common_factor = -room * p.common.weight * s.common_factors * drive * s.responsiveness;
        }
        let g = gate(&p.technique, s.alliance);
        if p.technique.enabled {
            let rigid = 1.0 - p.technique.rigidity_penalty * s.rigid_strain.min(1.0);
            let harm = p.technique_harm.harm(s.technique, s.rigid_strain, g);
            c.technique = -room * s.technique * g * rigid * engagement * s.responsiveness
                + room * harm * s.responsiveness;
        }
        if p.expectancy.enabled {
            let fade = (-(f64::from(s.session) - 1.0) / p.expectancy.decay_sessions).exp();
            c.expectancy += -room * p.expectancy.early * s.expectancy * fade;
        }
        if p.sudden.enabled
            && d.u(Slot::SuddenGain)
                < p.sudden.probability * s.responsiveness * g * (s.technique > 0.0) as u8 as f64
        {
            let share = p.sudden.min_share
                + (p.sudden.max_share - p.sudden.min_share) * d.u(Slot::SuddenGainSize);
            c.sudden_gain = -room * share;
        }
    }
    c
}
