//! `bordin report RUN_DIR` (and `bordin run --report`): one self-contained HTML page for a run.
//!
//! The report reads a run directory (`manifest.json` with the resolved scenario, `summary.csv`,
//! `patients.csv`, `therapists.csv` and, when the run wrote it, `sessions.csv`) and writes
//! `RUN_DIR/report.html`: the scenario, the per-arm table pooled over replicates, seven charts
//! inline as SVG, and three example patients re-simulated with the trace module, each with its
//! chart and narrative. The charts are also written as `RUN_DIR/charts/NAME.svg` and `.png`.
//!
//! The steps, one file each: `read` (the run directory, streamed, with its errors),
//! `aggregate` (per-arm pooling and what the charts need), `charts` (the seven charts, via
//! `crate::plot`), `examples` (the three patients, via the trace module) and `html` (the page).
//!
//! Conventions:
//! - Self-contained: no network resource, no external script or style sheet. The chart font
//!   (DejaVu Sans, as in the PNGs) is embedded as a data URI, so the page looks the same on any
//!   machine. A Content-Security-Policy allows nothing else; the one inline script (it marks the
//!   page as rendered, for tests) is allowed by its hash.
//! - Every text from the run directory (scenario name, description, names, the command line)
//!   is HTML-escaped.
//! - Files are streamed, never loaded whole: `patients.csv` and `sessions.csv` are read in
//!   lockstep (both are in replicate and patient order), so memory does not grow with the run.
//! - A missing or malformed file is a usage error (exit code 2) naming the file and, for a bad
//!   value, its line and column. Without `sessions.csv` (`--sessions-output none`) the charts
//!   that need it are skipped, and the report says so.
//! - The files appear together, replacing an earlier report's (and removing the charts of an
//!   earlier report that this one does not draw), through [`crate::io::OutputDir`].

mod aggregate;
mod charts;
mod examples;
mod html;
mod read;

use std::path::{Path, PathBuf};

use crate::error::{Error, ReportError, Result};
use crate::io::{AtomicFile, Mode, OutputDir, Owned};
use crate::plot::{self, RunChart};

/// The report's file name in the run directory.
pub const REPORT_FILE: &str = "report.html";
/// The directory (in the run directory) of the chart files.
pub const CHART_DIR: &str = "charts";

/// The charts of a report: file stem, title, and whether it needs `sessions.csv`.
pub const CHARTS: &[(&str, &str, bool)] = &[
    ("outcome_distribution", "Distribution of change", false),
    ("outcome_classes", "Outcome classes", false),
    ("dose_effect", "Dose-effect", true),
    ("alliance_outcome", "Alliance and outcome", false),
    ("therapist_effects", "Therapist effects", false),
    ("rupture_repair", "Ruptures and repairs by session", true),
    ("trajectories", "Symptom trajectories", true),
];

/// Patients per arm on the trajectory chart.
pub const TRAJECTORIES_PER_ARM: usize = 40;
/// Points per arm on the alliance-outcome scatter (the fit uses every patient).
pub const SCATTER_POINTS_PER_ARM: usize = 500;
/// Patients of replicate 0 re-simulated to choose the three examples from.
pub const EXAMPLE_POOL: u64 = 400;
/// Sessions need this many attended sessions (ruptures) before a rate is drawn.
pub const MIN_SESSIONS_FOR_RATE: u64 = 20;
pub const MIN_RUPTURES_FOR_RATE: u64 = 10;

/// What `bordin report` wrote.
#[derive(Clone, Debug)]
pub struct ReportOutput {
    pub path: PathBuf,
    /// Chart files written (SVG and PNG).
    pub charts: Vec<PathBuf>,
    /// Charts skipped, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// A report's outputs in a run directory: `report.html` and the chart files.
pub const REPORT_OUTPUTS: Owned = Owned {
    owns: is_report_file,
    subdirs: &[CHART_DIR],
};

/// Whether `path` (relative to a run directory) is a file a report writes.
pub fn is_report_file(path: &str) -> bool {
    path == REPORT_FILE
        || path
            .strip_prefix(CHART_DIR)
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|f| {
                CHARTS.iter().any(|(stem, _, _)| {
                    [format!("{stem}.svg"), format!("{stem}.png")]
                        .iter()
                        .any(|n| n == f)
                })
            })
}

/// Reads a run directory and writes `report.html` and the chart files into it.
///
/// # Errors
/// A usage error (exit code 2) naming the file when one is missing or malformed; write and
/// rendering failures otherwise.
pub fn write(dir: &Path) -> Result<ReportOutput> {
    if !dir.is_dir() {
        return Err(ReportError::NotADirectory(dir.to_path_buf()).into());
    }
    let out = OutputDir::open(dir, REPORT_OUTPUTS, Mode::Update)?;
    let report = write_into(dir, out.staging(), dir)?;
    out.commit()?;
    Ok(report)
}

/// Reads the run in `run_dir` and writes the report's files into `to` (a staging directory);
/// the page and the paths returned name `shown` as the run directory.
///
/// # Errors
/// As [`write`].
pub fn write_into(run_dir: &Path, to: &Path, shown: &Path) -> Result<ReportOutput> {
    let manifest = read::read_manifest(run_dir)?;
    let sc = read::manifest_scenario(run_dir, &manifest)?;
    let pooled = aggregate::pooled_summary(run_dir, &sc)?;
    let examples = examples::examples(&sc, &manifest.scenario_source)?;
    let watch: Vec<u64> = examples.iter().map(|e| e.trace.patient.index).collect();
    let bin = aggregate::bin_width(&sc);
    let agg = aggregate::aggregate(run_dir, &sc, manifest.sessions, bin, &watch)?;
    let pools = read::therapist_pools(run_dir, agg.first_replicate.unwrap_or(0))?;
    let built = charts::build_charts(&sc, &agg, &pools, bin, manifest.sessions);
    let (figures, files, skipped) = write_charts(to, built)?;
    let traces = examples
        .iter()
        .map(|e| examples::chart_svg(e).map_err(render_error(shown.join(REPORT_FILE))))
        .collect::<Result<Vec<String>>>()?;
    let html = html::html(&html::Page {
        dir: shown,
        manifest: &manifest,
        sc: &sc,
        pooled: &pooled,
        figures: &figures,
        skipped: &skipped,
        examples: &examples,
        traces: &traces,
        finals: &agg.finals,
    });
    let mut f = AtomicFile::create(to, REPORT_FILE)?;
    f.raw(html.as_bytes())?;
    f.commit()?;
    Ok(ReportOutput {
        path: shown.join(REPORT_FILE),
        charts: files
            .iter()
            .map(|f| shown.join(CHART_DIR).join(f))
            .collect(),
        skipped,
    })
}

/// The charts drawn, the chart files written (names in the chart directory), and the charts
/// skipped with why.
type Written = (Vec<html::Figure>, Vec<String>, Vec<(String, String)>);

/// Writes the charts that were built into `dir/charts/`.
fn write_charts(dir: &Path, built: Vec<charts::Built>) -> Result<Written> {
    let cdir = dir.join(CHART_DIR);
    std::fs::create_dir_all(&cdir).map_err(|source| Error::Write {
        path: cdir.clone(),
        source,
    })?;
    let mut files = Vec::new();
    let mut figures = Vec::new();
    let mut skipped = Vec::new();
    for charts::Built {
        stem,
        chart,
        caption,
    } in built
    {
        match chart {
            Some(c) => {
                let (svg, written) = write_chart(&cdir, stem, &c)?;
                files.extend(written);
                figures.push(html::Figure {
                    stem,
                    title: html::chart_title(stem),
                    svg,
                    caption,
                });
            }
            None => {
                let reason = if caption.is_empty() {
                    "needs sessions.csv, which this run did not write (--sessions-output none)"
                        .to_string()
                } else {
                    caption
                };
                skipped.push((stem.to_string(), reason));
            }
        }
    }
    Ok((figures, files, skipped))
}

fn render_error(path: PathBuf) -> impl FnOnce(String) -> Error {
    move |msg| Error::Write {
        path,
        source: std::io::Error::other(msg),
    }
}

/// Writes one chart as `cdir/NAME.svg` and `cdir/NAME.png`; returns the SVG (read back, for
/// the page) and the file names.
fn write_chart(cdir: &Path, stem: &str, chart: &RunChart) -> Result<(String, Vec<String>)> {
    let [svg, png] = plot::write_files(cdir, stem, chart)?;
    let svg_path = cdir.join(&svg.file);
    let text = std::fs::read_to_string(&svg_path).map_err(|source| Error::Write {
        path: svg_path.clone(),
        source,
    })?;
    Ok((text, vec![svg.file, png.file]))
}
