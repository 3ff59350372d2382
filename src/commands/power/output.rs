//! The output directory of `bordin power`: `power.csv`, `replicates.csv`, `target.csv`, the
//! chart (`power.svg`, `power.png`), the datasets of `--emit-datasets` and `manifest.json`.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::manifest::Manifest;
use crate::io::{AtomicFile, FileRecord, Owned, num};

use super::PowerRequest;
use super::design::{Plan, PowerResults, TargetResult};
use super::report;
use super::settings::Test;
use super::simulate::{Hypothesis, TrialData};
use super::summary::{PowerRow, chart};

/// The files `bordin power` writes at the top of its output directory.
const POWER_FILES: &[&str] = &[
    "power.csv",
    "replicates.csv",
    "failures.csv",
    "target.csv",
    "power_report.md",
    "power_report.html",
    "power.svg",
    "power.png",
    "manifest.json",
];

/// The chart's files: `power.svg` and `power.png` ([`crate::plot::write_files`]).
const CHART_STEM: &str = "power";

/// Subdirectory of the trial datasets written by `--emit-datasets`.
const DATASET_DIR: &str = "datasets";

/// The file name of a dataset, relative to the output directory.
pub(super) fn dataset_name(n: u64, hypothesis: Hypothesis, replicate: u64) -> String {
    format!(
        "{DATASET_DIR}/n{n:04}_{}_rep{replicate:04}.csv",
        hypothesis.as_str()
    )
}

/// The outputs of `bordin power`: with `--force`, an earlier power analysis's files (its
/// tables, chart, manifest and datasets) are replaced; other files stay.
pub(super) const POWER_OUTPUTS: Owned = Owned {
    owns: is_power_file,
    subdirs: &[DATASET_DIR],
};

fn is_power_file(path: &str) -> bool {
    POWER_FILES.contains(&path)
        || path
            .strip_prefix(DATASET_DIR)
            .and_then(|p| p.strip_prefix("/n"))
            .is_some_and(|p| p.contains("_effect_rep") || p.contains("_null_rep"))
}

const DATASET_COLUMNS: &[&str] = &[
    "patient",
    "arm",
    "treat",
    "therapist_id",
    "occasion",
    "session",
    "week",
    "score",
    "observed",
    "ending",
    "dropped_out",
];

pub(super) fn write_dataset(out: &Path, name: &str, d: &TrialData) -> Result<FileRecord> {
    let dir = out.join(DATASET_DIR);
    fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let file = name
        .trim_start_matches(&format!("{DATASET_DIR}/"))
        .to_string();
    let mut f = AtomicFile::create(&dir, &file)?;
    f.record(DATASET_COLUMNS)?;
    for p in &d.patients {
        for o in &p.occasions {
            f.record([
                p.patient.to_string(),
                d.arms[usize::from(p.treat)].clone(),
                u8::from(p.treat).to_string(),
                p.therapist
                    .map_or(String::new(), |t| d.therapist_ids[t].clone()),
                o.kind.to_string(),
                o.session.map_or(String::new(), |s| s.to_string()),
                o.week.to_string(),
                o.score.map_or(String::new(), |y| num(y, 6)),
                u8::from(o.score.is_some()).to_string(),
                p.ending.as_str().to_string(),
                u8::from(p.dropped_out()).to_string(),
            ])?;
        }
    }
    let mut rec = f.commit()?;
    rec.file = name.to_string();
    Ok(rec)
}

/// Writes the tables and the chart of the results.
pub(super) fn write_results(
    out: &Path,
    plan: &Plan,
    results: &PowerResults,
) -> Result<Vec<FileRecord>> {
    let mut files = vec![
        write_power_csv(out, &results.rows, plan.settings.hypothesis)?,
        write_replicates_csv(out, plan, results)?,
        write_failures_csv(out, plan, results)?,
    ];
    if plan.settings.target_power.is_some() {
        files.push(write_target_csv(out, &results.targets)?);
    }
    files.extend(crate::plot::write_files(
        out,
        CHART_STEM,
        &chart(plan, results),
    )?);
    Ok(files)
}

const POWER_COLUMNS: &[&str] = &[
    "n_per_arm",
    "analysis",
    "power",
    "power_mc_se",
    "type1",
    "bias",
    "coverage",
    "mean_estimate",
    "true_effect",
    "dropout",
    "icc",
    "d",
    "power_ci_low",
    "power_ci_high",
    "type1_mc_se",
    "bias_mc_se",
    "mean_se",
    "sd_estimate",
    "reps",
    "failed",
    "assurance",
    "hypothesis",
    "margin",
    "singular",
    "coverage_mc_se",
];

fn write_power_csv(out: &Path, rows: &[PowerRow], test: Test) -> Result<FileRecord> {
    let mut f = AtomicFile::create(out, "power.csv")?;
    f.record(POWER_COLUMNS)?;
    for r in rows {
        f.record([
            r.n_per_arm.to_string(),
            r.analysis.as_str().to_string(),
            num(r.power, 6),
            num(r.power_mc_se, 6),
            num(r.type1, 6),
            num(r.bias, 6),
            num(r.coverage, 6),
            num(r.mean_estimate, 6),
            num(r.true_effect, 6),
            num(r.dropout, 6),
            num(r.icc, 6),
            num(r.d, 6),
            num(r.power_ci_low, 6),
            num(r.power_ci_high, 6),
            num(r.type1_mc_se, 6),
            num(r.bias_mc_se, 6),
            num(r.mean_se, 6),
            num(r.sd_estimate, 6),
            r.reps.to_string(),
            r.failed.to_string(),
            num(r.power, 6),
            test.as_str().to_string(),
            num(test.margin(), 6),
            num(r.singular, 6),
            num(r.coverage_mc_se, 6),
        ])?;
    }
    f.commit()
}

const REPLICATE_COLUMNS: &[&str] = &[
    "n_per_arm",
    "replicate",
    "analysis",
    "estimate",
    "se",
    "df",
    "p",
    "ci_low",
    "ci_high",
    "dataset",
    "hypothesis",
    "true_effect",
    "reject",
    "n_analysed",
    "dropout",
    "icc",
    "d",
    "singular",
    "error",
];

fn write_replicates_csv(out: &Path, plan: &Plan, res: &PowerResults) -> Result<FileRecord> {
    let (test, alpha) = (plan.settings.hypothesis, plan.settings.alpha);
    let mut f = AtomicFile::create(out, "replicates.csv")?;
    let assumed = plan.settings.assume.iter().map(|a| a.path.as_str());
    let particle = plan.posterior.as_ref().map(|_| "particle");
    f.record(
        REPLICATE_COLUMNS
            .iter()
            .copied()
            .chain(particle)
            .chain(assumed),
    )?;
    for (&n, pt) in &res.points {
        let sets = [
            (Hypothesis::Effect, Some(&pt.effect)),
            (Hypothesis::Null, pt.null.as_ref()),
        ];
        for (h, rs) in sets {
            for r in rs.into_iter().flatten() {
                for e in &r.estimates {
                    let fields = [
                        n.to_string(),
                        r.replicate.to_string(),
                        e.analysis.as_str().to_string(),
                        num(e.estimate, 6),
                        num(e.se, 6),
                        num(e.df, 4),
                        num(e.p, 9),
                        num(e.ci_low, 6),
                        num(e.ci_high, 6),
                        pt.datasets
                            .get(&(h, r.replicate))
                            .cloned()
                            .unwrap_or_default(),
                        h.as_str().to_string(),
                        num(r.true_effect, 6),
                        // The null design's rows: the decision at the boundary of H0.
                        u8::from(e.rejects_under(
                            test,
                            alpha,
                            if h == Hypothesis::Null {
                                test.boundary()
                            } else {
                                0.0
                            },
                        ))
                        .to_string(),
                        e.n_analysed.to_string(),
                        num(r.dropout, 6),
                        num(r.icc, 6),
                        num(r.d, 6),
                        u8::from(e.singular).to_string(),
                        e.error.clone().unwrap_or_default(),
                    ];
                    let particle = plan
                        .posterior
                        .as_ref()
                        .map(|d| d.particle_id(r.replicate).to_string());
                    let drawn = r.assumed.iter().map(|&x| num(x, 9));
                    f.record(fields.into_iter().chain(particle).chain(drawn))?;
                }
            }
        }
    }
    f.commit()
}

/// A failed fit's reason without the numbers that vary between replicates (the text before
/// its first parenthesis or colon), so that failures group.
fn reason(error: &str) -> String {
    error
        .split(['(', ':'])
        .next()
        .unwrap_or(error)
        .trim()
        .to_string()
}

/// Writes `failures.csv`: per design point, design (effect or null) and analysis, each reason a
/// fit failed for, or `singular` (the fit succeeded with a variance at zero or a correlation at
/// ±1), with its count and share of the replicates. A header only when every fit succeeded
/// and none is singular.
fn write_failures_csv(out: &Path, plan: &Plan, res: &PowerResults) -> Result<FileRecord> {
    let mut f = AtomicFile::create(out, "failures.csv")?;
    f.record([
        "n_per_arm",
        "hypothesis",
        "analysis",
        "reason",
        "count",
        "share",
    ])?;
    for (&n, pt) in &res.points {
        for (h, rs) in [
            (Hypothesis::Effect, Some(&pt.effect)),
            (Hypothesis::Null, pt.null.as_ref()),
        ] {
            let Some(rs) = rs else { continue };
            for (k, a) in plan.settings.analyses.iter().enumerate() {
                let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
                for r in rs {
                    let e = &r.estimates[k];
                    let why = match &e.error {
                        Some(err) => reason(err),
                        None if e.singular => "singular".to_string(),
                        None => continue,
                    };
                    *counts.entry(why).or_default() += 1;
                }
                for (why, c) in counts {
                    f.record([
                        n.to_string(),
                        h.as_str().to_string(),
                        a.as_str().to_string(),
                        why,
                        c.to_string(),
                        num(c as f64 / rs.len() as f64, 6),
                    ])?;
                }
            }
        }
    }
    f.commit()
}

/// Writes `power_report.md` and `power_report.html` (the report for a grant or a
/// preregistration), after the chart: the page inlines `power.svg`.
pub(super) fn write_report(out: &Path, blocks: &[report::Block]) -> Result<[FileRecord; 2]> {
    let mut md = AtomicFile::create(out, "power_report.md")?;
    md.raw(report::markdown(blocks).as_bytes())?;
    let md = md.commit()?;
    let svg_path = out.join(format!("{CHART_STEM}.svg"));
    let svg = fs::read_to_string(&svg_path).map_err(|source| Error::Write {
        path: svg_path.clone(),
        source,
    })?;
    let mut html = AtomicFile::create(out, "power_report.html")?;
    html.raw(report::html(blocks, &svg).as_bytes())?;
    Ok([md, html.commit()?])
}

fn write_target_csv(out: &Path, targets: &[TargetResult]) -> Result<FileRecord> {
    let mut f = AtomicFile::create(out, "target.csv")?;
    f.record([
        "analysis",
        "target_power",
        "n_per_arm",
        "power",
        "power_mc_se",
        "reached",
    ])?;
    for t in targets {
        f.record([
            t.analysis.as_str().to_string(),
            num(t.target_power, 6),
            t.n_per_arm.to_string(),
            num(t.power, 6),
            num(t.power_mc_se, 6),
            u8::from(t.reached).to_string(),
        ])?;
    }
    f.commit()
}

pub(super) fn write_manifest(
    req: &PowerRequest,
    dir: &Path,
    plan: &Plan,
    files: &[FileRecord],
    threads: usize,
    wall_seconds: f64,
) -> Result<FileRecord> {
    let sc = &plan.scenario;
    let s = &plan.settings;
    let assume: Vec<_> = s
        .assume
        .iter()
        .map(|a| {
            serde_json::json!({
                "path": a.path,
                "prior": a.dist.to_toml().to_string().trim(),
            })
        })
        .collect();
    Manifest::new(
        &req.scenario,
        &req.scenario_source,
        &req.command_line,
        threads,
        wall_seconds,
    )
    .with("command", "power")
    .with("control_arm", &sc.arms[0].name)
    .with("treatment_arm", &sc.arms[1].name)
    .with("n_per_arm", &s.n_per_arm)
    .with("therapists_per_arm", s.therapists_per_arm)
    .with("reps", s.reps)
    .with(
        "analyses",
        s.analyses.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    )
    .with("alpha", s.alpha)
    .with("hypothesis", s.hypothesis.as_str())
    .with(
        "margin",
        s.hypothesis
            .margin()
            .is_finite()
            .then(|| s.hypothesis.margin()),
    )
    .with("target_power", s.target_power)
    .with("max_n", s.max_n)
    .with("schedule", s.schedule.label())
    .with("missing", s.missing.as_str())
    .with("emit_datasets", s.emit_datasets)
    .with("assume", assume)
    .with_posterior(plan.posterior.as_ref())
    .write(dir, files)
}
