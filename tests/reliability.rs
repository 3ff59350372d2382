//! Reliability: bad input gets a located message and exit code 2, never a panic; an accepted
//! scenario never writes NaN, an empty cell where a value is due, or a value outside its scale.
//! docs/reliability.md lists the guarantees these tests hold the code to.

mod common;
mod output_folder;

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;
use bordin::error::Location;
use bordin::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn bordin() -> Command {
    Command::cargo_bin("bordin").unwrap()
}

type Rows = Vec<HashMap<String, String>>;

fn read_csv(path: &Path) -> Rows {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The output invariant: every cell is empty or a finite number or a word; the cells that
/// are due are filled; every value lies on its scale.
fn check_outputs(dir: &Path, sc: &Scenario) {
    let (lo, hi) = (sc.instrument.min.ceil(), sc.instrument.max.floor());
    let fail = |file: &str, i: usize, col: &str, v: &str, why: &str| -> ! {
        panic!("{file} row {}: `{col}` = {v:?}: {why}", i + 1)
    };
    for file in [
        "sessions.csv",
        "patients.csv",
        "therapists.csv",
        "summary.csv",
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        for (i, row) in read_csv(&path).iter().enumerate() {
            for (col, v) in row {
                let low = v.to_ascii_lowercase();
                if low.contains("nan") || low.contains("inf") {
                    fail(file, i, col, v, "not a finite number");
                }
            }
        }
    }
    let num = |row: &HashMap<String, String>, col: &str| -> Option<f64> {
        let v = &row[col];
        (!v.is_empty()).then(|| {
            v.parse::<f64>()
                .unwrap_or_else(|_| panic!("`{col}` = {v:?}"))
        })
    };
    let in_range = |file: &str,
                    i: usize,
                    row: &HashMap<String, String>,
                    col: &str,
                    a: f64,
                    b: f64,
                    due: bool| {
        match num(row, col) {
            None if due => fail(file, i, col, "", "empty where a value is due"),
            None => {}
            Some(x) if x < a - 1e-9 || x > b + 1e-9 => {
                fail(file, i, col, &row[col], &format!("outside [{a}, {b}]"))
            }
            Some(_) => {}
        }
    };
    let whole = |file: &str, i: usize, row: &HashMap<String, String>, col: &str| {
        if let Some(x) = num(row, col)
            && x.fract() != 0.0
        {
            fail(file, i, col, &row[col], "a score is a whole number");
        }
    };
    let sessions = dir.join("sessions.csv");
    if sessions.exists() {
        for (i, r) in read_csv(&sessions).iter().enumerate() {
            let f = "sessions.csv";
            let attended = r["attended"] == "1";
            for c in ["bond", "goals", "tasks", "alliance", "rupture_hazard"] {
                in_range(f, i, r, c, 0.0, 1.0, attended);
            }
            for c in ["wai_patient", "wai_therapist", "wai_observer"] {
                in_range(f, i, r, c, 12.0, 60.0, attended);
            }
            in_range(f, i, r, "complementarity", -1.0, 1.0, attended);
            let ruptured = attended && r["rupture"] != "none";
            in_range(f, i, r, "rupture_severity", 0.0, 1.0, ruptured);
            in_range(f, i, r, "symptom_score", lo, hi, attended);
            whole(f, i, r, "symptom_score");
            in_range(
                f,
                i,
                r,
                "symptom_latent",
                sc.instrument.min,
                sc.instrument.max,
                attended,
            );
            for c in [
                "noticed",
                "repaired",
                "reported_by_patient",
                "reported_by_therapist",
            ] {
                in_range(f, i, r, c, 0.0, 1.0, attended);
            }
        }
    }
    for (i, r) in read_csv(&dir.join("patients.csv")).iter().enumerate() {
        let f = "patients.csv";
        for c in ["intake_score", "final_score"] {
            in_range(f, i, r, c, lo, hi, true);
            whole(f, i, r, c);
        }
        in_range(f, i, r, "change", lo - hi, hi - lo, true);
        in_range(
            f,
            i,
            r,
            "end_latent",
            sc.instrument.min,
            sc.instrument.max,
            true,
        );
        in_range(f, i, r, "wai_patient_s3", 12.0, 60.0, false);
        in_range(f, i, r, "alliance_s3", 0.0, 1.0, false);
        for c in [
            "reliably_improved",
            "recovered",
            "deteriorated",
            "dropped_out",
        ] {
            in_range(f, i, r, c, 0.0, 1.0, true);
        }
    }
    // Recovery is a rate among the cases at intake: due only where an arm had one.
    let patients = read_csv(&dir.join("patients.csv"));
    let cases_in = |rep: &str, arm: &str| {
        patients.iter().any(|p| {
            p["replicate"] == rep
                && p["arm"] == arm
                && num(p, "intake_score").is_some_and(|x| x >= sc.instrument.cutoff)
        })
    };
    for (i, r) in read_csv(&dir.join("summary.csv")).iter().enumerate() {
        let f = "summary.csv";
        let n = num(r, "n").unwrap_or(0.0);
        let cases = cases_in(&r["replicate"], &r["arm"]);
        in_range(f, i, r, "recovery", 0.0, 1.0, n > 0.0 && cases);
        for c in [
            "reliable_improvement",
            "deterioration",
            "dropout",
            "rupture_rate",
            "repair_rate",
        ] {
            in_range(f, i, r, c, 0.0, 1.0, n > 0.0);
        }
        in_range(f, i, r, "alliance_outcome_r", -1.0, 1.0, false);
    }
}

/// Runs a scenario in-process into a fresh directory (the library's `run`), with at most
/// `patients` patients and one replicate, and checks the output invariant.
fn run_and_check(sc: &Scenario, patients: u64) {
    let mut sc = sc.clone();
    sc.run.patients = sc.run.patients.min(patients);
    sc.run.replicates = 1;
    let dir = tempfile::tempdir().unwrap();
    let req = bordin::commands::run::RunRequest {
        scenario: sc.clone(),
        scenario_source: "fuzz".into(),
        out: dir.path().join("out"),
        force: false,
        force_large: false,
        threads: Some(1),
        counterfactual: sc.arms.len() > 1,
        sessions_output: true,
        report: false,
        posterior: None,
        command_line: vec![],
    };
    bordin::commands::run::run(&req).unwrap_or_else(|e| panic!("run failed: {e}"));
    check_outputs(&dir.path().join("out"), &sc);
}

// ---- defects found by fuzzing (issue "Reliability"), each with the input that showed it ----

#[test]
fn an_instrument_range_without_two_whole_scores_is_refused() {
    for set in [
        [
            "instrument.min=0.2",
            "instrument.max=0.8",
            "instrument.cutoff=0.5",
            "instrument.functional_mean=0.3",
        ],
        [
            "instrument.min=68.16",
            "instrument.max=68.83",
            "instrument.cutoff=68.5",
            "instrument.functional_mean=68.2",
        ],
    ] {
        let mut cmd = bordin();
        cmd.arg("validate")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.toml"));
        for s in set {
            cmd.arg("--set").arg(s);
        }
        let out = cmd.assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("`instrument.max`") && err.contains("whole scores"),
            "{err}"
        );
    }
}

#[test]
fn a_distribution_truncated_far_in_its_tail_gives_finite_traits() {
    let sc = common::scenario_from(
        "",
        &[
            "run.patients=30",
            r#"therapist_pools[0].fis={ type = "normal", mean = -4.0, sd = 1e-200, min = 0.0, max = 4.0 }"#,
            r#"populations[0].alliance_capacity={ type = "normal", mean = 4.0, sd = 1e-300, min = -3.0, max = 3.0 }"#,
        ],
    );
    run_and_check(&sc, 30);
}

#[test]
fn toml_syntax_errors_name_the_duplicate_key_and_locate_deep_nesting() {
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [
        (
            "name = \"a\"\nname = \"b\"\n".to_string(),
            "2:1: not valid TOML: duplicate key `name`",
        ),
        (
            "[run]\nseed = 1\n[run]\nseed = 2\n".to_string(),
            "3:2: not valid TOML: duplicate key `run`",
        ),
        (
            format!("name = \"x\"\n{}a = 1\n", "a.".repeat(20_000)),
            "deep.toml:2:1: not valid TOML",
        ),
    ] {
        let file = dir.path().join("deep.toml");
        std::fs::write(&file, text).unwrap();
        let out = bordin()
            .arg("validate")
            .arg(&file)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "want {want:?} in {err}");
    }
}

#[test]
fn echoed_text_cannot_split_a_listing_or_drive_the_terminal() {
    let out = bordin()
        .arg("validate")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.toml"))
        .arg("--set")
        .arg("arms[0].name=\"a\nb\u{1b}[31mred\u{1b}]0;title\u{7}\u{2028}\"")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\u{2028}'),
        "{err:?}"
    );
    assert_eq!(err.lines().count(), 2, "one line per problem: {err}");
    assert!(err.contains("a\\u{a}b\\u{1b}[31mred"), "{err}");
}

#[test]
fn too_many_threads_are_refused_at_once() {
    let out = bordin()
        .args(["run", "--threads", "100000", "--out"])
        .arg(tempfile::tempdir().unwrap().path().join("r"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--threads 100000") && err.contains("at most"),
        "{err}"
    );
}

#[test]
fn a_huge_or_endless_scenario_file_is_refused_without_reading_it_all() {
    let out = bordin()
        .args(["validate", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/dev/zero") && err.contains("MiB"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let line = "unknown_key_with_a_long_name = 1\n";
    std::fs::write(&big, line.repeat((5 << 20) / line.len())).unwrap();
    bordin().arg("validate").arg(&big).assert().code(2);
}

// ---- fuzzing ----

/// Values that have broken parsers and models elsewhere: wrong types, non-finite and extreme
/// numbers, control characters and unicode, degenerate distributions.
const NASTY: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-300",
    "-1e-300",
    "0",
    "-0.0",
    "-1",
    "2",
    "9223372036854775807",
    "-9223372036854775808",
    "0.5",
    "1000000",
    "\"text\"",
    "\"a\\nb\"",
    "\"\\u001b[31mred\\u001b]0;title\\u0007\"",
    "\"\\u0000\"",
    "\"\\u2028\"",
    "\"名前 🧠\"",
    "\"\"",
    "true",
    "[1, 2]",
    "[]",
    "{}",
    "{ type = \"normal\", mean = 1e300, sd = 1e-300 }",
    "{ type = \"normal\", mean = 0.5, sd = 1e-200, min = 0.0, max = 1.0 }",
    "{ type = \"beta\", alpha = 1e-6, beta = 1e6 }",
    "{ type = \"beta\", alpha = 2, beta = 2, min = 5, max = 6 }",
    "{ type = \"lognormal\", meanlog = 50, sdlog = 10 }",
    "{ type = \"lognormal\", meanlog = -50, sdlog = 0, min = 0.1, max = 0.2 }",
    "{ type = \"uniform\", min = 1, max = 1 }",
    "{ type = \"mixture\", components = [] }",
    "{ type = \"mixture\", components = [{ weight = 0, type = \"fixed\", value = 1 }] }",
    "{ type = \"fixed\" }",
    "{ type = \"cauchy\" }",
    "{ sd = 2 }",
];

/// Every key path of the default scenario, as `--set` takes it.
fn resolved_keys() -> Vec<String> {
    Scenario::embedded_default()
        .resolved
        .iter()
        .map(|r| bordin::config::reader::path_string(&r.path))
        .collect()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// One random mutation of a scenario's text or of its overrides.
fn mutate(rng: &mut ChaCha8Rng, text: &mut String, overrides: &mut Vec<String>, keys: &[String]) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let assignments: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains(" = ") && !lines[i].trim_start().starts_with('#'))
        .collect();
    match rng.random_range(0..9) {
        0 | 1 => overrides.push(format!("{}={}", pick(rng, keys), pick(rng, NASTY))),
        2 => {
            // A key's value scaled by a power of ten, or negated.
            let k = pick(rng, keys);
            let x: f64 = rng.random_range(-3.0..3.0);
            overrides.push(format!(
                "{k}={}",
                10f64.powf(rng.random_range(-12.0..12.0)) * x
            ));
        }
        3 if !assignments.is_empty() => {
            let i = *pick(rng, &assignments);
            let key = lines[i].split(" = ").next().unwrap().to_string();
            lines[i] = format!("{key} = {}", pick(rng, NASTY));
        }
        4 if !lines.is_empty() => {
            let i = rng.random_range(0..lines.len());
            lines.remove(i);
        }
        5 if !assignments.is_empty() => {
            let i = *pick(rng, &assignments);
            let dup = lines[i].clone();
            lines.insert(i + 1, dup); // a duplicate key
        }
        6 => {
            let depth = *pick(rng, &[3usize, 200, 20_000]);
            let key = vec!["a"; depth].join(".");
            lines.insert(rng.random_range(0..=lines.len()), format!("{key} = 1"));
        }
        7 => {
            let at = rng.random_range(0..=lines.len());
            let s = pick(
                rng,
                &[
                    "[[arms]]",
                    "[[therapist_pools]]",
                    "[[populations]]",
                    "[run]",
                    "[[",
                    "]]",
                    "= 1",
                    "x = [1, \"a\"]",
                    "\u{feff}",
                    "\u{0}",
                ],
            );
            lines.insert(at, (*s).to_string());
        }
        _ => {
            let cut = rng.random_range(0..text.len().max(1));
            let mut cut = cut;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            return;
        }
    }
    *text = lines.join("\n");
}

/// Every diagnostic points at a place: `file:line:col` or the `--set` it came from.
fn assert_located(e: &bordin::ScenarioError, case: &str) {
    assert!(
        !e.diagnostics.is_empty(),
        "{case}: an error without a diagnostic"
    );
    for d in &e.diagnostics {
        let located = match &d.loc {
            Location::File { line, .. } => *line > 0,
            Location::Override(_) => true,
        };
        assert!(located, "{case}: diagnostic without a location: {d}");
        assert!(!d.message.is_empty(), "{case}: empty message");
    }
}

/// Mutates the default scenario at random, parses each mutant in-process and, for a sample of
/// those accepted, runs it and checks the output invariant. Any panic fails the test with the
/// input that caused it.
#[test]
fn fuzzed_scenarios_are_refused_with_located_messages_or_run_cleanly() {
    let base = bordin::scenario::DEFAULT_SCENARIO;
    let keys: Vec<String> = resolved_keys();
    assert!(keys.len() > 100);
    let mut rng = ChaCha8Rng::seed_from_u64(20261202);
    let (cases, mut refused, mut accepted, mut ran) = (3000, 0, 0, 0);
    for case in 0..cases {
        let mut text = base.to_string();
        let mut overrides = Vec::new();
        for _ in 0..rng.random_range(1..=3) {
            mutate(&mut rng, &mut text, &mut overrides, &keys);
        }
        let label = format!("case {case} with --set {overrides:?}");
        let parsed = std::panic::catch_unwind(|| Scenario::parse(&text, "fuzz.toml", &overrides));
        let parsed = match parsed {
            Ok(p) => p,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("bordin_fuzz_{case}.toml"));
                std::fs::write(&path, &text).unwrap();
                panic!(
                    "{label}: parsing panicked (scenario written to {})",
                    path.display()
                );
            }
        };
        match parsed {
            Err(e) => {
                refused += 1;
                assert_located(&e, &label);
            }
            Ok(sc) => {
                accepted += 1;
                if ran < 150 && sc.design.planned_sessions <= 60 {
                    ran += 1;
                    let r = std::panic::catch_unwind(|| run_and_check(&sc, 12));
                    if r.is_err() {
                        let path = std::env::temp_dir().join(format!("bordin_fuzz_{case}.toml"));
                        std::fs::write(&path, &text).unwrap();
                        panic!(
                            "{label}: the run or its outputs failed (scenario written to {})",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    eprintln!(
        "fuzz: {cases} mutated scenarios, {refused} refused, {accepted} accepted, {ran} run and checked"
    );
    assert!(
        refused > cases / 4 && accepted > cases / 10,
        "{refused} refused, {accepted} accepted"
    );
}

/// Through the binary: mutated files and `--set` values exit 0 or 2 (never 101, a panic), and
/// an error message names its file.
#[test]
fn the_binary_never_panics_on_fuzzed_input() {
    let keys = resolved_keys();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let dir = tempfile::tempdir().unwrap();
    for case in 0..40 {
        let mut text = bordin::scenario::DEFAULT_SCENARIO.to_string();
        let mut overrides = Vec::new();
        mutate(&mut rng, &mut text, &mut overrides, &keys);
        let file = dir.path().join(format!("case{case}.toml"));
        std::fs::write(&file, &text).unwrap();
        let mut cmd = bordin();
        cmd.arg("validate").arg(&file);
        for o in &overrides {
            cmd.arg("--set").arg(o);
        }
        let out = cmd.output().unwrap();
        let code = out.status.code();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(code, Some(0) | Some(2)),
            "case {case} ({overrides:?}): exit {code:?}\n{err}"
        );
        if code == Some(2) {
            assert!(err.contains("error:"), "case {case}: {err}");
        }
    }
}

/// A random distribution on `[lo, hi]` of every kind a scenario may write, with bounds.
fn random_dist(rng: &mut ChaCha8Rng, lo: f64, hi: f64, positive: bool) -> String {
    let (a, b) = {
        let x = rng.random_range(lo..hi);
        let y = rng.random_range(lo..hi);
        (x.min(y), x.max(y).max(x.min(y) + (hi - lo) * 0.05).min(hi))
    };
    let mid = (a + b) / 2.0;
    let kinds = if positive { 6 } else { 5 };
    match rng.random_range(0..kinds) {
        0 => format!("{mid}"),
        1 => format!(
            "{{ type = \"normal\", mean = {mid}, sd = {}, min = {a}, max = {b} }}",
            (b - a) * rng.random_range(0.1..2.0)
        ),
        2 => format!("{{ type = \"uniform\", min = {a}, max = {b} }}"),
        3 => format!(
            "{{ type = \"beta\", alpha = {}, beta = {}, min = {a}, max = {b} }}",
            rng.random_range(0.3..6.0),
            rng.random_range(0.3..6.0)
        ),
        4 => format!(
            "{{ type = \"mixture\", components = [{{ weight = 0.3, type = \"fixed\", value = {a} }}, {{ weight = 0.7, type = \"normal\", mean = {mid}, sd = {}, min = {a}, max = {b} }}] }}",
            (b - a) / 3.0
        ),
        _ => format!(
            "{{ type = \"lognormal\", meanlog = {}, sdlog = {}, min = {}, max = {b} }}",
            mid.max(1e-3).ln(),
            rng.random_range(0.05..1.0),
            a.max(1e-3)
        ),
    }
}

/// Re-running a run from its manifest's resolved scenario reproduces every output byte, for
/// random valid scenarios over every distribution kind and bound (issue "Reliability", item 6:
/// a lognormal's bounds were dropped from the manifest).
#[test]
fn a_run_reproduces_from_its_manifest() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let traits = [
        ("populations[0].responsiveness", 0.0, 10.0, true),
        ("populations[0].expectancy", 0.0, 1.0, false),
        ("populations[0].alliance_capacity", -3.0, 3.0, false),
        ("therapist_pools[0].fis", -4.0, 4.0, false),
        ("therapist_pools[0].repair_skill", 0.0, 1.0, false),
    ];
    for case in 0..24 {
        let mut set: Vec<String> = vec![
            "run.patients=40".into(),
            format!("run.seed={}", rng.random_range(0..1_000_000u64)),
        ];
        if case == 0 {
            // The defect's own case: a lognormal with both bounds.
            set.push(r#"populations[0].responsiveness={ type = "lognormal", meanlog = 0, sdlog = 0.8, min = 0.5, max = 2 }"#.into());
        }
        for (key, lo, hi, positive) in traits {
            if rng.random_bool(0.7) && !(case == 0 && positive) {
                set.push(format!("{key}={}", random_dist(&mut rng, lo, hi, positive)));
            }
        }
        let refs: Vec<&str> = set.iter().map(String::as_str).collect();
        let sc = common::scenario_from("", &refs);
        let dir = tempfile::tempdir().unwrap();
        let write = |sc: &Scenario, out: &Path| {
            let req = bordin::commands::run::RunRequest {
                scenario: sc.clone(),
                scenario_source: "random".into(),
                out: out.to_path_buf(),
                force: false,
                force_large: false,
                threads: Some(1),
                counterfactual: false,
                sessions_output: true,
                report: false,
                posterior: None,
                command_line: vec![],
            };
            bordin::commands::run::run(&req).unwrap();
        };
        write(&sc, &dir.path().join("a"));
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("a/manifest.json")).unwrap(),
        )
        .unwrap();
        let resolved = manifest["resolved_scenario"].as_str().unwrap();
        let again = Scenario::parse(resolved, "manifest", &[]).unwrap_or_else(|e| {
            panic!("case {case} ({set:?}): the resolved scenario does not read back: {e}")
        });
        write(&again, &dir.path().join("b"));
        for f in [
            "patients.csv",
            "sessions.csv",
            "therapists.csv",
            "summary.csv",
        ] {
            let x = std::fs::read(dir.path().join("a").join(f)).unwrap();
            let y = std::fs::read(dir.path().join("b").join(f)).unwrap();
            assert!(
                x == y,
                "case {case} ({set:?}): {f} differs when re-run from the manifest"
            );
        }
        check_outputs(&dir.path().join("a"), &sc);
    }
}

/// An arm that receives no patients is reported as empty, not with zeros (issue "Reliability",
/// item 8).
#[test]
fn an_arm_without_patients_is_reported_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty_arm.toml");
    std::fs::write(
        &file,
        "[[arms]]\nname = \"a\"\n[[arms]]\nname = \"b\"\nallocation = 0.000001\n",
    )
    .unwrap();
    let out = bordin()
        .arg("run")
        .arg(&file)
        .args(["--set", "run.patients=20", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("note: arm b received no patients"), "{text}");
    let rows = read_csv(&dir.path().join("out/summary.csv"));
    let b = rows.iter().find(|r| r["arm"] == "b").unwrap();
    assert_eq!(b["n"], "0");
    for c in [
        "mean_intake",
        "mean_final",
        "mean_change",
        "sd_change",
        "dropout",
    ] {
        assert_eq!(b[c], "", "`{c}` of an empty arm");
    }
}
