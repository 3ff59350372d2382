//! Sobol indices from a Saltelli design.
//!
//! The design has `n` base rows of two independent matrices A and B, drawn from one Owen-scrambled
//! Sobol sequence in 2k dimensions (`sobol_burley`: A takes dimensions 0..k, B dimensions
//! k..2k), and for each parameter i the matrix AB_i: A with column i taken from B. The model is
//! run at every row: n (k + 2) runs, in the order A, B, AB_1, ..., AB_k. With f_A, f_B and f_ABi
//! the outputs and V the variance of f_A and f_B pooled:
//!
//! ```text
//! S1_i = mean_j( f_B,j (f_ABi,j − f_A,j) ) / V          (Saltelli et al. 2010, table 2 (b))
//!        (outputs centred on the pooled mean of f_A and f_B first, which leaves the
//!         expectation and cuts the variance when the mean is far from 0)
//! ST_i = mean_j( (f_A,j − f_ABi,j)² ) / (2 V)           (Jansen 1999; Saltelli et al. 2010 (f))
//! ```
//!
//! Intervals: the percentile bootstrap over base rows j. Convergence: the indices from the first
//! n/2 base rows (themselves a balanced Sobol set when n is a power of two) against all n.

use super::{Interval, Result, StatsError, below, check_outputs, percentile_interval, rng};

/// Largest number of base rows (the sequence's length limit, 2^16).
pub const MAX_BASE_ROWS: usize = 1 << 16;
/// Largest number of parameters (2k of the sequence's 256 dimensions).
pub const MAX_PARAMETERS: usize = 128;

/// A Saltelli design on the unit hypercube.
#[derive(Clone, Debug, PartialEq)]
pub struct SaltelliDesign {
    /// Base rows.
    pub n: usize,
    /// Parameters.
    pub k: usize,
    /// The n (k + 2) points, each of k coordinates in [0, 1): A, B, then AB_1 … AB_k.
    pub points: Vec<Vec<f64>>,
}

/// The Saltelli design of `k` parameters with `n` base rows (a power of two), scrambled by
/// `seed`.
///
/// # Errors
/// `k` of 0 or above [`MAX_PARAMETERS`], `n` not a power of two of at least 4 or above
/// [`MAX_BASE_ROWS`].
pub fn saltelli_design(k: usize, n: usize, seed: u32) -> Result<SaltelliDesign> {
    if k == 0 || k > MAX_PARAMETERS {
        return Err(StatsError::Unsupported(format!(
            "{k} parameters (1 to {MAX_PARAMETERS})"
        )));
    }
    if !(4..=MAX_BASE_ROWS).contains(&n) || !n.is_power_of_two() {
        return Err(StatsError::Unsupported(format!(
            "{n} base rows (a power of two from 4 to {MAX_BASE_ROWS})"
        )));
    }
    let at = |j: usize, d: usize| f64::from(sobol_burley::sample(j as u32, d as u32, seed));
    let a: Vec<Vec<f64>> = (0..n).map(|j| (0..k).map(|d| at(j, d)).collect()).collect();
    let b: Vec<Vec<f64>> = (0..n)
        .map(|j| (0..k).map(|d| at(j, k + d)).collect())
        .collect();
    let mut points = Vec::with_capacity(n * (k + 2));
    points.extend(a.iter().cloned());
    points.extend(b.iter().cloned());
    for i in 0..k {
        for j in 0..n {
            let mut row = a[j].clone();
            row[i] = b[j][i];
            points.push(row);
        }
    }
    Ok(SaltelliDesign { n, k, points })
}

/// The Sobol indices of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndex {
    pub s1: f64,
    pub s1_ci: Interval,
    pub st: f64,
    pub st_ci: Interval,
    /// S1 and ST from the first n/2 base rows.
    pub s1_half: f64,
    pub st_half: f64,
}

/// The Sobol analysis of one output.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolResult {
    /// One per parameter, in the design's order.
    pub indices: Vec<SobolIndex>,
    /// Output variance (f_A and f_B pooled).
    pub variance: f64,
    /// The largest change of any index between n/2 and n base rows.
    pub convergence: f64,
}

/// (S1, ST) of every parameter from the base rows `rows`.
fn estimate(d: &SaltelliDesign, y: &[f64], rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = d.n;
    let m = rows.len() as f64;
    let pooled: Vec<f64> = rows.iter().flat_map(|&j| [y[j], y[n + j]]).collect();
    let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    let var = pooled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (pooled.len() as f64 - 1.0);
    let mut s1 = Vec::with_capacity(d.k);
    let mut st = Vec::with_capacity(d.k);
    for i in 0..d.k {
        let ab = (2 + i) * n;
        let (mut a1, mut at) = (0.0, 0.0);
        for &j in rows {
            // Centred on the pooled mean: the same expectation, a much smaller variance of the
            // S1 estimator when the output's mean is far from 0 (as SALib standardises).
            let (fa, fb, fab) = (y[j] - mean, y[n + j] - mean, y[ab + j] - mean);
            a1 += fb * (fab - fa);
            at += (fa - fab).powi(2);
        }
        s1.push(a1 / m / var);
        st.push(at / (2.0 * m) / var);
    }
    (s1, st)
}

/// Sobol indices of output `y` (one value per design point, in the design's order), with
/// `bootstrap` resamples for the `level` intervals, seeded by `seed`.
///
/// # Errors
/// A wrong number of outputs, a non-finite output, an output without variance, or fewer than
/// 2 bootstrap resamples.
pub fn sobol_indices(
    d: &SaltelliDesign,
    y: &[f64],
    bootstrap: usize,
    level: f64,
    seed: u64,
) -> Result<SobolResult> {
    check_outputs(y, d.n * (d.k + 2))?;
    if bootstrap < 2 {
        return Err(StatsError::Unsupported(format!(
            "{bootstrap} bootstrap resamples (at least 2)"
        )));
    }
    let all: Vec<usize> = (0..d.n).collect();
    let pooled: Vec<f64> = y[..2 * d.n].to_vec();
    let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    let variance =
        pooled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (pooled.len() as f64 - 1.0);
    if variance <= 0.0 {
        return Err(StatsError::ZeroVariance("model output".into()));
    }
    let (s1, st) = estimate(d, y, &all);
    let (s1_half, st_half) = estimate(d, y, &all[..d.n / 2]);
    let mut g = rng(seed);
    let mut boot_s1 = vec![Vec::with_capacity(bootstrap); d.k];
    let mut boot_st = vec![Vec::with_capacity(bootstrap); d.k];
    let mut rows = vec![0usize; d.n];
    for _ in 0..bootstrap {
        for r in rows.iter_mut() {
            *r = below(&mut g, d.n);
        }
        let (b1, bt) = estimate(d, y, &rows);
        for i in 0..d.k {
            boot_s1[i].push(b1[i]);
            boot_st[i].push(bt[i]);
        }
    }
    let mut convergence: f64 = 0.0;
    let indices = (0..d.k)
        .map(|i| {
            convergence = convergence
                .max((s1[i] - s1_half[i]).abs())
                .max((st[i] - st_half[i]).abs());
            SobolIndex {
                s1: s1[i],
                s1_ci: percentile_interval(&mut boot_s1[i], level),
                st: st[i],
                st_ci: percentile_interval(&mut boot_st[i], level),
                s1_half: s1_half[i],
                st_half: st_half[i],
            }
        })
        .collect();
    Ok(SobolResult {
        indices,
        variance,
        convergence,
    })
}
