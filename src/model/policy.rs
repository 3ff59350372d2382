//! Policies a scenario can switch on per arm: routine outcome monitoring with not-on-track
//! alerts and clinical support tools, session-by-session alliance feedback, rupture-resolution
//! training, and stopping or re-matching when the alliance stays poor.
//!
//! Besides their parameters, this module holds what each policy does, so that it is the one
//! place to learn how a policy acts on a course: outcome monitoring flags not-on-track cases
//! ([`Rom::alert`]) and then turns the therapist to the alliance, to ruptures and to retention;
//! alliance feedback focuses the next session after a low rating and brings missed ruptures to
//! light; training raises repair skill and attunement; the poor-alliance rule stops or
//! re-matches.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::rupture::RuptureModifiers;
use crate::model::therapist::TherapistTraits;
use crate::random::{Slot, WeekDraws};

/// What to do when the alliance stays poor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoorAllianceAction {
    /// End therapy (Goldsmith et al. 2015: therapy that is not working should stop).
    Stop,
    /// Move the patient to another therapist of the same pool, once.
    Rematch,
}

/// Policies of one arm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policies {
    pub rom: Rom,
    pub alliance_feedback: AllianceFeedback,
    pub rupture_training: RuptureTraining,
    pub poor_alliance: PoorAllianceRule,
}

/// Routine outcome monitoring (Lambert et al. 2018, de Jong et al. 2021: F1-F5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rom {
    pub enabled: bool,
    /// Clinical support tools for not-on-track cases (alliance, motivation, support).
    pub clinical_support_tools: bool,
    /// Not on track: from this session on, improvement below `not_on_track_share` of the
    /// reliable-change threshold.
    pub from_session: u32,
    pub not_on_track_share: f64,
    /// Logit added to the therapist's chance of noticing a rupture while a case is not on track.
    pub attunement_boost: f64,
    /// Logit added to the alliance ceiling of a not-on-track case (the therapist attends to it).
    pub alliance_focus: f64,
    /// Logit subtracted from the dropout hazard of a not-on-track case.
    pub dropout_reduction: f64,
    /// With clinical support tools: further logit added to the alliance ceiling.
    pub support_alliance_focus: f64,
    /// With clinical support tools: logit added to repair success.
    pub support_repair_boost: f64,
    /// With clinical support tools: further logit subtracted from the dropout hazard.
    pub support_dropout_reduction: f64,
    /// With clinical support tools: added to the patient's responsiveness from the first
    /// supported session on (the case's treatment plan is revised).
    pub support_responsiveness: f64,
}

/// Patient feedback on the alliance at the end of every session (PCOMS-like; F4).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllianceFeedback {
    pub enabled: bool,
    /// Chance that a rupture the patient reports but the therapist missed comes to the
    /// therapist's attention through the feedback form.
    pub notice_probability: f64,
    /// A rating below this WAI-SR mean item score (1-5) prompts the therapist to attend to the
    /// alliance in the next session.
    pub low_alliance_threshold: f64,
    /// Logit added to the next session's alliance ceiling after a low rating.
    pub alliance_focus: f64,
}

/// Rupture-resolution training or supervision (Eubanks et al. 2018, R2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuptureTraining {
    pub enabled: bool,
    /// Added to every therapist's repair skill (capped at 1).
    pub repair_skill_gain: f64,
    /// Added to every therapist's attunement (capped at 1).
    pub attunement_gain: f64,
}

/// Stop or re-match when the alliance stays poor after k sessions (Goldsmith et al. 2015).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoorAllianceRule {
    pub enabled: bool,
    /// The session after which the rule is checked.
    pub after_sessions: u32,
    /// Poor alliance: the patient's WAI-SR mean item score (1-5) at that session below this.
    pub threshold: f64,
    pub action: PoorAllianceAction,
}

impl Policies {
    /// Reads an arm's `policies` table.
    pub fn read(t: &Table<'_>) -> Policies {
        let rom_t = t.table("routine_outcome_monitoring");
        let rom = Rom {
            enabled: rom_t.bool("enabled", false,
                "Routine outcome monitoring: the therapist sees the symptom score every session and is alerted when a case is not on track (F1-F3)."),
            clinical_support_tools: rom_t.bool("clinical_support_tools", false,
                "Clinical support tools for not-on-track cases (alliance, motivation, social support: Whipple et al. 2003, F5): better repair and alliance work, less dropout."),
            from_session: rom_t.int("from_session", 3, 2, 200,
                "First session at which a case can be flagged not on track.") as u32,
            not_on_track_share: rom_t.f64("not_on_track_share", 0.5, 0.0, 2.0,
                "Not on track: improvement since intake below this share of the reliable-change threshold."),
            attunement_boost: rom_t.f64("attunement_boost", 1.0, 0.0, 10.0,
                "Logit added to the therapist's chance of noticing a rupture while a case is not on track (therapists without feedback miss most deterioration). Read in every arm: a therapist who sees a patient deteriorating by their own view applies the share `mechanisms.judgement.response` of it."),
            alliance_focus: rom_t.f64("alliance_focus", 1.2, 0.0, 10.0,
                "Logit added to the alliance ceiling of a not-on-track case: alerted, the therapist attends to the relationship and the fit of the work (F1: d about .15 overall). Read in every arm, as `attunement_boost`."),
            dropout_reduction: rom_t.f64("dropout_reduction", 0.3, 0.0, 10.0,
                "Logit subtracted from the dropout hazard of a not-on-track case (F1: dropout OR 1.19 favouring feedback). Read in every arm, as `attunement_boost`."),
            support_alliance_focus: rom_t.f64("support_alliance_focus", 0.0, 0.0, 10.0,
                "With clinical support tools: further logit added to the alliance ceiling of a not-on-track case, beyond the alert's `alliance_focus`. 0 by default: the alert already turns the therapist to the alliance, and the tools act through repair, retention and the revised plan (F2, F3: docs/calibration.md)."),
            support_repair_boost: rom_t.f64("support_repair_boost", 0.8, 0.0, 10.0,
                "With clinical support tools: logit added to repair success for a not-on-track case."),
            support_dropout_reduction: rom_t.f64("support_dropout_reduction", 0.3, 0.0, 10.0,
                "With clinical support tools: further logit subtracted from the dropout hazard of a not-on-track case (F5: they stayed longer)."),
            support_responsiveness: rom_t.f64("support_responsiveness", 0.5, 0.0, 10.0,
                "With clinical support tools: added to a not-on-track case's responsiveness from its first supported session on. The tools' checks of motivation, social support and the case formulation (with referral, e.g. for medication) remove obstacles outside the alliance that kept the case from responding, and the revised plan stays (Whipple et al. 2003, F2, F5: not-on-track cases nearly doubled their rate of reliable change). 0 restricts the tools to the alliance, repair and dropout."),
        };
        rom_t.finish();
        let af_t = t.table("alliance_feedback");
        let alliance_feedback = AllianceFeedback {
            enabled: af_t.bool("enabled", false,
                "Patients rate the alliance at the end of each session and the therapist reads it (PCOMS Session Rating Scale, F4)."),
            notice_probability: af_t.f64("notice_probability", 0.7, 0.0, 1.0,
                "Chance that a rupture the patient reports but the therapist missed reaches the therapist through the feedback form, who then tries to repair it."),
            low_alliance_threshold: af_t.f64("low_alliance_threshold", 4.0, 1.0, 5.0,
                "A patient rating below this WAI-SR mean item score (1-5) prompts the therapist to attend to the alliance next session (PCOMS: discuss a low Session Rating Scale score)."),
            alliance_focus: af_t.f64("alliance_focus", 0.5, 0.0, 10.0,
                "Logit added to the next session's alliance ceiling after a low rating (clients asked to rate the alliance fare better: F4)."),
        };
        af_t.finish();
        let rt_t = t.table("rupture_resolution_training");
        let rupture_training = RuptureTraining {
            enabled: rt_t.bool("enabled", false,
                "Rupture-resolution training or supervision for the arm's therapists (R2: a small effect, d about .2)."),
            repair_skill_gain: rt_t.f64("repair_skill_gain", 0.2, 0.0, 1.0,
                "Added to each therapist's repair skill (capped at 1)."),
            attunement_gain: rt_t.f64("attunement_gain", 0.1, 0.0, 1.0,
                "Added to each therapist's attunement (capped at 1)."),
        };
        rt_t.finish();
        let pa_t = t.table("poor_alliance_rule");
        let poor_alliance = PoorAllianceRule {
            enabled: pa_t.bool("enabled", false,
                "Stop or re-match when the alliance stays poor after `after_sessions` sessions (Goldsmith et al. 2015's recommendation)."),
            after_sessions: pa_t.int("after_sessions", 3, 1, 200,
                "The session after which the rule is checked (the alliance is typically measured at session 3-4: A5).") as u32,
            threshold: pa_t.f64("threshold", 3.0, 1.0, 5.0,
                "Poor alliance: the patient's WAI-SR mean item score (1-5) at that session is below this."),
            action: match pa_t.choice("action", "stop", &["stop", "rematch"],
                "`stop` ends therapy; `rematch` moves the patient, once, to another therapist of the same pool.") {
                "rematch" => PoorAllianceAction::Rematch,
                _ => PoorAllianceAction::Stop,
            },
        };
        pa_t.finish();
        Policies {
            rom,
            alliance_feedback,
            rupture_training,
            poor_alliance,
        }
    }
}

/// Routine outcome monitoring's verdict on a session, and how strongly the therapist responds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Alert {
    /// The case is not on track: the therapist is alerted.
    pub not_on_track: bool,
    /// The alert comes with clinical support tools.
    pub support: bool,
    /// Strength of the therapist's response to a case going badly (the share of `alliance_focus`,
    /// `dropout_reduction` and `attunement_boost` applied): 1 when alerted; when not, the share
    /// `mechanisms.judgement.response` if the therapist's own view sees the patient
    /// deteriorating; else 0.
    pub response: f64,
}

impl Alert {
    /// The alert as the therapist acts on it: without an alert, a therapist who sees the
    /// patient deteriorating by their own judgement responds with strength `own` (0 when their
    /// view does not see it); an alert brings the full response, correcting the view where it
    /// missed the case (Lambert et al. 2018; Hannan et al. 2005).
    pub fn with_own_view(self, own: f64) -> Alert {
        Alert {
            response: self.response.max(own),
            ..self
        }
    }

    /// The alert reached a therapist whose own view had not seen the patient deteriorating.
    pub fn corrects(self, sees_deterioration: bool) -> bool {
        self.not_on_track && !sees_deterioration
    }
}

impl Rom {
    /// The alert at session `session`, given the improvement since intake (intake score minus
    /// the score before this session): not on track when it falls short of `not_on_track_share`
    /// of the reliable-change threshold (Lambert et al. 2018, F1-F3).
    pub fn alert(&self, session: u32, improvement: f64, rc_threshold: f64) -> Alert {
        let not_on_track = self.enabled
            && session >= self.from_session
            && improvement < self.not_on_track_share * rc_threshold;
        Alert {
            not_on_track,
            support: not_on_track && self.clinical_support_tools,
            response: if not_on_track { 1.0 } else { 0.0 },
        }
    }

    /// Logit added to the alliance ceiling: an alerted therapist, or one who sees the patient
    /// deteriorating, attends to the relationship (F1), more so with clinical support tools.
    pub fn alliance_focus(&self, a: Alert) -> f64 {
        a.response * self.alliance_focus
            + if a.support {
                self.support_alliance_focus
            } else {
                0.0
            }
    }

    /// Logit subtracted from the dropout hazard of a case the therapist treats as going badly
    /// (alerted or by their own view; F1), more with clinical support tools (F5: they stayed
    /// longer).
    pub fn dropout_reduction(&self, a: Alert) -> f64 {
        a.response * self.dropout_reduction
            + if a.support {
                self.support_dropout_reduction
            } else {
                0.0
            }
    }

    /// Added to the patient's responsiveness once the plan has been revised with clinical
    /// support tools (`revised`: at some session so far; Whipple et al. 2003, F2, F5).
    pub fn responsiveness_gain(&self, revised: bool) -> f64 {
        if revised {
            self.support_responsiveness
        } else {
            0.0
        }
    }
}

impl AllianceFeedback {
    /// The alliance focus of the next session after the patient's WAI-SR total `wai_patient`:
    /// a rating below the threshold prompts the therapist to attend to the alliance (PCOMS: a
    /// low Session Rating Scale score is discussed; F4).
    pub fn focus_after(&self, wai_patient: u32) -> f64 {
        if self.enabled && f64::from(wai_patient) / 12.0 < self.low_alliance_threshold {
            self.alliance_focus
        } else {
            0.0
        }
    }
}

impl RuptureTraining {
    /// A therapist's traits as the training leaves them: more repair skill and attunement,
    /// each capped at 1 (Eubanks et al. 2018, R2).
    pub fn trained(&self, t: &TherapistTraits) -> TherapistTraits {
        let mut t = t.clone();
        if self.enabled {
            t.repair_skill = (t.repair_skill + self.repair_skill_gain).min(1.0);
            t.attunement = (t.attunement + self.attunement_gain).min(1.0);
        }
        t
    }
}

impl PoorAllianceRule {
    /// Whether the rule reads the patient's alliance rating after session `session`.
    fn checks(&self, session: u32) -> bool {
        self.enabled && session == self.after_sessions
    }

    /// What the rule does after session `session` given the patient's WAI-SR total: nothing
    /// unless the alliance is poor at the checked session (Goldsmith et al. 2015); then a
    /// re-match when that is the action and `can_rematch` (not re-matched yet, another therapist
    /// in the pool), else stop.
    pub fn action_after(
        &self,
        session: u32,
        wai_patient: u32,
        can_rematch: bool,
    ) -> Option<PoorAllianceAction> {
        if !(self.checks(session) && f64::from(wai_patient) / 12.0 < self.threshold) {
            return None;
        }
        Some(
            if self.action == PoorAllianceAction::Rematch && can_rematch {
                PoorAllianceAction::Rematch
            } else {
                PoorAllianceAction::Stop
            },
        )
    }
}

/// The therapist a re-matched patient moves to: one of the `pool` - 1 others than `current`,
/// each as likely.
///
/// Slot: `Rematch`.
pub fn rematch(current: u32, pool: u32, d: &WeekDraws) -> u32 {
    let mut next = ((d.u(Slot::Rematch) * f64::from(pool - 1)) as u32).min(pool - 2);
    if next >= current {
        next += 1;
    }
    next
}

impl Policies {
    /// What the policies do to noticing and repairing this session's rupture: an alert raises
    /// the therapist's attunement (F1-F3), clinical support tools raise repair success (F5), and
    /// alliance feedback may bring a rupture the patient reports, but the therapist missed, to
    /// the therapist's attention (F4).
    pub fn rupture_modifiers(&self, a: Alert) -> RuptureModifiers {
        RuptureModifiers {
            notice_boost: a.response * self.rom.attunement_boost,
            repair_boost: if a.support {
                self.rom.support_repair_boost
            } else {
                0.0
            },
            feedback_notice: if self.alliance_feedback.enabled {
                self.alliance_feedback.notice_probability
            } else {
                0.0
            },
        }
    }

    /// Whether a policy reads the patient's alliance rating after session `session`: alliance
    /// feedback after every session, the poor-alliance rule after its session.
    pub fn reads_alliance_rating(&self, session: u32) -> bool {
        self.alliance_feedback.enabled || self.poor_alliance.checks(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::WEEK_SLOTS;

    fn rematch_draw(u: f64) -> WeekDraws {
        let mut draws = [0.5; WEEK_SLOTS];
        draws[Slot::Rematch as usize] = u;
        WeekDraws::from_uniforms(draws)
    }

    #[test]
    fn rematch_moves_to_each_other_therapist_of_the_pool() {
        for current in 0..4 {
            let mut seen = Vec::new();
            for u in [1e-9, 0.3, 0.5, 0.9, 1.0 - 1e-9] {
                let next = rematch(current, 4, &rematch_draw(u));
                assert!(next != current && next < 4, "{current} -> {next}");
                seen.push(next);
            }
            seen.dedup();
            assert_eq!(seen.len(), 3, "from {current}: {seen:?}");
        }
    }

    #[test]
    fn poor_alliance_rule_acts_only_on_a_poor_alliance_at_its_session() {
        let rule = PoorAllianceRule {
            enabled: true,
            after_sessions: 3,
            threshold: 3.0,
            action: PoorAllianceAction::Rematch,
        };
        let poor = 12 * 3 - 1;
        assert_eq!(rule.action_after(2, poor, true), None);
        assert_eq!(rule.action_after(3, 12 * 3, true), None);
        assert_eq!(
            rule.action_after(3, poor, true),
            Some(PoorAllianceAction::Rematch)
        );
        assert_eq!(
            rule.action_after(3, poor, false),
            Some(PoorAllianceAction::Stop)
        );
        let off = PoorAllianceRule {
            enabled: false,
            ..rule
        };
        assert_eq!(off.action_after(3, poor, true), None);
    }
}
