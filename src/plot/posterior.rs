//! A calibration's posterior (`bordin calibrate --posterior`): each parameter's marginal
//! (weighted histogram of the final generation) over its prior density, and the pairwise
//! scatter of the final particles.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::style::{BLUE, GREY, INK, Key, VERMILLION, mesh, span_label, titled_with_legend};
use crate::plot::{Chart, DrawResult};

/// One parameter's marginal.
#[derive(Clone, Debug)]
pub struct MarginalPanel {
    pub key: String,
    /// The prior's support (or its central 99.8% for an unbounded prior).
    pub range: (f64, f64),
    /// `(x, prior density)` along the range.
    pub prior: Vec<(f64, f64)>,
    /// `(lower edge, density)` of the weighted histogram; bins of width `bin`.
    pub bins: Vec<(f64, f64)>,
    pub bin: f64,
    /// The scenario's value before calibration, when it has one.
    pub default: Option<f64>,
    /// The posterior's 5% and 95% quantiles.
    pub interval: (f64, f64),
}

/// Every parameter's marginal, in a grid.
#[derive(Clone, Debug)]
pub struct MarginalsChart {
    pub title: String,
    pub panels: Vec<MarginalPanel>,
}

const COLUMNS: usize = 3;

/// The histogram's fill: the house blue at half strength on white.
const FILL: RGBColor = RGBColor(0x80, 0xB8, 0xD8);

impl Chart for MarginalsChart {
    fn size(&self) -> Result<(u32, u32), String> {
        let rows = self.panels.len().div_ceil(COLUMNS).max(1) as u32;
        Ok((1200, 120 + 260 * rows))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![
            (Key::Fill(FILL), "posterior".into()),
            (Key::Line(GREY), "prior density".into()),
            (Key::Band(BLUE), "posterior 90% interval".into()),
            (Key::Dashed(VERMILLION), "value before calibration".into()),
        ];
        let body = titled_with_legend(root, &self.title, &legend)?;
        let rows = self.panels.len().div_ceil(COLUMNS).max(1);
        let areas = body.split_evenly((rows, COLUMNS));
        for (p, area) in self.panels.iter().zip(&areas) {
            panel(area, p)?;
        }
        Ok(())
    }
}

fn panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &MarginalPanel) -> DrawResult<DB> {
    let (lo, hi) = p.range;
    let top = p
        .bins
        .iter()
        .map(|b| b.1)
        .chain(p.prior.iter().map(|q| q.1))
        .fold(0.0f64, f64::max)
        .max(1e-12)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .caption(&p.key, crate::plot::style::text(15))
        .x_label_area_size(30)
        .y_label_area_size(10)
        .build_cartesian_2d(lo..hi, 0.0..top)?;
    mesh(&mut chart.configure_mesh())
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(5)
        .x_label_formatter(&span_label(hi - lo))
        .draw()?;
    let (a, b) = p.interval;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(a.max(lo), 0.0), (b.min(hi), top)],
        BLUE.mix(0.08).filled(),
    )))?;
    chart.draw_series(p.bins.iter().map(|&(edge, d)| {
        Rectangle::new(
            [(edge.max(lo), 0.0), ((edge + p.bin).min(hi), d)],
            FILL.filled(),
        )
    }))?;
    chart.draw_series(LineSeries::new(
        p.prior.iter().copied(),
        GREY.stroke_width(2),
    ))?;
    if let Some(x) = p.default.filter(|x| (lo..=hi).contains(x)) {
        chart.draw_series(DashedLineSeries::new(
            vec![(x, 0.0), (x, top)],
            6,
            4,
            VERMILLION.stroke_width(2),
        ))?;
    }
    Ok(())
}

/// The final particles, each pair of parameters (lower triangle), with the values before
/// calibration marked.
#[derive(Clone, Debug)]
pub struct PairsChart {
    pub title: String,
    pub keys: Vec<String>,
    pub ranges: Vec<(f64, f64)>,
    /// particles × parameters.
    pub particles: Vec<Vec<f64>>,
    /// Normalised weights (the dots' opacity).
    pub weights: Vec<f64>,
    pub defaults: Vec<Option<f64>>,
}

impl Chart for PairsChart {
    fn size(&self) -> Result<(u32, u32), String> {
        let k = self.keys.len().max(2) as u32 - 1;
        let side = (150 * k).max(450);
        Ok((side + 40, side + 110))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![
            (Key::Dot(BLUE), "particle (darker: more weight)".into()),
            (
                Key::Circle(VERMILLION, false),
                "values before calibration".into(),
            ),
        ];
        let body = titled_with_legend(root, &self.title, &legend)?;
        let k = self.keys.len();
        if k < 2 {
            return Ok(());
        }
        let cells = body.margin(0, 10, 30, 10).split_evenly((k - 1, k - 1));
        let wmax = self
            .weights
            .iter()
            .copied()
            .fold(0.0f64, f64::max)
            .max(1e-300);
        for row in 1..k {
            for col in 0..k - 1 {
                let area = &cells[(row - 1) * (k - 1) + col];
                if col >= row {
                    continue;
                }
                let (xl, xh) = self.ranges[col];
                let (yl, yh) = self.ranges[row];
                let mut chart = ChartBuilder::on(area)
                    .margin(3)
                    .x_label_area_size(if row == k - 1 { 18 } else { 0 })
                    .y_label_area_size(if col == 0 { 18 } else { 0 })
                    .build_cartesian_2d(xl..xh, yl..yh)?;
                let mut m = chart.configure_mesh();
                mesh(&mut m).x_labels(0).y_labels(0);
                if row == k - 1 {
                    m.x_desc(short(&self.keys[col]));
                }
                if col == 0 {
                    m.y_desc(short(&self.keys[row]));
                }
                m.axis_desc_style(crate::plot::style::text(11)).draw()?;
                chart.draw_series(self.particles.iter().zip(&self.weights).map(|(p, w)| {
                    let alpha = 0.15 + 0.75 * (w / wmax);
                    Circle::new((p[col], p[row]), 2, BLUE.mix(alpha).filled())
                }))?;
                if let (Some(x), Some(y)) = (self.defaults[col], self.defaults[row]) {
                    chart.draw_series(std::iter::once(Circle::new(
                        (x, y),
                        5,
                        VERMILLION.stroke_width(2),
                    )))?;
                }
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(xl, yl), (xh, yh)],
                    INK.mix(0.3).stroke_width(1),
                )))?;
            }
        }
        Ok(())
    }
}

/// The last part of a key path (`mechanisms.dropout.base` → `dropout.base`).
fn short(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}
