//! The house style every chart shares, declared once: the embedded font, the Okabe-Ito colours,
//! text sizes, the mesh, legends, markers and tick labels.
//!
//! Text is set in DejaVu Sans, embedded in the binary (`assets/fonts/`, Bitstream Vera licence)
//! and registered with plotters' `ab_glyph` renderer, so a PNG looks the same on any machine
//! whatever fonts it has. Colours are from the Okabe-Ito palette (safe for colour-blind readers);
//! markers also differ by shape, and by fill where colour alone would have to tell.

use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use super::DrawResult;

/// DejaVu Sans (Bitstream Vera licence: `assets/fonts/DejaVuSans-LICENSE.txt`): the charts' font,
/// and the report page's (as a data URI), so the page looks like the PNGs.
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers [`FONT`] as plotters' `sans-serif` (once per process).
pub(super) fn register_fonts() -> Result<(), String> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err("cannot load the embedded font".into())
    }
}

// Okabe-Ito colours.
pub(super) const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub(super) const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(super) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub(super) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub(super) const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
pub(super) const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
pub(super) const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Okabe-Ito yellow (last of the arm colours: weak on white).
pub(super) const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);

/// Text and reference lines.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);
/// "Unchanged": neutral, between the improvement and deterioration colours.
pub(super) const LIGHT_GREY: RGBColor = RGBColor(0xC4, 0xC4, 0xC4);
/// The grid lines at the axis labels.
pub(super) const MESH: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// The colour of arm (therapist pool, curve) `i`: Okabe-Ito, in an order that keeps neighbours
/// apart.
pub fn arm_colour(i: usize) -> RGBColor {
    const ORDER: [RGBColor; 8] = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, BLACK, YELLOW];
    ORDER[i % ORDER.len()]
}

/// The colour of arm `i` as a CSS hex colour (for HTML legends and tables).
pub fn arm_colour_hex(i: usize) -> String {
    let RGBColor(r, g, b) = arm_colour(i);
    format!("#{r:02X}{g:02X}{b:02X}")
}

// Text sizes [pixels].
/// Title of a trace or power chart.
pub(super) const TITLE: u32 = 26;
/// Title of a run or experiment chart.
pub(super) const RUN_TITLE: u32 = 24;
/// Caption of a trace or power panel.
pub(super) const CAPTION: u32 = 20;
/// Caption of a run or experiment panel.
pub(super) const RUN_CAPTION: u32 = 18;
/// Axis titles.
pub(super) const AXIS: u32 = 17;
/// Legend entries, subtitles and notes.
pub(super) const LEGEND: u32 = 16;
/// Tick labels and other small text.
pub(super) const LABEL: u32 = 15;

/// The font at `size` pixels, in ink.
pub(super) fn text(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// The house mesh: grid lines at the labelled ticks only, axis titles and tick labels in ink.
pub(super) fn mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    m: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    m.light_line_style(WHITE)
        .bold_line_style(MESH)
        .axis_desc_style(text(AXIS))
        .label_style(text(LABEL))
}

/// A tick label for whole numbers only (none between them).
///
/// Not `io::num(x, 0)`: that writes every tick, and -0 as `0` where this writes `-0`.
pub(super) fn integer_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        String::new()
    }
}

/// A tick label of a percentage (the value is already times 100).
///
/// Not `io::num(y, 0)`: Rust's `{:.0}` rounds half to even where `num` rounds half away from zero.
pub(super) fn pct_label(y: &f64) -> String {
    format!("{y:.0}%")
}

/// Tick labels with as many decimals as the span of the axis needs.
///
/// Not `io::num`, which trims trailing zeros: the ticks of an axis keep the same decimals.
pub(super) fn span_label(span: f64) -> impl Fn(&f64) -> String {
    let dp = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else if span >= 0.2 {
        2
    } else {
        3
    };
    move |x: &f64| {
        let v = if x.abs() < 1e-12 { 0.0 } else { *x };
        format!("{v:.dp$}")
    }
}

// =============================================================================================
// Markers
// =============================================================================================

/// A marker's fill: its colour, or white for a hollow marker.
pub(super) fn marker_fill(colour: RGBColor, filled: bool) -> ShapeStyle {
    if filled {
        colour.filled()
    } else {
        WHITE.filled()
    }
}

/// Vertices of an upward triangle around the origin [pixels].
fn triangle_points(size: i32) -> Vec<(i32, i32)> {
    let half = (f64::from(size) * 0.87).round() as i32;
    vec![(0, -size), (half, size / 2), (-half, size / 2)]
}

pub(super) fn triangle(size: i32, style: ShapeStyle) -> Polygon<(i32, i32)> {
    Polygon::new(triangle_points(size), style)
}

pub(super) fn triangle_outline(size: i32, style: ShapeStyle) -> PathElement<(i32, i32)> {
    let mut p = triangle_points(size);
    p.push(p[0]);
    PathElement::new(p, style)
}

/// The colour of series `style` of a chart with up to three series (the power chart's
/// analyses): blue, vermillion, green.
pub(super) fn series_colour(style: usize) -> RGBColor {
    [BLUE, VERMILLION, GREEN][style % 3]
}

/// Draws the marker of series `style` (circle, triangle, square, in [`series_colour`]) of
/// half-size `r` pixels, filled or hollow, at a pixel position of `area`.
pub(super) fn series_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: usize,
    at: (i32, i32),
    filled: bool,
    r: i32,
) -> DrawResult<DB> {
    let colour = series_colour(style);
    let fill = marker_fill(colour, filled);
    let line = colour.stroke_width(2);
    let e = EmptyElement::at(at);
    let sq = [(-r + 1, -r + 1), (r - 1, r - 1)];
    match style % 3 {
        0 => area.draw(&(e + Circle::new((0, 0), r, fill) + Circle::new((0, 0), r, line)))?,
        1 => area.draw(&(e + triangle(r + 2, fill) + triangle_outline(r + 2, line)))?,
        _ => area.draw(&(e + Rectangle::new(sq, fill) + Rectangle::new(sq, line)))?,
    }
    Ok(())
}

// =============================================================================================
// Legends
// =============================================================================================

/// Height of a line of legend entries [pixels].
pub(super) const LEGEND_LINE: u32 = 30;
/// Width of the symbol and the gap after an entry [pixels].
const GLYPH: i32 = 30;
const GAP: i32 = 26;

/// A legend entry's symbol.
#[derive(Clone, Copy)]
pub(super) enum Key {
    Line(RGBColor),
    Dashed(RGBColor),
    /// A marker with an outline; filled or hollow.
    Circle(RGBColor, bool),
    Triangle(RGBColor, bool),
    /// A light band (intervals, ranges).
    Band(RGBColor),
    /// An end-of-treatment assessment.
    Square,
    /// A filled box (bars).
    Fill(RGBColor),
    /// A filled dot (points).
    Dot(RGBColor),
    /// A line with the marker of a series (see [`series_marker`]).
    Series(usize),
}

/// A line of legend entries: their indices and its width [pixels].
pub(super) type LegendLine = (Vec<usize>, i32);

/// The entries of each line when the legend is laid out in `width` pixels, in order.
pub(super) fn legend_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[(Key, String)],
    width: i32,
) -> Result<Vec<LegendLine>, DrawingAreaErrorKind<DB::ErrorType>> {
    let font = text(LEGEND);
    let mut lines: Vec<LegendLine> = vec![(Vec::new(), 0)];
    for (i, (_, label)) in keys.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(label, &font)?;
        let w = GLYPH + 6 + tw as i32;
        let line = lines.last_mut().expect("one line");
        let need = if line.0.is_empty() {
            w
        } else {
            line.1 + GAP + w
        };
        if need > width - 20 && !line.0.is_empty() {
            lines.push((vec![i], w));
        } else {
            line.0.push(i);
            line.1 = need;
        }
    }
    Ok(lines)
}

/// Legend entries in centred lines (from [`legend_lines`]), the first line's top `top` pixels
/// below the top of `area`.
pub(super) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[(Key, String)],
    lines: &[LegendLine],
    top: i32,
) -> DrawResult<DB> {
    let font = text(LEGEND);
    let (w, _) = area.dim_in_pixel();
    for (row, (entries, total)) in lines.iter().enumerate() {
        let mut x = ((w as i32 - total) / 2).max(4);
        let y = top + row as i32 * LEGEND_LINE as i32 + LEGEND_LINE as i32 / 2;
        for &i in entries {
            let (key, label) = &keys[i];
            let (tw, _) = area.estimate_text_size(label, &font)?;
            legend_key(area, key, x, y)?;
            area.draw(&Text::new(
                label.clone(),
                (x + GLYPH + 6, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += GLYPH + 6 + tw as i32 + GAP;
        }
    }
    Ok(())
}

/// Draws a legend symbol whose left end is at `(x, y)`.
fn legend_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &Key,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    let cx = x + GLYPH / 2;
    let line = |col: RGBColor| PathElement::new(vec![(x, y), (x + GLYPH, y)], col.stroke_width(3));
    match *key {
        Key::Line(col) => area.draw(&line(col))?,
        Key::Dashed(col) => {
            for k in 0..3 {
                let a = x + k * 11;
                area.draw(&PathElement::new(
                    vec![(a, y), (a + 7, y)],
                    col.stroke_width(2),
                ))?;
            }
        }
        Key::Circle(col, filled) => {
            area.draw(&Circle::new((cx, y), 7, marker_fill(col, filled)))?;
            area.draw(&Circle::new((cx, y), 7, col.stroke_width(3)))?;
        }
        Key::Triangle(col, filled) => {
            area.draw(&(EmptyElement::at((cx, y)) + triangle(9, marker_fill(col, filled))))?;
            area.draw(&(EmptyElement::at((cx, y)) + triangle_outline(9, col.stroke_width(3))))?;
        }
        Key::Band(col) => area.draw(&Rectangle::new(
            [(x, y - 8), (x + GLYPH, y + 8)],
            col.mix(0.35).filled(),
        ))?,
        Key::Square => area.draw(&Rectangle::new(
            [(cx - 6, y - 6), (cx + 6, y + 6)],
            INK.stroke_width(2),
        ))?,
        Key::Fill(col) => area.draw(&Rectangle::new(
            [(x + 4, y - 9), (x + GLYPH - 4, y + 9)],
            col.filled(),
        ))?,
        Key::Dot(col) => area.draw(&Circle::new((cx, y), 6, col.filled()))?,
        Key::Series(style) => {
            area.draw(&line(series_colour(style)))?;
            series_marker(area, style, (cx, y), true, 6)?;
        }
    }
    Ok(())
}

/// A run or experiment chart's title, then its legend across the width; returns the area left
/// for the panels.
pub(super) fn titled_with_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    keys: &[(Key, String)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let body = root.margin(8, 0, 0, 0).titled(title, text(RUN_TITLE))?;
    let (w, _) = body.dim_in_pixel();
    let lines = legend_lines(&body, keys, w as i32)?;
    let height = if keys.is_empty() {
        0
    } else {
        lines.len() as u32 * LEGEND_LINE + 8
    };
    let (legend_area, rest) = body.split_vertically(height);
    legend(&legend_area, keys, &lines, 4)?;
    Ok(rest)
}
