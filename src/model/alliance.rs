//! The working alliance as bond, agreement on goals and agreement on tasks (Bordin 1979).
//!
//! Each component grows towards a dyad ceiling set by the therapist's facilitative skill and
//! warmth and the patient's trait-like capacity (Anderson et al. 2009; Zilcha-Mano 2017), lowered
//! by interpersonal distress, avoidance and lasting strain. Goals and tasks also depend on the fit
//! between the patient's preference and the modality's structure; phase-two challenge strains
//! the tasks, more so with a rigid therapist. Last week's symptom change moves this session's
//! alliance (Falkenström et al. 2013, W1). Growth plus session noise gives rising, variable
//! session-by-session alliance ("multiple V patterns": Lin et al. 2023, R11).
//!
//! This module is the only writer of the alliance: its growth ([`grow`]) and what a rupture and
//! its repair do to it ([`rupture`]); `rupture` decides whether a rupture happens and is repaired.

use serde::Serialize;

use crate::config::reader::Table;
use crate::math::logistic;
use crate::model::attachment::REFERENCE_ATTACHMENT;
use crate::model::engagement::REFERENCE_MOTIVATION;
use crate::model::patient::PatientTraits;
use crate::model::rupture::{RepairParams, Rupture, RuptureKind};
use crate::model::therapist::TherapistTraits;
use crate::random::{Slot, WeekDraws};

/// Parameters of alliance formation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllianceParams {
    pub ceiling_base: f64,
    pub fis_weight: f64,
    pub capacity_weight: f64,
    pub warmth_weight: f64,
    pub distress_weight: f64,
    pub avoidance_weight: f64,
    pub anxiety_weight: f64,
    pub motivation_weight: f64,
    pub strain_weight: f64,
    pub growth_rate: f64,
    pub initial_level: f64,
    pub expectancy_weight: f64,
    pub preference_weight: f64,
    pub challenge_cost: f64,
    pub noise: f64,
}

/// Reciprocal influence of symptom change on the alliance (Falkenström et al. 2013, W1-W3).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReciprocalParams {
    pub enabled: bool,
    pub weight: f64,
}

impl AllianceParams {
    pub fn read(t: &Table<'_>) -> Self {
        AllianceParams {
            ceiling_base: t.f64("ceiling_base", 0.7, -10.0, 10.0, "Logit of the dyad's alliance ceiling for average patient traits, therapist FIS 0 and therapist warmth 0 (warmth enters uncentred)."),
            fis_weight: t.f64("fis_weight", 0.31, -5.0, 5.0, "Logit gain of the ceiling per SD of therapist FIS: the therapist's contribution to the alliance (A5, T10)."),
            capacity_weight: t.f64("capacity_weight", 0.3, -5.0, 5.0, "Logit gain of the ceiling per SD of patient alliance capacity (Zilcha-Mano 2017, W5)."),
            warmth_weight: t.f64("warmth_weight", 0.5, -5.0, 5.0, "Logit gain of the ceiling per unit of therapist warmth."),
            distress_weight: t.f64("distress_weight", 0.6, -5.0, 5.0, "Logit loss of the ceiling per unit of patient interpersonal distress."),
            avoidance_weight: t.f64("avoidance_weight", 2.2, -5.0, 5.0, "Logit loss of the bond ceiling per unit of attachment avoidance above 0.4: avoidant patients keep their distance (Notsu et al. 2024, K2)."),
            anxiety_weight: t.f64("anxiety_weight", 1.0, -5.0, 5.0, "Logit loss of the bond ceiling per unit of attachment anxiety above 0.4: anxious patients fear rejection and trust less (Notsu et al. 2024, K1)."),
            motivation_weight: t.f64("motivation_weight", 0.5, -5.0, 5.0, "Logit gain of the goals and tasks ceilings per unit of motivation above 0.67: patients ready to change agree more readily on what to work on and how (Connors et al. 2000, K9)."),
            strain_weight: t.f64("strain_weight", 0.8, 0.0, 10.0, "Logit loss of the ceiling per unit of lasting strain from unrepaired ruptures."),
            growth_rate: t.f64("growth_rate", 0.25, 0.0, 1.0, "Share of the gap to the ceiling closed per session."),
            initial_level: t.f64("initial_level", 0.8, 0.0, 1.5, "Alliance at the first session as a share of the ceiling, for average expectancy."),
            expectancy_weight: t.f64("expectancy_weight", 0.3, 0.0, 2.0, "Added to `initial_level` per unit of expectancy above 0.5."),
            preference_weight: t.f64("preference_weight", 0.3, 0.0, 1.0, "Loss of the goals and tasks ceilings at the worst fit between the patient's preference and the arm's structure."),
            challenge_cost: t.f64("challenge_cost", 0.03, 0.0, 1.0, "Per-session loss of agreement on tasks per unit of phase-two challenge, times rigidity plus 0.5 (patients may read challenge as withdrawn support)."),
            noise: t.f64("noise", 0.035, 0.0, 1.0, "SD of session-to-session variation of each component (R11)."),
        }
    }
}

impl ReciprocalParams {
    pub fn read(t: &Table<'_>) -> Self {
        ReciprocalParams {
            enabled: t.bool("enabled", true, "The patient's improvement since intake moves the alliance: a patient who feels better engages more, one who feels worse less, so the current symptom level predicts the next session's alliance (Falkenström et al. 2013, W1b)."),
            weight: t.f64("weight", 0.1, 0.0, 5.0, "Logit of the alliance ceiling per instrument SD of latent improvement since intake."),
        }
    }

    /// Logit added to the alliance ceiling by the latent improvement since intake (in
    /// instrument SDs); 0 when off.
    pub fn ceiling_gain(&self, improvement: f64) -> f64 {
        if self.enabled {
            self.weight * improvement
        } else {
            0.0
        }
    }
}

/// The latent alliance, each component on 0-1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Alliance {
    pub bond: f64,
    pub goals: f64,
    pub tasks: f64,
}

impl Alliance {
    /// The overall alliance, the mean of the three components.
    pub fn total(&self) -> f64 {
        (self.bond + self.goals + self.tasks) / 3.0
    }

    fn clamp(&mut self) {
        self.bond = self.bond.clamp(0.0, 1.0);
        self.goals = self.goals.clamp(0.0, 1.0);
        self.tasks = self.tasks.clamp(0.0, 1.0);
    }

    /// Each component times `k`.
    fn scaled(&self, k: f64) -> Alliance {
        Alliance {
            bond: k * self.bond,
            goals: k * self.goals,
            tasks: k * self.tasks,
        }
    }

    /// Adds `by` to each component, kept within 0-1 (a repair's restoration).
    fn raise(&mut self, by: &Alliance) {
        self.bond += by.bond;
        self.goals += by.goals;
        self.tasks += by.tasks;
        self.clamp();
    }

    /// Lowers each component (a rupture's immediate cost).
    fn lower(&mut self, bond: f64, goals: f64, tasks: f64) {
        self.bond -= bond;
        self.goals -= goals;
        self.tasks -= tasks;
        self.clamp();
    }
}

/// What the alliance is building towards in this dyad.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ceiling {
    pub bond: f64,
    pub goals: f64,
    pub tasks: f64,
}

/// The dyad's ceilings given the traits, the fit, the lasting strain and any policy `focus`
/// (a logit added when outcome monitoring flags the case).
pub fn ceiling(
    p: &AllianceParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    structure: f64,
    strain: f64,
    focus: f64,
) -> Ceiling {
    let base = focus
        + p.ceiling_base
        + p.fis_weight * th.fis
        + p.capacity_weight * pt.alliance_capacity
        + p.warmth_weight * th.warmth
        - p.distress_weight * (pt.interpersonal_distress - 0.4)
        - p.strain_weight * strain;
    let fit = 1.0 - (pt.preference - structure).abs();
    let agreement = 1.0 - p.preference_weight * (1.0 - fit);
    let insecurity = p.avoidance_weight * (pt.attachment_avoidance - REFERENCE_ATTACHMENT)
        + p.anxiety_weight * (pt.attachment_anxiety - REFERENCE_ATTACHMENT);
    let readiness = p.motivation_weight * (pt.motivation - REFERENCE_MOTIVATION);
    Ceiling {
        bond: logistic(base - insecurity),
        goals: logistic(base + readiness) * agreement,
        tasks: logistic(base + readiness) * agreement,
    }
}

/// The alliance as the first session opens.
pub fn initial(p: &AllianceParams, c: &Ceiling, pt: &PatientTraits) -> Alliance {
    let share = (p.initial_level + p.expectancy_weight * (pt.expectancy - 0.5)).max(0.0);
    let mut a = Alliance {
        bond: c.bond * share,
        goals: c.goals * share,
        tasks: c.tasks * share,
    };
    a.clamp();
    a
}

/// Inputs of one session's alliance update besides the parameters.
pub struct SessionInfluences {
    /// Complementarity of the session's behaviour minus its reference, times its weight.
    pub complementarity_gain: f64,
    /// Phase-two challenge this session (0 in phase one).
    pub challenge: f64,
    /// The therapist's rigidity, 1 - flexibility.
    pub rigidity: f64,
}

/// One session's growth of the alliance.
///
/// Slots: `BondNoise`, `GoalsNoise`, `TasksNoise`.
pub fn grow(
    p: &AllianceParams,
    a: &mut Alliance,
    c: &Ceiling,
    s: &SessionInfluences,
    d: &WeekDraws,
) {
    let g = p.growth_rate;
    a.bond += g * (c.bond - a.bond) + s.complementarity_gain + p.noise * d.z(Slot::BondNoise);
    a.goals += g * (c.goals - a.goals) + p.noise * d.z(Slot::GoalsNoise);
    a.tasks += g * (c.tasks - a.tasks) - p.challenge_cost * s.challenge * (s.rigidity + 0.5)
        + p.noise * d.z(Slot::TasksNoise);
    a.clamp();
}

/// The alliance (mean of the components) just before a rupture and right after its drop, before
/// any repair, and the part of a repair's restoration left for the dyad's next session.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deflection {
    pub before: f64,
    pub after_drop: f64,
    /// Restoration of each component still to come at the next session (zero when not repaired
    /// or repaired entirely in session).
    pub pending: Alliance,
}

/// What a rupture does to the alliance. First the immediate drop of size `r.drop`: a
/// confrontation strains collaboration (tasks) most, a withdrawal the bond (Schenk et al. 2019,
/// R8). Then, when repaired, the V-shape: back to the level before the rupture plus the share
/// `corrective_gain` of the drop (a corrective experience: Safran & Muran; R1, R3); the share
/// `in_session` of that restoration happens in the session, the rest at the next one
/// ([`resume_repair`]).
pub fn rupture(p: &RepairParams, a: &mut Alliance, r: &Rupture) -> Deflection {
    let before = *a;
    let drop = r.drop;
    if r.kind == RuptureKind::Confrontation {
        a.lower(0.8 * drop, 0.6 * drop, 1.2 * drop);
    } else {
        a.lower(drop, 0.5 * drop, 0.7 * drop);
    }
    let after_drop = a.total();
    let mut pending = Alliance::default();
    if r.repaired {
        let g = 1.0 + p.corrective_gain;
        let full = Alliance {
            bond: g * (before.bond - a.bond),
            goals: g * (before.goals - a.goals),
            tasks: g * (before.tasks - a.tasks),
        };
        a.raise(&full.scaled(p.in_session));
        pending = full.scaled(1.0 - p.in_session);
    }
    Deflection {
        before: before.total(),
        after_drop,
        pending,
    }
}

/// The rest of a repair, when the dyad meets again: the therapist takes the rupture up and the
/// alliance regains what the repair left `pending`, which is then spent.
pub fn resume_repair(a: &mut Alliance, pending: &mut Alliance) {
    a.raise(pending);
    *pending = Alliance::default();
}
