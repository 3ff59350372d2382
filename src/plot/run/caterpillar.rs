//! Therapist effects: each therapist's mean change with its interval, ranked (a caterpillar
//! plot), coloured by therapist pool.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::style::{INK, Key, arm_colour, integer_label, mesh, titled_with_legend};
use crate::plot::{Chart, DrawResult};

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

impl Chart for Caterpillar {
    fn size(&self) -> Result<(u32, u32), String> {
        Ok((1000, 620))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let t = self;
        let mut legend: Vec<(Key, String)> = t
            .groups
            .iter()
            .filter(|g| !g.0.is_empty())
            .map(|(g, c)| (Key::Dot(arm_colour(*c)), g.clone()))
            .collect();
        legend.push((
            Key::Dashed(INK),
            format!("mean of all their patients ({:.1})", t.overall),
        ));
        let title = format!(
            "Therapist effects: mean change of each therapist's patients (replicate {})",
            t.replicate
        );
        let body = titled_with_legend(root, &title, &legend)?;
        let n = t.therapists.len().max(1) as f64;
        let (lo, hi) = y_range(t);
        let pad = 0.05 * (hi - lo);
        let mut chart = ChartBuilder::on(&body)
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..n + 1.0, (lo - pad)..(hi + pad))?;
        mesh(&mut chart.configure_mesh())
            .x_desc("Therapists, ranked by mean change (1 = most improvement)")
            .y_desc(format!(
                "Mean change ({} points; 95% interval)",
                t.instrument
            ))
            .x_labels(11)
            .x_label_formatter(&integer_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, t.overall), (n + 1.0, t.overall)],
            8,
            6,
            INK.stroke_width(2),
        ))?;
        // Thinner bars and smaller dots for many therapists.
        let many = n > 150.0;
        for (i, e) in t.therapists.iter().enumerate() {
            let x = i as f64 + 1.0;
            let col = arm_colour(t.groups.get(e.group).map_or(e.group, |g| g.1));
            if e.lo.is_finite() && e.hi.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, e.lo.max(lo - pad)), (x, e.hi.min(hi + pad))],
                    col.mix(0.7).stroke_width(if many { 1 } else { 2 }),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new(
                (x, e.mean),
                if many { 2 } else { 3 },
                col.filled(),
            )))?;
        }
        Ok(())
    }
}

/// Every mean and interval and the overall mean ± 1, within [`Caterpillar::limits`].
fn y_range(t: &Caterpillar) -> (f64, f64) {
    let (mut lo, mut hi) = (t.overall - 1.0, t.overall + 1.0);
    for e in &t.therapists {
        for v in [e.mean, e.lo, e.hi] {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    (lo.max(t.limits.0), hi.min(t.limits.1))
}
