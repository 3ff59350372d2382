//! Answers over a posterior (`--posterior FILE|default [--draws K]` of run, experiment, power
//! and sweep): the draws are deterministic and thread-independent, a one-particle posterior at
//! the scenario's own values reproduces the run without one bit for bit, the default posterior
//! widens the predictive intervals beyond Monte Carlo noise, and bad input exits 2 naming the
//! file, line or column.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;
use tempfile::TempDir;

fn bordin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.current_dir(dir);
    cmd
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// A posterior file of one particle holding the default scenario's own values of the default
/// posterior's keys.
fn point_posterior() -> String {
    let header = bordin::scenario::posterior::DEFAULT_POSTERIOR
        .lines()
        .next()
        .unwrap();
    let keys: Vec<&str> = header.split(',').skip(4).collect();
    let sc = bordin::scenario::load(None, &[]).unwrap();
    let resolved: toml_edit::DocumentMut = bordin::scenario::resolved_toml(&sc).parse().unwrap();
    let values: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut item = resolved.as_item();
            for part in k.split('.') {
                item = &item[part];
            }
            let v = item
                .as_float()
                .or_else(|| item.as_integer().map(|i| i as f64))
                .unwrap_or_else(|| panic!("{k} is not a number of the default scenario"));
            format!("{v:?}")
        })
        .collect();
    format!("{header}\n0,0,1,0,{}\n", values.join(","))
}

const RUN: [&str; 6] = [
    "--set",
    "run.patients=120",
    "--replicates",
    "6",
    "--sessions-output",
    "none",
];

fn run(dir: &Path, out: &str, extra: &[&str]) {
    bordin(dir)
        .args(["run", "--out", out, "--quiet"])
        .args(RUN)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn draws_are_deterministic_whatever_the_threads_and_cycle_with_draws() {
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    run(d, "one", &["--posterior", "default", "--threads", "1"]);
    run(d, "two", &["--posterior", "default", "--threads", "2"]);
    for f in ["draws.csv", "intervals.csv", "summary.csv", "patients.csv"] {
        assert_eq!(
            read(&d.join("one").join(f)),
            read(&d.join("two").join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    let draws = rows(&d.join("one/draws.csv"));
    assert_eq!(draws.len(), 6);
    let particles: std::collections::BTreeSet<&str> =
        draws.iter().map(|r| r["particle"].as_str()).collect();
    assert!(
        particles.len() > 1,
        "six draws from 150 particles: {particles:?}"
    );
    // The manifest names the posterior and its hash.
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&d.join("one/manifest.json"))).unwrap();
    assert_eq!(manifest["posterior"]["generation"], 4);
    assert_eq!(manifest["posterior"]["sha256"].as_str().unwrap().len(), 64);

    // --draws 2: replicate r uses draw r mod 2, so replicates 0, 2, 4 share a particle.
    run(d, "cyc", &["--posterior", "default", "--draws", "2"]);
    let cyc = rows(&d.join("cyc/draws.csv"));
    for r in &cyc {
        let rep: u64 = r["replicate"].parse().unwrap();
        assert_eq!(r["draw"], (rep % 2).to_string());
        assert_eq!(r["particle"], cyc[(rep % 2) as usize]["particle"]);
        // Draw k is the same particle with or without --draws.
        assert_eq!(r["particle"], draws[(rep % 2) as usize]["particle"]);
    }
}

#[test]
fn a_posterior_at_the_scenarios_own_values_changes_nothing() {
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    fs::write(d.join("point.csv"), point_posterior()).unwrap();
    run(d, "plain", &[]);
    run(d, "point", &["--posterior", "point.csv"]);
    for f in ["summary.csv", "patients.csv", "therapists.csv"] {
        assert_eq!(
            read(&d.join("plain").join(f)),
            read(&d.join("point").join(f)),
            "{f}: a one-particle posterior at the default values must simulate the same run"
        );
    }
    assert!(!d.join("plain/intervals.csv").exists());
    assert!(d.join("point/intervals.csv").exists());
}

/// The SD over replicates of `statistic` in `dir/intervals.csv`.
fn replicate_sd(dir: &Path, statistic: &str) -> f64 {
    rows(&dir.join("intervals.csv"))
        .iter()
        .find(|r| r["statistic"] == statistic)
        .unwrap()["sd"]
        .parse()
        .unwrap()
}

#[test]
fn the_default_posterior_widens_intervals_beyond_monte_carlo_noise() {
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    fs::write(d.join("point.csv"), point_posterior()).unwrap();
    let args = [
        "--set",
        "run.patients=500",
        "--replicates",
        "150",
        "--sessions-output",
        "none",
        "--quiet",
    ];
    for (out, post) in [("point", "point.csv"), ("post", "default")] {
        bordin(d)
            .args(["run", "--out", out, "--posterior", post])
            .args(args)
            .assert()
            .success();
    }
    // Under equal variances the ratio of two sample variances over 150 replicates each is
    // F(149, 149): log ratio ~ N(0, 4/149), so its 99.9% quantile is exp(3.09 * 0.164) = 1.66.
    // The posterior's spread of the natural-course, common-factor and dropout constants makes
    // the replicates' mean change vary far more than sampling noise alone (measured: about 3x).
    let ratio = (replicate_sd(&d.join("post"), "mean_change")
        / replicate_sd(&d.join("point"), "mean_change"))
    .powi(2);
    assert!(
        ratio > 1.66,
        "variance ratio of mean change, posterior / point: {ratio:.2}"
    );
}

#[test]
fn bad_posteriors_and_draws_exit_2_naming_what_is_wrong() {
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    let header = "generation,particle,weight,distance,mechanisms.dropout.base";
    let cases: Vec<(&str, String, &str)> = vec![
        ("missing.csv", String::new(), "--posterior missing.csv"),
        (
            "header.csv",
            "gen,particle,weight,distance,x\n".into(),
            "line 1: the header must start with `generation,particle,weight,distance`",
        ),
        (
            "cells.csv",
            format!("{header}\n1,0,1,0.5\n"),
            "line 2: 4 cells, expected 5",
        ),
        (
            "number.csv",
            format!("{header}\n1,0,1,0.5,high\n"),
            "line 2: `mechanisms.dropout.base` is `high`, expected a number",
        ),
        (
            "key.csv",
            "generation,particle,weight,distance,mechanisms.dropout.bsae\n1,0,1,0.5,-5\n".into(),
            "column `mechanisms.dropout.bsae`",
        ),
        (
            "run.csv",
            "generation,particle,weight,distance,run.patients\n1,0,1,0.5,10\n".into(),
            "a [run] key (seed, replicates, patients) cannot vary over a posterior",
        ),
        (
            "weights.csv",
            format!("{header}\n1,0,0,0.5,-5\n"),
            "the weights of generation 1 sum to 0",
        ),
    ];
    for (file, text, message) in &cases {
        if !text.is_empty() {
            fs::write(d.join(file), text).unwrap();
        }
        bordin(d)
            .args(["run", "--out", "out", "--posterior", file])
            .assert()
            .code(2)
            .stderr(contains(*message));
    }
    bordin(d)
        .args([
            "run",
            "--out",
            "out",
            "--posterior",
            "default",
            "--draws",
            "0",
        ])
        .assert()
        .code(2)
        .stderr(contains("--draws: expected 1 or more"));
    bordin(d)
        .args(["run", "--out", "out", "--draws", "3"])
        .assert()
        .code(2)
        .stderr(contains("--posterior"));
    assert!(!d.join("out").exists(), "no output for bad input");
}

#[test]
fn experiment_power_and_sweep_answer_over_the_posterior() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();

    // Experiment: intervals beside the values, in results-posterior (not over the results).
    let exp = root.join("experiments/06_rupture_training");
    bordin(d)
        .args(["experiment"])
        .arg(&exp)
        .args(["--quick", "--posterior", "default", "--out", "exp"])
        .assert()
        .success()
        .stdout(contains("| quantity | scenario | value | MC SE | 95% PI |"));
    for r in rows(&d.join("exp/results.csv")) {
        let (lo, hi): (f64, f64) = (
            r["pi_lower"].parse().unwrap(),
            r["pi_upper"].parse().unwrap(),
        );
        let v: f64 = r["value"].parse().unwrap();
        assert!(lo < v && v < hi, "{}: {v} outside [{lo}, {hi}]", r["label"]);
    }

    // Power: assurance over the posterior, each replicate naming its particle.
    bordin(d)
        .args(["power", "--n-per-arm", "20", "--reps", "8", "--out", "pow"])
        .args(["--posterior", "default", "--analysis", "ancova"])
        .assert()
        .success()
        .stdout(contains("assurance over the calibrated model"));
    let reps = rows(&d.join("pow/replicates.csv"));
    assert!(reps.iter().all(|r| !r["particle"].is_empty()));

    // Sweep: the same draws at every design point (common random numbers), the particle in
    // the last column; a resume with another posterior is refused.
    fs::write(
        d.join("sweep.toml"),
        "replicates = 3\n[[axis]]\npath = \"design.planned_sessions\"\nvalues = [8, 16]\n",
    )
    .unwrap();
    bordin(d)
        .args([
            "sweep",
            "sweep.toml",
            "--out",
            "sw",
            "--quiet",
            "--posterior",
            "default",
        ])
        .assert()
        .success();
    let sw = rows(&d.join("sw/sweep.csv"));
    assert_eq!(sw.len(), 6);
    for r in &sw {
        let rep: usize = r["replicate"].parse().unwrap();
        assert_eq!(r["particle"], sw[rep]["particle"], "replicate {rep}");
    }
    bordin(d)
        .args(["sweep", "sweep.toml", "--out", "sw", "--quiet"])
        .assert()
        .code(2)
        .stderr(contains("its posterior differs"));

    // SLURM: every task runs the sweep with the same posterior.
    bordin(d)
        .args(["slurm", "sweep.toml", "--array", "2", "--out", "sw2"])
        .args([
            "--script-dir",
            "sl",
            "--posterior",
            "default",
            "--draws",
            "5",
        ])
        .assert()
        .success();
    assert!(read(&d.join("sl/sweep.sbatch")).contains(" --posterior default --draws 5 "));
}

/// docs/calibration.md's example: experiment 06 over a one-particle posterior at the default
/// constants (the run without `--posterior`) and over the default posterior.
#[test]
fn the_docs_posterior_example_is_current() {
    use bordin::scenario::posterior::Posterior;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exp = root.join("experiments/06_rupture_training");
    let point = Posterior::parse(&point_posterior(), "point").unwrap();
    let default = Posterior::load("default").unwrap();
    let over = |p: &Posterior| {
        bordin::commands::experiment::run_over(&exp, false, Some((p, None)))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (a, b) = (over(&point), over(&default));
    let cell = |v: &bordin::commands::experiment::Value| {
        let (lo, hi) = v.interval.unwrap();
        format!("{:.3} [{lo:.3}, {hi:.3}]", v.value)
    };
    let mut block = String::from(
        "| quantity | default constants: mean [95% interval] | default posterior: mean [95% PI] |\n|---|---|---|\n",
    );
    for (x, y) in a.rows.iter().zip(&b.rows) {
        block.push_str(&format!("| {} | {} | {} |\n", x.label, cell(x), cell(y)));
    }
    let path = root.join("docs/calibration.md");
    let doc = read(&path);
    let (begin, end) = (
        "<!-- posterior-example:begin -->\n",
        "<!-- posterior-example:end -->",
    );
    let i = doc.find(begin).expect("begin marker") + begin.len();
    let j = doc.find(end).expect("end marker");
    let expected = format!("{}{block}{}", &doc[..i], &doc[j..]);
    if std::env::var_os("BORDIN_BLESS").is_some() {
        fs::write(&path, expected).unwrap();
        return;
    }
    assert!(
        doc == expected,
        "docs/calibration.md's posterior example is stale: regenerate it with `BORDIN_BLESS=1 cargo test --release --test posterior_draws`"
    );
}

/// A scenario that sets a posterior key to another value than the one the posterior was
/// calibrated around keeps it: `--set` capacity weight 0 stays 0 in every draw (draws.csv and
/// the manifest say so), while the scenario's other keys and a key set to the reference value
/// itself are drawn. Beside a posterior file, `identifiability.csv`'s `default` column is the
/// reference; a bare file has none, and every key is drawn.
#[test]
fn a_scenario_keeps_the_keys_it_sets_away_from_the_posteriors_reference() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let key = "mechanisms.alliance.capacity_weight";
    let other = "mechanisms.alliance.fis_weight";
    let column = |out: &str, k: &str| -> Vec<String> {
        rows(&d.join(out).join("draws.csv"))
            .iter()
            .map(|r| r[k].clone())
            .collect()
    };
    run(
        d,
        "kept",
        &["--posterior", "default", "--set", &format!("{key}=0.0")],
    );
    assert!(
        column("kept", key).iter().all(|v| v == "0.0"),
        "{:?}",
        column("kept", key)
    );
    let drawn = column("kept", other);
    assert!(
        drawn.iter().any(|v| v != &drawn[0]),
        "{other} is drawn: {drawn:?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&d.join("kept/manifest.json"))).unwrap();
    assert_eq!(manifest["posterior"]["kept"][0]["key"], key);
    assert_eq!(manifest["posterior"]["kept"][0]["posterior_reference"], 0.3);
    // Set to the reference value itself: drawn.
    run(
        d,
        "same",
        &["--posterior", "default", "--set", &format!("{key}=0.3")],
    );
    let same = column("same", key);
    assert!(same.iter().any(|v| v != &same[0]), "{same:?}");
    // A posterior file: without identifiability.csv beside it every key is drawn; with one
    // whose reference for the key is 0.0, the scenario's 0.0 is the reference and is drawn.
    fs::create_dir(d.join("p")).unwrap();
    fs::write(
        d.join("p/posterior.csv"),
        bordin::scenario::posterior::DEFAULT_POSTERIOR,
    )
    .unwrap();
    run(
        d,
        "bare",
        &[
            "--posterior",
            "p/posterior.csv",
            "--set",
            &format!("{key}=0.0"),
        ],
    );
    let bare = column("bare", key);
    assert!(bare.iter().any(|v| v != &bare[0]), "{bare:?}");
    fs::write(
        d.join("p/identifiability.csv"),
        format!("parameter,default,prior_mean\n{key},0,0.3\n{other},0.5,0.3\n"),
    )
    .unwrap();
    run(
        d,
        "side",
        &[
            "--posterior",
            "p/posterior.csv",
            "--set",
            &format!("{key}=0.0"),
        ],
    );
    let side = column("side", key);
    assert!(side.iter().any(|v| v != &side[0]), "{side:?}");
    // fis_weight is 0.31 in the scenario, 0.5 in the sidecar's reference: kept.
    assert!(column("side", other).iter().all(|v| v == "0.31"));
    fs::write(d.join("p/identifiability.csv"), "key,value\n").unwrap();
    bordin(d)
        .args([
            "run",
            "--out",
            "bad",
            "--quiet",
            "--posterior",
            "p/posterior.csv",
        ])
        .args(RUN)
        .assert()
        .code(2)
        .stderr(contains("identifiability.csv"))
        .stderr(contains("no `parameter` column"));
}
