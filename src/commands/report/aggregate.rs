//! Aggregates of a run directory: the per-arm table pooled over replicates (`summary.csv`) and
//! what the charts need (`patients.csv` and `sessions.csv`, streamed in lockstep, so memory does
//! not grow with the run).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::read::{Csv, PatientRow, Patients, Result, Sessions, arm_index, malformed};
use super::{SCATTER_POINTS_PER_ARM, TRAJECTORIES_PER_ARM};
use crate::analysis::Moments;
use crate::model::instrument::ChangeClass;
use crate::scenario::Scenario;

/// One arm's row of the table, pooled over replicates.
#[derive(Clone, Debug, Default)]
pub(super) struct PooledRow {
    pub replicates: u64,
    pub n: u64,
    pub dropout: f64,
    pub mean_sessions: f64,
    pub mean_change: f64,
    pub pre_post_d: f64,
    pub reliable_improvement: f64,
    pub recovery: f64,
    pub deterioration: f64,
    pub alliance_outcome_r: f64,
    pub rupture_rate: f64,
    pub repair_rate: f64,
}

/// A weighted mean that skips empty (NaN) values and zero weights.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct WMean {
    sum: f64,
    w: f64,
}

impl WMean {
    pub(super) fn push(&mut self, x: f64, w: f64) {
        if x.is_finite() && w > 0.0 {
            self.sum += x * w;
            self.w += w;
        }
    }

    pub(super) fn get(&self) -> f64 {
        if self.w > 0.0 {
            self.sum / self.w
        } else {
            f64::NAN
        }
    }
}

/// The columns of `summary.csv` that are pooled, besides `arm` and `n`.
const SUMMARY_COLUMNS: [&str; 11] = [
    "dropout",
    "mean_sessions",
    "mean_change",
    "pre_post_d",
    "reliable_improvement",
    "recovery",
    "deterioration",
    "alliance_outcome_r",
    "alliance_outcome_n",
    "rupture_rate",
    "repair_rate",
];

/// Pools `summary.csv` per arm: means over replicates weighted by patients (rates per session
/// by sessions, the repair rate by ruptures, r by the patients it uses).
///
/// # Errors
/// A missing or malformed file.
pub(super) fn pooled_summary(dir: &Path, sc: &Scenario) -> Result<Vec<PooledRow>> {
    let arms = arm_index(sc);
    let mut csv = Csv::open(&dir.join("summary.csv"))?;
    let (arm_c, n_c) = (csv.col("arm")?, csv.col("n")?);
    let mut cols = [0; SUMMARY_COLUMNS.len()];
    for (c, name) in cols.iter_mut().zip(SUMMARY_COLUMNS) {
        *c = csv.col(name)?;
    }
    let mut acc = vec![(0u64, 0u64, [WMean::default(); 10]); sc.arms.len()];
    while csv.read_record()? {
        let a = csv.arm(arm_c, &arms)?;
        let n = csv.u64(n_c)?;
        let mut v = [0.0; SUMMARY_COLUMNS.len()];
        for (x, &i) in v.iter_mut().zip(&cols) {
            *x = csv.f64(i)?;
        }
        let [
            dropout,
            sessions,
            change,
            d,
            ri,
            rec,
            det,
            r,
            r_n,
            rupt,
            rep,
        ] = v;
        let w = n as f64;
        let (reps, total, m) = &mut acc[a];
        *reps += 1;
        *total += n;
        for (k, x) in [dropout, sessions, change, d, ri, rec, det]
            .into_iter()
            .enumerate()
        {
            m[k].push(x, w);
        }
        m[7].push(r, if r_n.is_finite() { r_n } else { 0.0 });
        m[8].push(rupt, w * sessions);
        m[9].push(rep, w * sessions * rupt);
    }
    Ok(acc
        .iter()
        .map(|(reps, n, m)| PooledRow {
            replicates: *reps,
            n: *n,
            dropout: m[0].get(),
            mean_sessions: m[1].get(),
            mean_change: m[2].get(),
            pre_post_d: m[3].get(),
            reliable_improvement: m[4].get(),
            recovery: m[5].get(),
            deterioration: m[6].get(),
            alliance_outcome_r: m[7].get(),
            rupture_rate: m[8].get(),
            repair_rate: m[9].get(),
        })
        .collect())
}

/// Running means and co-moments of (WAI-SR, final, intake).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Co3 {
    pub(super) n: u64,
    mean: [f64; 3],
    c: [[f64; 3]; 3],
}

impl Co3 {
    fn push(&mut self, x: [f64; 3]) {
        self.n += 1;
        let n = self.n as f64;
        let mut d = [0.0; 3];
        for i in 0..3 {
            d[i] = x[i] - self.mean[i];
            self.mean[i] += d[i] / n;
        }
        for (row, di) in self.c.iter_mut().zip(d) {
            for ((c, xj), mj) in row.iter_mut().zip(x).zip(self.mean) {
                *c += di * (xj - mj);
            }
        }
    }

    /// Final regressed on intake: `(intercept, slope)`.
    pub(super) fn baseline(&self) -> Option<(f64, f64)> {
        if self.n < 3 || self.c[2][2] <= 0.0 {
            return None;
        }
        let b = self.c[1][2] / self.c[2][2];
        Some((self.mean[1] - b * self.mean[2], b))
    }

    /// Residual gain (predicted - observed final: positive = better than predicted from
    /// intake) regressed on WAI-SR: `(intercept, slope, r)`.
    pub(super) fn alliance_fit(&self) -> Option<(f64, f64, f64)> {
        let (_, b) = self.baseline()?;
        let c = &self.c;
        if c[0][0] <= 0.0 {
            return None;
        }
        let cov = b * c[0][2] - c[0][1];
        let var_rg = b * b * c[2][2] + c[1][1] - 2.0 * b * c[1][2];
        let slope = cov / c[0][0];
        // Residuals have mean zero, so the line passes through (mean WAI, 0).
        let intercept = -slope * self.mean[0];
        let r = if var_rg > 0.0 {
            cov / (c[0][0] * var_rg).sqrt()
        } else {
            f64::NAN
        };
        Some((intercept, slope, r))
    }
}

/// Per-arm aggregates of `patients.csv` and `sessions.csv`.
#[derive(Clone, Debug, Default)]
pub(super) struct ArmAgg {
    pub(super) n: u64,
    pub(super) change: Moments,
    /// Change bin index -> patients.
    pub(super) bins: BTreeMap<i64, u64>,
    /// recovered, improved, unchanged, deteriorated, dropped out.
    pub(super) classes: [u64; 5],
    pub(super) alliance: Co3,
    /// (WAI-SR, final, intake) of the first patients with a WAI-SR.
    pub(super) scatter: Vec<[f64; 3]>,
    /// Per session: patients first reliably improved before it.
    pub(super) first_improved: BTreeMap<u32, u64>,
    /// Per session: attended, ruptures, repaired.
    pub(super) by_session: BTreeMap<u32, [u64; 3]>,
    pub(super) max_session: u32,
    pub(super) trajectories: Vec<Vec<(f64, f64)>>,
}

/// One therapist of the first replicate.
#[derive(Clone, Debug)]
pub(super) struct TherapistAgg {
    pub(super) id: String,
    pub(super) change: Moments,
}

/// Everything the charts need.
#[derive(Debug, Default)]
pub(super) struct Aggregates {
    pub(super) arms: Vec<ArmAgg>,
    pub(super) first_replicate: Option<u64>,
    pub(super) therapists: Vec<TherapistAgg>,
    /// Final scores in `patients.csv` of chosen patients of replicate 0: id -> final.
    pub(super) finals: HashMap<u64, f64>,
}

/// Bin width of the change histogram: about 30 bins over the instrument's range, at least one
/// point (whole points for PHQ-9, GAD-7 and CORE-OM).
pub(super) fn bin_width(sc: &Scenario) -> f64 {
    ((sc.instrument.max - sc.instrument.min) / 30.0)
        .round()
        .max(1.0)
}

/// Reads `patients.csv` (and `sessions.csv` in lockstep, when `sessions`) into the aggregates;
/// `bin` is the histogram's bin width, `watch` the patients of replicate 0 whose final scores
/// are kept.
pub(super) fn aggregate(
    dir: &Path,
    sc: &Scenario,
    sessions: bool,
    bin: f64,
    watch: &[u64],
) -> Result<Aggregates> {
    let mut patients = Patients::open(dir, sc)?;
    let mut s = if sessions {
        Some(Sessions::open(dir)?)
    } else {
        None
    };
    let mut agg = Aggregates {
        arms: vec![ArmAgg::default(); sc.arms.len()],
        ..Aggregates::default()
    };
    let mut therapist_index: HashMap<String, usize> = HashMap::new();
    while let Some(p) = patients.next_row()? {
        let first = *agg.first_replicate.get_or_insert(p.replicate);
        if p.replicate == 0 && watch.contains(&p.patient) {
            agg.finals.insert(p.patient, p.final_score);
        }
        agg.arms[p.arm].add_patient(&p, bin);
        if p.replicate == first && !p.therapist.is_empty() && p.change.is_finite() {
            let i = *therapist_index
                .entry(p.therapist.clone())
                .or_insert_with(|| {
                    agg.therapists.push(TherapistAgg {
                        id: p.therapist.clone(),
                        change: Moments::default(),
                    });
                    agg.therapists.len() - 1
                });
            agg.therapists[i].change.push(p.change);
        }
        if let Some(s) = s.as_mut() {
            let sample = p.replicate == first;
            agg.arms[p.arm].add_sessions(s, &p, sc.instrument.rc_threshold, sample)?;
        }
    }
    if let Some(s) = &s {
        s.finish()?;
    }
    if agg.first_replicate.is_none() {
        return Err(malformed(
            patients.path(),
            "no patients (only a header row)",
        ));
    }
    Ok(agg)
}

impl ArmAgg {
    /// A patient's change, outcome class and alliance.
    fn add_patient(&mut self, p: &PatientRow, bin: f64) {
        self.n += 1;
        if p.change.is_finite() {
            self.change.push(p.change);
            *self
                .bins
                .entry((p.change / bin).round() as i64)
                .or_default() += 1;
        }
        let k = if p.dropped_out {
            4
        } else {
            match p.class {
                ChangeClass::Recovered => 0,
                ChangeClass::Improved => 1,
                ChangeClass::Unchanged => 2,
                ChangeClass::Deteriorated => 3,
            }
        };
        self.classes[k] += 1;
        let (wai, fin, intake) = (p.wai, p.final_score, p.intake);
        if wai.is_finite() && intake.is_finite() && fin.is_finite() {
            self.alliance.push([wai, fin, intake]);
            if self.scatter.len() < SCATTER_POINTS_PER_ARM {
                self.scatter.push([wai, fin, intake]);
            }
        }
    }

    /// A patient's session rows: first reliable improvement (by `rc_threshold` points),
    /// attendance, ruptures and repairs by session, and the trajectory when the patient is of
    /// the sampled replicate (`sample`) and the arm has fewer than [`TRAJECTORIES_PER_ARM`].
    fn add_sessions(
        &mut self,
        s: &mut Sessions,
        p: &PatientRow,
        rc_threshold: f64,
        sample: bool,
    ) -> Result<()> {
        let sample = sample && self.trajectories.len() < TRAJECTORIES_PER_ARM;
        let mut traj = vec![(0.0, p.intake)];
        let mut improved = false;
        let mut last = 0;
        while let Some(r) = s.next_of(p.replicate, p.patient)? {
            last = last.max(r.session);
            self.max_session = self.max_session.max(r.session);
            if !improved && r.score.is_finite() && p.intake - r.score >= rc_threshold {
                improved = true;
                *self.first_improved.entry(r.session).or_default() += 1;
            }
            if r.attended {
                let e = self.by_session.entry(r.session).or_default();
                e[0] += 1;
                e[1] += u64::from(r.rupture);
                e[2] += u64::from(r.rupture && r.repaired);
            }
            if sample && r.score.is_finite() {
                traj.push((f64::from(r.session), r.score));
            }
        }
        if sample {
            if !p.dropped_out && p.final_score.is_finite() {
                traj.push((f64::from(last + 1), p.final_score));
            }
            self.max_session = self.max_session.max(last + 1);
            self.trajectories.push(traj);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co3_alliance_fit_matches_direct_least_squares() {
        let rows = [
            [40.0, 10.0, 18.0],
            [50.0, 6.0, 15.0],
            [30.0, 15.0, 17.0],
            [55.0, 4.0, 20.0],
            [45.0, 9.0, 14.0],
            [35.0, 12.0, 16.0],
        ];
        let mut c = Co3::default();
        for r in rows {
            c.push(r);
        }
        let (b0, b1) = c.baseline().unwrap();
        let rg: Vec<f64> = rows.iter().map(|[_, f, i]| b0 + b1 * i - f).collect();
        let w: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let n = rows.len() as f64;
        let (mw, mr) = (w.iter().sum::<f64>() / n, rg.iter().sum::<f64>() / n);
        let sxy: f64 = w.iter().zip(&rg).map(|(a, b)| (a - mw) * (b - mr)).sum();
        let sxx: f64 = w.iter().map(|a| (a - mw).powi(2)).sum();
        let syy: f64 = rg.iter().map(|b| (b - mr).powi(2)).sum();
        let (i0, s0, r0) = c.alliance_fit().unwrap();
        assert!((s0 - sxy / sxx).abs() < 1e-9);
        assert!((i0 - (mr - sxy / sxx * mw)).abs() < 1e-9);
        assert!((r0 - sxy / (sxx * syy).sqrt()).abs() < 1e-9);
    }
}
