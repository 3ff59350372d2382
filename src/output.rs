//! Output files of a run: `sessions.csv`, `patients.csv`, `therapists.csv`, `summary.csv` and
//! `manifest.json`, in one directory.
//!
//! Conventions: snake_case column names, one header row, no index column, missing values as
//! empty cells (R's `read.csv` and pandas read them as NA/NaN), booleans as 0/1, numbers in
//! fixed decimal notation. Each file is written to a hidden temporary name beside its final
//! name and renamed only when complete, so no file is ever left half-written; a SHA-256 of each
//! is recorded in the manifest.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::analysis::{ArmSummary, Moments, SummaryStats};
use crate::engine::{PatientOutcome, ReplicateContext, Sink};
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// Formats a number with `dp` decimals, trailing zeros removed; NaN as an empty cell.
pub fn num(x: f64, dp: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.dp$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
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
    out: Option<Out>,
    rows: u64,
}

enum Out {
    Csv(Box<csv::Writer<HashingWriter>>),
    Raw(HashingWriter),
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

impl AtomicFile {
    fn open(dir: &Path, name: &str, csv: bool) -> Result<AtomicFile> {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        let inner = HashingWriter {
            inner: BufWriter::with_capacity(1 << 16, file),
            hash: Sha256::new(),
            bytes: 0,
        };
        let out = if csv {
            Out::Csv(Box::new(csv::Writer::from_writer(inner)))
        } else {
            Out::Raw(inner)
        };
        Ok(AtomicFile {
            path,
            tmp,
            out: Some(out),
            rows: 0,
        })
    }

    /// Creates the CSV file `dir/name` (as `dir/.name.tmp` until committed).
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile> {
        AtomicFile::open(dir, name, true)
    }

    /// Creates a non-CSV file.
    pub fn create_raw(dir: &Path, name: &str) -> Result<AtomicFile> {
        AtomicFile::open(dir, name, false)
    }

    /// Writes one CSV record.
    pub fn record<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.rows += 1;
        match self.out.as_mut() {
            Some(Out::Csv(w)) => w.write_record(fields).map_err(|source| Error::Csv {
                path: self.path.clone(),
                source,
            }),
            _ => unreachable!("record() on a raw or committed file"),
        }
    }

    /// Writes raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        match self.out.as_mut() {
            Some(Out::Raw(w)) => w.write_all(bytes).map_err(|source| Error::Write {
                path: self.path.clone(),
                source,
            }),
            _ => unreachable!("raw() on a CSV or committed file"),
        }
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<FileRecord> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source: std::io::Error| Error::Write { path, source }
        };
        let mut inner = match self.out.take().expect("open until committed") {
            Out::Csv(w) => w.into_inner().map_err(|e| io(&self.path)(e.into_error()))?,
            Out::Raw(w) => w,
        };
        inner.flush().map_err(io(&self.path))?;
        let HashingWriter { inner, hash, bytes } = inner;
        let file = inner
            .into_inner()
            .map_err(|e| io(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        let digest = hash.finalize();
        let csv_rows = self.rows.saturating_sub(1);
        Ok(FileRecord {
            file: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: csv_rows,
            bytes,
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
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
pub const RUN_FILES: &[&str] = &[
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
            return Err(Error::Usage(format!(
                "--out {} exists and is not a directory",
                dir.display()
            )));
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

const PATIENT_TRAITS: &[&str] = &[
    "intake_severity",
    "set_point",
    "warmth",
    "dominance",
    "interpersonal_distress",
    "attachment_anxiety",
    "attachment_avoidance",
    "alliance_capacity",
    "expectancy",
    "motivation",
    "rupture_sensitivity",
    "withdrawal_tendency",
    "preference",
    "rating_bias",
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

const THERAPIST_COLUMNS: &[&str] = &[
    "replicate",
    "therapist_id",
    "pool",
    "warmth",
    "dominance",
    "fis",
    "attunement",
    "repair_skill",
    "flexibility",
    "rating_bias",
    "caseload",
    "mean_change",
    "mean_wai_patient_s3",
    "dropouts",
];

const SUMMARY_COLUMNS: &[&str] = &[
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
        header.extend(PATIENT_TRAITS.iter().map(|s| s.to_string()));
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
        therapists.record(THERAPIST_COLUMNS)?;
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

fn therapist_id(
    ctx: &ReplicateContext,
    scenario: &Scenario,
    arm: usize,
    index: Option<u32>,
) -> String {
    match (scenario.arms[arm].pool, index) {
        (Some(p), Some(i)) => ctx.therapists[p][i as usize].id.clone(),
        _ => String::new(),
    }
}

impl Sink for CsvSink {
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
        ctx: &ReplicateContext,
        o: &PatientOutcome,
    ) -> Result<()> {
        let inst = &scenario.instrument;
        let c = &o.course;
        let rep = ctx.replicate.to_string();
        let arm = &scenario.arms[o.arm];
        let pid = o.patient.index.to_string();
        if let Some(f) = self.sessions.as_mut() {
            for s in &c.sessions {
                let (rupture, sev, noticed, repaired, rp, rt, ro) = match &s.rupture {
                    Some(e) => (
                        e.kind.as_str(),
                        num(e.severity, 4),
                        flag(e.noticed),
                        flag(e.repaired),
                        flag(e.reported_by_patient),
                        flag(e.noticed && !e.via_feedback),
                        flag(e.reported_by_observer),
                    ),
                    None => ("none", String::new(), "0", "0", "0", "0", "0"),
                };
                let attended = s.attended;
                let opt = |x: f64, dp: usize| if attended { num(x, dp) } else { String::new() };
                let optu = |x: u32| {
                    if attended {
                        x.to_string()
                    } else {
                        String::new()
                    }
                };
                f.record([
                    rep.as_str(),
                    arm.name.as_str(),
                    &if attended {
                        therapist_id(ctx, scenario, o.arm, Some(s.therapist))
                    } else {
                        String::new()
                    },
                    pid.as_str(),
                    &s.session.to_string(),
                    &s.week.to_string(),
                    flag(attended),
                    &opt(s.alliance.bond, 4),
                    &opt(s.alliance.goals, 4),
                    &opt(s.alliance.tasks, 4),
                    &opt(s.alliance.total(), 4),
                    &optu(s.wai_patient),
                    &optu(s.wai_therapist),
                    &opt(s.wai_observer, 1),
                    &opt(s.complementarity, 4),
                    &opt(s.rupture_hazard, 4),
                    rupture,
                    &sev,
                    noticed,
                    repaired,
                    rp,
                    rt,
                    ro,
                    &num(s.symptom_latent, 4),
                    &num(s.symptom_score, 0),
                    flag(s.not_on_track),
                    flag(s.sudden_gain),
                    s.status.as_str(),
                ])?;
            }
        }
        let t = &o.patient.traits;
        let class = inst.classify(c.intake_score, c.final_score);
        let mut row: Vec<String> = vec![
            rep.clone(),
            pid,
            scenario.populations[o.patient.population].name.clone(),
            arm.name.clone(),
            therapist_id(ctx, scenario, o.arm, c.first_therapist),
            therapist_id(ctx, scenario, o.arm, c.last_therapist),
        ];
        row.extend(
            [
                t.intake_severity,
                t.set_point,
                t.warmth,
                t.dominance,
                t.interpersonal_distress,
                t.attachment_anxiety,
                t.attachment_avoidance,
                t.alliance_capacity,
                t.expectancy,
                t.motivation,
                t.rupture_sensitivity,
                t.withdrawal_tendency,
                t.preference,
                t.rating_bias,
            ]
            .iter()
            .map(|x| num(*x, 4)),
        );
        row.extend([
            num(c.intake_score, 0),
            num(c.final_score, 0),
            num(c.post_score, 0),
            num(c.end_latent, 4),
            num(c.final_score - c.intake_score, 0),
            class.as_str().to_string(),
            flag(class.reliably_improved()).into(),
            flag(class == crate::instrument::ChangeClass::Recovered).into(),
            flag(class == crate::instrument::ChangeClass::Deteriorated).into(),
            flag(c.ending == crate::attendance::Ending::DroppedOut).into(),
            c.ending.as_str().into(),
            c.sessions_attended.to_string(),
            c.ruptures.to_string(),
            c.repairs.to_string(),
            c.ruptures_reported_by_patient.to_string(),
            c.ruptures_reported_by_therapist.to_string(),
            c.ruptures_reported_by_observer.to_string(),
            c.sudden_gains.to_string(),
            c.wai_patient_s3.map_or(String::new(), |w| w.to_string()),
            c.alliance_s3.map_or(String::new(), |a| num(a, 4)),
        ]);
        if self.counterfactual {
            for p in &o.potential {
                row.extend([
                    num(p.final_score, 0),
                    num(p.post_score, 0),
                    num(p.end_latent, 4),
                    p.sessions_attended.to_string(),
                    p.ending.as_str().to_string(),
                ]);
            }
        }
        self.patients.record(&row)?;
        self.per_replicate[o.arm].push(inst, o);
        if let (Some(p), Some(i)) = (arm.pool, c.first_therapist) {
            let acc = &mut self.therapist_acc[p][i as usize];
            acc.caseload += 1;
            acc.change.push(c.final_score - c.intake_score);
            if let Some(w) = c.wai_patient_s3 {
                acc.wai_s3.push(f64::from(w));
            }
            acc.dropouts += u64::from(c.ending == crate::attendance::Ending::DroppedOut);
        }
        Ok(())
    }

    fn end_replicate(&mut self, scenario: &Scenario, ctx: &ReplicateContext) -> Result<()> {
        let rep = ctx.replicate.to_string();
        for (p, pool) in ctx.therapists.iter().enumerate() {
            for (th, acc) in pool.iter().zip(&self.therapist_acc[p]) {
                let t = &th.traits;
                self.therapists.record([
                    rep.clone(),
                    th.id.clone(),
                    scenario.therapist_pools[p].name.clone(),
                    num(t.warmth, 4),
                    num(t.dominance, 4),
                    num(t.fis, 4),
                    num(t.attunement, 4),
                    num(t.repair_skill, 4),
                    num(t.flexibility, 4),
                    num(t.rating_bias, 4),
                    acc.caseload.to_string(),
                    num(acc.change.mean_or_nan(), 4),
                    num(acc.wai_s3.mean_or_nan(), 4),
                    acc.dropouts.to_string(),
                ])?;
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
    vec![
        rep.to_string(),
        arm.to_string(),
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

/// The human summary table printed at the end of `run`.
pub fn summary_table(scenario: &Scenario, pooled: &[SummaryStats]) -> String {
    let pct = |x: f64| {
        if x.is_finite() {
            format!("{:.1}%", 100.0 * x)
        } else {
            "-".into()
        }
    };
    let f2 = |x: f64| {
        if x.is_finite() {
            format!("{x:.2}")
        } else {
            "-".into()
        }
    };
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
    out
}
