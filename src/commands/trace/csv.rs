//! `trace.csv`: one row per session of each dyad.

use std::path::Path;

use crate::error::Result;
use crate::io::{AtomicFile, num};
use crate::model::rupture::RuptureEvent;

use super::Trace;

/// Columns of `trace.csv`.
const CSV_COLUMNS: &[&str] = &[
    "dyad",
    "therapist",
    "patient",
    "session",
    "week",
    "bond",
    "goals",
    "tasks",
    "alliance",
    "wai_patient",
    "wai_therapist",
    "wai_observer",
    "intake_score",
    "symptom_latent",
    "symptom_score",
    "not_on_track",
    "therapist_view",
    "rupture",
    "rupture_severity",
    "noticed",
    "noticed_via_feedback",
    "repaired",
    "alliance_before_rupture",
    "alliance_after_drop",
    "reported_by_patient",
    "reported_by_observer",
    "sudden_gain",
    "status",
    "final_score",
];

/// A boolean cell, as in `sessions.csv`.
fn flag(b: bool) -> String {
    crate::io::format::flag(b).into()
}

pub(super) fn write_csv(dir: &Path, trace: &Trace) -> Result<()> {
    let mut f = AtomicFile::create(dir, "trace.csv")?;
    f.record(CSV_COLUMNS)?;
    for d in &trace.dyads {
        let c = &d.course;
        for r in &c.sessions {
            let e = r.rupture.as_ref();
            let opt = |g: &dyn Fn(&RuptureEvent) -> String| e.map(g).unwrap_or_default();
            f.record([
                d.name.clone(),
                d.therapist_label.clone(),
                trace.patient_label.clone(),
                r.session.to_string(),
                r.week.to_string(),
                num(r.alliance.bond, 4),
                num(r.alliance.goals, 4),
                num(r.alliance.tasks, 4),
                num(r.alliance.total(), 4),
                r.wai_patient.to_string(),
                r.wai_therapist.to_string(),
                num(r.wai_observer, 3),
                num(c.intake_score, 3),
                num(r.symptom_latent, 3),
                num(r.symptom_score, 3),
                flag(r.not_on_track),
                r.therapist_view.map_or("", |v| v.as_str()).to_string(),
                opt(&|e| e.kind.as_str().to_string()),
                opt(&|e| num(e.severity, 4)),
                opt(&|e| flag(e.noticed)),
                opt(&|e| flag(e.via_feedback)),
                opt(&|e| flag(e.repaired)),
                opt(&|e| num(e.alliance_before, 4)),
                opt(&|e| num(e.alliance_after_drop, 4)),
                opt(&|e| flag(e.reported_by_patient)),
                opt(&|e| flag(e.reported_by_observer)),
                flag(r.sudden_gain),
                r.status.as_str().to_string(),
                num(c.final_score, 3),
            ])?;
        }
    }
    f.commit()?;
    Ok(())
}
