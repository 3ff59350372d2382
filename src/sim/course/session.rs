//! The sessions of a therapy arm: what a course carries from one session to the next
//! (`CourseState`) and one function per step of a session.
//!
//! # The steps of a session and the slots they read
//!
//! Each session week first fills its draws, `WeekStreams::fill(week, true, ..)`: the four
//! natural-course slots from the natural stream, the session slots from the week's block of the
//! session stream. The steps then read fixed slots of that week ([`Slot`]), in this order:
//!
//! | step | function | slots |
//! |------|----------|-------|
//! | 1. score before the session, the therapist's view, outcome-monitoring alert | `open_session` | `ScoreError`, `TherapistImpression` |
//! | 2. behaviour and complementarity | `interpersonal::session_behaviour` | `TherapistWarmth`, `TherapistDominance`, `PatientWarmth`, `PatientDominance` |
//! | 3. alliance growth | `grow_alliance` | `BondNoise`, `GoalsNoise`, `TasksNoise` |
//! | 4. rupture, detection and repair | `rupture_and_repair` | `RuptureOccurs`, `RuptureType`, `RuptureSeverity`, `PatientReports`, `ObserverReports`, `TherapistNotices`, `FeedbackNotice`, `Repair` |
//! | 5. the patient's WAI-SR | `patient_rating` | `WaiPatientSession`, `WaiPatientItems` (12) |
//! | 6. the week's symptom change | `session_symptoms` | `SymptomNoise`, `ShockOccurs`, `ShockSize`, `SuddenGain`, `SuddenGainSize` |
//! | 7. coming back | `coming_back` | `GoodEnough`, `Rematch`, `Dropout` |
//! | 8. the session's row | `record` | `WaiTherapistSession`, `WaiTherapistItems` (12), `WaiObserver` |
//!
//! A slot is read by one step only and its number does not depend on whether another was read,
//! so a step that draws nothing this session (no rupture, no rating needed, no row recorded)
//! moves no other step's numbers. A new draw needs a slot of its own.
//!
//! The score is taken before the session (as routine services do, so improvement during the
//! wait shows at session 1: D3); the WAI-SR at its end; the symptom change of the week follows
//! the session and drives the decision about coming back (planned ending, poor-alliance rule,
//! good-enough ending, dropout).

use super::{Course, CourseInput, SessionRecord, Severity, Status, TreatmentEnd};
use crate::model::alliance::{self, Alliance, SessionInfluences};
use crate::model::attendance::{self, Ending};
use crate::model::duration::DurationExpectation;
use crate::model::felt::Felt;
use crate::model::interpersonal::{Behaviour, session_behaviour};
use crate::model::judgement::{ProgressView, Verdict};
use crate::model::measures::{observer_alliance, symptom_score, wai_sr_items, wai_total};
use crate::model::policy::{self, Alert, PoorAllianceAction};
use crate::model::rupture::{self, Aftermath, RuptureEvent};
use crate::model::symptoms::{SessionEffect, WeekChange, week_change};
use crate::model::therapist::TherapistTraits;
use crate::model::treatment::Arm;
use crate::random::{RATER_ITEMS, Slot, WeekDraws, WeekStreams};

/// The patient with one therapist.
struct Dyad {
    /// Index of the therapist in the arm's pool.
    therapist: u32,
    /// The therapist's traits as the arm's rupture-resolution training leaves them.
    traits: TherapistTraits,
    /// The alliance at the end of their last session (none before their first).
    alliance: Option<Alliance>,
    /// Strain and trust left by their past ruptures.
    aftermath: Aftermath,
    /// What the repair of last session's rupture restores when they meet again.
    pending_repair: Alliance,
    /// The therapist's view of the patient's progress (none before their first session).
    view: Option<ProgressView>,
}

impl Dyad {
    /// The patient with therapist `therapist` of the pool, before their first session.
    fn new(input: &CourseInput<'_>, therapist: u32) -> Dyad {
        let training = &input.arm.policies.rupture_training;
        Dyad {
            therapist,
            traits: training.trained(&input.therapists[therapist as usize].traits),
            alliance: None,
            aftermath: Aftermath::default(),
            pending_repair: Alliance::default(),
            view: None,
        }
    }
}

/// What a therapy course carries from one session to the next.
struct CourseState {
    dyad: Dyad,
    /// The patient's (0-11) and the therapist's (12-23) stable WAI-SR item effects.
    rater_items: [f64; RATER_ITEMS],
    /// The patient was re-matched once (poor-alliance rule).
    rematched: bool,
    severity: Severity,
    /// Alliance focus prompted by a low patient rating last session (alliance feedback).
    feedback_focus: f64,
    /// The treatment plan of a not-on-track case was revised with clinical support tools.
    revised: bool,
    /// The patient's felt severity and how long they have felt well enough.
    felt: Felt,
}

impl CourseState {
    /// Before the first session, with the therapist the patient was assigned.
    fn new(
        input: &CourseInput<'_>,
        severity: Severity,
        intake_latent: f64,
        rater_items: [f64; RATER_ITEMS],
    ) -> CourseState {
        CourseState {
            dyad: Dyad::new(input, input.therapist),
            rater_items,
            rematched: false,
            severity,
            feedback_focus: 0.0,
            revised: false,
            felt: Felt::at_intake(intake_latent),
        }
    }
}

/// The session before it starts: number, week, who holds it, the symptoms before it and the
/// outcome-monitoring alert.
struct Opening {
    number: u32,
    week: u32,
    therapist: u32,
    latent: f64,
    /// Latent improvement since intake [instrument SDs].
    improvement: f64,
    score: f64,
    alert: Alert,
    /// The therapist's own view of the patient's progress, formed before the alert.
    view: Option<Verdict>,
}

/// The session's rupture hazard and its rupture, if any.
struct SessionRupture {
    hazard: f64,
    event: Option<RuptureEvent>,
}

/// The patient's WAI-SR at the end of the session (zeros when nothing reads it).
struct Rating {
    items: [u8; 12],
    total: u32,
}

/// What the steps of one session produce, before the decision about coming back.
struct Session {
    opening: Opening,
    complementarity: f64,
    /// The latent alliance at the end of the session.
    alliance: Alliance,
    rupture: SessionRupture,
    rating: Rating,
    /// A sudden gain happened in the week after the session.
    sudden_gain: bool,
}

/// The sessions of a therapy arm, step by step (slots: see the table above). Returns how the
/// treatment ended.
pub(super) fn therapy_sessions(
    input: &CourseInput<'_>,
    weeks: &mut WeekStreams,
    d: &mut WeekDraws,
    severity: Severity,
    course: &mut Course,
) -> TreatmentEnd {
    let mech = &input.scenario.mechanisms;
    let pt = &input.patient.traits;
    let mut state = CourseState::new(input, severity, course.intake_latent, *weeks.rater_items());
    course.first_therapist = Some(state.dyad.therapist);
    for t in 1..=input.arm.sessions {
        let week = input.scenario.design.session_week(t);
        weeks.fill(week, true, d);
        let intake = (course.intake_score, course.intake_latent);
        let opening = open_session(input, &mut state, intake, t, week, d);
        let strain = state.dyad.aftermath.strain;
        let behaviour = session_behaviour(&mech.complementarity, &state.dyad.traits, pt, strain, d);
        let mut alliance = grow_alliance(input, &mut state, &opening, &behaviour, d);
        let dyad = &mut state.dyad;
        let rupture = rupture_and_repair(input, dyad, &opening, &behaviour, &mut alliance, d);
        dyad.alliance = Some(alliance);
        let rating = patient_rating(input, &mut state, t, &alliance, d);
        let change = session_symptoms(input, &mut state, &opening, &alliance, d);
        let session = Session {
            opening,
            complementarity: behaviour.complementarity,
            alliance,
            rupture,
            rating,
            sudden_gain: change.sudden_gain < 0.0,
        };
        tally(course, &session);
        let status = coming_back(input, &mut state, course, &session, d);
        if input.record {
            let row = record(input, &state, &session, status, d);
            course.sessions.push(row);
        }
        course.last_therapist = Some(state.dyad.therapist);
        if let Status::Ended(ending) = status {
            return end_of_therapy(course, ending, &session, state.severity);
        }
    }
    unreachable!("the last planned session ends the course")
}

/// The course ends after this session: its ending; a dropout's final score is the last observed
/// one (no end-of-treatment assessment follows), anyone else's is assessed the week after.
fn end_of_therapy(
    course: &mut Course,
    ending: Ending,
    last: &Session,
    severity: Severity,
) -> TreatmentEnd {
    course.ending = ending;
    if ending == Ending::DroppedOut {
        course.final_score = last.opening.score;
    }
    TreatmentEnd {
        last_week: last.opening.week,
        assess_end: ending != Ending::DroppedOut,
        severity,
    }
}

/// Phase-two challenge at session `t` (0 in phase one).
fn challenge(arm: &Arm, t: u32) -> f64 {
    if t >= arm.challenge_onset {
        arm.challenge
    } else {
        0.0
    }
}

/// Step 1, before the session: the patient's felt severity takes in the past week, then the
/// symptom score, the therapist's own view of progress and the outcome-monitoring alert that may
/// correct it; clinical support tools, once used, leave the plan revised. `intake` is the intake
/// score and latent severity. Slots: `ScoreError`, `TherapistImpression`.
fn open_session(
    input: &CourseInput<'_>,
    state: &mut CourseState,
    intake: (f64, f64),
    t: u32,
    week: u32,
    d: &WeekDraws,
) -> Opening {
    let (intake_score, intake_latent) = intake;
    let inst = &input.scenario.instrument;
    let latent = state.severity.latent;
    let mech = &input.scenario.mechanisms;
    state
        .felt
        .update(&mech.felt_improvement, inst, intake_latent, latent);
    let meas = &mech.measurement;
    let score = symptom_score(inst, latent, d.z(Slot::ScoreError), meas);
    let improvement = (intake_latent - latent) / inst.sd;
    let dyad = &mut state.dyad;
    dyad.view = mech.judgement.update(dyad.view, improvement, d);
    let view = dyad.view.map(|v| v.verdict);
    let alert = input
        .arm
        .policies
        .rom
        .alert(t, intake_score - score, inst.rc_threshold)
        .with_own_view(mech.judgement.response_to(view));
    state.revised |= alert.support;
    Opening {
        number: t,
        week,
        therapist: state.dyad.therapist,
        latent,
        improvement,
        score,
        alert,
        view,
    }
}

/// Step 3, alliance growth towards the dyad's ceiling, raised by the policies' alliance focus
/// and by trust, with the session's complementarity, last week's improvement and the phase-two
/// challenge. Slots: `BondNoise`, `GoalsNoise`, `TasksNoise`.
fn grow_alliance(
    input: &CourseInput<'_>,
    state: &mut CourseState,
    o: &Opening,
    b: &Behaviour,
    d: &WeekDraws,
) -> Alliance {
    let mech = &input.scenario.mechanisms;
    let arm = input.arm;
    let pt = &input.patient.traits;
    let focus = state.feedback_focus
        + state.dyad.aftermath.trust_focus(&mech.repair)
        + arm.policies.rom.alliance_focus(o.alert)
        + mech.reciprocal.ceiling_gain(o.improvement);
    let dyad = &mut state.dyad;
    let strain = dyad.aftermath.strain;
    let ceiling = alliance::ceiling(
        &mech.alliance,
        &dyad.traits,
        pt,
        arm.structure,
        strain,
        focus,
    );
    let mut a = dyad
        .alliance
        .unwrap_or_else(|| alliance::initial(&mech.alliance, &ceiling, pt));
    alliance::resume_repair(&mut a, &mut dyad.pending_repair);
    let influences = SessionInfluences {
        complementarity_gain: mech.complementarity.bond_gain(b.complementarity),
        challenge: challenge(arm, o.number),
        rigidity: 1.0 - dyad.traits.flexibility,
    };
    alliance::grow(&mech.alliance, &mut a, &ceiling, &influences, d);
    a
}

/// Step 4, rupture and repair: the hazard (challenge, mismatch, a weak alliance), then the
/// rupture as `rupture` decides it with the policies' modifiers; the alliance takes its drop
/// and, when repaired, the V-shape (`alliance::rupture`); strain and trust fade and take what
/// the rupture leaves. Slots: `RuptureOccurs`, `RuptureType`, `RuptureSeverity`,
/// `PatientReports`, `ObserverReports`, `TherapistNotices`, `FeedbackNotice`, `Repair`.
fn rupture_and_repair(
    input: &CourseInput<'_>,
    dyad: &mut Dyad,
    o: &Opening,
    b: &Behaviour,
    a: &mut Alliance,
    d: &WeekDraws,
) -> SessionRupture {
    let mech = &input.scenario.mechanisms;
    let pt = &input.patient.traits;
    let th = &dyad.traits;
    let challenge = challenge(input.arm, o.number);
    let mismatch = mech.complementarity.mismatch(b.complementarity);
    let hazard = rupture::hazard(&mech.ruptures, th, pt, a.total(), challenge, mismatch);
    let modifiers = input.arm.policies.rupture_modifiers(o.alert);
    dyad.aftermath.fade(&mech.repair);
    let event = rupture::session_rupture(
        &mech.ruptures,
        &mech.repair,
        &dyad.traits,
        pt,
        hazard,
        modifiers,
        d,
    )
    .map(|r| {
        let deflection = alliance::rupture(&mech.repair, a, &r);
        dyad.pending_repair = deflection.pending;
        dyad.aftermath.add(&r, &mech.repair);
        r.event(deflection.before, deflection.after_drop)
    });
    SessionRupture { hazard, event }
}

/// Step 5, the patient's WAI-SR at the end of the session, when something reads it (the session
/// table, session 3, a policy); a low rating focuses the next session (alliance feedback).
/// Slots: `WaiPatientSession`, `WaiPatientItems` (12).
fn patient_rating(
    input: &CourseInput<'_>,
    state: &mut CourseState,
    t: u32,
    a: &Alliance,
    d: &WeekDraws,
) -> Rating {
    let policies = &input.arm.policies;
    // Ratings are drawn from fixed slots, so computing them only when something reads them
    // changes no result.
    let items = if input.record || t == 3 || policies.reads_alliance_rating(t) {
        wai_sr_items(
            a,
            input.patient.traits.rating_bias,
            &state.rater_items[..12],
            &input.scenario.mechanisms.measurement,
            d,
            Slot::WaiPatientSession,
            Slot::WaiPatientItems,
        )
    } else {
        [0; 12]
    };
    let total = wai_total(&items);
    state.feedback_focus = policies.alliance_feedback.focus_after(total);
    Rating { items, total }
}

/// Step 6, the week's symptom change driven by the session: common factors through the
/// alliance, technique (at full weight in phase two), expectancy, sudden gains, less under a
/// rigid therapist's strain; the revised plan of clinical support tools adds responsiveness.
/// Slots: `SymptomNoise`, `ShockOccurs`, `ShockSize`, `SuddenGain`, `SuddenGainSize`.
fn session_symptoms(
    input: &CourseInput<'_>,
    state: &mut CourseState,
    o: &Opening,
    a: &Alliance,
    d: &WeekDraws,
) -> WeekChange {
    let sc = input.scenario;
    let arm = input.arm;
    let pt = &input.patient.traits;
    let phase = if o.number >= arm.challenge_onset {
        1.0
    } else {
        0.5
    };
    let dyad = &state.dyad;
    let effect = SessionEffect {
        session: o.number,
        alliance: a.total(),
        technique: arm.technique_potency * phase,
        common_factors: arm.common_factors,
        expectancy: pt.expectancy * arm.expectancy,
        rigid_strain: (1.0 - dyad.traits.flexibility) * dyad.aftermath.strain,
        responsiveness: pt.responsiveness + arm.policies.rom.responsiveness_gain(state.revised),
        mistrust: pt.mistrust,
        motivation: pt.motivation,
    };
    let s = &state.severity;
    let symptoms = &sc.mechanisms.symptoms;
    let scale = sc.instrument.scale();
    let change = week_change(symptoms, scale, s.latent, s.set_point, 0.0, Some(effect), d);
    state
        .severity
        .after_session(symptoms, &change, &sc.instrument);
    change
}

/// Counts an attended session in the course summary: its rupture and who reported it, a sudden
/// gain, the alliance at session 3.
fn tally(course: &mut Course, s: &Session) {
    if let Some(e) = &s.rupture.event {
        course.ruptures += 1;
        course.repairs += u32::from(e.repaired);
        course.ruptures_reported_by_patient += u32::from(e.reported_by_patient);
        course.ruptures_reported_by_therapist += u32::from(e.noticed && !e.via_feedback);
        course.ruptures_reported_by_observer += u32::from(e.reported_by_observer);
    }
    if s.opening.number == 3 {
        course.wai_patient_s3 = Some(s.rating.total);
        course.alliance_s3 = Some(s.alliance.total());
    }
    course.sessions_attended = s.opening.number;
    course.sudden_gains += u32::from(s.sudden_gain);
    let own = s.opening.view == Some(Verdict::Deteriorating);
    course.judged_deteriorating |= own;
    course.last_view = s.opening.view;
    course.alerted |= s.opening.alert.not_on_track;
    course.alerts_correcting += u32::from(s.opening.alert.corrects(own));
}

/// Step 7, coming back: the planned end, then the poor-alliance rule (stop, or re-match to a
/// new dyad), a good-enough ending, dropout. Slots: `GoodEnough`, `Rematch` (on a re-match),
/// `Dropout`.
fn coming_back(
    input: &CourseInput<'_>,
    state: &mut CourseState,
    course: &Course,
    s: &Session,
    d: &WeekDraws,
) -> Status {
    let sc = input.scenario;
    let inst = &sc.instrument;
    let pol = &input.arm.policies;
    let t = s.opening.number;
    let good_enough = attendance::good_enough(
        &sc.design,
        inst,
        &sc.mechanisms.felt_improvement,
        &state.felt,
        t,
        course.intake_score,
        s.opening.score,
        d,
    );
    let expectation = DurationExpectation::working_expectation(
        input.patient.traits.expected_sessions,
        sc.design.duration_agreed,
        input.arm.sessions,
    );
    let p_drop = sc.mechanisms.dropout.hazard(
        t,
        s.alliance.total(),
        state.dyad.aftermath.strain,
        s.rupture.event.is_some_and(|e| !e.repaired),
        input.patient.traits.motivation,
        (course.intake_latent - state.severity.latent) / inst.sd,
        sc.mechanisms
            .duration_expectation
            .dropout_logit(t, expectation),
        state.dyad.traits.retention,
        pol.rom.dropout_reduction(s.opening.alert),
    );
    if t == input.arm.sessions {
        return Status::Ended(Ending::Completed);
    }
    let can_rematch = !state.rematched && input.therapists.len() > 1;
    match pol
        .poor_alliance
        .action_after(t, s.rating.total, can_rematch)
    {
        Some(PoorAllianceAction::Rematch) => {
            let pool = input.therapists.len() as u32;
            state.dyad = Dyad::new(input, policy::rematch(state.dyad.therapist, pool, d));
            state.rematched = true;
            Status::Rematched
        }
        Some(PoorAllianceAction::Stop) => Status::Ended(Ending::Stopped),
        None if good_enough => Status::Ended(Ending::GoodEnough),
        None if d.u(Slot::Dropout) < p_drop => Status::Ended(Ending::DroppedOut),
        None => Status::Active,
    }
}

/// Step 8, the session's row; the therapist's and the observer's alliance ratings are drawn
/// only here. Slots: `WaiTherapistSession`, `WaiTherapistItems` (12), `WaiObserver`.
fn record(
    input: &CourseInput<'_>,
    state: &CourseState,
    s: &Session,
    status: Status,
    d: &WeekDraws,
) -> SessionRecord {
    let meas = &input.scenario.mechanisms.measurement;
    let o = &s.opening;
    // The leniency is the current therapist's: after a re-match, the new therapist's.
    let leniency = state.dyad.traits.rating_bias;
    SessionRecord {
        session: o.number,
        week: o.week,
        therapist: o.therapist,
        attended: true,
        alliance: s.alliance,
        wai_patient: s.rating.total,
        wai_therapist: wai_total(&wai_sr_items(
            &s.alliance,
            leniency,
            &state.rater_items[12..],
            meas,
            d,
            Slot::WaiTherapistSession,
            Slot::WaiTherapistItems,
        )),
        wai_patient_items: s.rating.items,
        wai_observer: observer_alliance(&s.alliance, meas, d),
        complementarity: s.complementarity,
        rupture_hazard: s.rupture.hazard,
        rupture: s.rupture.event,
        symptom_latent: o.latent,
        symptom_score: o.score,
        not_on_track: o.alert.not_on_track,
        therapist_view: o.view,
        sudden_gain: s.sudden_gain,
        status,
    }
}
