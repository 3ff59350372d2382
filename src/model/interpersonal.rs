//! In-session interpersonal behaviour and complementarity (Kiesler 1983; Markey et al. 2010, C1;
//! Dryer & Horowitz 1997, C2): partners correspond in warmth and reciprocate in dominance.
//! Complementary sessions feed the bond; a mismatch raises rupture hazard.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::random::{Slot, WeekDraws};

/// Parameters of the complementarity mechanism.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComplementarityParams {
    pub enabled: bool,
    /// How far the patient's behaviour is pulled towards the complement of the therapist's.
    pub pull: f64,
    /// Session-to-session variation of behaviour around the trait.
    pub behaviour_noise: f64,
    /// Bond gain per unit of complementarity above `reference`.
    pub bond_weight: f64,
    /// Complementarity at which the bond neither gains nor loses.
    pub reference: f64,
    /// Extra therapist dominance under strain per unit of rigidity (technique pushed harder).
    pub rigidity_push: f64,
}

impl ComplementarityParams {
    pub fn read(t: &Table<'_>) -> Self {
        ComplementarityParams {
            enabled: t.bool("enabled", true, "Complementarity: the patient's in-session behaviour answers the therapist's (warmth corresponds, dominance reciprocates: C1), and complementary sessions build the bond (C2). Off: behaviour follows traits only and has no effect on bond or ruptures."),
            pull: t.f64("pull", 0.4, 0.0, 1.0, "Weight of the therapist's behaviour in the patient's (0 none, 1 fully complementary)."),
            behaviour_noise: t.f64("behaviour_noise", 0.2, 0.0, 2.0, "SD of session-to-session variation in behaviour around each trait [circumplex units]."),
            bond_weight: t.f64("bond_weight", 0.15, 0.0, 2.0, "Bond gain per session per unit of complementarity above `reference` (C2)."),
            reference: t.f64("reference", 0.75, 0.0, 1.0, "Complementarity (0-1) at which the bond neither gains nor loses."),
            rigidity_push: t.f64("rigidity_push", 0.4, 0.0, 2.0, "Extra therapist dominance under strain per unit of rigidity (1 - flexibility): rigid therapists push technique harder when the alliance is strained (Castonguay et al. 1996)."),
        }
    }
}

impl ComplementarityParams {
    /// The bond gain of a session's complementarity relative to `reference` (C2); 0 when off.
    pub fn bond_gain(&self, complementarity: f64) -> f64 {
        if self.enabled {
            self.bond_weight * (complementarity - self.reference)
        } else {
            0.0
        }
    }

    /// The session's interpersonal mismatch, `reference` minus complementarity, which raises the
    /// rupture hazard; 0 when off.
    pub fn mismatch(&self, complementarity: f64) -> f64 {
        if self.enabled {
            self.reference - complementarity
        } else {
            0.0
        }
    }
}

/// Behaviour in one session, on the circumplex.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Behaviour {
    pub therapist_warmth: f64,
    pub therapist_dominance: f64,
    pub patient_warmth: f64,
    pub patient_dominance: f64,
    /// 1 = perfectly complementary (same warmth, opposite dominance), 0 = opposite.
    pub complementarity: f64,
}

/// The session's behaviour of both partners.
///
/// Slots: `TherapistWarmth`, `TherapistDominance`, `PatientWarmth`, `PatientDominance`.
pub fn session_behaviour(
    p: &ComplementarityParams,
    therapist: &TherapistTraits,
    patient: &PatientTraits,
    strain: f64,
    d: &WeekDraws,
) -> Behaviour {
    let n = p.behaviour_noise;
    let tw = (therapist.warmth + n * d.z(Slot::TherapistWarmth)).clamp(-1.0, 1.0);
    let push = p.rigidity_push * (1.0 - therapist.flexibility) * strain.min(1.0);
    let td = (therapist.dominance + push + n * d.z(Slot::TherapistDominance)).clamp(-1.0, 1.0);
    let pull = if p.enabled { p.pull } else { 0.0 };
    let pw =
        ((1.0 - pull) * patient.warmth + pull * tw + n * d.z(Slot::PatientWarmth)).clamp(-1.0, 1.0);
    let pd = ((1.0 - pull) * patient.dominance - pull * td + n * d.z(Slot::PatientDominance))
        .clamp(-1.0, 1.0);
    let complementarity = (1.0 - ((pw - tw).abs() + (pd + td).abs()) / 4.0).clamp(0.0, 1.0);
    Behaviour {
        therapist_warmth: tw,
        therapist_dominance: td,
        patient_warmth: pw,
        patient_dominance: pd,
        complementarity,
    }
}
