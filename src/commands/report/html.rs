//! Writing the report page: one self-contained HTML document (no network resource, no external
//! script or style sheet; the chart font embedded as a data URI), every text from the run
//! directory escaped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::aggregate::PooledRow;
use super::examples::Example;
use super::read::Manifest;
use super::{CHART_DIR, CHARTS, EXAMPLE_POOL};
use crate::commands::html::{base64, escape, font_face, inline_svg};
use crate::commands::trace;
use crate::io::num;
use crate::model::treatment::ArmKind;
use crate::plot;
use crate::scenario::Scenario;

/// The inline script: counts the drawn elements of every chart and marks the page as rendered
/// (`data-rendered="charts drawn/charts"` on `<html>`; `data-drawn` on each figure). The
/// Content-Security-Policy allows it by its hash, and nothing else.
const SCRIPT: &str = "(function(){var f=document.querySelectorAll('figure.chart'),ok=0;for(var i=0;i<f.length;i++){var s=f[i].querySelector('svg'),n=s?s.querySelectorAll('path,line,polyline,polygon,rect,circle,text').length:0,b=s?s.getBBox():null;f[i].setAttribute('data-drawn',String(n));if(n>0&&b&&b.width>0&&b.height>0){ok++;}}document.documentElement.setAttribute('data-rendered',ok+'/'+f.length);})();";

const STYLE: &str = "
:root{color:#222;background:#fff}
body{font-family:'DejaVu Sans Report',sans-serif;font-size:15px;line-height:1.5;max-width:1180px;margin:0 auto;padding:24px}
svg text{font-family:'DejaVu Sans Report',sans-serif}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:17px;margin:24px 0 6px}
p.lead{font-size:16px;margin:4px 0 16px}
nav a{margin-right:14px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.name,th.name{text-align:left}
.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;border-radius:2px}
figure{margin:16px 0 28px;border:1px solid #e2e2e2;padding:8px}
figure svg{display:block;width:100%;height:auto}
figure.trace svg{max-width:860px;margin:0 auto}
figcaption{font-size:14px;color:#333;margin-top:6px}
p.note{font-size:14px;color:#333}
p.skipped{background:#fff6e0;border-left:4px solid #E69F00;padding:6px 10px}
p.warning{background:#fde8e0;border-left:4px solid #D55E00;padding:6px 10px}
code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:13px}
pre{overflow-x:auto;background:#f7f7f7;padding:8px}
footer{margin-top:40px;font-size:13px;color:#555}
";

/// A drawn chart of the page.
pub(super) struct Figure {
    pub(super) stem: &'static str,
    pub(super) title: &'static str,
    pub(super) svg: String,
    pub(super) caption: String,
}

/// Everything the page shows.
pub(super) struct Page<'a> {
    pub(super) dir: &'a Path,
    pub(super) manifest: &'a Manifest,
    pub(super) sc: &'a Scenario,
    pub(super) pooled: &'a [PooledRow],
    pub(super) figures: &'a [Figure],
    /// Charts not drawn: stem and why.
    pub(super) skipped: &'a [(String, String)],
    pub(super) examples: &'a [Example],
    /// The examples' trace charts (SVG).
    pub(super) traces: &'a [String],
    /// Final scores in `patients.csv` of the examples: id -> final.
    pub(super) finals: &'a HashMap<u64, f64>,
}

/// A share as a percentage with one decimal; a dash when missing.
fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "–".into()
    }
}

/// Two fixed decimals (table columns line up); a dash when missing.
fn f2(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "–".into()
    }
}

/// A chart's title from its stem.
pub(super) fn chart_title(stem: &str) -> &str {
    CHARTS
        .iter()
        .find(|(s, _, _)| *s == stem)
        .map_or(stem, |c| c.1)
}

/// The page.
pub(super) fn html(p: &Page) -> String {
    let mut h = String::with_capacity(2 << 20);
    head(&mut h, p);
    scenario_section(&mut h, p);
    arms_section(&mut h, p);
    charts_section(&mut h, p);
    examples_section(&mut h, p);
    let _ = writeln!(
        h,
        "<footer>Written by bordin {} from the files of {}. Charts: plotters, DejaVu Sans (embedded), Okabe-Ito colours.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape(crate::VERSION),
        escape(&p.dir.display().to_string())
    );
    h
}

/// The document head (policy, font, style) and the page header.
fn head(h: &mut String, p: &Page) {
    let sc = p.sc;
    let script_hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'\">\n<meta name=\"generator\" content=\"bordin {}\">\n<title>bordin report: {}</title>\n<style>{}{STYLE}</style>\n</head>\n<body>\n",
        escape(crate::VERSION),
        escape(&sc.name),
        font_face()
    );
    let _ = write!(
        h,
        "<header>\n<h1>bordin report: {}</h1>\n<p class=\"lead\" id=\"description\">{}</p>\n<nav><a href=\"#scenario\">Scenario</a><a href=\"#arms\">Outcomes per arm</a><a href=\"#charts\">Charts</a><a href=\"#examples\">Example patients</a></nav>\n</header>\n",
        escape(&sc.name),
        escape(&sc.description)
    );
}

/// The scenario's and the run's facts, and the arms' design.
fn scenario_section(h: &mut String, p: &Page) {
    h.push_str("<section id=\"scenario\">\n<h2>Scenario</h2>\n<dl class=\"facts\">\n");
    for (k, v) in scenario_facts(p).into_iter().chain(run_facts(p.manifest)) {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    }
    h.push_str("</dl>\n");
    arm_design(h, p.sc);
    h.push_str("</section>\n");
}

/// What the scenario is (name, files, size, instrument, pools, populations), as HTML.
fn scenario_facts(p: &Page) -> Vec<(&'static str, String)> {
    let sc = p.sc;
    let inst = &sc.instrument;
    let list = |items: Vec<String>| escape(&items.join(", "));
    vec![
        ("Name", escape(&sc.name)),
        ("Description", escape(&sc.description)),
        ("Scenario file", escape(&p.manifest.scenario_source)),
        ("Run directory", escape(&p.dir.display().to_string())),
        (
            "Seed, replicates, patients",
            format!(
                "seed {}; {} replicate{} of {} patients",
                sc.run.seed,
                sc.run.replicates,
                if sc.run.replicates == 1 { "" } else { "s" },
                sc.run.patients
            ),
        ),
        (
            "Instrument",
            escape(&format!(
                "{}: scores {} to {}, clinical cut-off {}, reliable change {} points",
                trace::instrument_label(inst),
                num(inst.min, 2),
                num(inst.max, 2),
                num(inst.cutoff, 2),
                num(inst.rc_threshold, 2)
            )),
        ),
        (
            "Therapist pools",
            list(
                sc.therapist_pools
                    .iter()
                    .map(|p| format!("{} ({} therapists)", p.name, p.therapists))
                    .collect(),
            ),
        ),
        (
            "Populations",
            list(
                sc.populations
                    .iter()
                    .map(|p| format!("{} (share {})", p.name, num(p.share, 3)))
                    .collect(),
            ),
        ),
    ]
}

/// How the run was made (options, command line, version), as HTML.
fn run_facts(m: &Manifest) -> Vec<(&'static str, String)> {
    vec![
        (
            "Options",
            escape(&format!(
                "counterfactual {}; sessions.csv {}; {} thread{}; {:.2} s",
                if m.counterfactual { "on" } else { "off" },
                if m.sessions { "written" } else { "not written" },
                m.threads,
                if m.threads == 1 { "" } else { "s" },
                m.wall_seconds
            )),
        ),
        (
            "Command",
            format!("<code>{}</code>", escape(&m.command_line.join(" "))),
        ),
        ("bordin version", escape(&m.version)),
    ]
}

/// The arms' table: kind, pool, planned sessions, allocation.
fn arm_design(h: &mut String, sc: &Scenario) {
    h.push_str("<table id=\"arm-design\">\n<tr><th class=\"name\">arm</th><th class=\"name\">kind</th><th class=\"name\">therapist pool</th><th>planned sessions</th><th>allocation</th></tr>\n");
    let total_alloc: f64 = sc.arms.iter().map(|a| a.allocation).sum();
    for (k, a) in sc.arms.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{}</td></tr>",
            plot::arm_colour_hex(k),
            escape(&a.name),
            match a.kind {
                ArmKind::Therapy => "therapy",
                ArmKind::Waitlist => "waitlist",
            },
            escape(a.pool_name.as_deref().unwrap_or("–")),
            if a.kind == ArmKind::Therapy {
                a.sessions.to_string()
            } else {
                "–".into()
            },
            pct(a.allocation / total_alloc)
        );
    }
    h.push_str("</table>\n");
}

/// The per-arm table pooled over replicates.
fn arms_section(h: &mut String, p: &Page) {
    let inst = &p.sc.instrument;
    h.push_str("<section id=\"arms\">\n<h2>Outcomes per arm</h2>\n<table id=\"arm-table\">\n<tr><th class=\"name\">arm</th><th>replicates</th><th>patients</th><th>dropout</th><th>sessions</th><th>change</th><th>pre-post d</th><th>reliably improved</th><th>recovered</th><th>deteriorated</th><th>alliance-outcome r</th><th>ruptures per session</th><th>ruptures repaired</th></tr>\n");
    for (k, (a, r)) in p.sc.arms.iter().zip(p.pooled).enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            plot::arm_colour_hex(k),
            escape(&a.name),
            r.replicates,
            r.n,
            pct(r.dropout),
            f2(r.mean_sessions),
            f2(r.mean_change),
            f2(r.pre_post_d),
            pct(r.reliable_improvement),
            pct(r.recovery),
            pct(r.deterioration),
            f2(r.alliance_outcome_r),
            f2(r.rupture_rate),
            pct(r.repair_rate)
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<p class=\"note\">From summary.csv, pooled over replicates: means over replicates weighted by patients (the alliance-outcome r by the patients it uses, rupture rates by sessions, the repair rate by ruptures). Change = final - intake {} score (negative = improvement); pre-post d = mean improvement / SD of intake; recovered among cases at intake (score at or above {}); reliable change at least {} points; alliance-outcome r: WAI-SR at session 3 with residual gain; ruptures per attended session; dropout = unilateral ending before the planned or a good-enough end.</p>\n</section>",
        escape(&trace::instrument_label(inst)),
        num(inst.cutoff, 2),
        num(inst.rc_threshold, 2)
    );
}

/// The charts not drawn (and why), then the charts with their captions.
fn charts_section(h: &mut String, p: &Page) {
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Each chart is also in <code>{}/</code> as SVG and PNG.</p>",
        CHART_DIR
    );
    for (stem, reason) in p.skipped {
        let _ = writeln!(
            h,
            "<p class=\"skipped\" data-skipped=\"{}\">Not drawn: {} ({}).</p>",
            escape(stem),
            escape(chart_title(stem)),
            escape(reason)
        );
    }
    for f in p.figures {
        let _ = writeln!(
            h,
            "<figure class=\"chart\" id=\"chart-{}\" data-chart=\"{}\">\n{}\n<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>",
            f.stem,
            f.stem,
            inline_svg(&f.svg, f.title),
            escape(f.title),
            escape(&f.caption)
        );
    }
    h.push_str("</section>\n");
}

/// The example patients, each with its chart, narrative and session table.
fn examples_section(h: &mut String, p: &Page) {
    let label = trace::instrument_label(&p.sc.instrument);
    h.push_str("<section id=\"examples\">\n<h2>Example patients</h2>\n");
    if p.examples.is_empty() {
        h.push_str("<p class=\"note\">No example: the scenario has no therapy arm with patients among the first patients of replicate 0.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"note\">Three patients of replicate 0 (among its first {}), re-simulated session by session with the run's scenario and seed: the same patients, therapists and random draws as in the run's files, told by the trace module (<code>bordin trace</code>). Alliance values are latent (0-1); scores are {} points.</p>",
            EXAMPLE_POOL.min(p.sc.run.patients),
            escape(&label)
        );
    }
    for (k, (e, svg)) in p.examples.iter().zip(p.traces).enumerate() {
        example(h, p, k + 1, e, svg, &label);
    }
    h.push_str("</section>\n");
}

/// Example `k` (from 1), with its trace chart `svg`; `label` names the instrument.
fn example(h: &mut String, p: &Page, k: usize, e: &Example, svg: &str, label: &str) {
    let t = &e.trace;
    let idx = t.patient.index;
    let (setting, sections, _) = trace::narrative(t);
    let _ = writeln!(
        h,
        "<article class=\"example\" id=\"example-{k}\">\n<h3>Patient {idx} ({}; arm {}, therapist {})</h3>",
        escape(&e.why),
        escape(&t.arm.name),
        escape(&e.therapist)
    );
    if let (Some(&file), Some(d)) = (p.finals.get(&idx), t.dyads.first())
        && (file - d.course.final_score).abs() > 0.5
    {
        let _ = writeln!(
            h,
            "<p class=\"warning\">The final score of patient {idx} in patients.csv ({}) differs from the re-simulation ({}): the files were edited, or written by another version of bordin.</p>",
            num(file, 1),
            num(d.course.final_score, 1)
        );
    }
    let _ = writeln!(
        h,
        "<figure class=\"chart trace\" id=\"chart-example-{k}\" data-chart=\"example-{k}\">\n{}\n<figcaption>Working alliance (bond, goals, tasks) with ruptures (circle: withdrawal, triangle: confrontation; filled: repaired), and the {} score before each session with the clinical cut-off (dashed) and the reliable-change band around intake.</figcaption>\n</figure>",
        inline_svg(
            svg,
            &format!("Patient {idx}: alliance and symptoms by session")
        ),
        escape(label)
    );
    let _ = writeln!(h, "<p>{}</p>", escape(&setting));
    if let Some(sec) = sections.first() {
        for para in &sec.paragraphs {
            let _ = writeln!(h, "<p>{}</p>", escape(para));
        }
        h.push_str("<ul>\n");
        for ev in &sec.events {
            let _ = writeln!(h, "<li>{}</li>", escape(ev));
        }
        h.push_str("</ul>\n");
    }
    if let Some(d) = t.dyads.first() {
        let _ = writeln!(
            h,
            "<details><summary>Session table</summary>\n<pre>{}</pre>\n</details>",
            escape(&trace::session_table(t, d))
        );
    }
    h.push_str("</article>\n");
}
