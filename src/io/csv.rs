//! The CSV sink of `bordin run`: `sessions.csv`, `patients.csv`, `therapists.csv` and
//! `summary.csv`; and, with `--posterior`, `intervals.csv` and `draws.csv`.
//!
//! Rows of `sessions.csv` and `patients.csv` are formatted in the parallel phase of the engine
//! ([`Sink::render`]) and only copied to the files in order; every cell written that way is a
//! number, a fixed word or a validated name (`[a-z0-9_]`), so none needs CSV quoting.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::intervals::{INTERVAL_COLUMNS, ReplicateInterval};
use crate::analysis::{ArmSummary, Moments, SummaryStats};
use crate::error::Result;
use crate::io::atomic::{AtomicFile, FileRecord};
use crate::io::format::{flag, num, push_num};
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::model::traits::Traits;
use crate::scenario::Scenario;
use crate::scenario::posterior::PosteriorDraws;
use crate::sim::allocation::ReplicateContext;
use crate::sim::engine::{PatientOutcome, Sink};

/// Per-therapist accumulators of a replicate.
#[derive(Clone, Debug, Default)]
struct TherapistAcc {
    caseload: u64,
    change: Moments,
    wai_s3: Moments,
    dropouts: u64,
}

/// The CSV sink of `bordin run`.
pub struct CsvSink {
    sessions: Option<AtomicFile>,
    patients: AtomicFile,
    therapists: AtomicFile,
    summary: AtomicFile,
    per_replicate: Vec<ArmSummary>,
    pooled: Vec<ArmSummary>,
    /// Each replicate's per-arm statistics, in replicate order (for intervals over replicates).
    replicate_stats: Vec<Vec<SummaryStats>>,
    therapist_acc: Vec<Vec<TherapistAcc>>,
    rows: RowFormat,
}

/// What a [`CsvSink`] wrote and summed up.
#[derive(Clone, Debug)]
pub struct RunTables {
    pub files: Vec<FileRecord>,
    /// Per arm, pooled over replicates.
    pub pooled: Vec<SummaryStats>,
    /// Per replicate (in order), per arm: the rows of `summary.csv`.
    pub per_replicate: Vec<Vec<SummaryStats>>,
}

/// How a patient's rows are formatted: with session rows, and with potential outcomes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowFormat {
    pub(crate) sessions: bool,
    pub(crate) counterfactual: bool,
}

pub(crate) const SESSION_COLUMNS: &[&str] = &[
    "replicate",
    "arm",
    "therapist_id",
    "patient_id",
    "session",
    "week",
    "attended",
    "bond",
    "goals",
    "tasks",
    "alliance",
    "wai_patient",
    "wai_therapist",
    "wai_observer",
    "complementarity",
    "rupture_hazard",
    "rupture",
    "rupture_severity",
    "noticed",
    "repaired",
    "reported_by_patient",
    "reported_by_therapist",
    "reported_by_observer",
    "symptom_latent",
    "symptom_score",
    "not_on_track",
    "therapist_view",
    "sudden_gain",
    "status",
];

const PATIENT_OUTCOMES: &[&str] = &[
    "intake_score",
    "final_score",
    "post_score",
    "end_latent",
    "change",
    "change_class",
    "reliably_improved",
    "recovered",
    "deteriorated",
    "dropped_out",
    "ending",
    "sessions_attended",
    "ruptures",
    "repairs",
    "ruptures_reported_by_patient",
    "ruptures_reported_by_therapist",
    "ruptures_reported_by_observer",
    "sudden_gains",
    "judged_deteriorating",
    "last_therapist_view",
    "alerted",
    "alerts_correcting",
    "wai_patient_s3",
    "alliance_s3",
];

/// Columns of `therapists.csv` before and after the traits (one column per declared trait).
const THERAPIST_ID_COLUMNS: &[&str] = &["replicate", "therapist_id", "pool"];
const THERAPIST_CASELOAD_COLUMNS: &[&str] =
    &["caseload", "mean_change", "mean_wai_patient_s3", "dropouts"];

/// Columns of `summary.csv` (and the statistics columns of a sweep's `sweep.csv`).
pub const SUMMARY_COLUMNS: &[&str] = &[
    "replicate",
    "arm",
    "n",
    "mean_intake",
    "mean_final",
    "mean_change",
    "sd_change",
    "pre_post_d",
    "reliable_improvement",
    "recovery",
    "deterioration",
    "dropout",
    "mean_sessions",
    "alliance_outcome_r",
    "alliance_outcome_n",
    "rupture_rate",
    "rupture_rate_patient",
    "rupture_rate_therapist",
    "rupture_rate_observer",
    "repair_rate",
];

impl CsvSink {
    /// Opens the files of a run in `dir` (a staging directory, [`crate::io::OutputDir`]).
    pub fn create(
        dir: &Path,
        scenario: &Scenario,
        sessions: bool,
        counterfactual: bool,
    ) -> Result<CsvSink> {
        let mut s = if sessions {
            Some(AtomicFile::create(dir, "sessions.csv")?)
        } else {
            None
        };
        if let Some(f) = s.as_mut() {
            f.record(SESSION_COLUMNS)?;
        }
        let mut patients = AtomicFile::create(dir, "patients.csv")?;
        patients.record(patient_header(scenario, counterfactual))?;
        let mut therapists = AtomicFile::create(dir, "therapists.csv")?;
        therapists.record(therapist_header())?;
        let mut summary = AtomicFile::create(dir, "summary.csv")?;
        summary.record(SUMMARY_COLUMNS)?;
        Ok(CsvSink {
            sessions: s,
            patients,
            therapists,
            summary,
            per_replicate: Vec::new(),
            pooled: vec![ArmSummary::default(); scenario.arms.len()],
            replicate_stats: Vec::new(),
            therapist_acc: Vec::new(),
            rows: RowFormat {
                sessions,
                counterfactual,
            },
        })
    }

    /// Commits every file; returns their records and the per-arm statistics.
    pub fn finish(self) -> Result<RunTables> {
        let mut files = Vec::new();
        if let Some(s) = self.sessions {
            files.push(s.commit()?);
        }
        files.push(self.patients.commit()?);
        files.push(self.therapists.commit()?);
        files.push(self.summary.commit()?);
        Ok(RunTables {
            files,
            pooled: self.pooled.iter().map(ArmSummary::row).collect(),
            per_replicate: self.replicate_stats,
        })
    }
}

/// The header of `patients.csv`.
pub(crate) fn patient_header(scenario: &Scenario, counterfactual: bool) -> Vec<String> {
    let mut header: Vec<String> = [
        "replicate",
        "patient_id",
        "population",
        "arm",
        "therapist_id",
        "final_therapist_id",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(PatientTraits::DECLS.iter().map(|d| d.key.to_string()));
    header.extend(PATIENT_OUTCOMES.iter().map(|s| s.to_string()));
    if counterfactual {
        for a in &scenario.arms {
            for c in [
                "final_score",
                "post_score",
                "end_latent",
                "sessions",
                "ending",
            ] {
                header.push(format!("po_{}_{c}", a.name));
            }
        }
    }
    header
}

/// The header of `therapists.csv`.
pub(crate) fn therapist_header() -> Vec<&'static str> {
    THERAPIST_ID_COLUMNS
        .iter()
        .copied()
        .chain(TherapistTraits::DECLS.iter().map(|d| d.key))
        .chain(THERAPIST_CASELOAD_COLUMNS.iter().copied())
        .collect()
}

fn therapist_id<'c>(
    ctx: &'c ReplicateContext,
    scenario: &Scenario,
    arm: usize,
    index: Option<u32>,
) -> &'c str {
    match (scenario.arms[arm].pool, index) {
        (Some(p), Some(i)) => &ctx.therapists[p][i as usize].id,
        _ => "",
    }
}

/// A patient's rows, formatted in the parallel phase.
pub struct RenderedRows {
    pub(crate) sessions: String,
    session_rows: u64,
    pub(crate) patient: String,
}

/// Appends cells to a CSV line.
struct Line<'a>(&'a mut String, bool);

impl Line<'_> {
    fn cell(&mut self, s: &str) -> &mut Self {
        if self.1 {
            self.0.push(',');
        }
        self.1 = true;
        self.0.push_str(s);
        self
    }
    fn num(&mut self, x: f64, dp: usize) -> &mut Self {
        self.cell("");
        push_num(self.0, x, dp);
        self
    }
    fn int(&mut self, x: impl std::fmt::Display) -> &mut Self {
        self.cell("");
        let _ = write!(self.0, "{x}");
        self
    }
    fn end(&mut self) {
        self.0.push('\n');
    }
}

impl RowFormat {
    /// A patient's `sessions.csv` and `patients.csv` rows.
    pub(crate) fn render(
        &self,
        scenario: &Scenario,
        ctx: &ReplicateContext,
        o: &PatientOutcome,
    ) -> RenderedRows {
        let inst = &scenario.instrument;
        let c = &o.course;
        let arm = &scenario.arms[o.arm];
        let mut sessions = String::new();
        let mut session_rows = 0;
        if self.sessions {
            for s in &c.sessions {
                session_rows += 1;
                let mut l = Line(&mut sessions, false);
                let attended = s.attended;
                l.int(ctx.replicate).cell(&arm.name);
                l.cell(if attended {
                    therapist_id(ctx, scenario, o.arm, Some(s.therapist))
                } else {
                    ""
                });
                l.int(o.patient.index)
                    .int(s.session)
                    .int(s.week)
                    .cell(flag(attended));
                if attended {
                    l.num(s.alliance.bond, 4)
                        .num(s.alliance.goals, 4)
                        .num(s.alliance.tasks, 4)
                        .num(s.alliance.total(), 4);
                    l.int(s.wai_patient)
                        .int(s.wai_therapist)
                        .num(s.wai_observer, 1);
                    l.num(s.complementarity, 4).num(s.rupture_hazard, 4);
                } else {
                    for _ in 0..9 {
                        l.cell("");
                    }
                }
                match &s.rupture {
                    Some(e) => {
                        l.cell(e.kind.as_str())
                            .num(e.severity, 4)
                            .cell(flag(e.noticed))
                            .cell(flag(e.repaired));
                        l.cell(flag(e.reported_by_patient))
                            .cell(flag(e.noticed && !e.via_feedback))
                            .cell(flag(e.reported_by_observer));
                    }
                    None => {
                        l.cell("none")
                            .cell("")
                            .cell("0")
                            .cell("0")
                            .cell("0")
                            .cell("0")
                            .cell("0");
                    }
                }
                l.num(s.symptom_latent, 4).num(s.symptom_score, 0);
                l.cell(flag(s.not_on_track))
                    .cell(s.therapist_view.map_or("", |v| v.as_str()))
                    .cell(flag(s.sudden_gain))
                    .cell(s.status.as_str());
                l.end();
            }
        }
        let mut patient = String::new();
        let t = &o.patient.traits;
        let class = inst.classify(c.intake_score, c.final_score);
        let mut l = Line(&mut patient, false);
        l.int(ctx.replicate).int(o.patient.index);
        l.cell(&scenario.populations[o.patient.population].name)
            .cell(&arm.name);
        l.cell(therapist_id(ctx, scenario, o.arm, c.first_therapist));
        l.cell(therapist_id(ctx, scenario, o.arm, c.last_therapist));
        for d in PatientTraits::DECLS {
            l.num(t.get(d.id), 4);
        }
        l.num(c.intake_score, 0)
            .num(c.final_score, 0)
            .num(c.post_score, 0)
            .num(c.end_latent, 4);
        l.num(c.final_score - c.intake_score, 0)
            .cell(class.as_str());
        l.cell(flag(class.reliably_improved()));
        l.cell(flag(
            class == crate::model::instrument::ChangeClass::Recovered,
        ));
        l.cell(flag(
            class == crate::model::instrument::ChangeClass::Deteriorated,
        ));
        l.cell(flag(
            c.ending == crate::model::attendance::Ending::DroppedOut,
        ))
        .cell(c.ending.as_str());
        l.int(c.sessions_attended).int(c.ruptures).int(c.repairs);
        l.int(c.ruptures_reported_by_patient)
            .int(c.ruptures_reported_by_therapist)
            .int(c.ruptures_reported_by_observer);
        l.int(c.sudden_gains);
        l.cell(flag(c.judged_deteriorating))
            .cell(c.last_view.map_or("", |v| v.as_str()))
            .cell(flag(c.alerted))
            .int(c.alerts_correcting);
        match c.wai_patient_s3 {
            Some(w) => l.int(w),
            None => l.cell(""),
        };
        l.num(c.alliance_s3.unwrap_or(f64::NAN), 4);
        if self.counterfactual {
            for p in &o.potential {
                l.num(p.final_score, 0)
                    .num(p.post_score, 0)
                    .num(p.end_latent, 4);
                l.int(p.sessions_attended).cell(p.ending.as_str());
            }
        }
        l.end();
        RenderedRows {
            sessions,
            session_rows,
            patient,
        }
    }
}

impl Sink for CsvSink {
    type Rendered = RenderedRows;

    fn render(
        &self,
        scenario: &Scenario,
        ctx: &ReplicateContext,
        o: &PatientOutcome,
    ) -> RenderedRows {
        self.rows.render(scenario, ctx, o)
    }

    fn begin_replicate(&mut self, scenario: &Scenario, ctx: &ReplicateContext) -> Result<()> {
        self.per_replicate = vec![ArmSummary::default(); scenario.arms.len()];
        self.therapist_acc = ctx
            .therapists
            .iter()
            .map(|p| vec![TherapistAcc::default(); p.len()])
            .collect();
        Ok(())
    }

    fn patient(
        &mut self,
        scenario: &Scenario,
        _ctx: &ReplicateContext,
        o: PatientOutcome,
        rows: RenderedRows,
    ) -> Result<()> {
        if let Some(f) = self.sessions.as_mut() {
            f.rows_raw(rows.sessions.as_bytes(), rows.session_rows)?;
        }
        self.patients.rows_raw(rows.patient.as_bytes(), 1)?;
        let c = &o.course;
        self.per_replicate[o.arm].push(&scenario.instrument, &o);
        if let (Some(p), Some(i)) = (scenario.arms[o.arm].pool, c.first_therapist) {
            let acc = &mut self.therapist_acc[p][i as usize];
            acc.caseload += 1;
            acc.change.push(c.final_score - c.intake_score);
            if let Some(w) = c.wai_patient_s3 {
                acc.wai_s3.push(f64::from(w));
            }
            acc.dropouts += u64::from(c.ending == crate::model::attendance::Ending::DroppedOut);
        }
        Ok(())
    }

    fn end_replicate(&mut self, scenario: &Scenario, ctx: &ReplicateContext) -> Result<()> {
        let rep = ctx.replicate.to_string();
        for (p, pool) in ctx.therapists.iter().enumerate() {
            for (th, acc) in pool.iter().zip(&self.therapist_acc[p]) {
                let t = &th.traits;
                let ids = [
                    rep.clone(),
                    th.id.clone(),
                    scenario.therapist_pools[p].name.clone(),
                ];
                let traits = TherapistTraits::DECLS.iter().map(|d| num(t.get(d.id), 4));
                let caseload = [
                    acc.caseload.to_string(),
                    num(acc.change.mean_or_nan(), 4),
                    num(acc.wai_s3.mean_or_nan(), 4),
                    acc.dropouts.to_string(),
                ];
                self.therapists
                    .record(ids.into_iter().chain(traits).chain(caseload))?;
            }
        }
        let mut rows = Vec::with_capacity(self.per_replicate.len());
        for (a, s) in self.per_replicate.iter().enumerate() {
            let r = s.row();
            self.summary
                .record(summary_fields(&rep, &scenario.arms[a].name, &r))?;
            self.pooled[a].merge(s);
            rows.push(r);
        }
        self.replicate_stats.push(rows);
        Ok(())
    }
}

fn summary_fields(rep: &str, arm: &str, r: &SummaryStats) -> Vec<String> {
    let mut fields = vec![rep.to_string(), arm.to_string()];
    fields.extend(summary_stat_cells(r));
    fields
}

/// The statistics cells of a `summary.csv` row (every column after `replicate` and `arm`).
pub fn summary_stat_cells(r: &SummaryStats) -> [String; 18] {
    let values = r.values();
    std::array::from_fn(|i| {
        if SummaryStats::is_count(i) {
            format!("{}", values[i] as u64)
        } else {
            num(values[i], 4)
        }
    })
}

/// Writes `intervals.csv` ([`crate::analysis::intervals::INTERVAL_COLUMNS`]) into `dir`.
///
/// # Errors
/// Write failures.
pub fn write_intervals(dir: &Path, intervals: &[ReplicateInterval]) -> Result<FileRecord> {
    let mut f = AtomicFile::create(dir, "intervals.csv")?;
    f.record(INTERVAL_COLUMNS)?;
    for iv in intervals {
        f.record([
            iv.arm.clone(),
            iv.statistic.to_string(),
            iv.replicates.to_string(),
            num(iv.mean, 6),
            num(iv.sd, 6),
            num(iv.q025, 6),
            num(iv.q50, 6),
            num(iv.q975, 6),
        ])?;
    }
    f.commit()
}

/// Writes `draws.csv` into `dir`: per replicate, its posterior draw, the particle (its
/// `particle` id in the posterior file) and the values it simulated (one column per key: the
/// particle's, or the scenario's own for a key it keeps, [`PosteriorDraws::kept`]).
///
/// # Errors
/// Write failures.
pub fn write_draws(
    dir: &Path,
    draws: &PosteriorDraws,
    replicates: std::ops::Range<u64>,
) -> Result<FileRecord> {
    let mut f = AtomicFile::create(dir, "draws.csv")?;
    f.record(
        ["replicate", "draw", "particle"]
            .iter()
            .map(|s| s.to_string())
            .chain(draws.posterior.keys.iter().cloned()),
    )?;
    for r in replicates {
        let p = draws.particle(r);
        f.record(
            [
                r.to_string(),
                draws.draw(r).to_string(),
                draws.posterior.ids[p].clone(),
            ]
            .into_iter()
            .chain(draws.simulated_values(r).iter().map(|x| format!("{x:?}"))),
        )?;
    }
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_columns_follow_the_statistics_order() {
        assert_eq!(SUMMARY_COLUMNS[..2], ["replicate", "arm"]);
        assert_eq!(SUMMARY_COLUMNS[2..], SummaryStats::NAMES);
    }
}
