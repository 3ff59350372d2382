//! Arithmetic on a sample of values, `NaN` when undefined: the pieces every statistic shares,
//! and the calibration's mean over replicates.
//!
//! The mean and variance are two-pass (sum / n, then the sum of squared deviations), as the
//! calibrated values have always been computed; [`crate::analysis::Moments`] (Welford's running
//! update, for summaries that stream) rounds differently, so the two are kept apart: swapping
//! one for the other would move the last bits of the reported values. Pearson r and Hedges' g
//! are those of [`crate::stats`].

/// The mean, `NaN` for no values.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// The sample variance (n - 1), `NaN` for fewer than two values.
pub fn var(xs: &[f64]) -> f64 {
    let m = mean(xs);
    if xs.len() < 2 {
        f64::NAN
    } else {
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    }
}

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
