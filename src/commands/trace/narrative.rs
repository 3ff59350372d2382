//! The narrative of a trace: the setting, per dyad the therapist's traits, the outcome and
//! the events of the course in plain words (ruptures, noticing and repair, sudden gains, the
//! ending) with the numbers behind each, and the comparison of two therapists.

use crate::model::judgement::Verdict;
use std::fmt::Write as _;

use crate::io::{num, table_2dp};
use crate::model::attendance::Ending;
use crate::model::instrument::Instrument;
use crate::model::rupture::{RuptureEvent, RuptureKind};
use crate::model::traits::{Range, Traits};
use crate::sim::course::{Course, SessionRecord, Status};

use super::{Dyad, Trace};

/// The instrument's display name.
pub fn instrument_label(inst: &Instrument) -> String {
    match inst.name.as_str() {
        "phq9" => "PHQ-9".into(),
        "gad7" => "GAD-7".into(),
        "oq45" => "OQ-45".into(),
        "core_om" => "CORE-OM".into(),
        _ => "Symptom".into(),
    }
}

fn ending_words(e: Ending) -> &'static str {
    match e {
        Ending::Completed => "completed the planned course",
        Ending::GoodEnough => "good-enough ending (ended by agreement)",
        Ending::DroppedOut => "dropped out",
        Ending::Stopped => "stopped by the poor-alliance rule",
        Ending::Waitlist => "waitlist",
    }
}

/// Scores and severities: one decimal at most (instrument scores are whole points).
pub(super) fn f1(x: f64) -> String {
    num(x, 1)
}

/// The traits the narrative tells, with their values (scores: one decimal at most).
fn traits_text<S: Traits>(t: &S) -> String {
    let told: Vec<String> = S::DECLS
        .iter()
        .filter_map(|d| {
            let x = t.get(d.id);
            let value = match d.range {
                Range::Instrument => f1(x),
                Range::Between(..) => table_2dp(x),
            };
            d.words.map(|w| format!("{w} {value}"))
        })
        .collect();
    told.join(", ")
}

/// A titled block of the narrative.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    /// Paragraphs before the events.
    pub paragraphs: Vec<String>,
    /// One line per event.
    pub events: Vec<String>,
}

fn severity_word(s: f64) -> &'static str {
    if s < 0.2 {
        "mild"
    } else if s < 0.5 {
        "moderate"
    } else {
        "severe"
    }
}

fn rupture_event_text(trace: &Trace, r: &SessionRecord, e: &RuptureEvent) -> String {
    let repair = &trace.scenario.mechanisms.repair;
    let end = r.alliance.total();
    let strain = repair.strain_per_severity * e.severity;
    let mut s = format!(
        "Session {}: {} {} rupture (severity {:.2}): the alliance fell from {:.2} to {:.2}.",
        r.session,
        severity_word(e.severity),
        e.kind.as_str(),
        e.severity,
        e.alliance_before,
        e.alliance_after_drop
    );
    let how = if e.via_feedback {
        " The therapist missed it in the session but learnt of it through alliance feedback (the patient's report)"
    } else if e.noticed {
        " The therapist noticed it in the session"
    } else {
        " The therapist did not notice it"
    };
    s.push_str(how);
    if e.repaired {
        let _ = write!(
            s,
            " and repaired it: the alliance ended the session at {end:.2} ({:.2} before the rupture){}.",
            e.alliance_before,
            if repair.in_session < 1.0 && r.status == Status::Active {
                "; the rest of the repair shows at the next session"
            } else {
                ""
            }
        );
    } else if e.noticed && repair.enabled {
        let _ = write!(
            s,
            ", but the repair attempt failed: the alliance ended the session at {end:.2}, and strain {strain:.2} carries into the next sessions (a lower alliance, a higher risk of dropout)."
        );
    } else {
        let _ = write!(
            s,
            ", so no repair was attempted{}: the alliance ended the session at {end:.2}, and strain {strain:.2} carries into the next sessions (a lower alliance, a higher risk of dropout).",
            if repair.enabled {
                ""
            } else {
                " (repair is switched off in this scenario)"
            }
        );
    }
    s.push_str(match (e.reported_by_patient, e.reported_by_observer) {
        (true, true) => " The patient reported it, and an observer would have coded it.",
        (true, false) => " The patient reported it; an observer would not have coded it.",
        (false, true) => " The patient did not report it; an observer would have coded it.",
        (false, false) => " Neither the patient nor an observer would have reported it.",
    });
    s
}

/// Ruptures below this severity are "minor": told together in one line.
pub const MINOR_RUPTURE: f64 = 0.1;

/// A note when the end-of-treatment score is reliably worse than the last session's.
fn end_jump(inst: &Instrument, last: f64, end: f64) -> String {
    if end - last >= inst.rc_threshold {
        format!(
            " (up from {} before the last session: the natural course in the week after it, such as a life-stress shock, and measurement error)",
            f1(last)
        )
    } else {
        String::new()
    }
}

fn dyad_section(trace: &Trace, d: &Dyad) -> Section {
    let c = &d.course;
    let mut events = Vec::new();
    if c.ruptures == 0 {
        events.push("No ruptures happened in this course.".into());
    }
    events.extend(minor_ruptures(c));
    events.extend(session_events(trace, c));
    Section {
        title: format!(
            "Dyad {}: therapist {} with patient {}",
            d.name, d.therapist_label, trace.patient_label
        ),
        paragraphs: vec![
            format!(
                "Therapist {} ({}).",
                d.therapist_label,
                traits_text(&d.therapist)
            ),
            outcome(trace, c),
        ],
        events,
    }
}

/// Minor ruptures, summed up in one line (the others are told one by one).
fn minor_ruptures(c: &Course) -> Option<String> {
    let minor: Vec<(u32, &RuptureEvent)> = c
        .sessions
        .iter()
        .filter_map(|r| r.rupture.as_ref().map(|e| (r.session, e)))
        .filter(|(_, e)| e.severity < MINOR_RUPTURE)
        .collect();
    if minor.is_empty() {
        return None;
    }
    let sessions: Vec<String> = minor.iter().map(|(t, _)| t.to_string()).collect();
    let count = |f: &dyn Fn(&RuptureEvent) -> bool| minor.iter().filter(|(_, e)| f(e)).count();
    Some(format!(
        "Minor ruptures (severity below {MINOR_RUPTURE}, an alliance drop of {:.2} at most) in session{} {}: {} withdrawal, {} confrontation; {} noticed, {} repaired.",
        minor
            .iter()
            .map(|(_, e)| e.alliance_before - e.alliance_after_drop)
            .fold(0.0, f64::max),
        if minor.len() == 1 { "" } else { "s" },
        sessions.join(", "),
        count(&|e| e.kind == RuptureKind::Withdrawal),
        count(&|e| e.kind == RuptureKind::Confrontation),
        count(&|e| e.noticed),
        count(&|e| e.repaired)
    ))
}

/// The events of the course, session by session.
fn session_events(trace: &Trace, c: &Course) -> Vec<String> {
    let inst = &trace.scenario.instrument;
    let label = instrument_label(inst);
    let mut events = Vec::new();
    let mut flagged = false;
    let mut seen_worse = false;
    let mut prev_score = c.intake_score;
    for (i, r) in c.sessions.iter().enumerate() {
        if r.symptom_score - prev_score >= inst.rc_threshold {
            events.push(format!(
                "Session {}: the score rose from {} to {} since the last measurement, by at least the reliable-change threshold (the natural course between sessions, such as a life-stress shock, and measurement error).",
                r.session,
                f1(prev_score),
                f1(r.symptom_score)
            ));
        }
        prev_score = r.symptom_score;
        if r.not_on_track && !flagged {
            flagged = true;
            events.push(format!(
                "Session {}: routine outcome monitoring flagged the patient as not on track ({label} {} before the session, intake {}){}.",
                r.session,
                f1(r.symptom_score),
                f1(c.intake_score),
                match r.therapist_view {
                    Some(Verdict::Deteriorating) | None => String::new(),
                    Some(v) => format!(
                        "; the alert corrected the therapist's own view, which was \"{}\"",
                        v.as_str().replace('_', " ")
                    ),
                }
            ));
        }
        if r.therapist_view == Some(Verdict::Deteriorating) && !seen_worse {
            seen_worse = true;
            events.push(format!(
                "Session {}: by their own judgement the therapist saw the patient as deteriorating ({label} {} before the session, intake {}).",
                r.session,
                f1(r.symptom_score),
                f1(c.intake_score)
            ));
        }
        if let Some(e) = r.rupture.as_ref().filter(|e| e.severity >= MINOR_RUPTURE) {
            events.push(rupture_event_text(trace, r, e));
        }
        if r.sudden_gain {
            let next = match c.sessions.get(i + 1) {
                Some(n) => format!("{} before session {}", f1(n.symptom_score), n.session),
                None if c.ending != Ending::DroppedOut => {
                    format!("{} at the end-of-treatment assessment", f1(c.final_score))
                }
                None => "not measured again".into(),
            };
            events.push(format!(
                "Session {}: a sudden gain followed in the week after the session ({label} {} before it, {next}).",
                r.session,
                f1(r.symptom_score)
            ));
        }
        events.extend(ending_event(trace, c, r));
    }
    events
}

/// The ending (or re-matching) after a session, if any.
fn ending_event(trace: &Trace, c: &Course, r: &SessionRecord) -> Option<String> {
    let inst = &trace.scenario.instrument;
    let label = instrument_label(inst);
    match r.status {
        Status::Ended(Ending::Completed) => Some(format!(
            "Session {}: the planned course of {} session{} was completed (alliance {:.2}); end-of-treatment {label} score {}{}.",
            r.session,
            trace.arm.sessions,
            if trace.arm.sessions == 1 { "" } else { "s" },
            r.alliance.total(),
            f1(c.final_score),
            end_jump(inst, r.symptom_score, c.final_score)
        )),
        Status::Ended(Ending::GoodEnough) => {
            // The criterion is the one the model applied (`attendance::good_enough`): the
            // patient's felt severity when felt improvement is on, else the measured score.
            let why = if trace.scenario.mechanisms.felt_improvement.enabled {
                format!(
                    "the patient felt well enough (latent severity {} before the session, below the cut-off of {} and {} points below the latent intake severity; reliable change: {} points); the score before the session was {}",
                    f1(r.symptom_latent),
                    num(inst.cutoff, 2),
                    f1(c.intake_latent - r.symptom_latent),
                    num(inst.rc_threshold, 2),
                    f1(r.symptom_score)
                )
            } else {
                format!(
                    "the score before the session, {}, was below the cut-off ({}) and {} points below intake (reliable change: {} points)",
                    f1(r.symptom_score),
                    num(inst.cutoff, 2),
                    f1(c.intake_score - r.symptom_score),
                    num(inst.rc_threshold, 2)
                )
            };
            Some(
                format!(
                    "Session {}: ended by agreement at the good-enough level: {why}; end-of-treatment score {}.",
                    r.session,
                    f1(c.final_score)
                ) + &end_jump(inst, r.symptom_score, c.final_score),
            )
        }
        Status::Ended(Ending::DroppedOut) => Some(format!(
            "Session {}: the patient dropped out after this session (alliance {:.2} at its end{}); the last observed score, {}, stands as the final score.",
            r.session,
            r.alliance.total(),
            match &r.rupture {
                Some(e) if !e.repaired => ", after an unrepaired rupture",
                _ => "",
            },
            f1(c.final_score)
        )),
        Status::Ended(Ending::Stopped) => Some(format!(
            "Session {}: treatment was stopped by the poor-alliance rule (patient WAI-SR {} of 60, mean item {:.2}).",
            r.session,
            r.wai_patient,
            f64::from(r.wai_patient) / 12.0
        )),
        Status::Rematched => Some(format!(
            "Session {}: the poor-alliance rule re-matched the patient to another therapist.",
            r.session
        )),
        _ => None,
    }
}

/// The outcome of the course in one paragraph.
fn outcome(trace: &Trace, c: &Course) -> String {
    let inst = &trace.scenario.instrument;
    let label = instrument_label(inst);
    let class = inst.classify(c.intake_score, c.final_score);
    let noticed = c
        .sessions
        .iter()
        .filter(|r| r.rupture.is_some_and(|e| e.noticed))
        .count();
    format!(
        "Outcome: {label} {} at intake, {} at the end (change {}{} point{}: {}). {} of {} planned sessions attended; {} rupture{}, {} noticed, {} repaired; {} sudden gain{}; ending: {}.",
        f1(c.intake_score),
        f1(c.final_score),
        if c.final_score >= c.intake_score {
            "+"
        } else {
            ""
        },
        f1(c.final_score - c.intake_score),
        if (c.final_score - c.intake_score).abs() == 1.0 {
            ""
        } else {
            "s"
        },
        class.as_str(),
        c.sessions_attended,
        trace.arm.sessions,
        c.ruptures,
        if c.ruptures == 1 { "" } else { "s" },
        noticed,
        c.repairs,
        c.sudden_gains,
        if c.sudden_gains == 1 { "" } else { "s" },
        ending_words(c.ending)
    )
}

fn comparison(trace: &Trace) -> Option<String> {
    let [a, b] = trace.dyads.as_slice() else {
        return None;
    };
    let inst = &trace.scenario.instrument;
    let one = |d: &Dyad| {
        let c = &d.course;
        format!(
            "with {} the final score was {} ({}) after {} session{}, with {} rupture{} of which {} repaired, ending: {}",
            d.therapist_label,
            f1(c.final_score),
            inst.classify(c.intake_score, c.final_score).as_str(),
            c.sessions_attended,
            if c.sessions_attended == 1 { "" } else { "s" },
            c.ruptures,
            if c.ruptures == 1 { "" } else { "s" },
            c.repairs,
            ending_words(c.ending)
        )
    };
    let diff = b.course.final_score - a.course.final_score;
    let verdict = if diff.abs() < 0.05 {
        "The final scores are the same.".to_string()
    } else {
        let (better, worse) = if diff > 0.0 { (a, b) } else { (b, a) };
        format!(
            "The final score is {} point{} lower with {} than with {}.",
            f1(diff.abs()),
            if (diff.abs() - 1.0).abs() < 0.05 {
                ""
            } else {
                "s"
            },
            better.therapist_label,
            worse.therapist_label
        )
    };
    Some(format!(
        "Same patient ({}, {} {} at intake), same random draws: only the therapist differs. {}; {}. {verdict}",
        trace.patient_label,
        instrument_label(inst),
        f1(a.course.intake_score),
        capitalise(&one(a)),
        one(b)
    ))
}

/// The narrative: the setting, one section per dyad, and the comparison.
pub fn narrative(trace: &Trace) -> (String, Vec<Section>, Option<String>) {
    let sc = &trace.scenario;
    let setting = format!(
        "Scenario \"{}\" ({}), arm {} ({} planned sessions), seed {}; patient {} ({}); {} cut-off {}, reliable change {} points.",
        sc.name,
        trace.scenario_source,
        trace.arm.name,
        trace.arm.sessions,
        sc.run.seed,
        trace.patient_label,
        traits_text(&trace.patient.traits),
        instrument_label(&sc.instrument),
        num(sc.instrument.cutoff, 2),
        num(sc.instrument.rc_threshold, 2)
    ) + " Ruptures: withdrawal (the patient moves away: defers, avoids, goes quiet) or confrontation (the patient moves against the therapist: complains, presses); severity 0-1; alliance values are latent, 0-1 (mean of bond, goals and tasks).";
    let sections = trace.dyads.iter().map(|d| dyad_section(trace, d)).collect();
    (setting, sections, comparison(trace))
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
