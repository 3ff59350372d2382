//! Effect sizes and simple descriptive statistics: Pearson correlation with a Fisher-z
//! interval, Cohen's d and Hedges' g, Jacobson-Truax reliable change (computed by
//! [`Instrument`]) and person-mean centring.

use serde::Serialize;

use super::dist;
use super::{Result, StatsError, check_finite};

/// The mean (sum / n), `NaN` for no values: the two-pass mean every statistic of a sample uses.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// The sum of squared deviations from `centre`, the sum of (x - centre)^2 in order.
pub fn sum_squared_deviations(xs: &[f64], centre: f64) -> f64 {
    xs.iter().map(|x| (x - centre).powi(2)).sum::<f64>()
}

/// The sample variance (n - 1) about the [`mean`], `NaN` for fewer than two values.
pub fn var(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        f64::NAN
    } else {
        sum_squared_deviations(xs, mean(xs)) / (xs.len() - 1) as f64
    }
}

/// A Pearson correlation with the t test of R's `cor.test` (t = r sqrt((n-2)/(1-r^2)) on n - 2
/// df) and the Fisher-z interval tanh(atanh(r) -/+ z_{(1+level)/2} / sqrt(n - 3)).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Correlation {
    pub r: f64,
    pub n: usize,
    pub t: f64,
    pub df: f64,
    pub p: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// Pearson correlation of `x` and `y` with a 95% Fisher-z interval.
///
/// # Errors
/// Lengths differ, fewer than 4 pairs, non-finite values, or a variable without variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Result<Correlation> {
    pearson_level(x, y, 0.95)
}

/// Pearson correlation with a Fisher-z interval at confidence `level`.
///
/// # Errors
/// As [`pearson`].
fn pearson_level(x: &[f64], y: &[f64], level: f64) -> Result<Correlation> {
    if x.len() != y.len() {
        return Err(StatsError::Dimension(format!(
            "correlation: {} x values, {} y values",
            x.len(),
            y.len()
        )));
    }
    let n = x.len();
    if n < 4 {
        return Err(StatsError::TooFewObservations { n, needed: 4 });
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
        sxy += (a - mx) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return Err(StatsError::ZeroVariance(
            "a correlated variable is constant".into(),
        ));
    }
    let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    let df = (n - 2) as f64;
    let t = r * (df / (1.0 - r * r)).sqrt();
    let z = r.atanh();
    let half = dist::norm_quantile(0.5 + level / 2.0) / ((n - 3) as f64).sqrt();
    Ok(Correlation {
        r,
        n,
        t,
        df,
        p: dist::t_two_sided_p(t, df),
        ci_lower: (z - half).tanh(),
        ci_upper: (z + half).tanh(),
    })
}

/// A standardised mean difference of two independent groups.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EffectSize {
    pub n1: usize,
    pub n0: usize,
    /// mean(group 1) - mean(group 0).
    pub mean_diff: f64,
    /// sqrt(((n1-1) s1^2 + (n0-1) s0^2) / (n1 + n0 - 2)).
    pub pooled_sd: f64,
    /// Cohen's d = mean_diff / pooled_sd.
    pub cohens_d: f64,
    /// Hedges' exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)),
    /// m = n1 + n0 - 2 (about 1 - 3/(4m - 1)).
    pub hedges_j: f64,
    /// Hedges' g = J d.
    pub hedges_g: f64,
}

/// Cohen's d (pooled SD) and Hedges' g of group 1 against group 0 (positive when group 1 has
/// the larger mean).
///
/// # Errors
/// A group with fewer than 2 values, non-finite values, or zero pooled SD.
pub fn cohens_d(group1: &[f64], group0: &[f64]) -> Result<EffectSize> {
    let (n1, n0) = (group1.len(), group0.len());
    if n1 < 2 || n0 < 2 {
        return Err(StatsError::TooFewObservations {
            n: n1.min(n0),
            needed: 2,
        });
    }
    check_finite("group 1", group1)?;
    check_finite("group 0", group0)?;
    let (m1, m0) = (mean(group1), mean(group0));
    let m = (n1 + n0 - 2) as f64;
    let ss = sum_squared_deviations(group1, m1) + sum_squared_deviations(group0, m0);
    let pooled_sd = (ss / m).sqrt();
    if pooled_sd.is_nan() || pooled_sd <= 0.0 {
        return Err(StatsError::ZeroVariance(
            "pooled standard deviation is zero".into(),
        ));
    }
    let d = (m1 - m0) / pooled_sd;
    let hedges_j =
        (dist::ln_gamma(m / 2.0) - (m / 2.0).sqrt().ln() - dist::ln_gamma((m - 1.0) / 2.0)).exp();
    Ok(EffectSize {
        n1,
        n0,
        mean_diff: m1 - m0,
        pooled_sd,
        cohens_d: d,
        hedges_j,
        hedges_g: d * hedges_j,
    })
}

/// A variable split into its between-person part (the person's mean, repeated on each of their
/// rows) and its within-person part (the deviation from that mean).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Centred {
    pub between: Vec<f64>,
    pub within: Vec<f64>,
    /// Mean per group (index = group code; NaN for a code with no rows).
    pub means: Vec<f64>,
}

/// Person-mean centring: for each row, the mean of `x` over all rows of its group and the
/// deviation from it (x = between + within).
///
/// # Errors
/// Lengths differ or a value is not finite.
pub fn person_mean_centre(groups: &[usize], x: &[f64]) -> Result<Centred> {
    if groups.len() != x.len() {
        return Err(StatsError::Dimension(format!(
            "centring: {} group codes, {} values",
            groups.len(),
            x.len()
        )));
    }
    check_finite("centred variable", x)?;
    let g = groups.iter().max().map_or(0, |m| m + 1);
    let mut sum = vec![0.0; g];
    let mut cnt = vec![0usize; g];
    for (&k, &v) in groups.iter().zip(x) {
        sum[k] += v;
        cnt[k] += 1;
    }
    let means: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect();
    let between: Vec<f64> = groups.iter().map(|&k| means[k]).collect();
    let within = x.iter().zip(&between).map(|(v, b)| v - b).collect();
    Ok(Centred {
        between,
        within,
        means,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedges_j_is_close_to_the_approximation() {
        let e = cohens_d(&[1.0, 2.0, 3.0, 4.0], &[0.0, 1.0, 1.5, 2.0, 3.0]).unwrap();
        let m = 7.0;
        assert!((e.hedges_j - (1.0 - 3.0 / (4.0 * m - 1.0))).abs() < 2e-3);
        assert!(cohens_d(&[1.0], &[2.0, 3.0]).is_err());
        assert!(pearson(&[1.0, 1.0, 1.0, 1.0], &[1.0, 2.0, 3.0, 4.0]).is_err());
        let c = person_mean_centre(&[0, 0, 1], &[1.0, 3.0, 5.0]).unwrap();
        assert_eq!(c.within, [-1.0, 1.0, 0.0]);
    }
}
