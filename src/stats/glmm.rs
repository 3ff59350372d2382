//! Logistic random-intercept model: a binomial GLMM with the logit link and one normal random
//! intercept per group, `logit P(y = 1) = x'β + u_g`, `u_g ~ N(0, σ²)`, fitted by maximum
//! likelihood with adaptive Gauss-Hermite quadrature as lme4's
//! `glmer(y ~ x + (1 | g), family = binomial, nAGQ = k)` fits it (validated against R on
//! `tests/fixtures/stats/glmm.csv`).
//!
//! Each group's integral over its intercept is centred at the mode of the integrand and scaled
//! by its curvature there (Liu & Pierce 1994; Pinheiro & Bates 1995); with one node it is the
//! Laplace approximation. β and log σ are found together by BFGS ([`super::optim`]); standard
//! errors come from the inverse of the numerical Hessian of the deviance at the optimum, as
//! lme4 computes them for nAGQ > 1. The latent-scale intraclass correlation of a logistic model
//! is σ² / (σ² + π²/3) (Snijders & Bosker 2012, section 17.3): the share of variance on the
//! scale of the latent propensity that lies between groups, the figure studies of therapist
//! effects on dropout report.

use super::optim::bfgs;
use super::{Coef, Design, Result, StatsError, check_finite};

/// A fitted logistic random-intercept model.
#[derive(Clone, Debug, PartialEq)]
pub struct GlmmFit {
    /// Fixed effects with Wald (normal) tests and intervals.
    pub coefs: Vec<Coef>,
    /// SD of the random intercept on the logit scale.
    pub sigma: f64,
    /// Maximised log-likelihood (adaptive Gauss-Hermite).
    pub loglik: f64,
    /// Quadrature nodes per group (1: Laplace).
    pub n_agq: usize,
    pub n_groups: usize,
    pub converged: bool,
}

impl GlmmFit {
    /// The coefficient named `name`.
    pub fn coef(&self, name: &str) -> Option<&Coef> {
        self.coefs.iter().find(|c| c.name == name)
    }

    /// Latent-scale ICC, σ² / (σ² + π²/3).
    pub fn icc(&self) -> f64 {
        let s2 = self.sigma * self.sigma;
        s2 / (s2 + std::f64::consts::PI.powi(2) / 3.0)
    }
}

/// Log σ below which the random intercept is taken as absent (σ about 5e-5).
const LOG_SIGMA_MIN: f64 = -10.0;

/// Gauss-Hermite nodes and weights for the weight function exp(-x²), `n` points (Newton's
/// method on the orthonormal Hermite recurrence, as in Numerical Recipes' `gauher`).
fn gauss_hermite(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let m = n.div_ceil(2);
    let nf = n as f64;
    let mut z = 0.0f64;
    for i in 0..m {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let mut p1 = pim4;
            let mut p2 = 0.0;
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / (jf + 1.0)).sqrt() * p2 - (jf / (jf + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-14 {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

/// log(1 + e^t) without overflow.
fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// The data of one group: linear predictors without the intercept u, and outcomes.
struct Group {
    eta: Vec<f64>,
    y: Vec<f64>,
}

impl Group {
    /// log p(y | u) + log N(u; 0, σ²), and its first and second derivatives in u.
    fn h(&self, u: f64, sigma: f64) -> (f64, f64, f64) {
        let mut f =
            -0.5 * (u / sigma).powi(2) - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
        let (mut d1, mut d2) = (-u / (sigma * sigma), -1.0 / (sigma * sigma));
        for (e, y) in self.eta.iter().zip(&self.y) {
            let t = e + u;
            f += y * t - log1p_exp(t);
            let mu = 1.0 / (1.0 + (-t).exp());
            d1 += y - mu;
            d2 -= mu * (1.0 - mu);
        }
        (f, d1, d2)
    }

    /// log of ∫ p(y | u) N(u; 0, σ²) du by adaptive Gauss-Hermite quadrature.
    fn log_marginal(&self, sigma: f64, nodes: &[f64], weights: &[f64]) -> f64 {
        // The mode of h: Newton's method (h is strictly concave), with step halving.
        let mut u = 0.0;
        for _ in 0..50 {
            let (f, d1, d2) = self.h(u, sigma);
            let mut step = -d1 / d2;
            let mut next = u + step;
            while self.h(next, sigma).0 < f && step.abs() > 1e-12 {
                step *= 0.5;
                next = u + step;
            }
            u = next;
            if step.abs() < 1e-10 {
                break;
            }
        }
        let (fmax, _, d2) = self.h(u, sigma);
        let s = (-1.0 / d2).sqrt();
        if nodes.len() == 1 {
            return fmax + (2.0 * std::f64::consts::PI).sqrt().ln() + s.ln();
        }
        let sum: f64 = nodes
            .iter()
            .zip(weights)
            .map(|(z, w)| {
                let v = u + std::f64::consts::SQRT_2 * s * z;
                w * (z * z + self.h(v, sigma).0 - fmax).exp()
            })
            .sum();
        fmax + (std::f64::consts::SQRT_2 * s * sum).ln()
    }
}

/// Fits `logit P(y = 1) = x'β + u_g` with `u_g ~ N(0, σ²)` by maximum likelihood with
/// `n_agq` adaptive Gauss-Hermite nodes per group (1: Laplace; lme4's `nAGQ`).
///
/// # Errors
/// Mismatched lengths, non-finite values, outcomes other than 0 and 1, all outcomes equal,
/// fewer than two groups, `n_agq` of 0, or an optimiser failure.
pub fn logistic_random_intercept(
    y: &[f64],
    x: &Design,
    group: &[usize],
    n_agq: usize,
) -> Result<GlmmFit> {
    let n = y.len();
    check_finite("outcome", y)?;
    x.check(n, "fixed effects")?;
    if group.len() != n {
        return Err(StatsError::Dimension(format!(
            "{} group labels for {n} observations",
            group.len()
        )));
    }
    if n_agq == 0 {
        return Err(StatsError::Unsupported("nAGQ of 0".into()));
    }
    if y.iter().any(|v| *v != 0.0 && *v != 1.0) {
        return Err(StatsError::Unsupported(
            "a binary outcome must be 0 or 1".into(),
        ));
    }
    let events: f64 = y.iter().sum();
    if events == 0.0 || events == n as f64 {
        return Err(StatsError::ZeroVariance("outcome (all 0 or all 1)".into()));
    }
    let n_groups = group.iter().max().map_or(0, |g| g + 1);
    let mut sizes = vec![0usize; n_groups];
    for g in group {
        sizes[*g] += 1;
    }
    let n_used = sizes.iter().filter(|s| **s > 0).count();
    if n_used < 2 {
        return Err(StatsError::TooFewObservations {
            n: n_used,
            needed: 2,
        });
    }
    let p = x.ncols();
    let (nodes, weights) = gauss_hermite(n_agq);
    let mut groups: Vec<Group> = (0..n_groups)
        .map(|g| Group {
            eta: Vec::with_capacity(sizes[g]),
            y: Vec::with_capacity(sizes[g]),
        })
        .collect();
    for (i, g) in group.iter().enumerate() {
        groups[*g].y.push(y[i]);
        groups[*g].eta.push(0.0);
    }
    let groups_used: Vec<usize> = (0..n_groups).filter(|g| sizes[*g] > 0).collect();
    let mut position = vec![0usize; n_groups];
    let rows: Vec<(usize, usize)> = group
        .iter()
        .map(|g| {
            let k = position[*g];
            position[*g] += 1;
            (*g, k)
        })
        .collect();

    // Minus twice the log-likelihood at (β, log σ).
    let mut deviance = |theta: &[f64]| -> f64 {
        let sigma = theta[p].max(LOG_SIGMA_MIN).exp();
        for (i, (g, k)) in rows.iter().enumerate() {
            groups[*g].eta[*k] = (0..p).map(|j| x.columns[j][i] * theta[j]).sum();
        }
        -2.0 * groups_used
            .iter()
            .map(|g| groups[*g].log_marginal(sigma, &nodes, &weights))
            .sum::<f64>()
    };
    let mut x0 = vec![0.0; p + 1];
    if let Some(j) = x.names.iter().position(|n| n == "(Intercept)") {
        let m = events / n as f64;
        x0[j] = (m / (1.0 - m)).ln();
    }
    x0[p] = (0.5f64).ln();
    let free = vec![true; p + 1];
    let opt = bfgs(&mut deviance, &x0, &free, 500, 1e-10);
    if !opt.f.is_finite() {
        return Err(StatsError::Optimizer(
            "the deviance is not finite at the start".into(),
        ));
    }
    let theta = opt.x.clone();
    let sigma = if theta[p] <= LOG_SIGMA_MIN {
        0.0
    } else {
        theta[p].exp()
    };
    // Covariance of β: inverse of the Hessian of deviance / 2 in β (σ held at its estimate
    // when on the boundary, as there the likelihood is flat in log σ).
    let k = if sigma > 0.0 { p + 1 } else { p };
    let hess = numerical_hessian(&mut deviance, &theta, k);
    let mut half: Vec<f64> = hess.iter().flatten().map(|v| v / 2.0).collect();
    super::linalg::cholesky(&mut half, k, 1e-12).map_err(|_| {
        StatsError::Optimizer("the Hessian is not positive definite at the optimum".into())
    })?;
    let inv = super::linalg::cholesky_inverse(&half, k);
    let cov = |i: usize, j: usize| inv[i * k + j];
    let coefs = (0..p)
        .map(|j| {
            Coef::new(
                x.names[j].clone(),
                theta[j],
                cov(j, j).max(0.0).sqrt(),
                f64::INFINITY,
                0.95,
            )
        })
        .collect();
    Ok(GlmmFit {
        coefs,
        sigma,
        loglik: -opt.f / 2.0,
        n_agq,
        n_groups: n_used,
        converged: opt.converged,
    })
}

/// Central-difference Hessian of `f` in the first `k` parameters of `x`.
fn numerical_hessian<F: FnMut(&[f64]) -> f64>(f: &mut F, x: &[f64], k: usize) -> Vec<Vec<f64>> {
    let h: Vec<f64> = x.iter().map(|v| 1e-4 * v.abs().max(0.1)).collect();
    let mut out = vec![vec![0.0; k]; k];
    let mut xp = x.to_vec();
    let f0 = f(x);
    for i in 0..k {
        for j in i..k {
            let v = if i == j {
                xp[i] = x[i] + h[i];
                let fp = f(&xp);
                xp[i] = x[i] - h[i];
                let fm = f(&xp);
                xp[i] = x[i];
                (fp - 2.0 * f0 + fm) / (h[i] * h[i])
            } else {
                let mut e = |di: f64, dj: f64| {
                    xp[i] = x[i] + di * h[i];
                    xp[j] = x[j] + dj * h[j];
                    let v = f(&xp);
                    xp[i] = x[i];
                    xp[j] = x[j];
                    v
                };
                (e(1.0, 1.0) - e(1.0, -1.0) - e(-1.0, 1.0) + e(-1.0, -1.0)) / (4.0 * h[i] * h[j])
            };
            out[i][j] = v;
            out[j][i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_hermite_integrates_polynomials_exactly() {
        let (x, w) = gauss_hermite(10);
        let moment = |k: i32| x.iter().zip(&w).map(|(x, w)| w * x.powi(k)).sum::<f64>();
        let sqrt_pi = std::f64::consts::PI.sqrt();
        assert!((moment(0) - sqrt_pi).abs() < 1e-12);
        assert!(moment(1).abs() < 1e-12);
        assert!((moment(2) - sqrt_pi / 2.0).abs() < 1e-12);
        assert!((moment(4) - 3.0 * sqrt_pi / 4.0).abs() < 1e-11);
    }

    #[test]
    fn bad_input_is_an_error() {
        let x = Design::intercept(4);
        let g = [0, 0, 1, 1];
        assert!(logistic_random_intercept(&[0.0, 1.0, 2.0, 0.0], &x, &g, 5).is_err());
        assert!(logistic_random_intercept(&[1.0; 4], &x, &g, 5).is_err());
        assert!(logistic_random_intercept(&[0.0, 1.0, 0.0, 1.0], &x, &[0, 0, 0, 0], 5).is_err());
        assert!(logistic_random_intercept(&[0.0, 1.0, 0.0, 1.0], &x, &g, 0).is_err());
    }
}
