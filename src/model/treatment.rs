//! Treatments (arms) and the design of a course of treatment.
//!
//! A modality has a specific-technique potency, a challenge profile over sessions (phase one,
//! about the first five sessions, builds goals and bond; phase two challenges thoughts and
//! behaviour, which patients may read as withdrawn support), a degree of structure, and a
//! delivery of common factors. Bona fide treatments share the common factors, so their outcomes
//! differ little (Wampold et al. 1997, M11). Waitlist and no-treatment arms have no sessions.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::policy::Policies;

/// Whether an arm delivers sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmKind {
    /// Sessions with a therapist from a pool (bona fide therapy, counselling, care as usual).
    Therapy,
    /// No sessions until the end of the planned course (waitlist or no treatment).
    Waitlist,
}

/// One arm of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arm {
    pub name: String,
    pub kind: ArmKind,
    /// Index of the therapist pool that delivers the arm (therapy arms).
    pub pool: Option<usize>,
    /// Name of that pool, as written in the file.
    pub pool_name: Option<String>,
    /// Relative allocation ratio.
    pub allocation: f64,
    /// Specific-technique potency: share of remaining severity removed per session by technique
    /// on a fully adequate alliance (per session, in phase two).
    pub technique_potency: f64,
    /// How fully the setting delivers the common factors (1 = bona fide therapy).
    pub common_factors: f64,
    /// Strength of the phase-two challenge (0 = purely supportive).
    pub challenge: f64,
    /// Session at which phase two (challenge) begins.
    pub challenge_onset: u32,
    /// Degree of structure, 0-1, matched against patients' preference.
    pub structure: f64,
    /// Multiplier of the patient's expectancy effect in this arm.
    pub expectancy: f64,
    /// Planned number of sessions.
    pub sessions: u32,
    pub policies: Policies,
}

/// How a course of treatment ends when the patient does not drop out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndingRule {
    /// Every course runs to the planned number of sessions (as in trials).
    Fixed,
    /// Patient and therapist may end once the patient is no longer a case and reliably improved
    /// (the good-enough level: Barkham et al. 2006; Stulz et al.).
    GoodEnough,
}

/// The design of a course of treatment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Design {
    /// Planned sessions of a therapy arm (an arm may override it).
    pub planned_sessions: u32,
    /// Weeks between intake and the first session.
    pub wait_weeks: u32,
    pub ending: EndingRule,
    /// Earliest session after which a good-enough ending may happen.
    pub good_enough_min_sessions: u32,
    /// Per-session probability of ending once the good-enough criterion is met.
    pub good_enough_probability: f64,
    /// Week (from intake) of the end assessment of every patient; 0 = the week after each
    /// arm's last planned session.
    pub follow_up_week: u32,
    /// Share of the way from a patient's own expected duration to the planned sessions that the
    /// service's agreement at the start moves them (`mechanisms.duration_expectation`).
    pub duration_agreed: f64,
}

impl Design {
    /// Reads `[design]`.
    pub fn read(t: &Table<'_>) -> Design {
        Design {
            planned_sessions: t.int("planned_sessions", 12, 1, 200,
                "Planned number of weekly sessions of a therapy arm (IAPT high intensity: up to 12-20; trials a mean of about 12.7, D5).") as u32,
            wait_weeks: t.int("wait_weeks", 2, 1, 104,
                "Weeks from intake (booking) to the first session; expectancy acts during the wait, so some patients improve before session 1 (D3).") as u32,
            ending: match t.choice("ending", "good_enough", &["fixed", "good_enough"],
                "Ending rule: `fixed` (every course runs to the planned sessions, as in trials) or `good_enough` (patients may end once recovered: the good-enough level: Barkham et al. 2006).") {
                "fixed" => EndingRule::Fixed,
                _ => EndingRule::GoodEnough,
            },
            good_enough_min_sessions: t.int("good_enough_min_sessions", 3, 1, 200,
                "Earliest session at which a good-enough ending can happen.") as u32,
            good_enough_probability: t.f64("good_enough_probability", 0.15, 0.0, 1.0,
                "Per-session probability of a good-enough ending once the pre-session score is below the cut-off and reliably improved from intake."),
            follow_up_week: t.int("follow_up_week", 0, 0, 1040,
                "Week after intake of the end (follow-up) assessment that every patient gets, whatever their arm or ending (`post_score` in patients.csv): a trial's fixed endpoint, e.g. 78 for 18 months. 0: the week after each arm's last planned session.") as u32,
            duration_agreed: t.f64("duration_agreed", 1.0, 0.0, 1.0,
                "How far the planned number of sessions is agreed with each patient at the start (role induction on duration: Swift & Callahan 2011), 0-1: the patient's working expectation moves this share of the way from their own `expected_sessions` to the planned sessions. 1: the course is agreed, as in trials and stepped care; 0: routine care where patients come with their own expectation (`mechanisms.duration_expectation`)."),
        }
    }

    /// Week of session `t` (1-based); intake is week 0.
    pub fn session_week(&self, t: u32) -> u32 {
        self.wait_weeks + t - 1
    }
}

impl Arm {
    /// Reads one `[[arms]]` table. `pools` are the names of the therapist pools.
    pub fn read(t: &Table<'_>, index: usize, pools: &[String], design: &Design) -> Arm {
        let arm = Arm::read_fields(t, index, pools, design);
        // Defaults that follow the arm's kind or the design.
        t.mark_derived(&[
            "pool",
            "technique_potency",
            "common_factors",
            "challenge",
            "expectancy",
            "sessions",
        ]);
        let rule = &arm.policies.poor_alliance;
        if arm.kind == ArmKind::Therapy && rule.enabled && rule.after_sessions >= arm.sessions {
            let keys = ["policies", "poor_alliance_rule", "after_sessions"];
            let mut path = t.path().to_vec();
            path.extend(
                keys.iter()
                    .map(|k| crate::config::reader::Seg::Key(k.to_string())),
            );
            t.ctx().error(
                &path,
                &t.location_of(&keys),
                format!(
                    "{} must be below the arm's planned sessions ({}) for the rule to act",
                    rule.after_sessions, arm.sessions
                ),
            );
        }
        arm
    }

    fn read_fields(t: &Table<'_>, index: usize, pools: &[String], design: &Design) -> Arm {
        let default_name = if index == 0 {
            "routine_care".to_string()
        } else {
            format!("arm{}", index + 1)
        };
        let name = t.name(
            "name",
            &default_name,
            "Name of the arm (used in column names, so a-z, 0-9 and _).",
        );
        let kind = match t.choice("kind", "therapy", &["therapy", "waitlist"],
            "`therapy` (sessions with a therapist of `pool`: bona fide therapy, supportive counselling, care as usual) or `waitlist` (no sessions: waitlist or no-treatment control).") {
            "waitlist" => ArmKind::Waitlist,
            _ => ArmKind::Therapy,
        };
        let therapy = kind == ArmKind::Therapy;
        let default_pool = pools.first().cloned().unwrap_or_default();
        let pool_name = t.string("pool", if therapy { &default_pool } else { "" },
            "Name of the therapist pool that delivers the arm (default: the first pool); empty for a waitlist arm. Two arms naming one pool have therapists crossed with arms; separate pools nest therapists in arms.");
        let pool = if therapy {
            match pools.iter().position(|p| *p == pool_name) {
                Some(i) => Some(i),
                None => {
                    let loc = t
                        .get("pool")
                        .map_or(t.location().clone(), |n| n.loc.clone());
                    let hint = crate::config::reader::did_you_mean(
                        &pool_name,
                        pools.iter().map(String::as_str),
                    )
                    .map_or(String::new(), |m| format!(" (did you mean \"{m}\"?)"));
                    t.ctx().error(
                        &t.child("pool"),
                        &loc,
                        format!(
                            "no therapist pool is named \"{pool_name}\"{hint}: expected one of {}",
                            pools
                                .iter()
                                .map(|p| format!("\"{p}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    None
                }
            }
        } else {
            if !pool_name.is_empty() {
                let loc = t
                    .get("pool")
                    .map_or(t.location().clone(), |n| n.loc.clone());
                t.ctx().error(
                    &t.child("pool"),
                    &loc,
                    "a waitlist arm has no therapists: leave `pool` out",
                );
            }
            None
        };
        Arm {
            allocation: t.f64("allocation", 1.0, 1e-9, 1e9,
                "Allocation ratio: patients are allocated to arms in these proportions, by permuted blocks."),
            technique_potency: t.f64("technique_potency", if therapy { 0.055 } else { 0.0 }, 0.0, 1.0,
                "Specific-technique potency: share of the remaining severity (above the functional mean) that technique removes per session in phase two, on an adequate alliance. Bona fide therapies differ here yet differ little in outcome (M11, M12)."),
            common_factors: t.f64("common_factors", if therapy { 1.0 } else { 0.0 }, 0.0, 2.0,
                "How fully the setting delivers the common factors through the alliance (1 = bona fide therapy; lower for minimal routine care)."),
            challenge: t.f64("challenge", if therapy { 0.5 } else { 0.0 }, 0.0, 1.0,
                "Strength of the phase-two challenge to thoughts and behaviour, 0-1: it raises rupture hazard and strains agreement on tasks, more so with a rigid therapist."),
            challenge_onset: t.int("challenge_onset", 5, 1, 200,
                "Session at which phase two (challenge) begins; before it, sessions build goals and bond and technique acts at half strength.") as u32,
            structure: t.f64("structure", 0.6, 0.0, 1.0,
                "Degree of structure of the modality, 0-1 (CBT high, supportive counselling low), matched against patients' `preference`."),
            expectancy: t.f64("expectancy", if therapy { 1.0 } else { 0.4 }, 0.0, 2.0,
                "Multiplier of the patients' expectancy effect in this arm (a waitlist raises less hope than a booked therapy)."),
            sessions: t.int("sessions", i64::from(design.planned_sessions), 1, 200,
                "Planned sessions in this arm (default `design.planned_sessions`); for a waitlist arm, the weeks until the end assessment.") as u32,
            policies: {
                let p = t.table("policies");
                let out = Policies::read(&p);
                p.finish();
                out
            },
            name,
            kind,
            pool,
            pool_name: therapy.then_some(pool_name),
        }
    }
}
