//! The statistics of the calibration targets, each computed from what a study would see: the
//! measured symptom scores, the rated alliance and the reported ruptures (latent state only
//! where a target is about it). Each function takes one replicate of a calibration scenario and
//! returns one value; `NaN` when the replicate has no data for it.
//!
//! Conventions shared by the functions below:
//! - *improvement* = intake score - final score (positive = better); *final score* as in
//!   `patients.csv` (end-of-treatment assessment; last observed score for dropouts);
//! - *post score* = the end (follow-up) assessment every patient gets, used for trial contrasts
//!   (intention to treat with complete follow-up);
//! - Hedges' g = (mean_b - mean_a) / pooled SD x J (Hedges' exact J), positive when arm `a`
//!   has lower (better) scores;
//! - reliable improvement, recovery and deterioration use the instrument's reliable-change
//!   threshold and cut-off (Jacobson & Truax; IAPT conventions, M1 and M4).

use crate::model::attendance::Ending;
use crate::model::instrument::{ChangeClass, Instrument};
use crate::scenario::Scenario;
use crate::sim::course::Course;
use crate::sim::engine::PatientOutcome;

/// One replicate of a calibration scenario.
pub struct Replicate<'a> {
    pub scenario: &'a Scenario,
    /// The therapists of the replicate, per pool.
    pub therapists: &'a [Vec<crate::model::therapist::Therapist>],
    pub outcomes: &'a [PatientOutcome],
}

impl Replicate<'_> {
    fn inst(&self) -> &Instrument {
        &self.scenario.instrument
    }
    fn arm(&self, name: &str) -> Option<usize> {
        self.scenario.arms.iter().position(|a| a.name == name)
    }
    /// Outcomes of an arm (`None`: every arm).
    fn of(&self, arm: Option<usize>) -> impl Iterator<Item = &PatientOutcome> {
        self.outcomes
            .iter()
            .filter(move |o| arm.is_none_or(|a| o.arm == a))
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn var(xs: &[f64]) -> f64 {
    let m = mean(xs);
    if xs.len() < 2 {
        f64::NAN
    } else {
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    }
}

fn share(hits: usize, n: usize) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        hits as f64 / n as f64
    }
}

/// Pearson r (`NaN` when undefined), by the statistics module.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    crate::stats::pearson(x, y).map_or(f64::NAN, |c| c.r)
}

/// Hedges' g of `a` vs `b` on lower-is-better scores (positive: `a` better), by the statistics
/// module (exact small-sample correction); `NaN` when undefined.
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    crate::stats::cohens_d(b, a).map_or(f64::NAN, |e| e.hedges_g)
}

fn improvement(c: &Course) -> f64 {
    c.intake_score - c.final_score
}

/// Measured scores after 0, 1, 2, ... sessions: intake, then the pre-session score of each
/// later session, then the end-of-treatment assessment (not for dropouts, who have none).
fn score_series(c: &Course) -> Vec<f64> {
    let mut s = vec![c.intake_score];
    s.extend(
        c.sessions
            .iter()
            .filter(|r| r.attended)
            .skip(1)
            .map(|r| r.symptom_score),
    );
    if c.ending != Ending::DroppedOut && c.sessions_attended > 0 {
        s.push(c.final_score);
    }
    s
}

/// Kaplan-Meier share of patients with the event by `n` sessions. `event(intake, score)` is
/// tested on each score after 1, 2, ... sessions; patients are censored after their last
/// observed score.
fn km_by(outs: &[&PatientOutcome], n: usize, event: impl Fn(f64, f64) -> bool) -> f64 {
    let mut times: Vec<(usize, bool)> = outs
        .iter()
        .filter_map(|o| {
            let s = score_series(&o.course);
            let last = s.len() - 1;
            if last == 0 {
                return None;
            }
            let hit = (1..=last).find(|&k| event(s[0], s[k]));
            Some(hit.map_or((last, false), |k| (k, true)))
        })
        .collect();
    times.sort_unstable();
    let mut surv = 1.0;
    let mut at_risk = times.len();
    let mut i = 0;
    while i < times.len() && times[i].0 <= n {
        let t = times[i].0;
        let (mut d, mut c) = (0, 0);
        while i < times.len() && times[i].0 == t {
            if times[i].1 {
                d += 1
            } else {
                c += 1
            }
            i += 1;
        }
        if at_risk > 0 {
            surv *= 1.0 - d as f64 / at_risk as f64;
        }
        at_risk -= d + c;
    }
    1.0 - surv
}

/// Sessions until the Kaplan-Meier curve of an event first reaches one half (`NaN` if never).
fn km_median(outs: &[&PatientOutcome], max: usize, event: impl Fn(f64, f64) -> bool + Copy) -> f64 {
    (1..=max)
        .find(|&n| km_by(outs, n, event) >= 0.5)
        .map_or(f64::NAN, |n| n as f64)
}

/// Tang & DeRubeis (1999) sudden gains in a score series: the first gain between consecutive
/// scores that is (1) at least the reliable-change threshold (the instrument's rescaling of the
/// 7 BDI points, as targets.md S1 says), (2) at least 25% of the pre-gain score, and (3) stable:
/// the mean of up to three scores before exceeds the mean of up to three after with a pooled
/// t above the two-sided 5% critical value for its df (2.776 at df 4, as in the original).
/// Returns the gain's size.
pub fn first_sudden_gain(series: &[f64], rc: f64) -> Option<f64> {
    const T_CRIT: [f64; 5] = [f64::INFINITY, 12.706, 4.303, 3.182, 2.776];
    for i in 1..series.len().saturating_sub(1) {
        let (before, after) = (series[i], series[i + 1]);
        let gain = before - after;
        if gain < rc || gain < 0.25 * before {
            continue;
        }
        let pre = &series[i.saturating_sub(2)..=i];
        let post = &series[i + 1..(i + 4).min(series.len())];
        if pre.len() < 2 || post.len() < 2 {
            continue;
        }
        let df = pre.len() + post.len() - 2;
        let sp = (((pre.len() - 1) as f64 * var(pre) + (post.len() - 1) as f64 * var(post))
            / df as f64)
            .sqrt();
        let diff = mean(pre) - mean(post);
        let t = if sp > 0.0 {
            diff / (sp * (1.0 / pre.len() as f64 + 1.0 / post.len() as f64).sqrt())
        } else if diff > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        if t > T_CRIT[df.min(4)] {
            return Some(gain);
        }
    }
    None
}

/// Cronbach's alpha of item ratings (rows: respondents).
pub fn cronbach_alpha(rows: &[[f64; 12]]) -> f64 {
    let k = 12.0;
    let item_var: f64 = (0..12)
        .map(|j| var(&rows.iter().map(|r| r[j]).collect::<Vec<_>>()))
        .sum();
    let total_var = var(&rows.iter().map(|r| r.iter().sum()).collect::<Vec<f64>>());
    k / (k - 1.0) * (1.0 - item_var / total_var)
}

/// Not on track as the feedback systems flag it, computed identically in every arm: at session
/// 3, the pre-session score has improved by less than half the reliable-change threshold.
fn not_on_track(inst: &Instrument, c: &Course) -> Option<bool> {
    let s3 = c.sessions.iter().find(|s| s.attended && s.session == 3)?;
    Some(c.intake_score - s3.symptom_score < 0.5 * inst.rc_threshold)
}

/// Patients of therapy arms with their therapist (a unique index over pools).
fn with_therapist<'o>(
    r: &Replicate<'_>,
    all: &[&'o PatientOutcome],
) -> Vec<(&'o PatientOutcome, usize, f64)> {
    let mut offsets = vec![0usize];
    for pool in r.therapists {
        offsets.push(offsets.last().copied().unwrap_or(0) + pool.len());
    }
    all.iter()
        .filter_map(|o| {
            let pool = r.scenario.arms[o.arm].pool?;
            let t = o.course.first_therapist? as usize;
            Some((*o, offsets[pool] + t, r.therapists[pool][t].traits.fis))
        })
        .collect()
}

/// Fits final ~ intake [+ fis] + arm + (1 | therapist); returns (ICC, tau^2).
fn therapist_model(
    r: &Replicate<'_>,
    all: &[&PatientOutcome],
    with_fis: bool,
) -> Option<(f64, f64)> {
    let rows = with_therapist(r, all);
    let y: Vec<f64> = rows.iter().map(|(o, _, _)| o.course.final_score).collect();
    let mut x = crate::stats::Design::intercept(rows.len()).with(
        "intake",
        rows.iter().map(|(o, _, _)| o.course.intake_score).collect(),
    );
    if with_fis {
        x = x.with("fis", rows.iter().map(|(_, _, f)| *f).collect());
    }
    // Arm as a fixed effect, so differences between arms are not counted as therapist variance.
    for a in 1..r.scenario.arms.len() {
        if rows.iter().any(|(o, _, _)| o.arm == a) && rows.iter().any(|(o, _, _)| o.arm != a) {
            x = x.with(
                format!("arm{a}"),
                rows.iter()
                    .map(|(o, _, _)| f64::from(u8::from(o.arm == a)))
                    .collect(),
            );
        }
    }
    let group: Vec<usize> = rows.iter().map(|(_, g, _)| *g).collect();
    let fit = crate::stats::random_intercept(&y, &x, "therapist", &group).ok()?;
    let tau2 = fit.var_comps.first()?.var(0);
    Some((fit.icc()?, tau2))
}

/// Standardised between- and within-therapist alliance coefficients (benefit positive).
fn alliance_split(r: &Replicate<'_>, all: &[&PatientOutcome]) -> Option<(f64, f64)> {
    let rows: Vec<_> = with_therapist(r, all)
        .into_iter()
        .filter(|(o, _, _)| o.course.wai_patient_s3.is_some())
        .collect();
    let group: Vec<usize> = rows.iter().map(|(_, g, _)| *g).collect();
    let wai: Vec<f64> = rows
        .iter()
        .map(|(o, _, _)| f64::from(o.course.wai_patient_s3.unwrap_or(0)))
        .collect();
    let centred = crate::stats::person_mean_centre(&group, &wai).ok()?;
    let y: Vec<f64> = rows.iter().map(|(o, _, _)| o.course.final_score).collect();
    let x = crate::stats::Design::intercept(rows.len())
        .with(
            "intake",
            rows.iter().map(|(o, _, _)| o.course.intake_score).collect(),
        )
        .with("between", centred.between.clone())
        .with("within", centred.within.clone());
    let fit = crate::stats::random_intercept(&y, &x, "therapist", &group).ok()?;
    let sd_y = var(&y).sqrt();
    let std = |name: &str, xs: &[f64]| fit.coef(name).map(|c| -c.estimate * var(xs).sqrt() / sd_y);
    Some((
        std("between", &centred.between)?,
        std("within", &centred.within)?,
    ))
}

/// Patients in an alliance-capacity stratum: `good` (at or above the median), `poor` (below).
fn stratum<'o>(
    all: &[&'o PatientOutcome],
    which: Option<&str>,
) -> Result<Vec<&'o PatientOutcome>, String> {
    let mut caps: Vec<f64> = all
        .iter()
        .map(|o| o.patient.traits.alliance_capacity)
        .collect();
    caps.sort_by(f64::total_cmp);
    let median = caps.get(caps.len() / 2).copied().unwrap_or(0.0);
    let good = match which {
        Some("good") => true,
        Some("poor") => false,
        other => {
            return Err(format!(
                "a stratum `good` or `poor` is needed, found {other:?}"
            ));
        }
    };
    Ok(all
        .iter()
        .copied()
        .filter(|o| (o.patient.traits.alliance_capacity >= median) == good)
        .collect())
}

/// The ruptures of a course that an observer coded (studies see these, not latent ruptures).
fn observer_coded(c: &Course) -> Vec<crate::model::rupture::RuptureEvent> {
    c.sessions
        .iter()
        .filter_map(|s| s.rupture)
        .filter(|e| e.reported_by_observer)
        .collect()
}

/// Computes statistic `name` (with `:`-separated arguments) on one replicate.
///
/// # Errors
/// An unknown statistic or arm name.
pub fn compute(name: &str, r: &Replicate<'_>) -> Result<f64, String> {
    let mut parts = name.split(':');
    let stat = parts.next().unwrap_or_default();
    let args: Vec<&str> = parts.collect();
    let arm = |i: usize| -> Result<usize, String> {
        let n = args
            .get(i)
            .ok_or_else(|| format!("statistic `{stat}` needs an arm name argument"))?;
        r.arm(n).ok_or_else(|| {
            format!(
                "statistic `{name}`: scenario `{}` has no arm `{n}`",
                r.scenario.name
            )
        })
    };
    let inst = r.inst();
    let all: Vec<&PatientOutcome> = r.of(None).collect();
    let arm_outs = |a: usize| -> Vec<&PatientOutcome> { r.of(Some(a)).collect() };
    // Cases at intake, and reliable and clinically significant improvement of a score.
    let cases = || -> Vec<&PatientOutcome> {
        all.iter()
            .copied()
            .filter(|o| inst.is_case(o.course.intake_score))
            .collect()
    };
    let rcsi = |i: f64, x: f64| i - x >= inst.rc_threshold && !inst.is_case(x);
    let post = |os: &[&PatientOutcome]| os.iter().map(|o| o.course.post_score).collect::<Vec<_>>();
    let v = match stat {
        // Alliance-outcome r (A1): patient-rated WAI-SR total at session 3 against residual gain
        // (final regressed on intake, sign set so improvement is positive), among patients who
        // attended session 3.
        "alliance_outcome_r" => crate::analysis::summarize(r.scenario, r.outcomes)
            .iter()
            .zip(&r.scenario.arms)
            .filter(|(_, a)| a.kind == crate::model::treatment::ArmKind::Therapy)
            .map(|(s, _)| s.alliance_outcome_r)
            .next()
            .unwrap_or(f64::NAN),
        // Share of patients who dropped out (unilateral ending before the planned or a
        // good-enough end: P1).
        "dropout" => share(
            all.iter()
                .filter(|o| o.course.ending == Ending::DroppedOut)
                .count(),
            all.len(),
        ),
        // d of the session-1 patient WAI-SR between completers (any other ending) and dropouts;
        // session 1 is the one early rating every patient has (P4).
        "dropout_alliance_d" => {
            let w = |drop: bool| -> Vec<f64> {
                all.iter()
                    .filter(|o| {
                        o.course.sessions_attended > 0
                            && (o.course.ending == Ending::DroppedOut) == drop
                    })
                    .filter_map(|o| o.course.sessions.first().map(|s| f64::from(s.wai_patient)))
                    .collect()
            };
            -hedges_g(&w(false), &w(true))
        }
        // The session after which the dropout hazard (dropouts / attenders) is highest (P5).
        "peak_dropout_session" => {
            let max_t = all
                .iter()
                .map(|o| o.course.sessions_attended)
                .max()
                .unwrap_or(0);
            (1..max_t)
                .map(|t| {
                    let at = all
                        .iter()
                        .filter(|o| o.course.sessions_attended >= t)
                        .count();
                    let d = all
                        .iter()
                        .filter(|o| {
                            o.course.sessions_attended == t && o.course.ending == Ending::DroppedOut
                        })
                        .count();
                    (t, share(d, at))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(f64::NAN, |(t, _)| f64::from(t))
        }
        // Mean improvement of non-dropouts minus that of dropouts (P6).
        "completer_dropout_change_gap" => {
            let imp = |drop: bool| -> Vec<f64> {
                all.iter()
                    .filter(|o| {
                        (o.course.ending == Ending::DroppedOut) == drop
                            && o.course.sessions_attended > 0
                    })
                    .map(|o| improvement(&o.course))
                    .collect()
            };
            mean(&imp(false)) - mean(&imp(true))
        }
        // IAPT outcome rates (O3), among cases at intake who attended at least 2 sessions.
        "iapt_reliable_recovery" | "iapt_reliable_improvement" | "iapt_reliable_deterioration" => {
            let cases: Vec<ChangeClass> = all
                .iter()
                .filter(|o| o.course.sessions_attended >= 2 && inst.is_case(o.course.intake_score))
                .map(|o| inst.classify(o.course.intake_score, o.course.final_score))
                .collect();
            let hit = |c: &ChangeClass| match stat {
                "iapt_reliable_recovery" => *c == ChangeClass::Recovered,
                "iapt_reliable_improvement" => c.reliably_improved(),
                _ => *c == ChangeClass::Deteriorated,
            };
            share(cases.iter().filter(|c| hit(c)).count(), cases.len())
        }
        // Share of all patients reliably deteriorated, final vs intake (O1).
        "deterioration" => share(
            all.iter()
                .filter(|o| {
                    inst.classify(o.course.intake_score, o.course.final_score)
                        == ChangeClass::Deteriorated
                })
                .count(),
            all.len(),
        ),
        // Kaplan-Meier share reliably improved (score at least the RC threshold below intake)
        // by n sessions, censored at the last observed score (Howard et al. 1986: D1, D2).
        s if s.starts_with("improved_by_session_") => {
            let n: usize = s["improved_by_session_".len()..]
                .parse()
                .map_err(|_| format!("bad session number in `{s}`"))?;
            km_by(&all, n, |i, x| i - x >= inst.rc_threshold)
        }
        // Kaplan-Meier share of cases at intake that recovered (reliably improved and below the
        // cut-off) by session 8 (Kadera et al. 1996, D8).
        "recovered_by_session_8" => km_by(&cases(), 8, rcsi),
        // Sessions until half of the cases at intake reach reliable and clinically significant
        // improvement, Kaplan-Meier (Hansen et al. 2002, D4).
        "median_sessions_to_rcsi" => km_median(&cases(), 200, rcsi),
        // Share reliably improved between intake and the pre-session score of session 1 (D3).
        "improved_before_session_1" => {
            let xs: Vec<bool> = all
                .iter()
                .filter_map(|o| {
                    o.course
                        .sessions
                        .first()
                        .filter(|s| s.attended)
                        .map(|s| o.course.intake_score - s.symptom_score >= inst.rc_threshold)
                })
                .collect();
            share(xs.iter().filter(|x| **x).count(), xs.len())
        }
        "reliable_improvement" | "not_reliably_improved" => {
            let os = arm_outs(arm(0)?);
            let k = os
                .iter()
                .filter(|o| {
                    inst.classify(o.course.intake_score, o.course.final_score)
                        .reliably_improved()
                })
                .count();
            let s = share(k, os.len());
            if stat == "reliable_improvement" {
                s
            } else {
                1.0 - s
            }
        }
        "mean_sessions" => mean(
            &all.iter()
                .map(|o| f64::from(o.course.sessions_attended))
                .collect::<Vec<_>>(),
        ),
        // Share of an arm below the cut-off at the post assessment (O4).
        "below_cutoff_at_post" => {
            let os = arm_outs(arm(0)?);
            share(
                os.iter()
                    .filter(|o| !inst.is_case(o.course.post_score))
                    .count(),
                os.len(),
            )
        }
        // Hedges' g on post scores, arm a vs arm b; b = `controls` pools every other arm.
        "hedges_g" | "abs_hedges_g" => {
            let a = arm(0)?;
            let b: Vec<&PatientOutcome> = if args.get(1) == Some(&"controls") {
                all.iter().copied().filter(|o| o.arm != a).collect()
            } else {
                arm_outs(arm(1)?)
            };
            let g = hedges_g(&post(&arm_outs(a)), &post(&b));
            if stat == "abs_hedges_g" { g.abs() } else { g }
        }
        // Within-group pre-post d of an arm: mean(intake - post) / SD(intake) (M10).
        "pre_post_d" => {
            let os = arm_outs(arm(0)?);
            let intake: Vec<f64> = os.iter().map(|o| o.course.intake_score).collect();
            mean(
                &os.iter()
                    .map(|o| o.course.intake_score - o.course.post_score)
                    .collect::<Vec<_>>(),
            ) / var(&intake).sqrt()
        }
        // The scenario instrument's Jacobson-Truax threshold from its SD and reliability (M1).
        "jacobson_truax_threshold" => {
            Instrument::jacobson_truax_threshold(inst.sd, inst.reliability)
        }
        "intake_mean" => mean(
            &all.iter()
                .map(|o| o.course.intake_score)
                .collect::<Vec<_>>(),
        ),
        "intake_sd" => var(&all
            .iter()
            .map(|o| o.course.intake_score)
            .collect::<Vec<_>>())
        .sqrt(),
        // Point-biserial r between having at least one repaired observer-coded rupture (vs
        // only unrepaired ones) and improvement, among patients with observer-coded ruptures
        // (R1, R3).
        "repair_outcome_r" => {
            let (mut g, mut y) = (vec![], vec![]);
            for o in &all {
                let coded = observer_coded(&o.course);
                if coded.is_empty() {
                    continue;
                }
                g.push(f64::from(u8::from(coded.iter().any(|e| e.repaired))));
                y.push(improvement(&o.course));
            }
            pearson(&g, &y)
        }
        // Ruptures per attended session as each rater reports them (R4-R6).
        "rupture_rate_patient"
        | "rupture_rate_therapist"
        | "rupture_rate_observer"
        | "therapist_minus_patient_rupture_rate" => {
            let sessions: u64 = all
                .iter()
                .map(|o| u64::from(o.course.sessions_attended))
                .sum();
            let sum = |f: fn(&Course) -> u32| {
                all.iter().map(|o| u64::from(f(&o.course))).sum::<u64>() as f64 / sessions as f64
            };
            match stat {
                "rupture_rate_patient" => sum(|c| c.ruptures_reported_by_patient),
                "rupture_rate_therapist" => sum(|c| c.ruptures_reported_by_therapist),
                "rupture_rate_observer" => sum(|c| c.ruptures_reported_by_observer),
                _ => {
                    sum(|c| c.ruptures_reported_by_therapist)
                        - sum(|c| c.ruptures_reported_by_patient)
                }
            }
        }
        // r between the share of observer-coded ruptures repaired and dropping out, among
        // patients with observer-coded ruptures (R7).
        "repair_dropout_r" => {
            let (mut x, mut y) = (vec![], vec![]);
            for o in &all {
                let coded = observer_coded(&o.course);
                if !coded.is_empty() {
                    x.push(coded.iter().filter(|e| e.repaired).count() as f64 / coded.len() as f64);
                    y.push(f64::from(u8::from(o.course.ending == Ending::DroppedOut)));
                }
            }
            pearson(&x, &y)
        }
        // Share of withdrawals among observer-coded ruptures (R8).
        "withdrawal_share" => {
            let kinds: Vec<_> = all.iter().flat_map(|o| observer_coded(&o.course)).collect();
            share(
                kinds
                    .iter()
                    .filter(|e| e.kind == crate::model::rupture::RuptureKind::Withdrawal)
                    .count(),
                kinds.len(),
            )
        }
        // Mean drop of the observer-rated alliance (WAI-O, 12-60) from the previous session to
        // a session with an observer-coded confrontation, minus the same for withdrawal (R8).
        "confrontation_minus_withdrawal_drop" => {
            let (mut conf, mut wd) = (vec![], vec![]);
            for o in &all {
                for w in o.course.sessions.windows(2) {
                    if let Some(e) = w[1].rupture.filter(|e| e.reported_by_observer) {
                        let drop = w[0].wai_observer - w[1].wai_observer;
                        match e.kind {
                            crate::model::rupture::RuptureKind::Confrontation => conf.push(drop),
                            crate::model::rupture::RuptureKind::Withdrawal => wd.push(drop),
                        }
                    }
                }
            }
            mean(&conf) - mean(&wd)
        }
        // Mean within-patient OLS slope of the patient WAI-SR total over sessions, and mean
        // within-patient SD around that line, among patients with at least 4 sessions (R11).
        "alliance_slope" | "alliance_within_sd" => {
            let mut vals = vec![];
            for o in &all {
                let pts: Vec<(f64, f64)> = o
                    .course
                    .sessions
                    .iter()
                    .filter(|s| s.attended)
                    .map(|s| (f64::from(s.session), f64::from(s.wai_patient)))
                    .collect();
                if pts.len() < 4 {
                    continue;
                }
                let (xs, ys): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
                let (mx, my) = (mean(&xs), mean(&ys));
                let b = xs
                    .iter()
                    .zip(&ys)
                    .map(|(x, y)| (x - mx) * (y - my))
                    .sum::<f64>()
                    / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
                if stat == "alliance_slope" {
                    vals.push(b);
                } else {
                    let ss: f64 = xs
                        .iter()
                        .zip(&ys)
                        .map(|(x, y)| (y - my - b * (x - mx)).powi(2))
                        .sum();
                    vals.push((ss / (xs.len() - 2) as f64).sqrt());
                }
            }
            mean(&vals)
        }
        // Cronbach's alpha of the 12 patient-rated WAI-SR items at session 3 (AL2).
        "wai_alpha" => {
            let rows: Vec<[f64; 12]> = all
                .iter()
                .filter_map(|o| {
                    o.course
                        .sessions
                        .iter()
                        .find(|s| s.attended && s.session == 3)
                })
                .map(|s| s.wai_patient_items.map(f64::from))
                .collect();
            cronbach_alpha(&rows)
        }
        // Patient-rated WAI-SR mean item score at session 3 (AL4).
        "wai_item_mean_s3" => mean(
            &all.iter()
                .filter_map(|o| o.course.wai_patient_s3)
                .map(|w| f64::from(w) / 12.0)
                .collect::<Vec<_>>(),
        ),
        // Sudden gains by the Tang & DeRubeis criteria on each patient's score series, among
        // patients with at least 4 scores: prevalence (S2); the gainers' mean gain over their
        // mean total improvement, intake to final (S3: "a mean gain of 11 BDI points, 50% of
        // total improvement"; a ratio of means, as a per-patient ratio explodes when a
        // gainer's total change is near zero); g on final scores, gainers vs others (S4).
        "sudden_gain_prevalence" | "sudden_gain_share" | "sudden_gain_d" => {
            let os = arm_outs(arm(0)?);
            let (mut gainers, mut others) = (vec![], vec![]);
            let (mut gains, mut totals) = (vec![], vec![]);
            for o in os {
                let s = score_series(&o.course);
                if s.len() < 4 {
                    continue;
                }
                match first_sudden_gain(&s, inst.rc_threshold) {
                    Some(g) => {
                        gainers.push(o.course.final_score);
                        gains.push(g);
                        totals.push(improvement(&o.course));
                    }
                    None => others.push(o.course.final_score),
                }
            }
            match stat {
                "sudden_gain_prevalence" => share(gainers.len(), gainers.len() + others.len()),
                "sudden_gain_share" => mean(&gains) / mean(&totals),
                _ => hedges_g(&gainers, &others),
            }
        }
        // Early responders vs others among cases (intake at or above the cut-off) who attended
        // session 5 (four weeks of sessions): early response = the pre-session score of session 5
        // is at least 25% below intake, the percentage definition common in the depression
        // studies Beard & Delgadillo (2019) pooled; g on final scores (E1). An absolute criterion
        // (the reliable-change threshold) would select patients by intake severity, whose end
        // scores are higher for that reason alone.
        "early_response_d" => {
            let (mut early, mut late) = (vec![], vec![]);
            for o in all.iter().filter(|o| inst.is_case(o.course.intake_score)) {
                if let Some(s5) = o
                    .course
                    .sessions
                    .iter()
                    .find(|s| s.attended && s.session == 5)
                {
                    if o.course.intake_score - s5.symptom_score >= 0.25 * o.course.intake_score {
                        early.push(o.course.final_score)
                    } else {
                        late.push(o.course.final_score)
                    }
                }
            }
            hedges_g(&early, &late)
        }
        // Dropout rate of arm a minus arm b (F1).
        "dropout_difference" => {
            let rate = |a: usize| {
                let os = arm_outs(a);
                share(
                    os.iter()
                        .filter(|o| o.course.ending == Ending::DroppedOut)
                        .count(),
                    os.len(),
                )
            };
            rate(arm(0)?) - rate(arm(1)?)
        }
        // Among not-on-track cases (same rule in both arms): ratio of reliable-improvement
        // rates (F2) and g on post scores (F3), arm a vs arm b.
        "not_on_track_improvement_ratio" | "not_on_track_g" => {
            let nots = |a: usize| -> Vec<&PatientOutcome> {
                arm_outs(a)
                    .into_iter()
                    .filter(|o| not_on_track(inst, &o.course) == Some(true))
                    .collect()
            };
            let (a, b) = (nots(arm(0)?), nots(arm(1)?));
            if stat == "not_on_track_g" {
                hedges_g(&post(&a), &post(&b))
            } else {
                let ri = |os: &[&PatientOutcome]| {
                    share(
                        os.iter()
                            .filter(|o| {
                                inst.classify(o.course.intake_score, o.course.final_score)
                                    .reliably_improved()
                            })
                            .count(),
                        os.len(),
                    )
                };
                ri(&a) / ri(&b)
            }
        }
        // Causal dose slope (G1), Goldsmith et al.'s estimand: the effect of each session
        // attended within the stratum of patients who form a good (patient WAI-SR mean item at
        // session 3 >= 3.5) or poor (< 3.5) alliance in therapy. Arm 0 is the therapy, arm 1 the
        // comparison (routine care alone, or fewer sessions); every patient is simulated under
        // both (common random numbers). The alliance is rated only in therapy, so the strata are
        // formed among the patients assigned to arm 0, whose rated alliance is observed. Slope =
        // mean paired difference of post scores (arm 0 - arm 1) / mean difference in sessions
        // attended (a Wald ratio, as the IV analysis estimates).
        "dose_slope_good_alliance" | "dose_slope_poor_alliance" => {
            let good = stat == "dose_slope_good_alliance";
            let (therapy, comparison) = (arm(0)?, arm(1)?);
            let (mut dy, mut dn) = (vec![], vec![]);
            for o in arm_outs(therapy) {
                let (Some(w), Some(t), Some(c)) = (
                    o.course.wai_patient_s3,
                    o.potential.get(therapy),
                    o.potential.get(comparison),
                ) else {
                    continue;
                };
                if (f64::from(w) / 12.0 >= 3.5) != good {
                    continue;
                }
                dy.push(t.post_score - c.post_score);
                dn.push(f64::from(t.sessions_attended) - f64::from(c.sessions_attended));
            }
            mean(&dy) / mean(&dn)
        }
        // r between a session's behavioural complementarity and the patient's WAI-SR bond
        // subscale (items 3, 5, 7, 9) in that session (C2).
        "complementarity_bond_r" => {
            let (mut x, mut y) = (vec![], vec![]);
            for o in &all {
                for s in o.course.sessions.iter().filter(|s| s.attended) {
                    x.push(s.complementarity);
                    y.push(
                        [2, 4, 6, 8]
                            .iter()
                            .map(|&i| f64::from(s.wai_patient_items[i]))
                            .sum(),
                    );
                }
            }
            pearson(&x, &y)
        }
        // Per-session benefit (D12): coefficient of sessions attended in an OLS regression of
        // improvement on sessions attended and intake score (case-mix adjusted), among patients
        // who attended at least one session.
        "per_session_benefit" => {
            let mut m = crate::analysis::CoMoments::<3>::default();
            for o in all.iter().filter(|o| o.course.sessions_attended > 0) {
                m.push([
                    improvement(&o.course),
                    f64::from(o.course.sessions_attended),
                    o.course.intake_score,
                ]);
            }
            m.partial_slope(0, 1, 2)
        }
        // Therapist effects (T5-T8): ICC = tau^2 / (tau^2 + sigma^2) of the REML fit of
        // final ~ intake + arm + (1 | therapist), among patients of therapy arms (first
        // therapist), as targets.md defines it (case-mix adjusted by intake).
        "therapist_icc" => therapist_model(r, &all, false).map_or(f64::NAN, |(icc, _)| icc),
        // Share of the between-therapist variance of outcome that therapist FIS explains (T10):
        // 1 - tau^2 with FIS as a therapist-level covariate / tau^2 without.
        "fis_share_of_therapist_variance" => match (
            therapist_model(r, &all, false),
            therapist_model(r, &all, true),
        ) {
            (Some((_, t0)), Some((_, t1))) if t0 > 0.0 => 1.0 - t1 / t0,
            _ => f64::NAN,
        },
        // Baldwin et al. (T1): final ~ intake + alliance_between + alliance_within +
        // (1 | therapist), alliance = patient WAI-SR at session 3 split into the therapist's mean
        // and the patient's deviation from it. Standardised coefficients (b x SD(x) / SD(final),
        // sign set so benefit is positive): the within coefficient, and between minus within.
        "alliance_within_beta" | "alliance_between_minus_within_beta" => {
            match alliance_split(r, &all) {
                Some((between, within)) => {
                    if stat == "alliance_within_beta" {
                        within
                    } else {
                        between - within
                    }
                }
                None => f64::NAN,
            }
        }
        // Falkenström et al. (W1): within-person cross-lagged model (see
        // `stats::cross_lagged`) on attended sessions; x at session t = patient WAI-SR at the end
        // of session t, y = the pre-session symptom score. `lagged_alliance_to_symptoms`: effect
        // of x_within(t) on y(t+1); `lagged_symptoms_to_alliance`: the reverse path (x and y
        // swapped). Standardised as a random-intercept cross-lagged panel model (RI-CLPM, the
        // model of W3's source) standardises its within-person paths: by the within-person SDs
        // of x and of the outcome (person-mean-centred), not the total SD, which would mix in
        // the stable differences between patients.
        "lagged_alliance_to_symptoms" | "lagged_symptoms_to_alliance" => {
            let (mut pat, mut ses, mut wai, mut sym) = (vec![], vec![], vec![], vec![]);
            for (i, o) in all.iter().enumerate() {
                for s in o.course.sessions.iter().filter(|s| s.attended) {
                    pat.push(i);
                    ses.push(i64::from(s.session));
                    wai.push(f64::from(s.wai_patient));
                    sym.push(s.symptom_score);
                }
            }
            let (x, y) = if stat == "lagged_alliance_to_symptoms" {
                (&wai, &sym)
            } else {
                (&sym, &wai)
            };
            match crate::stats::cross_lagged(&pat, &ses, x, y) {
                Ok(cl) => {
                    let b = cl.fit.coef("x_cw").map_or(f64::NAN, |c| c.estimate);
                    b * var(&cl.x.within).sqrt() / var(&cl.y.within).sqrt()
                }
                Err(_) => f64::NAN,
            }
        }
        // Share of an arm's ruptures that were repaired, minus the same share in arm b (all
        // ruptures, latent).
        "repair_rate_difference" => {
            let rate = |a: usize| {
                let os = arm_outs(a);
                let (rep, rup) = os.iter().fold((0u32, 0u32), |(r, n), o| {
                    (r + o.course.repairs, n + o.course.ruptures)
                });
                share(rep as usize, rup as usize)
            };
            rate(arm(0)?) - rate(arm(1)?)
        }
        // Mean sessions attended in an arm.
        "arm_mean_sessions" => mean(
            &arm_outs(arm(0)?)
                .iter()
                .map(|o| f64::from(o.course.sessions_attended))
                .collect::<Vec<_>>(),
        ),
        // Mean post score of an arm.
        "mean_post" => mean(&post(&arm_outs(arm(0)?))),
        // The true causal effect of arm a vs arm b: mean over all patients of the potential post
        // score under a minus under b (common random numbers; needs counterfactual runs).
        "paired_post_difference" => {
            let (a, b) = (arm(0)?, arm(1)?);
            mean(
                &all.iter()
                    .filter(|o| o.potential.len() > a.max(b))
                    .map(|o| o.potential[a].post_score - o.potential[b].post_score)
                    .collect::<Vec<_>>(),
            )
        }
        // Share of an arm's patients with an ending (`completed`, `good_enough`, `dropped_out`,
        // `stopped`, `waitlist`).
        "ending_share" => {
            let os = arm_outs(arm(0)?);
            let e = args
                .get(1)
                .ok_or("ending_share needs an arm and an ending")?;
            share(
                os.iter().filter(|o| o.course.ending.as_str() == *e).count(),
                os.len(),
            )
        }
        // Instrumental-variable dose slope (Goldsmith et al. 2015): two-stage least squares of
        // the post score on sessions attended and intake, sessions instrumented by random
        // assignment to any therapy arm (the control arm has none), among patients whose
        // baseline alliance capacity is above (`good`) or below (`poor`) the replicate's median:
        // a baseline predictor of the alliance, as a trial must use, since the control arm
        // rates no alliance.
        "iv_dose_slope" => {
            let control = arm(0)?;
            let rows = stratum(&all, args.get(1).copied())?;
            let y: Vec<f64> = rows.iter().map(|o| o.course.post_score).collect();
            let intake: Vec<f64> = rows.iter().map(|o| o.course.intake_score).collect();
            let x = crate::stats::Design::intercept(rows.len())
                .with(
                    "sessions",
                    rows.iter()
                        .map(|o| f64::from(o.course.sessions_attended))
                        .collect(),
                )
                .with("intake", intake.clone());
            let z = crate::stats::Design::intercept(rows.len())
                .with(
                    "assigned",
                    rows.iter()
                        .map(|o| f64::from(u8::from(o.arm != control)))
                        .collect(),
                )
                .with("intake", intake);
            crate::stats::two_stage_least_squares(&y, &x, &z)
                .ok()
                .and_then(|f| {
                    f.coefs
                        .iter()
                        .find(|c| c.name == "sessions")
                        .map(|c| c.estimate)
                })
                .unwrap_or(f64::NAN)
        }
        // The true dose slope of a therapy arm against the control arm in the same strata:
        // mean paired difference of potential post scores / mean difference of sessions
        // attended (the Wald ratio the IV estimates, known exactly from counterfactuals).
        "true_dose_slope" => {
            let (t, c) = (arm(0)?, arm(1)?);
            let rows = stratum(&all, args.get(2).copied())?;
            let (dy, dn): (Vec<f64>, Vec<f64>) = rows
                .iter()
                .filter(|o| o.potential.len() > t.max(c))
                .map(|o| {
                    (
                        o.potential[t].post_score - o.potential[c].post_score,
                        f64::from(o.potential[t].sessions_attended)
                            - f64::from(o.potential[c].sessions_attended),
                    )
                })
                .unzip();
            mean(&dy) / mean(&dn)
        }
        other => return Err(format!("unknown statistic `{other}`")),
    };
    Ok(v)
}
