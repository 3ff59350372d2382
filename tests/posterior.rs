//! `bordin calibrate --posterior` and `--targets`, end to end through the binary: parameter
//! recovery on the real model (targets simulated at known values are fitted, and the known
//! values fall in the posterior's 90% intervals), resumption after the last generation with
//! the same bytes, the quick default calibration, and located errors for bad files.
//! (The ABC engine against an analytic posterior: tests/abc.rs.)

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use bordin::commands::calibrate;
use bordin::scenario::{DEFAULT_SCENARIO, Scenario, resolved_toml};
use predicates::str::contains;
use tempfile::TempDir;

fn bordin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.current_dir(dir);
    cmd
}

/// The known values: off the defaults (-5.1 and 0.22), inside the priors.
const KNOWN: [(&str, f64); 2] = [
    ("mechanisms.dropout.base", -4.8),
    ("mechanisms.common_factor.weight", 0.26),
];

const PRIORS: &str = r#"
[abc]
particles = 60
generations = 3
replicates = 2
pilot_replicates = 6
seed = 3

[[parameter]]
key = "mechanisms.dropout.base"
lower = -5.7
upper = -4.2

[[parameter]]
key = "mechanisms.common_factor.weight"
lower = 0.12
upper = 0.34
"#;

/// A scenario of 600 patients (the default otherwise), its targets simulated at [`KNOWN`]
/// with 20 replicates, and the priors, in `dir`.
fn write_problem(dir: &Path) {
    let small = Scenario::parse(DEFAULT_SCENARIO, "default", &["run.patients=600".into()]).unwrap();
    fs::write(dir.join("scenario.toml"), resolved_toml(&small)).unwrap();
    let mut o = vec!["run.patients=600".to_string(), "run.replicates=20".into()];
    o.extend(KNOWN.iter().map(|(k, v)| format!("{k}={v}")));
    let truth = Scenario::parse(DEFAULT_SCENARIO, "default", &o).unwrap();
    let collected = calibrate::simulate(&truth).unwrap();
    let mut targets = String::new();
    for statistic in ["dropout", "iapt_reliable_recovery", "mean_sessions"] {
        let (value, _) = calibrate::evaluate(&truth, &collected, statistic).unwrap();
        targets.push_str(&format!(
            "[[target]]\nstatistic = \"{statistic}\"\nvalue = {value}\n\n"
        ));
    }
    fs::write(dir.join("targets.toml"), targets).unwrap();
    fs::write(dir.join("priors.toml"), PRIORS).unwrap();
}

fn fit(dir: &Path) {
    bordin(dir)
        .args([
            "calibrate",
            "--targets",
            "targets.toml",
            "scenario.toml",
            "--posterior",
            "priors.toml",
            "--out",
            "post",
            "--quiet",
        ])
        .assert()
        .success();
}

/// A CSV file's rows as fields.
fn rows(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn the_known_parameters_fall_in_the_posteriors_90_percent_intervals_and_a_rerun_resumes() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write_problem(dir);
    fit(dir);
    let id = rows(&dir.join("post/identifiability.csv"));
    let col = |name: &str| id[0].iter().position(|c| c == name).unwrap();
    for (key, known) in KNOWN {
        let row = id.iter().find(|r| r[0] == key).unwrap();
        let q05: f64 = row[col("q05")].parse().unwrap();
        let q95: f64 = row[col("q95")].parse().unwrap();
        let ratio: f64 = row[col("sd_ratio")].parse().unwrap();
        eprintln!("{key}: known {known}, 90% [{q05}, {q95}], SD ratio {ratio}");
        assert!(
            (q05..=q95).contains(&known),
            "{key}: {known} outside [{q05}, {q95}]"
        );
        // Dropout identifies its base hazard: the posterior is much narrower than the prior
        // (about a quarter here); recovery and sessions narrow the common factor's weight less.
        if key == "mechanisms.dropout.base" {
            assert!(ratio < 0.5, "{key}: posterior SD / prior SD {ratio}");
        }
    }
    let fitted = fs::read_to_string(dir.join("post/fitted.toml")).unwrap();
    Scenario::parse(&fitted, "fitted.toml", &[]).expect("the fitted scenario runs");
    assert_eq!(rows(&dir.join("post/generations.csv")).len(), 1 + 4);
    // Run again: every generation is read back from post/abc/, and the files are the same.
    let before = fs::read(dir.join("post/posterior.csv")).unwrap();
    fs::remove_file(dir.join("post/abc/generation_003.json")).unwrap();
    fit(dir);
    assert_eq!(fs::read(dir.join("post/posterior.csv")).unwrap(), before);
}

#[test]
fn the_quick_default_posterior_writes_every_output() {
    let tmp = TempDir::new().unwrap();
    bordin(tmp.path())
        .args([
            "calibrate",
            "--posterior",
            "--quick",
            "--out",
            "q",
            "--quiet",
        ])
        .assert()
        .success()
        .stdout(contains("## Parameters"));
    let q = tmp.path().join("q");
    for f in [
        "posterior.csv",
        "generations.csv",
        "identifiability.csv",
        "predictive.csv",
        "posterior.md",
        "marginals.svg",
        "marginals.png",
        "pairs.svg",
        "pairs.png",
    ] {
        assert!(q.join(f).is_file(), "{f}");
    }
    let generations = rows(&q.join("generations.csv"));
    assert_eq!(generations.len(), 1 + 3);
    // Every confirmed, computed target is in the predictive check.
    assert_eq!(rows(&q.join("predictive.csv")).len(), 1 + 68);
    // The posterior file: 14 parameters, 24 particles per generation, weights summing to 1.
    let post = rows(&q.join("posterior.csv"));
    assert_eq!(post[0].len(), 4 + 14);
    let last: Vec<&Vec<String>> = post[1..].iter().filter(|r| r[0] == "2").collect();
    assert_eq!(last.len(), 24);
    let total: f64 = last.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn bad_priors_and_targets_are_located_errors() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("scenario.toml"), DEFAULT_SCENARIO).unwrap();
    fs::write(
        dir.join("p.toml"),
        "[[parameter]]\nkey = \"mechanisms.dropout.base\"\nlower = 1\nupper = 0\n",
    )
    .unwrap();
    bordin(dir)
        .args(["calibrate", "--posterior", "p.toml", "--quiet"])
        .assert()
        .code(2)
        .stderr(contains("p.toml: parameter 1 (`mechanisms.dropout.base`)"))
        .stderr(contains("must be below"));
    fs::write(
        dir.join("p.toml"),
        "[[parameter]]\nkey = \"mechanisms.dropout.nonsense\"\nlower = 0\nupper = 1\n",
    )
    .unwrap();
    bordin(dir)
        .args(["calibrate", "--posterior", "p.toml", "--quiet"])
        .assert()
        .code(2)
        .stderr(contains("mechanisms.dropout.nonsense"));
    fs::write(dir.join("t.toml"), "[[target]]\nstatistic = \"dropout\"\n").unwrap();
    bordin(dir)
        .args([
            "calibrate",
            "--targets",
            "t.toml",
            "scenario.toml",
            "--quiet",
        ])
        .assert()
        .code(2)
        .stderr(contains("t.toml: target 1 (`dropout`)"))
        .stderr(contains("give `value`"));
    fs::write(
        dir.join("t.toml"),
        "[[target]]\nstatistic = \"no_such_statistic\"\nvalue = 1\n",
    )
    .unwrap();
    bordin(dir)
        .args([
            "calibrate",
            "--targets",
            "t.toml",
            "scenario.toml",
            "--quiet",
        ])
        .assert()
        .code(2)
        .stderr(contains("no_such_statistic"));
    bordin(dir)
        .args(["calibrate", "--targets", "t.toml"])
        .assert()
        .code(2);
}
