//! The layouts of a trace: the session table of a dyad (plain text, fixed-width columns), the
//! terminal report and `trace.md`.

use std::fmt::Write as _;

use crate::io::{num, table_2dp};
use crate::model::attendance::Ending;
use crate::model::rupture::RuptureEvent;

use super::narrative::{f1, instrument_label, narrative};
use super::{Dyad, Trace};

fn rupture_cell(e: &RuptureEvent) -> String {
    let fate = if e.repaired {
        "repaired"
    } else if e.noticed {
        "unrepaired"
    } else {
        "missed"
    };
    format!("{} {:.2} {fate}", e.kind.as_str(), e.severity)
}

/// The session table of one dyad (plain text, fixed-width columns).
pub fn session_table(trace: &Trace, dyad: &Dyad) -> String {
    let inst = &trace.scenario.instrument;
    let c = &dyad.course;
    let mut s = String::new();
    let mut row = |cells: [&str; 10]| {
        let [t, bond, goals, tasks, all, wp, wt, score, rupture, status] = cells;
        let _ = writeln!(
            s,
            "{t:>7}  {bond:>5}  {goals:>5}  {tasks:>5}  {all:>8}  {wp:>5}  {wt:>5}  {score:>6}  {rupture:<28}  {status}"
        );
    };
    row([
        "session",
        "bond",
        "goals",
        "tasks",
        "alliance",
        "WAI-p",
        "WAI-t",
        "score",
        "rupture (type severity fate)",
        "status",
    ]);
    let intake = f1(c.intake_score);
    row(["intake", "", "", "", "", "", "", &intake, "", ""]);
    for r in &c.sessions {
        row([
            &r.session.to_string(),
            &table_2dp(r.alliance.bond),
            &table_2dp(r.alliance.goals),
            &table_2dp(r.alliance.tasks),
            &table_2dp(r.alliance.total()),
            &r.wai_patient.to_string(),
            &r.wai_therapist.to_string(),
            &f1(r.symptom_score),
            &r.rupture.as_ref().map(rupture_cell).unwrap_or_default(),
            r.status.as_str(),
        ]);
    }
    if c.ending != Ending::DroppedOut {
        let end = f1(c.final_score);
        row([
            "end",
            "",
            "",
            "",
            "",
            "",
            "",
            &end,
            "",
            "end-of-treatment assessment",
        ]);
    }
    let _ = writeln!(
        s,
        "alliance: latent 0-1 at the end of the session (after any rupture and repair); rupture fate: repaired, unrepaired (noticed, repair failed) or missed (not noticed); WAI-p/WAI-t: WAI-SR totals (12-60) by patient and therapist; score: {} before the session (cut-off {}, reliable change {} points)",
        instrument_label(inst),
        num(inst.cutoff, 2),
        num(inst.rc_threshold, 2)
    );
    s
}

/// The terminal report: per dyad the session table and its narrative, then the comparison.
pub(super) fn terminal_text(trace: &Trace) -> String {
    let (setting, sections, cmp) = narrative(trace);
    let mut s = String::new();
    let _ = writeln!(s, "{setting}\n");
    for (d, sec) in trace.dyads.iter().zip(&sections) {
        let _ = writeln!(s, "== {} ==", sec.title);
        s.push_str(&session_table(trace, d));
        s.push('\n');
        for p in &sec.paragraphs {
            let _ = writeln!(s, "{p}");
        }
        for e in &sec.events {
            let _ = writeln!(s, "  - {e}");
        }
        s.push('\n');
    }
    if let Some(c) = cmp {
        let _ = writeln!(s, "== Comparison ==\n{c}\n");
    }
    s
}

/// `trace.md`: the narrative with the session tables.
pub(super) fn markdown(trace: &Trace) -> String {
    let (setting, sections, cmp) = narrative(trace);
    let mut s = String::from("# bordin trace\n\n");
    let _ = writeln!(s, "{setting}\n");
    let _ = writeln!(s, "![alliance and symptoms per session](trace.png)\n");
    for (d, sec) in trace.dyads.iter().zip(&sections) {
        let _ = writeln!(s, "## {}\n", sec.title);
        for p in &sec.paragraphs {
            let _ = writeln!(s, "{p}\n");
        }
        for e in &sec.events {
            let _ = writeln!(s, "- {e}");
        }
        let _ = writeln!(s, "\n```text\n{}```\n", session_table(trace, d));
    }
    if let Some(c) = cmp {
        let _ = writeln!(s, "## Comparison\n\n{c}");
    }
    s
}
