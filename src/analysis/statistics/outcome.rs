//! Outcome: intake, change, recovery and deterioration (Jacobson & Truax; IAPT conventions),
//! and effect sizes between arms.

use super::args::{Args, ONE_ARM, TWO_ARMS};
use super::measured::post;
use super::sample::{self, share};
use super::{Arg, ArgKind, Family, Replicate, Statistic, Value};
use crate::model::instrument::{ChangeClass, Instrument};
use crate::sim::engine::PatientOutcome;
use crate::stats::{mean, var};

pub(super) const FAMILY: Family = Family {
    name: "Outcome: intake, change, recovery, deterioration and effect sizes",
    file: file!(),
    statistics: &[
        Statistic {
            name: "intake_mean",
            args: &[],
            doc: "Mean intake score of all patients.",
            source: "",
            compute: intake_mean,
        },
        Statistic {
            name: "intake_sd",
            args: &[],
            doc: "SD of the intake scores of all patients.",
            source: "",
            compute: intake_sd,
        },
        Statistic {
            name: "jacobson_truax_threshold",
            args: &[],
            doc: "The instrument's reliable-change threshold from its SD and reliability.",
            source: "Jacobson & Truax 1991",
            compute: jacobson_truax_threshold,
        },
        Statistic {
            name: "deterioration",
            args: &[],
            doc: "Share of all patients reliably deteriorated, final vs intake.",
            source: "",
            compute: deterioration,
        },
        Statistic {
            name: "iapt_reliable_recovery",
            args: &[],
            doc: "Share reliably recovered among cases who attended 2+ sessions.",
            source: "IAPT outcome conventions",
            compute: iapt_reliable_recovery,
        },
        Statistic {
            name: "iapt_reliable_improvement",
            args: &[],
            doc: "Share reliably improved among cases who attended 2+ sessions.",
            source: "IAPT outcome conventions",
            compute: iapt_reliable_improvement,
        },
        Statistic {
            name: "iapt_reliable_deterioration",
            args: &[],
            doc: "Share reliably deteriorated among cases who attended 2+ sessions.",
            source: "IAPT outcome conventions",
            compute: iapt_reliable_deterioration,
        },
        Statistic {
            name: "reliable_improvement",
            args: ONE_ARM,
            doc: "Share of an arm reliably improved, final vs intake.",
            source: "Jacobson & Truax 1991",
            compute: reliable_improvement,
        },
        Statistic {
            name: "not_reliably_improved",
            args: ONE_ARM,
            doc: "Share of an arm not reliably improved, final vs intake.",
            source: "Jacobson & Truax 1991",
            compute: not_reliably_improved,
        },
        Statistic {
            name: "below_cutoff_at_post",
            args: ONE_ARM,
            doc: "Share of an arm below the cut-off at the post assessment.",
            source: "",
            compute: below_cutoff_at_post,
        },
        Statistic {
            name: "pre_post_d",
            args: ONE_ARM,
            doc: "Within-group d of an arm: mean(intake - post) / SD(intake).",
            source: "",
            compute: pre_post_d,
        },
        Statistic {
            name: "mean_post",
            args: ONE_ARM,
            doc: "Mean post score of an arm.",
            source: "",
            compute: mean_post,
        },
        Statistic {
            name: "hedges_g",
            args: G_ARGS,
            doc: "Hedges' g on post scores, arm a vs arm b (`controls`: every other arm).",
            source: "",
            compute: hedges_g,
        },
        Statistic {
            name: "abs_hedges_g",
            args: G_ARGS,
            doc: "Absolute Hedges' g on post scores, arm a vs arm b (`controls`: every other arm).",
            source: "",
            compute: abs_hedges_g,
        },
        Statistic {
            name: "paired_post_difference",
            args: TWO_ARMS,
            doc: "True effect of arm a vs b: mean paired difference of potential post scores.",
            source: "",
            compute: paired_post_difference,
        },
        Statistic {
            name: "ending_share",
            args: &[
                Arg {
                    name: "arm",
                    kind: ArgKind::Arm,
                },
                Arg {
                    name: "ending",
                    kind: ArgKind::Ending,
                },
            ],
            doc: "Share of an arm's patients with an ending.",
            source: "",
            compute: ending_share,
        },
    ],
};

/// The arguments of Hedges' g: arm `a`, and arm `b` or `controls`.
const G_ARGS: &[Arg] = &[
    Arg {
        name: "a",
        kind: ArgKind::Arm,
    },
    Arg {
        name: "b",
        kind: ArgKind::ArmOrControls,
    },
];

/// Mean intake score of all patients.
fn intake_mean(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(mean(
        &r.outcomes
            .iter()
            .map(|o| o.course.intake_score)
            .collect::<Vec<_>>(),
    ))
}

/// Sample SD of the intake scores of all patients.
fn intake_sd(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(var(&r
        .outcomes
        .iter()
        .map(|o| o.course.intake_score)
        .collect::<Vec<_>>())
    .sqrt())
}

/// The scenario instrument's Jacobson-Truax threshold from its SD and reliability (M1).
fn jacobson_truax_threshold(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let inst = r.inst();
    Ok(Instrument::jacobson_truax_threshold(
        inst.sd,
        inst.reliability,
    ))
}

/// Share of all patients reliably deteriorated, final vs intake (O1).
fn deterioration(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let inst = r.inst();
    Ok(share(
        r.outcomes
            .iter()
            .filter(|o| {
                inst.classify(o.course.intake_score, o.course.final_score)
                    == ChangeClass::Deteriorated
            })
            .count(),
        r.outcomes.len(),
    ))
}

/// IAPT outcome rates (O3): the share of cases at intake who attended at least 2 sessions
/// whose change from intake to final is `hit`.
fn iapt_rate(r: &Replicate<'_>, hit: fn(ChangeClass) -> bool) -> f64 {
    let inst = r.inst();
    let cases: Vec<ChangeClass> = r
        .outcomes
        .iter()
        .filter(|o| o.course.sessions_attended >= 2 && inst.is_case(o.course.intake_score))
        .map(|o| inst.classify(o.course.intake_score, o.course.final_score))
        .collect();
    share(cases.iter().filter(|c| hit(**c)).count(), cases.len())
}

/// IAPT reliable recovery (O3): reliably improved and below the cut-off at the end, among
/// cases at intake who attended at least 2 sessions.
fn iapt_reliable_recovery(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(iapt_rate(r, |c| c == ChangeClass::Recovered))
}

/// IAPT reliable improvement (O3), among cases at intake who attended at least 2 sessions.
fn iapt_reliable_improvement(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(iapt_rate(r, ChangeClass::reliably_improved))
}

/// IAPT reliable deterioration (O3), among cases at intake who attended at least 2 sessions.
fn iapt_reliable_deterioration(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(iapt_rate(r, |c| c == ChangeClass::Deteriorated))
}

/// Share of an arm reliably improved (recovered or improved), final vs intake.
fn reliably_improved_share(r: &Replicate<'_>, arm: usize) -> f64 {
    let inst = r.inst();
    let os = r.of_arm(arm);
    let k = os
        .iter()
        .filter(|o| {
            inst.classify(o.course.intake_score, o.course.final_score)
                .reliably_improved()
        })
        .count();
    share(k, os.len())
}

/// Share of an arm reliably improved, final vs intake (D5, D6).
fn reliable_improvement(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    Ok(reliably_improved_share(r, args.arm(0)?))
}

/// Share of an arm not reliably improved, final vs intake (O2).
fn not_reliably_improved(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    Ok(1.0 - reliably_improved_share(r, args.arm(0)?))
}

/// Share of an arm below the cut-off at the post assessment (O4).
fn below_cutoff_at_post(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let inst = r.inst();
    let os = r.of_arm(args.arm(0)?);
    Ok(share(
        os.iter()
            .filter(|o| !inst.is_case(o.course.post_score))
            .count(),
        os.len(),
    ))
}

/// Within-group pre-post d of an arm: mean(intake - post) / SD(intake) (M10).
fn pre_post_d(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let os = r.of_arm(args.arm(0)?);
    let intake: Vec<f64> = os.iter().map(|o| o.course.intake_score).collect();
    Ok(mean(
        &os.iter()
            .map(|o| o.course.intake_score - o.course.post_score)
            .collect::<Vec<_>>(),
    ) / var(&intake).sqrt())
}

/// Mean post score of an arm.
fn mean_post(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    Ok(mean(&post(&r.of_arm(args.arm(0)?))))
}

/// Hedges' g on post scores, arm a vs arm b; b = `controls` pools every other arm (M8, M9).
fn hedges_g(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let a = args.arm(0)?;
    let b: Vec<&PatientOutcome> = match args.arm_or_controls(1)? {
        None => r.outcomes.iter().filter(|o| o.arm != a).collect(),
        Some(b) => r.of_arm(b),
    };
    Ok(sample::hedges_g(&post(&r.of_arm(a)), &post(&b)))
}

/// The absolute value of [`hedges_g`] (M11, M12: bona fide therapies do not differ).
fn abs_hedges_g(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    hedges_g(r, args).map(f64::abs)
}

/// The true causal effect of arm a vs arm b: mean over all patients of the potential post
/// score under a minus under b (common random numbers; needs counterfactual runs).
fn paired_post_difference(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let (a, b) = (args.arm(0)?, args.arm(1)?);
    Ok(mean(
        &r.outcomes
            .iter()
            .filter(|o| o.potential.len() > a.max(b))
            .map(|o| o.potential[a].post_score - o.potential[b].post_score)
            .collect::<Vec<_>>(),
    ))
}

/// Share of an arm's patients with an ending (`completed`, `good_enough`, `dropped_out`,
/// `stopped`, `waitlist`).
fn ending_share(r: &Replicate<'_>, args: &Args<'_>) -> Value {
    let os = r.of_arm(args.arm(0)?);
    let e = args.ending(1)?;
    Ok(share(
        os.iter().filter(|o| o.course.ending == e).count(),
        os.len(),
    ))
}
