//! Ordinary least squares with classical and heteroscedasticity-consistent standard errors, and
//! the ANCOVA of a trial's end score on intake and arm.
//!
//! Matches R's `lm` (classical) and `sandwich::vcovHC(type = "HC0" | "HC1" | "HC2" | "HC3")`
//! with t tests on the residual degrees of freedom, as `lmtest::coeftest` reports them.

use serde::Serialize;

use super::design::{Design, Factor};
use super::effect::{mean, sum_squared_deviations};
use super::linalg;
use super::{Coef, Result, StatsError, check_finite, coef_table};

/// The heteroscedasticity-consistent covariance estimators of White (1980) and MacKinnon &
/// White (1985), with the weights of sandwich::vcovHC: HC0 e_i^2; HC1 e_i^2 n/(n-p);
/// HC2 e_i^2/(1-h_i); HC3 e_i^2/(1-h_i)^2 (h_i: hat values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum HcType {
    HC0,
    HC1,
    HC2,
    HC3,
}

/// A least-squares fit.
#[derive(Clone, Debug, Serialize)]
pub struct OlsFit {
    pub names: Vec<String>,
    pub coefficients: Vec<f64>,
    /// Classical covariance sigma^2 (X'X)^{-1}, row-major p x p.
    pub vcov: Vec<f64>,
    /// Coefficient table with classical standard errors, t on n - p df.
    pub coefs: Vec<Coef>,
    pub residuals: Vec<f64>,
    pub fitted: Vec<f64>,
    /// Diagonal of the hat matrix X (X'X)^{-1} X'.
    pub hat: Vec<f64>,
    /// Residual standard error sqrt(RSS / (n - p)).
    pub sigma: f64,
    pub r_squared: f64,
    pub adj_r_squared: f64,
    pub n: usize,
    pub df_residual: usize,
    #[serde(skip)]
    xtx_inv: Vec<f64>,
    #[serde(skip)]
    x: Vec<Vec<f64>>,
}

impl OlsFit {
    /// The HC covariance matrix (row-major p x p) of the coefficients.
    fn vcov_hc(&self, kind: HcType) -> Vec<f64> {
        hc_vcov(&self.xtx_inv, &self.x, &self.residuals, &self.hat, kind)
    }

    /// Coefficient table with HC standard errors (t on n - p df, as coeftest does).
    pub fn robust(&self, kind: HcType) -> Vec<Coef> {
        coef_table(
            &self.names,
            &self.coefficients,
            &self.vcov_hc(kind),
            self.df_residual as f64,
        )
    }
}

/// The sandwich B M B with bread B (p x p) and meat M = sum_i w_i x_i x_i', x_i the rows of the
/// columns `x` and w_i the HC weight of residual e_i and hat value h_i.
pub(crate) fn hc_vcov(
    bread: &[f64],
    x: &[Vec<f64>],
    e: &[f64],
    h: &[f64],
    kind: HcType,
) -> Vec<f64> {
    let p = x.len();
    let n = e.len();
    let mut meat = vec![0.0; p * p];
    let mut row = vec![0.0; p];
    for i in 0..n {
        let w = match kind {
            HcType::HC0 => e[i] * e[i],
            HcType::HC1 => e[i] * e[i] * n as f64 / (n - p) as f64,
            HcType::HC2 => e[i] * e[i] / (1.0 - h[i]),
            HcType::HC3 => e[i] * e[i] / ((1.0 - h[i]) * (1.0 - h[i])),
        };
        for j in 0..p {
            row[j] = x[j][i];
        }
        for a in 0..p {
            let wa = w * row[a];
            for b in 0..=a {
                meat[a * p + b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            meat[b * p + a] = meat[a * p + b];
        }
    }
    let mut bm = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            bm[a * p + b] = (0..p).map(|k| bread[a * p + k] * meat[k * p + b]).sum();
        }
    }
    let mut out = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            out[a * p + b] = (0..p).map(|k| bm[a * p + k] * bread[k * p + b]).sum();
        }
    }
    out
}

/// (X'X)^{-1} of the columns `x` by a Cholesky factorisation of the equilibrated cross-product.
///
/// # Errors
/// [`StatsError::RankDeficient`] naming the first column that is a linear combination of the
/// earlier ones.
pub(crate) fn xtx_inverse(x: &[Vec<f64>], names: &[String]) -> Result<Vec<f64>> {
    let p = x.len();
    let xtx = linalg::crossprod_cols(x);
    let scale: Vec<f64> = (0..p).map(|j| xtx[j * p + j].sqrt()).collect();
    if let Some(j) = scale.iter().position(|&s| s.is_nan() || s <= 0.0) {
        return Err(StatsError::RankDeficient(names[j].clone()));
    }
    let mut a: Vec<f64> = (0..p * p)
        .map(|k| xtx[k] / (scale[k / p] * scale[k % p]))
        .collect();
    linalg::cholesky(&mut a, p, 1e-10).map_err(|j| StatsError::RankDeficient(names[j].clone()))?;
    let inv = linalg::cholesky_inverse(&a, p);
    Ok((0..p * p)
        .map(|k| inv[k] / (scale[k / p] * scale[k % p]))
        .collect())
}

/// Fits y = X b + e by least squares.
///
/// # Errors
/// Mismatched lengths, non-finite values, n <= p, a rank-deficient X, or a perfect fit (no
/// residual variance).
pub fn ols(y: &[f64], x: &Design) -> Result<OlsFit> {
    let n = y.len();
    x.check(n, "design")?;
    check_finite("response", y)?;
    let p = x.ncols();
    if n <= p {
        return Err(StatsError::TooFewObservations { n, needed: p + 1 });
    }
    let xtx_inv = xtx_inverse(&x.columns, &x.names)?;
    let xty: Vec<f64> = x
        .columns
        .iter()
        .map(|c| c.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let beta = linalg::mat_vec(&xtx_inv, p, &xty);
    let fitted: Vec<f64> = (0..n)
        .map(|i| (0..p).map(|j| x.columns[j][i] * beta[j]).sum())
        .collect();
    let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(a, b)| a - b).collect();
    let rss: f64 = residuals.iter().map(|e| e * e).sum();
    let df = n - p;
    let sigma2 = rss / df as f64;
    if sigma2.is_nan() || sigma2 <= 1e-20 * y.iter().map(|v| v * v).sum::<f64>() / df as f64 {
        return Err(StatsError::ZeroVariance(
            "residuals (the model fits the data exactly)".into(),
        ));
    }
    let hat = hat_values(&xtx_inv, &x.columns, &x.columns);
    let vcov: Vec<f64> = xtx_inv.iter().map(|v| v * sigma2).collect();
    let (tss, df_tss) = if x.has_intercept() {
        (sum_squared_deviations(y, mean(y)), n - 1)
    } else {
        (y.iter().map(|v| v * v).sum::<f64>(), n)
    };
    let r_squared = 1.0 - rss / tss;
    let adj_r_squared = 1.0 - (1.0 - r_squared) * df_tss as f64 / df as f64;
    Ok(OlsFit {
        names: x.names.clone(),
        coefs: coef_table(&x.names, &beta, &vcov, df as f64),
        coefficients: beta,
        vcov,
        residuals,
        fitted,
        hat,
        sigma: sigma2.sqrt(),
        r_squared,
        adj_r_squared,
        n,
        df_residual: df,
        xtx_inv,
        x: x.columns.clone(),
    })
}

/// h_i = a_i' M b_i for the rows a_i, b_i of two column sets (M p x p).
pub(crate) fn hat_values(m: &[f64], a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<f64> {
    let p = a.len();
    let n = a.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| {
            let mut s = 0.0;
            for j in 0..p {
                for k in 0..p {
                    s += a[j][i] * m[j * p + k] * b[k][i];
                }
            }
            s
        })
        .collect()
}

/// ANCOVA of a two- or more-arm trial: `end ~ intake + arm`, the arm as treatment dummies
/// against the factor's first level (coefficients `(Intercept)`, `intake`, `arm<level>`...).
/// Each arm coefficient is the intake-adjusted difference of mean end scores from the
/// reference arm; use [`OlsFit::robust`] for HC standard errors.
///
/// # Errors
/// As [`ols`]; also a mismatch of lengths.
pub fn ancova(end: &[f64], intake: &[f64], arm: &Factor) -> Result<OlsFit> {
    if intake.len() != end.len() || arm.codes.len() != end.len() {
        return Err(StatsError::Dimension(format!(
            "ancova: {} end scores, {} intake scores, {} arms",
            end.len(),
            intake.len(),
            arm.codes.len()
        )));
    }
    let x = Design::intercept(end.len())
        .with("intake", intake.to_vec())
        .with_dummies("arm", arm);
    ols(end, &x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_and_errors() {
        let x = Design::intercept(5).with("x", vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let y = [1.0, 3.1, 4.9, 7.0, 9.1];
        let f = ols(&y, &x).unwrap();
        assert!((f.coefficients[1] - 2.01).abs() < 1e-12);
        let collinear = x.clone().with("x2", vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(
            ols(&y, &collinear).unwrap_err(),
            StatsError::RankDeficient("x2".into())
        );
        assert!(matches!(
            ols(&y[..2], &Design::intercept(2).with("x", vec![0.0, 1.0])),
            Err(StatsError::TooFewObservations { .. })
        ));
        assert!(matches!(
            ols(&[1.0, f64::NAN, 2.0], &Design::intercept(3)),
            Err(StatsError::NonFinite(_))
        ));
        assert!(matches!(
            ols(
                &[1.0, 3.0, 5.0],
                &Design::intercept(3).with("x", vec![0.0, 1.0, 2.0])
            ),
            Err(StatsError::ZeroVariance(_))
        ));
    }
}
