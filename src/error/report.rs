//! Errors of `bordin report`: a run directory that cannot be reported on, naming the file and,
//! for a bad value, its line and column.

use std::path::PathBuf;

/// A run directory that cannot be reported on: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `RUN_DIR` is not a directory.
    #[error("{}: not a directory (give the output directory of `bordin run`)", .0.display())]
    NotADirectory(PathBuf),
    /// A file of the run is missing or cannot be opened.
    #[error("cannot read {}: {source} (is this the output directory of `bordin run`?)", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A CSV header without a column the report reads.
    #[error("{}: no column `{column}` in the header", .path.display())]
    MissingColumn { path: PathBuf, column: String },
    /// A CSV cell that does not hold what the run writes there.
    #[error("{}: line {line}, column `{column}`: `{value}` is not {expected}", .path.display())]
    BadValue {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
        /// What the column holds, e.g. "a whole number".
        expected: &'static str,
    },
    /// A CSV record with another number of fields than the header.
    #[error("{}: line {line}: {fields} fields, but the header has {header}", .path.display())]
    FieldCount {
        path: PathBuf,
        line: u64,
        fields: usize,
        header: usize,
    },
    /// A CSV row of an arm the run's scenario does not have.
    #[error("{}: line {line}: arm `{arm}` is not an arm of the scenario in manifest.json", .path.display())]
    UnknownArm {
        path: PathBuf,
        line: u64,
        arm: String,
    },
    /// `manifest.json` without a field the report reads.
    #[error("{}: no field `{field}`", .path.display())]
    MissingField { path: PathBuf, field: String },
    /// A field of `manifest.json` that is not a string.
    #[error("{}: field `{field}` is not a string", .path.display())]
    NotAString { path: PathBuf, field: String },
    /// Any other content a run does not write: `message` says what is wrong.
    #[error("{}: {message}", .path.display())]
    Malformed { path: PathBuf, message: String },
}
