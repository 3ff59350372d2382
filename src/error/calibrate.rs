//! Errors of `bordin calibrate`.

use super::Cause;

/// A calibration that cannot be run: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// No embedded calibration scenario of that name.
    #[error("no calibration scenario `{name}`")]
    UnknownScenario { name: String },
    /// A target whose statistic cannot be computed as written.
    #[error("target {id}: {source}")]
    Target { id: String, source: Cause },
}
