//! Symptom trajectories of a sample of patients ("spaghetti"), one panel per arm, with the
//! clinical cut-off.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::io::num;
use crate::plot::style::{
    GREY, INK, Key, RUN_CAPTION, arm_colour, integer_label, mesh, text, titled_with_legend,
};
use crate::plot::{Chart, DrawResult};

/// Symptom trajectories of a sample of patients, one panel per arm.
#[derive(Clone, Debug)]
pub struct Spaghetti {
    pub instrument: String,
    pub score_range: (f64, f64),
    pub cutoff: f64,
    pub x_max: f64,
    pub arms: Vec<SpaghettiArm>,
}

/// One arm's trajectories: `(session, score)` from intake (session 0).
#[derive(Clone, Debug)]
pub struct SpaghettiArm {
    pub arm: String,
    pub colour: usize,
    pub trajectories: Vec<Vec<(f64, f64)>>,
}

impl Spaghetti {
    /// Panel columns: two when there are two or more arms.
    fn columns(&self) -> usize {
        self.arms.len().clamp(1, 2)
    }
}

impl Chart for Spaghetti {
    fn size(&self) -> Result<(u32, u32), String> {
        let k = self.arms.len().max(1) as u32;
        let cols = self.columns() as u32;
        Ok((
            if cols > 1 { 1200 } else { 1000 },
            80 + 430 * k.div_ceil(cols),
        ))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![
            (
                Key::Line(GREY),
                "one patient: intake (0), score before each session, end assessment".to_string(),
            ),
            (
                Key::Dashed(INK),
                format!("clinical cut-off ({})", num(self.cutoff, 2)),
            ),
        ];
        let body = titled_with_legend(
            root,
            &format!("Symptom trajectories ({})", self.instrument),
            &legend,
        )?;
        let k = self.arms.len().max(1);
        let cols = self.columns();
        let panels = body.split_evenly((k.div_ceil(cols), cols));
        for (a, area) in self.arms.iter().zip(&panels) {
            arm_panel(area, self, a)?;
        }
        Ok(())
    }
}

fn arm_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Spaghetti,
    a: &SpaghettiArm,
) -> DrawResult<DB> {
    let (lo, hi) = s.score_range;
    let col = arm_colour(a.colour);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{}: {} patients", a.arm, a.trajectories.len()),
            text(RUN_CAPTION),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(
            0.0..s.x_max,
            (lo - 0.01 * (hi - lo))..(hi + 0.01 * (hi - lo)),
        )?;
    mesh(&mut chart.configure_mesh())
        .x_desc("Session (0 = intake)")
        .y_desc(format!("{} score (points)", s.instrument))
        .x_labels((s.x_max as usize + 1).min(16))
        .x_label_formatter(&integer_label)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for t in &a.trajectories {
        chart.draw_series(LineSeries::new(
            t.iter().copied(),
            col.mix(0.5).stroke_width(2),
        ))?;
    }
    chart.draw_series(DashedLineSeries::new(
        [(0.0, s.cutoff), (s.x_max, s.cutoff)],
        10,
        6,
        INK.stroke_width(2),
    ))?;
    Ok(())
}
