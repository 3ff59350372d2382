//! Arithmetic on a sample of values, `NaN` when undefined: the pieces every statistic shares.
//!
//! The mean and variance are [`crate::stats::mean`] and [`crate::stats::var`] (two-pass: sum / n,
//! then the sum of squared deviations), as the calibrated values have always been computed;
//! [`crate::analysis::Moments`] (Welford's running update, for summaries that stream) rounds
//! differently, so the two are kept apart: swapping one for the other would move the last bits
//! of the reported values. Pearson r and Hedges' g here are those of [`crate::stats`], as
//! numbers (`NaN` where `stats` reports an error).

/// `hits / n`, `NaN` when `n` is 0.
pub fn share(hits: usize, n: usize) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        hits as f64 / n as f64
    }
}

/// Pearson r, by [`crate::stats::pearson`].
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    crate::stats::pearson(x, y).map_or(f64::NAN, |c| c.r)
}

/// Hedges' g of `a` vs `b` on lower-is-better scores (positive: `a` better), by
/// [`crate::stats::cohens_d`] (exact small-sample correction).
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    crate::stats::cohens_d(b, a).map_or(f64::NAN, |e| e.hedges_g)
}
