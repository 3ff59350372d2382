//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC: Toni, Welch, Strelkowa,
//! Ipsen & Stumpf 2009; Beaumont, Cornuet, Marin & Robert 2009): a population of parameter
//! sets (particles) is moved through decreasing tolerances towards the posterior of a
//! simulator whose likelihood is not available, given a distance between simulated and
//! observed summaries.
//!
//! Generation 0 draws from the prior and keeps the particles whose distance is within the
//! first tolerance. Each later generation: the tolerance is the `quantile` of the previous
//! generation's accepted distances (an adaptive schedule, as in Del Moral, Doucet & Jasra 2012
//! and pyABC's default); a proposal is a previous particle drawn by weight and perturbed by a
//! Gaussian kernel with twice the weighted covariance of the previous population (Beaumont et
//! al. 2009), independently per parameter; it is kept when it lies in the prior's support and
//! its distance is within the tolerance; its weight is prior(θ) / Σ_j w_j K(θ | θ_j). The
//! effective sample size of each generation is (Σ w)² / Σ w².
//!
//! Every proposal is a pure function of (seed, generation, proposal index), drawn from its own
//! ChaCha8 stream, and proposals are evaluated in parallel in fixed batches and accepted in
//! index order, so the result is the same whatever the number of threads.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;

use super::dist::norm_quantile;
use super::{Result, StatsError};

/// A prior of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    Uniform { lower: f64, upper: f64 },
    Normal { mean: f64, sd: f64 },
}

impl Prior {
    fn density(&self, x: f64) -> f64 {
        match *self {
            Prior::Uniform { lower, upper } => {
                if (lower..=upper).contains(&x) {
                    1.0 / (upper - lower)
                } else {
                    0.0
                }
            }
            Prior::Normal { mean, sd } => {
                let z = (x - mean) / sd;
                (-0.5 * z * z).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt())
            }
        }
    }

    /// The prior's quantile at `u` in (0, 1).
    fn quantile(&self, u: f64) -> f64 {
        match *self {
            Prior::Uniform { lower, upper } => lower + u * (upper - lower),
            Prior::Normal { mean, sd } => mean + sd * norm_quantile(u),
        }
    }

    fn check(&self) -> Result<()> {
        let ok = match *self {
            Prior::Uniform { lower, upper } => {
                lower.is_finite() && upper.is_finite() && lower < upper
            }
            Prior::Normal { mean, sd } => mean.is_finite() && sd.is_finite() && sd > 0.0,
        };
        if ok {
            Ok(())
        } else {
            Err(StatsError::Unsupported(format!("prior {self:?}")))
        }
    }
}

/// Settings of an ABC-SMC run.
#[derive(Clone, Debug, PartialEq)]
pub struct AbcOptions {
    /// Particles per generation.
    pub particles: usize,
    /// Generations after generation 0.
    pub generations: usize,
    /// Each tolerance is this quantile of the previous generation's distances.
    pub quantile: f64,
    /// Stop early once a generation needs more proposals than this per particle.
    pub max_proposals_per_particle: usize,
    pub seed: u64,
}

/// One generation's population and diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub tolerance: f64,
    /// particles × parameters.
    pub particles: Vec<Vec<f64>>,
    /// Normalised to sum 1.
    pub weights: Vec<f64>,
    pub distances: Vec<f64>,
    pub proposals: usize,
    pub acceptance_rate: f64,
    pub ess: f64,
}

impl Generation {
    /// Weighted mean and SD of parameter `i`.
    pub fn mean_sd(&self, i: usize) -> (f64, f64) {
        let m: f64 = self
            .particles
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| w * p[i])
            .sum();
        let v: f64 = self
            .particles
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| w * (p[i] - m).powi(2))
            .sum();
        (m, v.sqrt())
    }
}

/// Proposals evaluated per parallel batch (fixed, so results do not depend on the threads).
const BATCH: usize = 256;

/// ABC-SMC of `priors` with `distance(θ, rng)` (the simulator and the distance of its summaries
/// to the observed ones; `rng` is the proposal's own stream). Returns every generation.
///
/// # Errors
/// A bad prior or option, or a generation that accepts nothing within its proposal budget.
pub fn abc_smc<D>(priors: &[Prior], opts: &AbcOptions, distance: D) -> Result<Vec<Generation>>
where
    D: Fn(&[f64], &mut ChaCha8Rng) -> f64 + Sync,
{
    for p in priors {
        p.check()?;
    }
    if priors.is_empty() || opts.particles < 2 || !(0.0 < opts.quantile && opts.quantile < 1.0) {
        return Err(StatsError::Unsupported(format!(
            "{} parameters, {} particles, quantile {} (at least 1, at least 2, in (0, 1))",
            priors.len(),
            opts.particles,
            opts.quantile
        )));
    }
    let k = priors.len();
    let stream = |generation: usize, index: usize| {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(((generation as u64) << 40) | index as u64);
        rng
    };
    let uniform =
        |rng: &mut ChaCha8Rng| ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let normal = |rng: &mut ChaCha8Rng| norm_quantile(uniform(rng));
    let budget = opts.particles * opts.max_proposals_per_particle.max(1);
    let mut generations: Vec<Generation> = Vec::new();
    for g in 0..=opts.generations {
        let prev = generations.last();
        let tolerance = match prev {
            None => f64::INFINITY,
            Some(p) => quantile(&p.distances, opts.quantile),
        };
        // Kernel SDs: twice the weighted variance of the previous population, per parameter.
        let kernel: Vec<f64> = prev.map_or(vec![], |p| {
            (0..k)
                .map(|i| (2.0f64).sqrt() * p.mean_sd(i).1.max(1e-12))
                .collect()
        });
        let cumulative: Vec<f64> = prev.map_or(vec![], |p| {
            p.weights
                .iter()
                .scan(0.0, |acc, w| {
                    *acc += w;
                    Some(*acc)
                })
                .collect()
        });
        let propose = |index: usize| -> (Vec<f64>, f64) {
            let mut rng = stream(g, index);
            let theta: Vec<f64> = match prev {
                None => priors
                    .iter()
                    .map(|p| p.quantile(uniform(&mut rng)))
                    .collect(),
                Some(p) => {
                    let u = uniform(&mut rng) * cumulative.last().copied().unwrap_or(1.0);
                    let j = cumulative
                        .partition_point(|c| *c < u)
                        .min(p.particles.len() - 1);
                    (0..k)
                        .map(|i| p.particles[j][i] + kernel[i] * normal(&mut rng))
                        .collect()
                }
            };
            if priors.iter().zip(&theta).any(|(p, x)| p.density(*x) == 0.0) {
                return (theta, f64::INFINITY);
            }
            let d = distance(&theta, &mut rng);
            (theta, d)
        };
        let mut particles = Vec::with_capacity(opts.particles);
        let mut distances = Vec::with_capacity(opts.particles);
        let mut proposals = 0;
        while particles.len() < opts.particles {
            if proposals >= budget {
                return Err(StatsError::Optimizer(format!(
                    "generation {g} accepted {} of {} particles in {proposals} proposals (tolerance {tolerance})",
                    particles.len(),
                    opts.particles
                )));
            }
            let batch: Vec<(Vec<f64>, f64)> = (proposals..proposals + BATCH)
                .into_par_iter()
                .map(propose)
                .collect();
            // Proposals beyond the one that fills the population are not counted (nor used).
            for (theta, d) in batch {
                if particles.len() == opts.particles {
                    break;
                }
                proposals += 1;
                if d <= tolerance && d.is_finite() {
                    particles.push(theta);
                    distances.push(d);
                }
            }
        }
        let raw: Vec<f64> = match prev {
            None => vec![1.0; particles.len()],
            Some(p) => particles
                .par_iter()
                .map(|theta| {
                    let prior: f64 = priors
                        .iter()
                        .zip(theta)
                        .map(|(pr, x)| pr.density(*x))
                        .product();
                    let mix: f64 = p
                        .particles
                        .iter()
                        .zip(&p.weights)
                        .map(|(q, w)| {
                            w * (0..k)
                                .map(|i| {
                                    let z = (theta[i] - q[i]) / kernel[i];
                                    (-0.5 * z * z).exp() / kernel[i]
                                })
                                .product::<f64>()
                        })
                        .sum();
                    prior / mix
                })
                .collect(),
        };
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let ess = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        generations.push(Generation {
            tolerance,
            acceptance_rate: particles.len() as f64 / proposals as f64,
            particles,
            weights,
            distances,
            proposals,
            ess,
        });
    }
    Ok(generations)
}

/// The `q` quantile of `xs`.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = xs.to_vec();
    v.sort_by(f64::total_cmp);
    super::quantile_sorted(&v, q)
}
