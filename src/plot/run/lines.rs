//! Line panels sharing one legend: the dose-effect curve and the rupture and repair rates by
//! session.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::style::{
    Key, RUN_CAPTION, arm_colour, integer_label, mesh, pct_label, text, titled_with_legend,
};
use crate::plot::{Chart, DrawResult};

/// One line of a [`LinePanel`].
#[derive(Clone, Debug)]
pub struct LineData {
    pub name: String,
    pub colour: usize,
    pub points: Vec<(f64, f64)>,
}

/// A panel of lines sharing axes.
#[derive(Clone, Debug)]
pub struct LinePanel {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// Y labels as percentages (values are shares 0-1 times 100 already).
    pub percent: bool,
    pub lines: Vec<LineData>,
}

/// One or more line panels side by side under one title.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    pub panels: Vec<LinePanel>,
}

impl Chart for LineChart {
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((if self.panels.len() > 1 { 1200 } else { 1000 }, 600))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        // One legend for every panel: each line name once, in first-seen order.
        let mut legend: Vec<(Key, String)> = Vec::new();
        for p in &self.panels {
            for s in &p.lines {
                if !legend.iter().any(|(_, n)| *n == s.name) {
                    legend.push((Key::Line(arm_colour(s.colour)), s.name.clone()));
                }
            }
        }
        let body = titled_with_legend(root, &self.title, &legend)?;
        let panels = body.split_evenly((1, self.panels.len().max(1)));
        for (p, area) in self.panels.iter().zip(&panels) {
            panel(area, p)?;
        }
        Ok(())
    }
}

fn panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &LinePanel) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, text(RUN_CAPTION))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(p.x_range.0..p.x_range.1, p.y_range.0..p.y_range.1)?;
    let percent = p.percent;
    let fmt = move |y: &f64| {
        if percent {
            pct_label(y)
        } else {
            format!("{y}")
        }
    };
    mesh(&mut chart.configure_mesh())
        .x_desc(&p.x_desc)
        .y_desc(&p.y_desc)
        .x_labels(((p.x_range.1 - p.x_range.0) as usize + 1).min(21))
        .x_label_formatter(&integer_label)
        .y_labels(6)
        .y_label_formatter(&fmt)
        .draw()?;
    for s in &p.lines {
        let col = arm_colour(s.colour);
        chart.draw_series(LineSeries::new(
            s.points.iter().copied(),
            col.stroke_width(3),
        ))?;
        chart.draw_series(s.points.iter().map(|&pt| Circle::new(pt, 4, col.filled())))?;
    }
    Ok(())
}
