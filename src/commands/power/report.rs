//! `power_report.md` and `power_report.html`: the power analysis written up for a grant
//! application or a preregistration: the design, the assumptions in the units planners use
//! (d, ICC, dropout) and the scenario behind them, the results with their Monte Carlo SEs, the
//! chart, and a methods paragraph in the ADEMP structure of simulation studies (Morris, White &
//! Crowther 2019, *Stat Med* 38:2074: aims, data-generating mechanisms, estimands, methods,
//! performance measures) with bordin's version, the seed and the command.
//!
//! Both files are rendered from one [`Block`] list, so they say the same thing; the only markup
//! in the text is `` `code` `` and `**bold**`.

use std::fmt::Write as _;

use super::PowerRequest;
use super::design::{Plan, PowerResults};
use super::summary::PowerRow;
use crate::commands::html::{escape, font_face, inline_svg};

/// A piece of the report.
#[derive(Clone, Debug)]
pub(super) enum Block {
    Title(String),
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The power chart: `power.svg` beside the Markdown file, inline in the HTML page.
    Chart {
        alt: String,
    },
}

/// A share as a percentage with one decimal (`-` when not finite).
fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// A number with `d` decimals (`-` when not finite).
fn f(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "-".into()
    }
}

/// `a, b, c`.
fn list<T: ToString>(xs: &[T]) -> String {
    xs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The command as a user would type it: `bordin` and the arguments given.
pub(super) fn command(req: &PowerRequest) -> String {
    let args: Vec<&str> = req
        .command_line
        .iter()
        .skip(1)
        .map(String::as_str)
        .collect();
    if args.is_empty() {
        "bordin power".into()
    } else {
        format!("bordin {}", args.join(" "))
    }
}

/// The arms' therapists: per arm, its pool's size (`no therapists` for a waitlist).
fn therapists(plan: &Plan) -> Vec<String> {
    let sc = &plan.scenario;
    sc.arms
        .iter()
        .map(|a| match a.pool {
            Some(p) => format!(
                "{}: {} therapists",
                a.name, sc.therapist_pools[p].therapists
            ),
            None => format!("{}: no therapists (waitlist)", a.name),
        })
        .collect()
}

/// The report.
pub(super) fn blocks(req: &PowerRequest, plan: &Plan, res: &PowerResults) -> Vec<Block> {
    let s = &plan.settings;
    let sc = &plan.scenario;
    let unit = &sc.instrument.name;
    let label = if plan.is_assurance() {
        "assurance"
    } else {
        "power"
    };
    let hypothesis = s.hypothesis.describe(s.alpha, unit);
    let first = s.analyses.first().copied();
    // The requested design points and the n each target search found (not every point the
    // searches tried: `power.csv` has them all).
    let shown = |n: u64| {
        s.n_per_arm.contains(&n) || res.targets.iter().any(|t| t.reached && t.n_per_arm == n)
    };
    let mut out = vec![
        Block::Title(format!("Power analysis: {}", sc.name)),
        Block::Para(format!(
            "Written by bordin {} from `{}` (seed {}). Every figure below is in `power.csv` beside this file; the command reproduces them exactly, whatever the number of threads.",
            crate::VERSION,
            command(req),
            sc.run.seed
        )),
        Block::Heading("Design".into()),
    ];
    let k = sc.arms[1]
        .pool
        .or(sc.arms[0].pool)
        .map(|p| sc.therapist_pools[p].therapists);
    let caseloads = match k {
        Some(k) if k > 0 => format!(
            " (about {} patients per therapist)",
            list(
                &s.n_per_arm
                    .iter()
                    .map(|&n| f(n as f64 / f64::from(k), 1))
                    .collect::<Vec<_>>()
            )
        ),
        _ => String::new(),
    };
    out.push(Block::List(vec![
        format!(
            "Arms: {} (control) and {} (treatment), patients randomised 1:1; therapists nested in arms ({}).",
            sc.arms[0].name,
            sc.arms[1].name,
            therapists(plan).join("; ")
        ),
        format!(
            "Patients per arm: {}{caseloads}; {} simulated trials per design point, and as many with the arms made equivalent for the type I error.",
            list(&s.n_per_arm),
            s.reps
        ),
        format!(
            "Outcome: the {unit} score at the end assessment (lower is better); assessments `{}`; dropouts' missing scores handled as `{}`.",
            s.schedule.label(),
            s.missing.as_str()
        ),
        format!("Hypothesis: {hypothesis}."),
        format!(
            "Analyses: {}.",
            s.analyses
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ]));

    out.push(Block::Heading("Assumptions, as simulated".into()));
    out.push(Block::Para(
        "The numbers a planner assumes (effect, d, therapist ICC, dropout) are outcomes of the simulated trials here, not inputs: each row gives their means over the simulated trials of a design point. They follow from the scenario: its therapists' and patients' traits, the arms' settings below and the model's mechanisms; `manifest.json` holds the scenario as resolved.".into()
    ));
    out.push(Block::Table {
        head: [
            "n/arm",
            "true effect (points)",
            "Cohen's d",
            "therapist ICC",
            "dropout",
        ]
        .map(String::from)
        .to_vec(),
        rows: res
            .rows
            .iter()
            .filter(|r| Some(r.analysis) == first && shown(r.n_per_arm))
            .map(|r| {
                vec![
                    r.n_per_arm.to_string(),
                    f(r.true_effect, 2),
                    f(r.d, 2),
                    f(r.icc, 3),
                    pct(r.dropout),
                ]
            })
            .collect(),
    });
    let mut notes = String::from(
        "The true effect is the mean of the patients' individual potential-outcome differences (treatment minus control: the intention-to-treat effect); d is the observed end-score difference over its pooled SD; the ICC is the endpoint mixed model's estimate (`-` without that analysis; REML overstates it when therapists see few patients each).",
    );
    if !s.assume.is_empty() {
        let _ = write!(
            notes,
            " Uncertain inputs (`--assume`), one draw per simulated trial: {}; the {label} is the expected power over them.",
            s.assume
                .iter()
                .map(super::Assumption::describe)
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if let Some(d) = &plan.posterior {
        let _ = write!(
            notes,
            " Mechanism constants drawn from the posterior {}: the {label} is the expected power over the calibrated model's uncertainty.",
            d.describe()
        );
    }
    out.push(Block::Para(notes));
    out.push(Block::Para(format!(
        "Scenario: {}. The arms' mechanism settings:",
        req.scenario_source
    )));
    out.push(arm_settings(plan));

    out.push(Block::Heading("Results".into()));
    out.push(Block::Para(format!(
        "Each figure with its Monte Carlo SE (±); the {label} interval is Wilson's 95%."
    )));
    out.push(Block::Table {
        head: [
            "n/arm",
            "analysis",
            label,
            "95% CI",
            "type I error",
            "bias (points)",
            "coverage",
            "singular fits",
            "failed fits",
        ]
        .map(String::from)
        .to_vec(),
        rows: res
            .rows
            .iter()
            .filter(|r| shown(r.n_per_arm))
            .map(result_row)
            .collect(),
    });
    let found: Vec<String> = res
        .targets
        .iter()
        .map(|t| {
            if t.reached {
                format!(
                    "{} reaches {label} {} from n = {} per arm ({label} {} ± {}).",
                    t.analysis.as_str(),
                    pct(t.target_power),
                    t.n_per_arm,
                    pct(t.power),
                    pct(t.power_mc_se)
                )
            } else {
                format!(
                    "{} does not reach {label} {} up to n = {} per arm ({label} {} ± {} there).",
                    t.analysis.as_str(),
                    pct(t.target_power),
                    t.n_per_arm,
                    pct(t.power),
                    pct(t.power_mc_se)
                )
            }
        })
        .collect();
    if !found.is_empty() {
        out.push(Block::List(found));
    }
    out.push(Block::Chart {
        alt: format!("{label} against patients per arm, with 95% Monte Carlo intervals"),
    });

    out.push(Block::Heading("Methods (ADEMP)".into()));
    out.push(Block::Para(format!(
        "**Aims.** To estimate the {label} of a two-arm randomised trial of {} against {} on the {unit} score at the end of treatment, with {} patients per arm ({hypothesis}).",
        sc.arms[1].name,
        sc.arms[0].name,
        list(&s.n_per_arm)
    )));
    out.push(Block::Para(format!(
        "**Data-generating mechanisms.** Trials were simulated with bordin {}, an agent-based model of psychotherapy in which each therapist-patient dyad builds a working alliance session by session, meets ruptures and repairs them or not, and in which the alliance, ruptures and repairs drive symptom change and dropout. Scenario: {} ({}). Each simulated trial draws new therapists and patients; patients are randomised to the arms and allocated to their arm's therapists. For the type I error the same trials are simulated with the arms made equivalent{}.",
        crate::VERSION,
        sc.name,
        therapists(plan).join("; "),
        if s.hypothesis.boundary() > 0.0 {
            ", moved to the margin (the boundary of H0)"
        } else {
            ""
        }
    )));
    out.push(Block::Para(format!(
        "**Estimand.** The intention-to-treat difference in mean {unit} score at the end assessment, treatment minus control, known in each simulated trial from every patient's potential outcomes under both arms."
    )));
    out.push(Block::Para(format!(
        "**Methods.** {}. Dropouts' missing end scores: `{}`.",
        s.analyses
            .iter()
            .map(|&a| a.model())
            .collect::<Vec<_>>()
            .join("; "),
        s.missing.as_str()
    )));
    out.push(Block::Para(format!(
        "**Performance measures.** {label} (the share of the {} trials per design point whose test rejects H0), type I error (the same with the arms made equivalent), bias of the estimate against the true effect, coverage of the {}% confidence interval, and the shares of singular and failed fits, each with its Monte Carlo SE. Seed {}; `{}` reproduces every figure.",
        s.reps,
        f(100.0 * (1.0 - s.alpha), 0),
        sc.run.seed,
        command(req)
    )));
    out
}

/// The arms' treatment settings (the mechanism settings behind the trial's numbers).
fn arm_settings(plan: &Plan) -> Block {
    let sc = &plan.scenario;
    Block::Table {
        head: [
            "arm",
            "sessions",
            "technique potency",
            "common factors",
            "challenge (from session)",
            "structure",
            "expectancy",
        ]
        .map(String::from)
        .to_vec(),
        rows: sc
            .arms
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.sessions.to_string(),
                    f(a.technique_potency, 3),
                    f(a.common_factors, 2),
                    format!("{} ({})", f(a.challenge, 2), a.challenge_onset),
                    f(a.structure, 2),
                    f(a.expectancy, 2),
                ]
            })
            .collect(),
    }
}

/// `value ± se`; `-` for a figure not computed (the type I error of points only the target
/// search evaluated).
fn pm(value: String, se: String) -> String {
    if value == "-" {
        value
    } else {
        format!("{value} ± {se}")
    }
}

/// One line of the results table.
fn result_row(r: &PowerRow) -> Vec<String> {
    vec![
        r.n_per_arm.to_string(),
        r.analysis.as_str().to_string(),
        pm(pct(r.power), pct(r.power_mc_se)),
        format!("[{}, {}]", pct(r.power_ci_low), pct(r.power_ci_high)),
        pm(pct(r.type1), pct(r.type1_mc_se)),
        pm(f(r.bias, 2), f(r.bias_mc_se, 2)),
        pm(pct(r.coverage), pct(r.coverage_mc_se)),
        pct(r.singular),
        r.failed.to_string(),
    ]
}

/// The report as Markdown (the chart linked as `power.svg`).
pub(super) fn markdown(blocks: &[Block]) -> String {
    let mut md = String::new();
    for b in blocks {
        match b {
            Block::Title(t) => {
                let _ = writeln!(md, "# {t}\n");
            }
            Block::Heading(t) => {
                let _ = writeln!(md, "## {t}\n");
            }
            Block::Para(t) => {
                let _ = writeln!(md, "{t}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(md, "- {i}");
                }
                md.push('\n');
            }
            Block::Table { head, rows } => {
                let _ = writeln!(md, "| {} |", head.join(" | "));
                let _ = writeln!(md, "|{}", "---|".repeat(head.len()));
                for r in rows {
                    let _ = writeln!(md, "| {} |", r.join(" | "));
                }
                md.push('\n');
            }
            Block::Chart { alt } => {
                let _ = writeln!(md, "![{alt}](power.svg)\n");
            }
        }
    }
    md
}

/// Text to HTML: escaped, with `` `code` `` and `**bold**` as elements.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (k, part) in escape(s).split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (j, p) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{p}</strong>");
                } else {
                    out.push_str(p);
                }
            }
        }
    }
    out
}

const STYLE: &str = "
:root{color:#222;background:#fff}
body{font-family:'DejaVu Sans Report',sans-serif;font-size:15px;line-height:1.5;max-width:1180px;margin:0 auto;padding:24px}
svg text{font-family:'DejaVu Sans Report',sans-serif}
h1{font-size:26px;margin:0 0 8px}h2{font-size:21px;margin:32px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td.name{text-align:left}
figure{margin:16px 0 28px;border:1px solid #e2e2e2;padding:8px}
figure svg{display:block;width:100%;height:auto}
code{font-family:'DejaVu Sans Mono',monospace;font-size:13px}
";

/// The report as one self-contained HTML page (no script, no network resource; the chart's
/// SVG inline, its font embedded).
pub(super) fn html(blocks: &[Block], svg: &str) -> String {
    let title = blocks.iter().find_map(|b| match b {
        Block::Title(t) => Some(t.as_str()),
        _ => None,
    });
    let mut h = String::with_capacity(svg.len() + (1 << 20));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; base-uri 'none'; form-action 'none'\">\n<meta name=\"generator\" content=\"bordin {}\">\n<title>{}</title>\n<style>{}{STYLE}</style>\n</head>\n<body>\n",
        escape(crate::VERSION),
        escape(title.unwrap_or("Power analysis")),
        font_face()
    );
    for b in blocks {
        match b {
            Block::Title(t) => {
                let _ = writeln!(h, "<h1>{}</h1>", inline(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", inline(t));
            }
            Block::Para(t) => {
                let _ = writeln!(h, "<p>{}</p>", inline(t));
            }
            Block::List(items) => {
                h.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(h, "<li>{}</li>", inline(i));
                }
                h.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                h.push_str("<table>\n<thead><tr>");
                for c in head {
                    let _ = write!(h, "<th>{}</th>", inline(c));
                }
                h.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    h.push_str("<tr>");
                    for c in r {
                        // Words (arms, analyses) left, figures right.
                        if c.starts_with(char::is_alphabetic) {
                            let _ = write!(h, "<td class=\"name\">{}</td>", inline(c));
                        } else {
                            let _ = write!(h, "<td>{}</td>", inline(c));
                        }
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</tbody>\n</table>\n");
            }
            Block::Chart { alt } => {
                let _ = writeln!(
                    h,
                    "<figure class=\"chart\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
                    inline_svg(svg, alt),
                    inline(alt)
                );
            }
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_becomes_elements_and_text_is_escaped() {
        assert_eq!(
            inline("**Aims.** a `x < y` & b"),
            "<strong>Aims.</strong> a <code>x &lt; y</code> &amp; b"
        );
    }

    #[test]
    fn markdown_tables_have_a_rule_per_column() {
        let md = markdown(&[Block::Table {
            head: vec!["a".into(), "b".into()],
            rows: vec![vec!["1".into(), "2".into()]],
        }]);
        assert_eq!(md, "| a | b |\n|---|---|\n| 1 | 2 |\n\n");
    }
}
