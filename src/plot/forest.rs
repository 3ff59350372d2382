//! An experiment's figure (`figure.svg`, `figure.png` of `bordin experiment`): a forest-style
//! dot plot of its rows and checks, one panel above another. Rows are blue; passing checks
//! green and filled, failing checks vermillion and hollow, so colour is never the only cue.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    BLUE, GREEN, GREY, Key, LABEL, LEGEND, LEGEND_LINE, RUN_CAPTION, RUN_TITLE, SKY, VERMILLION,
    legend, legend_lines, marker_fill, mesh, span_label, text,
};
use super::{Chart, DrawResult};
use crate::io::num;

/// One row or check of a [`ForestChart`].
#[derive(Clone, Debug)]
pub struct ForestItem {
    pub label: String,
    /// Mean over replicates (NaN: not computed).
    pub value: f64,
    /// Monte Carlo SE: the bar is ± 1.96 SE (none when not finite), unless `interval` is set.
    pub mc_se: f64,
    /// An explicit interval for the bar (a bootstrap interval, say), in place of ± 1.96 SE.
    pub interval: Option<(f64, f64)>,
    /// A check's band and whether it passes (`None` for rows).
    pub band: Option<(f64, f64)>,
    pub pass: Option<bool>,
}

/// Items sharing an x axis.
#[derive(Clone, Debug)]
pub struct ForestPanel {
    /// Caption above the panel (empty: none).
    pub title: String,
    pub items: Vec<ForestItem>,
}

/// A dot plot of an experiment's rows and checks, one panel above another.
#[derive(Clone, Debug)]
pub struct ForestChart {
    pub title: String,
    /// A line under the title (empty: none).
    pub note: String,
    /// What the dots and bars are, for the legend's first entry.
    pub values: String,
    /// Whether the legend explains checks (bands, pass and fail).
    pub checks: bool,
    pub panels: Vec<ForestPanel>,
}

/// The legend text of an experiment's values.
pub const MONTE_CARLO_VALUES: &str =
    "value (mean over replicates); bar: 95% Monte Carlo interval, ± 1.96 SE";

impl ForestItem {
    /// The bar's ends: the explicit interval, else ± 1.96 SE (none when not finite or 0).
    fn bar(&self) -> Option<(f64, f64)> {
        match self.interval {
            Some((a, b)) if a.is_finite() && b.is_finite() => Some((a, b)),
            Some(_) => None,
            None if self.mc_se.is_finite() && self.mc_se > 0.0 => Some((
                self.value - 1.96 * self.mc_se,
                self.value + 1.96 * self.mc_se,
            )),
            None => None,
        }
    }
}

const WIDTH: u32 = 1400;
/// Width of the label column left of the axes and of the value column right of them [pixels].
const LABELS: u32 = 560;
const VALUES: u32 = 230;
/// Height of a line of label text, and the padding of an item [pixels].
const LINE: u32 = 19;
const PAD: u32 = 14;
/// Height of a panel besides its items: caption, x axis and margins [pixels].
const CAPTION: u32 = 36;
const AXIS: u32 = 44;
const MARGIN: u32 = 8;
/// Light background of every other item.
const STRIPE: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);

/// A panel: values on x, item heights on y.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Chart for ForestChart {
    /// As tall as its wrapped labels need.
    fn size(&self) -> Result<(u32, u32), String> {
        let mut scratch = String::new();
        let area = SVGBackend::with_string(&mut scratch, (WIDTH, 100)).into_drawing_area();
        let l = Layout::measure(&area, self).map_err(|e| e.to_string())?;
        Ok((WIDTH, l.height()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let l = Layout::measure(root, self)?;
        let (head, mut body) = root.split_vertically(l.head);
        draw_head(&head, self, &l)?;
        for ((p, its), &height) in self.panels.iter().zip(&l.items).zip(&l.panels) {
            let (area, rest) = body.split_vertically(height);
            body = rest;
            draw_panel(root, &area, p, its)?;
        }
        Ok(())
    }
}

/// Where everything of a forest chart goes (text measured with the embedded font, which gives
/// the same sizes on every backend).
struct Layout {
    title: Vec<String>,
    legend: Vec<super::style::LegendLine>,
    /// Height of the title, note and legend [pixels].
    head: u32,
    /// Per panel, per item: the wrapped label and the item's height [pixels].
    items: Vec<Vec<(Vec<String>, u32)>>,
    /// Per panel: its height [pixels].
    panels: Vec<u32>,
}

impl Layout {
    fn measure<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        c: &ForestChart,
    ) -> Result<Layout, DrawingAreaErrorKind<DB::ErrorType>> {
        let title = wrap_text(area, &c.title, &text(RUN_TITLE), WIDTH - 60)?;
        let legend = legend_lines(area, &forest_legend(c), WIDTH as i32)?;
        let head = 14
            + 32 * title.len() as u32
            + if c.note.is_empty() { 0 } else { 26 }
            + LEGEND_LINE * legend.len() as u32
            + 10;
        let mut items = Vec::new();
        let mut panels = Vec::new();
        for p in &c.panels {
            let mut its = Vec::new();
            for it in &p.items {
                let label = wrap_text(area, &it.label, &text(LABEL), LABELS - 30)?;
                let lines = label.len().max(value_text(it).len()) as u32;
                its.push((label, lines * LINE + PAD));
            }
            let caption = if p.title.is_empty() { 0 } else { CAPTION };
            panels.push(its.iter().map(|(_, h)| h).sum::<u32>() + caption + AXIS + 2 * MARGIN);
            items.push(its);
        }
        Ok(Layout {
            title,
            legend,
            head,
            items,
            panels,
        })
    }

    fn height(&self) -> u32 {
        self.head + self.panels.iter().sum::<u32>() + 10
    }
}

/// Splits `text` into lines no wider than `width` pixels in `font` (a word longer than that
/// gets a line of its own).
fn wrap_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: &TextStyle<'_>,
    width: u32,
) -> Result<Vec<String>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        let (w, _) = area.estimate_text_size(&candidate, font)?;
        if w > width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

fn forest_legend(c: &ForestChart) -> Vec<(Key, String)> {
    let mut keys = vec![(Key::Circle(BLUE, true), c.values.clone())];
    if c.checks {
        keys.extend([
            (Key::Band(SKY), "check: the band it should fall in".into()),
            (Key::Circle(GREEN, true), "check passes (filled)".into()),
            (
                Key::Circle(VERMILLION, false),
                "check fails (hollow)".into(),
            ),
        ]);
    }
    keys
}

/// The text right of an item: its value and SE (or interval), and a check's band and verdict.
fn value_text(it: &ForestItem) -> Vec<String> {
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.3}")
        } else {
            "-".into()
        }
    };
    let mut out = vec![if !it.value.is_finite() {
        "not computed".into()
    } else if let Some((a, b)) = it.interval {
        format!("{} [{}, {}]", f(it.value), f(a), f(b))
    } else {
        format!("{} (SE {})", f(it.value), f(it.mc_se))
    }];
    if let Some((lo, hi)) = it.band {
        out.push(format!(
            "band [{}, {}]: {}",
            num(lo, 4),
            num(hi, 4),
            if it.pass == Some(true) {
                "pass"
            } else {
                "FAIL"
            }
        ));
    }
    out
}

/// The x range of a panel: every value with its interval, and band edges and zero near them
/// (farther band edges are cut at the axis, so a wide band does not squash the values).
fn x_range(items: &[ForestItem]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for it in items.iter().filter(|it| it.value.is_finite()) {
        let (a, b) = it.bar().unwrap_or((it.value, it.value));
        lo = lo.min(a.min(it.value));
        hi = hi.max(b.max(it.value));
    }
    if !lo.is_finite() {
        // Nothing computed: show the bands.
        for (a, b) in items.iter().filter_map(|it| it.band) {
            for e in [a, b].into_iter().filter(|e| e.is_finite()) {
                lo = lo.min(e);
                hi = hi.max(e);
            }
        }
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let span = if hi > lo {
        hi - lo
    } else {
        (0.1 * hi.abs()).max(0.1)
    };
    // Zero (the reference of differences and effect sizes) within three spans, band edges
    // within one and a half.
    let edges = items
        .iter()
        .filter_map(|it| it.band)
        .flat_map(|(a, b)| [(a, 1.5), (b, 1.5)])
        .chain(std::iter::once((0.0, 3.0)));
    let (l0, h0) = (lo, hi);
    for (e, reach) in edges {
        if e.is_finite() && e >= l0 - reach * span && e <= h0 + reach * span {
            lo = lo.min(e);
            hi = hi.max(e);
        }
    }
    let pad = if hi > lo {
        0.06 * (hi - lo)
    } else {
        (0.1 * hi.abs()).max(0.1)
    };
    (lo - pad, hi + pad)
}

/// The title lines, the note and the legend.
fn draw_head<DB: DrawingBackend>(
    head: &DrawingArea<DB, Shift>,
    c: &ForestChart,
    l: &Layout,
) -> DrawResult<DB> {
    let w = WIDTH as i32;
    let mut y = 14;
    for line in &l.title {
        head.draw(&Text::new(
            line.clone(),
            (w / 2, y + 16),
            text(RUN_TITLE).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        y += 32;
    }
    if !c.note.is_empty() {
        head.draw(&Text::new(
            c.note.clone(),
            (w / 2, y + 12),
            text(LEGEND).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        y += 26;
    }
    let (_, legend_area) = head.split_vertically(y);
    legend(&legend_area, &forest_legend(c), &l.legend, 5)
}

/// One panel in `area`: axes, stripes and items (`its`: wrapped labels and heights). Markers,
/// stripes and text outside the plotting area are drawn on `root`, in pixels.
fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &ForestPanel,
    its: &[(Vec<String>, u32)],
) -> DrawResult<DB> {
    let units: f64 = its.iter().map(|(_, h)| f64::from(*h)).sum();
    let (xlo, xhi) = x_range(&p.items);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(MARGIN)
        .margin_bottom(MARGIN)
        .margin_left(10)
        .margin_right(VALUES)
        .x_label_area_size(AXIS)
        .y_label_area_size(LABELS);
    if !p.title.is_empty() {
        builder.caption(&p.title, text(RUN_CAPTION));
    }
    let mut chart = builder.build_cartesian_2d(xlo..xhi, 0.0..units.max(1.0))?;
    // Item bottoms, centres and tops, top down, in chart coordinates.
    let mut top = units;
    let spans: Vec<(f64, f64, f64)> = its
        .iter()
        .map(|(_, h)| {
            let h = f64::from(*h);
            let s = (top - h, top - h / 2.0, top);
            top -= h;
            s
        })
        .collect();
    for (k, &(bottom, _, top)) in spans.iter().enumerate() {
        if k % 2 == 1 {
            let (_, y0) = chart.backend_coord(&(xlo, top));
            let (_, y1) = chart.backend_coord(&(xlo, bottom));
            root.draw(&Rectangle::new(
                [(8, y0), (WIDTH as i32 - 8, y1)],
                STRIPE.filled(),
            ))?;
        }
    }
    mesh(&mut chart.configure_mesh())
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(&span_label(xhi - xlo))
        .max_light_lines(0)
        .draw()?;
    if xlo < 0.0 && xhi > 0.0 {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (0.0, units)],
            6,
            5,
            GREY.stroke_width(1),
        ))?;
    }
    for ((it, (label, h)), &(_, mid, _)) in p.items.iter().zip(its).zip(&spans) {
        draw_item(root, &mut chart, it, label, f64::from(*h), mid)?;
    }
    Ok(())
}

/// One item of height `h` centred at `mid`: its band, interval and marker, then its text.
fn draw_item<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Panel<'_, DB>,
    it: &ForestItem,
    label: &[String],
    h: f64,
    mid: f64,
) -> DrawResult<DB> {
    let (xlo, xhi) = (chart.x_range().start, chart.x_range().end);
    let half = h * 0.32;
    if let Some((a, b)) = it.band {
        let (a, b) = (a.max(xlo), b.min(xhi));
        if a < b {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, mid - half), (b, mid + half)],
                SKY.mix(0.3).filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, mid - half), (b, mid + half)],
                SKY.stroke_width(1),
            )))?;
        }
    }
    let colour = match it.pass {
        None => BLUE,
        Some(true) => GREEN,
        Some(false) => VERMILLION,
    };
    if it.value.is_finite() {
        if let Some((a, b)) = it.bar() {
            let (a, b) = (a.max(xlo), b.min(xhi));
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(a, mid), (b, mid)],
                colour.stroke_width(3),
            )))?;
            for end in [a, b] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((end, mid))
                        + PathElement::new(vec![(0, -6), (0, 6)], colour.stroke_width(2)),
                ))?;
            }
        }
        let at = chart.backend_coord(&(it.value, mid));
        let filled = it.pass != Some(false);
        root.draw(&Circle::new(at, 7, marker_fill(colour, filled)))?;
        root.draw(&Circle::new(at, 7, colour.stroke_width(3)))?;
    }
    draw_text(root, chart, it, label, mid)
}

/// An item's label left of the axes and its value right of them, centred at `mid`.
fn draw_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Panel<'_, DB>,
    it: &ForestItem,
    label: &[String],
    mid: f64,
) -> DrawResult<DB> {
    let (xlo, xhi) = (chart.x_range().start, chart.x_range().end);
    let (left, cy) = chart.backend_coord(&(xlo, mid));
    let (right, _) = chart.backend_coord(&(xhi, mid));
    let line_y = |k: usize, n: usize| cy + (2 * k as i32 + 1 - n as i32) * LINE as i32 / 2;
    let font = text(LABEL);
    for (k, line) in label.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (left - 12, line_y(k, label.len())),
            font.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    let values = value_text(it);
    for (k, line) in values.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (right + 16, line_y(k, values.len())),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}
