//! The analyses of a simulated trial: ANCOVA (HC3), the endpoint mixed model (therapist random
//! intercept) and the three-level growth model, each a t test of the arm contrast with its
//! 1 - alpha interval.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::stats::lmm::{Lmm, LmmOptions, RandomTerm};
use crate::stats::longitudinal::{growth_design, three_level_with};
use crate::stats::ols::{HcType, ols};
use crate::stats::{Design, cohens_d, dist};

use super::design::Plan;
use super::settings::{Analysis, Missing, Test};
use super::simulate::TrialData;

/// One analysis of one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub analysis: Analysis,
    /// Treatment minus control at the end (NaN when the fit failed).
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
    pub p: f64,
    /// Interval at level 1 - alpha.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Patients in the analysis.
    pub n_analysed: usize,
    /// A mixed model's fit with a variance at zero or a correlation at ±1 (lme4's
    /// `isSingular`); always false for ANCOVA.
    pub singular: bool,
    /// Why the fit failed.
    pub error: Option<String>,
}

impl Estimate {
    fn failed(analysis: Analysis, n_analysed: usize, error: String) -> Estimate {
        Estimate {
            analysis,
            estimate: f64::NAN,
            se: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            n_analysed,
            singular: false,
            error: Some(error),
        }
    }

    /// The estimate, flagged singular when `singular` (and it did not fail).
    fn singular_if(mut self, singular: bool) -> Estimate {
        self.singular = singular && self.error.is_none();
        self
    }

    /// Significant at `alpha` in a two-sided test (a failed fit never is).
    pub fn rejects(&self, alpha: f64) -> bool {
        self.error.is_none() && self.p < alpha
    }

    /// Whether `test` rejects its H0 at `alpha` when the estimate is moved by `shift` (the
    /// null design moved to the boundary of H0: shifting the treatment arm's scores by
    /// `shift` (by `shift · t / T` at week t for the growth model) moves each analysis's
    /// estimate by exactly `shift` and leaves its SE and df as they are; tested). A failed fit
    /// never rejects.
    pub fn rejects_under(&self, test: Test, alpha: f64, shift: f64) -> bool {
        if self.error.is_some() || self.se.is_nan() || self.se <= 0.0 {
            return false;
        }
        let est = self.estimate + shift;
        let q = dist::t_quantile(1.0 - alpha, self.df);
        match test {
            Test::TwoSided => dist::t_two_sided_p(est / self.se, self.df) < alpha,
            Test::OneSided => est / self.se < -q,
            Test::NonInferiority { margin } => (est - margin) / self.se < -q,
            Test::Equivalence { margin } => {
                (est - margin) / self.se < -q && (est + margin) / self.se > q
            }
        }
    }
}

/// Everything kept of one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicateResult {
    pub replicate: u64,
    pub true_effect: f64,
    /// Share of randomised patients who dropped out.
    pub dropout: f64,
    /// ICC of the endpoint mixed model (NaN when not fitted or failed).
    pub icc: f64,
    /// Cohen's d of the endpoint scores analysed, treatment minus control.
    pub d: f64,
    /// One per analysis, in the order of the settings.
    pub estimates: Vec<Estimate>,
    /// The values drawn for the `--assume` keys, in their order (empty without).
    pub assumed: Vec<f64>,
}

/// Where the mixed models' optimiser starts (θ of a pilot fit; `None`: lme4's start).
///
/// Each design point's replicates start from the fits of its replicate 0 (the pilot, fitted
/// from lme4's start first): a deterministic warm start, whatever the threads, that saves
/// about a quarter of the growth model's criterion evaluations. The optimum does not depend
/// on the start beyond the optimiser's tolerance (`tests/stats_lmm.rs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Starts {
    pub endpoint: Option<Vec<f64>>,
    pub growth: Option<Vec<f64>>,
}

impl Plan {
    /// Fits every analysis of the settings to one simulated trial from lme4's start.
    pub fn analyse(&self, data: &TrialData) -> ReplicateResult {
        self.analyse_from(data, &Starts::default()).0
    }

    /// Fits every analysis of the settings to one simulated trial, the mixed models from
    /// `starts`; also returns the θ of the mixed models' fits (the starts for others).
    pub fn analyse_from(&self, data: &TrialData, starts: &Starts) -> (ReplicateResult, Starts) {
        let alpha = self.settings.alpha;
        let endpoint = EndpointData::new(data, self.settings.missing);
        let mut icc = f64::NAN;
        let mut fitted = Starts::default();
        let estimates = self
            .settings
            .analyses
            .iter()
            .map(|&a| match a {
                Analysis::Ancova => endpoint.ancova(alpha),
                Analysis::LmmEndpoint => {
                    let (e, i, theta) = endpoint.lmm(alpha, starts.endpoint.clone());
                    icc = i;
                    fitted.endpoint = theta;
                    e
                }
                Analysis::LmmLongitudinal => {
                    let (e, theta) =
                        growth(data, self.settings.missing, alpha, starts.growth.clone());
                    fitted.growth = theta;
                    e
                }
            })
            .collect();
        let arm = |treated: bool| -> Vec<f64> {
            endpoint
                .end
                .iter()
                .zip(&endpoint.treat)
                .filter(|&(_, &tr)| (tr == 1.0) == treated)
                .map(|(&y, _)| y)
                .collect()
        };
        let (t, c) = (arm(true), arm(false));
        let result = ReplicateResult {
            replicate: data.replicate,
            true_effect: data.true_effect,
            dropout: data.patients.iter().filter(|p| p.dropped_out()).count() as f64
                / data.patients.len().max(1) as f64,
            icc,
            d: cohens_d(&t, &c).map_or(f64::NAN, |e| e.cohens_d),
            estimates,
            assumed: data.assumed.clone(),
        };
        (result, fitted)
    }
}

/// The endpoint data set of a trial under a missing-data rule.
struct EndpointData {
    end: Vec<f64>,
    intake: Vec<f64>,
    treat: Vec<f64>,
    therapist: Vec<Option<usize>>,
}

impl EndpointData {
    fn new(data: &TrialData, missing: Missing) -> EndpointData {
        let mut d = EndpointData {
            end: Vec::new(),
            intake: Vec::new(),
            treat: Vec::new(),
            therapist: Vec::new(),
        };
        for p in &data.patients {
            let end = match (p.end(), missing) {
                (Some(y), _) => y,
                (None, Missing::Locf) => p.last_observed(),
                (None, _) => continue,
            };
            d.end.push(end);
            d.intake.push(p.intake);
            d.treat.push(if p.treat { 1.0 } else { 0.0 });
            d.therapist.push(p.therapist);
        }
        d
    }

    fn design(&self) -> Design {
        Design::intercept(self.end.len())
            .with("intake", self.intake.clone())
            .with("treat", self.treat.clone())
    }

    fn ancova(&self, alpha: f64) -> Estimate {
        let n = self.end.len();
        match ols(&self.end, &self.design()) {
            Ok(fit) => {
                let c = &fit.robust(HcType::HC3)[2];
                estimate(Analysis::Ancova, c.estimate, c.se, c.df, n, alpha)
            }
            Err(e) => Estimate::failed(Analysis::Ancova, n, e.to_string()),
        }
    }

    /// The endpoint mixed model, its ICC and θ.
    fn lmm(&self, alpha: f64, start: Option<Vec<f64>>) -> (Estimate, f64, Option<Vec<f64>>) {
        let n = self.end.len();
        // Therapists, then a singleton group for each patient without one (waitlist).
        let mut codes: BTreeMap<usize, usize> = BTreeMap::new();
        for t in self.therapist.iter().flatten() {
            let next = codes.len();
            codes.entry(*t).or_insert(next);
        }
        let mut next = codes.len();
        let groups: Vec<usize> = self
            .therapist
            .iter()
            .map(|t| match t {
                Some(t) => codes[t],
                None => {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        let opts = LmmOptions {
            start,
            ..LmmOptions::default()
        };
        let fit = Lmm::new(
            &self.end,
            &self.design(),
            &[RandomTerm::intercept("therapist", &groups)],
        )
        .and_then(|m| m.fit(&opts));
        match fit {
            Ok(fit) => {
                let c = &fit.coefs[2];
                (
                    estimate(Analysis::LmmEndpoint, c.estimate, c.se, c.df, n, alpha)
                        .singular_if(fit.singular),
                    fit.icc().unwrap_or(f64::NAN),
                    Some(fit.theta.clone()),
                )
            }
            Err(e) => (
                Estimate::failed(Analysis::LmmEndpoint, n, e.to_string()),
                f64::NAN,
                None,
            ),
        }
    }
}

/// The three-level growth model, and its θ; the effect is T x (time:treat), T the end week.
fn growth(
    data: &TrialData,
    missing: Missing,
    alpha: f64,
    start: Option<Vec<f64>>,
) -> (Estimate, Option<Vec<f64>>) {
    let (mut score, mut time, mut treat, mut patient, mut therapist) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut codes: BTreeMap<usize, usize> = BTreeMap::new();
    let mut n_patients = 0;
    for p in &data.patients {
        if missing == Missing::Completers && p.end().is_none() {
            continue;
        }
        let th = p.therapist.map(|t| {
            let next = codes.len();
            *codes.entry(t).or_insert(next)
        });
        let mut last = p.intake;
        for o in &p.occasions {
            let y = match (o.score, missing) {
                (Some(y), _) => y,
                (None, Missing::Locf) => last,
                (None, _) => continue,
            };
            last = y;
            score.push(y);
            time.push(f64::from(o.week));
            treat.push(if p.treat { 1.0 } else { 0.0 });
            patient.push(Some(n_patients));
            therapist.push(th);
        }
        n_patients += 1;
    }
    let x = growth_design(&time, &treat, "treat");
    let patient_codes: Vec<usize> = patient.iter().flatten().copied().collect();
    let opts = LmmOptions {
        start,
        ..LmmOptions::default()
    };
    match three_level_with(&score, &time, &x, &patient_codes, &therapist, &opts) {
        Ok(fit) => {
            let t_end = f64::from(data.end_week);
            let theta = Some(fit.theta.clone());
            let e = match fit.contrast("treat_at_end", &[0.0, 0.0, 0.0, t_end]) {
                Ok(c) => estimate(
                    Analysis::LmmLongitudinal,
                    c.estimate,
                    c.se,
                    c.df,
                    n_patients,
                    alpha,
                )
                .singular_if(fit.singular),
                Err(e) => Estimate::failed(Analysis::LmmLongitudinal, n_patients, e.to_string()),
            };
            (e, theta)
        }
        Err(e) => (
            Estimate::failed(Analysis::LmmLongitudinal, n_patients, e.to_string()),
            None,
        ),
    }
}

/// An estimate with its t test and 1 - alpha interval.
fn estimate(analysis: Analysis, est: f64, se: f64, df: f64, n: usize, alpha: f64) -> Estimate {
    if !(est.is_finite() && se.is_finite() && se > 0.0 && df > 0.0) {
        return Estimate::failed(
            analysis,
            n,
            format!("non-finite estimate, standard error or df ({est}, {se}, {df})"),
        );
    }
    let q = dist::t_quantile(1.0 - alpha / 2.0, df);
    Estimate {
        analysis,
        estimate: est,
        se,
        df,
        p: dist::t_two_sided_p(est / se, df),
        ci_low: est - q * se,
        ci_high: est + q * se,
        n_analysed: n,
        singular: false,
        error: None,
    }
}
