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
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

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
