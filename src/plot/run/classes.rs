//! Outcome classes per arm (Jacobson-Truax): stacked horizontal bars, the first arm on top.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::plot::style::{
    BLACK, GREEN, GREY, INK, Key, LABEL, LIGHT_GREY, SKY, VERMILLION, mesh, pct_label, text,
    titled_with_legend,
};
use crate::plot::{Chart, DrawResult};

/// Shares of outcome classes per arm (stacked bars).
#[derive(Clone, Debug)]
pub struct ClassShares {
    /// Class names, in stacking order (the first five get the class colours).
    pub classes: Vec<String>,
    /// `(arm, patients, share of each class 0-1)`.
    pub arms: Vec<(String, u64, Vec<f64>)>,
}

/// Colours of the outcome classes: recovered, improved, unchanged, deteriorated, dropped out.
const CLASS_COLOURS: [RGBColor; 5] = [GREEN, SKY, LIGHT_GREY, VERMILLION, BLACK];

fn colour(class: usize) -> RGBColor {
    CLASS_COLOURS.get(class).copied().unwrap_or(GREY)
}

/// Shares on x, one bar segment per arm on y.
type Bars<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordi32>>>;

impl Chart for ClassShares {
    /// One bar per arm.
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1000, 190 + 70 * self.arms.len().max(1) as u32))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend: Vec<(Key, String)> = self
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (Key::Fill(colour(i)), c.clone()))
            .collect();
        let body = titled_with_legend(root, "Outcome classes per arm", &legend)?;
        let k = self.arms.len().max(1) as i32;
        let names: Vec<String> = self
            .arms
            .iter()
            .map(|(a, n, _)| format!("{a} (n = {n})"))
            .collect();
        let label_width = names
            .iter()
            .map(|n| body.estimate_text_size(n, &text(LABEL)).map(|(w, _)| w))
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
        mesh(&mut chart.configure_mesh())
            .x_desc("Patients (% of arm)")
            .x_labels(11)
            .x_label_formatter(&pct_label)
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
            .draw()?;
        for (i, (_, _, shares)) in self.arms.iter().enumerate() {
            bar(&mut chart, k - 1 - i as i32, shares)?;
        }
        Ok(())
    }
}

/// One arm's bar at segment `i`: its class shares from the left, labelled when 5% or more.
fn bar<DB: DrawingBackend>(chart: &mut Bars<'_, DB>, i: i32, shares: &[f64]) -> DrawResult<DB> {
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
                    ("sans-serif", LABEL)
                        .into_font()
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
        }
        x0 = x1;
    }
    Ok(())
}
