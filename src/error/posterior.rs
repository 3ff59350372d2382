//! Errors of `bordin calibrate --posterior` and `--targets`: a priors or targets file that
//! cannot be used, naming the file and the entry at fault.

use std::path::PathBuf;

use super::Cause;

/// A posterior calibration that cannot be run: the user's input (exit code 2), or an ABC run
/// that cannot go on (its budget spent).
#[derive(Debug, thiserror::Error)]
pub enum PosteriorError {
    /// The file is not TOML or not a priors or targets file (an unknown, missing or bad field).
    #[error("{file}: {message}")]
    Spec { file: String, message: String },
    /// A `[[parameter]]` (1-based, in file order) that cannot be used.
    #[error("{file}: parameter {number} (`{key}`): {message}")]
    Parameter {
        file: String,
        number: usize,
        key: String,
        message: String,
    },
    /// A `[[target]]` (1-based, in file order) that cannot be used.
    #[error("{file}: target {number} (`{id}`): {message}")]
    Target {
        file: String,
        number: usize,
        id: String,
        message: String,
    },
    /// A target whose statistic cannot be computed as written.
    #[error("{file}: target {number} (`{id}`): {source}")]
    Statistic {
        file: String,
        number: usize,
        id: String,
        source: Cause,
    },
    /// The output directory holds the generations of another calibration.
    #[error(
        "{} holds the generations of another calibration (the priors, targets or scenarios changed); choose another --out",
        .0.display()
    )]
    OtherRun(PathBuf),
    /// A saved generation that cannot be read.
    #[error("{}: not a generation of this calibration ({message})", .path.display())]
    Saved { path: PathBuf, message: String },
    /// The ABC run failed (a generation that spent its proposal budget, say).
    #[error("ABC-SMC: {0}")]
    Abc(String),
}
