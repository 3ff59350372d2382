//! Alliance and outcome: the patient-rated alliance at session 3 against residual gain, with
//! each arm's least-squares line.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::style::{GREY, Key, arm_colour, integer_label, mesh, titled_with_legend};
use crate::plot::{Chart, DrawResult};

/// Alliance (WAI-SR at session 3) against residual gain.
#[derive(Clone, Debug)]
pub struct AllianceScatter {
    pub instrument: String,
    pub arms: Vec<ScatterArm>,
}

/// One arm's points and least-squares line.
#[derive(Clone, Debug)]
pub struct ScatterArm {
    pub arm: String,
    pub colour: usize,
    /// `(WAI-SR total, residual gain [points])`, a sample.
    pub points: Vec<(f64, f64)>,
    /// `(intercept, slope)` of residual gain on WAI-SR, fitted to every patient.
    pub fit: Option<(f64, f64)>,
    pub r: f64,
    /// Patients the fit and r use.
    pub n: u64,
}

/// The WAI-SR total's range.
const WAI: (f64, f64) = (12.0, 60.0);

impl Chart for AllianceScatter {
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1000, 700))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = self;
        let body = titled_with_legend(
            root,
            "Alliance at session 3 and outcome (residual gain)",
            &legend(s),
        )?;
        let mut ylo: f64 = -1.0;
        let mut yhi: f64 = 1.0;
        for a in &s.arms {
            for &(_, y) in &a.points {
                ylo = ylo.min(y);
                yhi = yhi.max(y);
            }
        }
        let pad = 0.05 * (yhi - ylo);
        let mut chart = ChartBuilder::on(&body)
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(WAI.0..WAI.1, (ylo - pad)..(yhi + pad))?;
        mesh(&mut chart.configure_mesh())
            .x_desc("Patient-rated alliance at session 3 (WAI-SR total, 12-60)")
            .y_desc(format!(
                "Residual gain ({} points; + = better than predicted)",
                s.instrument
            ))
            .x_labels(13)
            .x_label_formatter(&integer_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(WAI.0, 0.0), (WAI.1, 0.0)],
            GREY.stroke_width(1),
        )))?;
        for a in &s.arms {
            let col = arm_colour(a.colour);
            chart.draw_series(
                a.points
                    .iter()
                    .map(|&p| Circle::new(p, 3, col.mix(0.45).filled())),
            )?;
        }
        for a in &s.arms {
            if let Some((b0, b1)) = a.fit {
                let (x0, x1) = a
                    .points
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                        (l.min(p.0), h.max(p.0))
                    });
                let (x0, x1) = if x0 < x1 { (x0, x1) } else { WAI };
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x0, b0 + b1 * x0), (x1, b0 + b1 * x1)],
                    arm_colour(a.colour).stroke_width(4),
                )))?;
            }
        }
        Ok(())
    }
}

/// Each arm's r and patients.
fn legend(s: &AllianceScatter) -> Vec<(Key, String)> {
    s.arms
        .iter()
        .map(|a| {
            let r = if a.r.is_finite() {
                format!("r = {:.2}", a.r)
            } else {
                "r undefined".into()
            };
            (
                Key::Dot(arm_colour(a.colour)),
                format!("{}: {r}, n = {} (line: least squares)", a.arm, a.n),
            )
        })
        .collect()
}
