//! An experiment's series figures (`figure_NAME.svg`, `.png` of `bordin experiment`): curves of a
//! statistic against a number, each with its Monte Carlo ribbon.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{Key, arm_colour, integer_label, mesh, span_label, titled_with_legend};
use super::{Chart, DrawResult};

/// One curve of a [`SeriesChart`].
#[derive(Clone, Debug)]
pub struct SeriesCurve {
    pub name: String,
    /// Points with a NaN value are left out.
    pub points: Vec<SeriesPoint>,
}

/// One point of a [`SeriesCurve`].
#[derive(Clone, Copy, Debug)]
pub struct SeriesPoint {
    pub x: f64,
    /// The statistic's mean over replicates.
    pub value: f64,
    /// Its Monte Carlo standard error (the ribbon is ± 1.96 of it; none when not finite).
    pub se: f64,
}

/// Curves of a statistic against a number, each with a ± 1.96 SE ribbon. Curve `k` has
/// [`arm_colour`] `k`; odd curves are dashed with hollow markers, so coinciding curves both
/// show.
#[derive(Clone, Debug)]
pub struct SeriesChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub curves: Vec<SeriesCurve>,
}

/// The ribbon's legend swatch.
const RIBBON: RGBColor = RGBColor(0xD6, 0xD6, 0xD6);

impl Chart for SeriesChart {
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1100, 700))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = titled_with_legend(root, &self.title, &legend(self))?;
        let ((xlo, xhi), (ylo, yhi)) = ranges(self);
        let xr = (xlo - 0.5)..(xhi + 0.5);
        let mut chart = ChartBuilder::on(&body)
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(xr, ylo..yhi)?;
        mesh(&mut chart.configure_mesh())
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(((xhi - xlo) as usize + 1).min(16))
            .x_label_formatter(&integer_label)
            .y_labels(8)
            .y_label_formatter(&span_label(yhi - ylo))
            .draw()?;
        for (k, s) in self.curves.iter().enumerate() {
            let pts = finite(s);
            if pts.len() > 1 {
                let mut ribbon: Vec<(f64, f64)> = pts.iter().map(|&(x, v, h)| (x, v + h)).collect();
                ribbon.extend(pts.iter().rev().map(|&(x, v, h)| (x, v - h)));
                chart.draw_series(std::iter::once(Polygon::new(
                    ribbon,
                    arm_colour(k).mix(0.18).filled(),
                )))?;
            }
        }
        for (k, s) in self.curves.iter().enumerate() {
            let col = arm_colour(k);
            let pts: Vec<(f64, f64)> = finite(s).iter().map(|&(x, v, _)| (x, v)).collect();
            if k % 2 == 0 {
                chart.draw_series(LineSeries::new(pts.iter().copied(), col.stroke_width(3)))?;
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, col.filled())))?;
            } else {
                chart.draw_series(DashedLineSeries::new(
                    pts.iter().copied(),
                    10,
                    6,
                    col.stroke_width(3),
                ))?;
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, WHITE.filled())))?;
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, col.stroke_width(2))))?;
            }
        }
        Ok(())
    }
}

fn legend(c: &SeriesChart) -> Vec<(Key, String)> {
    let mut legend: Vec<(Key, String)> = c
        .curves
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let col = arm_colour(k);
            let swatch = if k % 2 == 0 {
                Key::Line(col)
            } else {
                Key::Dashed(col)
            };
            (swatch, s.name.clone())
        })
        .collect();
    legend.push((
        Key::Fill(RIBBON),
        "shaded: 95% Monte Carlo interval (± 1.96 SE)".into(),
    ));
    legend
}

/// A curve's points with a value: `(x, value, 1.96 SE)` (no ribbon where the SE is not finite).
fn finite(s: &SeriesCurve) -> Vec<(f64, f64, f64)> {
    s.points
        .iter()
        .filter(|p| p.x.is_finite() && p.value.is_finite())
        .map(|p| {
            let half = if p.se.is_finite() { 1.96 * p.se } else { 0.0 };
            (p.x, p.value, half)
        })
        .collect()
}

/// The extent of the points (x) and of their ribbons (y, from zero for non-negative values,
/// padded).
fn ranges(c: &SeriesChart) -> ((f64, f64), (f64, f64)) {
    let (mut xlo, mut xhi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut ylo, mut yhi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &c.curves {
        for (x, v, h) in finite(s) {
            xlo = xlo.min(x);
            xhi = xhi.max(x);
            ylo = ylo.min(v - h);
            yhi = yhi.max(v + h);
        }
    }
    if !xlo.is_finite() {
        (xlo, xhi, ylo, yhi) = (0.0, 1.0, 0.0, 1.0);
    }
    if ylo >= 0.0 {
        ylo = 0.0;
    }
    if yhi <= ylo {
        yhi = ylo + 1.0;
    }
    let ypad = 0.05 * (yhi - ylo);
    (
        (xlo, xhi),
        (if ylo == 0.0 { 0.0 } else { ylo - ypad }, yhi + ypad),
    )
}
