//! Statistics for analysing simulated trials: the models a trial planner fits to the output of
//! many replicates, validated against R (lm, sandwich, AER::ivreg, lme4 and lmerTest; see
//! docs/statistics.md and the fixtures in tests/fixtures/stats/).
//!
//! - [`ols`]: ordinary least squares with classical and heteroscedasticity-consistent (HC0-HC3)
//!   standard errors, and the ANCOVA helper `end ~ intake + arm`.
//! - [`iv`]: two-stage least squares with classical and HC standard errors.
//! - [`lmm`]: linear mixed models by REML (random intercepts; two nested levels of random
//!   intercepts and slopes, e.g. patients in therapists; partially nested designs), with
//!   Satterthwaite degrees of freedom as lmerTest computes them.
//! - [`glmm`]: the logistic random-intercept model by adaptive Gauss-Hermite quadrature, with
//!   its latent-scale ICC (therapist effects on dropout and deterioration).
//! - [`logistic`]: logistic regression with model-based and cluster-robust (sandwich)
//!   standard errors, as `glm(binomial)` with `sandwich::vcovCL`.
//! - [`effect`]: the mean and variance of a sample, Pearson correlation with a Fisher-z
//!   interval, Cohen's d and Hedges' g, and person-mean centring (Jacobson-Truax reliable
//!   change of a sample is `model::instrument::reliable_change`, beside the instrument whose
//!   formulas it applies).
//! - [`longitudinal`]: the three-level growth model of a trial and the within-person
//!   cross-lagged model.
//! - [`abc`]: approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), validated on
//!   a model with an analytic posterior.
//! - [`sensitivity`]: global sensitivity analysis (Morris elementary effects, Sobol indices
//!   from a Saltelli design) with bootstrap intervals, validated on analytic functions.
//! - [`dist`]: the t and normal distributions (p-values and quantiles).
//!
//! Data problems (too few observations, rank-deficient designs, non-finite values, groupings
//! that are not nested) are reported as [`StatsError`]; nothing here panics on data.

pub mod abc;
pub mod design;
pub mod dist;
pub mod effect;
pub mod glmm;
pub mod iv;
pub(crate) mod linalg;
pub mod lmm;
pub mod logistic;
pub mod longitudinal;
pub mod ols;
mod optim;
pub mod sensitivity;

pub use design::{Design, Factor};
pub use effect::{cohens_d, mean, pearson, person_mean_centre, sum_squared_deviations, var};
pub use iv::two_stage_least_squares;
pub use lmm::random_intercept;
pub use longitudinal::cross_lagged;
pub use ols::{HcType, ancova, ols};

use serde::Serialize;

/// Why a statistical computation could not be done.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Inputs of different lengths or shapes.
    #[error("dimension mismatch: {0}")]
    Dimension(String),
    /// Fewer observations than the model needs.
    #[error("too few observations: {n} for {needed} needed")]
    TooFewObservations { n: usize, needed: usize },
    /// A NaN or infinite value in the data.
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// The design (or instrument) matrix does not have full column rank.
    #[error("rank-deficient design: column `{0}` is (nearly) a linear combination of the others")]
    RankDeficient(String),
    /// A variable, or the residuals, have no variance.
    #[error("zero variance: {0}")]
    ZeroVariance(String),
    /// Two random-effect grouping factors that are not nested in one another.
    #[error(
        "grouping factors `{inner}` and `{outer}` are not nested: level {level} of `{inner}` is in more than one level of `{outer}`"
    )]
    NotNested {
        inner: String,
        outer: String,
        level: usize,
    },
    /// A request this module does not support (described).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The optimiser did not reach a finite optimum.
    #[error("optimiser failed: {0}")]
    Optimizer(String),
}

/// Result type of the statistics module.
pub type Result<T> = std::result::Result<T, StatsError>;

/// One row of a coefficient table: estimate, standard error, degrees of freedom of the t
/// reference distribution, t statistic, two-sided p-value and 95% (or `level`) Wald interval
/// `estimate -/+ t_{df, (1+level)/2} * se`. `df = inf` means a normal reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coef {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
    pub t: f64,
    pub p: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

impl Coef {
    /// Builds a row from an estimate, its standard error and the t degrees of freedom, with a
    /// `level` confidence interval (e.g. 0.95).
    fn new(name: impl Into<String>, estimate: f64, se: f64, df: f64, level: f64) -> Coef {
        let t = estimate / se;
        let p = dist::t_two_sided_p(t, df);
        let q = dist::t_quantile(0.5 + level / 2.0, df);
        Coef {
            name: name.into(),
            estimate,
            se,
            df,
            t,
            p,
            ci_lower: estimate - q * se,
            ci_upper: estimate + q * se,
        }
    }
}

/// Coefficient rows from estimates, a covariance matrix (row-major p x p) and one df for all.
pub(crate) fn coef_table(names: &[String], est: &[f64], vcov: &[f64], df: f64) -> Vec<Coef> {
    let p = est.len();
    (0..p)
        .map(|j| {
            Coef::new(
                names[j].clone(),
                est[j],
                vcov[j * p + j].max(0.0).sqrt(),
                df,
                0.95,
            )
        })
        .collect()
}

/// The `p` quantile of `sorted` (ascending, not empty) by linear interpolation between order
/// statistics (R's type 7).
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = p * (sorted.len() - 1) as f64;
    let (i, f) = (h.floor() as usize, h - h.floor());
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + f * (sorted[j] - sorted[i])
}

pub(crate) fn check_finite(what: &str, v: &[f64]) -> Result<()> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(StatsError::NonFinite(what.to_string()))
    }
}
