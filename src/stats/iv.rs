//! Two-stage least squares (instrumental variables) with classical and HC standard errors,
//! matching `AER::ivreg(y ~ x + w | z + w)` with `sandwich::vcovHC`.
//!
//! With regressors X (n x p; endogenous and exogenous) and instruments Z (n x m, m >= p; the
//! exogenous regressors are their own instruments), X^ = Z (Z'Z)^{-1} Z'X and
//! b = (X^'X^)^{-1} X^'y. Residuals are y - X b (the structural residuals, not y - X^ b);
//! the classical covariance is s^2 (X^'X^)^{-1}, s^2 = e'e / (n - p). The HC sandwich uses
//! the bread (X^'X^)^{-1}, the meat sum_i w_i x^_i x^_i' and the hat values
//! h_i = x_i' (X^'X^)^{-1} x^_i of AER's `hatvalues.ivreg`.

use serde::Serialize;

use super::design::Design;
use super::linalg;
use super::ols::{HcType, hat_values, hc_vcov, xtx_inverse};
use super::{Coef, Result, StatsError, check_finite, coef_table};

/// A two-stage least-squares fit.
#[derive(Clone, Debug, Serialize)]
pub struct IvFit {
    pub names: Vec<String>,
    pub coefficients: Vec<f64>,
    /// Classical covariance s^2 (X^'X^)^{-1}.
    pub vcov: Vec<f64>,
    /// Coefficient table with classical standard errors (t on n - p df).
    pub coefs: Vec<Coef>,
    /// Structural residuals y - X b.
    pub residuals: Vec<f64>,
    pub hat: Vec<f64>,
    pub sigma: f64,
    pub n: usize,
    pub df_residual: usize,
    #[serde(skip)]
    bread: Vec<f64>,
    #[serde(skip)]
    xhat: Vec<Vec<f64>>,
}

impl IvFit {
    /// The HC covariance matrix of the coefficients (row-major p x p).
    fn vcov_hc(&self, kind: HcType) -> Vec<f64> {
        hc_vcov(&self.bread, &self.xhat, &self.residuals, &self.hat, kind)
    }

    /// Coefficient table with HC standard errors (t on n - p df).
    pub fn robust(&self, kind: HcType) -> Vec<Coef> {
        coef_table(
            &self.names,
            &self.coefficients,
            &self.vcov_hc(kind),
            self.df_residual as f64,
        )
    }
}

/// Fits y on the regressors `x` with the instruments `z` by two-stage least squares.
///
/// # Errors
/// Mismatched lengths, non-finite values, fewer instruments than regressors (under-
/// identification), rank-deficient instruments or projected regressors, n <= p.
pub fn two_stage_least_squares(y: &[f64], x: &Design, z: &Design) -> Result<IvFit> {
    let n = y.len();
    x.check(n, "regressors")?;
    z.check(n, "instruments")?;
    check_finite("response", y)?;
    let p = x.ncols();
    let m = z.ncols();
    if m < p {
        return Err(StatsError::Unsupported(format!(
            "under-identified: {m} instruments for {p} regressors"
        )));
    }
    if n <= m.max(p) {
        return Err(StatsError::TooFewObservations {
            n,
            needed: m.max(p) + 1,
        });
    }
    let ztz_inv = xtx_inverse(&z.columns, &z.names)?;
    // First stage: X^ = Z (Z'Z)^{-1} Z'X, column by column.
    let xhat: Vec<Vec<f64>> = x
        .columns
        .iter()
        .map(|xc| {
            let ztx: Vec<f64> = z
                .columns
                .iter()
                .map(|zc| zc.iter().zip(xc).map(|(a, b)| a * b).sum())
                .collect();
            let g = linalg::mat_vec(&ztz_inv, m, &ztx);
            (0..n)
                .map(|i| (0..m).map(|k| z.columns[k][i] * g[k]).sum())
                .collect()
        })
        .collect();
    let bread = xtx_inverse(&xhat, &x.names)?;
    let xhy: Vec<f64> = xhat
        .iter()
        .map(|c| c.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let beta = linalg::mat_vec(&bread, p, &xhy);
    let residuals: Vec<f64> = (0..n)
        .map(|i| y[i] - (0..p).map(|j| x.columns[j][i] * beta[j]).sum::<f64>())
        .collect();
    let df = n - p;
    let sigma2 = residuals.iter().map(|e| e * e).sum::<f64>() / df as f64;
    if sigma2.is_nan() || sigma2 <= 1e-20 * y.iter().map(|v| v * v).sum::<f64>() / df as f64 {
        return Err(StatsError::ZeroVariance(
            "residuals (the model fits the data exactly)".into(),
        ));
    }
    let vcov: Vec<f64> = bread.iter().map(|v| v * sigma2).collect();
    let hat = hat_values(&bread, &x.columns, &xhat);
    Ok(IvFit {
        names: x.names.clone(),
        coefs: coef_table(&x.names, &beta, &vcov, df as f64),
        coefficients: beta,
        vcov,
        residuals,
        hat,
        sigma: sigma2.sqrt(),
        n,
        df_residual: df,
        bread,
        xhat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn just_identified_iv_with_x_as_own_instrument_is_ols() {
        let xs = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [1.0, 2.9, 5.2, 7.1, 8.8, 11.2];
        let x = Design::intercept(6).with("x", xs);
        let iv = two_stage_least_squares(&y, &x, &x).unwrap();
        let ols = super::super::ols::ols(&y, &x).unwrap();
        for (a, b) in iv.coefficients.iter().zip(&ols.coefficients) {
            assert!((a - b).abs() < 1e-12);
        }
        let z = Design::intercept(6);
        assert!(matches!(
            two_stage_least_squares(&y, &x, &z),
            Err(StatsError::Unsupported(_))
        ));
    }
}
