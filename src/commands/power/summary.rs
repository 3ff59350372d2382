//! What the replicates of a design point say: power with its Monte Carlo SE and Wilson
//! interval, type I error, bias and coverage against the true effects; the printed table and
//! the power chart's data.

use std::fmt::Write as _;

use serde::Serialize;

use crate::io::{table_2dp, table_percent};
use crate::plot::{PowerChart, PowerPoint, PowerSeries};
use crate::stats;
use crate::stats::dist;

use super::analyses::ReplicateResult;
use super::assume::Assumption;
use super::design::{Plan, PowerResults};
use super::settings::{Analysis, Test};

/// Summary of one design point and analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PowerRow {
    pub n_per_arm: u64,
    pub analysis: Analysis,
    /// Share of replicates whose test rejects its H0 at alpha (failed fits count as not
    /// significant).
    pub power: f64,
    /// sqrt(power (1 - power) / reps).
    pub power_mc_se: f64,
    /// Wilson 95% interval of the power.
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Rejection rate at the boundary of H0: the design with the arms made equivalent, moved
    /// to the margin for non-inferiority and equivalence (NaN when not simulated).
    pub type1: f64,
    pub type1_mc_se: f64,
    /// Mean of estimate - true effect over the replicates fitted.
    pub bias: f64,
    /// Share of fitted replicates whose interval covers their true effect.
    pub coverage: f64,
    pub mean_estimate: f64,
    /// Mean of the replicates' true effects.
    pub true_effect: f64,
    pub dropout: f64,
    pub icc: f64,
    pub d: f64,
    /// Mean standard error, and the standard deviation of the estimates (they should agree).
    pub mean_se: f64,
    pub sd_estimate: f64,
    /// Monte Carlo standard error of the bias.
    pub bias_mc_se: f64,
    pub reps: u64,
    /// Fits that failed (effect design).
    pub failed: u64,
    /// Share of the effect design's replicates whose mixed-model fit is singular (0 for
    /// ANCOVA), and the Monte Carlo SE of the coverage.
    pub singular: f64,
    pub coverage_mc_se: f64,
}

/// The mean of `xs`, `NaN` for none, by [`stats::mean`].
fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    stats::mean(&xs.collect::<Vec<_>>())
}

/// The sample standard deviation (n - 1), `NaN` for fewer than two values.
fn sd(xs: &[f64]) -> f64 {
    stats::var(xs).sqrt()
}

/// Wilson score interval of a proportion (95%).
fn wilson(p: f64, n: u64) -> (f64, f64) {
    let n = n as f64;
    let z = dist::norm_quantile(0.975);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Summarises one analysis (index `k` of the settings' analyses) of a design point.
pub(super) fn summarise(
    n: u64,
    k: usize,
    effect: &[ReplicateResult],
    null: Option<&[ReplicateResult]>,
    test: Test,
    alpha: f64,
) -> PowerRow {
    let reps = effect.len() as u64;
    let share_at = |rs: &[ReplicateResult], shift: f64| {
        rs.iter()
            .filter(|r| r.estimates[k].rejects_under(test, alpha, shift))
            .count() as f64
            / rs.len() as f64
    };
    let share = |rs: &[ReplicateResult]| share_at(rs, 0.0);
    let mc = |p: f64, n: usize| (p * (1.0 - p) / n as f64).sqrt();
    let power = share(effect);
    let (lo, hi) = wilson(power, reps);
    let ok: Vec<&ReplicateResult> = effect
        .iter()
        .filter(|r| r.estimates[k].error.is_none())
        .collect();
    let errors: Vec<f64> = ok
        .iter()
        .map(|r| r.estimates[k].estimate - r.true_effect)
        .collect();
    let ests: Vec<f64> = ok.iter().map(|r| r.estimates[k].estimate).collect();
    // Type I error at the boundary of H0: the null design (Δ = 0) moved to it (the margin for
    // non-inferiority and equivalence; by the symmetry of the null design the lower margin
    // of an equivalence test gives the same rate).
    let coverage = mean(ok.iter().map(|r| {
        let e = &r.estimates[k];
        f64::from(u8::from(
            e.ci_low <= r.true_effect && r.true_effect <= e.ci_high,
        ))
    }));
    let (type1, type1_mc_se) = match null {
        Some(rs) => {
            let t = share_at(rs, test.boundary());
            (t, mc(t, rs.len()))
        }
        None => (f64::NAN, f64::NAN),
    };
    PowerRow {
        n_per_arm: n,
        analysis: effect
            .first()
            .map_or(Analysis::Ancova, |r| r.estimates[k].analysis),
        power,
        power_mc_se: mc(power, effect.len()),
        power_ci_low: lo,
        power_ci_high: hi,
        type1,
        type1_mc_se,
        bias: mean(errors.iter().copied()),
        bias_mc_se: sd(&errors) / (errors.len() as f64).sqrt(),
        coverage,
        mean_estimate: mean(ests.iter().copied()),
        true_effect: mean(effect.iter().map(|r| r.true_effect)),
        dropout: mean(effect.iter().map(|r| r.dropout)),
        icc: mean(effect.iter().map(|r| r.icc).filter(|x| x.is_finite())),
        d: mean(effect.iter().map(|r| r.d).filter(|x| x.is_finite())),
        mean_se: mean(ok.iter().map(|r| r.estimates[k].se)),
        sd_estimate: sd(&ests),
        reps,
        failed: reps - ok.len() as u64,
        singular: effect.iter().filter(|r| r.estimates[k].singular).count() as f64
            / reps.max(1) as f64,
        coverage_mc_se: mc(coverage, ok.len().max(1)),
    }
}

/// The printed table: one line per design point and analysis, then the target search.
pub(super) fn table(plan: &Plan, res: &PowerResults) -> String {
    // With --assume the power column is the assurance (expected power over the priors).
    let label = if !plan.is_assurance() {
        "power"
    } else {
        "assurance"
    };
    let mut out = rows_table(&res.rows, label);
    for t in &res.targets {
        let _ = writeln!(
            out,
            "target {label} {}: {} {} n = {} per arm ({label} {} +/- {} MC SE)",
            table_percent(t.target_power),
            t.analysis.as_str(),
            if t.reached {
                "reaches it from"
            } else {
                "does not reach it up to --max-n;"
            },
            t.n_per_arm,
            table_percent(t.power),
            table_percent(t.power_mc_se)
        );
    }
    let flagged: Vec<String> = res
        .rows
        .iter()
        .filter(|r| r.singular > 0.0 || r.failed > 0)
        .map(|r| {
            format!(
                "n {} {}: {} singular, {} failed",
                r.n_per_arm,
                r.analysis.as_str(),
                table_percent(r.singular),
                table_percent(r.failed as f64 / r.reps.max(1) as f64)
            )
        })
        .collect();
    if !flagged.is_empty() {
        let _ = writeln!(
            out,
            "fits (effect design; failures.csv has the reasons, both designs): {}",
            flagged.join("; ")
        );
    }
    out.push_str(&footnote(plan));
    out
}

/// One line per design point and analysis, under a header whose power column is `label`.
fn rows_table(rows: &[PowerRow], label: &str) -> String {
    let (pct, f2) = (table_percent, table_2dp);
    let pw = label.len().max(6);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>5}  {:<16}  {:>pw$}  {:<15}  {:>6}  {:>6}  {:>8}  {:>8}  {:>6}  {:>7}  {:>5}  {:>6}",
        "n/arm",
        "analysis",
        label,
        "95% CI",
        "type I",
        "bias",
        "coverage",
        "estimate",
        "true",
        "dropout",
        "ICC",
        "d"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:>5}  {:<16}  {:>pw$}  {:<15}  {:>6}  {:>6}  {:>8}  {:>8}  {:>6}  {:>7}  {:>5}  {:>6}",
            r.n_per_arm,
            r.analysis.as_str(),
            pct(r.power),
            format!("[{}, {}]", pct(r.power_ci_low), pct(r.power_ci_high)),
            pct(r.type1),
            f2(r.bias),
            pct(r.coverage),
            f2(r.mean_estimate),
            f2(r.true_effect),
            pct(r.dropout),
            f2(r.icc),
            f2(r.d)
        );
    }
    out
}

/// What the table shows: the arms, the design, the conventions and the priors.
fn footnote(plan: &Plan) -> String {
    let s = &plan.settings;
    let sc = &plan.scenario;
    let mut out = format!(
        "{}: {} (control) vs {} (treatment), {} replicates per design point, {}, schedule {}, missing {}; effects are {} minus {} on {} (negative: the treatment lowers scores); type I error from the same design with the arms made equivalent{}.\n",
        sc.name,
        sc.arms[0].name,
        sc.arms[1].name,
        s.reps,
        s.hypothesis.describe(s.alpha, &sc.instrument.name),
        s.schedule.label(),
        s.missing.as_str(),
        sc.arms[1].name,
        sc.arms[0].name,
        sc.instrument.name,
        if s.hypothesis.boundary() > 0.0 {
            ", moved to the margin (the boundary of H0)"
        } else {
            ""
        }
    );
    if !s.assume.is_empty() {
        let _ = writeln!(
            out,
            "assurance = expected power over the priors: each replicate drew {} (replicates.csv has the draws).",
            s.assume
                .iter()
                .map(Assumption::describe)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(d) = &plan.posterior {
        let _ = writeln!(
            out,
            "assurance over the calibrated model: each replicate simulates the mechanism constants of a draw from {} (replicates.csv names the particle){}.",
            d.describe(),
            match plan.assumed_posterior_keys().as_slice() {
                [] => String::new(),
                keys => format!("; {} take their --assume priors instead", keys.join(", ")),
            }
        );
    }
    out
}

/// The power chart's data: one series per analysis, over every n simulated.
pub(super) fn chart(plan: &Plan, res: &PowerResults) -> PowerChart {
    let s = &plan.settings;
    let sc = &plan.scenario;
    let mut subtitle = format!(
        "{} (treatment) vs {} (control) on {}; {} simulated trials per point; schedule {}, missing data {}",
        sc.arms[1].name,
        sc.arms[0].name,
        sc.instrument.name,
        s.reps,
        s.schedule.label(),
        s.missing.as_str()
    );
    let _ = write!(subtitle, "\n{}", design_line(plan, res));
    if !s.assume.is_empty() {
        let priors: Vec<String> = s.assume.iter().map(Assumption::describe).collect();
        let _ = write!(
            subtitle,
            "\nassurance: each trial draws {}",
            priors.join(", ")
        );
    }
    if let Some(d) = &plan.posterior {
        let _ = write!(
            subtitle,
            "\nassurance over the posterior: each trial draws its mechanism constants from {}",
            d.posterior.source_name
        );
    }
    PowerChart {
        title: sc.name.clone(),
        subtitle,
        panel_title: if !plan.is_assurance() {
            "Power by sample size".into()
        } else {
            "Assurance by sample size".into()
        },
        y_title: if !plan.is_assurance() {
            "Power (share of trials with p < α)".into()
        } else {
            "Assurance (expected power over the priors)".into()
        },
        alpha: s.alpha,
        target: s.target_power.unwrap_or(0.8),
        target_label: match s.target_power {
            Some(t) => format!("target power {t}"),
            None => "power 0.8 (a usual target)".into(),
        },
        series: series(&s.analyses, res),
    }
}

/// The chart's design line: therapists per arm, and the d, therapist ICC and dropout the
/// simulated trials show at the largest requested n (the ICC from the endpoint mixed model,
/// which overstates it at small caseloads).
fn design_line(plan: &Plan, res: &PowerResults) -> String {
    let sc = &plan.scenario;
    let k: Vec<String> = sc
        .arms
        .iter()
        .map(|a| {
            a.pool
                .map_or(0, |p| sc.therapist_pools[p].therapists)
                .to_string()
        })
        .collect();
    let therapists = if k.windows(2).all(|w| w[0] == w[1]) {
        format!("{} therapists per arm", k[0])
    } else {
        format!("therapists per arm {}", k.join(" and "))
    };
    let n = plan.settings.n_per_arm.iter().max().copied().unwrap_or(0);
    let at_n = |f: fn(&PowerRow) -> f64| {
        res.rows
            .iter()
            .filter(|r| r.n_per_arm == n)
            .map(f)
            .find(|x| x.is_finite())
    };
    let mut facts = Vec::new();
    if let Some(d) = at_n(|r| r.d) {
        facts.push(format!("d {d:.2}"));
    }
    if let Some(icc) = at_n(|r| r.icc) {
        facts.push(format!("therapist ICC {icc:.3}"));
    }
    if let Some(p) = at_n(|r| r.dropout) {
        facts.push(format!("dropout {:.1}%", 100.0 * p));
    }
    format!(
        "{therapists}; as simulated at n = {n} per arm: {}",
        facts.join(", ")
    )
}

/// One series per analysis (its style by its place among all analyses), over every n.
fn series(analyses: &[Analysis], res: &PowerResults) -> Vec<PowerSeries> {
    let rows = &res.rows;
    analyses
        .iter()
        .map(|&a| PowerSeries {
            label: a.as_str().to_string(),
            style: Analysis::ALL.iter().position(|&b| b == a).unwrap_or(0),
            points: rows
                .iter()
                .filter(|r| r.analysis == a)
                .map(|r| PowerPoint {
                    n: r.n_per_arm as f64,
                    power: r.power,
                    power_se: r.power_mc_se,
                    type1: r.type1,
                    type1_se: r.type1_mc_se,
                })
                .collect(),
            found: res
                .targets
                .iter()
                .find(|t| t.analysis == a && t.reached)
                .map(|t| t.n_per_arm as f64),
        })
        .collect()
}
