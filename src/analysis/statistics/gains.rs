//! Sudden gains (Tang & DeRubeis 1999) and early response (Beard & Delgadillo 2019).

use super::args::{Args, ONE_ARM};
use super::measured::{improvement, score_series};
use super::sample::{self, share};
use super::{Family, Replicate, Statistic, Value};
use crate::stats::{mean, var};

pub(super) const FAMILY: Family = Family {
    name: "Sudden gains and early response",
    file: file!(),
    statistics: &[
        Statistic {
            name: "sudden_gain_prevalence",
            args: ONE_ARM,
            doc: "Share of an arm's patients (4+ scores) with a sudden gain.",
            source: "Tang & DeRubeis 1999",
            compute: sudden_gain_prevalence,
        },
        Statistic {
            name: "sudden_gain_share",
            args: ONE_ARM,
            doc: "Gainers' mean sudden gain over their mean total improvement, in an arm.",
            source: "Tang & DeRubeis 1999",
            compute: sudden_gain_share,
        },
        Statistic {
            name: "sudden_gain_d",
            args: ONE_ARM,
            doc: "Hedges' g on final scores, sudden gainers vs others, in an arm.",
            source: "Tang & DeRubeis 1999",
            compute: sudden_gain_d,
        },
        Statistic {
            name: "early_response_d",
            args: &[],
            doc: "Hedges' g on final scores, early responders (25% by session 5) vs others.",
            source: "Beard & Delgadillo 2019",
            compute: early_response_d,
        },
    ],
};

/// Tang & DeRubeis (1999) sudden gains in a score series: the first gain between consecutive
/// scores that is (1) at least the reliable-change threshold (the instrument's rescaling of the
/// 7 BDI points, as docs/findings.md S1 says), (2) at least 25% of the pre-gain score, and (3) stable:
/// the mean of up to three scores before exceeds the mean of up to three after with a pooled
/// t above the two-sided 5% critical value for its df (2.776 at df 4, as in the original).
/// Returns the gain's size.
fn first_sudden_gain(series: &[f64], rc: f64) -> Option<f64> {
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

/// The patients of an arm with at least 4 scores, split by [`first_sudden_gain`].
#[derive(Default)]
struct SuddenGains {
    /// Final scores of the gainers.
    gainers: Vec<f64>,
    /// Final scores of the others.
    others: Vec<f64>,
    /// The gainers' gains.
    gains: Vec<f64>,
    /// The gainers' total improvement, intake to final.
    totals: Vec<f64>,
}

fn sudden_gains(r: &Replicate<'_>, args: &Args<'_>) -> Result<SuddenGains, super::StatisticError> {
    let mut sg = SuddenGains::default();
    for o in r.of_arm(args.arm(0)?) {
        let s = score_series(&o.course);
        if s.len() < 4 {
            continue;
        }
        match first_sudden_gain(&s, r.inst().rc_threshold) {
            Some(g) => {
                sg.gainers.push(o.course.final_score);
                sg.gains.push(g);
                sg.totals.push(improvement(&o.course));
            }
            None => sg.others.push(o.course.final_score),
        }
    }
    Ok(sg)
}

/// Sudden-gain prevalence (S2): the share of an arm's patients with at least 4 scores who have
/// a sudden gain.
fn sudden_gain_prevalence(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let sg = sudden_gains(r, args)?;
    Ok(share(sg.gainers.len(), sg.gainers.len() + sg.others.len()))
}

/// The gainers' mean gain over their mean total improvement, intake to final (S3: "a mean gain
/// of 11 BDI points, 50% of total improvement"; a ratio of means, as a per-patient ratio
/// explodes when a gainer's total change is near zero).
fn sudden_gain_share(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let sg = sudden_gains(r, args)?;
    Ok(mean(&sg.gains) / mean(&sg.totals))
}

/// Hedges' g on final scores, sudden gainers vs others (S4).
fn sudden_gain_d(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let sg = sudden_gains(r, args)?;
    Ok(sample::hedges_g(&sg.gainers, &sg.others))
}

/// Early responders vs others among cases (intake at or above the cut-off) who attended
/// session 5 (four weeks of sessions): early response = the pre-session score of session 5 is
/// at least 25% below intake, the percentage definition common in the depression studies Beard
/// & Delgadillo (2019) pooled; g on final scores (E1). An absolute criterion (the
/// reliable-change threshold) would select patients by intake severity, whose end scores are
/// higher for that reason alone.
fn early_response_d(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let (mut early, mut late) = (vec![], vec![]);
    for o in r.cases() {
        let Some(s5) = o
            .course
            .sessions
            .iter()
            .find(|s| s.attended && s.session == 5)
        else {
            continue;
        };
        if o.course.intake_score - s5.symptom_score >= 0.25 * o.course.intake_score {
            early.push(o.course.final_score)
        } else {
            late.push(o.course.final_score)
        }
    }
    Ok(sample::hedges_g(&early, &late))
}

#[cfg(test)]
mod tests {
    use super::first_sudden_gain;

    #[test]
    fn a_large_stable_drop_is_a_sudden_gain_and_a_blip_is_not() {
        // 20 -> 10 is at least the threshold, 25% of the pre-gain score, and stays down.
        assert_eq!(
            first_sudden_gain(&[22.0, 21.0, 20.0, 10.0, 9.0, 10.0], 6.0),
            Some(10.0)
        );
        // The same drop that bounces back is not stable.
        assert_eq!(
            first_sudden_gain(&[22.0, 21.0, 20.0, 10.0, 21.0, 22.0], 6.0),
            None
        );
        // Below the reliable-change threshold.
        assert_eq!(
            first_sudden_gain(&[22.0, 21.0, 20.0, 16.0, 15.0, 16.0], 6.0),
            None
        );
    }
}
