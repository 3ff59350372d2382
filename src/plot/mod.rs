//! Charts of `bordin trace` (SVG and PNG, drawn with plotters).
//!
//! Text is set in DejaVu Sans, embedded in the binary (`assets/fonts/`, Bitstream Vera licence)
//! and registered with plotters' `ab_glyph` renderer, so the PNG looks the same on any machine
//! whatever fonts it has. Colours are from the Okabe-Ito palette (safe for colour-blind readers);
//! rupture types also differ by marker shape, and repaired by fill.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans (Bitstream Vera licence: `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Okabe-Ito colours.
const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

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

/// Pixel size: one column of panels per dyad.
fn size(c: &TraceChart) -> (u32, u32) {
    (if c.dyads.len() > 1 { 1700 } else { 1000 }, 1000)
}

fn fonts() -> Result<(), String> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err("cannot load the embedded font".into())
    }
}

/// The chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn svg(c: &TraceChart) -> Result<String, String> {
    fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(c)).into_drawing_area();
        draw(&root, c).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders the chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn png(c: &TraceChart, path: &Path) -> Result<(), String> {
    fonts()?;
    let root = BitMapBackend::new(path, size(c)).into_drawing_area();
    draw(&root, c).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Height of a line of legend entries [pixels].
const LEGEND_LINE: u32 = 30;

fn legend_font() -> TextStyle<'static> {
    ("sans-serif", 16).into_font().color(&INK)
}

/// Width of the symbol and the gaps of a legend entry [pixels].
const GLYPH: i32 = 30;
const GAP: i32 = 26;

/// A line of legend entries: their indices and its width [pixels].
type LegendLine = (Vec<usize>, i32);

/// Entries per line when the legend is laid out in `width` pixels: index ranges.
fn legend_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[(Key, String)],
    width: i32,
) -> Result<Vec<LegendLine>, DrawingAreaErrorKind<DB::ErrorType>> {
    let font = legend_font();
    let mut lines: Vec<LegendLine> = vec![(Vec::new(), 0)];
    for (i, (_, text)) in keys.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(text, &font)?;
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

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &TraceChart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let body = root
        .margin(8, 0, 0, 0)
        .titled(&c.title, ("sans-serif", 26).into_font().color(&INK))?;
    let (w, h) = body.dim_in_pixel();
    let keys_a = alliance_legend();
    let keys_s = symptom_legend(c);
    let lines_a = legend_lines(&body, &keys_a, w as i32)?;
    let lines_s = legend_lines(&body, &keys_s, w as i32)?;
    let height = |lines: &[LegendLine]| lines.len() as u32 * LEGEND_LINE + 10;
    let row = h.saturating_sub(height(&lines_a) + height(&lines_s)) / 2;
    let (legend_a, rest) = body.split_vertically(height(&lines_a));
    let (alliance_row, rest) = rest.split_vertically(row);
    let (legend_s, symptom_row) = rest.split_vertically(height(&lines_s));
    legend(&legend_a, &keys_a, &lines_a)?;
    legend(&legend_s, &keys_s, &lines_s)?;
    let n = c.dyads.len().max(1);
    let alliance_panels = alliance_row.split_evenly((1, n));
    let symptom_panels = symptom_row.split_evenly((1, n));
    for (i, d) in c.dyads.iter().enumerate() {
        alliance_panel(&alliance_panels[i], c, d)?;
        symptom_panel(&symptom_panels[i], c, d)?;
    }
    Ok(())
}

/// A legend entry's symbol.
enum Key {
    Line(RGBColor),
    Dashed(RGBColor),
    Circle(RGBColor, bool),
    Triangle(RGBColor, bool),
    Band(RGBColor),
    Square,
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

/// Legend entries in centred lines, in pixel coordinates.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[(Key, String)],
    lines: &[LegendLine],
) -> DrawResult<DB> {
    let font = legend_font();
    let (w, _) = area.dim_in_pixel();
    for (row, (entries, total)) in lines.iter().enumerate() {
        let mut x = ((w as i32 - total) / 2).max(4);
        let y = 5 + row as i32 * LEGEND_LINE as i32 + LEGEND_LINE as i32 / 2;
        for &i in entries {
            let (key, text) = &keys[i];
            let (tw, _) = area.estimate_text_size(text, &font)?;
            legend_key(area, key, x, y)?;
            area.draw(&Text::new(
                text.clone(),
                (x + GLYPH + 6, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += GLYPH + 6 + tw as i32 + GAP;
        }
    }
    Ok(())
}

fn legend_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &Key,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    let cx = x + GLYPH / 2;
    match key {
        Key::Line(col) => area.draw(&PathElement::new(
            vec![(x, y), (x + GLYPH, y)],
            col.stroke_width(3),
        ))?,
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
            area.draw(&Circle::new((cx, y), 7, marker_fill(*col, *filled)))?;
            area.draw(&Circle::new((cx, y), 7, col.stroke_width(3)))?;
        }
        Key::Triangle(col, filled) => {
            area.draw(&(EmptyElement::at((cx, y)) + triangle(9, marker_fill(*col, *filled))))?;
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
    }
    Ok(())
}

fn marker_fill(colour: RGBColor, filled: bool) -> ShapeStyle {
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

fn triangle(size: i32, style: ShapeStyle) -> Polygon<(i32, i32)> {
    Polygon::new(triangle_points(size), style)
}

fn triangle_outline(size: i32, style: ShapeStyle) -> PathElement<(i32, i32)> {
    let mut p = triangle_points(size);
    p.push(p[0]);
    PathElement::new(p, style)
}

fn x_range(c: &TraceChart) -> std::ops::Range<f64> {
    -0.4..f64::from(c.sessions) + 1.4
}

fn integer_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        String::new()
    }
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
        .caption(
            format!("{}: working alliance", d.title),
            ("sans-serif", 20).into_font().color(&INK),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range(c), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("Session")
        .y_desc("Alliance (latent, 0–1 scale)")
        .x_labels(x_labels(c))
        .x_label_formatter(&integer_label)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .axis_desc_style(("sans-serif", 17).into_font().color(&INK))
        .label_style(("sans-serif", 15).into_font().color(&INK))
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
            ("sans-serif", 20).into_font().color(&INK),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(xr.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("Session (0 = intake; last point = end-of-treatment assessment)")
        .y_desc(format!("{} score (points)", c.instrument))
        .x_labels(x_labels(c))
        .x_label_formatter(&integer_label)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .axis_desc_style(("sans-serif", 17).into_font().color(&INK))
        .label_style(("sans-serif", 15).into_font().color(&INK))
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

// =============================================================================================
// Power curves of `bordin power` (`power.svg`, `power.png`). This block is the power chart's
// only code; it reuses the embedded font, the Okabe-Ito colours and the marker helpers above.
// =============================================================================================

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

/// The power chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn power_svg(c: &PowerChart) -> Result<String, String> {
    fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (1400, 820)).into_drawing_area();
        draw_power(&root, c).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders the power chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn power_png(c: &PowerChart, path: &Path) -> Result<(), String> {
    fonts()?;
    let root = BitMapBackend::new(path, (1400, 820)).into_drawing_area();
    draw_power(&root, c).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Draws a power-chart marker (style as [`PowerSeries::style`]) of half-size `r` pixels,
/// filled or hollow, at a pixel position of `area` (the whole chart: panels give it their
/// `backend_coord`).
fn power_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: usize,
    at: (i32, i32),
    filled: bool,
    r: i32,
) -> DrawResult<DB> {
    let colour = [BLUE, VERMILLION, GREEN][style % 3];
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

fn draw_power<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &PowerChart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let ink = |size: u32| ("sans-serif", size).into_font().color(&INK);
    let (w, _) = root.dim_in_pixel();
    let w = w as i32;
    // Legend: one entry per analysis (line and marker), then the marker fills and the lines,
    // in centred lines that fit the width.
    let font = legend_font();
    let searched = c
        .series
        .iter()
        .any(|s| s.points.iter().any(|p| p.type1.is_nan()));
    let mut entries: Vec<(Option<usize>, Option<Key>, String)> = c
        .series
        .iter()
        .map(|s| (Some(s.style), None, s.label.clone()))
        .collect();
    entries.push((
        None,
        Some(Key::Circle(GREY, true)),
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
    entries.push((
        None,
        Some(Key::Circle(GREY, false)),
        "hollow: type I error".into(),
    ));
    entries.push((
        None,
        Some(Key::Dashed(INK)),
        format!("dashed: {}; α = {}", c.target_label, c.alpha),
    ));
    let mut widths = Vec::new();
    for (_, _, text) in &entries {
        let (tw, _) = root.estimate_text_size(text, &font)?;
        widths.push(GLYPH + 6 + tw as i32);
    }
    let mut lines: Vec<(Vec<usize>, i32)> = vec![(Vec::new(), 0)];
    for (i, &wi) in widths.iter().enumerate() {
        let line = lines.last_mut().expect("one line");
        let need = if line.0.is_empty() {
            wi
        } else {
            line.1 + GAP + wi
        };
        if need > w - 40 && !line.0.is_empty() {
            lines.push((vec![i], wi));
        } else {
            line.0.push(i);
            line.1 = need;
        }
    }
    let subtitles: Vec<&str> = c.subtitle.lines().collect();
    let legend_top = 44 + 24 * subtitles.len() as i32;
    let head_height = legend_top + LEGEND_LINE as i32 * lines.len() as i32 + 8;
    let (head, body) = root.split_vertically(head_height);
    head.draw(&Text::new(
        c.title.clone(),
        (w / 2, 22),
        ink(26).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    for (k, line) in subtitles.iter().enumerate() {
        head.draw(&Text::new(
            line.to_string(),
            (w / 2, 54 + 24 * k as i32),
            ink(16).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    for (row, (members, total)) in lines.iter().enumerate() {
        let mut x = ((w - total) / 2).max(4);
        let y = legend_top + LEGEND_LINE as i32 * row as i32 + LEGEND_LINE as i32 / 2;
        for &i in members {
            let (style, key, text) = &entries[i];
            if let Some(s) = style {
                let colour = [BLUE, VERMILLION, GREEN][s % 3];
                head.draw(&PathElement::new(
                    vec![(x, y), (x + GLYPH, y)],
                    colour.stroke_width(3),
                ))?;
                power_marker(&head, *s, (x + GLYPH / 2, y), true, 6)?;
            }
            if let Some(k) = key {
                legend_key(&head, k, x, y)?;
            }
            head.draw(&Text::new(
                text.clone(),
                (x + GLYPH + 6, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + GAP;
        }
    }

    let (bw, _) = body.dim_in_pixel();
    let (left, right) = body.split_horizontally(bw * 64 / 100);
    let ns: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.n))
        .collect();
    let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.07).max(2.0);
    let xr = (lo - pad).max(0.0)..hi + pad;
    // Series side by side around each n, so their error bars do not hide one another.
    let dodge = (xr.end - xr.start) * 0.007;
    let k = c.series.len() as f64;
    let shift = |i: usize| (i as f64 - (k - 1.0) / 2.0) * dodge;
    let bar = |p: f64, se: f64| {
        let h = 1.96 * if se.is_finite() { se } else { 0.0 };
        ((p - h).max(0.0), (p + h).min(1.0))
    };
    let integer = |x: &f64| {
        if (x - x.round()).abs() < 1e-9 {
            format!("{}", x.round())
        } else {
            format!("{x:.1}")
        }
    };

    // Left panel: power against n.
    let mut chart = ChartBuilder::on(&left)
        .caption(c.panel_title.clone(), ink(20))
        .margin(14)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(xr.clone(), -0.02..1.03)?;
    chart
        .configure_mesh()
        .x_desc("Patients per arm (n)")
        .y_desc(c.y_title.clone())
        .x_labels(12)
        .x_label_formatter(&integer)
        .y_labels(11)
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .axis_desc_style(ink(17))
        .label_style(ink(15))
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
                ink(15).pos(Pos::new(HPos::Left, VPos::Bottom)),
            ),
    ))?;
    for (i, s) in c.series.iter().enumerate() {
        let colour = [BLUE, VERMILLION, GREEN][s.style % 3];
        let dx = shift(i);
        chart.draw_series(LineSeries::new(
            s.points.iter().map(|p| (p.n + dx, p.power)),
            colour.stroke_width(3),
        ))?;
        // Points only the target search evaluated (no null design) are drawn smaller, with
        // thin bars, so that the requested design points stand out.
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
            power_marker(root, s.style, at, true, r)?;
        }
    }

    // Right panel: type I error against n, with the nominal level.
    let with_null = |s: &PowerSeries| -> Vec<PowerPoint> {
        s.points
            .iter()
            .filter(|p| p.type1.is_finite())
            .cloned()
            .collect()
    };
    // Its x axis spans the design points that have a null design.
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
    let mut chart = ChartBuilder::on(&right)
        .caption("Type I error (arms made equivalent)", ink(20))
        .margin(14)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(xr1.clone(), 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Patients per arm (n)")
        .y_desc("Type I error (share of trials with p < α)")
        .x_labels(6)
        .x_label_formatter(&integer)
        .y_labels(8)
        .y_label_formatter(&|y| format!("{y:.2}"))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .axis_desc_style(ink(17))
        .label_style(ink(15))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(xr1.start, c.alpha), (xr1.end, c.alpha)],
        10,
        6,
        INK.stroke_width(2),
    ))?;
    for (i, s) in c.series.iter().enumerate() {
        let colour = [BLUE, VERMILLION, GREEN][s.style % 3];
        let dx = shift(i) * (xr1.end - xr1.start) / (xr.end - xr.start) * 2.0;
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
            power_marker(root, s.style, at, false, 6)?;
        }
    }
    Ok(())
}

// =================================================================================================
// Charts of a run directory (`bordin report`, src/report.rs): outcome distribution, outcome
// classes, dose-effect, alliance-outcome scatter, therapist caterpillar, rupture and repair
// rates by session, trajectories. Same embedded font and Okabe-Ito palette as the trace chart;
// arms are told apart by colour and named in every legend or panel title.
// =================================================================================================

/// Okabe-Ito black.
const RUN_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Okabe-Ito yellow (last: weak on white).
const RUN_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Light grey for "unchanged" (neutral, between the improvement and deterioration colours).
const RUN_LIGHT_GREY: RGBColor = RGBColor(0xC4, 0xC4, 0xC4);
const RUN_MESH: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// The colour of arm (or therapist pool) `i`: Okabe-Ito, in an order that keeps neighbours apart.
pub fn arm_colour(i: usize) -> RGBColor {
    const ORDER: [RGBColor; 8] = [
        BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, RUN_BLACK, RUN_YELLOW,
    ];
    ORDER[i % ORDER.len()]
}

/// The colour of arm `i` as a CSS hex colour (for HTML legends and tables).
pub fn arm_colour_hex(i: usize) -> String {
    let RGBColor(r, g, b) = arm_colour(i);
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// Histogram of change per arm.
#[derive(Clone, Debug)]
pub struct ChangeHistogram {
    /// Instrument display name, e.g. `PHQ-9`.
    pub instrument: String,
    /// Bin width [points].
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

/// Shares of outcome classes per arm (stacked bars).
#[derive(Clone, Debug)]
pub struct ClassShares {
    /// Class names, in stacking order (the first five get the class colours).
    pub classes: Vec<String>,
    /// `(arm, patients, share of each class 0-1)`.
    pub arms: Vec<(String, u64, Vec<f64>)>,
}

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

/// Therapists' mean change with intervals, sorted.
#[derive(Clone, Debug)]
pub struct Caterpillar {
    pub instrument: String,
    /// Which replicate's therapists.
    pub replicate: u64,
    /// Groups (therapist pools): legend text (empty: not shown) and [`arm_colour`] index.
    pub groups: Vec<(String, usize)>,
    /// Sorted by mean.
    pub therapists: Vec<TherapistEffect>,
    /// Mean change of every patient of these therapists.
    pub overall: f64,
    /// The y axis never goes beyond these (intervals are cut there).
    pub limits: (f64, f64),
}

/// One therapist's mean change and 95% interval.
#[derive(Clone, Debug)]
pub struct TherapistEffect {
    pub id: String,
    /// Index into [`Caterpillar::groups`].
    pub group: usize,
    pub n: u64,
    pub mean: f64,
    /// 95% interval (NaN when fewer than two patients).
    pub lo: f64,
    pub hi: f64,
}

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

/// A chart of a run.
#[derive(Clone, Debug)]
pub enum RunChart {
    Histogram(ChangeHistogram),
    Classes(ClassShares),
    Lines(LineChart),
    Scatter(AllianceScatter),
    Caterpillar(Caterpillar),
    Spaghetti(Spaghetti),
}

impl RunChart {
    /// Pixel size.
    pub fn size(&self) -> (u32, u32) {
        match self {
            RunChart::Histogram(h) => (1000, 130 + 230 * h.arms.len().max(1) as u32),
            RunChart::Classes(c) => (1000, 190 + 70 * c.arms.len().max(1) as u32),
            RunChart::Lines(l) => (if l.panels.len() > 1 { 1200 } else { 1000 }, 600),
            RunChart::Scatter(_) => (1000, 700),
            RunChart::Caterpillar(_) => (1000, 620),
            RunChart::Spaghetti(s) => {
                let k = s.arms.len().max(1) as u32;
                let cols = k.min(2);
                (
                    if cols > 1 { 1200 } else { 1000 },
                    80 + 430 * k.div_ceil(cols),
                )
            }
        }
    }
}

/// A run chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn run_chart_svg(c: &RunChart) -> Result<String, String> {
    fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, c.size()).into_drawing_area();
        draw_run_chart(&root, c).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders a run chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn run_chart_png(c: &RunChart, path: &Path) -> Result<(), String> {
    fonts()?;
    let root = BitMapBackend::new(path, c.size()).into_drawing_area();
    draw_run_chart(&root, c).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn draw_run_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &RunChart,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    match c {
        RunChart::Histogram(h) => draw_run_histograms(root, h),
        RunChart::Classes(s) => draw_run_classes(root, s),
        RunChart::Lines(l) => draw_run_lines(root, l),
        RunChart::Scatter(s) => draw_run_scatter(root, s),
        RunChart::Caterpillar(t) => draw_run_caterpillar(root, t),
        RunChart::Spaghetti(s) => draw_run_spaghetti(root, s),
    }
}

fn run_title_font() -> TextStyle<'static> {
    ("sans-serif", 24).into_font().color(&INK)
}

fn run_caption_font() -> TextStyle<'static> {
    ("sans-serif", 18).into_font().color(&INK)
}

fn run_axis_font() -> TextStyle<'static> {
    ("sans-serif", 17).into_font().color(&INK)
}

fn run_label_font() -> TextStyle<'static> {
    ("sans-serif", 15).into_font().color(&INK)
}

/// A legend symbol of the run charts.
#[derive(Clone, Copy)]
enum RunSwatch {
    Fill(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Dot(RGBColor),
}

/// Centred lines of legend entries in `area` (as tall as [`run_swatch_legend_height`] says).
fn run_swatch_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(RunSwatch, String)],
) -> DrawResult<DB> {
    let font = legend_font();
    let (w, _) = area.dim_in_pixel();
    for (row, (items, total)) in run_swatch_lines(area, entries)?.iter().enumerate() {
        let mut x = ((w as i32 - total) / 2).max(4);
        let y = 4 + row as i32 * LEGEND_LINE as i32 + LEGEND_LINE as i32 / 2;
        for &i in items {
            let (sw, text) = &entries[i];
            let (tw, _) = area.estimate_text_size(text, &font)?;
            match *sw {
                RunSwatch::Fill(c) => area.draw(&Rectangle::new(
                    [(x + 4, y - 9), (x + GLYPH - 4, y + 9)],
                    c.filled(),
                ))?,
                RunSwatch::Line(c) => area.draw(&PathElement::new(
                    vec![(x, y), (x + GLYPH, y)],
                    c.stroke_width(3),
                ))?,
                RunSwatch::Dashed(c) => {
                    for k in 0..3 {
                        let a = x + k * 11;
                        area.draw(&PathElement::new(
                            vec![(a, y), (a + 7, y)],
                            c.stroke_width(2),
                        ))?;
                    }
                }
                RunSwatch::Dot(c) => area.draw(&Circle::new((x + GLYPH / 2, y), 6, c.filled()))?,
            }
            area.draw(&Text::new(
                text.clone(),
                (x + GLYPH + 6, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += GLYPH + 6 + tw as i32 + GAP;
        }
    }
    Ok(())
}

fn run_swatch_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(RunSwatch, String)],
) -> Result<Vec<LegendLine>, DrawingAreaErrorKind<DB::ErrorType>> {
    let font = legend_font();
    let (width, _) = area.dim_in_pixel();
    let mut lines: Vec<LegendLine> = vec![(Vec::new(), 0)];
    for (i, (_, text)) in entries.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(text, &font)?;
        let w = GLYPH + 6 + tw as i32;
        let line = lines.last_mut().expect("one line");
        let need = if line.0.is_empty() {
            w
        } else {
            line.1 + GAP + w
        };
        if need > width as i32 - 20 && !line.0.is_empty() {
            lines.push((vec![i], w));
        } else {
            line.0.push(i);
            line.1 = need;
        }
    }
    Ok(lines)
}

/// Height of a legend [pixels].
fn run_swatch_legend_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(RunSwatch, String)],
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    if entries.is_empty() {
        return Ok(0);
    }
    Ok(run_swatch_lines(area, entries)?.len() as u32 * LEGEND_LINE + 8)
}

/// Title, then legend; returns the area left for panels.
fn run_titled_with_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(RunSwatch, String)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let body = root.margin(8, 0, 0, 0).titled(title, run_title_font())?;
    let h = run_swatch_legend_height(&body, entries)?;
    let (legend_area, rest) = body.split_vertically(h);
    run_swatch_legend(&legend_area, entries)?;
    Ok(rest)
}

fn run_pct_label(y: &f64) -> String {
    format!("{y:.0}%")
}

fn draw_run_histograms<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &ChangeHistogram,
) -> DrawResult<DB> {
    let legend = vec![
        (
            RunSwatch::Dashed(INK),
            format!(
                "reliable change (±{} points)",
                crate::io::num(h.rc_threshold, 2)
            ),
        ),
        (RunSwatch::Line(INK), "mean change".to_string()),
    ];
    let body = run_titled_with_legend(
        root,
        &format!(
            "Distribution of change ({} final - intake; negative = improvement)",
            h.instrument
        ),
        &legend,
    )?;
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
    let top = (top * 1.15).max(1.0);
    let panels = body.split_evenly((h.arms.len().max(1), 1));
    for (a, area) in h.arms.iter().zip(&panels) {
        let col = arm_colour(a.colour);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{}: {} patients, mean change {:.1}", a.arm, a.n, a.mean),
                run_caption_font(),
            )
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(lo..hi, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc(format!("Change ({} points)", h.instrument))
            .y_desc("Patients (% of arm)")
            .y_labels(5)
            .y_label_formatter(&run_pct_label)
            .x_label_formatter(&integer_label)
            .light_line_style(WHITE)
            .bold_line_style(RUN_MESH)
            .axis_desc_style(run_axis_font())
            .label_style(run_label_font())
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
    }
    Ok(())
}

/// Colours of the outcome classes: recovered, improved, unchanged, deteriorated, dropped out.
const RUN_CLASS_COLOURS: [RGBColor; 5] = [GREEN, SKY, RUN_LIGHT_GREY, VERMILLION, RUN_BLACK];

fn draw_run_classes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &ClassShares,
) -> DrawResult<DB> {
    let colour = |i: usize| RUN_CLASS_COLOURS.get(i).copied().unwrap_or(GREY);
    let legend: Vec<(RunSwatch, String)> = s
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| (RunSwatch::Fill(colour(i)), c.clone()))
        .collect();
    let body = run_titled_with_legend(root, "Outcome classes per arm", &legend)?;
    let k = s.arms.len().max(1) as i32;
    let names: Vec<String> = s
        .arms
        .iter()
        .map(|(a, n, _)| format!("{a} (n = {n})"))
        .collect();
    let label_width = names
        .iter()
        .map(|n| {
            body.estimate_text_size(n, &run_label_font())
                .map(|(w, _)| w)
        })
        .collect::<Result<Vec<u32>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(60)
        + 20;
    let mut chart = ChartBuilder::on(&body)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..100.0, (0..(k - 1).max(1)).into_segmented())?;
    chart
        .configure_mesh()
        .x_desc("Patients (% of arm)")
        .x_labels(11)
        .x_label_formatter(&run_pct_label)
        .y_labels(k as usize)
        .y_label_formatter(&|v: &SegmentValue<i32>| match v {
            // The first arm on top.
            SegmentValue::CenterOf(i) => names
                .get((k - 1 - *i) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RUN_MESH)
        .axis_desc_style(run_axis_font())
        .label_style(run_label_font())
        .draw()?;
    for (i, (_, _, shares)) in s.arms.iter().enumerate() {
        let i = k - 1 - i as i32;
        let mut x0 = 0.0;
        for (c, share) in shares.iter().enumerate() {
            let x1 = x0 + share * 100.0;
            if share > &0.0 {
                let mut r = Rectangle::new(
                    [
                        (x0, SegmentValue::Exact(i)),
                        (x1, SegmentValue::Exact(i + 1)),
                    ],
                    colour(c).filled(),
                );
                r.set_margin(10, 10, 0, 0);
                chart.draw_series(std::iter::once(r))?;
                if *share >= 0.05 {
                    let ink = if matches!(c, 3 | 4) { WHITE } else { INK };
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{:.0}%", share * 100.0),
                        ((x0 + x1) / 2.0, SegmentValue::CenterOf(i)),
                        ("sans-serif", 15)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )))?;
                }
            }
            x0 = x1;
        }
    }
    Ok(())
}

fn draw_run_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &LineChart,
) -> DrawResult<DB> {
    // One legend for every panel: each line name once, in first-seen order.
    let mut legend: Vec<(RunSwatch, String)> = Vec::new();
    for p in &l.panels {
        for s in &p.lines {
            if !legend.iter().any(|(_, n)| *n == s.name) {
                legend.push((RunSwatch::Line(arm_colour(s.colour)), s.name.clone()));
            }
        }
    }
    let body = run_titled_with_legend(root, &l.title, &legend)?;
    let panels = body.split_evenly((1, l.panels.len().max(1)));
    for (p, area) in l.panels.iter().zip(&panels) {
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, run_caption_font())
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(p.x_range.0..p.x_range.1, p.y_range.0..p.y_range.1)?;
        let percent = p.percent;
        let fmt = move |y: &f64| {
            if percent {
                format!("{y:.0}%")
            } else {
                format!("{y}")
            }
        };
        chart
            .configure_mesh()
            .x_desc(&p.x_desc)
            .y_desc(&p.y_desc)
            .x_labels(((p.x_range.1 - p.x_range.0) as usize + 1).min(21))
            .x_label_formatter(&integer_label)
            .y_labels(6)
            .y_label_formatter(&fmt)
            .light_line_style(WHITE)
            .bold_line_style(RUN_MESH)
            .axis_desc_style(run_axis_font())
            .label_style(run_label_font())
            .draw()?;
        for s in &p.lines {
            let col = arm_colour(s.colour);
            chart.draw_series(LineSeries::new(
                s.points.iter().copied(),
                col.stroke_width(3),
            ))?;
            chart.draw_series(s.points.iter().map(|&pt| Circle::new(pt, 4, col.filled())))?;
        }
    }
    Ok(())
}

fn draw_run_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &AllianceScatter,
) -> DrawResult<DB> {
    let legend: Vec<(RunSwatch, String)> = s
        .arms
        .iter()
        .map(|a| {
            let r = if a.r.is_finite() {
                format!("r = {:.2}", a.r)
            } else {
                "r undefined".into()
            };
            (
                RunSwatch::Dot(arm_colour(a.colour)),
                format!("{}: {r}, n = {} (line: least squares)", a.arm, a.n),
            )
        })
        .collect();
    let body = run_titled_with_legend(
        root,
        "Alliance at session 3 and outcome (residual gain)",
        &legend,
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
        .build_cartesian_2d(12.0..60.0, (ylo - pad)..(yhi + pad))?;
    chart
        .configure_mesh()
        .x_desc("Patient-rated alliance at session 3 (WAI-SR total, 12-60)")
        .y_desc(format!(
            "Residual gain ({} points; + = better than predicted)",
            s.instrument
        ))
        .x_labels(13)
        .x_label_formatter(&integer_label)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE)
        .bold_line_style(RUN_MESH)
        .axis_desc_style(run_axis_font())
        .label_style(run_label_font())
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(12.0, 0.0), (60.0, 0.0)],
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
            let (x0, x1) = if x0 < x1 { (x0, x1) } else { (12.0, 60.0) };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, b0 + b1 * x0), (x1, b0 + b1 * x1)],
                arm_colour(a.colour).stroke_width(4),
            )))?;
        }
    }
    Ok(())
}

fn draw_run_caterpillar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Caterpillar,
) -> DrawResult<DB> {
    let mut legend: Vec<(RunSwatch, String)> = t
        .groups
        .iter()
        .filter(|g| !g.0.is_empty())
        .map(|(g, c)| (RunSwatch::Dot(arm_colour(*c)), g.clone()))
        .collect();
    legend.push((
        RunSwatch::Dashed(INK),
        format!("mean of all their patients ({:.1})", t.overall),
    ));
    let body = run_titled_with_legend(
        root,
        &format!(
            "Therapist effects: mean change of each therapist's patients (replicate {})",
            t.replicate
        ),
        &legend,
    )?;
    let n = t.therapists.len().max(1) as f64;
    let (mut lo, mut hi) = (t.overall - 1.0, t.overall + 1.0);
    for e in &t.therapists {
        for v in [e.mean, e.lo, e.hi] {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let (lo, hi) = (lo.max(t.limits.0), hi.min(t.limits.1));
    let pad = 0.05 * (hi - lo);
    let mut chart = ChartBuilder::on(&body)
        .margin(14)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..n + 1.0, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("Therapists, ranked by mean change (1 = most improvement)")
        .y_desc(format!(
            "Mean change ({} points; 95% interval)",
            t.instrument
        ))
        .x_labels(11)
        .x_label_formatter(&integer_label)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(WHITE)
        .bold_line_style(RUN_MESH)
        .axis_desc_style(run_axis_font())
        .label_style(run_label_font())
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(0.0, t.overall), (n + 1.0, t.overall)],
        8,
        6,
        INK.stroke_width(2),
    ))?;
    let width = if n > 150.0 { 1 } else { 2 };
    for (i, e) in t.therapists.iter().enumerate() {
        let x = i as f64 + 1.0;
        let col = arm_colour(t.groups.get(e.group).map_or(e.group, |g| g.1));
        if e.lo.is_finite() && e.hi.is_finite() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, e.lo.max(lo - pad)), (x, e.hi.min(hi + pad))],
                col.mix(0.7).stroke_width(width),
            )))?;
        }
        chart.draw_series(std::iter::once(Circle::new(
            (x, e.mean),
            if n > 150.0 { 2 } else { 3 },
            col.filled(),
        )))?;
    }
    Ok(())
}

fn draw_run_spaghetti<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Spaghetti,
) -> DrawResult<DB> {
    let legend = vec![
        (
            RunSwatch::Line(GREY),
            "one patient: intake (0), score before each session, end assessment".to_string(),
        ),
        (
            RunSwatch::Dashed(INK),
            format!("clinical cut-off ({})", crate::io::num(s.cutoff, 2)),
        ),
    ];
    let body = run_titled_with_legend(
        root,
        &format!("Symptom trajectories ({})", s.instrument),
        &legend,
    )?;
    let k = s.arms.len().max(1);
    let cols = k.min(2);
    let panels = body.split_evenly((k.div_ceil(cols), cols));
    let (lo, hi) = s.score_range;
    for (a, area) in s.arms.iter().zip(&panels) {
        let col = arm_colour(a.colour);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{}: {} patients", a.arm, a.trajectories.len()),
                run_caption_font(),
            )
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(75)
            .build_cartesian_2d(
                0.0..s.x_max,
                (lo - 0.01 * (hi - lo))..(hi + 0.01 * (hi - lo)),
            )?;
        chart
            .configure_mesh()
            .x_desc("Session (0 = intake)")
            .y_desc(format!("{} score (points)", s.instrument))
            .x_labels((s.x_max as usize + 1).min(16))
            .x_label_formatter(&integer_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE)
            .bold_line_style(RUN_MESH)
            .axis_desc_style(run_axis_font())
            .label_style(run_label_font())
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
    }
    Ok(())
}

// =================================================================================================
// Figures of an experiment (`bordin experiment`, src/experiment.rs): a forest-style dot plot of
// its rows and checks (`figure.svg`, `figure.png`) and series curves (`figure_NAME.*`). Same
// embedded font and Okabe-Ito palette; rows are blue, passing checks green and filled, failing
// checks vermillion and hollow, so colour is never the only cue.
// =================================================================================================

/// One row or check of a [`ForestChart`].
#[derive(Clone, Debug)]
pub struct ForestItem {
    pub label: String,
    /// Mean over replicates (NaN: not computed).
    pub value: f64,
    /// Monte Carlo SE: the bar is ± 1.96 SE (none when not finite).
    pub mc_se: f64,
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
    pub panels: Vec<ForestPanel>,
}

const FOREST_WIDTH: u32 = 1400;
/// Width of the label column left of the axes and of the value column right of them [pixels].
const FOREST_LABELS: u32 = 560;
const FOREST_VALUES: u32 = 230;
/// Height of a line of label text, and the padding of an item [pixels].
const FOREST_LINE: u32 = 19;
const FOREST_PAD: u32 = 14;
/// Height of a panel besides its items: caption, x axis and margins [pixels].
const FOREST_CAPTION: u32 = 36;
const FOREST_AXIS: u32 = 44;
const FOREST_MARGIN: u32 = 8;
/// Light background of every other item.
const FOREST_STRIPE: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);

/// Where everything of a forest chart goes (text measured with the embedded font).
struct ForestLayout {
    title: Vec<String>,
    legend: Vec<LegendLine>,
    /// Height of the title, note and legend [pixels].
    head: u32,
    /// Per panel, per item: the wrapped label and the item's height [pixels].
    items: Vec<Vec<(Vec<String>, u32)>>,
    /// Per panel: its height [pixels].
    panels: Vec<u32>,
}

impl ForestLayout {
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

fn forest_legend() -> Vec<(Key, String)> {
    vec![
        (
            Key::Circle(BLUE, true),
            "value (mean over replicates); bar: 95% Monte Carlo interval, ± 1.96 SE".into(),
        ),
        (Key::Band(SKY), "check: the band it should fall in".into()),
        (Key::Circle(GREEN, true), "check passes (filled)".into()),
        (
            Key::Circle(VERMILLION, false),
            "check fails (hollow)".into(),
        ),
    ]
}

/// The text right of an item: its value and SE, and a check's band and verdict.
fn forest_value_text(it: &ForestItem) -> Vec<String> {
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.3}")
        } else {
            "-".into()
        }
    };
    let mut out = vec![if it.value.is_finite() {
        format!("{} (SE {})", f(it.value), f(it.mc_se))
    } else {
        "not computed".into()
    }];
    if let Some((lo, hi)) = it.band {
        out.push(format!(
            "band [{}, {}]: {}",
            crate::io::num(lo, 4),
            crate::io::num(hi, 4),
            if it.pass == Some(true) {
                "pass"
            } else {
                "FAIL"
            }
        ));
    }
    out
}

fn forest_layout(c: &ForestChart) -> Result<ForestLayout, String> {
    let mut scratch = String::new();
    let area = SVGBackend::with_string(&mut scratch, (FOREST_WIDTH, 100)).into_drawing_area();
    let measure = || -> Result<ForestLayout, DrawingAreaErrorKind<std::io::Error>> {
        let title = wrap_text(&area, &c.title, &run_title_font(), FOREST_WIDTH - 60)?;
        let legend = legend_lines(&area, &forest_legend(), FOREST_WIDTH as i32)?;
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
                let label = wrap_text(&area, &it.label, &run_label_font(), FOREST_LABELS - 30)?;
                let lines = label.len().max(forest_value_text(it).len()) as u32;
                its.push((label, lines * FOREST_LINE + FOREST_PAD));
            }
            let caption = if p.title.is_empty() {
                0
            } else {
                FOREST_CAPTION
            };
            panels.push(
                its.iter().map(|(_, h)| h).sum::<u32>() + caption + FOREST_AXIS + 2 * FOREST_MARGIN,
            );
            items.push(its);
        }
        Ok(ForestLayout {
            title,
            legend,
            head,
            items,
            panels,
        })
    };
    measure().map_err(|e| e.to_string())
}

/// The forest chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn forest_svg(c: &ForestChart) -> Result<String, String> {
    fonts()?;
    let l = forest_layout(c)?;
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (FOREST_WIDTH, l.height())).into_drawing_area();
        draw_forest(&root, c, &l).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders the forest chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn forest_png(c: &ForestChart, path: &Path) -> Result<(), String> {
    fonts()?;
    let l = forest_layout(c)?;
    let root = BitMapBackend::new(path, (FOREST_WIDTH, l.height())).into_drawing_area();
    draw_forest(&root, c, &l).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The x range of a panel: every value with its interval, and band edges and zero near them
/// (farther band edges are cut at the axis, so a wide band does not squash the values).
fn forest_x_range(items: &[ForestItem]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for it in items.iter().filter(|it| it.value.is_finite()) {
        let h = if it.mc_se.is_finite() {
            1.96 * it.mc_se
        } else {
            0.0
        };
        lo = lo.min(it.value - h);
        hi = hi.max(it.value + h);
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

/// Tick labels with as many decimals as the span needs.
fn span_label(span: f64) -> impl Fn(&f64) -> String {
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

fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &ForestChart,
    l: &ForestLayout,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let w = FOREST_WIDTH as i32;
    let (head, mut body) = root.split_vertically(l.head);
    let mut y = 14;
    for line in &l.title {
        head.draw(&Text::new(
            line.clone(),
            (w / 2, y + 16),
            run_title_font().pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        y += 32;
    }
    if !c.note.is_empty() {
        head.draw(&Text::new(
            c.note.clone(),
            (w / 2, y + 12),
            legend_font().pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        y += 26;
    }
    let (_, legend_area) = head.split_vertically(y);
    legend(&legend_area, &forest_legend(), &l.legend)?;

    let label_font = run_label_font();
    for ((p, its), &height) in c.panels.iter().zip(&l.items).zip(&l.panels) {
        let (area, rest) = body.split_vertically(height);
        body = rest;
        let units: f64 = its.iter().map(|(_, h)| f64::from(*h)).sum();
        let (xlo, xhi) = forest_x_range(&p.items);
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin_top(FOREST_MARGIN)
            .margin_bottom(FOREST_MARGIN)
            .margin_left(10)
            .margin_right(FOREST_VALUES)
            .x_label_area_size(FOREST_AXIS)
            .y_label_area_size(FOREST_LABELS);
        if !p.title.is_empty() {
            builder.caption(&p.title, run_caption_font());
        }
        let mut chart = builder.build_cartesian_2d(xlo..xhi, 0.0..units.max(1.0))?;
        // Item centres and extents, top down, in chart coordinates.
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
                    [(8, y0), (w - 8, y1)],
                    FOREST_STRIPE.filled(),
                ))?;
            }
        }
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&span_label(xhi - xlo))
            .max_light_lines(0)
            .bold_line_style(RUN_MESH)
            .axis_desc_style(run_axis_font())
            .label_style(run_label_font())
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
            let half = f64::from(*h) * 0.32;
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
                if it.mc_se.is_finite() && it.mc_se > 0.0 {
                    let (a, b) = (
                        (it.value - 1.96 * it.mc_se).max(xlo),
                        (it.value + 1.96 * it.mc_se).min(xhi),
                    );
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
            // Label left of the axes, value right of them, centred on the item.
            let (left, cy) = chart.backend_coord(&(xlo, mid));
            let (right, _) = chart.backend_coord(&(xhi, mid));
            let line_y =
                |k: usize, n: usize| cy + (2 * k as i32 + 1 - n as i32) * FOREST_LINE as i32 / 2;
            for (k, line) in label.iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (left - 12, line_y(k, label.len())),
                    label_font.pos(Pos::new(HPos::Right, VPos::Center)),
                ))?;
            }
            let values = forest_value_text(it);
            for (k, line) in values.iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (right + 16, line_y(k, values.len())),
                    label_font.pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
            }
        }
    }
    Ok(())
}

/// One curve of a [`SeriesChart`].
#[derive(Clone, Debug)]
pub struct SeriesCurve {
    pub name: String,
    /// `(x, value, Monte Carlo SE)`; points with a NaN value are left out.
    pub points: Vec<(f64, f64, f64)>,
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

const SERIES_SIZE: (u32, u32) = (1100, 700);

/// The series chart as an SVG document.
///
/// # Errors
/// A rendering failure, as text.
pub fn series_svg(c: &SeriesChart) -> Result<String, String> {
    fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SERIES_SIZE).into_drawing_area();
        draw_series_chart(&root, c).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Renders the series chart to a PNG file at `path` (whose name must end in `.png`).
///
/// # Errors
/// A rendering or write failure, as text.
pub fn series_png(c: &SeriesChart, path: &Path) -> Result<(), String> {
    fonts()?;
    let root = BitMapBackend::new(path, SERIES_SIZE).into_drawing_area();
    draw_series_chart(&root, c).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn draw_series_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &SeriesChart,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let mut legend: Vec<(RunSwatch, String)> = c
        .curves
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let col = arm_colour(k);
            let swatch = if k % 2 == 0 {
                RunSwatch::Line(col)
            } else {
                RunSwatch::Dashed(col)
            };
            (swatch, s.name.clone())
        })
        .collect();
    legend.push((
        RunSwatch::Fill(RGBColor(0xD6, 0xD6, 0xD6)),
        "shaded: 95% Monte Carlo interval (± 1.96 SE)".into(),
    ));
    let body = run_titled_with_legend(root, &c.title, &legend)?;
    let finite = |s: &SeriesCurve| -> Vec<(f64, f64, f64)> {
        s.points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, v, se)| (x, v, if se.is_finite() { 1.96 * se } else { 0.0 }))
            .collect()
    };
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
    // Non-negative values are shown from zero.
    if ylo >= 0.0 {
        ylo = 0.0;
    }
    if yhi <= ylo {
        yhi = ylo + 1.0;
    }
    let ypad = 0.05 * (yhi - ylo);
    let (ylo, yhi) = (if ylo == 0.0 { 0.0 } else { ylo - ypad }, yhi + ypad);
    let xr = (xlo - 0.5)..(xhi + 0.5);
    let mut chart = ChartBuilder::on(&body)
        .margin(14)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(xr.clone(), ylo..yhi)?;
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_labels(((xhi - xlo) as usize + 1).min(16))
        .x_label_formatter(&integer_label)
        .y_labels(8)
        .y_label_formatter(&span_label(yhi - ylo))
        .light_line_style(WHITE)
        .bold_line_style(RUN_MESH)
        .axis_desc_style(run_axis_font())
        .label_style(run_label_font())
        .draw()?;
    for (k, s) in c.curves.iter().enumerate() {
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
    for (k, s) in c.curves.iter().enumerate() {
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
