//! Therapist effects: how much of the outcome variance lies between therapists, what
//! facilitative interpersonal skill explains of it (Anderson et al. 2009), and the alliance's
//! between- and within-therapist parts (Baldwin et al. 2007), by REML random-intercept models;
//! how much therapists differ in dropout and deterioration (Saxon et al. 2017), by logistic
//! random-intercept models.

use super::args::Args;
use super::{Family, Replicate, Statistic, Value};
use crate::model::attendance::Ending;
use crate::model::instrument::ChangeClass;
use crate::sim::engine::PatientOutcome;
use crate::stats::glmm::logistic_random_intercept;
use crate::stats::var;
use crate::stats::{Design, random_intercept};

pub(super) const FAMILY: Family = Family {
    name: "Therapist effects",
    file: file!(),
    statistics: &[
        Statistic {
            name: "therapist_icc",
            args: &[],
            doc: "ICC of final ~ intake + arm + (1 | therapist), patients of therapy arms.",
            source: "",
            compute: therapist_icc,
        },
        Statistic {
            name: "fis_share_of_therapist_variance",
            args: &[],
            doc: "Share of the between-therapist outcome variance therapist FIS explains.",
            source: "Anderson et al. 2009",
            compute: fis_share_of_therapist_variance,
        },
        Statistic {
            name: "therapist_dropout_icc",
            args: &[],
            doc: "Latent-scale ICC of dropout ~ intake + arm + (1 | therapist), logistic.",
            source: "Saxon et al. 2017",
            compute: therapist_dropout_icc,
        },
        Statistic {
            name: "therapist_deterioration_icc",
            args: &[],
            doc: "Latent-scale ICC of reliable deterioration ~ intake + arm + (1 | therapist).",
            source: "Saxon et al. 2017",
            compute: therapist_deterioration_icc,
        },
        Statistic {
            name: "alliance_within_beta",
            args: &[],
            doc: "Standardised within-therapist alliance coefficient on final scores.",
            source: "Baldwin et al. 2007",
            compute: alliance_within_beta,
        },
        Statistic {
            name: "alliance_between_minus_within_beta",
            args: &[],
            doc: "Standardised between- minus within-therapist alliance coefficient.",
            source: "Baldwin et al. 2007",
            compute: alliance_between_minus_within_beta,
        },
    ],
};

/// Patients of therapy arms with their therapist (a unique index over pools) and the
/// therapist's FIS.
fn with_therapist<'o>(r: &Replicate<'o>) -> Vec<(&'o PatientOutcome, usize, f64)> {
    let mut offsets = vec![0usize];
    for pool in r.therapists {
        offsets.push(offsets.last().copied().unwrap_or(0) + pool.len());
    }
    r.outcomes
        .iter()
        .filter_map(|o| {
            let pool = r.scenario.arms[o.arm].pool?;
            let t = o.course.first_therapist? as usize;
            Some((o, offsets[pool] + t, r.therapists[pool][t].traits.fis))
        })
        .collect()
}

/// The case-mix design of a therapist-effects model over `rows`: intercept, intake score,
/// therapist FIS if asked, and each arm as a fixed effect, so that differences between arms
/// are not counted as therapist variance.
fn case_mix(rows: &[(&PatientOutcome, usize, f64)], arms: usize, with_fis: bool) -> Design {
    let mut x = Design::intercept(rows.len()).with(
        "intake",
        rows.iter().map(|(o, _, _)| o.course.intake_score).collect(),
    );
    if with_fis {
        x = x.with("fis", rows.iter().map(|(_, _, f)| *f).collect());
    }
    for a in 1..arms {
        if rows.iter().any(|(o, _, _)| o.arm == a) && rows.iter().any(|(o, _, _)| o.arm != a) {
            x = x.with(
                format!("arm{a}"),
                rows.iter()
                    .map(|(o, _, _)| f64::from(u8::from(o.arm == a)))
                    .collect(),
            );
        }
    }
    x
}

/// Fits final ~ intake [+ fis] + arm + (1 | therapist); returns (ICC, tau^2).
fn therapist_model(r: &Replicate<'_>, with_fis: bool) -> Option<(f64, f64)> {
    let rows = with_therapist(r);
    let y: Vec<f64> = rows.iter().map(|(o, _, _)| o.course.final_score).collect();
    let x = case_mix(&rows, r.scenario.arms.len(), with_fis);
    let group: Vec<usize> = rows.iter().map(|(_, g, _)| *g).collect();
    let fit = random_intercept(&y, &x, "therapist", &group).ok()?;
    let tau2 = fit.var_comps.first()?.var(0);
    Some((fit.icc()?, tau2))
}

/// Latent-scale ICC of a binary `event` between first therapists: the logistic random-intercept
/// fit of event ~ intake + arm + (1 | therapist) by adaptive quadrature (25 nodes, as validated
/// against glmer), among patients of therapy arms who attended a session.
fn therapist_event_icc(r: &Replicate<'_>, event: impl Fn(&PatientOutcome) -> bool) -> f64 {
    let rows: Vec<_> = with_therapist(r)
        .into_iter()
        .filter(|(o, _, _)| o.course.sessions_attended > 0)
        .collect();
    let y: Vec<f64> = rows
        .iter()
        .map(|(o, _, _)| f64::from(u8::from(event(o))))
        .collect();
    let x = case_mix(&rows, r.scenario.arms.len(), false);
    let group: Vec<usize> = rows.iter().map(|(_, g, _)| *g).collect();
    logistic_random_intercept(&y, &x, &group, 25).map_or(f64::NAN, |f| f.icc())
}

/// How much therapists differ in dropout (K15): [`therapist_event_icc`] of dropping out.
fn therapist_dropout_icc(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(therapist_event_icc(r, |o| {
        o.course.ending == Ending::DroppedOut
    }))
}

/// How much therapists differ in deterioration (K16): [`therapist_event_icc`] of a reliable
/// deterioration, final score against intake.
fn therapist_deterioration_icc(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    let inst = &r.scenario.instrument;
    Ok(therapist_event_icc(r, |o| {
        inst.classify(o.course.intake_score, o.course.final_score) == ChangeClass::Deteriorated
    }))
}

/// Therapist effects (T5-T8): ICC = tau^2 / (tau^2 + sigma^2) of the REML fit of final ~
/// intake + arm + (1 | therapist), among patients of therapy arms (first therapist), as
/// docs/findings.md defines it (case-mix adjusted by intake).
fn therapist_icc(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(therapist_model(r, false).map_or(f64::NAN, |(icc, _)| icc))
}

/// Share of the between-therapist variance of outcome that therapist FIS explains (T10):
/// 1 - tau^2 with FIS as a therapist-level covariate / tau^2 without.
fn fis_share_of_therapist_variance(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(
        match (therapist_model(r, false), therapist_model(r, true)) {
            (Some((_, t0)), Some((_, t1))) if t0 > 0.0 => 1.0 - t1 / t0,
            _ => f64::NAN,
        },
    )
}

/// Baldwin et al. (T1): final ~ intake + alliance_between + alliance_within + (1 | therapist),
/// alliance = patient WAI-SR at session 3 split into the therapist's mean and the patient's
/// deviation from it. Returns the standardised coefficients (b x SD(x) / SD(final), sign set
/// so benefit is positive) of between and within.
fn alliance_split(r: &Replicate<'_>) -> Option<(f64, f64)> {
    let rows: Vec<_> = with_therapist(r)
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
    let x = Design::intercept(rows.len())
        .with(
            "intake",
            rows.iter().map(|(o, _, _)| o.course.intake_score).collect(),
        )
        .with("between", centred.between.clone())
        .with("within", centred.within.clone());
    let fit = random_intercept(&y, &x, "therapist", &group).ok()?;
    let sd_y = var(&y).sqrt();
    let std = |name: &str, xs: &[f64]| fit.coef(name).map(|c| -c.estimate * var(xs).sqrt() / sd_y);
    Some((
        std("between", &centred.between)?,
        std("within", &centred.within)?,
    ))
}

/// The within-therapist coefficient of [`alliance_split`] (T1b, T4).
fn alliance_within_beta(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(alliance_split(r).map_or(f64::NAN, |(_, within)| within))
}

/// Between minus within coefficient of [`alliance_split`] (T1a).
fn alliance_between_minus_within_beta(r: &Replicate<'_>, _: &Args<'_>) -> Value {
    Ok(alliance_split(r).map_or(f64::NAN, |(between, within)| between - within))
}
