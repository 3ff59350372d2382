//! Errors of `bordin sensitivity`: a sensitivity file that cannot be run, naming the file and
//! the parameter, output or field at fault.

use std::path::PathBuf;

use super::Cause;

/// A sensitivity analysis that cannot be run: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    /// The file is not TOML or not a sensitivity file (an unknown, missing or bad field).
    #[error("{}: {message}", .path.display())]
    Spec { path: PathBuf, message: String },
    /// A `[[parameter]]` (1-based, in file order) that the base scenario does not accept.
    #[error("{}: parameter {number} (`{key}`): {message}", .path.display())]
    Parameter {
        path: PathBuf,
        number: usize,
        key: String,
        message: String,
    },
    /// An `[[output]]` whose statistic cannot be computed as written.
    #[error("{}: output `{statistic}`: {source}", .path.display())]
    Output {
        path: PathBuf,
        statistic: String,
        source: Cause,
    },
    /// The method's analysis failed (an output without variance, for instance).
    #[error("{}: output `{statistic}`: {message}", .path.display())]
    Analysis {
        path: PathBuf,
        statistic: String,
        message: String,
    },
}
