//! Charts, as SVG documents and PNG files (drawn with plotters): one file per chart family,
//! the house style once.
//!
//! - `style`: the embedded font ([`FONT`]), Okabe-Ito colours ([`arm_colour`]), text sizes, the
//!   mesh, legends, markers and tick labels every family shares.
//! - `trace`: one patient's alliance and symptoms by session ([`TraceChart`]; `bordin trace`,
//!   the report's example patients).
//! - `power`: power and type I error against patients per arm ([`PowerChart`]; `bordin power`).
//! - `run/`: the charts of a run directory ([`RunChart`]; `bordin report`), one file each:
//!   `distribution`, `classes`, `lines` (dose-effect, rupture and repair rates), `scatter`
//!   (alliance and outcome), `caterpillar` (therapist effects), `trajectories`.
//! - `forest` and `series`: an experiment's figures ([`ForestChart`], [`SeriesChart`];
//!   `bordin experiment`); the forest chart also draws `bordin sensitivity`'s indices with
//!   their bootstrap intervals.
//! - `posterior`: a calibration's marginals and pairwise scatter ([`MarginalsChart`],
//!   [`PairsChart`]; `bordin calibrate --posterior`).
//!
//! Each chart is a value that implements [`Chart`]; [`svg`] and [`png`] render any of them.

mod forest;
mod posterior;
mod power;
mod run;
mod series;
mod style;
mod trace;

use std::path::Path;

use crate::error::Error;
use crate::io::{AtomicFile, FileRecord, sha256_hex};

use plotters::coord::Shift;
use plotters::prelude::*;

pub use forest::{ForestChart, ForestItem, ForestPanel, MONTE_CARLO_VALUES};
pub use posterior::{MarginalPanel, MarginalsChart, PairsChart};
pub use power::{PowerChart, PowerPoint, PowerSeries};
pub use run::RunChart;
pub use run::caterpillar::{Caterpillar, TherapistEffect};
pub use run::classes::ClassShares;
pub use run::distribution::{ArmHistogram, ChangeHistogram};
pub use run::lines::{LineChart, LineData, LinePanel};
pub use run::scatter::{AllianceScatter, ScatterArm};
pub use run::trajectories::{Spaghetti, SpaghettiArm};
pub use series::{SeriesChart, SeriesCurve, SeriesPoint};
pub use style::{FONT, arm_colour, arm_colour_hex};
pub use trace::{ChartDyad, RuptureMark, TraceChart};

/// The result of drawing on a backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart: its size and how it is drawn.
pub trait Chart {
    /// Pixel size; an error when measuring the chart's text fails.
    fn size(&self) -> Result<(u32, u32), String>;

    /// Draws the chart on `root`, a white page of [`Chart::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn svg(c: &impl Chart) -> Result<String, String> {
    style::register_fonts()?;
    let size = c.size()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        paint(&root, c)?;
    }
    Ok(out)
}

/// Renders a chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn png(c: &impl Chart, path: &Path) -> Result<(), String> {
    style::register_fonts()?;
    let root = BitMapBackend::new(path, c.size()?).into_drawing_area();
    paint(&root, c)
}

/// A white page, the chart, and the page presented to its backend.
fn paint<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &impl Chart) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    c.draw(root).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Writes a chart as `dir/{stem}.svg` and `dir/{stem}.png`, each under a hidden temporary name
/// renamed into place when complete, and returns their records (SVG first) for a manifest.
///
/// # Errors
/// [`Error::Write`] naming the file, for a rendering or write failure; no temporary file is
/// left behind.
pub fn write_files(dir: &Path, stem: &str, c: &impl Chart) -> Result<[FileRecord; 2], Error> {
    let failed = |name: String| {
        let path = dir.join(name);
        move |msg: String| Error::Write {
            path,
            source: std::io::Error::other(msg),
        }
    };
    let svg_name = format!("{stem}.svg");
    let text = svg(c).map_err(failed(svg_name.clone()))?;
    let mut f = AtomicFile::create(dir, &svg_name)?;
    f.raw(text.as_bytes())?;
    let svg_record = f.commit()?;
    let png_name = format!("{stem}.png");
    // The backend picks the format from the extension, so the temporary name ends in `.png`.
    let tmp = dir.join(format!("{}.png", crate::io::atomic::temp_name(&png_name)));
    let written = png(c, &tmp)
        .map_err(failed(png_name.clone()))
        .and_then(|()| {
            std::fs::read(&tmp).map_err(|source| Error::Write {
                path: tmp.clone(),
                source,
            })
        })
        .and_then(|bytes| {
            std::fs::rename(&tmp, dir.join(&png_name))
                .map(|()| bytes)
                .map_err(|source| Error::Write {
                    path: dir.join(&png_name),
                    source,
                })
        });
    let bytes = written.inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    let png_record = FileRecord {
        file: png_name,
        rows: 0,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
    };
    Ok([svg_record, png_record])
}
