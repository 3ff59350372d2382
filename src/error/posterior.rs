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

/// Why the posterior of `--posterior FILE|default [--draws K]` (of run, experiment, power and
/// sweep) cannot be used: the file, and what is wrong where (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PosteriorFileError {
    /// The file cannot be read.
    #[error("--posterior {}: {source}", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A line (1-based) that is not what a posterior file holds.
    #[error("--posterior {source_name}: line {line}: {message}")]
    Format {
        source_name: String,
        line: usize,
        message: String,
    },
    /// A key column the scenario has no number for.
    #[error("--posterior {source_name}: column `{key}`: {message}")]
    Key {
        source_name: String,
        key: String,
        message: String,
    },
    /// A particle whose values the scenario does not accept.
    #[error("--posterior {source_name}: particle {particle}: {problems}")]
    Particle {
        source_name: String,
        particle: String,
        problems: String,
    },
    /// `--draws 0`, or `--draws` without `--posterior`.
    #[error("--draws: {0}")]
    Draws(String),
}
