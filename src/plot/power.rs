//! Power curves of `bordin power` (`power.svg`, `power.png`): power (or assurance) against
//! patients per arm on the left, type I error on the right, one line per analysis.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    CAPTION, GREY, INK, Key, LABEL, LEGEND, LEGEND_LINE, TITLE, integer_label, legend,
    legend_lines, mesh, series_colour, series_marker, text,
};
use super::{Chart, DrawResult};

/// One design point of one analysis on the power chart.
#[derive(Clone, Debug)]
pub struct PowerPoint {
    /// Patients per arm.
    pub n: f64,
    pub power: f64,
    /// Monte Carlo SE of the power (the error bar is ± 1.96 SE, clipped to [0, 1]).
    pub power_se: f64,
    /// Type I error and its Monte Carlo SE; NaN where the null design was not simulated (the
    /// points only the target search evaluated).
    pub type1: f64,
    pub type1_se: f64,
}

/// One analysis: a line of filled markers (power) and hollow markers (type I error).
#[derive(Clone, Debug)]
pub struct PowerSeries {
    pub label: String,
    /// Colour and marker: 0 blue circles, 1 vermillion triangles, 2 green squares.
    pub style: usize,
    /// In increasing n.
    pub points: Vec<PowerPoint>,
    /// The n per arm the target search found for this analysis: marked by a dotted drop line
    /// in the series' colour and labelled `n = ...` on the axis.
    pub found: Option<f64>,
}

/// Everything the power chart shows.
#[derive(Clone, Debug)]
pub struct PowerChart {
    pub title: String,
    /// Smaller title lines under the title, separated by `\n` (design, priors).
    pub subtitle: String,
    /// Title of the power panel and of its axis (`Power ...` or `Assurance ...`).
    pub panel_title: String,
    pub y_title: String,
    pub alpha: f64,
    /// The dashed target line, and its legend text.
    pub target: f64,
    pub target_label: String,
    pub series: Vec<PowerSeries>,
}

/// A panel with numbers on both axes.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Chart for PowerChart {
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1400, 820))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = head(root, self)?;
        let (bw, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(bw * 64 / 100);
        let xr = n_range(self);
        power_panel(root, &left, self, &xr)?;
        type1_panel(root, &right, self, &xr)
    }
}

/// Legend: one entry per analysis (line and marker), then the marker fills and the lines.
fn legend_entries(c: &PowerChart) -> Vec<(Key, String)> {
    let searched = c
        .series
        .iter()
        .any(|s| s.points.iter().any(|p| p.type1.is_nan()));
    let mut entries: Vec<(Key, String)> = c
        .series
        .iter()
        .map(|s| (Key::Series(s.style), s.label.clone()))
        .collect();
    entries.push((
        Key::Circle(GREY, true),
        format!(
            "filled: {}, bars 95% MC interval{}",
            c.y_title
                .split(' ')
                .next()
                .unwrap_or("power")
                .to_lowercase(),
            if searched {
                " (small: points of the target search)"
            } else {
                ""
            }
        ),
    ));
    entries.push((Key::Circle(GREY, false), "hollow: type I error".into()));
    entries.push((
        Key::Dashed(INK),
        format!(
            "dashed: {}; α = {}{}",
            c.target_label,
            c.alpha,
            if c.series.iter().any(|s| s.found.is_some()) {
                "; dotted: the n that reaches it"
            } else {
                ""
            }
        ),
    ));
    entries
}

/// Title, subtitle lines and the legend in centred lines that fit the width; returns the area
/// left for the panels.
fn head<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &PowerChart,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = root.dim_in_pixel();
    let w = w as i32;
    let entries = legend_entries(c);
    let lines = legend_lines(root, &entries, w - 20)?;
    let subtitles: Vec<&str> = c.subtitle.lines().collect();
    let legend_top = 44 + 24 * subtitles.len() as i32;
    let head_height = legend_top + LEGEND_LINE as i32 * lines.len() as i32 + 8;
    let (head, body) = root.split_vertically(head_height);
    head.draw(&Text::new(
        c.title.clone(),
        (w / 2, 22),
        text(TITLE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    for (k, line) in subtitles.iter().enumerate() {
        head.draw(&Text::new(
            line.to_string(),
            (w / 2, 54 + 24 * k as i32),
            text(LEGEND).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    legend(&head, &entries, &lines, legend_top)?;
    Ok(body)
}

/// The x range of the power panel: every n, padded.
fn n_range(c: &PowerChart) -> Range<f64> {
    let ns: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.n))
        .collect();
    let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.07).max(2.0);
    (lo - pad).max(0.0)..hi + pad
}

/// The shift of series `i` on the power panel's axis `xr`: series side by side around each n,
/// so their error bars do not hide one another.
fn dodge(c: &PowerChart, xr: &Range<f64>, i: usize) -> f64 {
    let step = (xr.end - xr.start) * 0.007;
    let k = c.series.len() as f64;
    (i as f64 - (k - 1.0) / 2.0) * step
}

/// The 95% Monte Carlo interval of a share, clipped to [0, 1].
fn bar(p: f64, se: f64) -> (f64, f64) {
    let h = 1.96 * if se.is_finite() { se } else { 0.0 };
    ((p - h).max(0.0), (p + h).min(1.0))
}

fn n_label(x: &f64) -> String {
    let whole = integer_label(x);
    if whole.is_empty() {
        format!("{x:.1}")
    } else {
        whole
    }
}

/// The mesh of a panel of patients per arm against a share.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<Panel<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(area)
        .caption(title, text(CAPTION))
        .margin(14)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(x, y)
}

/// Left panel: power against n, with the target.
fn power_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    c: &PowerChart,
    xr: &Range<f64>,
) -> DrawResult<DB> {
    let mut chart = panel(area, &c.panel_title, xr.clone(), -0.02..1.03)?;
    mesh(&mut chart.configure_mesh())
        .x_desc("Patients per arm (n)")
        .y_desc(c.y_title.clone())
        .x_labels(12)
        .x_label_formatter(&n_label)
        .y_labels(11)
        .y_label_formatter(&|y| format!("{y:.1}"))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(xr.start, c.target), (xr.end, c.target)],
        10,
        6,
        INK.stroke_width(2),
    ))?;
    chart.draw_series(std::iter::once(
        EmptyElement::at((xr.start, c.target))
            + Text::new(
                c.target_label.clone(),
                (8, -6),
                text(LABEL).pos(Pos::new(HPos::Left, VPos::Bottom)),
            ),
    ))?;
    for (i, s) in c.series.iter().enumerate() {
        if let Some(n) = s.found {
            found_mark(&mut chart, s, n, dodge(c, xr, i), i, xr)?;
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        power_series(root, &mut chart, s, dodge(c, xr, i))?;
    }
    Ok(())
}

/// The n found for an analysis: a dotted line from the axis up to its power there, and its
/// label just above the axis (staggered by the series' place so that labels do not collide;
/// left of the line in the right half of the panel, so that it stays inside).
fn found_mark<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    s: &PowerSeries,
    n: f64,
    dx: f64,
    i: usize,
    xr: &Range<f64>,
) -> DrawResult<DB> {
    let colour = series_colour(s.style);
    let top = s.points.iter().find(|p| p.n == n).map_or(1.0, |p| p.power);
    let x = n + dx;
    let right = x > (xr.start + xr.end) / 2.0;
    chart.draw_series(DashedLineSeries::new(
        [(x, 0.0), (x, top)],
        3,
        4,
        colour.stroke_width(2),
    ))?;
    chart.draw_series(std::iter::once(
        EmptyElement::at((x, 0.0))
            + Text::new(
                format!("n = {n}"),
                (if right { -5 } else { 5 }, -6 - 18 * i as i32),
                text(LABEL).color(&colour).pos(Pos::new(
                    if right { HPos::Right } else { HPos::Left },
                    VPos::Bottom,
                )),
            ),
    ))?;
    Ok(())
}

/// One analysis on the power panel, shifted by `dx`: its line, bars and markers. Points only
/// the target search evaluated (no null design) are drawn smaller, with thin bars, so that the
/// requested design points stand out.
fn power_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Panel<'_, DB>,
    s: &PowerSeries,
    dx: f64,
) -> DrawResult<DB> {
    let colour = series_colour(s.style);
    chart.draw_series(LineSeries::new(
        s.points.iter().map(|p| (p.n + dx, p.power)),
        colour.stroke_width(3),
    ))?;
    for p in &s.points {
        let (a, b) = bar(p.power, p.power_se);
        let x = p.n + dx;
        let (width, cap) = if p.type1.is_nan() { (1, 0) } else { (2, 5) };
        chart.draw_series([PathElement::new(
            vec![(x, a), (x, b)],
            colour.stroke_width(width),
        )])?;
        for end in [a, b] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, end))
                    + PathElement::new(vec![(-cap, 0), (cap, 0)], colour.stroke_width(2)),
            ))?;
        }
    }
    for p in &s.points {
        let at = chart.backend_coord(&(p.n + dx, p.power));
        let r = if p.type1.is_nan() { 3 } else { 6 };
        series_marker(root, s.style, at, true, r)?;
    }
    Ok(())
}

/// The points of an analysis with a null design (a type I error).
fn with_null(s: &PowerSeries) -> Vec<PowerPoint> {
    s.points
        .iter()
        .filter(|p| p.type1.is_finite())
        .cloned()
        .collect()
}

/// Right panel: type I error against n, with the nominal level. Its x axis spans the design
/// points that have a null design (`xr`, the power panel's, when none has).
fn type1_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    c: &PowerChart,
    xr: &Range<f64>,
) -> DrawResult<DB> {
    let n1: Vec<f64> = c.series.iter().flat_map(with_null).map(|p| p.n).collect();
    let xr1 = match (
        n1.iter().copied().reduce(f64::min),
        n1.iter().copied().reduce(f64::max),
    ) {
        (Some(a), Some(b)) => {
            let pad = ((b - a) * 0.1).max(2.0);
            (a - pad).max(0.0)..b + pad
        }
        _ => xr.clone(),
    };
    let top = c
        .series
        .iter()
        .flat_map(with_null)
        .map(|p| bar(p.type1, p.type1_se).1)
        .fold(3.0 * c.alpha, f64::max)
        .min(1.0)
        * 1.12;
    let title = "Type I error (arms made equivalent)";
    let mut chart = panel(area, title, xr1.clone(), 0.0..top)?;
    mesh(&mut chart.configure_mesh())
        .x_desc("Patients per arm (n)")
        .y_desc("Type I error (share of trials with p < α)")
        .x_labels(6)
        .x_label_formatter(&n_label)
        .y_labels(8)
        .y_label_formatter(&|y| format!("{y:.2}"))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(xr1.start, c.alpha), (xr1.end, c.alpha)],
        10,
        6,
        INK.stroke_width(2),
    ))?;
    for (i, s) in c.series.iter().enumerate() {
        let colour = series_colour(s.style);
        let dx = dodge(c, xr, i) * (xr1.end - xr1.start) / (xr.end - xr.start) * 2.0;
        let pts = with_null(s);
        chart.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.n + dx, p.type1)),
            colour.mix(0.6).stroke_width(1),
        ))?;
        for p in &pts {
            let (a, b) = bar(p.type1, p.type1_se);
            chart.draw_series([PathElement::new(
                vec![(p.n + dx, a), (p.n + dx, b)],
                colour.stroke_width(2),
            )])?;
        }
        for p in &pts {
            let at = chart.backend_coord(&(p.n + dx, p.type1));
            series_marker(root, s.style, at, false, 6)?;
        }
    }
    Ok(())
}
