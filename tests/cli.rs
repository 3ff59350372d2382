//! The `bordin` command line: exit codes (0 success, 1 failure at run time, 2 usage or scenario
//! error) and the messages of every error path.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The binary, run in `dir` (so relative paths in messages are stable).
fn bordin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.current_dir(dir);
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

fn stderr_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().clone();
    String::from_utf8(out.stderr).unwrap()
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn csv_header(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect()
}

/// Several errors at once: a wrong type, an unknown key with a near miss, an out-of-range value.
const BAD_SCENARIO: &str = r#"name = "bad"

[run]
patients = "many"

[[arms]]
name = "cbt"
technique_potncy = 0.1

[[arms]]
name = "ipt"
technique_potency = 2.5
"#;

/// Two arms, one a waitlist.
const TWO_ARMS: &str = r#"name = "two arms"

[run]
patients = 60

[[arms]]
name = "cbt"

[[arms]]
name = "wait"
kind = "waitlist"
"#;

#[test]
fn run_writes_every_file_with_a_manifest_of_matching_digests() {
    let tmp = TempDir::new().unwrap();
    bordin(tmp.path())
        .args(["run", "--out", "out", "--set", "run.patients=200"])
        .assert()
        .code(0)
        .stdout(
            contains("reliably improved")
                .and(contains("routine_care"))
                .and(contains("wrote 5 files to out")),
        )
        .stderr(predicate::str::is_empty());
    let out = tmp.path().join("out");
    let expected: BTreeSet<String> = [
        "sessions.csv",
        "patients.csv",
        "therapists.csv",
        "summary.csv",
        "manifest.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Exactly the five files: no leftover `.name.tmp`.
    assert_eq!(file_names(&out), expected);

    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["patients_per_replicate"], 200);
    assert_eq!(manifest["sessions_output"], "all");
    assert_eq!(manifest["scenario_source"], "embedded default");
    let files = manifest["files"].as_array().unwrap();
    let listed: BTreeSet<String> = files
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    let csvs: BTreeSet<String> = expected
        .iter()
        .filter(|f| f.ends_with(".csv"))
        .cloned()
        .collect();
    assert_eq!(listed, csvs);
    for f in files {
        let name = f["file"].as_str().unwrap();
        let bytes = fs::read(out.join(name)).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"].as_str().unwrap(), digest, "sha256 of {name}");
        assert_eq!(
            f["bytes"].as_u64().unwrap(),
            bytes.len() as u64,
            "bytes of {name}"
        );
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
        assert_eq!(f["rows"].as_u64().unwrap(), rows, "rows of {name}");
    }
    assert_eq!(
        files.iter().find(|f| f["file"] == "patients.csv").unwrap()["rows"],
        200
    );
    // The resolved scenario in the manifest runs again as it is.
    write(
        tmp.path(),
        "resolved.toml",
        manifest["resolved_scenario"].as_str().unwrap(),
    );
    bordin(tmp.path())
        .args(["validate", "resolved.toml"])
        .assert()
        .code(0)
        .stdout(contains("200 patients"));
}

#[test]
fn sessions_output_none_writes_no_sessions_csv() {
    let tmp = TempDir::new().unwrap();
    bordin(tmp.path())
        .args([
            "run",
            "--out",
            "out",
            "--quiet",
            "--sessions-output",
            "none",
            "--set",
            "run.patients=200",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let names = file_names(&tmp.path().join("out"));
    assert!(!names.contains("sessions.csv"), "{names:?}");
    for f in [
        "patients.csv",
        "therapists.csv",
        "summary.csv",
        "manifest.json",
    ] {
        assert!(names.contains(f), "{f} missing from {names:?}");
    }
    let manifest = fs::read_to_string(tmp.path().join("out/manifest.json")).unwrap();
    assert!(!manifest.contains("\"sessions.csv\""));
}

#[test]
fn a_non_empty_output_directory_needs_force() {
    let tmp = TempDir::new().unwrap();
    fs::create_dir(tmp.path().join("out")).unwrap();
    write(tmp.path(), "out/notes.txt", "keep me");
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "--out", "out", "--set", "run.patients=50"]),
        2,
    );
    assert!(
        err.starts_with("error: output directory out is not empty"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert!(!tmp.path().join("out/patients.csv").exists());
    bordin(tmp.path())
        .args([
            "run",
            "--out",
            "out",
            "--force",
            "-q",
            "--set",
            "run.patients=50",
        ])
        .assert()
        .code(0);
    assert!(tmp.path().join("out/patients.csv").exists());
    assert_eq!(
        fs::read_to_string(tmp.path().join("out/notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn every_scenario_error_is_reported_with_path_location_and_expectation() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "bad.toml", BAD_SCENARIO);
    for args in [
        vec!["validate", "bad.toml"],
        vec!["run", "bad.toml", "--out", "out"],
    ] {
        let err = stderr_of(bordin(tmp.path()).args(&args), 2);
        assert!(
            err.starts_with("error: scenario bad.toml has 3 errors:"),
            "{err}"
        );
        assert!(
            err.contains("bad.toml:4:12: `run.patients`: expected an integer in [1, 1000000000], found a string"),
            "{err}"
        );
        assert!(
            err.contains("bad.toml:8:1: `arms[0].technique_potncy`: unknown key `technique_potncy` in `arms[0]`; did you mean `technique_potency`?"),
            "{err}"
        );
        assert!(
            err.contains("bad.toml:12:21: `arms[1].technique_potency`: 2.5 is out of range: expected a number in [0, 1]"),
            "{err}"
        );
    }
    // A scenario error stops `run` before it touches the output directory.
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn scenario_errors_are_listed_in_file_order() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "bad.toml", BAD_SCENARIO);
    let err = stderr_of(bordin(tmp.path()).args(["validate", "bad.toml"]), 2);
    let at = |s: &str| err.find(s).unwrap_or_else(|| panic!("{s} not in {err}"));
    assert!(at("bad.toml:4:12") < at("bad.toml:8:1"), "{err}");
    assert!(at("bad.toml:8:1") < at("bad.toml:12:21"), "{err}");
}

#[test]
fn a_duplicate_name_is_located_at_the_duplicate() {
    let tmp = TempDir::new().unwrap();
    write(
        tmp.path(),
        "dup.toml",
        "[[arms]]\nname = \"a\"\n\n[[arms]]\nname = \"a\"\n",
    );
    let err = stderr_of(bordin(tmp.path()).args(["validate", "dup.toml"]), 2);
    assert!(
        err.contains("`arms[1].name`: the name \"a\" is already used"),
        "{err}"
    );
    assert!(err.contains("dup.toml:5:8: `arms[1].name`"), "{err}");
}

#[test]
fn the_poor_alliance_rule_check_is_located_at_its_key() {
    let tmp = TempDir::new().unwrap();
    write(
        tmp.path(),
        "par.toml",
        "[[arms]]\nname = \"a\"\nsessions = 3\n[arms.policies.poor_alliance_rule]\nenabled = true\nafter_sessions = 3\n",
    );
    let err = stderr_of(bordin(tmp.path()).args(["validate", "par.toml"]), 2);
    assert!(
        err.contains("`arms[0].policies.poor_alliance_rule.after_sessions`: 3 must be below"),
        "{err}"
    );
    assert!(err.contains("par.toml:6:18: "), "{err}");
}

#[test]
fn invalid_toml_is_reported_with_line_and_column() {
    let tmp = TempDir::new().unwrap();
    write(
        tmp.path(),
        "broken.toml",
        "name = \"x\"\n[run\npatients = 3\n",
    );
    let err = stderr_of(bordin(tmp.path()).args(["validate", "broken.toml"]), 2);
    assert!(err.contains("broken.toml:2:5: not valid TOML"), "{err}");
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "broken.toml", "--out", "out"]),
        2,
    );
    assert!(err.contains("broken.toml:2:5: not valid TOML"), "{err}");
    write(tmp.path(), "dupkey.toml", "a = 1\na = 2\n");
    let err = stderr_of(bordin(tmp.path()).args(["validate", "dupkey.toml"]), 2);
    assert!(
        err.contains("dupkey.toml:2:1: not valid TOML: duplicate key"),
        "{err}"
    );
}

#[test]
fn a_missing_scenario_file_is_named() {
    let tmp = TempDir::new().unwrap();
    for args in [
        vec!["validate", "nope.toml"],
        vec!["run", "nope.toml", "--out", "out"],
    ] {
        let err = stderr_of(bordin(tmp.path()).args(&args), 2);
        assert!(
            err.starts_with("error: cannot read scenario file nope.toml:"),
            "{err}"
        );
    }
    // A directory is not a scenario file either.
    fs::create_dir(tmp.path().join("dir.toml")).unwrap();
    let err = stderr_of(bordin(tmp.path()).args(["validate", "dir.toml"]), 2);
    assert!(
        err.starts_with("error: cannot read scenario file dir.toml:"),
        "{err}"
    );
}

#[test]
fn bad_overrides_are_usage_errors_that_name_the_override() {
    let tmp = TempDir::new().unwrap();
    let cases: [(&str, &str); 6] = [
        ("run.patients", "--set run.patients: expected PATH=VALUE"),
        ("a..b=3", "--set a..b=3: `a..b`: not a key path"),
        (
            "run.patients=0",
            "--set run.patients=0: `run.patients`: 0 is out of range: expected an integer in [1, 1000000000]",
        ),
        (
            "run.patinets=3",
            "--set run.patinets=3: `run.patinets`: unknown key `patinets` in `run`; did you mean `patients`?",
        ),
        (
            "run.patients.x=3",
            "--set run.patients.x=3: `run.patients.x`: `run.patients` is an integer, not a table",
        ),
        (
            "arms[3].name=x",
            "--set arms[3].name=x: `arms[3].name`: `arms` has 1 element(s)",
        ),
    ];
    for (set, message) in cases {
        let err = stderr_of(
            bordin(tmp.path()).args(["run", "--out", "out", "--set", set]),
            2,
        );
        assert!(
            err.starts_with("error: scenario embedded default has 1 error:"),
            "{err}"
        );
        assert!(err.contains(message), "--set {set}: {err}");
    }
    // Every bad override is reported, not only the first.
    let err = stderr_of(
        bordin(tmp.path()).args([
            "run",
            "--out",
            "out",
            "--set",
            "a..b=3",
            "--set",
            "run.patients=0",
        ]),
        2,
    );
    assert!(
        err.contains("has 2 errors")
            && err.contains("--set a..b=3")
            && err.contains("--set run.patients=0"),
        "{err}"
    );
    // Overrides of `validate` too.
    write(tmp.path(), "ok.toml", "");
    let err = stderr_of(
        bordin(tmp.path()).args(["validate", "ok.toml", "--set", "design.planned_sessions=0"]),
        2,
    );
    assert!(
        err.contains(
            "--set design.planned_sessions=0: `design.planned_sessions`: 0 is out of range"
        ),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn command_line_syntax_errors_exit_2() {
    let tmp = TempDir::new().unwrap();
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "--out", "out", "--bogus"]),
        2,
    );
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "--out", "out", "--sessions-output", "some"]),
        2,
    );
    assert!(
        err.contains("invalid value 'some' for '--sessions-output"),
        "{err}"
    );
    assert!(err.contains("[possible values: all, none]"), "{err}");
    let err = stderr_of(bordin(tmp.path()).args(["run", "--threads", "many"]), 2);
    assert!(err.contains("invalid value 'many' for '--threads"), "{err}");
    let err = stderr_of(bordin(tmp.path()).args(["frobnicate"]), 2);
    assert!(
        err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    // No subcommand: usage on stderr.
    let err = stderr_of(&mut bordin(tmp.path()), 2);
    assert!(err.contains("Usage: bordin <COMMAND>"), "{err}");
    assert!(!tmp.path().join("out").exists());
    bordin(tmp.path())
        .arg("--version")
        .assert()
        .code(0)
        .stdout(contains("bordin "));
    bordin(tmp.path())
        .args(["run", "--help"])
        .assert()
        .code(0)
        .stdout(contains("--sessions-output"));
}

#[test]
fn zero_threads_is_a_usage_error() {
    let tmp = TempDir::new().unwrap();
    let err = stderr_of(
        bordin(tmp.path()).args([
            "run",
            "--out",
            "out",
            "--threads",
            "0",
            "--set",
            "run.patients=10",
        ]),
        2,
    );
    assert_eq!(err, "error: --threads must be at least 1\n");
    assert!(!tmp.path().join("out").exists());
    bordin(tmp.path())
        .args([
            "run",
            "--out",
            "out",
            "--threads",
            "1",
            "-q",
            "--set",
            "run.patients=10",
        ])
        .assert()
        .code(0);
}

#[test]
fn an_output_directory_that_cannot_be_created_is_a_run_time_failure() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "file", "a regular file");
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "--out", "file/sub", "--set", "run.patients=10"]),
        1,
    );
    assert!(err.starts_with("error: cannot write file/sub:"), "{err}");
    // `--out` naming a regular file is the user's mistake.
    let err = stderr_of(
        bordin(tmp.path()).args(["run", "--out", "file", "--set", "run.patients=10"]),
        2,
    );
    assert_eq!(err, "error: --out file exists and is not a directory\n");
    assert_eq!(
        fs::read_to_string(tmp.path().join("file")).unwrap(),
        "a regular file"
    );
}

#[test]
fn validate_reports_good_and_bad_files() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "two.toml", TWO_ARMS);
    bordin(tmp.path())
        .args(["validate", "two.toml"])
        .assert()
        .code(0)
        .stdout("two.toml: valid (2 arm(s), 1 therapist pool(s), 1 population(s), 60 patients x 1 replicate(s))\n")
        .stderr(predicate::str::is_empty());
    bordin(tmp.path())
        .args(["validate", "two.toml", "--set", "run.replicates=3"])
        .assert()
        .code(0)
        .stdout(contains("60 patients x 3 replicate(s)"));
    write(tmp.path(), "bad.toml", BAD_SCENARIO);
    bordin(tmp.path())
        .args(["validate", "bad.toml"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("has 3 errors"));
    // `validate` needs a file.
    bordin(tmp.path()).arg("validate").assert().code(2);
}

#[test]
fn the_default_scenario_prints_and_validates() {
    let tmp = TempDir::new().unwrap();
    let out = bordin(tmp.path())
        .arg("default-scenario")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, bordin::scenario::DEFAULT_SCENARIO);
    assert!(text.contains("[[arms]]") && text.contains("technique_potency"));
    write(tmp.path(), "default.toml", &text);
    bordin(tmp.path())
        .args(["validate", "default.toml"])
        .assert()
        .code(0)
        .stdout(contains(
            "default.toml: valid (1 arm(s), 1 therapist pool(s), 1 population(s), 2000 patients",
        ));
}

#[test]
fn counterfactual_runs_write_potential_outcomes_for_every_arm() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "two.toml", TWO_ARMS);
    bordin(tmp.path())
        .args(["run", "two.toml", "--out", "cf", "--counterfactual"])
        .assert()
        .code(0)
        .stdout(contains("cbt").and(contains("wait")));
    let header = csv_header(&tmp.path().join("cf/patients.csv"));
    for arm in ["cbt", "wait"] {
        for col in [
            "final_score",
            "post_score",
            "end_latent",
            "sessions",
            "ending",
        ] {
            let name = format!("po_{arm}_{col}");
            assert!(header.contains(&name), "{name} missing from {header:?}");
        }
    }
    let text = fs::read_to_string(tmp.path().join("cf/patients.csv")).unwrap();
    let post: Vec<usize> = ["po_cbt_post_score", "po_wait_post_score"]
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 60);
    for r in &rows {
        assert_eq!(r.len(), header.len());
        for &i in &post {
            assert!(r[i].parse::<f64>().is_ok(), "{:?} in {r:?}", r[i]);
        }
    }
    let manifest = fs::read_to_string(tmp.path().join("cf/manifest.json")).unwrap();
    assert!(manifest.contains("\"counterfactual\": true"));

    // Without --counterfactual: no potential outcomes.
    bordin(tmp.path())
        .args(["run", "two.toml", "--out", "plain", "-q"])
        .assert()
        .code(0);
    let header = csv_header(&tmp.path().join("plain/patients.csv"));
    assert!(header.iter().all(|h| !h.starts_with("po_")), "{header:?}");
}

#[test]
fn a_seed_accepted_by_the_command_line_is_usable() {
    let tmp = TempDir::new().unwrap();
    let out = bordin(tmp.path())
        .args([
            "run",
            "--out",
            "out",
            "-q",
            "--seed",
            "18446744073709551615",
            "--set",
            "run.patients=10",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || (err.contains("--seed") && !err.contains("--set")),
        "{err}"
    );
}

#[test]
fn force_does_not_leave_stale_outputs_of_an_earlier_run() {
    let tmp = TempDir::new().unwrap();
    bordin(tmp.path())
        .args(["run", "--out", "out", "-q", "--set", "run.patients=20"])
        .assert()
        .code(0);
    bordin(tmp.path())
        .args([
            "run",
            "--out",
            "out",
            "-q",
            "--force",
            "--sessions-output",
            "none",
            "--set",
            "run.patients=30",
        ])
        .assert()
        .code(0);
    assert!(!tmp.path().join("out/sessions.csv").exists());
}
