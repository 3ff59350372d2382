//! Intervals over replicates: per arm and statistic of `summary.csv`, the mean, SD and the
//! 2.5%, 50% and 97.5% quantiles of the replicates' values. Under `--posterior` each replicate
//! simulates one posterior draw, so the interval is a posterior predictive interval: where a
//! study of the replicate's size would land, given what the calibration targets leave
//! uncertain about the model as well as sampling and Monte Carlo noise.

use serde::Serialize;

use crate::stats;

use super::SummaryStats;

/// One arm's statistic over replicates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicateInterval {
    pub arm: String,
    pub statistic: &'static str,
    /// Replicates where the statistic is defined (a finite value).
    pub replicates: usize,
    pub mean: f64,
    pub sd: f64,
    pub q025: f64,
    pub q50: f64,
    pub q975: f64,
}

/// The columns of `intervals.csv`.
pub const INTERVAL_COLUMNS: &[&str] = &[
    "arm",
    "statistic",
    "replicates",
    "mean",
    "sd",
    "q025",
    "q50",
    "q975",
];

/// The intervals of every arm (in `arms` order) and statistic ([`SummaryStats::NAMES`] order,
/// counts left out) over `per_replicate` (one summary per arm per replicate). A statistic
/// defined in no replicate has NaN cells; the quantiles are R's type 7.
pub fn over_replicates(
    arms: &[String],
    per_replicate: &[Vec<SummaryStats>],
) -> Vec<ReplicateInterval> {
    let mut out = Vec::new();
    for (a, arm) in arms.iter().enumerate() {
        let rows: Vec<[f64; 18]> = per_replicate.iter().map(|r| r[a].values()).collect();
        for (i, &statistic) in SummaryStats::NAMES.iter().enumerate() {
            if SummaryStats::is_count(i) {
                continue;
            }
            let mut xs: Vec<f64> = rows
                .iter()
                .map(|v| v[i])
                .filter(|x| x.is_finite())
                .collect();
            xs.sort_by(f64::total_cmp);
            let (mean, sd, q) = if xs.is_empty() {
                (f64::NAN, f64::NAN, [f64::NAN; 3])
            } else {
                let sd = if xs.len() > 1 {
                    stats::var(&xs).sqrt()
                } else {
                    f64::NAN
                };
                (
                    stats::mean(&xs),
                    sd,
                    [0.025, 0.5, 0.975].map(|p| stats::quantile_sorted(&xs, p)),
                )
            };
            out.push(ReplicateInterval {
                arm: arm.clone(),
                statistic,
                replicates: xs.len(),
                mean,
                sd,
                q025: q[0],
                q50: q[1],
                q975: q[2],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_with_dropout(d: f64) -> SummaryStats {
        SummaryStats {
            n: 10,
            mean_intake: 20.0,
            mean_final: 12.0,
            mean_change: -8.0,
            sd_change: 5.0,
            pre_post_d: 1.0,
            reliable_improvement: 0.5,
            recovery: 0.4,
            deterioration: 0.05,
            dropout: d,
            mean_sessions: 8.0,
            alliance_outcome_r: f64::NAN,
            alliance_outcome_n: 0,
            rupture_rate: 0.2,
            rupture_rate_patient: 0.1,
            rupture_rate_therapist: 0.1,
            rupture_rate_observer: 0.15,
            repair_rate: 0.6,
        }
    }

    #[test]
    fn quantiles_are_type_7_and_undefined_statistics_empty() {
        // dropout 0, 0.1, ..., 1.0 over 11 replicates: type 7 puts q at 0.025 * 10 / 10 etc.
        let reps: Vec<Vec<SummaryStats>> = (0..=10)
            .map(|k| vec![stats_with_dropout(f64::from(k) / 10.0)])
            .collect();
        let iv = over_replicates(&["a".into()], &reps);
        assert_eq!(iv.len(), 16, "18 statistics less the two counts");
        let d = iv.iter().find(|i| i.statistic == "dropout").unwrap();
        assert_eq!(d.replicates, 11);
        assert!((d.mean - 0.5).abs() < 1e-12);
        assert!((d.q025 - 0.025).abs() < 1e-12);
        assert!((d.q50 - 0.5).abs() < 1e-12);
        assert!((d.q975 - 0.975).abs() < 1e-12);
        // sd of 0, 0.1, ..., 1 (n - 1 denominator) = sqrt(0.11)
        assert!((d.sd - 0.11f64.sqrt()).abs() < 1e-12);
        let r = iv
            .iter()
            .find(|i| i.statistic == "alliance_outcome_r")
            .unwrap();
        assert_eq!(r.replicates, 0);
        assert!(r.mean.is_nan() && r.q975.is_nan());
    }
}
