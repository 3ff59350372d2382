//! `bordin trace`: one dyad session by session, with a second therapist under common random
//! numbers; archetypes, errors and output files.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

fn bordin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.current_dir(dir);
    cmd
}

/// The documented command, writing to `dir/out`; returns stdout.
fn documented(dir: &Path, out: &str, extra: &[&str]) -> String {
    let o = bordin(dir)
        .args([
            "trace",
            "--therapist",
            "warm-flexible",
            "--patient",
            "anxious-confronting",
            "--compare-therapist",
            "rigid-technical",
            "--out",
            out,
        ])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .clone();
    String::from_utf8(o.stdout).unwrap()
}

/// Rows of trace.csv as header-keyed maps.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn documented_command_writes_every_file_and_tells_the_ruptures() {
    let tmp = TempDir::new().unwrap();
    let stdout = documented(tmp.path(), "out", &[]);
    assert!(stdout.contains("rupture"), "{stdout}");
    assert!(
        stdout.contains("Dyad A: therapist warm-flexible"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Dyad B: therapist rigid-technical"),
        "{stdout}"
    );
    assert!(stdout.contains("== Comparison =="), "{stdout}");
    let out = tmp.path().join("out");
    for f in ["trace.csv", "trace.md", "trace.svg", "trace.png"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let png = fs::read(out.join("trace.png")).unwrap();
    assert!(png.len() > 1000, "PNG too small: {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = fs::read_to_string(out.join("trace.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    for title in [
        "Session (0 = intake",
        "PHQ-9 score (points)",
        "Alliance (latent, 0–1 scale)",
    ] {
        assert!(svg.contains(title), "SVG lacks axis title {title:?}");
    }
    let md = fs::read_to_string(out.join("trace.md")).unwrap();
    assert!(md.contains("## Comparison"));
    assert!(md.contains("rupture"));
    // One row per session and dyad.
    let r = rows(&out.join("trace.csv"));
    let a = r.iter().filter(|x| x["dyad"] == "A").count();
    let b = r.iter().filter(|x| x["dyad"] == "B").count();
    assert!(a >= 1 && b >= 1 && a + b == r.len());
    // No temporary file is left behind.
    assert!(!out.join(".trace.tmp.png").exists());
}

#[test]
fn same_seed_gives_identical_csv_and_dyads_share_the_patients_draws() {
    let tmp = TempDir::new().unwrap();
    documented(tmp.path(), "one", &["--seed", "7"]);
    documented(tmp.path(), "two", &["--seed", "7"]);
    let one = fs::read(tmp.path().join("one/trace.csv")).unwrap();
    let two = fs::read(tmp.path().join("two/trace.csv")).unwrap();
    assert_eq!(one, two, "same seed, different trace.csv");
    documented(tmp.path(), "three", &["--seed", "8"]);
    let three = fs::read(tmp.path().join("three/trace.csv")).unwrap();
    assert_ne!(one, three, "another seed should give other draws");

    // Common random numbers: same intake score, and the same score before session 1 (the wait
    // before therapy does not depend on the therapist).
    let r = rows(&tmp.path().join("one/trace.csv"));
    let first = |d: &str| r.iter().find(|x| x["dyad"] == d).unwrap().clone();
    let (a, b) = (first("A"), first("B"));
    assert_eq!(a["intake_score"], b["intake_score"]);
    assert_eq!(a["session"], "1");
    assert_eq!(b["session"], "1");
    assert_eq!(a["symptom_score"], b["symptom_score"]);
    assert_ne!(a["bond"], b["bond"], "the therapists should differ");
}

#[test]
fn list_shows_all_eight_archetypes() {
    let tmp = TempDir::new().unwrap();
    let mut cmd = bordin(tmp.path());
    let a = cmd.args(["trace", "--list"]).assert().success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    for name in [
        "warm-flexible",
        "rigid-technical",
        "distant",
        "novice",
        "anxious-confronting",
        "avoidant-withdrawing",
        "securely-attached",
        "high-distress-low-capacity",
    ] {
        assert!(stdout.contains(name), "--list lacks {name}");
    }
    assert!(stdout.contains("repair_skill"));
}

#[test]
fn unknown_archetype_or_trait_exits_2_with_did_you_mean() {
    let tmp = TempDir::new().unwrap();
    bordin(tmp.path())
        .args([
            "trace",
            "--therapist",
            "warm-flexibel",
            "--patient",
            "anxious-confronting",
        ])
        .assert()
        .code(2)
        .stderr(contains("unknown therapist archetype `warm-flexibel`"))
        .stderr(contains("did you mean `warm-flexible`?"));
    bordin(tmp.path())
        .args([
            "trace",
            "--therapist",
            "warmth=0.6,fiss=1.2",
            "--patient",
            "securely-attached",
        ])
        .assert()
        .code(2)
        .stderr(contains("did you mean `fis`?"));
    bordin(tmp.path())
        .args([
            "trace",
            "--therapist",
            "novice",
            "--patient",
            "anxious-confronting,warmth=3",
        ])
        .assert()
        .code(2)
        .stderr(contains("out of range"));
    // Nothing was written for bad input.
    assert!(!tmp.path().join("trace").exists());
}

/// A bad `--compare-therapist` is reported under its own flag, not as `--therapist` (the
/// Reliability finding: the message named the wrong flag).
#[test]
fn a_bad_compare_therapist_names_its_own_flag() {
    let tmp = TempDir::new().unwrap();
    let base = [
        "trace",
        "--therapist",
        "novice",
        "--patient",
        "anxious-confronting",
        "--compare-therapist",
    ];
    for (value, says) in [
        (
            "bogus",
            "error: --compare-therapist bogus: unknown therapist archetype `bogus`",
        ),
        (
            "warmth=9",
            "error: --compare-therapist warmth=9: therapist trait `warmth` = 9",
        ),
        ("", "error: --compare-therapist needs an archetype name"),
    ] {
        bordin(tmp.path())
            .args(base)
            .arg(value)
            .assert()
            .code(2)
            .stderr(contains(says))
            .stderr(contains("--therapist ").not());
    }
    assert!(!tmp.path().join("trace").exists());
}

#[test]
fn trait_values_alone_and_a_non_empty_directory() {
    let tmp = TempDir::new().unwrap();
    let args = [
        "trace",
        "--therapist",
        "warmth=0.6,fis=1.2",
        "--patient",
        "securely-attached,intake_severity=20",
        "--sessions",
        "6",
    ];
    let a = bordin(tmp.path()).args(args).assert().success();
    let stdout = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("therapist warmth=0.6,fis=1.2"), "{stdout}");
    let r = rows(&tmp.path().join("trace/trace.csv"));
    assert!(r.len() <= 6 && r.iter().all(|x| x["dyad"] == "A"));
    // The directory now has files: refused without --force, written with it.
    bordin(tmp.path())
        .args(args)
        .assert()
        .code(2)
        .stderr(contains("not empty"));
    bordin(tmp.path())
        .args(args)
        .arg("--force")
        .assert()
        .success();
}
