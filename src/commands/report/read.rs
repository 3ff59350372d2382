//! Reading a run directory: `manifest.json` and the CSV files, streamed record by record, with
//! errors that name the file and, for a bad value, its line and column.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::model::instrument::ChangeClass;
use crate::scenario::Scenario;

pub(super) type Result<T> = std::result::Result<T, ReportError>;

pub(super) fn malformed(path: &Path, msg: impl std::fmt::Display) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        message: msg.to_string(),
    }
}

fn unreadable(path: &Path, source: std::io::Error) -> ReportError {
    ReportError::Unreadable {
        path: path.to_path_buf(),
        source,
    }
}

/// A streaming CSV reader (RFC 4180 quoting) with header-keyed columns and errors that name the
/// file, line and column.
pub(super) struct Csv {
    path: PathBuf,
    reader: BufReader<File>,
    header: Vec<String>,
    cells: Vec<String>,
    line: String,
    /// Line number of the current record (1 = header).
    line_no: u64,
}

impl Csv {
    pub(super) fn open(path: &Path) -> Result<Csv> {
        let file = File::open(path).map_err(|e| unreadable(path, e))?;
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
    pub(super) fn read_record(&mut self) -> Result<bool> {
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
            let ended_with_newline = self.line.ends_with(['\n', '\r']);
            in_quotes = self.split_line(&mut n, in_quotes);
            if in_quotes && ended_with_newline {
                self.cells[n - 1].push('\n');
                continue;
            }
            break;
        }
        self.cells.truncate(n);
        if !self.header.is_empty() && n != self.header.len() {
            return Err(ReportError::FieldCount {
                path: self.path.clone(),
                line: self.line_no,
                fields: n,
                header: self.header.len(),
            });
        }
        Ok(true)
    }

    /// Splits the current line into `cells`, continuing cell `n` (1-based) and advancing it at
    /// each separator; returns whether the line ends inside a quoted field.
    fn split_line(&mut self, n: &mut usize, mut in_quotes: bool) -> bool {
        let text = self.line.trim_end_matches(['\n', '\r']);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if in_quotes {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        self.cells[*n - 1].push('"');
                    } else {
                        in_quotes = false;
                    }
                } else {
                    self.cells[*n - 1].push(c);
                }
            } else if c == ',' {
                *n += 1;
                if self.cells.len() < *n {
                    self.cells.push(String::new());
                } else {
                    self.cells[*n - 1].clear();
                }
            } else if c == '"' && self.cells[*n - 1].is_empty() {
                in_quotes = true;
            } else {
                self.cells[*n - 1].push(c);
            }
        }
        in_quotes
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
            })
    }

    pub(super) fn get(&self, i: usize) -> &str {
        &self.cells[i]
    }

    /// Cell `i` of the current record, which is not `expected`.
    pub(super) fn bad(&self, i: usize, expected: &'static str) -> ReportError {
        ReportError::BadValue {
            path: self.path.clone(),
            line: self.line_no,
            column: self.header[i].clone(),
            value: self.cells[i].clone(),
            expected,
        }
    }

    /// A number; NaN for an empty cell.
    pub(super) fn f64(&self, i: usize) -> Result<f64> {
        let s = self.get(i);
        if s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse::<f64>().map_err(|_| self.bad(i, "a number"))
    }

    pub(super) fn u64(&self, i: usize) -> Result<u64> {
        self.get(i)
            .parse::<u64>()
            .map_err(|_| self.bad(i, "a whole number"))
    }

    pub(super) fn flag(&self, i: usize) -> Result<bool> {
        match self.get(i) {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(self.bad(i, "0 or 1")),
        }
    }

    /// The index of the arm named in column `i`.
    pub(super) fn arm(&self, i: usize, arms: &HashMap<String, usize>) -> Result<usize> {
        arms.get(self.get(i))
            .copied()
            .ok_or_else(|| ReportError::UnknownArm {
                path: self.path.clone(),
                line: self.line_no,
                arm: self.get(i).to_string(),
            })
    }
}

/// Arm name -> index in the scenario.
pub(super) fn arm_index(sc: &Scenario) -> HashMap<String, usize> {
    sc.arms
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect()
}

/// What the report uses of `manifest.json`.
#[derive(Clone, Debug)]
pub(super) struct Manifest {
    pub version: String,
    pub scenario_source: String,
    pub counterfactual: bool,
    /// Whether the run wrote `sessions.csv`.
    pub sessions: bool,
    pub threads: u64,
    pub wall_seconds: f64,
    pub command_line: Vec<String>,
    /// The resolved scenario (TOML).
    pub resolved: String,
}

/// Reads `dir/manifest.json`.
///
/// # Errors
/// The file is missing or malformed.
pub(super) fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| malformed(&path, format!("not JSON: {e}")))?;
    let field = |k: &str| manifest_field(&path, &v, k);
    let string = |k: &str| -> Result<String> {
        field(k)?
            .as_str()
            .map(String::from)
            .ok_or_else(|| ReportError::NotAString {
                path: path.clone(),
                field: k.to_string(),
            })
    };
    check_manifest_files(&path, field("files")?)?;
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
        resolved: string("resolved_scenario")?,
    })
}

/// Field `k` of the manifest at `path`.
fn manifest_field<'v>(
    path: &Path,
    v: &'v serde_json::Value,
    k: &str,
) -> Result<&'v serde_json::Value> {
    v.get(k).ok_or_else(|| ReportError::MissingField {
        path: path.to_path_buf(),
        field: k.to_string(),
    })
}

/// Every entry of `files` must name a file and its SHA-256 (as `bordin run` writes them); the
/// report does not use them.
fn check_manifest_files(path: &Path, files: &serde_json::Value) -> Result<()> {
    let files = files
        .as_array()
        .ok_or_else(|| malformed(path, "field `files` is not a list"))?;
    if files.iter().any(|f| {
        ["file", "sha256"]
            .iter()
            .any(|k| !f.get(k).is_some_and(|x| x.is_string()))
    }) {
        return Err(malformed(
            path,
            "an entry of `files` has no `file` or `sha256`",
        ));
    }
    Ok(())
}

/// The scenario of a run, read back from its manifest.
pub(super) fn manifest_scenario(dir: &Path, m: &Manifest) -> Result<Scenario> {
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

/// Therapist pools of one replicate's therapists, from `therapists.csv`: id -> pool.
pub(super) fn therapist_pools(dir: &Path, replicate: u64) -> Result<HashMap<String, String>> {
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

/// One row of `patients.csv`.
pub(super) struct PatientRow {
    pub replicate: u64,
    pub patient: u64,
    pub arm: usize,
    /// Empty for a waitlist patient.
    pub therapist: String,
    pub intake: f64,
    pub final_score: f64,
    pub change: f64,
    pub class: ChangeClass,
    pub dropped_out: bool,
    /// WAI-SR at session 3 (NaN when not rated).
    pub wai: f64,
}

/// `patients.csv`, row by row.
pub(super) struct Patients {
    csv: Csv,
    arms: HashMap<String, usize>,
    /// replicate, patient_id, arm, therapist_id, intake_score, final_score, change,
    /// change_class, dropped_out, wai_patient_s3.
    cols: [usize; 10],
}

impl Patients {
    pub(super) fn open(dir: &Path, sc: &Scenario) -> Result<Patients> {
        let csv = Csv::open(&dir.join("patients.csv"))?;
        let cols = [
            csv.col("replicate")?,
            csv.col("patient_id")?,
            csv.col("arm")?,
            csv.col("therapist_id")?,
            csv.col("intake_score")?,
            csv.col("final_score")?,
            csv.col("change")?,
            csv.col("change_class")?,
            csv.col("dropped_out")?,
            csv.col("wai_patient_s3")?,
        ];
        Ok(Patients {
            csv,
            arms: arm_index(sc),
            cols,
        })
    }

    pub(super) fn path(&self) -> &Path {
        self.csv.path()
    }

    /// The next row; `None` at the end of the file.
    pub(super) fn next_row(&mut self) -> Result<Option<PatientRow>> {
        if !self.csv.read_record()? {
            return Ok(None);
        }
        let p = &self.csv;
        let [rep, pid, arm, th, intake, fin, change, class, dropped, wai] = self.cols;
        // Parsed in this order, so that the first bad cell of a row is the one reported.
        let replicate = p.u64(rep)?;
        let patient = p.u64(pid)?;
        let arm = p.arm(arm, &self.arms)?;
        let intake = p.f64(intake)?;
        let final_score = p.f64(fin)?;
        let change = p.f64(change)?;
        let dropped_out = p.flag(dropped)?;
        let wai = p.f64(wai)?;
        let class = match p.get(class) {
            "recovered" => ChangeClass::Recovered,
            "improved" => ChangeClass::Improved,
            "unchanged" => ChangeClass::Unchanged,
            "deteriorated" => ChangeClass::Deteriorated,
            _ => return Err(p.bad(class, "a change class")),
        };
        Ok(Some(PatientRow {
            replicate,
            patient,
            arm,
            therapist: p.get(th).to_string(),
            intake,
            final_score,
            change,
            class,
            dropped_out,
            wai,
        }))
    }
}

/// One row of `sessions.csv`.
pub(super) struct SessionRow {
    pub replicate: u64,
    pub patient: u64,
    pub session: u32,
    pub attended: bool,
    pub rupture: bool,
    pub repaired: bool,
    pub score: f64,
}

/// `sessions.csv`, read one row ahead, so that it can be read in lockstep with `patients.csv`
/// (both are in replicate and patient order).
pub(super) struct Sessions {
    csv: Csv,
    /// replicate, patient_id, session, attended, rupture, repaired, symptom_score.
    cols: [usize; 7],
    peeked: Option<SessionRow>,
}

impl Sessions {
    pub(super) fn open(dir: &Path) -> Result<Sessions> {
        let csv = Csv::open(&dir.join("sessions.csv"))?;
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

    /// The next row if it is of `patient` of `replicate` (a patient's rows are contiguous).
    pub(super) fn next_of(&mut self, replicate: u64, patient: u64) -> Result<Option<SessionRow>> {
        if self
            .peeked
            .as_ref()
            .is_none_or(|r| (r.replicate, r.patient) != (replicate, patient))
        {
            return Ok(None);
        }
        let row = self.peeked.take();
        self.advance()?;
        Ok(row)
    }

    /// After the last patient: an error if a row is left (of a patient not in `patients.csv`,
    /// or out of order).
    pub(super) fn finish(&self) -> Result<()> {
        match &self.peeked {
            None => Ok(()),
            Some(r) => Err(malformed(
                self.csv.path(),
                format!(
                    "line {}: a row of replicate {} patient {} that is not in patients.csv, or rows out of order (both files are in replicate and patient order)",
                    self.csv.line_no, r.replicate, r.patient
                ),
            )),
        }
    }
}
