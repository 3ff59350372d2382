//! One patient's course, week by week: intake, the weeks before treatment, the treatment (the
//! sessions of a therapy arm, `session`, or the weeks of a waitlist arm), then the natural
//! course to the planned end of the trial.
//!
//! Every random number comes from the patient's week stream at a fixed slot, so the course of a
//! patient under another arm or policy reuses the same draws wherever the change does not act
//! (common random numbers). Each week fills its draws once (`WeekStreams::fill`); a week without
//! a session reads only the natural-course slots: `ScoreError` when a score is taken, and
//! `SymptomNoise`, `ShockOccurs`, `ShockSize` for the week's change. The order of a session
//! week's slots is written down in `session`.

mod session;

use serde::Serialize;

use crate::model::alliance::Alliance;
use crate::model::attachment::Attachment;
use crate::model::attendance::Ending;
use crate::model::instrument::Instrument;
use crate::model::judgement::Verdict;
use crate::model::measures::symptom_score;
use crate::model::patient::{Patient, PatientTraits};
use crate::model::rupture::RuptureEvent;
use crate::model::symptoms::{SymptomParams, WeekChange, week_change};
use crate::model::therapist::Therapist;
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
    /// The therapist's own view of progress before the session (none when
    /// `mechanisms.judgement` is off).
    pub therapist_view: Option<Verdict>,
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
    /// The therapist judged the patient deteriorating, by their own view, at some session.
    pub judged_deteriorating: bool,
    /// The therapist's own view at the last attended session.
    pub last_view: Option<Verdict>,
    /// Outcome monitoring flagged the case not on track at some session.
    pub alerted: bool,
    /// Alerts that reached a therapist whose own view had not seen the patient deteriorating.
    pub alerts_correcting: u32,
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

/// The patient's latent severity and the personal set point natural course drifts towards.
#[derive(Clone, Copy, Debug)]
struct Severity {
    latent: f64,
    set_point: f64,
}

impl Severity {
    /// At intake: the set point lies the patient's `set_point` share of the way from the
    /// functional population's mean to the intake severity.
    fn at_intake(inst: &Instrument, pt: &PatientTraits, attachment: &Attachment) -> Severity {
        let latent = pt.intake_severity;
        let share = attachment.set_point(pt.set_point, pt.attachment_anxiety);
        let set_point = (inst.functional_mean + share * (latent - inst.functional_mean))
            .clamp(inst.min, inst.max);
        Severity { latent, set_point }
    }

    /// A week's change, kept within the scale.
    fn step(&mut self, change: f64, inst: &Instrument) {
        self.latent = (self.latent + change).clamp(inst.min, inst.max);
    }

    /// A session week's change: the share brought by therapy also moves the set point, so that
    /// it lasts after therapy (`therapy_durability`: M8, G1).
    fn after_session(&mut self, p: &SymptomParams, c: &WeekChange, inst: &Instrument) {
        if p.natural.enabled {
            self.set_point = (self.set_point + p.natural.therapy_durability * c.therapy())
                .clamp(inst.min, inst.max);
        }
        self.after_week(p, c, inst);
    }

    /// Any week's change: a severe life event's lasting part moves the set point
    /// (`life_events.persistence`), then the week's change is applied.
    fn after_week(&mut self, p: &SymptomParams, c: &WeekChange, inst: &Instrument) {
        self.set_point =
            (self.set_point + p.life_events.persistence * c.life_event).clamp(inst.min, inst.max);
        self.step(c.total(), inst);
    }

    /// A week of natural course, with `expectancy` acting while waiting for treatment (D3).
    /// Slots: `SymptomNoise`, `ShockOccurs`, `ShockSize`, `LifeEventOccurs`, `LifeEventSize`.
    fn natural_week(&mut self, sc: &Scenario, expectancy: f64, d: &WeekDraws) {
        let inst = &sc.instrument;
        let c = week_change(
            &sc.mechanisms.symptoms,
            inst.scale(),
            self.latent,
            self.set_point,
            expectancy,
            None,
            d,
        );
        self.after_week(&sc.mechanisms.symptoms, &c, inst);
    }
}

/// How the treatment phase ended.
struct TreatmentEnd {
    /// The week of the last session (or planned session week of a waitlist).
    last_week: u32,
    /// Whether an end-of-treatment assessment follows the last session.
    assess_end: bool,
    severity: Severity,
}

/// Simulates one course. `weeks` is the patient's week stream.
pub fn simulate(input: &CourseInput<'_>, weeks: &mut WeekStreams) -> Course {
    let mut d = WeekDraws::default();
    let (mut course, mut severity) = intake(input, weeks, &mut d);
    before_treatment(input, weeks, &mut d, &mut severity);
    let end = if input.arm.kind == ArmKind::Waitlist || input.therapists.is_empty() {
        waitlist_weeks(input, weeks, &mut d, severity, &mut course)
    } else {
        session::therapy_sessions(input, weeks, &mut d, severity, &mut course)
    };
    after_treatment(input, weeks, &mut d, end, &mut course);
    course
}

/// Intake, week 0: the intake score. Slot: `ScoreError`.
fn intake(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
) -> (Course, Severity) {
    let inst = &input.scenario.instrument;
    let meas = &input.scenario.mechanisms.measurement;
    weeks.fill(0, false, d);
    let severity = Severity::at_intake(
        inst,
        &input.patient.traits,
        &input.scenario.mechanisms.symptoms.attachment,
    );
    let intake_latent = severity.latent;
    let intake_score = symptom_score(inst, intake_latent, d.z(Slot::ScoreError), meas);
    let course = Course {
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
        judged_deteriorating: false,
        last_view: None,
        alerted: false,
        alerts_correcting: 0,
        wai_patient_s3: None,
        alliance_s3: None,
        first_therapist: None,
        last_therapist: None,
        sessions: Vec::new(),
    };
    (course, severity)
}

/// The weeks from intake to the first session (or, for a waitlist, its first weeks): booking
/// raises hope (D3). Week 0 reuses the intake's draws.
fn before_treatment(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    severity: &mut Severity,
) {
    let booking_expectancy = input.patient.traits.expectancy * input.arm.expectancy;
    for w in 0..input.scenario.design.wait_weeks {
        if w > 0 {
            weeks.fill(w, false, d);
        }
        severity.natural_week(input.scenario, booking_expectancy, d);
    }
}

/// A waitlist arm: weeks of natural course, with a monitoring row per planned session week.
/// Slots: `ScoreError` (when rows are recorded), then the natural week's.
fn waitlist_weeks(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    mut severity: Severity,
    course: &mut Course,
) -> TreatmentEnd {
    let sc = input.scenario;
    let sessions = input.arm.sessions;
    for t in 1..=sessions {
        let w = sc.design.session_week(t);
        weeks.fill(w, false, d);
        if input.record {
            let score = symptom_score(
                &sc.instrument,
                severity.latent,
                d.z(Slot::ScoreError),
                &sc.mechanisms.measurement,
            );
            let status = if t == sessions {
                Status::Ended(Ending::Waitlist)
            } else {
                Status::Waiting
            };
            course
                .sessions
                .push(SessionRecord::waiting(t, w, severity.latent, score, status));
        }
        severity.natural_week(sc, 0.0, d);
    }
    course.ending = Ending::Waitlist;
    TreatmentEnd {
        last_week: sc.design.session_week(sessions),
        assess_end: false,
        severity,
    }
}

/// After treatment: the end-of-treatment assessment the week after the last session (when one
/// follows), and the natural course on to the planned end, where the post score is taken.
/// Slots: `ScoreError` at each assessment, the natural week's in between.
fn after_treatment(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    end: TreatmentEnd,
    course: &mut Course,
) {
    let sc = input.scenario;
    let inst = &sc.instrument;
    let meas = &sc.mechanisms.measurement;
    let end_week = sc.end_week(input.arm);
    let mut severity = end.severity;
    // The planned end may fall on the last session's week itself.
    let first = if end.last_week == end_week {
        end.last_week
    } else {
        end.last_week + 1
    };
    for w in first.. {
        weeks.fill(w, false, d);
        if end.assess_end && w == end.last_week + 1 {
            course.final_score = symptom_score(inst, severity.latent, d.z(Slot::ScoreError), meas);
        }
        if w >= end_week {
            course.end_latent = severity.latent;
            course.post_score = symptom_score(inst, severity.latent, d.z(Slot::ScoreError), meas);
            if input.arm.kind == ArmKind::Waitlist {
                course.final_score = course.post_score;
            }
            return;
        }
        severity.natural_week(sc, 0.0, d);
    }
}

impl SessionRecord {
    /// A waitlist week's row: the score, no session.
    fn waiting(session: u32, week: u32, latent: f64, score: f64, status: Status) -> Self {
        SessionRecord {
            session,
            week,
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
            symptom_latent: latent,
            symptom_score: score,
            not_on_track: false,
            therapist_view: None,
            sudden_gain: false,
            status,
        }
    }
}
