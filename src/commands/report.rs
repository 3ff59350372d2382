//! `bordin report RUN_DIR` (and `bordin run --report`): one self-contained HTML page for a run.
//!
//! The report reads a run directory (`manifest.json` with the resolved scenario, `summary.csv`,
//! `patients.csv`, `therapists.csv` and, when the run wrote it, `sessions.csv`) and writes
//! `RUN_DIR/report.html`: the scenario, the per-arm table pooled over replicates, seven charts
//! inline as SVG, and three example patients re-simulated with the trace module, each with its
//! chart and narrative. The charts are also written as `RUN_DIR/charts/NAME.svg` and `.png`.
//!
//! Conventions:
//! - Self-contained: no network resource, no external script or style sheet. The chart font
//!   (DejaVu Sans, as in the PNGs) is embedded as a data URI, so the page looks the same on any
//!   machine. A Content-Security-Policy allows nothing else; the one inline script (it marks the
//!   page as rendered, for tests) is allowed by its hash.
//! - Every text from the run directory (scenario name, description, names, the command line)
//!   is HTML-escaped.
//! - Files are streamed, never loaded whole: `patients.csv` and `sessions.csv` are read in
//!   lockstep (both are in replicate and patient order), so memory does not grow with the run.
//! - A missing or malformed file is a usage error (exit code 2) naming the file and, for a bad
//!   value, its line and column. Without `sessions.csv` (`--sessions-output none`) the charts
//!   that need it are skipped, and the report says so.
//! - Files are written under temporary names and renamed into place.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::analysis::Moments;
use crate::commands::trace;
use crate::error::{Error, Result};
use crate::io::{AtomicFile, num};
use crate::model::attendance::Ending;
use crate::model::instrument::ChangeClass;
use crate::model::treatment::ArmKind;
use crate::plot::{self, RunChart};
use crate::scenario::Scenario;
use crate::sim::engine::{self, RunOptions};

/// The report's file name in the run directory.
pub const REPORT_FILE: &str = "report.html";
/// The directory (in the run directory) of the chart files.
pub const CHART_DIR: &str = "charts";

/// The charts of a report: file stem, title, and whether it needs `sessions.csv`.
pub const CHARTS: &[(&str, &str, bool)] = &[
    ("outcome_distribution", "Distribution of change", false),
    ("outcome_classes", "Outcome classes", false),
    ("dose_effect", "Dose-effect", true),
    ("alliance_outcome", "Alliance and outcome", false),
    ("therapist_effects", "Therapist effects", false),
    ("rupture_repair", "Ruptures and repairs by session", true),
    ("trajectories", "Symptom trajectories", true),
];

/// Patients per arm on the trajectory chart.
pub const TRAJECTORIES_PER_ARM: usize = 40;
/// Points per arm on the alliance-outcome scatter (the fit uses every patient).
pub const SCATTER_POINTS_PER_ARM: usize = 500;
/// Patients of replicate 0 re-simulated to choose the three examples from.
pub const EXAMPLE_POOL: u64 = 400;
/// Sessions need this many attended sessions (ruptures) before a rate is drawn.
pub const MIN_SESSIONS_FOR_RATE: u64 = 20;
pub const MIN_RUPTURES_FOR_RATE: u64 = 10;

/// DejaVu Sans (Bitstream Vera licence: `assets/fonts/DejaVuSans-LICENSE.txt`), as in the PNGs.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The inline script: counts the drawn elements of every chart and marks the page as rendered
/// (`data-rendered="charts drawn/charts"` on `<html>`; `data-drawn` on each figure).
const SCRIPT: &str = "(function(){var f=document.querySelectorAll('figure.chart'),ok=0;for(var i=0;i<f.length;i++){var s=f[i].querySelector('svg'),n=s?s.querySelectorAll('path,line,polyline,polygon,rect,circle,text').length:0,b=s?s.getBBox():null;f[i].setAttribute('data-drawn',String(n));if(n>0&&b&&b.width>0&&b.height>0){ok++;}}document.documentElement.setAttribute('data-rendered',ok+'/'+f.length);})();";

/// What `bordin report` wrote.
#[derive(Clone, Debug)]
pub struct ReportOutput {
    pub path: PathBuf,
    /// Chart files written (SVG and PNG).
    pub charts: Vec<PathBuf>,
    /// Charts skipped, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for ch in data.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= ch.len() {
                out.push(T[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn malformed(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{}: {msg}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Reading the run directory
// ---------------------------------------------------------------------------------------------

/// A streaming CSV reader (RFC 4180 quoting) with header-keyed columns and errors that name the
/// file, line and column.
struct Csv {
    path: PathBuf,
    reader: BufReader<File>,
    header: Vec<String>,
    cells: Vec<String>,
    line: String,
    /// Line number of the current record (1 = header).
    line_no: u64,
}

impl Csv {
    fn open(path: &Path) -> Result<Csv> {
        let file = File::open(path).map_err(|e| {
            Error::Usage(format!(
                "cannot read {}: {e} (is this the output directory of `bordin run`?)",
                path.display()
            ))
        })?;
        let mut csv = Csv {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            header: Vec::new(),
            cells: Vec::new(),
            line: String::new(),
            line_no: 0,
        };
        if !csv.read_record()? {
            return Err(malformed(path, "empty file (no header row)"));
        }
        csv.header = csv.cells.clone();
        Ok(csv)
    }

    /// Reads the next record into `cells`; false at the end of the file.
    fn read_record(&mut self) -> Result<bool> {
        let mut n = 0;
        let mut in_quotes = false;
        let mut started = false;
        loop {
            self.line.clear();
            let read = self
                .reader
                .read_line(&mut self.line)
                .map_err(|e| malformed(&self.path, format!("cannot read: {e}")))?;
            if read == 0 {
                if in_quotes {
                    return Err(malformed(
                        &self.path,
                        format!("line {}: unterminated quoted field", self.line_no),
                    ));
                }
                if !started {
                    return Ok(false);
                }
                break;
            }
            self.line_no += 1;
            if !started {
                started = true;
                n = 1;
                if self.cells.is_empty() {
                    self.cells.push(String::new());
                } else {
                    self.cells[0].clear();
                }
            }
            let text = self.line.trim_end_matches(['\n', '\r']);
            let ended_with_newline = text.len() != self.line.len();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if in_quotes {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            self.cells[n - 1].push('"');
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        self.cells[n - 1].push(c);
                    }
                } else if c == ',' {
                    n += 1;
                    if self.cells.len() < n {
                        self.cells.push(String::new());
                    } else {
                        self.cells[n - 1].clear();
                    }
                } else if c == '"' && self.cells[n - 1].is_empty() {
                    in_quotes = true;
                } else {
                    self.cells[n - 1].push(c);
                }
            }
            if in_quotes && ended_with_newline {
                self.cells[n - 1].push('\n');
                continue;
            }
            break;
        }
        self.cells.truncate(n);
        if !self.header.is_empty() && n != self.header.len() {
            return Err(malformed(
                &self.path,
                format!(
                    "line {}: {n} fields, but the header has {}",
                    self.line_no,
                    self.header.len()
                ),
            ));
        }
        Ok(true)
    }

    fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| malformed(&self.path, format!("no column `{name}` in the header")))
    }

    fn get(&self, i: usize) -> &str {
        &self.cells[i]
    }

    fn bad(&self, i: usize, what: &str) -> Error {
        malformed(
            &self.path,
            format!(
                "line {}, column `{}`: `{}` is not {what}",
                self.line_no, self.header[i], self.cells[i]
            ),
        )
    }

    /// A number; NaN for an empty cell.
    fn f64(&self, i: usize) -> Result<f64> {
        let s = self.get(i);
        if s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse::<f64>().map_err(|_| self.bad(i, "a number"))
    }

    fn u64(&self, i: usize) -> Result<u64> {
        self.get(i)
            .parse::<u64>()
            .map_err(|_| self.bad(i, "a whole number"))
    }

    fn flag(&self, i: usize) -> Result<bool> {
        match self.get(i) {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(self.bad(i, "0 or 1")),
        }
    }

    fn arm(&self, i: usize, arms: &HashMap<String, usize>) -> Result<usize> {
        arms.get(self.get(i)).copied().ok_or_else(|| {
            malformed(
                &self.path,
                format!(
                    "line {}: arm `{}` is not an arm of the scenario in manifest.json",
                    self.line_no,
                    self.get(i)
                ),
            )
        })
    }
}

/// What the report uses of `manifest.json`.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub version: String,
    pub scenario_source: String,
    pub counterfactual: bool,
    /// Whether the run wrote `sessions.csv`.
    pub sessions: bool,
    pub threads: u64,
    pub wall_seconds: f64,
    pub command_line: Vec<String>,
    /// `(file, sha256)` of every file the run wrote.
    pub files: Vec<(String, String)>,
    /// The resolved scenario (TOML).
    pub resolved: String,
}

/// Reads `dir/manifest.json`.
///
/// # Errors
/// A usage error naming the file when it is missing or malformed.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::Usage(format!(
            "cannot read {}: {e} (is this the output directory of `bordin run`?)",
            path.display()
        ))
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| malformed(&path, format!("not JSON: {e}")))?;
    let field = |k: &str| {
        v.get(k)
            .ok_or_else(|| malformed(&path, format!("no field `{k}`")))
    };
    let string = |k: &str| -> Result<String> {
        field(k)?
            .as_str()
            .map(String::from)
            .ok_or_else(|| malformed(&path, format!("field `{k}` is not a string")))
    };
    let files = field("files")?
        .as_array()
        .ok_or_else(|| malformed(&path, "field `files` is not a list"))?
        .iter()
        .map(|f| {
            let s = |k: &str| f.get(k).and_then(|x| x.as_str()).map(String::from);
            s("file")
                .zip(s("sha256"))
                .ok_or_else(|| malformed(&path, "an entry of `files` has no `file` or `sha256`"))
        })
        .collect::<Result<Vec<_>>>()?;
    let sessions = match string("sessions_output")?.as_str() {
        "all" => true,
        "none" => false,
        other => {
            return Err(malformed(
                &path,
                format!("field `sessions_output` is `{other}`, expected `all` or `none`"),
            ));
        }
    };
    Ok(Manifest {
        version: string("bordin_version")?,
        scenario_source: string("scenario_source")?,
        counterfactual: field("counterfactual")?.as_bool().unwrap_or(false),
        sessions,
        threads: field("threads")?.as_u64().unwrap_or(0),
        wall_seconds: field("wall_time_seconds")?.as_f64().unwrap_or(f64::NAN),
        command_line: field("command_line")?
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        files,
        resolved: string("resolved_scenario")?,
    })
}

/// The scenario of a run, read back from its manifest.
fn manifest_scenario(dir: &Path, m: &Manifest) -> Result<Scenario> {
    let path = dir.join("manifest.json");
    Scenario::parse(
        &m.resolved,
        &format!("{} (resolved_scenario)", path.display()),
        &[],
    )
    .map_err(|e| {
        malformed(
            &path,
            format!("its resolved scenario does not read back: {e}"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Aggregates
// ---------------------------------------------------------------------------------------------

/// One arm's row of the table, pooled over replicates.
#[derive(Clone, Debug, Default)]
pub struct PooledRow {
    pub replicates: u64,
    pub n: u64,
    pub dropout: f64,
    pub mean_sessions: f64,
    pub mean_change: f64,
    pub pre_post_d: f64,
    pub reliable_improvement: f64,
    pub recovery: f64,
    pub deterioration: f64,
    pub alliance_outcome_r: f64,
    pub rupture_rate: f64,
    pub repair_rate: f64,
}

/// A weighted mean that skips empty (NaN) values and zero weights.
#[derive(Clone, Copy, Debug, Default)]
struct WMean {
    sum: f64,
    w: f64,
}

impl WMean {
    fn push(&mut self, x: f64, w: f64) {
        if x.is_finite() && w > 0.0 {
            self.sum += x * w;
            self.w += w;
        }
    }
    fn get(&self) -> f64 {
        if self.w > 0.0 {
            self.sum / self.w
        } else {
            f64::NAN
        }
    }
}

/// Pools `summary.csv` per arm: means over replicates weighted by patients (rates per session
/// by sessions, the repair rate by ruptures, r by the patients it uses).
///
/// # Errors
/// A missing or malformed file.
pub fn pooled_summary(dir: &Path, sc: &Scenario) -> Result<Vec<PooledRow>> {
    let arms = arm_index(sc);
    let mut csv = Csv::open(&dir.join("summary.csv"))?;
    let c = |name: &str| csv.col(name);
    let (arm_c, n_c) = (c("arm")?, c("n")?);
    let cols = [
        c("dropout")?,
        c("mean_sessions")?,
        c("mean_change")?,
        c("pre_post_d")?,
        c("reliable_improvement")?,
        c("recovery")?,
        c("deterioration")?,
        c("alliance_outcome_r")?,
        c("alliance_outcome_n")?,
        c("rupture_rate")?,
        c("repair_rate")?,
    ];
    let mut acc = vec![(0u64, 0u64, [WMean::default(); 10]); sc.arms.len()];
    while csv.read_record()? {
        let a = csv.arm(arm_c, &arms)?;
        let n = csv.u64(n_c)?;
        let v: Vec<f64> = cols.iter().map(|&i| csv.f64(i)).collect::<Result<_>>()?;
        let [
            dropout,
            sessions,
            change,
            d,
            ri,
            rec,
            det,
            r,
            r_n,
            rupt,
            rep,
        ] = v.try_into().expect("eleven columns");
        let w = n as f64;
        let (reps, total, m) = &mut acc[a];
        *reps += 1;
        *total += n;
        for (k, x) in [dropout, sessions, change, d, ri, rec, det]
            .into_iter()
            .enumerate()
        {
            m[k].push(x, w);
        }
        m[7].push(r, if r_n.is_finite() { r_n } else { 0.0 });
        m[8].push(rupt, w * sessions);
        m[9].push(rep, w * sessions * rupt);
    }
    Ok(acc
        .iter()
        .map(|(reps, n, m)| PooledRow {
            replicates: *reps,
            n: *n,
            dropout: m[0].get(),
            mean_sessions: m[1].get(),
            mean_change: m[2].get(),
            pre_post_d: m[3].get(),
            reliable_improvement: m[4].get(),
            recovery: m[5].get(),
            deterioration: m[6].get(),
            alliance_outcome_r: m[7].get(),
            rupture_rate: m[8].get(),
            repair_rate: m[9].get(),
        })
        .collect())
}

fn arm_index(sc: &Scenario) -> HashMap<String, usize> {
    sc.arms
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect()
}

/// Running means and co-moments of (WAI-SR, final, intake).
#[derive(Clone, Copy, Debug, Default)]
struct Co3 {
    n: u64,
    mean: [f64; 3],
    c: [[f64; 3]; 3],
}

impl Co3 {
    fn push(&mut self, x: [f64; 3]) {
        self.n += 1;
        let n = self.n as f64;
        let mut d = [0.0; 3];
        for i in 0..3 {
            d[i] = x[i] - self.mean[i];
            self.mean[i] += d[i] / n;
        }
        for (row, di) in self.c.iter_mut().zip(d) {
            for ((c, xj), mj) in row.iter_mut().zip(x).zip(self.mean) {
                *c += di * (xj - mj);
            }
        }
    }

    /// Final regressed on intake: `(intercept, slope)`.
    fn baseline(&self) -> Option<(f64, f64)> {
        if self.n < 3 || self.c[2][2] <= 0.0 {
            return None;
        }
        let b = self.c[1][2] / self.c[2][2];
        Some((self.mean[1] - b * self.mean[2], b))
    }

    /// Residual gain (predicted - observed final: positive = better than predicted from
    /// intake) regressed on WAI-SR: `(intercept, slope, r)`.
    fn alliance_fit(&self) -> Option<(f64, f64, f64)> {
        let (_, b) = self.baseline()?;
        let c = &self.c;
        if c[0][0] <= 0.0 {
            return None;
        }
        let cov = b * c[0][2] - c[0][1];
        let var_rg = b * b * c[2][2] + c[1][1] - 2.0 * b * c[1][2];
        let slope = cov / c[0][0];
        // Residuals have mean zero, so the line passes through (mean WAI, 0).
        let intercept = -slope * self.mean[0];
        let r = if var_rg > 0.0 {
            cov / (c[0][0] * var_rg).sqrt()
        } else {
            f64::NAN
        };
        Some((intercept, slope, r))
    }
}

/// Per-arm aggregates of `patients.csv` and `sessions.csv`.
#[derive(Clone, Debug, Default)]
struct ArmAgg {
    n: u64,
    change: Moments,
    /// Change bin index -> patients.
    bins: BTreeMap<i64, u64>,
    /// recovered, improved, unchanged, deteriorated, dropped out.
    classes: [u64; 5],
    alliance: Co3,
    /// (WAI-SR, final, intake) of the first patients with a WAI-SR.
    scatter: Vec<[f64; 3]>,
    /// Per session: patients first reliably improved before it.
    first_improved: BTreeMap<u32, u64>,
    /// Per session: attended, ruptures, repaired.
    by_session: BTreeMap<u32, [u64; 3]>,
    max_session: u32,
    trajectories: Vec<Vec<(f64, f64)>>,
}

/// One therapist of the first replicate.
#[derive(Clone, Debug)]
struct TherapistAgg {
    id: String,
    change: Moments,
}

/// Everything the charts need.
#[derive(Debug, Default)]
struct Aggregates {
    arms: Vec<ArmAgg>,
    first_replicate: Option<u64>,
    therapists: Vec<TherapistAgg>,
    /// Final scores in `patients.csv` of chosen patients of replicate 0: id -> final.
    finals: HashMap<u64, f64>,
}

/// One row of `sessions.csv`.
struct SessionRow {
    replicate: u64,
    patient: u64,
    session: u32,
    attended: bool,
    rupture: bool,
    repaired: bool,
    score: f64,
}

/// `sessions.csv`, read one row ahead.
struct Sessions {
    csv: Csv,
    cols: [usize; 7],
    peeked: Option<SessionRow>,
}

impl Sessions {
    fn open(path: &Path) -> Result<Sessions> {
        let csv = Csv::open(path)?;
        let cols = [
            csv.col("replicate")?,
            csv.col("patient_id")?,
            csv.col("session")?,
            csv.col("attended")?,
            csv.col("rupture")?,
            csv.col("repaired")?,
            csv.col("symptom_score")?,
        ];
        let mut s = Sessions {
            csv,
            cols,
            peeked: None,
        };
        s.advance()?;
        Ok(s)
    }

    fn advance(&mut self) -> Result<()> {
        self.peeked = if self.csv.read_record()? {
            let c = &self.csv;
            let [rep, pid, session, attended, rupture, repaired, score] = self.cols;
            let session = c.u64(session)?;
            Some(SessionRow {
                replicate: c.u64(rep)?,
                patient: c.u64(pid)?,
                session: u32::try_from(session).map_err(|_| c.bad(self.cols[2], "a session"))?,
                attended: c.flag(attended)?,
                rupture: !matches!(c.get(rupture), "none" | ""),
                repaired: c.flag(repaired)?,
                score: c.f64(score)?,
            })
        } else {
            None
        };
        Ok(())
    }
}

/// Reads `patients.csv` (and `sessions.csv` in lockstep, when there) into the aggregates.
fn aggregate(
    dir: &Path,
    sc: &Scenario,
    sessions: bool,
    bin: f64,
    watch: &[u64],
) -> Result<Aggregates> {
    let inst = &sc.instrument;
    let arms = arm_index(sc);
    let ppath = dir.join("patients.csv");
    let mut p = Csv::open(&ppath)?;
    let pc = |n: &str| p.col(n);
    let cols = [
        pc("replicate")?,
        pc("patient_id")?,
        pc("arm")?,
        pc("therapist_id")?,
        pc("intake_score")?,
        pc("final_score")?,
        pc("change")?,
        pc("change_class")?,
        pc("dropped_out")?,
        pc("wai_patient_s3")?,
    ];
    let [
        rep_c,
        pid_c,
        arm_c,
        th_c,
        intake_c,
        final_c,
        change_c,
        class_c,
        drop_c,
        wai_c,
    ] = cols;
    let mut s = if sessions {
        Some(Sessions::open(&dir.join("sessions.csv"))?)
    } else {
        None
    };
    let mut agg = Aggregates {
        arms: vec![ArmAgg::default(); sc.arms.len()],
        ..Aggregates::default()
    };
    let mut therapist_index: HashMap<String, usize> = HashMap::new();
    while p.read_record()? {
        let rep = p.u64(rep_c)?;
        let pid = p.u64(pid_c)?;
        let a = p.arm(arm_c, &arms)?;
        let intake = p.f64(intake_c)?;
        let fin = p.f64(final_c)?;
        let change = p.f64(change_c)?;
        let dropped = p.flag(drop_c)?;
        let wai = p.f64(wai_c)?;
        let class = match p.get(class_c) {
            "recovered" => ChangeClass::Recovered,
            "improved" => ChangeClass::Improved,
            "unchanged" => ChangeClass::Unchanged,
            "deteriorated" => ChangeClass::Deteriorated,
            _ => return Err(p.bad(class_c, "a change class")),
        };
        let first = *agg.first_replicate.get_or_insert(rep);
        if rep == 0 && watch.contains(&pid) {
            agg.finals.insert(pid, fin);
        }
        let arm = &mut agg.arms[a];
        arm.n += 1;
        if change.is_finite() {
            arm.change.push(change);
            *arm.bins.entry((change / bin).round() as i64).or_default() += 1;
        }
        let k = if dropped {
            4
        } else {
            match class {
                ChangeClass::Recovered => 0,
                ChangeClass::Improved => 1,
                ChangeClass::Unchanged => 2,
                ChangeClass::Deteriorated => 3,
            }
        };
        arm.classes[k] += 1;
        if wai.is_finite() && intake.is_finite() && fin.is_finite() {
            arm.alliance.push([wai, fin, intake]);
            if arm.scatter.len() < SCATTER_POINTS_PER_ARM {
                arm.scatter.push([wai, fin, intake]);
            }
        }
        let th = p.get(th_c);
        if rep == first && !th.is_empty() && change.is_finite() {
            let i = *therapist_index.entry(th.to_string()).or_insert_with(|| {
                agg.therapists.push(TherapistAgg {
                    id: th.to_string(),
                    change: Moments::default(),
                });
                agg.therapists.len() - 1
            });
            agg.therapists[i].change.push(change);
        }
        let Some(s) = s.as_mut() else {
            continue;
        };
        // This patient's session rows (contiguous, in the same order as patients.csv).
        let arm = &mut agg.arms[a];
        let sample = rep == first && arm.trajectories.len() < TRAJECTORIES_PER_ARM;
        let mut traj = vec![(0.0, intake)];
        let mut improved = false;
        let mut last = 0;
        while let Some(r) = s
            .peeked
            .as_ref()
            .filter(|r| (r.replicate, r.patient) == (rep, pid))
        {
            last = last.max(r.session);
            arm.max_session = arm.max_session.max(r.session);
            if !improved && r.score.is_finite() && intake - r.score >= inst.rc_threshold {
                improved = true;
                *arm.first_improved.entry(r.session).or_default() += 1;
            }
            if r.attended {
                let e = arm.by_session.entry(r.session).or_default();
                e[0] += 1;
                e[1] += u64::from(r.rupture);
                e[2] += u64::from(r.rupture && r.repaired);
            }
            if sample && r.score.is_finite() {
                traj.push((f64::from(r.session), r.score));
            }
            s.advance()?;
        }
        if sample {
            if !dropped && fin.is_finite() {
                traj.push((f64::from(last + 1), fin));
            }
            arm.max_session = arm.max_session.max(last + 1);
            arm.trajectories.push(traj);
        }
    }
    if let Some(s) = &s
        && let Some(r) = &s.peeked
    {
        return Err(malformed(
            &s.csv.path,
            format!(
                "line {}: a row of replicate {} patient {} that is not in patients.csv, or rows out of order (both files are in replicate and patient order)",
                s.csv.line_no, r.replicate, r.patient
            ),
        ));
    }
    if agg.first_replicate.is_none() {
        return Err(malformed(&ppath, "no patients (only a header row)"));
    }
    Ok(agg)
}

/// Therapist pools of the first replicate's therapists, from `therapists.csv`.
fn therapist_pools(dir: &Path, replicate: u64) -> Result<HashMap<String, String>> {
    let mut csv = Csv::open(&dir.join("therapists.csv"))?;
    let (r, id, pool) = (
        csv.col("replicate")?,
        csv.col("therapist_id")?,
        csv.col("pool")?,
    );
    let mut out = HashMap::new();
    while csv.read_record()? {
        if csv.u64(r)? == replicate {
            out.insert(csv.get(id).to_string(), csv.get(pool).to_string());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

/// Bin width of the change histogram: about 30 bins over the instrument's range, at least one
/// point (whole points for PHQ-9, GAD-7 and CORE-OM).
fn bin_width(sc: &Scenario) -> f64 {
    ((sc.instrument.max - sc.instrument.min) / 30.0)
        .round()
        .max(1.0)
}

fn build_charts(
    sc: &Scenario,
    agg: &Aggregates,
    pools: &HashMap<String, String>,
    bin: f64,
    sessions: bool,
) -> Vec<(&'static str, Option<RunChart>, String)> {
    let inst = &sc.instrument;
    let label = trace::instrument_label(inst);
    let names: Vec<String> = sc.arms.iter().map(|a| a.name.clone()).collect();
    let mut out = Vec::new();

    // Outcome distribution.
    let hist = plot::ChangeHistogram {
        instrument: label.clone(),
        bin,
        rc_threshold: inst.rc_threshold,
        arms: agg
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.n > 0)
            .map(|(i, a)| plot::ArmHistogram {
                arm: names[i].clone(),
                colour: i,
                n: a.n,
                mean: a.change.mean_or_nan(),
                bins: a
                    .bins
                    .iter()
                    .map(|(&k, &c)| ((k as f64 - 0.5) * bin, c as f64 / a.n as f64))
                    .collect(),
            })
            .collect(),
    };
    out.push((
        "outcome_distribution",
        Some(RunChart::Histogram(hist)),
        format!(
            "Change = final - intake {label} score per patient (negative = improvement), as a share of the arm's patients, in bins of {} point{} centred on multiples of the bin width. Dashed lines: the reliable-change threshold (±{} points); solid line: the arm's mean change.",
            num(bin, 0),
            if bin == 1.0 { "" } else { "s" },
            num(inst.rc_threshold, 2)
        ),
    ));

    // Outcome classes.
    let classes = plot::ClassShares {
        classes: [
            "recovered",
            "improved",
            "unchanged",
            "deteriorated",
            "dropped out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        arms: agg
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.n > 0)
            .map(|(i, a)| {
                (
                    names[i].clone(),
                    a.n,
                    a.classes.iter().map(|&c| c as f64 / a.n as f64).collect(),
                )
            })
            .collect(),
    };
    out.push((
        "outcome_classes",
        Some(RunChart::Classes(classes)),
        format!(
            "Share of each arm's patients by outcome (Jacobson-Truax): recovered (reliably improved by at least {} points, a case at intake (score at or above {}) and not at the end), improved (reliably improved, not recovered), unchanged, deteriorated (reliably worse); dropped out: patients who dropped out, whatever their last score.",
            num(inst.rc_threshold, 2),
            num(inst.cutoff, 2)
        ),
    ));

    // The last session of any arm: the x range of the session-based charts.
    let x_max = agg
        .arms
        .iter()
        .map(|a| a.max_session)
        .max()
        .unwrap_or(1)
        .max(1);

    // Dose-effect.
    if sessions {
        let lines: Vec<plot::LineData> = agg
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.n > 0)
            .map(|(i, a)| {
                let mut cum = 0;
                let mut pts = vec![(0.0, 0.0)];
                for s in 1..=a.max_session.max(1) {
                    cum += a.first_improved.get(&s).copied().unwrap_or(0);
                    pts.push((f64::from(s), 100.0 * cum as f64 / a.n as f64));
                }
                plot::LineData {
                    name: names[i].clone(),
                    colour: i,
                    points: pts,
                }
            })
            .collect();
        let top = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold(10.0, f64::max);
        out.push((
            "dose_effect",
            Some(RunChart::Lines(plot::LineChart {
                title: "Dose-effect: patients reliably improved by session".into(),
                panels: vec![plot::LinePanel {
                    title: String::new(),
                    x_desc: "Session (score measured before it; waitlist: week of the planned session)"
                        .into(),
                    y_desc: "Reliably improved (% of arm, cumulative)".into(),
                    x_range: (0.0, f64::from(x_max) + 0.5),
                    y_range: (0.0, (top * 1.1).min(100.0)),
                    percent: true,
                    lines,
                }],
            })),
            format!(
                "Cumulative share of each arm's patients whose {label} score before a session had fallen by at least the reliable-change threshold ({} points) from intake, at that session or earlier (simple cumulative incidence over all patients allocated: patients who left before improving count as not improved).",
                num(inst.rc_threshold, 2)
            ),
        ));
    } else {
        out.push(("dose_effect", None, String::new()));
    }

    // Alliance-outcome scatter.
    let scatter_arms: Vec<plot::ScatterArm> = agg
        .arms
        .iter()
        .enumerate()
        .filter(|(_, a)| a.alliance.n >= 3)
        .map(|(i, a)| {
            let base = a.alliance.baseline();
            let fit = a.alliance.alliance_fit();
            plot::ScatterArm {
                arm: names[i].clone(),
                colour: i,
                points: match base {
                    Some((b0, b1)) => a
                        .scatter
                        .iter()
                        .map(|[w, f, i]| (*w, b0 + b1 * i - f))
                        .collect(),
                    None => Vec::new(),
                },
                fit: fit.map(|(b0, b1, _)| (b0, b1)),
                r: fit.map_or(f64::NAN, |f| f.2),
                n: a.alliance.n,
            }
        })
        .collect();
    if scatter_arms.is_empty() {
        out.push((
            "alliance_outcome",
            None,
            "no arm has three or more patients with a WAI-SR at session 3 (waitlist arms have none)".into(),
        ));
    } else {
        let without: Vec<&str> = agg
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.n > 0 && a.alliance.n < 3)
            .map(|(i, _)| names[i].as_str())
            .collect();
        out.push((
            "alliance_outcome",
            Some(RunChart::Scatter(plot::AllianceScatter {
                instrument: label.clone(),
                arms: scatter_arms,
            })),
            format!(
                "Patient-rated WAI-SR total at session 3 against residual gain: the final {label} score predicted from intake (least squares within the arm) minus the observed final score, so positive = more improvement than intake predicts. Patients who attended session 3; points: the first {SCATTER_POINTS_PER_ARM} of each arm; lines and r: least squares over every such patient of all replicates.{}",
                if without.is_empty() {
                    String::new()
                } else {
                    format!(" Not shown (no alliance ratings): {}.", without.join(", "))
                }
            ),
        ));
    }

    // Therapist caterpillar.
    if agg.therapists.is_empty() {
        out.push((
            "therapist_effects",
            None,
            "no patient has a therapist (waitlist arms only)".into(),
        ));
    } else {
        // Groups: therapist pools in scenario order, each in the colour of its first arm.
        let groups: Vec<(String, usize)> = sc
            .therapist_pools
            .iter()
            .enumerate()
            .map(|(p, pool)| {
                let arms: Vec<(usize, &str)> = sc
                    .arms
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.pool == Some(p))
                    .map(|(i, a)| (i, a.name.as_str()))
                    .collect();
                let colour = arms.first().map_or(p, |a| a.0);
                let names: Vec<&str> = arms.iter().map(|a| a.1).collect();
                (
                    format!(
                        "{} {} (pool {})",
                        if names.len() == 1 { "arm" } else { "arms" },
                        names.join(", "),
                        pool.name
                    ),
                    colour,
                )
            })
            .collect();
        let mut used = vec![false; groups.len()];
        let mut all = WMean::default();
        let mut effects: Vec<plot::TherapistEffect> = agg
            .therapists
            .iter()
            .map(|t| {
                let pool = pools.get(&t.id).map(String::as_str).unwrap_or_default();
                let group = sc
                    .therapist_pools
                    .iter()
                    .position(|p| p.name == pool)
                    .unwrap_or(0);
                used[group] = true;
                let m = &t.change;
                let (lo, hi) = if m.n >= 2 {
                    let half = crate::stats::dist::t_quantile(0.975, (m.n - 1) as f64) * m.sd()
                        / (m.n as f64).sqrt();
                    (m.mean - half, m.mean + half)
                } else {
                    (f64::NAN, f64::NAN)
                };
                plot::TherapistEffect {
                    id: t.id.clone(),
                    group,
                    n: m.n,
                    mean: m.mean,
                    lo,
                    hi,
                }
            })
            .collect();
        for t in &agg.therapists {
            all.push(t.change.mean, t.change.n as f64);
        }
        effects.sort_by(|a, b| a.mean.total_cmp(&b.mean).then(a.id.cmp(&b.id)));
        let span = inst.max - inst.min;
        let caseloads: Vec<u64> = effects.iter().map(|e| e.n).collect();
        let replicate = agg.first_replicate.unwrap_or(0);
        out.push((
            "therapist_effects",
            Some(RunChart::Caterpillar(plot::Caterpillar {
                instrument: label.clone(),
                replicate,
                groups: groups
                    .into_iter()
                    .zip(used)
                    .map(|(g, u)| if u { g } else { (String::new(), g.1) })
                    .collect(),
                therapists: effects,
                overall: all.get(),
                limits: (-span, span),
            })),
            format!(
                "Each therapist of replicate {replicate} ({} therapists with patients; caseloads {} to {}): the mean change of the patients they started with, with a 95% t interval from the spread within their caseload (cut at the largest possible change, ±{} points; none for a caseload of one); sorted from most to least improvement.",
                caseloads.len(),
                caseloads.iter().min().unwrap_or(&0),
                caseloads.iter().max().unwrap_or(&0),
                num(span, 2)
            ),
        ));
    }

    // Rupture and repair rates by session.
    if sessions {
        let mut rupture_lines = Vec::new();
        let mut repair_lines = Vec::new();
        let mut x_max = 1;
        let mut top: f64 = 10.0;
        for (i, a) in agg.arms.iter().enumerate() {
            let rupt: Vec<(f64, f64)> = a
                .by_session
                .iter()
                .filter(|(_, v)| v[0] >= MIN_SESSIONS_FOR_RATE)
                .map(|(&s, v)| (f64::from(s), 100.0 * v[1] as f64 / v[0] as f64))
                .collect();
            let rep: Vec<(f64, f64)> = a
                .by_session
                .iter()
                .filter(|(_, v)| v[1] >= MIN_RUPTURES_FOR_RATE)
                .map(|(&s, v)| (f64::from(s), 100.0 * v[2] as f64 / v[1] as f64))
                .collect();
            for (s, y) in rupt.iter() {
                x_max = x_max.max(*s as u32);
                top = top.max(*y);
            }
            if !rupt.is_empty() {
                rupture_lines.push(plot::LineData {
                    name: names[i].clone(),
                    colour: i,
                    points: rupt,
                });
            }
            if !rep.is_empty() {
                repair_lines.push(plot::LineData {
                    name: names[i].clone(),
                    colour: i,
                    points: rep,
                });
            }
        }
        if rupture_lines.is_empty() {
            out.push((
                "rupture_repair",
                None,
                format!("no session was attended by {MIN_SESSIONS_FOR_RATE} or more patients"),
            ));
        } else {
            let without: Vec<&str> = sc
                .arms
                .iter()
                .filter(|a| !rupture_lines.iter().any(|l| l.name == a.name))
                .map(|a| a.name.as_str())
                .collect();
            let x_range = (0.5, f64::from(x_max) + 0.5);
            out.push((
                "rupture_repair",
                Some(RunChart::Lines(plot::LineChart {
                    title: "Ruptures and repairs by session".into(),
                    panels: vec![
                        plot::LinePanel {
                            title: "Rupture rate".into(),
                            x_desc: "Session".into(),
                            y_desc: "Sessions with a rupture (% of attended)".into(),
                            x_range,
                            y_range: (0.0, (top * 1.1).min(100.0)),
                            percent: true,
                            lines: rupture_lines,
                        },
                        plot::LinePanel {
                            title: "Repair rate".into(),
                            x_desc: "Session".into(),
                            y_desc: "Ruptures repaired (% of ruptures)".into(),
                            x_range,
                            y_range: (0.0, 100.0),
                            percent: true,
                            lines: repair_lines,
                        },
                    ],
                })),
                format!(
                    "Left: share of attended sessions with a rupture (latent ruptures, whoever noticed them), per session number; right: share of those ruptures repaired in the session. Sessions attended by fewer than {MIN_SESSIONS_FOR_RATE} patients (rates of fewer than {MIN_RUPTURES_FOR_RATE} ruptures) are left out.{}",
                    if without.is_empty() {
                        String::new()
                    } else {
                        format!(" No sessions (not shown): {}.", without.join(", "))
                    }
                ),
            ));
        }
    } else {
        out.push(("rupture_repair", None, String::new()));
    }

    // Trajectories.
    if sessions {
        let arms: Vec<plot::SpaghettiArm> = agg
            .arms
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.trajectories.is_empty())
            .map(|(i, a)| plot::SpaghettiArm {
                arm: names[i].clone(),
                colour: i,
                trajectories: a.trajectories.clone(),
            })
            .collect();
        out.push((
            "trajectories",
            Some(RunChart::Spaghetti(plot::Spaghetti {
                instrument: label.clone(),
                score_range: (inst.min, inst.max),
                cutoff: inst.cutoff,
                x_max: f64::from(x_max) + 0.5,
                arms,
            })),
            format!(
                "{label} scores of the first {TRAJECTORIES_PER_ARM} patients of each arm in replicate {}: intake at 0, the score before each session (waitlist: each planned session's week), and the end-of-treatment assessment one step after the last session (none after a dropout). Dashed: the clinical cut-off ({}).",
                agg.first_replicate.unwrap_or(0),
                num(inst.cutoff, 2)
            ),
        ));
    } else {
        out.push(("trajectories", None, String::new()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Example patients (the trace module)
// ---------------------------------------------------------------------------------------------

/// An example patient, re-simulated.
struct Example {
    /// Why it was chosen.
    why: String,
    trace: trace::Trace,
    /// The therapist's id (and the last one's after a re-match).
    therapist: String,
}

/// Re-simulates the first [`EXAMPLE_POOL`] patients of replicate 0 (placement and random draws
/// are those of the run: allocation and assignment run in patient order, so the first patients
/// of a smaller run are the same patients) and picks three of the therapy arms: one who
/// recovered, one who dropped out, and the one with most ruptures; others fill in.
fn examples(sc: &Scenario, source: &str) -> Result<Vec<Example>> {
    let mut small = sc.clone();
    small.run.patients = sc.run.patients.min(EXAMPLE_POOL);
    small.run.replicates = 1;
    let opts = RunOptions {
        counterfactual: false,
        record_sessions: true,
        ..RunOptions::default()
    };
    let collected = engine::collect(&small, &opts)?;
    let Some((_, therapists, outcomes)) = collected.replicates.first() else {
        return Ok(Vec::new());
    };
    let inst = &sc.instrument;
    let therapy: Vec<&engine::PatientOutcome> = outcomes
        .iter()
        .filter(|o| sc.arms[o.arm].kind == ArmKind::Therapy && o.course.first_therapist.is_some())
        .collect();
    let big_ruptures = |o: &engine::PatientOutcome| {
        o.course
            .sessions
            .iter()
            .filter(|r| {
                r.rupture
                    .is_some_and(|e| e.severity >= trace::MINOR_RUPTURE)
            })
            .count()
    };
    let mut picks: Vec<(usize, String)> = Vec::new();
    let taken = |picks: &Vec<(usize, String)>, i: usize| picks.iter().any(|(j, _)| *j == i);
    if let Some(i) = therapy.iter().position(|o| {
        o.course.ending != Ending::DroppedOut
            && inst.classify(o.course.intake_score, o.course.final_score) == ChangeClass::Recovered
    }) {
        picks.push((i, "recovered".into()));
    }
    if let Some(i) = therapy
        .iter()
        .position(|o| o.course.ending == Ending::DroppedOut)
    {
        picks.push((i, "dropped out".into()));
    }
    let most = therapy
        .iter()
        .enumerate()
        .filter(|(i, o)| !taken(&picks, *i) && big_ruptures(o) > 0)
        .max_by(|(i, a), (j, b)| {
            (big_ruptures(a), a.course.repairs)
                .cmp(&(big_ruptures(b), b.course.repairs))
                .then(j.cmp(i))
        });
    if let Some((i, o)) = most {
        picks.push((
            i,
            format!(
                "most ruptures: {} of severity {} or more",
                big_ruptures(o),
                trace::MINOR_RUPTURE
            ),
        ));
    }
    for i in 0..therapy.len() {
        if picks.len() >= 3 {
            break;
        }
        if !taken(&picks, i) {
            picks.push((i, "one of the first patients".into()));
        }
    }
    picks.sort_by_key(|(i, _)| therapy[*i].patient.index);
    Ok(picks
        .into_iter()
        .map(|(i, why)| {
            let o = therapy[i];
            let arm = sc.arms[o.arm].clone();
            let pool = &therapists[arm.pool.unwrap_or(0)];
            let first = &pool[o.course.first_therapist.unwrap_or(0) as usize];
            let mut therapist = first.id.clone();
            if let Some(last) = o.course.last_therapist
                && last != first.index
            {
                let _ = write!(therapist, " (re-matched to {})", pool[last as usize].id);
            }
            let trace = trace::Trace {
                scenario: sc.clone(),
                scenario_source: source.to_string(),
                arm,
                patient_label: o.patient.index.to_string(),
                patient: o.patient.clone(),
                dyads: vec![trace::Dyad {
                    name: "A".into(),
                    therapist_label: first.id.clone(),
                    therapist: first.traits.clone(),
                    course: o.course.clone(),
                }],
            };
            Example {
                why,
                trace,
                therapist,
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

fn render_error(path: PathBuf) -> impl FnOnce(String) -> Error {
    move |msg| Error::Write {
        path,
        source: std::io::Error::other(msg),
    }
}

/// Writes one chart as `charts/NAME.svg` and `charts/NAME.png`; returns the SVG.
fn write_chart(dir: &Path, stem: &str, chart: &RunChart) -> Result<(String, Vec<PathBuf>)> {
    let cdir = dir.join(CHART_DIR);
    let svg_name = format!("{stem}.svg");
    let svg = plot::svg(chart).map_err(render_error(cdir.join(&svg_name)))?;
    let mut f = AtomicFile::create(&cdir, &svg_name)?;
    f.raw(svg.as_bytes())?;
    f.commit()?;
    let png = cdir.join(format!("{stem}.png"));
    let tmp = cdir.join(format!(".{stem}.tmp.png"));
    if let Err(e) = plot::png(chart, &tmp).map_err(render_error(png.clone())) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &png).map_err(|source| Error::Write {
        path: png.clone(),
        source,
    })?;
    Ok((svg, vec![cdir.join(svg_name), png]))
}

/// Removes the report and chart files of an earlier report from a run directory (`bordin run
/// --force` calls it, so no report of an earlier run survives beside new files). Other files
/// stay; the chart directory is removed only when empty.
pub fn remove_outputs(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(REPORT_FILE));
    let _ = std::fs::remove_file(dir.join(format!(".{REPORT_FILE}.tmp")));
    let cdir = dir.join(CHART_DIR);
    for (stem, _, _) in CHARTS {
        for name in [
            format!("{stem}.svg"),
            format!("{stem}.png"),
            format!(".{stem}.svg.tmp"),
            format!(".{stem}.tmp.png"),
        ] {
            let _ = std::fs::remove_file(cdir.join(name));
        }
    }
    let _ = std::fs::remove_dir(cdir);
}

/// Reads a run directory and writes `report.html` and the chart files into it.
///
/// # Errors
/// A usage error (exit code 2) naming the file when one is missing or malformed; write and
/// rendering failures otherwise.
pub fn write(dir: &Path) -> Result<ReportOutput> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory (give the output directory of `bordin run`)",
            dir.display()
        )));
    }
    let manifest = read_manifest(dir)?;
    let sc = manifest_scenario(dir, &manifest)?;
    let pooled = pooled_summary(dir, &sc)?;
    let examples = examples(&sc, &manifest.scenario_source)?;
    let watch: Vec<u64> = examples.iter().map(|e| e.trace.patient.index).collect();
    let bin = bin_width(&sc);
    let agg = aggregate(dir, &sc, manifest.sessions, bin, &watch)?;
    let pools = therapist_pools(dir, agg.first_replicate.unwrap_or(0))?;
    let built = build_charts(&sc, &agg, &pools, bin, manifest.sessions);
    let cdir = dir.join(CHART_DIR);
    std::fs::create_dir_all(&cdir).map_err(|source| Error::Write {
        path: cdir.clone(),
        source,
    })?;
    let mut files = Vec::new();
    let mut figures = Vec::new();
    let mut skipped = Vec::new();
    for (stem, chart, caption) in built {
        let title = CHARTS
            .iter()
            .find(|(s, _, _)| *s == stem)
            .map_or(stem, |c| c.1);
        match chart {
            Some(c) => {
                let (svg, written) = write_chart(dir, stem, &c)?;
                files.extend(written);
                figures.push((stem, title, svg, caption));
            }
            None => {
                for ext in ["svg", "png"] {
                    let _ = std::fs::remove_file(cdir.join(format!("{stem}.{ext}")));
                }
                let reason = if caption.is_empty() {
                    "needs sessions.csv, which this run did not write (--sessions-output none)"
                        .to_string()
                } else {
                    caption
                };
                skipped.push((stem.to_string(), reason));
            }
        }
    }
    let mut traces = Vec::new();
    for e in &examples {
        let mut chart = trace::chart_data(&e.trace);
        let idx = e.trace.patient.index;
        chart.title = format!(
            "Patient {idx} of replicate 0: {} with therapist {}",
            e.trace.arm.name, e.therapist
        );
        if let Some(d) = chart.dyads.first_mut() {
            d.title = format!("Patient {idx}");
        }
        let svg = plot::svg(&chart).map_err(render_error(dir.join(REPORT_FILE)))?;
        traces.push(svg);
    }
    let html = html(&HtmlInput {
        dir,
        manifest: &manifest,
        sc: &sc,
        pooled: &pooled,
        figures: &figures,
        skipped: &skipped,
        examples: &examples,
        traces: &traces,
        finals: &agg.finals,
    });
    let mut f = AtomicFile::create(dir, REPORT_FILE)?;
    f.raw(html.as_bytes())?;
    f.commit()?;
    Ok(ReportOutput {
        path: dir.join(REPORT_FILE),
        charts: files,
        skipped,
    })
}

struct HtmlInput<'a> {
    dir: &'a Path,
    manifest: &'a Manifest,
    sc: &'a Scenario,
    pooled: &'a [PooledRow],
    /// (stem, title, SVG, caption).
    figures: &'a [(&'static str, &'static str, String, String)],
    skipped: &'a [(String, String)],
    examples: &'a [Example],
    traces: &'a [String],
    finals: &'a HashMap<u64, f64>,
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "–".into()
    }
}

fn f2(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "–".into()
    }
}

/// An inline SVG with an accessible name.
fn inline_svg(svg: &str, label: &str) -> String {
    let body = svg.trim_start_matches(|c: char| c != '<');
    body.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(label)),
        1,
    )
}

const STYLE: &str = "
:root{color:#222;background:#fff}
body{font-family:'DejaVu Sans Report',sans-serif;font-size:15px;line-height:1.5;max-width:1180px;margin:0 auto;padding:24px}
svg text{font-family:'DejaVu Sans Report',sans-serif}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:17px;margin:24px 0 6px}
p.lead{font-size:16px;margin:4px 0 16px}
nav a{margin-right:14px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.name,th.name{text-align:left}
.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;border-radius:2px}
figure{margin:16px 0 28px;border:1px solid #e2e2e2;padding:8px}
figure svg{display:block;width:100%;height:auto}
figure.trace svg{max-width:860px;margin:0 auto}
figcaption{font-size:14px;color:#333;margin-top:6px}
p.note{font-size:14px;color:#333}
p.skipped{background:#fff6e0;border-left:4px solid #E69F00;padding:6px 10px}
p.warning{background:#fde8e0;border-left:4px solid #D55E00;padding:6px 10px}
code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:13px}
pre{overflow-x:auto;background:#f7f7f7;padding:8px}
footer{margin-top:40px;font-size:13px;color:#555}
";

fn html(i: &HtmlInput) -> String {
    let sc = i.sc;
    let m = i.manifest;
    let inst = &sc.instrument;
    let label = trace::instrument_label(inst);
    let script_hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    let mut h = String::with_capacity(2 << 20);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'\">\n<meta name=\"generator\" content=\"bordin {}\">\n<title>bordin report: {}</title>\n<style>@font-face{{font-family:'DejaVu Sans Report';src:url(data:font/ttf;base64,{}) format('truetype')}}{STYLE}</style>\n</head>\n<body>\n",
        escape(crate::VERSION),
        escape(&sc.name),
        base64(FONT)
    );
    let _ = write!(
        h,
        "<header>\n<h1>bordin report: {}</h1>\n<p class=\"lead\" id=\"description\">{}</p>\n<nav><a href=\"#scenario\">Scenario</a><a href=\"#arms\">Outcomes per arm</a><a href=\"#charts\">Charts</a><a href=\"#examples\">Example patients</a></nav>\n</header>\n",
        escape(&sc.name),
        escape(&sc.description)
    );

    // Scenario.
    h.push_str("<section id=\"scenario\">\n<h2>Scenario</h2>\n<dl class=\"facts\">\n");
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    fact("Name", escape(&sc.name));
    fact("Description", escape(&sc.description));
    fact("Scenario file", escape(&m.scenario_source));
    fact("Run directory", escape(&i.dir.display().to_string()));
    fact(
        "Seed, replicates, patients",
        format!(
            "seed {}; {} replicate{} of {} patients",
            sc.run.seed,
            sc.run.replicates,
            if sc.run.replicates == 1 { "" } else { "s" },
            sc.run.patients
        ),
    );
    fact(
        "Instrument",
        escape(&format!(
            "{label}: scores {} to {}, clinical cut-off {}, reliable change {} points",
            num(inst.min, 2),
            num(inst.max, 2),
            num(inst.cutoff, 2),
            num(inst.rc_threshold, 2)
        )),
    );
    fact(
        "Therapist pools",
        escape(
            &sc.therapist_pools
                .iter()
                .map(|p| format!("{} ({} therapists)", p.name, p.therapists))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    fact(
        "Populations",
        escape(
            &sc.populations
                .iter()
                .map(|p| format!("{} (share {})", p.name, num(p.share, 3)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    fact(
        "Options",
        escape(&format!(
            "counterfactual {}; sessions.csv {}; {} thread{}; {:.2} s",
            if m.counterfactual { "on" } else { "off" },
            if m.sessions { "written" } else { "not written" },
            m.threads,
            if m.threads == 1 { "" } else { "s" },
            m.wall_seconds
        )),
    );
    fact(
        "Command",
        format!("<code>{}</code>", escape(&m.command_line.join(" "))),
    );
    fact("bordin version", escape(&m.version));
    h.push_str("</dl>\n<table id=\"arm-design\">\n<tr><th class=\"name\">arm</th><th class=\"name\">kind</th><th class=\"name\">therapist pool</th><th>planned sessions</th><th>allocation</th></tr>\n");
    let total_alloc: f64 = sc.arms.iter().map(|a| a.allocation).sum();
    for (k, a) in sc.arms.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{}</td></tr>",
            plot::arm_colour_hex(k),
            escape(&a.name),
            match a.kind {
                ArmKind::Therapy => "therapy",
                ArmKind::Waitlist => "waitlist",
            },
            escape(a.pool_name.as_deref().unwrap_or("–")),
            if a.kind == ArmKind::Therapy {
                a.sessions.to_string()
            } else {
                "–".into()
            },
            pct(a.allocation / total_alloc)
        );
    }
    h.push_str("</table>\n</section>\n");

    // Per-arm table.
    h.push_str("<section id=\"arms\">\n<h2>Outcomes per arm</h2>\n<table id=\"arm-table\">\n<tr><th class=\"name\">arm</th><th>replicates</th><th>patients</th><th>dropout</th><th>sessions</th><th>change</th><th>pre-post d</th><th>reliably improved</th><th>recovered</th><th>deteriorated</th><th>alliance-outcome r</th><th>ruptures per session</th><th>ruptures repaired</th></tr>\n");
    for (k, (a, r)) in sc.arms.iter().zip(i.pooled).enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            plot::arm_colour_hex(k),
            escape(&a.name),
            r.replicates,
            r.n,
            pct(r.dropout),
            f2(r.mean_sessions),
            f2(r.mean_change),
            f2(r.pre_post_d),
            pct(r.reliable_improvement),
            pct(r.recovery),
            pct(r.deterioration),
            f2(r.alliance_outcome_r),
            f2(r.rupture_rate),
            pct(r.repair_rate)
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<p class=\"note\">From summary.csv, pooled over replicates: means over replicates weighted by patients (the alliance-outcome r by the patients it uses, rupture rates by sessions, the repair rate by ruptures). Change = final - intake {} score (negative = improvement); pre-post d = mean improvement / SD of intake; recovered among cases at intake (score at or above {}); reliable change at least {} points; alliance-outcome r: WAI-SR at session 3 with residual gain; ruptures per attended session; dropout = unilateral ending before the planned or a good-enough end.</p>\n</section>",
        escape(&label),
        num(inst.cutoff, 2),
        num(inst.rc_threshold, 2)
    );

    // Charts.
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Each chart is also in <code>{}/</code> as SVG and PNG.</p>",
        CHART_DIR
    );
    for (stem, reason) in i.skipped {
        let title = CHARTS
            .iter()
            .find(|(s, _, _)| s == stem)
            .map_or(stem.as_str(), |c| c.1);
        let _ = writeln!(
            h,
            "<p class=\"skipped\" data-skipped=\"{}\">Not drawn: {} ({}).</p>",
            escape(stem),
            escape(title),
            escape(reason)
        );
    }
    for (stem, title, svg, caption) in i.figures {
        let _ = writeln!(
            h,
            "<figure class=\"chart\" id=\"chart-{stem}\" data-chart=\"{stem}\">\n{}\n<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>",
            inline_svg(svg, title),
            escape(title),
            escape(caption)
        );
    }
    h.push_str("</section>\n");

    // Examples.
    h.push_str("<section id=\"examples\">\n<h2>Example patients</h2>\n");
    if i.examples.is_empty() {
        h.push_str("<p class=\"note\">No example: the scenario has no therapy arm with patients among the first patients of replicate 0.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"note\">Three patients of replicate 0 (among its first {}), re-simulated session by session with the run's scenario and seed: the same patients, therapists and random draws as in the run's files, told by the trace module (<code>bordin trace</code>). Alliance values are latent (0-1); scores are {} points.</p>",
            EXAMPLE_POOL.min(sc.run.patients),
            escape(&label)
        );
    }
    for (k, (e, svg)) in i.examples.iter().zip(i.traces).enumerate() {
        let t = &e.trace;
        let idx = t.patient.index;
        let (setting, sections, _) = trace::narrative(t);
        let _ = writeln!(
            h,
            "<article class=\"example\" id=\"example-{}\">\n<h3>Patient {idx} ({}; arm {}, therapist {})</h3>",
            k + 1,
            escape(&e.why),
            escape(&t.arm.name),
            escape(&e.therapist)
        );
        if let (Some(&file), Some(d)) = (i.finals.get(&idx), t.dyads.first())
            && (file - d.course.final_score).abs() > 0.5
        {
            let _ = writeln!(
                h,
                "<p class=\"warning\">The final score of patient {idx} in patients.csv ({}) differs from the re-simulation ({}): the files were edited, or written by another version of bordin.</p>",
                num(file, 1),
                num(d.course.final_score, 1)
            );
        }
        let _ = writeln!(
            h,
            "<figure class=\"chart trace\" id=\"chart-example-{}\" data-chart=\"example-{}\">\n{}\n<figcaption>Working alliance (bond, goals, tasks) with ruptures (circle: withdrawal, triangle: confrontation; filled: repaired), and the {} score before each session with the clinical cut-off (dashed) and the reliable-change band around intake.</figcaption>\n</figure>",
            k + 1,
            k + 1,
            inline_svg(
                svg,
                &format!("Patient {idx}: alliance and symptoms by session")
            ),
            escape(&label)
        );
        let _ = writeln!(h, "<p>{}</p>", escape(&setting));
        if let Some(sec) = sections.first() {
            for p in &sec.paragraphs {
                let _ = writeln!(h, "<p>{}</p>", escape(p));
            }
            h.push_str("<ul>\n");
            for ev in &sec.events {
                let _ = writeln!(h, "<li>{}</li>", escape(ev));
            }
            h.push_str("</ul>\n");
        }
        if let Some(d) = t.dyads.first() {
            let _ = writeln!(
                h,
                "<details><summary>Session table</summary>\n<pre>{}</pre>\n</details>",
                escape(&trace::session_table(t, d))
            );
        }
        h.push_str("</article>\n");
    }
    h.push_str("</section>\n");
    let _ = writeln!(
        h,
        "<footer>Written by bordin {} from the files of {}. Charts: plotters, DejaVu Sans (embedded), Okabe-Ito colours.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape(crate::VERSION),
        escape(&i.dir.display().to_string())
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn co3_alliance_fit_matches_direct_least_squares() {
        let rows = [
            [40.0, 10.0, 18.0],
            [50.0, 6.0, 15.0],
            [30.0, 15.0, 17.0],
            [55.0, 4.0, 20.0],
            [45.0, 9.0, 14.0],
            [35.0, 12.0, 16.0],
        ];
        let mut c = Co3::default();
        for r in rows {
            c.push(r);
        }
        let (b0, b1) = c.baseline().unwrap();
        let rg: Vec<f64> = rows.iter().map(|[_, f, i]| b0 + b1 * i - f).collect();
        let w: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let n = rows.len() as f64;
        let (mw, mr) = (w.iter().sum::<f64>() / n, rg.iter().sum::<f64>() / n);
        let sxy: f64 = w.iter().zip(&rg).map(|(a, b)| (a - mw) * (b - mr)).sum();
        let sxx: f64 = w.iter().map(|a| (a - mw).powi(2)).sum();
        let syy: f64 = rg.iter().map(|b| (b - mr).powi(2)).sum();
        let (i0, s0, r0) = c.alliance_fit().unwrap();
        assert!((s0 - sxy / sxx).abs() < 1e-9);
        assert!((i0 - (mr - sxy / sxx * mw)).abs() < 1e-9);
        assert!((r0 - sxy / (sxx * syy).sqrt()).abs() < 1e-9);
    }
}
