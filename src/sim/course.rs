//! One patient's course, week by week: the session loop that ties the mechanisms together.
//!
//! Order within a session week: the symptom score is taken before the session (as routine
//! services do, so improvement during the wait shows at session 1: D3); behaviour and
//! complementarity; alliance growth; rupture, detection and repair; the WAI-SR at the end of
//! the session; the week's symptom change, driven by the session; then the decision about
//! coming back (planned ending, poor-alliance rule, good-enough ending, dropout).
//!
//! Every random number comes from the patient's week stream at a fixed slot, so the course of a
//! patient under another arm or policy reuses the same draws wherever the change does not act
//! (common random numbers).

use serde::Serialize;

use crate::model::alliance::{self, Alliance, SessionInfluences};
use crate::model::attendance::Ending;
use crate::model::interpersonal::session_behaviour;
use crate::model::measures::{observer_alliance, symptom_score, wai_sr_items, wai_total};
use crate::model::patient::Patient;
use crate::model::policy::PoorAllianceAction;
use crate::model::rupture::{self, RuptureEvent, RuptureModifiers};
use crate::model::symptoms::{SessionEffect, week_change};
use crate::model::therapist::{Therapist, TherapistTraits};
use crate::model::treatment::{Arm, ArmKind};
use crate::random::{Slot, WeekDraws, WeekStreams};
use crate::scenario::Scenario;

/// A patient's state after a session row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Will attend the next session.
    Active,
    /// Moved to another therapist after this session (poor-alliance rule).
    Rematched,
    /// A waitlist week.
    Waiting,
    /// This was the last session (or week): the course ended as its `Ending` says.
    Ended(Ending),
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Rematched => "rematched",
            Status::Waiting => "waiting",
            Status::Ended(e) => e.as_str(),
        }
    }
}

/// One session (or, for a waitlist arm, one planned session week).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionRecord {
    pub session: u32,
    pub week: u32,
    /// Index of the therapist in the arm's pool (changes after a re-match).
    pub therapist: u32,
    pub attended: bool,
    /// Latent alliance at the end of the session.
    pub alliance: Alliance,
    pub wai_patient: u32,
    pub wai_therapist: u32,
    /// The patient's 12 WAI-SR item ratings (0 when not attended).
    pub wai_patient_items: [u8; 12],
    pub wai_observer: f64,
    pub complementarity: f64,
    pub rupture_hazard: f64,
    pub rupture: Option<RuptureEvent>,
    /// Latent severity before the session.
    pub symptom_latent: f64,
    /// Measured score before the session.
    pub symptom_score: f64,
    pub not_on_track: bool,
    /// A sudden gain happened in the week after this session (latent event).
    pub sudden_gain: bool,
    pub status: Status,
}

/// Summary of a course.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Course {
    pub intake_latent: f64,
    pub intake_score: f64,
    /// Score at the end of treatment: an end-of-treatment assessment after completion, a
    /// good-enough or a stopped ending; the last observed score for dropouts (as routine
    /// services record it); the end assessment for waitlist arms.
    pub final_score: f64,
    /// Score at the planned end of the trial (intake + wait + planned sessions), for everyone:
    /// what an intention-to-treat follow-up assessment would see.
    pub post_score: f64,
    /// Latent severity at the planned end.
    pub end_latent: f64,
    pub ending: Ending,
    pub sessions_attended: u32,
    pub ruptures: u32,
    pub repairs: u32,
    pub ruptures_reported_by_patient: u32,
    pub ruptures_reported_by_therapist: u32,
    pub ruptures_reported_by_observer: u32,
    pub sudden_gains: u32,
    /// Patient-rated WAI-SR total at session 3, if attended.
    pub wai_patient_s3: Option<u32>,
    /// Latent alliance at session 3, if attended.
    pub alliance_s3: Option<f64>,
    /// Therapist index in the pool at the first session and at the end.
    pub first_therapist: Option<u32>,
    pub last_therapist: Option<u32>,
    pub sessions: Vec<SessionRecord>,
}

/// What a course needs besides the scenario.
pub struct CourseInput<'a> {
    pub scenario: &'a Scenario,
    pub arm: &'a Arm,
    pub patient: &'a Patient,
    /// The therapists of the arm's pool (empty for a waitlist arm).
    pub therapists: &'a [Therapist],
    /// Index of the patient's therapist in `therapists`.
    pub therapist: u32,
    /// Record session rows.
    pub record: bool,
}

/// Therapist traits as an arm's policies leave them (rupture-resolution training).
fn trained(t: &TherapistTraits, arm: &Arm) -> TherapistTraits {
    let mut t = t.clone();
    let rt = &arm.policies.rupture_training;
    if rt.enabled {
        t.repair_skill = (t.repair_skill + rt.repair_skill_gain).min(1.0);
        t.attunement = (t.attunement + rt.attunement_gain).min(1.0);
    }
    t
}

/// Simulates one course. `weeks` is the patient's week stream.
pub fn simulate(input: &CourseInput<'_>, weeks: &mut WeekStreams) -> Course {
    let sc = input.scenario;
    let arm = input.arm;
    let pt = &input.patient.traits;
    let inst = &sc.instrument;
    let mech = &sc.mechanisms;
    let meas = &mech.measurement;
    let scale = inst.scale();
    let wait = sc.design.wait_weeks;
    let end_week = sc.end_week(arm);
    let mut d = WeekDraws::default();

    weeks.fill(0, false, &mut d);
    let intake_latent = pt.intake_severity;
    let intake_score = symptom_score(inst, intake_latent, d.z(Slot::ScoreError), meas);
    let mut set_point = (inst.functional_mean
        + pt.set_point * (intake_latent - inst.functional_mean))
        .clamp(inst.min, inst.max);
    let mut s = intake_latent;
    let step = |s: &mut f64, change: f64| *s = (*s + change).clamp(inst.min, inst.max);

    let mut course = Course {
        intake_latent,
        intake_score,
        final_score: intake_score,
        post_score: intake_score,
        end_latent: intake_latent,
        ending: Ending::Waitlist,
        sessions_attended: 0,
        ruptures: 0,
        repairs: 0,
        ruptures_reported_by_patient: 0,
        ruptures_reported_by_therapist: 0,
        ruptures_reported_by_observer: 0,
        sudden_gains: 0,
        wai_patient_s3: None,
        alliance_s3: None,
        first_therapist: None,
        last_therapist: None,
        sessions: Vec::new(),
    };
    let booking_expectancy = pt.expectancy * arm.expectancy;

    // Weeks from intake to the first session (or, for a waitlist, its first weeks): booking
    // raises hope (D3).
    for w in 0..wait {
        if w > 0 {
            // Week 0 was read for the intake.
            weeks.fill(w, false, &mut d);
        }
        let c = week_change(
            &mech.symptoms,
            scale,
            s,
            set_point,
            booking_expectancy,
            None,
            &d,
        );
        step(&mut s, c.total());
    }

    // `last_week`: the week of the last session; `assess_end`: whether an end-of-treatment
    // assessment follows it.
    let (last_week, assess_end) = if arm.kind == ArmKind::Waitlist || input.therapists.is_empty() {
        waitlist_weeks(input, weeks, &mut d, &mut s, set_point, &mut course);
        (sc.design.session_week(arm.sessions), false)
    } else {
        therapy_sessions(input, weeks, &mut d, &mut s, &mut set_point, &mut course)
    };

    // After treatment: the natural course runs on to the planned end.
    let mut w = last_week;
    loop {
        if w > last_week || w == end_week {
            weeks.fill(w, false, &mut d);
            if assess_end && w == last_week + 1 {
                course.final_score = symptom_score(inst, s, d.z(Slot::ScoreError), meas);
            }
            if w >= end_week {
                course.end_latent = s;
                course.post_score = symptom_score(inst, s, d.z(Slot::ScoreError), meas);
                if arm.kind == ArmKind::Waitlist {
                    course.final_score = course.post_score;
                }
                break;
            }
            let c = week_change(&mech.symptoms, scale, s, set_point, 0.0, None, &d);
            step(&mut s, c.total());
        }
        w += 1;
    }
    course
}

/// A waitlist arm: weeks of natural course, with a monitoring row per planned session week.
fn waitlist_weeks(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    s: &mut f64,
    set_point: f64,
    course: &mut Course,
) {
    let sc = input.scenario;
    let inst = &sc.instrument;
    let scale = inst.scale();
    let mech = &sc.mechanisms;
    for t in 1..=input.arm.sessions {
        let w = sc.design.session_week(t);
        weeks.fill(w, false, d);
        if input.record {
            course.sessions.push(SessionRecord {
                session: t,
                week: w,
                therapist: 0,
                attended: false,
                alliance: Alliance::default(),
                wai_patient: 0,
                wai_therapist: 0,
                wai_patient_items: [0; 12],
                wai_observer: f64::NAN,
                complementarity: f64::NAN,
                rupture_hazard: 0.0,
                rupture: None,
                symptom_latent: *s,
                symptom_score: symptom_score(inst, *s, d.z(Slot::ScoreError), &mech.measurement),
                not_on_track: false,
                sudden_gain: false,
                status: if t == input.arm.sessions {
                    Status::Ended(Ending::Waitlist)
                } else {
                    Status::Waiting
                },
            });
        }
        let c = week_change(&mech.symptoms, scale, *s, set_point, 0.0, None, d);
        *s = (*s + c.total()).clamp(inst.min, inst.max);
    }
    course.ending = Ending::Waitlist;
}

/// The sessions of a therapy arm. Returns the week of the last session and whether an
/// end-of-treatment assessment follows.
fn therapy_sessions(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    s: &mut f64,
    set_point: &mut f64,
    course: &mut Course,
) -> (u32, bool) {
    let sc = input.scenario;
    let arm = input.arm;
    let pt = &input.patient.traits;
    let inst = &sc.instrument;
    let mech = &sc.mechanisms;
    let meas = &mech.measurement;
    let pol = &arm.policies;
    let scale = inst.scale();

    let mut therapist_index = input.therapist;
    let mut th = trained(&input.therapists[therapist_index as usize].traits, arm);
    let mut rematched = false;
    let mut alliance: Option<Alliance> = None;
    let mut strain = 0.0f64;
    // Trust built by repaired ruptures (a corrective experience that lasts).
    let mut trust = 0.0f64;
    let mut prev_latent: Option<f64> = None;
    // Alliance focus prompted by a low patient rating last session (alliance feedback).
    let mut feedback_focus = 0.0;
    // The treatment plan of a not-on-track case revised with clinical support tools.
    let mut revised = false;
    course.first_therapist = Some(therapist_index);

    for t in 1..=arm.sessions {
        let w = sc.design.session_week(t);
        weeks.fill(w, true, d);
        let held_by = therapist_index;
        let pre_latent = *s;
        let pre_score = symptom_score(inst, pre_latent, d.z(Slot::ScoreError), meas);
        let not_on_track = pol.rom.enabled
            && t >= pol.rom.from_session
            && course.intake_score - pre_score < pol.rom.not_on_track_share * inst.rc_threshold;
        let support = not_on_track && pol.rom.clinical_support_tools;
        revised |= support;

        let beh = session_behaviour(&mech.complementarity, &th, pt, strain, d);
        let focus = feedback_focus
            + mech.repair.trust_weight * trust
            + match (not_on_track, support) {
                (true, true) => pol.rom.alliance_focus + pol.rom.support_alliance_focus,
                (true, false) => pol.rom.alliance_focus,
                _ => 0.0,
            };
        let ceiling = alliance::ceiling(&mech.alliance, &th, pt, arm.structure, strain, focus);
        let a = alliance.get_or_insert_with(|| alliance::initial(&mech.alliance, &ceiling, pt));
        let comp = &mech.complementarity;
        let challenge = if t >= arm.challenge_onset {
            arm.challenge
        } else {
            0.0
        };
        let influences = SessionInfluences {
            complementarity_gain: if comp.enabled {
                comp.bond_weight * (beh.complementarity - comp.reference)
            } else {
                0.0
            },
            reciprocal_gain: match prev_latent {
                Some(prev) if mech.reciprocal.enabled => {
                    mech.reciprocal.weight * (prev - pre_latent) / inst.sd
                }
                _ => 0.0,
            },
            challenge,
            rigidity: 1.0 - th.flexibility,
        };
        alliance::grow(&mech.alliance, a, &ceiling, &influences, d);

        let mismatch = if comp.enabled {
            comp.reference - beh.complementarity
        } else {
            0.0
        };
        let hazard = if mech.ruptures.enabled {
            rupture::hazard(&mech.ruptures, &th, pt, a.total(), challenge, mismatch)
        } else {
            0.0
        };
        let modifiers = RuptureModifiers {
            notice_boost: if not_on_track {
                pol.rom.attunement_boost
            } else {
                0.0
            },
            repair_boost: if support {
                pol.rom.support_repair_boost
            } else {
                0.0
            },
            feedback_notice: if pol.alliance_feedback.enabled {
                pol.alliance_feedback.notice_probability
            } else {
                0.0
            },
        };
        strain *= mech.repair.strain_decay;
        trust *= mech.repair.trust_decay;
        let event = rupture::session_rupture(
            &mech.ruptures,
            &mech.repair,
            &th,
            pt,
            a,
            hazard,
            modifiers,
            d,
        )
        .map(|(e, added)| {
            strain += added;
            if e.repaired {
                trust += e.severity;
            }
            e
        });
        if let Some(e) = &event {
            course.ruptures += 1;
            course.repairs += u32::from(e.repaired);
            course.ruptures_reported_by_patient += u32::from(e.reported_by_patient);
            course.ruptures_reported_by_therapist += u32::from(e.noticed && !e.via_feedback);
            course.ruptures_reported_by_observer += u32::from(e.reported_by_observer);
        }

        // Ratings are drawn from fixed slots, so computing them only when something reads them
        // (the session table, session 3, the poor-alliance rule) changes no result.
        let rated = input.record
            || t == 3
            || pol.alliance_feedback.enabled
            || (pol.poor_alliance.enabled && t == pol.poor_alliance.after_sessions);
        let items_p = if rated {
            wai_sr_items(
                a,
                pt.rating_bias,
                meas,
                d,
                Slot::WaiPatientSession,
                Slot::WaiPatientItems,
            )
        } else {
            [0; 12]
        };
        let wai_patient = wai_total(&items_p);
        let af = &pol.alliance_feedback;
        feedback_focus = if af.enabled && f64::from(wai_patient) / 12.0 < af.low_alliance_threshold
        {
            af.alliance_focus
        } else {
            0.0
        };
        let a_end = *a;
        if t == 3 {
            course.wai_patient_s3 = Some(wai_patient);
            course.alliance_s3 = Some(a.total());
        }

        let phase = if t >= arm.challenge_onset { 1.0 } else { 0.5 };
        let effect = SessionEffect {
            session: t,
            alliance: a.total(),
            technique: arm.technique_potency * phase,
            common_factors: arm.common_factors,
            expectancy: pt.expectancy * arm.expectancy,
            rigid_strain: (1.0 - th.flexibility) * strain,
            responsiveness: pt.responsiveness
                + if revised {
                    pol.rom.support_responsiveness
                } else {
                    0.0
                },
        };
        let change = week_change(&mech.symptoms, scale, *s, *set_point, 0.0, Some(effect), d);
        if mech.symptoms.natural.enabled {
            *set_point = (*set_point + mech.symptoms.natural.therapy_durability * change.therapy())
                .clamp(inst.min, inst.max);
        }
        *s = (*s + change.total()).clamp(inst.min, inst.max);
        prev_latent = Some(pre_latent);
        course.sessions_attended = t;
        course.sudden_gains += u32::from(change.sudden_gain < 0.0);

        // Coming back?
        let pa = &pol.poor_alliance;
        let good_enough = sc.design.ending == crate::model::treatment::EndingRule::GoodEnough
            && t >= sc.design.good_enough_min_sessions
            && !inst.is_case(pre_score)
            && course.intake_score - pre_score >= inst.rc_threshold
            && d.u(Slot::GoodEnough) < sc.design.good_enough_probability;
        let unrepaired = event.is_some_and(|e| !e.repaired);
        let p_drop = mech.dropout.hazard(
            t,
            a_end.total(),
            strain,
            unrepaired,
            pt.motivation,
            (course.intake_latent - *s) / inst.sd,
            match (not_on_track, support) {
                (true, true) => pol.rom.dropout_reduction + pol.rom.support_dropout_reduction,
                (true, false) => pol.rom.dropout_reduction,
                _ => 0.0,
            },
        );
        let mut status = Status::Active;
        if t == arm.sessions {
            status = Status::Ended(Ending::Completed);
        } else if pa.enabled
            && t == pa.after_sessions
            && f64::from(wai_patient) / 12.0 < pa.threshold
        {
            if pa.action == PoorAllianceAction::Rematch && !rematched && input.therapists.len() > 1
            {
                let k = input.therapists.len() as u32;
                let mut next = ((d.u(Slot::Rematch) * f64::from(k - 1)) as u32).min(k - 2);
                if next >= therapist_index {
                    next += 1;
                }
                therapist_index = next;
                th = trained(&input.therapists[next as usize].traits, arm);
                rematched = true;
                alliance = None;
                strain = 0.0;
                trust = 0.0;
                status = Status::Rematched;
            } else {
                status = Status::Ended(Ending::Stopped);
            }
        } else if good_enough {
            status = Status::Ended(Ending::GoodEnough);
        } else if d.u(Slot::Dropout) < p_drop {
            status = Status::Ended(Ending::DroppedOut);
        }

        if input.record {
            course.sessions.push(SessionRecord {
                session: t,
                week: w,
                therapist: held_by,
                attended: true,
                alliance: a_end,
                wai_patient,
                wai_therapist: wai_total(&wai_sr_items(
                    &a_end,
                    th.rating_bias,
                    meas,
                    d,
                    Slot::WaiTherapistSession,
                    Slot::WaiTherapistItems,
                )),
                wai_patient_items: items_p,
                wai_observer: observer_alliance(&a_end, meas, d),
                complementarity: beh.complementarity,
                rupture_hazard: hazard,
                rupture: event,
                symptom_latent: pre_latent,
                symptom_score: pre_score,
                not_on_track,
                sudden_gain: change.sudden_gain < 0.0,
                status,
            });
        }
        course.last_therapist = Some(therapist_index);
        if let Status::Ended(e) = status {
            course.ending = e;
            if e == Ending::DroppedOut {
                // Dropouts leave no end-of-treatment score: the last observed one stands.
                course.final_score = pre_score;
            }
            return (w, e != Ending::DroppedOut);
        }
    }
    unreachable!("the last planned session ends the course")
}
