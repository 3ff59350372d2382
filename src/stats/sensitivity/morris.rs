//! Morris elementary effects (Morris 1991; Campolongo, Cariboni & Saltelli 2007).
//!
//! A trajectory starts at a random point of the p-level grid {0, 1/(p−1), …, 1} and moves one
//! parameter at a time, in random order, by Δ = p / (2 (p − 1)) up or down (random direction;
//! the start is placed so that every step stays in [0, 1]): k + 1 points, k elementary effects
//! EE_i = (f(after) − f(before)) / (±Δ). Over r trajectories: μ (mean EE), μ* (mean |EE|: the
//! importance measure), σ (SD of EE: interaction or non-linearity), with a percentile bootstrap
//! interval of μ* over trajectories. Effects are per unit of the normalised range, so they
//! compare across parameters with different units.

use rand_chacha::rand_core::Rng;

use super::{Interval, Result, StatsError, below, check_outputs, percentile_interval, rng};

/// A Morris design on the unit hypercube.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisDesign {
    pub k: usize,
    pub levels: usize,
    pub trajectories: usize,
    /// The step, p / (2 (p − 1)).
    pub delta: f64,
    /// r (k + 1) points, trajectory by trajectory.
    pub points: Vec<Vec<f64>>,
    /// For each trajectory, the parameter moved at each of its k steps and the step's sign.
    pub moves: Vec<Vec<(usize, f64)>>,
}

/// `trajectories` Morris trajectories of `k` parameters on a `levels`-level grid, from `seed`.
///
/// # Errors
/// `k` or `trajectories` of 0, or `levels` not an even number of at least 2.
pub fn morris_design(
    k: usize,
    levels: usize,
    trajectories: usize,
    seed: u64,
) -> Result<MorrisDesign> {
    if k == 0 || trajectories < 2 {
        return Err(StatsError::Unsupported(format!(
            "{k} parameters and {trajectories} trajectories (at least 1 and 2)"
        )));
    }
    if levels < 2 || !levels.is_multiple_of(2) {
        return Err(StatsError::Unsupported(format!(
            "{levels} levels (an even number, at least 2)"
        )));
    }
    let step = 1.0 / (levels - 1) as f64;
    let delta = levels as f64 / (2.0 * (levels - 1) as f64);
    let mut g = rng(seed);
    let mut points = Vec::with_capacity(trajectories * (k + 1));
    let mut moves = Vec::with_capacity(trajectories);
    for _ in 0..trajectories {
        // Base levels 0 .. p/2 − 1, so base + Δ stays on the grid and within [0, 1].
        let base: Vec<f64> = (0..k)
            .map(|_| below(&mut g, levels / 2) as f64 * step)
            .collect();
        let sign: Vec<f64> = (0..k)
            .map(|_| if g.next_u64() >> 63 == 0 { 1.0 } else { -1.0 })
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            order.swap(i, below(&mut g, i + 1));
        }
        let mut x: Vec<f64> = (0..k)
            .map(|i| {
                if sign[i] > 0.0 {
                    base[i]
                } else {
                    base[i] + delta
                }
            })
            .collect();
        points.push(x.clone());
        let mut m = Vec::with_capacity(k);
        for &i in &order {
            x[i] = (x[i] + sign[i] * delta).clamp(0.0, 1.0);
            points.push(x.clone());
            m.push((i, sign[i]));
        }
        moves.push(m);
    }
    Ok(MorrisDesign {
        k,
        levels,
        trajectories,
        delta,
        points,
        moves,
    })
}

/// Morris measures of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub mu_star_ci: Interval,
    pub sigma: f64,
}

/// The elementary effects of every parameter, one per trajectory: `ee[i][t]`.
fn elementary_effects(d: &MorrisDesign, y: &[f64]) -> Vec<Vec<f64>> {
    let mut ee = vec![Vec::with_capacity(d.trajectories); d.k];
    for (t, m) in d.moves.iter().enumerate() {
        let start = t * (d.k + 1);
        for (s, &(i, sign)) in m.iter().enumerate() {
            ee[i].push((y[start + s + 1] - y[start + s]) / (sign * d.delta));
        }
    }
    ee
}

/// Morris measures of output `y` (one value per design point, in the design's order), with
/// `bootstrap` resamples of trajectories for the `level` interval of μ*, seeded by `seed`.
///
/// # Errors
/// A wrong number of outputs, a non-finite output, or fewer than 2 bootstrap resamples.
pub fn morris_indices(
    d: &MorrisDesign,
    y: &[f64],
    bootstrap: usize,
    level: f64,
    seed: u64,
) -> Result<Vec<MorrisIndex>> {
    check_outputs(y, d.trajectories * (d.k + 1))?;
    if bootstrap < 2 {
        return Err(StatsError::Unsupported(format!(
            "{bootstrap} bootstrap resamples (at least 2)"
        )));
    }
    let ee = elementary_effects(d, y);
    let r = d.trajectories;
    let mut g = rng(seed);
    let resamples: Vec<Vec<usize>> = (0..bootstrap)
        .map(|_| (0..r).map(|_| below(&mut g, r)).collect())
        .collect();
    Ok(ee
        .iter()
        .map(|e| {
            let n = e.len() as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star = e.iter().map(|v| v.abs()).sum::<f64>() / n;
            let sigma = (e.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let mut boot: Vec<f64> = resamples
                .iter()
                .map(|rows| rows.iter().map(|&t| e[t].abs()).sum::<f64>() / n)
                .collect();
            MorrisIndex {
                mu,
                mu_star,
                mu_star_ci: percentile_interval(&mut boot, level),
                sigma,
            }
        })
        .collect())
}
