//! Logistic regression by maximum likelihood (Newton-Raphson, i.e. IRLS), with model-based and
//! cluster-robust (sandwich) standard errors, as R's `glm(y ~ x, family = binomial)` with
//! `sandwich::vcovCL(m, cluster = ~ g)` computes them (validated on
//! `tests/fixtures/stats/logistic.csv`).
//!
//! The cluster-robust covariance is V = B M B with B the inverse of the information X'WX and
//! M = Σ_g s_g s_g', s_g the score Σ_{i in g} x_i (y_i − p_i) of cluster g (Liang & Zeger 1986),
//! times G / (G − 1) (vcovCL's `cadjust`) and, for `HC1`, (n − 1) / (n − k) — the default of
//! vcovCL and the adjustment Stata's `logit, vce(cluster)` makes. Tests are Wald z tests, as
//! `lmtest::coeftest` gives for a glm. This is the analysis trialists fit to a binary endpoint
//! (recovery, reliable improvement, deterioration, dropout) when patients share therapists
//! and the therapist effect is a nuisance.

use super::linalg::{cholesky, cholesky_inverse};
use super::{Coef, Design, Result, StatsError, check_finite};

/// The small-sample adjustment of a cluster-robust covariance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterAdjust {
    /// G / (G − 1) only (vcovCL `type = "HC0"`).
    Hc0,
    /// G / (G − 1) × (n − 1) / (n − k) (vcovCL's default `type = "HC1"`; Stata).
    Hc1,
}

/// A fitted logistic regression.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticFit {
    pub names: Vec<String>,
    pub estimates: Vec<f64>,
    /// Inverse of the information X'WX at the estimate (row-major k x k).
    pub model_vcov: Vec<f64>,
    /// Fitted probabilities.
    pub fitted: Vec<f64>,
    pub loglik: f64,
    pub iterations: usize,
    /// The score vector of each observation, row-major n x k (for sandwich covariances).
    scores: Vec<f64>,
}

impl LogisticFit {
    /// Coefficients with model-based standard errors (glm's `summary`), Wald z tests.
    pub fn coefs(&self) -> Vec<Coef> {
        self.table(&self.model_vcov)
    }

    /// Coefficients with cluster-robust standard errors for clusters `cluster` (one label per
    /// observation), Wald z tests.
    ///
    /// # Errors
    /// A label count that is not the number of observations, or fewer than two clusters.
    pub fn cluster_robust(&self, cluster: &[usize], adjust: ClusterAdjust) -> Result<Vec<Coef>> {
        Ok(self.table(&self.cluster_vcov(cluster, adjust)?))
    }

    /// The cluster-robust covariance (row-major k x k).
    ///
    /// # Errors
    /// As [`LogisticFit::cluster_robust`].
    pub fn cluster_vcov(&self, cluster: &[usize], adjust: ClusterAdjust) -> Result<Vec<f64>> {
        let (n, k) = (self.fitted.len(), self.estimates.len());
        if cluster.len() != n {
            return Err(StatsError::Dimension(format!(
                "{} cluster labels for {n} observations",
                cluster.len()
            )));
        }
        let n_clusters = cluster.iter().max().map_or(0, |g| g + 1);
        let mut sums = vec![0.0; n_clusters * k];
        for (i, &g) in cluster.iter().enumerate() {
            for j in 0..k {
                sums[g * k + j] += self.scores[i * k + j];
            }
        }
        let used: Vec<usize> = (0..n_clusters).filter(|g| cluster.contains(g)).collect();
        let g_count = used.len();
        if g_count < 2 {
            return Err(StatsError::TooFewObservations {
                n: g_count,
                needed: 2,
            });
        }
        let mut meat = vec![0.0; k * k];
        for &g in &used {
            let s = &sums[g * k..(g + 1) * k];
            for a in 0..k {
                for b in 0..k {
                    meat[a * k + b] += s[a] * s[b];
                }
            }
        }
        let gf = g_count as f64;
        let mut factor = gf / (gf - 1.0);
        if adjust == ClusterAdjust::Hc1 {
            factor *= (n as f64 - 1.0) / (n as f64 - k as f64);
        }
        let bread = &self.model_vcov;
        let mut bm = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..k {
                bm[a * k + b] = (0..k).map(|c| bread[a * k + c] * meat[c * k + b]).sum();
            }
        }
        let mut v = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..k {
                v[a * k + b] = factor
                    * (0..k)
                        .map(|c| bm[a * k + c] * bread[c * k + b])
                        .sum::<f64>();
            }
        }
        Ok(v)
    }

    fn table(&self, vcov: &[f64]) -> Vec<Coef> {
        super::coef_table(&self.names, &self.estimates, vcov, f64::INFINITY)
    }
}

/// Iterations of Newton-Raphson before giving up.
const MAX_ITERATIONS: usize = 100;

/// Fits `logit P(y = 1) = x'β` by Newton-Raphson from β = 0, stopping when the deviance changes
/// by less than 1e-10 relative (glm's criterion is 1e-8).
///
/// # Errors
/// Mismatched lengths, non-finite values, outcomes other than 0 and 1, all outcomes equal, a
/// rank-deficient design, and complete or quasi-complete separation (the estimates diverge:
/// fitted probabilities of 0 or 1, or no convergence).
pub fn logistic(y: &[f64], x: &Design) -> Result<LogisticFit> {
    let n = y.len();
    check_finite("outcome", y)?;
    x.check(n, "design")?;
    if y.iter().any(|v| *v != 0.0 && *v != 1.0) {
        return Err(StatsError::Unsupported(
            "a binary outcome must be 0 or 1".into(),
        ));
    }
    let events: f64 = y.iter().sum();
    if events == 0.0 || events == n as f64 {
        return Err(StatsError::ZeroVariance("outcome (all 0 or all 1)".into()));
    }
    let k = x.ncols();
    if n <= k {
        return Err(StatsError::TooFewObservations { n, needed: k + 1 });
    }
    let row = |i: usize| -> Vec<f64> { x.columns.iter().map(|c| c[i]).collect() };
    let rows: Vec<Vec<f64>> = (0..n).map(row).collect();
    let mut beta = vec![0.0; k];
    let mut deviance = f64::INFINITY;
    for iteration in 1..=MAX_ITERATIONS {
        let mut info = vec![0.0; k * k];
        let mut score = vec![0.0; k];
        let mut dev = 0.0;
        for (i, xi) in rows.iter().enumerate() {
            let eta: f64 = xi.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-eta).exp());
            let w = p * (1.0 - p);
            dev -= 2.0 * (y[i] * p.max(1e-300).ln() + (1.0 - y[i]) * (1.0 - p).max(1e-300).ln());
            for a in 0..k {
                score[a] += xi[a] * (y[i] - p);
                for b in 0..k {
                    info[a * k + b] += w * xi[a] * xi[b];
                }
            }
        }
        let mut l = info.clone();
        cholesky(&mut l, k, 1e-12).map_err(|_| {
            StatsError::RankDeficient(
                "the information matrix is singular (collinear design, or separation)".into(),
            )
        })?;
        let inv = cholesky_inverse(&l, k);
        let step: Vec<f64> = (0..k)
            .map(|a| (0..k).map(|b| inv[a * k + b] * score[b]).sum())
            .collect();
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        let converged = (deviance - dev).abs() <= 1e-10 * (dev.abs() + 0.1);
        deviance = dev;
        if converged {
            return finish(y, &rows, &beta, x, iteration);
        }
    }
    Err(StatsError::Optimizer(format!(
        "no convergence in {MAX_ITERATIONS} Newton steps (separation: some coefficient diverges)"
    )))
}

/// The fit at `beta`: information, fitted values, scores and log-likelihood there.
fn finish(
    y: &[f64],
    rows: &[Vec<f64>],
    beta: &[f64],
    x: &Design,
    iterations: usize,
) -> Result<LogisticFit> {
    let k = beta.len();
    let mut info = vec![0.0; k * k];
    let mut fitted = Vec::with_capacity(rows.len());
    let mut scores = Vec::with_capacity(rows.len() * k);
    let mut loglik = 0.0;
    for (i, xi) in rows.iter().enumerate() {
        let eta: f64 = xi.iter().zip(beta).map(|(a, b)| a * b).sum();
        let p = 1.0 / (1.0 + (-eta).exp());
        if !(p > 1e-12 && p < 1.0 - 1e-12) {
            return Err(StatsError::Optimizer(
                "fitted probabilities of 0 or 1 (complete or quasi-complete separation)".into(),
            ));
        }
        loglik += y[i] * p.ln() + (1.0 - y[i]) * (1.0 - p).ln();
        let w = p * (1.0 - p);
        for a in 0..k {
            scores.push(xi[a] * (y[i] - p));
            for b in 0..k {
                info[a * k + b] += w * xi[a] * xi[b];
            }
        }
        fitted.push(p);
    }
    let mut l = info;
    cholesky(&mut l, k, 1e-12)
        .map_err(|_| StatsError::RankDeficient("the information matrix is singular".into()))?;
    Ok(LogisticFit {
        names: x.names.clone(),
        estimates: beta.to_vec(),
        model_vcov: cholesky_inverse(&l, k),
        fitted,
        loglik,
        iterations,
        scores,
    })
}
