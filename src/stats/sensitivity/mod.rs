//! Global sensitivity analysis of a model's outputs to its uncertain parameters, on the unit
//! hypercube (a caller maps each coordinate to its parameter's range or distribution):
//!
//! - [`morris`]: elementary effects on a p-level grid (Morris 1991; μ* of Campolongo, Cariboni &
//!   Saltelli 2007), for screening many parameters with few runs;
//! - [`sobol`]: first-order and total Sobol indices from a Saltelli design on a scrambled Sobol
//!   sequence (Saltelli et al. 2010 for S1, Jansen 1999 for ST).
//!
//! Both report percentile bootstrap intervals (resampling trajectories or base rows; a seeded
//! ChaCha8 generator, so the intervals are reproducible) and are validated on functions with
//! known indices (Ishigami & Ishigami 1990; Sobol's G function; a linear model for Morris).

pub mod morris;
pub mod sobol;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use super::{Result, StatsError};

/// A percentile interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies inside (ends included).
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// The seeded generator of a bootstrap.
fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An index in 0..n from the generator (Lemire's multiply-shift).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// The `level` percentile interval of `values` (sorted in place; NaN left out).
fn percentile_interval(values: &mut Vec<f64>, level: f64) -> Interval {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return Interval {
            lower: f64::NAN,
            upper: f64::NAN,
        };
    }
    Interval {
        lower: super::quantile_sorted(values, (1.0 - level) / 2.0),
        upper: super::quantile_sorted(values, (1.0 + level) / 2.0),
    }
}

/// Checks the model outputs: `n` values, all finite.
fn check_outputs(y: &[f64], n: usize) -> Result<()> {
    if y.len() != n {
        return Err(StatsError::Dimension(format!(
            "{} model outputs for {n} design points",
            y.len()
        )));
    }
    super::check_finite("model outputs", y)
}
