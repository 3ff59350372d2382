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
//! al. 2009), independently per parameter and truncated to the prior's support (so every
//! proposal is a possible one); it is kept when its distance is within the tolerance; its
//! weight is prior(θ) / Σ_j w_j K(θ | θ_j), K the truncated kernel's density. The
//! effective sample size of each generation is (Σ w)² / Σ w².
//!
//! Every proposal is a pure function of (seed, generation, proposal index), drawn from its own
//! ChaCha8 stream, and proposals are evaluated in parallel in fixed batches and accepted in
//! index order, so the result is the same whatever the number of threads.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;

use super::dist::{norm_cdf, norm_quantile};
use super::{Result, StatsError};

/// A prior of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    Uniform {
        lower: f64,
        upper: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// A normal truncated to [lower, upper].
    TruncatedNormal {
        mean: f64,
        sd: f64,
        lower: f64,
        upper: f64,
    },
}

impl Prior {
    /// The prior's density at `x`.
    pub fn density(&self, x: f64) -> f64 {
        match *self {
            Prior::TruncatedNormal {
                mean,
                sd,
                lower,
                upper,
            } => {
                if !(lower..=upper).contains(&x) {
                    return 0.0;
                }
                let mass = norm_cdf((upper - mean) / sd) - norm_cdf((lower - mean) / sd);
                Prior::Normal { mean, sd }.density(x) / mass
            }
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
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Prior::TruncatedNormal {
                mean,
                sd,
                lower,
                upper,
            } => {
                let (a, b) = (norm_cdf((lower - mean) / sd), norm_cdf((upper - mean) / sd));
                (mean + sd * norm_quantile(a + u * (b - a))).clamp(lower, upper)
            }
            Prior::Uniform { lower, upper } => lower + u * (upper - lower),
            Prior::Normal { mean, sd } => mean + sd * norm_quantile(u),
        }
    }

    /// The prior's mean and SD (for a truncated normal, by numerical integration).
    pub fn mean_sd(&self) -> (f64, f64) {
        match *self {
            Prior::Uniform { lower, upper } => {
                ((lower + upper) / 2.0, (upper - lower) / 12f64.sqrt())
            }
            Prior::Normal { mean, sd } => (mean, sd),
            Prior::TruncatedNormal { .. } => {
                // Midpoint rule on the quantile function: E[g(X)] = ∫ g(Q(u)) du.
                let n = 4000;
                let xs: Vec<f64> = (0..n)
                    .map(|i| self.quantile((i as f64 + 0.5) / n as f64))
                    .collect();
                let m = xs.iter().sum::<f64>() / n as f64;
                let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
                (m, v.sqrt())
            }
        }
    }

    /// The prior's support (infinite ends for a normal).
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Prior::Uniform { lower, upper } | Prior::TruncatedNormal { lower, upper, .. } => {
                (lower, upper)
            }
            Prior::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    fn check(&self) -> Result<()> {
        let ok = match *self {
            Prior::TruncatedNormal {
                mean,
                sd,
                lower,
                upper,
            } => {
                mean.is_finite()
                    && sd.is_finite()
                    && sd > 0.0
                    && lower.is_finite()
                    && upper.is_finite()
                    && lower < upper
            }
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
    /// Infinite for generation 0 (the prior sample).
    pub tolerance: f64,
    /// particles × parameters.
    pub particles: Vec<Vec<f64>>,
    /// Normalised to sum 1.
    pub weights: Vec<f64>,
    pub distances: Vec<f64>,
    /// What the simulator reported beside each accepted particle's distance
    /// ([`Evaluation::summaries`]).
    pub summaries: Vec<Vec<f64>>,
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

    /// The weighted `q` quantile of parameter `i` (the smallest value whose cumulative weight
    /// reaches `q`).
    pub fn quantile(&self, i: usize, q: f64) -> f64 {
        weighted_quantile(
            &self.particles.iter().map(|p| p[i]).collect::<Vec<_>>(),
            &self.weights,
            q,
        )
    }
}

/// The weighted `q` quantile of `xs` (the smallest value whose cumulative weight reaches `q`;
/// NaN values are left out).
pub fn weighted_quantile(xs: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = xs
        .iter()
        .zip(weights)
        .filter(|(x, _)| x.is_finite())
        .map(|(x, w)| (*x, *w))
        .collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for (x, w) in &v {
        acc += w;
        if acc >= q * total {
            return *x;
        }
    }
    v.last().map_or(f64::NAN, |p| p.0)
}

/// What the simulator returns for one proposal: its distance to the observed summaries, and
/// any values to keep beside an accepted particle (the simulated summaries themselves, say).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub distance: f64,
    pub summaries: Vec<f64>,
}

/// The most proposals evaluated per parallel batch (the size depends on the acceptance rate,
/// never on the threads).
const BATCH: usize = 256;
/// The fewest proposals per batch (unless fewer are needed), to keep the threads busy.
const MIN_BATCH: usize = 8;

/// ABC-SMC of `priors` with `distance(θ, rng)` (the simulator and the distance of its summaries
/// to the observed ones; `rng` is the proposal's own stream). Returns every generation.
///
/// # Errors
/// A bad prior or option, or a generation that accepts nothing within its proposal budget.
pub fn abc_smc<D>(priors: &[Prior], opts: &AbcOptions, distance: D) -> Result<Vec<Generation>>
where
    D: Fn(&[f64], &mut ChaCha8Rng) -> f64 + Sync,
{
    abc_smc_resumable(
        priors,
        opts,
        Vec::new(),
        |_| Ok(()),
        |theta: &[f64], rng: &mut ChaCha8Rng| {
            Ok::<_, StatsError>(Evaluation {
                distance: distance(theta, rng),
                summaries: Vec::new(),
            })
        },
    )
}

/// [`abc_smc`] that starts after the generations `done` (from an earlier run with the same
/// priors and options: the result is the same as without the interruption), calls
/// `on_generation` with each new generation as soon as it is complete (to save it), and takes
/// a fallible simulator that may keep summaries beside each particle.
///
/// # Errors
/// As [`abc_smc`], or the first error of `evaluate` or `on_generation`.
pub fn abc_smc_resumable<D, G, E>(
    priors: &[Prior],
    opts: &AbcOptions,
    done: Vec<Generation>,
    mut on_generation: G,
    evaluate: D,
) -> std::result::Result<Vec<Generation>, E>
where
    D: Fn(&[f64], &mut ChaCha8Rng) -> std::result::Result<Evaluation, E> + Sync,
    G: FnMut(&Generation) -> std::result::Result<(), E>,
    E: From<StatsError> + Send,
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
        ))
        .into());
    }
    let k = priors.len();
    if done
        .iter()
        .any(|g| g.particles.len() != opts.particles || g.particles.iter().any(|p| p.len() != k))
    {
        return Err(StatsError::Dimension(format!(
            "earlier generations do not have {} particles of {k} parameters",
            opts.particles
        ))
        .into());
    }
    let stream = |generation: usize, index: usize| {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(((generation as u64) << 40) | index as u64);
        rng
    };
    let uniform =
        |rng: &mut ChaCha8Rng| ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let support: Vec<(f64, f64)> = priors.iter().map(Prior::support).collect();
    let budget = opts.particles * opts.max_proposals_per_particle.max(1);
    let mut generations: Vec<Generation> = done;
    for g in generations.len()..=opts.generations {
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
        let propose = |index: usize| -> std::result::Result<(Vec<f64>, Evaluation), E> {
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
                        .map(|i| {
                            let (a, b) = kernel_mass(p.particles[j][i], kernel[i], support[i]);
                            let u = a + uniform(&mut rng) * (b - a);
                            (p.particles[j][i] + kernel[i] * norm_quantile(u))
                                .clamp(support[i].0, support[i].1)
                        })
                        .collect()
                }
            };
            if priors.iter().zip(&theta).any(|(p, x)| p.density(*x) == 0.0) {
                let outside = Evaluation {
                    distance: f64::INFINITY,
                    summaries: Vec::new(),
                };
                return Ok((theta, outside));
            }
            let e = evaluate(&theta, &mut rng)?;
            Ok((theta, e))
        };
        let mut particles = Vec::with_capacity(opts.particles);
        let mut distances = Vec::with_capacity(opts.particles);
        let mut summaries = Vec::with_capacity(opts.particles);
        let mut proposals = 0;
        while particles.len() < opts.particles {
            if proposals >= budget {
                return Err(StatsError::Optimizer(format!(
                    "generation {g} accepted {} of {} particles in {proposals} proposals (tolerance {tolerance})",
                    particles.len(),
                    opts.particles
                ))
                .into());
            }
            // As many proposals as should fill the population at the acceptance rate seen so
            // far (in this generation, else the last one's times the quantile), with a tenth
            // to spare: proposals past the one that fills it are wasted work. Which proposals
            // are accepted does not depend on the batch size.
            let need = opts.particles - particles.len();
            let rate = if proposals > 0 && !particles.is_empty() {
                particles.len() as f64 / proposals as f64
            } else {
                prev.map_or(1.0, |p| p.acceptance_rate * opts.quantile)
            };
            let size = ((need as f64 / rate.max(0.01) * 1.1).ceil() as usize)
                .clamp(need.min(MIN_BATCH), BATCH);
            let batch: Vec<(Vec<f64>, Evaluation)> = (proposals..proposals + size)
                .into_par_iter()
                .map(propose)
                .collect::<std::result::Result<_, E>>()?;
            // Proposals beyond the one that fills the population are not counted (nor used).
            for (theta, e) in batch {
                if particles.len() == opts.particles {
                    break;
                }
                proposals += 1;
                if e.distance <= tolerance && e.distance.is_finite() {
                    particles.push(theta);
                    distances.push(e.distance);
                    summaries.push(e.summaries);
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
                                    let (a, b) = kernel_mass(q[i], kernel[i], support[i]);
                                    (-0.5 * z * z).exp() / (kernel[i] * (b - a))
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
        let generation = Generation {
            tolerance,
            acceptance_rate: particles.len() as f64 / proposals as f64,
            particles,
            weights,
            distances,
            summaries,
            proposals,
            ess,
        };
        on_generation(&generation)?;
        generations.push(generation);
    }
    Ok(generations)
}

/// The normal CDF at the ends of `support` for a kernel of SD `sd` at `centre`: the kernel is
/// truncated to the support, so a proposal never falls outside the prior (with bounded priors
/// in many dimensions, an untruncated kernel would put nearly every proposal outside), and its
/// density is divided by the mass kept.
fn kernel_mass(centre: f64, sd: f64, support: (f64, f64)) -> (f64, f64) {
    (
        norm_cdf((support.0 - centre) / sd),
        norm_cdf((support.1 - centre) / sd),
    )
}

/// The `q` quantile of `xs`.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = xs.to_vec();
    v.sort_by(f64::total_cmp);
    super::quantile_sorted(&v, q)
}
