//! Output files of a run: `sessions.csv`, `patients.csv`, `therapists.csv`, `summary.csv` and
//! `manifest.json`, in one directory.
//!
//! Conventions: snake_case column names, one header row, no index column, missing values as
//! empty cells (R's `read.csv` and pandas read them as NA/NaN), booleans as 0/1, numbers in
//! fixed decimal notation. Each file is written to a hidden temporary name beside its final
//! name and renamed only when complete, so no file is ever left half-written; a SHA-256 of each
//! is recorded in the manifest.
//!
//! Rows of `sessions.csv` and `patients.csv` are formatted in the parallel phase of the engine
//! ([`Sink::render`]) and only copied to the files in order; every cell written that way is a
//! number, a fixed word or a validated name (`[a-z0-9_]`), so none needs CSV quoting.

pub mod manifest;
pub mod progress;

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::analysis::{ArmSummary, Moments, SummaryStats};
use crate::error::{Error, Result};
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::model::traits::Traits;
use crate::scenario::Scenario;
use crate::sim::allocation::ReplicateContext;
use crate::sim::engine::{PatientOutcome, Sink};

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Appends `x` rounded to `dp` decimals (at most 9), trailing zeros removed; nothing for NaN or
/// infinity (an empty cell). Rounds half away from zero on `x * 10^dp`.
fn push_num(out: &mut String, x: f64, dp: usize) {
    if !x.is_finite() {
        return;
    }
    let dp = dp.min(9);
    let scaled = (x * POW10[dp]).round();
    if scaled.abs() >= 9.0e15 {
        // Beyond exact integers: fall back to the standard formatter.
        let _ = write!(out, "{x:.dp$}");
        return;
    }
    let v = scaled as i64;
    if v == 0 {
        out.push('0');
        return;
    }
    if v < 0 {
        out.push('-');
    }
    let p = POW10[dp] as u64;
    let a = v.unsigned_abs();
    let _ = write!(out, "{}", a / p);
    let mut frac = a % p;
    if frac != 0 {
        let mut digits = dp;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0digits$}");
    }
}

/// `x` rounded to `dp` decimals (at most 9), trailing zeros removed, empty for NaN or infinity:
/// the one formatter of numbers in output files (CSV cells, manifests, chart captions).
pub fn num(x: f64, dp: usize) -> String {
    let mut s = String::new();
    push_num(&mut s, x, dp);
    s
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// A writer that hashes what it writes.
struct HashingWriter {
    inner: BufWriter<File>,
    hash: Sha256,
    bytes: u64,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A file written under a temporary name and renamed into place on [`AtomicFile::commit`];
/// dropped uncommitted, its temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<HashingWriter>,
    rows: u64,
    line: String,
}

/// A committed file: name, rows and digest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileRecord {
    pub file: String,
    /// Data rows (CSV, header excluded) or 0.
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// The lower-case hexadecimal SHA-256 of `bytes`, as manifests record files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends a CSV field, quoted when it has to be (RFC 4180).
fn push_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

impl AtomicFile {
    /// Creates `dir/name` (as `dir/.name.tmp` until committed).
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile> {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        let out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 16, file),
            hash: Sha256::new(),
            bytes: 0,
        };
        Ok(AtomicFile {
            path,
            tmp,
            out: Some(out),
            rows: 0,
            line: String::new(),
        })
    }

    /// Writes one CSV record (the first is the header).
    pub fn record<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            push_field(&mut line, f.as_ref());
        }
        line.push('\n');
        let r = self.rows_raw(line.as_bytes(), 1);
        self.line = line;
        r
    }

    /// Writes pre-formatted CSV lines (`rows` of them).
    pub fn rows_raw(&mut self, bytes: &[u8], rows: u64) -> Result<()> {
        self.rows += rows;
        self.raw(bytes)
    }

    /// Writes raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        let w = self.out.as_mut().expect("open until committed");
        w.write_all(bytes).map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<FileRecord> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source: std::io::Error| Error::Write { path, source }
        };
        let mut w = self.out.take().expect("open until committed");
        w.flush().map_err(io(&self.path))?;
        let HashingWriter { inner, hash, bytes } = w;
        let file = inner
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        let digest = hash.finalize();
        Ok(FileRecord {
            file: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: self.rows.saturating_sub(1),
            bytes,
            sha256: hex(&digest),
        })
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The files `bordin run` writes.
const RUN_FILES: &[&str] = &[
    "sessions.csv",
    "patients.csv",
    "therapists.csv",
    "summary.csv",
    "manifest.json",
];

/// Prepares an output directory: creates it, or refuses a non-empty one unless `force`. With
/// `force`, bordin's own output files (`RUN_FILES`) and leftover temporary files are removed
/// first, so no file of an earlier run survives beside the new ones; other files stay.
pub fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::OutNotADirectory(dir.to_path_buf()));
        }
        let mut entries = fs::read_dir(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        if entries.next().is_some() && !force {
            return Err(Error::OutputNotEmpty(dir.to_path_buf()));
        }
        for name in RUN_FILES
            .iter()
            .flat_map(|n| [n.to_string(), format!(".{n}.tmp")])
        {
            let path = dir.join(&name);
            if path.is_file() {
                fs::remove_file(&path).map_err(|source| Error::Write { path, source })?;
            }
        }
        Ok(())
    } else {
        fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })
    }
}

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
    therapist_acc: Vec<Vec<TherapistAcc>>,
    counterfactual: bool,
}

const SESSION_COLUMNS: &[&str] = &[
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
    /// Opens the files of a run in `dir` (which [`prepare_dir`] has checked).
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
        patients.record(&header)?;
        let mut therapists = AtomicFile::create(dir, "therapists.csv")?;
        therapists.record(
            THERAPIST_ID_COLUMNS
                .iter()
                .chain(TherapistTraits::DECLS.iter().map(|d| &d.key))
                .chain(THERAPIST_CASELOAD_COLUMNS),
        )?;
        let mut summary = AtomicFile::create(dir, "summary.csv")?;
        summary.record(SUMMARY_COLUMNS)?;
        Ok(CsvSink {
            sessions: s,
            patients,
            therapists,
            summary,
            per_replicate: Vec::new(),
            pooled: vec![ArmSummary::default(); scenario.arms.len()],
            therapist_acc: Vec::new(),
            counterfactual,
        })
    }

    /// Commits every file; returns their records and the per-arm summaries pooled over
    /// replicates.
    pub fn finish(self) -> Result<(Vec<FileRecord>, Vec<SummaryStats>)> {
        let mut files = Vec::new();
        if let Some(s) = self.sessions {
            files.push(s.commit()?);
        }
        files.push(self.patients.commit()?);
        files.push(self.therapists.commit()?);
        files.push(self.summary.commit()?);
        Ok((files, self.pooled.iter().map(ArmSummary::row).collect()))
    }
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
    sessions: String,
    session_rows: u64,
    patient: String,
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

impl Sink for CsvSink {
    type Rendered = RenderedRows;

    fn render(
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
        if self.sessions.is_some() {
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
        for (a, s) in self.per_replicate.iter().enumerate() {
            let r = s.row();
            self.summary
                .record(summary_fields(&rep, &scenario.arms[a].name, &r))?;
            self.pooled[a].merge(s);
        }
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
    [
        r.n.to_string(),
        num(r.mean_intake, 4),
        num(r.mean_final, 4),
        num(r.mean_change, 4),
        num(r.sd_change, 4),
        num(r.pre_post_d, 4),
        num(r.reliable_improvement, 4),
        num(r.recovery, 4),
        num(r.deterioration, 4),
        num(r.dropout, 4),
        num(r.mean_sessions, 4),
        num(r.alliance_outcome_r, 4),
        r.alliance_outcome_n.to_string(),
        num(r.rupture_rate, 4),
        num(r.rupture_rate_patient, 4),
        num(r.rupture_rate_therapist, 4),
        num(r.rupture_rate_observer, 4),
        num(r.repair_rate, 4),
    ]
}

/// A share as a percentage with one decimal for printed tables (`-` when undefined).
pub(crate) fn table_percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// A number with two decimals for printed tables (`-` when undefined).
pub(crate) fn table_2dp(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// The human summary table printed at the end of `run`.
pub fn summary_table(scenario: &Scenario, pooled: &[SummaryStats]) -> String {
    let (pct, f2) = (table_percent, table_2dp);
    let headers = [
        "arm",
        "patients",
        "dropout",
        "sessions",
        "change",
        "pre-post d",
        "reliably improved",
        "recovered",
        "deteriorated",
        "alliance-outcome r",
    ];
    let rows: Vec<Vec<String>> = scenario
        .arms
        .iter()
        .zip(pooled)
        .map(|(a, r)| {
            vec![
                a.name.clone(),
                r.n.to_string(),
                pct(r.dropout),
                f2(r.mean_sessions),
                f2(r.mean_change),
                f2(r.pre_post_d),
                pct(r.reliable_improvement),
                pct(r.recovery),
                pct(r.deterioration),
                f2(r.alliance_outcome_r),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} on {}: change = final - intake score (negative = improvement); recovered among cases at intake (score >= {}); reliable change >= {} points.\n",
        scenario.name,
        scenario.instrument.name,
        num(scenario.instrument.cutoff, 2),
        num(scenario.instrument.rc_threshold, 2)
    ));
    for (a, r) in scenario.arms.iter().zip(pooled) {
        if r.n == 0 {
            out.push_str(&format!(
                "note: arm {} received no patients (allocation {} of {}); its cells are empty.\n",
                a.name,
                num(a.allocation, 6),
                num(scenario.arms.iter().map(|a| a.allocation).sum(), 6)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast formatter agrees with the standard one (trailing zeros trimmed) except, at
    /// most, on exact decimal ties, where it rounds half away from zero.
    #[test]
    fn push_num_matches_standard_formatting() {
        let std_fmt = |x: f64, dp: usize| {
            let s = format!("{x:.dp$}");
            let s = if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            };
            if s == "-0" { "0".to_string() } else { s }
        };
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut differ = 0;
        for i in 0..200_000 {
            state = crate::random::mix64(state);
            let x = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((i % 9) - 2);
            for dp in [0, 1, 4] {
                if num(x, dp) != std_fmt(x, dp) {
                    differ += 1;
                }
            }
        }
        assert!(differ < 20, "{differ} of 600000 differ");
        assert_eq!(num(-0.00001, 4), "0");
        assert_eq!(num(12.0, 0), "12");
        assert_eq!(num(0.5, 4), "0.5");
        assert_eq!(num(-1.23456, 4), "-1.2346");
        assert_eq!(num(f64::NAN, 4), "");
    }
}
