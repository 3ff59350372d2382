//! Ruptures in the alliance: hazard, type and severity; detection by patient, therapist and
//! observer; repair or lasting strain. This module decides what happens; what a rupture and its
//! repair do to bond, goals and tasks (the drop and the V-shape back above the pre-rupture
//! level) is applied by `alliance::rupture`.
//!
//! Findings encoded: withdrawal is more frequent than confrontation and confrontation costs more
//! collaboration at once (Schenk et al. 2019, R8); observers code more ruptures than therapists,
//! and therapists more than patients (Eubanks et al. 2018, Muran et al. 2009: R4-R7); repaired
//! ruptures go with better outcome (R1, R3); rigid adherence to technique under strain worsens
//! the alliance (Castonguay et al. 1996).

use serde::Serialize;

use crate::config::reader::Table;
use crate::math::logistic;
use crate::model::attachment::REFERENCE_ATTACHMENT;
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
    pub marker_threshold: f64,
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
    pub in_session: f64,
    pub strain_per_severity: f64,
    pub strain_decay: f64,
    pub trust_weight: f64,
    pub trust_decay: f64,
}

impl RuptureParams {
    pub fn read(t: &Table<'_>) -> Self {
        RuptureParams {
            enabled: t.bool("enabled", true, "Ruptures happen (per-session hazard). Off: no ruptures, so no repairs and no strain."),
            base: t.f64("base", 0.4, -20.0, 20.0, "Logit of the per-session rupture hazard for an average dyad (observers code ruptures in 41-100% of sessions: R5)."),
            challenge_weight: t.f64("challenge_weight", 1.0, -10.0, 10.0, "Logit gain per unit of phase-two challenge."),
            mismatch_weight: t.f64("mismatch_weight", 2.0, -10.0, 10.0, "Logit gain per unit of interpersonal mismatch (1 - complementarity, relative to its reference)."),
            sensitivity_weight: t.f64("sensitivity_weight", 1.5, -10.0, 10.0, "Logit gain per unit of patient rupture sensitivity above 0.4."),
            anxiety_weight: t.f64("anxiety_weight", 1.0, -10.0, 10.0, "Logit gain per unit of attachment anxiety above 0.4."),
            rigidity_weight: t.f64("rigidity_weight", 1.5, -10.0, 10.0, "Logit gain per unit of therapist rigidity (1 - flexibility) above 0.33: rigid therapists meet more ruptures."),
            alliance_weight: t.f64("alliance_weight", 3.0, -20.0, 20.0, "Logit loss per unit of current alliance above 0.6: a weak alliance ruptures more."),
            mean_severity: t.f64("mean_severity", 0.22, 0.0, 1.0, "Scale of the severity of a moment of tension (0-1) for average sensitivity; severities are exponential (most tensions slight, a few severe), capped at 1."),
            marker_threshold: t.f64("marker_threshold", 0.05, 0.0, 1.0, "Least severity of a codable rupture marker: a tension below it is below any rater's threshold, leaves no mark on the alliance and is not an event."),
            alliance_drop: t.f64("alliance_drop", 0.3, 0.0, 1.0, "Immediate drop of the bond per unit of severity (withdrawal); goals and tasks drop less."),
            confrontation_cost: t.f64("confrontation_cost", 1.8, 1.0, 10.0, "Multiplier of the immediate drop for a confrontation, which strains collaboration most (R8)."),
            therapist_base: t.f64("therapist_base", 0.5, -20.0, 20.0, "Logit that the therapist notices a rupture of average severity at average attunement."),
            attunement_weight: t.f64("attunement_weight", 4.0, 0.0, 20.0, "Logit gain of noticing per unit of attunement above 0.55."),
            confrontation_salience: t.f64("confrontation_salience", 1.5, 0.0, 20.0, "Logit gain of noticing for a confrontation (easier to notice than withdrawal)."),
            severity_salience: t.f64("severity_salience", 4.0, 0.0, 20.0, "Logit gain of the therapist's noticing per unit of severity above 0.3 (the patient's report and the observer's coding have their own severity weights)."),
            patient_base: t.f64("patient_base", -0.2, -20.0, 20.0, "Logit that the patient reports a rupture of average severity: patients report fewer ruptures than therapists (R7)."),
            patient_severity: t.f64("patient_severity", 4.0, 0.0, 20.0, "Logit gain of the patient's report per unit of severity above 0.3."),
            observer_base: t.f64("observer_base", 3.0, -20.0, 20.0, "Logit that a trained observer codes a rupture of average severity (R5)."),
            observer_severity: t.f64("observer_severity", 4.0, 0.0, 20.0, "Logit gain of the observer's coding per unit of severity above 0.3."),
        }
    }
}

impl RepairParams {
    pub fn read(t: &Table<'_>) -> Self {
        RepairParams {
            enabled: t.bool("enabled", true, "Noticed ruptures can be repaired. Off: every rupture leaves strain."),
            base: t.f64("base", 0.8, -20.0, 20.0, "Logit that a noticed rupture of average severity is repaired by an average therapist."),
            skill_weight: t.f64("skill_weight", 4.0, 0.0, 20.0, "Logit gain per unit of repair skill above 0.5 (R1, R2)."),
            fis_weight: t.f64("fis_weight", 0.4, 0.0, 20.0, "Logit gain per SD of therapist FIS."),
            flexibility_weight: t.f64("flexibility_weight", 1.5, 0.0, 20.0, "Logit gain per unit of flexibility above 0.67 (Castonguay et al. 1996)."),
            capacity_weight: t.f64("capacity_weight", 1.0, 0.0, 20.0, "Logit gain per SD of patient alliance capacity."),
            severity_weight: t.f64("severity_weight", 2.5, 0.0, 20.0, "Logit loss per unit of severity above 0.3."),
            corrective_gain: t.f64("corrective_gain", 0.5, 0.0, 2.0, "A repaired rupture restores the pre-rupture alliance plus this share of the drop (the V-shape's corrective experience)."),
            in_session: t.f64("in_session", 0.2, 0.0, 1.0, "Share of a repair's restoration that happens within the rupture session; the rest comes at the dyad's next session, when the therapist takes the rupture up again, so the patient's rating of the rupture session still shows part of the drop (the rated V-shape: Stiles et al. 2004)."),
            strain_per_severity: t.f64("strain_per_severity", 0.7, 0.0, 10.0, "Lasting strain added per unit of severity by an unrepaired rupture; strain lowers the ceiling and raises dropout."),
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

/// The session's rupture hazard (0 when ruptures are off).
pub fn hazard(
    p: &RuptureParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    alliance: f64,
    challenge: f64,
    mismatch: f64,
) -> f64 {
    if !p.enabled {
        return 0.0;
    }
    logistic(
        p.base
            + p.challenge_weight * challenge
            + p.mismatch_weight * mismatch
            + p.sensitivity_weight * (pt.rupture_sensitivity - 0.4)
            + p.anxiety_weight * (pt.attachment_anxiety - REFERENCE_ATTACHMENT)
            + p.rigidity_weight * ((1.0 - th.flexibility) - 0.33)
            - p.alliance_weight * (alliance - 0.6),
    )
}

/// A session's rupture as this module decides it: its kind and severity, the size of the
/// alliance's immediate drop, who saw it and whether it was repaired. `alliance::rupture`
/// applies it to the alliance; [`Rupture::event`] records it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rupture {
    pub kind: RuptureKind,
    pub severity: f64,
    /// Size of the immediate drop: `alliance_drop` per unit of severity, times
    /// `confrontation_cost` for a confrontation (R8). `alliance::rupture` shares it out over
    /// bond, goals and tasks.
    pub drop: f64,
    /// The therapist noticed it in session (or learnt of it through alliance feedback).
    pub noticed: bool,
    /// Noticed through alliance feedback rather than in session.
    pub via_feedback: bool,
    pub repaired: bool,
    pub reported_by_patient: bool,
    pub reported_by_observer: bool,
}

impl Rupture {
    /// The lasting strain it leaves: none when repaired, `strain_per_severity` per unit of
    /// severity when not (R7: resolution predicts retention).
    pub fn strain(&self, r: &RepairParams) -> f64 {
        if self.repaired {
            0.0
        } else {
            r.strain_per_severity * self.severity
        }
    }

    /// The record of the rupture, with the alliance (mean of the components) just before it and
    /// right after its drop, as `alliance::rupture` reports them.
    pub fn event(&self, alliance_before: f64, alliance_after_drop: f64) -> RuptureEvent {
        RuptureEvent {
            kind: self.kind,
            severity: self.severity,
            noticed: self.noticed,
            via_feedback: self.via_feedback,
            repaired: self.repaired,
            reported_by_patient: self.reported_by_patient,
            reported_by_observer: self.reported_by_observer,
            alliance_before,
            alliance_after_drop,
        }
    }
}

/// What past ruptures leave in a dyad: lasting strain from unrepaired ones (it lowers the
/// alliance ceiling and raises dropout) and trust from repaired ones (resolving a rupture is a
/// corrective experience that strengthens the alliance beyond its former level: Safran & Muran;
/// R1). Both fade from session to session; a new dyad (a re-match) starts without either.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Aftermath {
    pub strain: f64,
    pub trust: f64,
}

impl Aftermath {
    /// The fading of strain and trust from one session to the next.
    pub fn fade(&mut self, r: &RepairParams) {
        self.strain *= r.strain_decay;
        self.trust *= r.trust_decay;
    }

    /// Adds what this session's rupture leaves: its strain, and its severity to trust when
    /// repaired.
    pub fn add(&mut self, rupture: &Rupture, r: &RepairParams) {
        self.strain += rupture.strain(r);
        if rupture.repaired {
            self.trust += rupture.severity;
        }
    }

    /// Logit that trust adds to the alliance ceiling.
    pub fn trust_focus(&self, r: &RepairParams) -> f64 {
        r.trust_weight * self.trust
    }
}

/// Whether a rupture happens this session, and if so its kind, severity, detection and repair.
///
/// Slots, in order: `RuptureOccurs`, `RuptureType`, `RuptureSeverity`, `PatientReports`,
/// `ObserverReports`, `TherapistNotices`, `FeedbackNotice`, `Repair`.
#[allow(clippy::too_many_arguments)]
pub fn session_rupture(
    p: &RuptureParams,
    r: &RepairParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    hazard: f64,
    m: RuptureModifiers,
    d: &WeekDraws,
) -> Option<Rupture> {
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
    if severity < p.marker_threshold {
        return None;
    }
    let drop = p.alliance_drop * severity * if conf { p.confrontation_cost } else { 1.0 };
    let sev_c = severity - 0.3;
    let reported_by_patient =
        d.u(Slot::PatientReports) < logistic(p.patient_base + p.patient_severity * sev_c);
    let reported_by_observer =
        d.u(Slot::ObserverReports) < logistic(p.observer_base + p.observer_severity * sev_c);
    let mut noticed = d.u(Slot::TherapistNotices) < notice_chance(p, th, conf, sev_c, m);
    let mut via_feedback = false;
    if !noticed && reported_by_patient && d.u(Slot::FeedbackNotice) < m.feedback_notice {
        noticed = true;
        via_feedback = true;
    }
    let repaired = r.enabled && noticed && d.u(Slot::Repair) < repair_chance(r, th, pt, sev_c, m);
    Some(Rupture {
        kind,
        severity,
        drop,
        noticed,
        via_feedback,
        repaired,
        reported_by_patient,
        reported_by_observer,
    })
}

/// Chance that the therapist notices a rupture in session: attunement, a confrontation's
/// salience, severity (`sev_c`: severity above 0.3) and a not-on-track alert.
fn notice_chance(
    p: &RuptureParams,
    th: &TherapistTraits,
    conf: bool,
    sev_c: f64,
    m: RuptureModifiers,
) -> f64 {
    logistic(
        p.therapist_base
            + p.attunement_weight * (th.attunement - 0.55)
            + if conf { p.confrontation_salience } else { 0.0 }
            + p.severity_salience * sev_c
            + m.notice_boost,
    )
}

/// Chance that a noticed rupture is repaired: the therapist's repair skill, FIS and flexibility,
/// the patient's alliance capacity, severity (`sev_c`) and clinical support tools.
fn repair_chance(
    r: &RepairParams,
    th: &TherapistTraits,
    pt: &PatientTraits,
    sev_c: f64,
    m: RuptureModifiers,
) -> f64 {
    logistic(
        r.base
            + r.skill_weight * (th.repair_skill - 0.5)
            + r.fis_weight * th.fis
            + r.flexibility_weight * (th.flexibility - 0.67)
            + r.capacity_weight * pt.alliance_capacity
            - r.severity_weight * sev_c
            + m.repair_boost,
    )
}
