//! Summary statistics computed while results stream past, in a fixed order (so they are
//! bit-identical whatever the number of threads).
//!
//! Definitions (docs/findings.md, "How to measure them from simulated data"):
//! - change = final score - intake score (negative = improvement); pre-post d = mean(intake -
//!   final) / SD(intake), positive = improvement (M10);
//! - reliable improvement, recovery (among cases at intake) and deterioration by the
//!   instrument's reliable-change threshold and cut-off (M1, M4, O3);
//! - dropout = unilateral ending before the planned or a good-enough end (P1);
//! - alliance-outcome r = correlation of the patient-rated WAI-SR at session 3 with residual
//!   gain (final regressed on intake, sign set so improvement is positive), among patients who
//!   attended session 3 (A1);
//! - rupture rates per attended session, latent and as reported by each rater (R4-R6); repair
//!   rate = repaired / ruptures.

pub mod intervals;
pub mod statistics;

use serde::Serialize;

use crate::model::attendance::Ending;
use crate::model::instrument::{ChangeClass, Instrument};
use crate::sim::engine::PatientOutcome;

/// Running mean and sum of squared deviations (Welford).
///
/// Not [`crate::stats::mean`]/[`crate::stats::var`]: summaries stream, and Welford's update
/// rounds differently from the two-pass formulas (the run outputs are pinned to this one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    m2: f64,
}

impl Moments {
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }
    /// Sample variance (n - 1).
    fn var(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }
    pub fn sd(&self) -> f64 {
        self.var().sqrt()
    }
    pub fn mean_or_nan(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }
}

/// Running means and co-moments of k variables.
///
/// Not [`crate::stats::pearson`]: it streams and merges chunks (Chan et al.), so it rounds
/// differently from the two-pass correlation and never holds the values.
#[derive(Clone, Debug, PartialEq)]
pub struct CoMoments<const K: usize> {
    pub n: u64,
    mean: [f64; K],
    c: [[f64; K]; K],
}

impl<const K: usize> Default for CoMoments<K> {
    fn default() -> Self {
        CoMoments {
            n: 0,
            mean: [0.0; K],
            c: [[0.0; K]; K],
        }
    }
}

impl<const K: usize> CoMoments<K> {
    fn push(&mut self, x: [f64; K]) {
        self.n += 1;
        let n = self.n as f64;
        let mut d = [0.0; K];
        for i in 0..K {
            d[i] = x[i] - self.mean[i];
            self.mean[i] += d[i] / n;
        }
        for (i, row) in self.c.iter_mut().enumerate() {
            for (j, c) in row.iter_mut().enumerate() {
                *c += d[i] * (x[j] - self.mean[j]);
            }
        }
    }
    /// Pearson correlation of variables i and j.
    fn r(&self, i: usize, j: usize) -> f64 {
        if self.n < 3 {
            return f64::NAN;
        }
        self.c[i][j] / (self.c[i][i] * self.c[j][j]).sqrt()
    }
    /// Correlation of variable `a` with the residual of `y` regressed on `x` (semi-partial).
    fn semipartial(&self, a: usize, y: usize, x: usize) -> f64 {
        let (ray, rax, rxy) = (self.r(a, y), self.r(a, x), self.r(x, y));
        (ray - rax * rxy) / (1.0 - rxy * rxy).sqrt()
    }
    /// Coefficient of `x` in the least-squares regression of `y` on `x` and `z`.
    fn partial_slope(&self, y: usize, x: usize, z: usize) -> f64 {
        let c = &self.c;
        (c[x][y] * c[z][z] - c[x][z] * c[z][y]) / (c[x][x] * c[z][z] - c[x][z] * c[x][z])
    }
    /// Merges another accumulator (Chan et al.'s parallel formula).
    fn merge(&mut self, o: &Self) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = o.clone();
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let mut delta = [0.0; K];
        for (i, d) in delta.iter_mut().enumerate() {
            *d = o.mean[i] - self.mean[i];
        }
        for i in 0..K {
            for j in 0..K {
                self.c[i][j] += o.c[i][j] + delta[i] * delta[j] * na * nb / n;
            }
        }
        for (i, d) in delta.iter().enumerate() {
            self.mean[i] += d * nb / n;
        }
        self.n += o.n;
    }
}

/// Outcome summary of one arm (of a replicate, or pooled over replicates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArmSummary {
    pub n: u64,
    /// intake, final (all patients).
    pub scores: CoMoments<2>,
    /// wai_s3, final, intake (patients who attended session 3).
    pub alliance: CoMoments<3>,
    pub cases_at_intake: u64,
    pub recovered: u64,
    pub improved: u64,
    pub deteriorated: u64,
    pub dropped_out: u64,
    pub sessions: u64,
    pub ruptures: u64,
    pub repairs: u64,
    pub reported_patient: u64,
    pub reported_therapist: u64,
    pub reported_observer: u64,
}

impl ArmSummary {
    pub fn push(&mut self, inst: &Instrument, o: &PatientOutcome) {
        let c = &o.course;
        self.n += 1;
        self.scores.push([c.intake_score, c.final_score]);
        if let Some(w) = c.wai_patient_s3 {
            self.alliance
                .push([f64::from(w), c.final_score, c.intake_score]);
        }
        self.cases_at_intake += u64::from(inst.is_case(c.intake_score));
        match inst.classify(c.intake_score, c.final_score) {
            ChangeClass::Recovered => self.recovered += 1,
            ChangeClass::Improved => self.improved += 1,
            ChangeClass::Deteriorated => self.deteriorated += 1,
            ChangeClass::Unchanged => {}
        }
        self.dropped_out += u64::from(c.ending == Ending::DroppedOut);
        self.sessions += u64::from(c.sessions_attended);
        self.ruptures += u64::from(c.ruptures);
        self.repairs += u64::from(c.repairs);
        self.reported_patient += u64::from(c.ruptures_reported_by_patient);
        self.reported_therapist += u64::from(c.ruptures_reported_by_therapist);
        self.reported_observer += u64::from(c.ruptures_reported_by_observer);
    }

    /// Adds another summary (pooling replicates).
    pub fn merge(&mut self, o: &ArmSummary) {
        self.n += o.n;
        self.scores.merge(&o.scores);
        self.alliance.merge(&o.alliance);
        self.cases_at_intake += o.cases_at_intake;
        self.recovered += o.recovered;
        self.improved += o.improved;
        self.deteriorated += o.deteriorated;
        self.dropped_out += o.dropped_out;
        self.sessions += o.sessions;
        self.ruptures += o.ruptures;
        self.repairs += o.repairs;
        self.reported_patient += o.reported_patient;
        self.reported_therapist += o.reported_therapist;
        self.reported_observer += o.reported_observer;
    }

    /// The derived statistics.
    pub fn row(&self) -> SummaryStats {
        let n = self.n as f64;
        let share = |k: u64, of: f64| if of > 0.0 { k as f64 / of } else { f64::NAN };
        let sd_intake = (self.scores.c[0][0] / (n - 1.0)).sqrt();
        let mean_change = self.scores.mean[1] - self.scores.mean[0];
        let var_change =
            (self.scores.c[0][0] + self.scores.c[1][1] - 2.0 * self.scores.c[0][1]) / (n - 1.0);
        let sessions = self.sessions as f64;
        // An arm that received no patients has no means (empty cells, not zeros).
        let mean = |m: f64| if self.n > 0 { m } else { f64::NAN };
        SummaryStats {
            n: self.n,
            mean_intake: mean(self.scores.mean[0]),
            mean_final: mean(self.scores.mean[1]),
            mean_change: mean(mean_change),
            sd_change: mean(var_change.sqrt()),
            pre_post_d: -mean_change / sd_intake,
            reliable_improvement: share(self.recovered + self.improved, n),
            recovery: share(self.recovered, self.cases_at_intake as f64),
            deterioration: share(self.deteriorated, n),
            dropout: share(self.dropped_out, n),
            mean_sessions: sessions / n,
            alliance_outcome_r: -self.alliance.semipartial(0, 1, 2),
            alliance_outcome_n: self.alliance.n,
            rupture_rate: share(self.ruptures, sessions),
            rupture_rate_patient: share(self.reported_patient, sessions),
            rupture_rate_therapist: share(self.reported_therapist, sessions),
            rupture_rate_observer: share(self.reported_observer, sessions),
            repair_rate: share(self.repairs, self.ruptures as f64),
        }
    }
}

/// Derived statistics of an arm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryStats {
    pub n: u64,
    pub mean_intake: f64,
    pub mean_final: f64,
    pub mean_change: f64,
    pub sd_change: f64,
    pub pre_post_d: f64,
    pub reliable_improvement: f64,
    pub recovery: f64,
    pub deterioration: f64,
    pub dropout: f64,
    pub mean_sessions: f64,
    pub alliance_outcome_r: f64,
    pub alliance_outcome_n: u64,
    pub rupture_rate: f64,
    pub rupture_rate_patient: f64,
    pub rupture_rate_therapist: f64,
    pub rupture_rate_observer: f64,
    pub repair_rate: f64,
}

impl SummaryStats {
    /// The statistics' names, in the order of [`SummaryStats::values`] (and of `summary.csv`'s
    /// columns after `replicate` and `arm`).
    pub const NAMES: [&'static str; 18] = [
        "n",
        "mean_intake",
        "mean_final",
        "mean_change",
        "sd_change",
        "pre_post_d",
        "reliable_improvement",
        "recovery",
        "deterioration",
        "dropout",
        "mean_sessions",
        "alliance_outcome_r",
        "alliance_outcome_n",
        "rupture_rate",
        "rupture_rate_patient",
        "rupture_rate_therapist",
        "rupture_rate_observer",
        "repair_rate",
    ];

    /// Whether statistic `i` of [`SummaryStats::NAMES`] is a count (a whole number).
    pub fn is_count(i: usize) -> bool {
        matches!(Self::NAMES[i], "n" | "alliance_outcome_n")
    }

    /// The statistics in the order of [`SummaryStats::NAMES`] (counts as floats).
    pub fn values(&self) -> [f64; 18] {
        [
            self.n as f64,
            self.mean_intake,
            self.mean_final,
            self.mean_change,
            self.sd_change,
            self.pre_post_d,
            self.reliable_improvement,
            self.recovery,
            self.deterioration,
            self.dropout,
            self.mean_sessions,
            self.alliance_outcome_r,
            self.alliance_outcome_n as f64,
            self.rupture_rate,
            self.rupture_rate_patient,
            self.rupture_rate_therapist,
            self.rupture_rate_observer,
            self.repair_rate,
        ]
    }
}

/// Summaries per arm of a set of outcomes (in the order given).
pub fn summarize(
    scenario: &crate::scenario::Scenario,
    outcomes: &[PatientOutcome],
) -> Vec<SummaryStats> {
    let mut acc = vec![ArmSummary::default(); scenario.arms.len()];
    for o in outcomes {
        acc[o.arm].push(&scenario.instrument, o);
    }
    acc.iter().map(ArmSummary::row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comoments_match_direct_formulas_and_merge() {
        let xs: Vec<[f64; 2]> = (0..50)
            .map(|i| {
                let x = i as f64;
                [x, 0.5 * x + ((i * 37) % 11) as f64]
            })
            .collect();
        let mut all = CoMoments::<2>::default();
        xs.iter().for_each(|x| all.push(*x));
        let mut a = CoMoments::<2>::default();
        let mut b = CoMoments::<2>::default();
        xs[..20].iter().for_each(|x| a.push(*x));
        xs[20..].iter().for_each(|x| b.push(*x));
        a.merge(&b);
        assert!((a.r(0, 1) - all.r(0, 1)).abs() < 1e-12);
        // Direct Pearson r.
        let n = xs.len() as f64;
        let (mx, my) = (
            xs.iter().map(|p| p[0]).sum::<f64>() / n,
            xs.iter().map(|p| p[1]).sum::<f64>() / n,
        );
        let sxy: f64 = xs.iter().map(|p| (p[0] - mx) * (p[1] - my)).sum();
        let sxx: f64 = xs.iter().map(|p| (p[0] - mx).powi(2)).sum();
        let syy: f64 = xs.iter().map(|p| (p[1] - my).powi(2)).sum();
        assert!((all.r(0, 1) - sxy / (sxx * syy).sqrt()).abs() < 1e-12);
    }
}
