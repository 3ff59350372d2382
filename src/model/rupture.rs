//! Ruptures in the alliance: hazard, type and severity; detection by patient, therapist and
//! observer; repair (a V-shape back above the pre-rupture level) or lasting strain.
//!
//! Findings encoded: withdrawal is more frequent than confrontation and confrontation costs more
//! collaboration at once (Schenk et al. 2019, R8); observers code more ruptures than therapists,
//! and therapists more than patients (Eubanks et al. 2018, Muran et al. 2009: R4-R7); repaired
//! ruptures go with better outcome (R1, R3); rigid adherence to technique under strain worsens
//! the alliance (Castonguay et al. 1996).

use serde::Serialize;

use crate::config::reader::Table;
use crate::math::logistic;
use crate::model::alliance::Alliance;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::random::{Slot, WeekDraws};

/// Rupture type (3RS markers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuptureKind {
    /// Moving away: deferring, avoiding, going silent.
    Withdrawal,
    /// Moving against: complaints, hostility, pressure on the therapist.
    Confrontation,
}

impl RuptureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuptureKind::Withdrawal => "withdrawal",
            RuptureKind::Confrontation => "confrontation",
        }
    }
}

/// Parameters of rupture occurrence and detection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuptureParams {
    pub enabled: bool,
    pub base: f64,
    pub challenge_weight: f64,
    pub mismatch_weight: f64,
    pub sensitivity_weight: f64,
    pub anxiety_weight: f64,
    pub rigidity_weight: f64,
    pub alliance_weight: f64,
    pub mean_severity: f64,
    pub alliance_drop: f64,
    pub confrontation_cost: f64,
    pub therapist_base: f64,
    pub attunement_weight: f64,
    pub confrontation_salience: f64,
    pub severity_salience: f64,
    pub patient_base: f64,
    pub patient_severity: f64,
    pub observer_base: f64,
    pub observer_severity: f64,
}

/// Parameters of repair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepairParams {
    pub enabled: bool,
    pub base: f64,
    pub skill_weight: f64,
    pub fis_weight: f64,
    pub flexibility_weight: f64,
    pub capacity_weight: f64,
    pub severity_weight: f64,
    pub corrective_gain: f64,
    pub strain_per_severity: f64,
    pub strain_decay: f64,
    pub trust_weight: f64,
    pub trust_decay: f64,
}

impl RuptureParams {
    pub fn read(t: &Table<'_>) -> Self {
        RuptureParams {
            enabled: t.bool("enabled", true, "Ruptures happen (per-session hazard). Off: no ruptures, so no repairs and no strain."),
            base: t.f64("base", 0.2, -20.0, 20.0, "Logit of the per-session rupture hazard for an average dyad (observers code ruptures in 41-100% of sessions: R5)."),
            challenge_weight: t.f64("challenge_weight", 1.0, -10.0, 10.0, "Logit gain per unit of phase-two challenge."),
            mismatch_weight: t.f64("mismatch_weight", 2.0, -10.0, 10.0, "Logit gain per unit of interpersonal mismatch (1 - complementarity, relative to its reference)."),
            sensitivity_weight: t.f64("sensitivity_weight", 1.5, -10.0, 10.0, "Logit gain per unit of patient rupture sensitivity above 0.4."),
            anxiety_weight: t.f64("anxiety_weight", 1.0, -10.0, 10.0, "Logit gain per unit of attachment anxiety above 0.4."),
            rigidity_weight: t.f64("rigidity_weight", 1.5, -10.0, 10.0, "Logit gain per unit of therapist rigidity (1 - flexibility) above 0.33: rigid therapists meet more ruptures."),
            alliance_weight: t.f64("alliance_weight", 3.0, -20.0, 20.0, "Logit loss per unit of current alliance above 0.6: a weak alliance ruptures more."),
            mean_severity: t.f64("mean_severity", 0.22, 0.0, 1.0, "Mean rupture severity (0-1) for average sensitivity; severities are exponential, capped at 1."),
            alliance_drop: t.f64("alliance_drop", 0.15, 0.0, 1.0, "Immediate drop of the bond per unit of severity (withdrawal); goals and tasks drop less."),
            confrontation_cost: t.f64("confrontation_cost", 1.8, 1.0, 10.0, "Multiplier of the immediate drop for a confrontation, which strains collaboration most (R8)."),
            therapist_base: t.f64("therapist_base", 0.5, -20.0, 20.0, "Logit that the therapist notices a rupture of average severity at average attunement."),
            attunement_weight: t.f64("attunement_weight", 4.0, 0.0, 20.0, "Logit gain of noticing per unit of attunement above 0.55."),
            confrontation_salience: t.f64("confrontation_salience", 1.5, 0.0, 20.0, "Logit gain of noticing for a confrontation (easier to notice than withdrawal)."),
            severity_salience: t.f64("severity_salience", 4.0, 0.0, 20.0, "Logit gain of noticing per unit of severity above 0.3 (for therapist and the patient's own report)."),
            patient_base: t.f64("patient_base", -0.2, -20.0, 20.0, "Logit that the patient reports a rupture of average severity: patients report fewer ruptures than therapists (R7)."),
            patient_severity: t.f64("patient_severity", 4.0, 0.0, 20.0, "Logit gain of the patient's report per unit of severity above 0.3."),
            observer_base: t.f64("observer_base", 2.2, -20.0, 20.0, "Logit that a trained observer codes a rupture of average severity (R5)."),
            observer_severity: t.f64("observer_severity", 4.0, 0.0, 20.0, "Logit gain of the observer's coding per unit of severity above 0.3."),
        }
    }
}

impl RepairParams {
    pub fn read(t: &Table<'_>) -> Self {
        RepairParams {
            enabled: t.bool("enabled", true, "Noticed ruptures can be repaired. Off: every rupture leaves strain."),
            base: t.f64("base", 0.3, -20.0, 20.0, "Logit that a noticed rupture of average severity is repaired by an average therapist."),
            skill_weight: t.f64("skill_weight", 4.0, 0.0, 20.0, "Logit gain per unit of repair skill above 0.5 (R1, R2)."),
            fis_weight: t.f64("fis_weight", 0.4, 0.0, 20.0, "Logit gain per SD of therapist FIS."),
            flexibility_weight: t.f64("flexibility_weight", 1.5, 0.0, 20.0, "Logit gain per unit of flexibility above 0.67 (Castonguay et al. 1996)."),
            capacity_weight: t.f64("capacity_weight", 1.0, 0.0, 20.0, "Logit gain per SD of patient alliance capacity."),
            severity_weight: t.f64("severity_weight", 2.5, 0.0, 20.0, "Logit loss per unit of severity above 0.3."),
            corrective_gain: t.f64("corrective_gain", 0.5, 0.0, 2.0, "A repaired rupture restores the pre-rupture alliance plus this share of the drop (the V-shape's corrective experience)."),
            strain_per_severity: t.f64("strain_per_severity", 1.0, 0.0, 10.0, "Lasting strain added per unit of severity by an unrepaired rupture; strain lowers the ceiling and raises dropout."),
            strain_decay: t.f64("strain_decay", 0.7, 0.0, 1.0, "Share of strain that remains from one session to the next."),
            trust_weight: t.f64("trust_weight", 1.5, 0.0, 20.0, "Logit added to the alliance ceiling per unit of trust; a repaired rupture adds its severity to trust: resolving a rupture is a corrective experience that strengthens the alliance beyond its former level (Safran & Muran; R1)."),
            trust_decay: t.f64("trust_decay", 0.9, 0.0, 1.0, "Share of trust that remains from one session to the next."),
        }
    }
}

/// A rupture and what became of it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RuptureEvent {
    pub kind: RuptureKind,
    pub severity: f64,
    /// The therapist noticed it in session (or learnt of it through alliance feedback).
    pub noticed: bool,
    /// Noticed through alliance feedback rather than in session.
    pub via_feedback: bool,
    pub repaired: bool,
    pub reported_by_patient: bool,
    pub reported_by_observer: bool,
    /// Alliance (mean of components) just before the rupture.
    pub alliance_before: f64,
    /// Alliance right after the rupture, before any repair.
    pub alliance_after_drop: f64,
}

/// Modifiers of detection and repair from policies.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuptureModifiers {
    /// Logit added to noticing (routine outcome monitoring, not-on-track alert).
    pub notice_boost: f64,
    /// Logit added to repair (clinical support tools).
    pub repair_boost: f64,
    /// Chance that a patient-reported, unnoticed rupture reaches the therapist (alliance
    /// feedback), 0 when feedback is off.
    pub feedback_notice: f64,
}

/// The session's rupture hazard.
pub fn hazard(
    p: &RuptureParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    alliance: f64,
    challenge: f64,
    mismatch: f64,
) -> f64 {
    logistic(
        p.base
            + p.challenge_weight * challenge
            + p.mismatch_weight * mismatch
            + p.sensitivity_weight * (pt.rupture_sensitivity - 0.4)
            + p.anxiety_weight * (pt.attachment_anxiety - 0.4)
            + p.rigidity_weight * ((1.0 - th.flexibility) - 0.33)
            - p.alliance_weight * (alliance - 0.6),
    )
}

/// Whether a rupture happens this session, and if so its course. Lowers the alliance, then
/// restores it on repair; returns the strain to add when unrepaired.
#[allow(clippy::too_many_arguments)]
pub fn session_rupture(
    p: &RuptureParams,
    r: &RepairParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    alliance: &mut Alliance,
    hazard: f64,
    m: RuptureModifiers,
    d: &WeekDraws,
) -> Option<(RuptureEvent, f64)> {
    if !p.enabled || d.u(Slot::RuptureOccurs) >= hazard {
        return None;
    }
    let kind = if d.u(Slot::RuptureType) < pt.withdrawal_tendency {
        RuptureKind::Withdrawal
    } else {
        RuptureKind::Confrontation
    };
    let conf = kind == RuptureKind::Confrontation;
    let scale = p.mean_severity * (0.6 + pt.rupture_sensitivity);
    let severity = (-d.u(Slot::RuptureSeverity).ln() * scale).min(1.0);
    let before = *alliance;
    let drop = p.alliance_drop * severity * if conf { p.confrontation_cost } else { 1.0 };
    // Confrontation strains collaboration (tasks) most; withdrawal the bond.
    if conf {
        alliance.lower(0.8 * drop, 0.6 * drop, 1.2 * drop);
    } else {
        alliance.lower(drop, 0.5 * drop, 0.7 * drop);
    }
    let after_drop = alliance.total();
    let sev_c = severity - 0.3;
    let p_notice = logistic(
        p.therapist_base
            + p.attunement_weight * (th.attunement - 0.55)
            + if conf { p.confrontation_salience } else { 0.0 }
            + p.severity_salience * sev_c
            + m.notice_boost,
    );
    let reported_by_patient =
        d.u(Slot::PatientReports) < logistic(p.patient_base + p.patient_severity * sev_c);
    let reported_by_observer =
        d.u(Slot::ObserverReports) < logistic(p.observer_base + p.observer_severity * sev_c);
    let mut noticed = d.u(Slot::TherapistNotices) < p_notice;
    let mut via_feedback = false;
    if !noticed && reported_by_patient && d.u(Slot::FeedbackNotice) < m.feedback_notice {
        noticed = true;
        via_feedback = true;
    }
    let repaired = r.enabled
        && noticed
        && d.u(Slot::Repair)
            < logistic(
                r.base
                    + r.skill_weight * (th.repair_skill - 0.5)
                    + r.fis_weight * th.fis
                    + r.flexibility_weight * (th.flexibility - 0.67)
                    + r.capacity_weight * pt.alliance_capacity
                    - r.severity_weight * sev_c
                    + m.repair_boost,
            );
    let strain = if repaired {
        // V-shape: back to the level before the rupture, plus a corrective gain.
        let g = 1.0 + r.corrective_gain;
        alliance.bond = (alliance.bond + g * (before.bond - alliance.bond)).min(1.0);
        alliance.goals = (alliance.goals + g * (before.goals - alliance.goals)).min(1.0);
        alliance.tasks = (alliance.tasks + g * (before.tasks - alliance.tasks)).min(1.0);
        0.0
    } else {
        r.strain_per_severity * severity
    };
    Some((
        RuptureEvent {
            kind,
            severity,
            noticed,
            via_feedback,
            repaired,
            reported_by_patient,
            reported_by_observer,
            alliance_before: before.total(),
            alliance_after_drop: after_drop,
        },
        strain,
    ))
}
