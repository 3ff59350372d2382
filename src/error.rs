//! Error types of the library. The CLI maps them to exit codes: scenario and usage errors to 2,
//! everything at run time to 1.
//!
//! Each command's errors are an enum of their own, one file each under `error/` (the
//! variants name the flag, field or file at fault and what was expected): they live here, at
//! the bottom of the layers, so that [`Error`] can hold them without importing upward.

mod calibrate;
mod experiment;
mod output;
mod posterior;
mod power;
mod report;
mod sensitivity;
mod sweep;
mod trace;

use std::fmt;
use std::path::PathBuf;

pub use calibrate::CalibrateError;
pub use experiment::{ExperimentError, FigureProblem};
pub use output::{LockHolder, OutputError, byte_size};
pub use posterior::{PosteriorError, PosteriorFileError};
pub use power::PowerError;
pub use report::ReportError;
pub use sensitivity::SensitivityError;
pub use sweep::{SweepDifference, SweepError};
pub use trace::{DyadProblem, TraceError};

/// An error of a higher layer carried by a command's error (the layers keep its type out of
/// reach here); its text is shown as it is.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Text safe to print on a terminal: control characters (ESC and the ANSI/OSC sequences it
/// starts, NUL, carriage returns), line and paragraph separators and bidirectional overrides
/// are written as `\u{..}` escapes, so echoed user text can neither split a listing nor
/// drive the terminal. Newlines are kept when `keep_newlines`.
pub fn printable(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n') && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// A place in a scenario file (1-based line and column; 0 when unknown).
    File {
        file: String,
        line: usize,
        col: usize,
    },
    /// A `--set path=value` override from the command line.
    Override(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { file, line, col } if *line > 0 => write!(f, "{file}:{line}:{col}"),
            Location::File { file, .. } => write!(f, "{file}"),
            Location::Override(text) => write!(f, "--set {text}"),
        }
    }
}

/// One problem in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Full key path, e.g. `arms[1].technique_potency` (empty for the whole file).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// Where the offending value is.
    pub loc: Location,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line per problem, whatever the echoed text holds.
        let loc = self.loc.to_string();
        let (loc, message) = (printable(&loc, false), printable(&self.message, false));
        if self.path.is_empty() {
            write!(f, "{loc}: {message}")
        } else {
            write!(f, "{loc}: `{}`: {message}", printable(&self.path, false))
        }
    }
}

/// A scenario that cannot be used, with every problem found in it.
#[derive(Debug, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario's name as the user gave it (a path or "embedded default").
    pub source_name: String,
    /// All problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "scenario {} has {n} error{}:",
            self.source_name,
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario (file or overrides) is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A scenario file could not be read.
    #[error("cannot read scenario file {path}: {source}")]
    ReadScenario {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--threads` is 0, or more than [`crate::sim::engine::check_threads`] accepts.
    #[error("{}", thread_count_message(*given, *max))]
    ThreadCount { given: usize, max: usize },
    /// `--out` names something that is not a directory.
    #[error("--out {} exists and is not a directory", .0.display())]
    OutNotADirectory(PathBuf),
    /// `bordin power` cannot use a flag value, a prior or the scenario.
    #[error(transparent)]
    Power(#[from] PowerError),
    /// `bordin sweep`, `merge` or `slurm` cannot use a sweep file, directory or value.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// `bordin trace` input that cannot be used.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A run directory `bordin report` cannot report on.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// An experiment that cannot be run.
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    /// A calibration that cannot be run.
    #[error(transparent)]
    Calibrate(#[from] CalibrateError),
    /// A sensitivity analysis that cannot be run.
    #[error(transparent)]
    Sensitivity(#[from] SensitivityError),
    /// A posterior calibration that cannot be run.
    #[error(transparent)]
    Posterior(#[from] PosteriorError),
    /// A `--posterior` file (or `--draws`) that cannot be used.
    #[error(transparent)]
    PosteriorFile(#[from] PosteriorFileError),
    /// The output directory exists and is not empty.
    #[error(
        "output directory {0} is not empty; choose another with --out, or pass --force to overwrite its files"
    )]
    OutputNotEmpty(PathBuf),
    /// An output directory in use, too small a disk, or a commit that failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Writing an output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Thread pool setup failed.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
}

impl Error {
    /// Whether the error is the user's input (exit code 2) rather than a failure at run time.
    /// Every command's own error is: a flag, a prior, a scenario, a sweep or experiment file, a
    /// run directory the user gave (the commands' I/O failures are [`Error::Write`]).
    pub fn is_usage(&self) -> bool {
        if let Error::Output(e) = self {
            return e.is_usage();
        }
        if let Error::Posterior(e) = self {
            return !matches!(e, PosteriorError::Abc(_));
        }
        matches!(
            self,
            Error::Scenario(_)
                | Error::ThreadCount { .. }
                | Error::OutNotADirectory(_)
                | Error::Power(_)
                | Error::Sweep(_)
                | Error::Trace(_)
                | Error::Report(_)
                | Error::Experiment(_)
                | Error::Sensitivity(_)
                | Error::Calibrate(_)
                | Error::PosteriorFile(_)
                | Error::ReadScenario { .. }
                | Error::OutputNotEmpty(_)
        )
    }
}

fn thread_count_message(given: usize, max: usize) -> String {
    if given == 0 {
        "--threads must be at least 1".into()
    } else {
        format!(
            "--threads {given} is more than this machine can use: at most {max} (four per core, at least 16; results do not depend on it)"
        )
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
