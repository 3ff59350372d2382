//! The figures of an experiment: `figure.svg`/`.png` (every row and check, a forest-style dot
//! plot) and one curve per `[[figure]]` (`figure_NAME.svg`/`.png`), as charts of
//! [`crate::plot`].

use crate::plot;

use super::{Outcome, Series};

/// The results figure of an outcome: one panel per `panel` name.
pub(super) fn forest_chart(o: &Outcome) -> plot::ForestChart {
    plot::ForestChart {
        title: o.title.clone(),
        values: plot::MONTE_CARLO_VALUES.into(),
        checks: true,
        note: if o.quick {
            "Quick mode: a third of the replicates; a check passes within two Monte Carlo SEs of its band.".into()
        } else {
            String::new()
        },
        panels: o
            .panels()
            .into_iter()
            .map(|p| plot::ForestPanel {
                title: p.name.to_string(),
                items: p
                    .values
                    .iter()
                    .map(|v| plot::ForestItem {
                        label: v.label.clone(),
                        value: v.value,
                        mc_se: v.mc_se,
                        interval: None,
                        band: v.band,
                        pass: v.pass,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The chart of a series figure: one curve per scenario.
pub(super) fn series_chart(s: &Series) -> plot::SeriesChart {
    plot::SeriesChart {
        title: s.title.clone(),
        x_label: s.x_label.clone(),
        y_label: s.y_label.clone(),
        curves: s
            .lines
            .iter()
            .map(|l| plot::SeriesCurve {
                name: l.scenario.clone(),
                points: l
                    .points
                    .iter()
                    .map(|&(n, value, se)| plot::SeriesPoint {
                        x: f64::from(n),
                        value,
                        se,
                    })
                    .collect(),
            })
            .collect(),
    }
}
