//! The charts of a run directory (`bordin report`): outcome distribution, outcome classes,
//! dose-effect and rupture and repair rates (line panels), alliance-outcome scatter, therapist
//! caterpillar and trajectories. Arms are told apart by [`arm_colour`] and named in every legend
//! or panel title.
//!
//! [`arm_colour`]: super::arm_colour

pub mod caterpillar;
pub mod classes;
pub mod distribution;
pub mod lines;
pub mod scatter;
pub mod trajectories;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult};

/// A chart of a run.
#[derive(Clone, Debug)]
pub enum RunChart {
    Histogram(distribution::ChangeHistogram),
    Classes(classes::ClassShares),
    Lines(lines::LineChart),
    Scatter(scatter::AllianceScatter),
    Caterpillar(caterpillar::Caterpillar),
    Spaghetti(trajectories::Spaghetti),
}

impl Chart for RunChart {
    fn size(&self) -> Result<(u32, u32), String> {
        match self {
            RunChart::Histogram(c) => c.size(),
            RunChart::Classes(c) => c.size(),
            RunChart::Lines(c) => c.size(),
            RunChart::Scatter(c) => c.size(),
            RunChart::Caterpillar(c) => c.size(),
            RunChart::Spaghetti(c) => c.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        match self {
            RunChart::Histogram(c) => c.draw(root),
            RunChart::Classes(c) => c.draw(root),
            RunChart::Lines(c) => c.draw(root),
            RunChart::Scatter(c) => c.draw(root),
            RunChart::Caterpillar(c) => c.draw(root),
            RunChart::Spaghetti(c) => c.draw(root),
        }
    }
}
