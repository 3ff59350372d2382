//! The summary table `bordin run` prints, and the cell formats of printed tables.

use crate::analysis::SummaryStats;
use crate::analysis::intervals::ReplicateInterval;
use crate::io::format::num;
use crate::scenario::Scenario;

/// A share as a percentage with one decimal for printed tables (`-` when undefined).
pub(crate) fn table_percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// A number with two decimals for printed tables (`-` when undefined).
pub(crate) fn table_2dp(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// The human summary table printed at the end of `run`.
pub fn summary_table(scenario: &Scenario, pooled: &[SummaryStats]) -> String {
    let (pct, f2) = (table_percent, table_2dp);
    let headers = [
        "arm",
        "patients",
        "dropout",
        "sessions",
        "change",
        "pre-post d",
        "reliably improved",
        "recovered",
        "deteriorated",
        "alliance-outcome r",
    ];
    let rows: Vec<Vec<String>> = scenario
        .arms
        .iter()
        .zip(pooled)
        .map(|(a, r)| {
            vec![
                a.name.clone(),
                r.n.to_string(),
                pct(r.dropout),
                f2(r.mean_sessions),
                f2(r.mean_change),
                f2(r.pre_post_d),
                pct(r.reliable_improvement),
                pct(r.recovery),
                pct(r.deterioration),
                f2(r.alliance_outcome_r),
            ]
        })
        .collect();
    let mut out = aligned(&headers, &rows, 1);
    out.push_str(&format!(
        "{} on {}: change = final - intake score (negative = improvement); recovered among cases at intake (score >= {}); reliable change >= {} points.\n",
        scenario.name,
        scenario.instrument.name,
        num(scenario.instrument.cutoff, 2),
        num(scenario.instrument.rc_threshold, 2)
    ));
    for (a, r) in scenario.arms.iter().zip(pooled) {
        if r.n == 0 {
            out.push_str(&format!(
                "note: arm {} received no patients (allocation {} of {}); its cells are empty.\n",
                a.name,
                num(a.allocation, 6),
                num(scenario.arms.iter().map(|a| a.allocation).sum(), 6)
            ));
        }
    }
    out
}

/// A printed table: the first `left` columns left-aligned, the others right-aligned, two
/// spaces apart.
pub(crate) fn aligned(headers: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < left {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// The statistics of the printed interval table, with their labels and whether a share.
const INTERVAL_ROWS: [(&str, &str, bool); 8] = [
    ("dropout", "dropout", true),
    ("mean_sessions", "sessions", false),
    ("mean_change", "change", false),
    ("pre_post_d", "pre-post d", false),
    ("reliable_improvement", "reliably improved", true),
    ("recovery", "recovered", true),
    ("deterioration", "deteriorated", true),
    ("alliance_outcome_r", "alliance-outcome r", false),
];

/// The printed table of intervals over replicates (`intervals.csv` has every statistic):
/// per arm and statistic of [`summary_table`], the mean and the 2.5%, 50% and 97.5% quantiles.
pub fn interval_table(intervals: &[ReplicateInterval]) -> String {
    let headers = ["arm", "statistic", "mean", "2.5%", "median", "97.5%"];
    let mut rows = Vec::new();
    let mut arms: Vec<&str> = Vec::new();
    for iv in intervals {
        if !arms.contains(&iv.arm.as_str()) {
            arms.push(&iv.arm);
        }
    }
    for arm in arms {
        for (stat, label, share) in INTERVAL_ROWS {
            let Some(iv) = intervals
                .iter()
                .find(|i| i.arm == arm && i.statistic == stat)
            else {
                continue;
            };
            let f = if share { table_percent } else { table_2dp };
            rows.push(vec![
                arm.to_string(),
                label.to_string(),
                f(iv.mean),
                f(iv.q025),
                f(iv.q50),
                f(iv.q975),
            ]);
        }
    }
    aligned(&headers, &rows, 2)
}
