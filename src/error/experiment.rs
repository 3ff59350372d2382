//! Errors of `bordin experiment`: an `experiment.toml` that cannot be run, naming the file, and
//! the row, check or figure (and its field) at fault.

use std::path::PathBuf;

use super::Cause;

/// An experiment that cannot be run: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// `experiment.toml` is not TOML, or not an experiment (an unknown or missing key).
    #[error("{}: {message}", .path.display())]
    Spec { path: PathBuf, message: String },
    /// A `[[figure]]` table (`number` from 1, in file order) with a bad field (the problem
    /// boxed, so that [`crate::Error`] stays small).
    #[error("{}: figure {number} (`{name}`), field `{}`: {problem}", .path.display(), .problem.field())]
    Figure {
        path: PathBuf,
        number: usize,
        name: String,
        problem: Box<FigureProblem>,
    },
    /// A row, check or figure naming a scenario the experiment does not have.
    #[error("{}: `{label}` names no scenario `{scenario}`", .path.display())]
    UnknownScenario {
        path: PathBuf,
        label: String,
        scenario: String,
    },
    /// A row, check or figure whose statistic cannot be computed as written.
    #[error("{}: `{label}`: {source}", .path.display())]
    Statistic {
        path: PathBuf,
        label: String,
        source: Cause,
    },
}

/// What is wrong with a `[[figure]]`; [`FigureProblem::field`] names the field.
#[derive(Debug, thiserror::Error)]
pub enum FigureProblem {
    #[error("must be letters, digits, `_` or `-` (it names the files figure_NAME.*)")]
    BadName,
    #[error("another figure has this name")]
    DuplicateName,
    #[error("unknown kind `{0}` (known: `series`)")]
    UnknownKind(String),
    /// A statistic without `{n}` for the number.
    #[error("`{0}` has no `{{n}}` for the number (e.g. `improved_by_session_{{n}}`)")]
    NoNumber(String),
    #[error("{to} is below `from` ({from})")]
    ToBelowFrom { from: u32, to: u32 },
    #[error("at most {max} points from `from` to `to`")]
    TooManyPoints { max: u32 },
    #[error("names no scenario")]
    NoScenario,
    #[error("no scenario `{name}` (the experiment has: {})", .known.join(", "))]
    UnknownScenario { name: String, known: Vec<String> },
    #[error("`{0}` is named twice")]
    ScenarioTwice(String),
    /// The statistic at one number does not parse for one scenario.
    #[error("`{statistic}` for scenario `{scenario}`: {source}")]
    Statistic {
        statistic: String,
        scenario: String,
        source: Cause,
    },
}

impl FigureProblem {
    /// The field of the `[[figure]]` table at fault.
    pub fn field(&self) -> &'static str {
        match self {
            FigureProblem::BadName | FigureProblem::DuplicateName => "name",
            FigureProblem::UnknownKind(_) => "kind",
            FigureProblem::NoNumber(_) | FigureProblem::Statistic { .. } => "statistic",
            FigureProblem::ToBelowFrom { .. } | FigureProblem::TooManyPoints { .. } => "to",
            FigureProblem::NoScenario
            | FigureProblem::UnknownScenario { .. }
            | FigureProblem::ScenarioTwice(_) => "scenarios",
        }
    }
}
