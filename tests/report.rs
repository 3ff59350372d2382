//! `bordin report` and `bordin run --report`: the HTML page loads in headless Chromium without
//! console errors, every chart is drawn, scenario text is escaped, runs without sessions.csv and
//! broken run directories are handled; the progress hook changes no output.
//!
//! Chromium (Debian package `chromium`) must be installed: `scripts/install_chromium.sh` (CI
//! runs it before the tests).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use assert_cmd::Command;
use tempfile::TempDir;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A three-arm trial (therapy, therapy, waitlist) with markup in its name and description.
const SCENARIO: &str = r#"
name = "Report test <b>bold</b> & co"
description = "Checks escaping: <script>alert(1)</script> and \"quotes\" & 'apostrophes'."
[run]
patients = 240
replicates = 2
seed = 7
[[therapist_pools]]
name = "cbt"
therapists = 12
[[therapist_pools]]
name = "usual"
therapists = 12
[design]
planned_sessions = 10
[[arms]]
name = "cbt"
pool = "cbt"
technique_potency = 0.07
[[arms]]
name = "usual_care"
pool = "usual"
[[arms]]
name = "waitlist"
kind = "waitlist"
"#;

fn bordin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bordin"))
}

/// Runs the test scenario into `dir/run` with extra flags; returns the run directory.
fn run(dir: &Path, extra: &[&str]) -> PathBuf {
    let scenario = dir.join("scenario.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.join("run");
    bordin()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// Loads a page in headless Chromium; returns (DOM after load, stderr).
fn chromium(page: &Path, profile: &Path) -> (String, String) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install it with scripts/install_chromium.sh (as root; CI runs it before cargo test)"
    );
    let out = Process::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium starts");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// The `<svg>...</svg>` blocks of a document.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("closed svg") + start + 6;
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn report_loads_in_headless_chromium_with_every_chart_drawn() {
    let tmp = TempDir::new().unwrap();
    let dir = run(tmp.path(), &["--report"]);
    let page = dir.join("report.html");
    assert!(page.is_file());
    let (dom, stderr) = chromium(&page, &tmp.path().join("profile"));
    // No console output at all: no script error, no blocked (network) resource, no CSP report.
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The inline script ran after layout and found every chart drawn with a non-empty box:
    // seven run charts and three example traces.
    assert!(
        dom.contains("data-rendered=\"10/10\""),
        "the page did not report 10 of 10 charts rendered"
    );
    let charts = [
        "outcome_distribution",
        "outcome_classes",
        "dose_effect",
        "alliance_outcome",
        "therapist_effects",
        "rupture_repair",
        "trajectories",
        "example-1",
        "example-2",
        "example-3",
    ];
    for c in charts {
        assert!(
            dom.contains(&format!("data-chart=\"{c}\"")),
            "chart {c} missing"
        );
    }
    let blocks = svgs(&dom);
    assert_eq!(blocks.len(), charts.len(), "one inline SVG per chart");
    for (i, svg) in blocks.iter().enumerate() {
        let shapes: usize = [
            "<path",
            "<line",
            "<polyline",
            "<polygon",
            "<rect",
            "<circle",
        ]
        .iter()
        .map(|t| count(svg, t))
        .sum();
        assert!(shapes >= 20, "svg {i} has only {shapes} drawn shapes");
        assert!(count(svg, "<text") >= 5, "svg {i} has no labels");
    }
    // Self-contained: one script (inline), no external resource.
    assert_eq!(count(&dom, "<script"), 1);
    assert!(!dom.contains(" src=\""), "an element loads a resource");
    assert!(!dom.contains("href=\"http"), "a link to the network");
    assert!(!dom.contains("url(http"), "a style loads from the network");
    // Markup from the scenario file is text, not elements.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.contains("<script>alert"));
    assert!(!dom.contains("<b>bold</b>"));
    // The example patients are the run's: their final scores agree with patients.csv.
    assert!(!dom.contains("class=\"warning\""));
    // The charts are also files.
    for c in &charts[..7] {
        for ext in ["svg", "png"] {
            let f = dir.join("charts").join(format!("{c}.{ext}"));
            assert!(
                fs::metadata(&f).map(|m| m.len() > 1000).unwrap_or(false),
                "{}",
                f.display()
            );
        }
    }
}

#[test]
fn scenario_text_is_html_escaped() {
    let tmp = TempDir::new().unwrap();
    let dir = run(tmp.path(), &["--quiet"]);
    let o = bordin().arg("report").arg(&dir).assert().success();
    let stdout = String::from_utf8(o.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("report.html"), "{stdout}");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains(
        "Checks escaping: &lt;script&gt;alert(1)&lt;/script&gt; and &quot;quotes&quot; &amp; &#39;apostrophes&#39;."
    ));
    assert!(html.contains("Report test &lt;b&gt;bold&lt;/b&gt; &amp; co"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<b>bold"));
    assert_eq!(count(&html, "<script>"), 1, "only the report's own script");
    // Same files, same report (deterministic).
    bordin().arg("report").arg(&dir).assert().success();
    assert_eq!(fs::read_to_string(dir.join("report.html")).unwrap(), html);
}

#[test]
fn run_without_sessions_skips_those_charts_and_says_so() {
    let tmp = TempDir::new().unwrap();
    let dir = run(tmp.path(), &["--quiet", "--sessions-output", "none"]);
    let o = bordin().arg("report").arg(&dir).assert().success();
    let stderr = String::from_utf8(o.get_output().stderr.clone()).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    for c in ["dose_effect", "rupture_repair", "trajectories"] {
        assert!(html.contains(&format!("data-skipped=\"{c}\"")), "{c}");
        assert!(!html.contains(&format!("data-chart=\"{c}\"")), "{c}");
        assert!(!dir.join("charts").join(format!("{c}.svg")).exists());
        assert!(stderr.contains(c), "{stderr}");
    }
    assert!(html.contains("needs sessions.csv"));
    for c in [
        "outcome_distribution",
        "outcome_classes",
        "alliance_outcome",
    ] {
        assert!(html.contains(&format!("data-chart=\"{c}\"")), "{c}");
    }
}

#[test]
fn missing_or_malformed_files_are_usage_errors_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let dir = run(tmp.path(), &["--quiet"]);
    let fails = |what: &str| {
        let o = bordin().arg("report").arg(&dir).assert().code(2);
        let stderr = String::from_utf8(o.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(what), "expected `{what}` in: {stderr}");
        assert!(!dir.join("report.html").exists());
    };
    let sessions = fs::read_to_string(dir.join("sessions.csv")).unwrap();
    fs::remove_file(dir.join("sessions.csv")).unwrap();
    fails(&dir.join("sessions.csv").display().to_string());
    fs::write(dir.join("sessions.csv"), &sessions).unwrap();

    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    fs::write(
        dir.join("summary.csv"),
        summary.replacen(",cbt,", ",no_such_arm,", 1),
    )
    .unwrap();
    fails("summary.csv: line 2: arm `no_such_arm` is not an arm");
    let mut lines: Vec<String> = summary.lines().map(String::from).collect();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[2] = "many";
    lines[1] = cells.join(",");
    fs::write(dir.join("summary.csv"), lines.join("\n") + "\n").unwrap();
    fails("summary.csv: line 2, column `n`: `many` is not a whole number");
    fs::write(dir.join("summary.csv"), &summary).unwrap();

    let patients = fs::read_to_string(dir.join("patients.csv")).unwrap();
    let cut: String = patients.lines().take(5).collect::<Vec<_>>().join("\n") + "\n";
    fs::write(dir.join("patients.csv"), cut).unwrap();
    fails("sessions.csv: line");
    fs::write(dir.join("patients.csv"), &patients).unwrap();

    fs::write(dir.join("manifest.json"), "{ not json").unwrap();
    fails("manifest.json: not JSON");
    fails_dir_missing(&tmp.path().join("nowhere"));
}

fn fails_dir_missing(dir: &Path) {
    let o = bordin().arg("report").arg(dir).assert().code(2);
    let stderr = String::from_utf8(o.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("nowhere"), "{stderr}");
}

#[test]
fn run_force_removes_an_earlier_report() {
    let tmp = TempDir::new().unwrap();
    let dir = run(tmp.path(), &["--quiet", "--report"]);
    assert!(dir.join("report.html").exists());
    let scenario = tmp.path().join("scenario.toml");
    bordin()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&dir)
        .args(["--force", "--quiet", "--seed", "8"])
        .assert()
        .success();
    assert!(!dir.join("report.html").exists());
    assert!(!dir.join("charts").exists());
}

/// Progress: not drawn when stderr is not a terminal (nothing on stderr), and the engine's hook
/// counts every patient once without changing a result.
#[test]
fn progress_changes_no_output() {
    let tmp = TempDir::new().unwrap();
    let scenario = tmp.path().join("scenario.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let o = bordin()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(tmp.path().join("a"))
        .assert()
        .success();
    assert!(o.get_output().stderr.is_empty());

    let sc = bordin::scenario::load(Some(&scenario), &[]).unwrap();
    let opts = bordin::sim::engine::RunOptions {
        chunk_size: 16,
        batch_chunks: 2,
        ..Default::default()
    };
    let plain = bordin::sim::engine::collect(&sc, &opts).unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let s = seen.clone();
    bordin::sim::progress::set_hook(move |n| {
        s.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    });
    let hooked = bordin::sim::engine::collect(&sc, &opts).unwrap();
    bordin::sim::progress::clear_hook();
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::Relaxed),
        sc.run.patients * sc.run.replicates
    );
    let finals = |c: &bordin::sim::engine::CollectSink| -> Vec<f64> {
        c.replicates
            .iter()
            .flat_map(|r| r.outcomes.iter().map(|o| o.course.final_score))
            .collect()
    };
    assert_eq!(finals(&plain), finals(&hooked));
}

/// Regression: with a single arm the outcome-class bars fell outside the chart's range and only
/// the legend was drawn. Every class colour must appear at least twice (legend swatch and bar).
#[test]
fn outcome_class_bars_are_drawn_for_a_single_arm() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("one_arm");
    bordin()
        .args([
            "run",
            "--quiet",
            "--set",
            "run.patients=300",
            "--report",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let svg = fs::read_to_string(out.join("charts/outcome_classes.svg")).unwrap();
    for colour in ["#009E73", "#56B4E9", "#C4C4C4"] {
        assert!(
            count(&svg, &format!("fill=\"{colour}\"")) >= 2,
            "no bar in {colour}"
        );
    }
}

/// `bordin power`'s `power_report.html` loads in headless Chromium with no console message
/// (nothing blocked by its policy, no script), its chart inline and drawn with text.
#[test]
fn power_report_loads_in_headless_chromium() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("power");
    bordin()
        .args(["power", "--reps", "10", "--n-per-arm", "8,12"])
        .args([
            "--therapists-per-arm",
            "4",
            "--analysis",
            "ancova",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (dom, stderr) = chromium(&out.join("power_report.html"), &tmp.path().join("profile"));
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let blocks = svgs(&dom);
    assert_eq!(blocks.len(), 1, "one inline chart");
    assert!(
        count(blocks[0], "<text") > 20
            && count(blocks[0], "<path") + count(blocks[0], "<polyline") > 5
    );
    for h in [
        "Design",
        "Assumptions, as simulated",
        "Results",
        "Methods (ADEMP)",
    ] {
        assert!(
            dom.contains(&format!("<h2>{h}</h2>")),
            "section {h} missing"
        );
    }
}
