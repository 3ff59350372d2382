//! The tables of an experiment: `results.md` (and the terminal), `results.csv` and each
//! figure's `figure_NAME.csv`.

use std::path::Path;

use crate::error::Result;
use crate::io::{AtomicFile, num};

use super::spec::series_statistic;
use super::{Outcome, Series};

impl Outcome {
    /// The result as Markdown.
    pub fn markdown(&self) -> String {
        let f = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        let mut out = format!(
            "# {}\n\n{}\n\n| quantity | scenario | value | MC SE |\n|---|---|---|---|\n",
            self.title, self.question
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.label,
                r.scenario,
                f(r.value),
                f(r.mc_se)
            ));
        }
        if !self.checks.is_empty() {
            out.push_str("\n| check | value | band | result |\n|---|---|---|---|\n");
            for c in &self.checks {
                let (lo, hi) = c.band.unwrap_or((f64::NAN, f64::NAN));
                out.push_str(&format!(
                    "| {} | {} | [{lo}, {hi}] | {} |\n",
                    c.label,
                    f(c.value),
                    if c.pass == Some(true) { "pass" } else { "FAIL" }
                ));
            }
        }
        if self.quick {
            out.push_str("\nQuick mode: a third of the replicates; check bands widened by two Monte Carlo SEs.\n");
        }
        out
    }
}

/// Writes `results.csv`: kind, label, scenario, statistic, value, mc_se, lower, upper, pass.
pub(super) fn write_csv(out: &Path, o: &Outcome) -> Result<()> {
    let mut csv = AtomicFile::create(out, "results.csv")?;
    csv.record([
        "kind",
        "label",
        "scenario",
        "statistic",
        "value",
        "mc_se",
        "lower",
        "upper",
        "pass",
    ])?;
    let rows = o.rows.iter().map(|v| ("row", v));
    for (kind, v) in rows.chain(o.checks.iter().map(|v| ("check", v))) {
        let (lo, hi) = v.band.map_or((String::new(), String::new()), |(l, h)| {
            (num(l, 6), num(h, 6))
        });
        csv.record([
            kind.to_string(),
            v.label.clone(),
            v.scenario.clone(),
            v.statistic.clone(),
            num(v.value, 6),
            num(v.mc_se, 6),
            lo,
            hi,
            v.pass.map_or(String::new(), |p| u8::from(p).to_string()),
        ])?;
    }
    csv.commit()?;
    Ok(())
}

/// Writes `results.md`.
pub(super) fn write_markdown(out: &Path, o: &Outcome) -> Result<()> {
    let mut md = AtomicFile::create(out, "results.md")?;
    md.raw(o.markdown().as_bytes())?;
    md.commit()?;
    Ok(())
}

/// Writes a figure's `figure_NAME.csv`: scenario, n, statistic, value, mc_se.
pub(super) fn write_series_csv(out: &Path, s: &Series) -> Result<()> {
    let mut csv = AtomicFile::create(out, &format!("{}.csv", s.stem()))?;
    csv.record(["scenario", "n", "statistic", "value", "mc_se"])?;
    for l in &s.lines {
        for &(n, v, se) in &l.points {
            csv.record([
                l.scenario.clone(),
                n.to_string(),
                series_statistic(&s.statistic, n),
                num(v, 6),
                num(se, 6),
            ])?;
        }
    }
    csv.commit()?;
    Ok(())
}
