//! The distribution of change: one histogram per arm, with the reliable-change threshold and
//! the arm's mean.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::io::num;
use crate::plot::style::{
    INK, Key, RUN_CAPTION, arm_colour, integer_label, mesh, pct_label, text, titled_with_legend,
};
use crate::plot::{Chart, DrawResult};

/// Histogram of change per arm.
#[derive(Clone, Debug)]
pub struct ChangeHistogram {
    /// Instrument display name, e.g. `PHQ-9`.
    pub instrument: String,
    /// Bin width (points).
    pub bin: f64,
    pub rc_threshold: f64,
    pub arms: Vec<ArmHistogram>,
}

/// One arm's histogram.
#[derive(Clone, Debug)]
pub struct ArmHistogram {
    pub arm: String,
    /// Index into [`arm_colour`].
    pub colour: usize,
    pub n: u64,
    pub mean: f64,
    /// `(lower edge [points], share of the arm's patients 0-1)`.
    pub bins: Vec<(f64, f64)>,
}

impl Chart for ChangeHistogram {
    /// One panel per arm, above one another.
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1000, 130 + 230 * self.arms.len().max(1) as u32))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let h = self;
        let legend = vec![
            (
                Key::Dashed(INK),
                format!("reliable change (±{} points)", num(h.rc_threshold, 2)),
            ),
            (Key::Line(INK), "mean change".to_string()),
        ];
        let title = format!(
            "Distribution of change ({} final - intake; negative = improvement)",
            h.instrument
        );
        let body = titled_with_legend(root, &title, &legend)?;
        let (x, top) = ranges(h);
        let panels = body.split_evenly((h.arms.len().max(1), 1));
        for (a, area) in h.arms.iter().zip(&panels) {
            arm_panel(area, h, a, x, top)?;
        }
        Ok(())
    }
}

/// The x range (every bin and both thresholds, with a bin to spare) and the top of the y axis
/// [% of arm], shared by the panels.
fn ranges(h: &ChangeHistogram) -> ((f64, f64), f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut top: f64 = 0.0;
    for a in &h.arms {
        for &(edge, share) in &a.bins {
            lo = lo.min(edge);
            hi = hi.max(edge + h.bin);
            top = top.max(share * 100.0);
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (-1.0, 1.0);
    }
    lo = lo.min(-h.rc_threshold - h.bin);
    hi = hi.max(h.rc_threshold + h.bin);
    ((lo, hi), (top * 1.15).max(1.0))
}

fn arm_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &ChangeHistogram,
    a: &ArmHistogram,
    (lo, hi): (f64, f64),
    top: f64,
) -> DrawResult<DB> {
    let col = arm_colour(a.colour);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{}: {} patients, mean change {:.1}", a.arm, a.n, a.mean),
            text(RUN_CAPTION),
        )
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..top)?;
    mesh(&mut chart.configure_mesh())
        .x_desc(format!("Change ({} points)", h.instrument))
        .y_desc("Patients (% of arm)")
        .y_labels(5)
        .y_label_formatter(&pct_label)
        .x_label_formatter(&integer_label)
        .draw()?;
    chart.draw_series(a.bins.iter().map(|&(edge, share)| {
        let mut r = Rectangle::new(
            [(edge, 0.0), (edge + h.bin, share * 100.0)],
            col.mix(0.85).filled(),
        );
        r.set_margin(0, 0, 1, 1);
        r
    }))?;
    for x in [-h.rc_threshold, h.rc_threshold] {
        chart.draw_series(DashedLineSeries::new(
            [(x, 0.0), (x, top)],
            8,
            6,
            INK.stroke_width(2),
        ))?;
    }
    if a.mean.is_finite() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(a.mean, 0.0), (a.mean, top)],
            INK.stroke_width(3),
        )))?;
    }
    Ok(())
}
