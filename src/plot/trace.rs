//! The trace chart (`bordin trace`, and the report's example patients): per dyad, the working
//! alliance by session with its ruptures above, the symptom score by session below. Ruptures
//! differ by marker shape (circle: withdrawal, triangle: confrontation) and repaired by fill.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    BLUE, CAPTION, GREEN, GREY, INK, Key, LEGEND_LINE, ORANGE, PURPLE, SKY, TITLE, VERMILLION,
    integer_label, legend, legend_lines, marker_fill, mesh, text, triangle, triangle_outline,
};
use super::{Chart, DrawResult};

/// A rupture on the alliance panel.
#[derive(Clone, Debug)]
pub struct RuptureMark {
    pub session: f64,
    /// Alliance (mean of components) before the rupture and right after its drop.
    pub before: f64,
    pub after_drop: f64,
    pub withdrawal: bool,
    pub repaired: bool,
}

/// One dyad's series.
#[derive(Clone, Debug)]
pub struct ChartDyad {
    pub title: String,
    /// `(session, [bond, goals, tasks])` at the end of each session.
    pub alliance: Vec<(f64, [f64; 3])>,
    pub ruptures: Vec<RuptureMark>,
    /// `(session, score)`: intake at 0, then the score before each session.
    pub scores: Vec<(f64, f64)>,
    /// The end-of-treatment assessment, if any (none after a dropout).
    pub end_score: Option<(f64, f64)>,
    /// How the course ended, in words.
    pub ending: String,
}

/// Everything the trace chart shows.
#[derive(Clone, Debug)]
pub struct TraceChart {
    pub title: String,
    /// Planned sessions (the x axis runs to one past them).
    pub sessions: u32,
    /// Instrument name for the axis title, e.g. `PHQ-9`.
    pub instrument: String,
    pub score_range: (f64, f64),
    pub cutoff: f64,
    /// Intake score (the same for every dyad: common random numbers).
    pub intake: f64,
    pub rc_threshold: f64,
    pub dyads: Vec<ChartDyad>,
}

impl Chart for TraceChart {
    /// One column of panels per dyad.
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((if self.dyads.len() > 1 { 1700 } else { 1000 }, 1000))
    }

    /// Title, then the alliance legend and panels, then the symptom legend and panels.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = root.margin(8, 0, 0, 0).titled(&self.title, text(TITLE))?;
        let (w, h) = body.dim_in_pixel();
        let keys_a = alliance_legend();
        let keys_s = symptom_legend(self);
        let lines_a = legend_lines(&body, &keys_a, w as i32)?;
        let lines_s = legend_lines(&body, &keys_s, w as i32)?;
        let height = |lines: &[_]| lines.len() as u32 * LEGEND_LINE + 10;
        let row = h.saturating_sub(height(&lines_a) + height(&lines_s)) / 2;
        let (legend_a, rest) = body.split_vertically(height(&lines_a));
        let (alliance_row, rest) = rest.split_vertically(row);
        let (legend_s, symptom_row) = rest.split_vertically(height(&lines_s));
        legend(&legend_a, &keys_a, &lines_a, 5)?;
        legend(&legend_s, &keys_s, &lines_s, 5)?;
        let n = self.dyads.len().max(1);
        let alliance_panels = alliance_row.split_evenly((1, n));
        let symptom_panels = symptom_row.split_evenly((1, n));
        for (i, d) in self.dyads.iter().enumerate() {
            alliance_panel(&alliance_panels[i], self, d)?;
            symptom_panel(&symptom_panels[i], self, d)?;
        }
        Ok(())
    }
}

fn alliance_legend() -> Vec<(Key, String)> {
    vec![
        (Key::Line(BLUE), "bond".into()),
        (Key::Line(GREEN), "goals".into()),
        (Key::Line(ORANGE), "tasks".into()),
        (Key::Circle(PURPLE, true), "withdrawal rupture".into()),
        (
            Key::Triangle(VERMILLION, true),
            "confrontation rupture".into(),
        ),
        (Key::Circle(GREY, true), "filled: repaired".into()),
        (Key::Circle(GREY, false), "hollow: not repaired".into()),
        (Key::Line(GREY), "drop at the rupture".into()),
    ]
}

fn symptom_legend(c: &TraceChart) -> Vec<(Key, String)> {
    vec![
        (Key::Line(INK), "score before each session".into()),
        (Key::Square, "end-of-treatment assessment".into()),
        (
            Key::Dashed(VERMILLION),
            format!("clinical cut-off ({})", c.cutoff),
        ),
        (
            Key::Band(SKY),
            format!(
                "reliable-change band (intake {:.0} ± {})",
                c.intake, c.rc_threshold
            ),
        ),
    ]
}

fn x_range(c: &TraceChart) -> std::ops::Range<f64> {
    -0.4..f64::from(c.sessions) + 1.4
}

fn x_labels(c: &TraceChart) -> usize {
    (c.sessions as usize + 3).min(30)
}

fn alliance_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &TraceChart,
    d: &ChartDyad,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{}: working alliance", d.title), text(CAPTION))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range(c), 0.0..1.0)?;
    mesh(&mut chart.configure_mesh())
        .x_desc("Session")
        .y_desc("Alliance (latent, 0–1 scale)")
        .x_labels(x_labels(c))
        .x_label_formatter(&integer_label)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.1}"))
        .draw()?;
    for (k, colour) in [BLUE, GREEN, ORANGE].into_iter().enumerate() {
        chart.draw_series(
            LineSeries::new(
                d.alliance.iter().map(|(x, a)| (*x, a[k])),
                colour.stroke_width(3),
            )
            .point_size(3),
        )?;
    }
    // Each rupture: a grey line for the drop (from the overall alliance before the rupture to
    // its low point) and a marker at the low point. Circle = withdrawal, triangle =
    // confrontation; filled = repaired, hollow = not repaired.
    for r in &d.ruptures {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(r.session, r.before), (r.session, r.after_drop)],
            GREY.stroke_width(2),
        )))?;
    }
    for r in &d.ruptures {
        let pos = (r.session, r.after_drop);
        if r.withdrawal {
            chart.draw_series([
                Circle::new(pos, 8, marker_fill(PURPLE, r.repaired)),
                Circle::new(pos, 8, PURPLE.stroke_width(3)),
            ])?;
        } else {
            chart.draw_series(std::iter::once(
                EmptyElement::at(pos)
                    + triangle(10, marker_fill(VERMILLION, r.repaired))
                    + triangle_outline(10, VERMILLION.stroke_width(3)),
            ))?;
        }
    }
    Ok(())
}

fn symptom_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &TraceChart,
    d: &ChartDyad,
) -> DrawResult<DB> {
    let (lo, hi) = c.score_range;
    let xr = x_range(c);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{}: symptoms ({})", d.title, d.ending),
            text(CAPTION),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(xr.clone(), lo..hi)?;
    mesh(&mut chart.configure_mesh())
        .x_desc("Session (0 = intake; last point = end-of-treatment assessment)")
        .y_desc(format!("{} score (points)", c.instrument))
        .x_labels(x_labels(c))
        .x_label_formatter(&integer_label)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    // Reliable-change band: scores within it differ from intake by less than the threshold.
    let band = (
        (c.intake - c.rc_threshold).max(lo),
        (c.intake + c.rc_threshold).min(hi),
    );
    chart.draw_series(std::iter::once(Rectangle::new(
        [(xr.start, band.0), (xr.end, band.1)],
        SKY.mix(0.22).filled(),
    )))?;
    chart.draw_series(DashedLineSeries::new(
        [(xr.start, c.cutoff), (xr.end, c.cutoff)],
        10,
        6,
        VERMILLION.stroke_width(2),
    ))?;
    if let (Some(end), Some(last)) = (d.end_score, d.scores.last()) {
        chart.draw_series(DashedLineSeries::new(
            [*last, end],
            6,
            5,
            INK.stroke_width(2),
        ))?;
    }
    chart.draw_series(
        LineSeries::new(d.scores.iter().copied(), INK.stroke_width(3)).point_size(4),
    )?;
    if let Some(end) = d.end_score {
        chart.draw_series(std::iter::once(
            EmptyElement::at(end)
                + Rectangle::new([(-7, -7), (7, 7)], WHITE.filled())
                + Rectangle::new([(-7, -7), (7, 7)], INK.stroke_width(2)),
        ))?;
    }
    Ok(())
}
