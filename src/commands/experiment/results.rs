//! The tables of an experiment: `results.md` (and the terminal), `results.csv` and each
//! figure's `figure_NAME.csv`.

use std::path::Path;

use crate::error::Result;
use crate::io::{AtomicFile, num};

use super::spec::series_statistic;
use super::{Outcome, Series};

impl Outcome {
    /// The result as Markdown; over a posterior, with each value's 95% posterior predictive
    /// interval beside it.
    pub fn markdown(&self) -> String {
        let f = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        let over = self.posterior.is_some();
        let pi = |v: &super::Value| {
            v.interval
                .map_or("-".into(), |(lo, hi)| format!("[{}, {}]", f(lo), f(hi)))
        };
        let mut out = format!("# {}\n\n{}\n\n", self.title, self.question);
        if let Some(p) = &self.posterior {
            out.push_str(&format!(
                "Over the posterior: {p}. Value: the mean over replicates, each simulating one posterior draw; 95% PI: the 2.5% and 97.5% quantiles of the replicates' values (the posterior predictive interval: model uncertainty and Monte Carlo noise together).\n\n"
            ));
            out.push_str(
                "| quantity | scenario | value | MC SE | 95% PI |\n|---|---|---|---|---|\n",
            );
        } else {
            out.push_str("| quantity | scenario | value | MC SE |\n|---|---|---|---|\n");
        }
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} |",
                r.label,
                r.scenario,
                f(r.value),
                f(r.mc_se)
            ));
            if over {
                out.push_str(&format!(" {} |", pi(r)));
            }
            out.push('\n');
        }
        if !self.checks.is_empty() {
            if over {
                out.push_str(
                    "\n| check | value | 95% PI | band | result |\n|---|---|---|---|---|\n",
                );
            } else {
                out.push_str("\n| check | value | band | result |\n|---|---|---|---|\n");
            }
            for c in &self.checks {
                let (lo, hi) = c.band.unwrap_or((f64::NAN, f64::NAN));
                let value = if over {
                    format!("{} | {}", f(c.value), pi(c))
                } else {
                    f(c.value)
                };
                out.push_str(&format!(
                    "| {} | {value} | [{lo}, {hi}] | {} |\n",
                    c.label,
                    if c.pass == Some(true) { "pass" } else { "FAIL" }
                ));
            }
        }
        if self.quick {
            out.push_str("\nQuick mode: a third of the replicates; check bands widened by two Monte Carlo SEs.\n");
        }
        out
    }

    /// The result table of an experiment's README: each row and check at the default
    /// constants (this outcome: value, MC SE, result) beside the same over a posterior (`over`:
    /// value and 95% posterior predictive interval, result). Rows are matched by position
    /// (both outcomes come from the same experiment file).
    pub fn readme_table(&self, over: &Outcome) -> String {
        let f = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        let pi = |v: &super::Value| {
            v.interval
                .map_or("-".into(), |(lo, hi)| format!("[{}, {}]", f(lo), f(hi)))
        };
        let result = |v: &super::Value| if v.pass == Some(true) { "pass" } else { "FAIL" };
        let mut out = String::from(
            "| quantity | scenario | value | MC SE | over the default posterior: value [95% PI] |\n|---|---|---|---|---|\n",
        );
        for (a, b) in self.rows.iter().zip(&over.rows) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} {} |\n",
                a.label,
                a.scenario,
                f(a.value),
                f(a.mc_se),
                f(b.value),
                pi(b)
            ));
        }
        if !self.checks.is_empty() {
            out.push_str(
                "\n| check | band | value | result | over the posterior: value [95% PI] | result |\n|---|---|---|---|---|---|\n",
            );
            for (a, b) in self.checks.iter().zip(&over.checks) {
                let (lo, hi) = a.band.unwrap_or((f64::NAN, f64::NAN));
                out.push_str(&format!(
                    "| {} | [{lo}, {hi}] | {} | {} | {} {} | {} |\n",
                    a.label,
                    f(a.value),
                    result(a),
                    f(b.value),
                    pi(b),
                    result(b)
                ));
            }
        }
        out
    }
}

/// Writes `results.csv`: kind, label, scenario, statistic, value, mc_se, lower, upper, pass;
/// over a posterior also pi_lower and pi_upper (the 95% posterior predictive interval).
pub(super) fn write_csv(out: &Path, o: &Outcome) -> Result<()> {
    let mut csv = AtomicFile::create(out, "results.csv")?;
    let over = o.posterior.is_some();
    let mut header = vec![
        "kind",
        "label",
        "scenario",
        "statistic",
        "value",
        "mc_se",
        "lower",
        "upper",
        "pass",
    ];
    if over {
        header.extend(["pi_lower", "pi_upper"]);
    }
    csv.record(header)?;
    let rows = o.rows.iter().map(|v| ("row", v));
    for (kind, v) in rows.chain(o.checks.iter().map(|v| ("check", v))) {
        let (lo, hi) = v.band.map_or((String::new(), String::new()), |(l, h)| {
            (num(l, 6), num(h, 6))
        });
        let mut cells = vec![
            kind.to_string(),
            v.label.clone(),
            v.scenario.clone(),
            v.statistic.clone(),
            num(v.value, 6),
            num(v.mc_se, 6),
            lo,
            hi,
            v.pass.map_or(String::new(), |p| u8::from(p).to_string()),
        ];
        if over {
            let (l, h) = v.interval.unwrap_or((f64::NAN, f64::NAN));
            cells.extend([num(l, 6), num(h, 6)]);
        }
        csv.record(cells)?;
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
