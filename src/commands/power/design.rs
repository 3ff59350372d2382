//! The plan of a power analysis: the scenario fitted to a two-arm trial, its design points
//! (n per arm under either hypothesis), the replicates of a point run in parallel, and the
//! search for the smallest n per arm reaching a target power.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{PowerError, Result};
use crate::model::therapist::TherapistPool;
use crate::model::treatment::ArmKind;
use crate::scenario::Scenario;
use crate::scenario::posterior::PosteriorDraws;

use super::MIN_N_PER_ARM;
use super::analyses::{ReplicateResult, Starts};
use super::assume::Prior;
use super::settings::{Analysis, PowerSettings};
use super::simulate::{Hypothesis, TrialData, simulate_trial};
use super::summary::{PowerRow, summarise};

/// A validated power analysis: the scenario, its two arms, and the settings.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    pub settings: PowerSettings,
    /// With `--assume`: the scenario that takes each replicate's draws.
    prior: Option<Prior>,
    /// With `--posterior`: each replicate's mechanism constants.
    pub posterior: Option<PosteriorDraws>,
}

/// The scenario checked and fitted to a power analysis: exactly two arms (control first,
/// treatment second), `--therapists-per-arm` applied, allocation 1:1, one engine replicate.
pub(super) fn adapt(scenario: &Scenario, settings: &PowerSettings) -> Result<Scenario, PowerError> {
    let sc = scenario;
    if sc.arms.len() != 2 {
        return Err(PowerError::NotTwoArms {
            scenario: sc.name.clone(),
            arms: sc.arms.iter().map(|a| a.name.clone()).collect(),
        });
    }
    let mut sc = sc.clone();
    if sc.arms[1].kind == ArmKind::Waitlist && sc.arms[0].kind == ArmKind::Therapy {
        return Err(PowerError::WaitlistTreatment {
            treatment: sc.arms[1].name.clone(),
            control: sc.arms[0].name.clone(),
        });
    }
    if let Some(k) = settings.therapists_per_arm {
        match (sc.arms[0].pool, sc.arms[1].pool) {
            (Some(a), Some(b)) if a == b => {
                return Err(PowerError::CrossedPool {
                    pool: sc.therapist_pools[a].name.clone(),
                });
            }
            _ => {}
        }
        for arm in &sc.arms {
            if let Some(p) = arm.pool {
                sc.therapist_pools[p].therapists = k;
            }
        }
    }
    for arm in &mut sc.arms {
        arm.allocation = 1.0;
    }
    sc.run.replicates = 1;
    Ok(sc)
}

/// The scenario of a design point: `n` patients per arm, under a hypothesis.
fn design_scenario(sc: &Scenario, n: u64, hypothesis: Hypothesis) -> Scenario {
    let mut sc = match hypothesis {
        Hypothesis::Effect => sc.clone(),
        Hypothesis::Null => null_scenario(sc),
    };
    sc.run.patients = 2 * n;
    sc
}

impl Plan {
    /// Checks that the scenario has exactly two arms (control first, treatment second) and that
    /// `--therapists-per-arm` can apply, and fixes the allocation at 1:1 and the pool sizes;
    /// checks the `--assume` keys against the scenario.
    ///
    /// # Errors
    /// [`PowerError`] for a scenario that does not fit, or bad settings (or bad `--assume` keys);
    /// [`crate::Error::Scenario`] if the scenario cannot be read again for the `--assume` keys.
    pub fn new(scenario: &Scenario, settings: &PowerSettings) -> Result<Plan> {
        settings.validate()?;
        let sc = adapt(scenario, settings)?;
        let prior = if settings.assume.is_empty() {
            None
        } else {
            Some(Prior::new(scenario, settings)?)
        };
        Ok(Plan {
            scenario: sc,
            settings: settings.clone(),
            prior,
            posterior: None,
        })
    }

    /// The plan over a posterior (`--posterior`, built for the scenario given to
    /// [`Plan::new`]): each replicate simulates its draw's constants (with the `--assume`
    /// draws set too; a key with an `--assume` prior takes the prior's draws), so power
    /// becomes assurance over the calibrated model.
    pub fn with_posterior(mut self, draws: Option<PosteriorDraws>) -> Plan {
        self.posterior = draws;
        self
    }

    /// The posterior's keys that `--assume` gives a prior (the prior's draws are used).
    pub fn assumed_posterior_keys(&self) -> Vec<&str> {
        self.posterior.as_ref().map_or_else(Vec::new, |d| {
            d.key_paths()
                .filter(|k| self.settings.assume.iter().any(|a| a.path == *k))
                .collect()
        })
    }

    /// Whether the power column is assurance: expected power over `--assume` priors or a
    /// posterior.
    pub fn is_assurance(&self) -> bool {
        !self.settings.assume.is_empty() || self.posterior.is_some()
    }

    /// The scenario simulated for `n` patients per arm under a hypothesis (without the
    /// `--assume` draws, which differ by replicate).
    pub fn scenario_for(&self, n: u64, hypothesis: Hypothesis) -> Scenario {
        design_scenario(&self.scenario, n, hypothesis)
    }

    /// The values replicate `replicate` draws for the `--assume` keys, in their order (integer
    /// keys rounded); empty without `--assume`. The same at every n and for both hypotheses.
    pub fn assumed_values(&self, replicate: u64) -> Vec<f64> {
        self.prior.as_ref().map_or_else(Vec::new, |prior| {
            prior.values(&self.settings.assume, self.scenario.run.seed, replicate)
        })
    }

    /// The scenario replicate `replicate` simulates: `sc` (the design point's) or, with
    /// `--assume`, the scenario with the replicate's draws set.
    fn replicate_scenario<'a>(
        &self,
        sc: &'a Scenario,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<(Cow<'a, Scenario>, Vec<f64>)> {
        let posterior_sets = self.posterior.as_ref().map_or_else(Vec::new, |d| {
            d.sets_except(replicate, &self.assumed_posterior_keys())
        });
        let (drawn, values) = match (&self.prior, &self.posterior) {
            (None, None) => return Ok((Cow::Borrowed(sc), Vec::new())),
            (None, Some(d)) => (adapt(d.scenario(replicate), &self.settings)?, Vec::new()),
            (Some(prior), _) => {
                let values = self.assumed_values(replicate);
                let drawn = prior.scenario_with(&values, &posterior_sets)?;
                (adapt(&drawn, &self.settings)?, values)
            }
        };
        Ok((Cow::Owned(design_scenario(&drawn, n, hypothesis)), values))
    }

    /// Simulates replicate `replicate` of the design point whose scenario is `sc`.
    fn simulate_replicate(
        &self,
        sc: &Scenario,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<TrialData> {
        let (sc, assumed) = self.replicate_scenario(sc, n, hypothesis, replicate)?;
        let mut data = simulate_trial(&sc, &self.settings.schedule, n, hypothesis, replicate)?;
        data.assumed = assumed;
        Ok(data)
    }

    /// Simulates replicate `replicate` of the trial with `n` patients per arm.
    ///
    /// # Errors
    /// As [`crate::sim::engine::run`].
    pub fn simulate(&self, n: u64, hypothesis: Hypothesis, replicate: u64) -> Result<TrialData> {
        let sc = self.scenario_for(n, hypothesis);
        self.simulate_replicate(&sc, n, hypothesis, replicate)
    }

    /// Simulates and analyses one replicate.
    ///
    /// # Errors
    /// As [`Plan::simulate`].
    pub fn replicate(
        &self,
        n: u64,
        hypothesis: Hypothesis,
        replicate: u64,
    ) -> Result<ReplicateResult> {
        let sc = self.scenario_for(n, hypothesis);
        let (pilot, _, starts) = self.pilot(&sc, n, hypothesis)?;
        if replicate == 0 {
            return Ok(pilot);
        }
        let data = self.simulate_replicate(&sc, n, hypothesis, replicate)?;
        Ok(self.analyse_from(&data, &starts).0)
    }

    /// Replicate 0 of a design point, fitted from lme4's start: its result, its data and the
    /// θ of its mixed-model fits, from which the other replicates start ([`Starts`]).
    fn pilot(
        &self,
        sc: &Scenario,
        n: u64,
        hypothesis: Hypothesis,
    ) -> Result<(ReplicateResult, TrialData, Starts)> {
        let data = self.simulate_replicate(sc, n, hypothesis, 0)?;
        let (res, starts) = self.analyse_from(&data, &Starts::default());
        Ok((res, data, starts))
    }

    /// Simulates and analyses replicates `0..reps` of one design point in parallel (rayon),
    /// in replicate order; also returns the datasets of the first `keep` replicates.
    ///
    /// # Errors
    /// As [`Plan::simulate`].
    pub fn design_point(
        &self,
        n: u64,
        hypothesis: Hypothesis,
        keep: u64,
    ) -> Result<(Vec<ReplicateResult>, Vec<TrialData>)> {
        let sc = self.scenario_for(n, hypothesis);
        let (pilot, pilot_data, starts) = self.pilot(&sc, n, hypothesis)?;
        let out: Vec<(ReplicateResult, Option<TrialData>)> = (1..self.settings.reps)
            .into_par_iter()
            .map(|r| {
                let data = self.simulate_replicate(&sc, n, hypothesis, r)?;
                let (res, _) = self.analyse_from(&data, &starts);
                Ok((res, (r < keep).then_some(data)))
            })
            .collect::<Result<_>>()?;
        let mut results = Vec::with_capacity(out.len() + 1);
        let mut datasets = Vec::new();
        results.push(pilot);
        if keep > 0 {
            datasets.push(pilot_data);
        }
        for (r, d) in out {
            results.push(r);
            datasets.extend(d);
        }
        Ok((results, datasets))
    }
}

/// The scenario with the arms made equivalent: the control arm takes every parameter of the
/// treatment arm (keeping its name), and its therapists are drawn from the treatment pool's
/// distributions (the control's own pool keeps its name and size; a waitlist control gets a new
/// pool like the treatment's; a shared pool stays shared).
fn null_scenario(sc: &Scenario) -> Scenario {
    let mut null = sc.clone();
    let mut arm = sc.arms[1].clone();
    arm.name = sc.arms[0].name.clone();
    arm.allocation = sc.arms[0].allocation;
    if let Some(tp) = sc.arms[1].pool {
        match sc.arms[0].pool {
            Some(cp) if cp == tp => {}
            Some(cp) => {
                let own = &sc.therapist_pools[cp];
                null.therapist_pools[cp] = TherapistPool {
                    name: own.name.clone(),
                    therapists: own.therapists,
                    ..sc.therapist_pools[tp].clone()
                };
                arm.pool = Some(cp);
                arm.pool_name = Some(own.name.clone());
            }
            None => {
                let mut name = format!("{}_null", sc.therapist_pools[tp].name);
                while null.therapist_pools.iter().any(|p| p.name == name) {
                    name.push('_');
                }
                null.therapist_pools.push(TherapistPool {
                    name: name.clone(),
                    ..sc.therapist_pools[tp].clone()
                });
                arm.pool = Some(null.therapist_pools.len() - 1);
                arm.pool_name = Some(name);
            }
        }
    }
    null.arms[0] = arm;
    null
}

/// The replicates of one design point.
#[derive(Clone, Debug)]
pub struct DesignPoint {
    pub n_per_arm: u64,
    pub effect: Vec<ReplicateResult>,
    /// `None` for points evaluated only by the target-power search.
    pub null: Option<Vec<ReplicateResult>>,
    /// Files of the datasets written, per hypothesis and replicate.
    pub datasets: BTreeMap<(Hypothesis, u64), String>,
}

/// The outcome of the search for the smallest n per arm reaching the target power.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetResult {
    pub analysis: Analysis,
    pub target_power: f64,
    /// The smallest n per arm found (the largest tried when not reached).
    pub n_per_arm: u64,
    pub power: f64,
    pub power_mc_se: f64,
    pub reached: bool,
}

/// Where the line through (√a, Φ⁻¹(pa)) and (√b, Φ⁻¹(pb)) reaches Φ⁻¹(target), as an n
/// (not rounded); `None` when the two powers do not rise from a to b or either is 0 or 1
/// (no finite probit). Shares are clamped to [1e-4, 1 - 1e-4] first.
fn crossing(a: u64, pa: f64, b: u64, pb: f64, target: f64) -> Option<f64> {
    use crate::stats::dist::norm_quantile;
    let z = |p: f64| norm_quantile(p.clamp(1e-4, 1.0 - 1e-4));
    let (za, zb, zt) = (z(pa), z(pb), z(target));
    let (ra, rb) = ((a as f64).sqrt(), (b as f64).sqrt());
    if zb <= za || rb <= ra {
        return None;
    }
    let r = ra + (zt - za) * (rb - ra) / (zb - za);
    (r > 0.0).then_some(r * r)
}

/// Everything a power analysis produced.
#[derive(Clone, Debug)]
pub struct PowerResults {
    pub points: BTreeMap<u64, DesignPoint>,
    pub rows: Vec<PowerRow>,
    pub targets: Vec<TargetResult>,
}

/// Runs the whole analysis: the design points, then the target-power search. `write_dataset`
/// receives the datasets to emit (and returns their file names).
///
/// # Errors
/// As [`Plan::design_point`] and `write_dataset`.
pub fn compute(
    plan: &Plan,
    write_dataset: impl FnMut(&TrialData) -> Result<String>,
) -> Result<PowerResults> {
    let s = &plan.settings;
    let mut search = Search {
        plan,
        points: BTreeMap::new(),
        write_dataset,
    };
    for &n in &s.n_per_arm {
        search.evaluate(n, true)?;
    }
    let mut targets = Vec::new();
    if let Some(target) = s.target_power {
        for (k, &a) in s.analyses.iter().enumerate() {
            targets.push(search.target(k, a, target)?);
        }
    }
    let mut rows = Vec::new();
    for (&n, pt) in &search.points {
        for k in 0..s.analyses.len() {
            rows.push(summarise(
                n,
                k,
                &pt.effect,
                pt.null.as_deref(),
                s.hypothesis,
                s.alpha,
            ));
        }
    }
    Ok(PowerResults {
        points: search.points,
        rows,
        targets,
    })
}

/// The design points evaluated so far, and where their datasets go.
struct Search<'p, W> {
    plan: &'p Plan,
    points: BTreeMap<u64, DesignPoint>,
    write_dataset: W,
}

impl<W: FnMut(&TrialData) -> Result<String>> Search<'_, W> {
    /// Simulates design point `n` (and its null design when `with_null`) unless done already.
    fn evaluate(&mut self, n: u64, with_null: bool) -> Result<()> {
        if self.points.contains_key(&n) {
            return Ok(());
        }
        let keep = self.plan.settings.emit_datasets;
        let mut datasets = BTreeMap::new();
        let (effect, data) = self.plan.design_point(n, Hypothesis::Effect, keep)?;
        for d in &data {
            datasets.insert((d.hypothesis, d.replicate), (self.write_dataset)(d)?);
        }
        let null = if with_null {
            let (null, data) = self.plan.design_point(n, Hypothesis::Null, keep)?;
            for d in &data {
                datasets.insert((d.hypothesis, d.replicate), (self.write_dataset)(d)?);
            }
            Some(null)
        } else {
            None
        };
        let point = DesignPoint {
            n_per_arm: n,
            effect,
            null,
            datasets,
        };
        self.points.insert(n, point);
        Ok(())
    }

    /// The power of analysis `k` at design point `n` (evaluated).
    fn power_at(&self, k: usize, n: u64) -> f64 {
        let (test, alpha) = (self.plan.settings.hypothesis, self.plan.settings.alpha);
        let e = &self.points[&n].effect;
        e.iter()
            .filter(|r| r.estimates[k].rejects_under(test, alpha, 0.0))
            .count() as f64
            / e.len() as f64
    }

    /// The smallest n per arm at which analysis `k` reaches `target`: bracketed by the points
    /// simulated (extrapolating beyond the largest, up to `--max-n`, when none reaches it),
    /// then narrowed until the bracket's ends are adjacent. Each probe is where the power
    /// curve through the bracket's ends crosses the target on the probit scale against √n
    /// (the normal approximation's shape: Φ⁻¹(power) is linear in √n for a z test), kept
    /// strictly inside the bracket; after two probes on the same side, the next one bisects
    /// (the Illinois safeguard of regula falsi), so the search is never slower than about
    /// twice bisection and usually needs a few probes where bisection needed seven.
    fn target(&mut self, k: usize, analysis: Analysis, target: f64) -> Result<TargetResult> {
        let max_n = self.plan.settings.max_n;
        // Bracket: lo fails (or is below the smallest n allowed), hi reaches the target.
        let mut lo = MIN_N_PER_ARM - 1;
        let mut hi = None;
        for &n in self.points.keys() {
            if self.power_at(k, n) >= target {
                hi = Some(n);
                break;
            }
            lo = n;
        }
        while hi.is_none() && lo < max_n {
            let below = self.points.range(..lo).next_back().map(|(&n, _)| n);
            let guess = below
                .and_then(|b| {
                    let (pb, pl) = (self.power_at(k, b), self.power_at(k, lo));
                    crossing(b, pb, lo, pl, target)
                })
                // 10% beyond the extrapolated crossing, so that one probe usually brackets.
                .map(|n| (n * 1.1).ceil());
            let n = match guess {
                Some(g) if g.is_finite() && g > lo as f64 => (g as u64).clamp(lo + 1, 4 * lo),
                _ => 2 * lo.max(MIN_N_PER_ARM),
            }
            .min(max_n);
            self.evaluate(n, false)?;
            if self.power_at(k, n) >= target {
                hi = Some(n);
            } else {
                lo = n;
            }
        }
        let (n, reached) = match hi {
            Some(mut hi) => {
                let mut same_side = 0u8;
                let mut last_moved_lo = None;
                while hi - lo > 1 {
                    let bisect = lo + (hi - lo) / 2;
                    let mid = if same_side >= 2 || lo < MIN_N_PER_ARM {
                        bisect
                    } else {
                        let (pl, ph) = (self.power_at(k, lo), self.power_at(k, hi));
                        crossing(lo, pl, hi, ph, target)
                            .filter(|x| x.is_finite())
                            .map_or(bisect, |x| (x.round() as u64).clamp(lo + 1, hi - 1))
                    };
                    self.evaluate(mid, false)?;
                    let moved_lo = self.power_at(k, mid) < target;
                    if moved_lo {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                    same_side = if last_moved_lo == Some(moved_lo) {
                        same_side + 1
                    } else {
                        1
                    };
                    if same_side > 2 {
                        same_side = 0;
                    }
                    last_moved_lo = Some(moved_lo);
                }
                (hi, true)
            }
            None => (lo, false),
        };
        let p = self.power_at(k, n);
        Ok(TargetResult {
            analysis,
            target_power: target,
            n_per_arm: n,
            power: p,
            power_mc_se: (p * (1.0 - p) / self.plan.settings.reps as f64).sqrt(),
            reached,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::crossing;
    use crate::stats::dist::{norm_cdf, norm_quantile};

    /// On the power curve of a z test, Φ(c√n − z₁₋α/₂), the probit-√n line through any two
    /// points is the curve itself, so the crossing is exact: n = ((z_target + z) / c)².
    #[test]
    fn crossing_is_exact_on_a_z_tests_power_curve() {
        let (c, z) = (0.3, 1.959963984540054);
        let power = |n: u64| norm_cdf(c * (n as f64).sqrt() - z);
        let exact = ((norm_quantile(0.8) + z) / c).powi(2);
        for (a, b) in [(20, 40), (40, 60), (100, 140), (20, 200)] {
            let x = crossing(a, power(a), b, power(b), 0.8).unwrap();
            assert!((x - exact).abs() < 1e-6 * exact, "{a}-{b}: {x} vs {exact}");
        }
        // Not rising, or at 0/1 on both ends: no line to follow.
        assert!(crossing(20, 0.5, 40, 0.4, 0.8).is_none());
        assert!(crossing(20, 1.0, 40, 1.0, 0.8).is_none());
    }
}
