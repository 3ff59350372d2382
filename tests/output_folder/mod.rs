//! The output directory as one transaction (issue 16, items 3-5 and 11): a lock against a
//! second run, staging, a commit that is all or nothing, the leftovers of killed runs, and the
//! disk-space guard. Part of tests/reliability.rs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bordin::io::output_dir::FAULT_VAR;

const BIN: &str = env!("CARGO_BIN_EXE_bordin");
/// Patients of a run that takes a second or more in release (it writes ~290 MB).
const SLOW: &str = "run.patients=200000";

/// Every file under `dir` (hidden ones too, so leftovers show), with its SHA-256.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, bordin::io::sha256_hex(&std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Checks that the files of `dir` are exactly those its manifest lists (with the report's,
/// which it does not), each with the SHA-256 recorded.
fn check_manifest(dir: &Path) {
    let files = tree(dir);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let listed = m["files"].as_array().unwrap();
    for f in listed {
        let name = f["file"].as_str().unwrap();
        assert_eq!(
            files.get(name).map(String::as_str),
            f["sha256"].as_str(),
            "{name}"
        );
    }
    let others: Vec<&String> = files
        .keys()
        .filter(|k| *k != "manifest.json" && !listed.iter().any(|f| f["file"] == **k))
        .filter(|k| !(*k == "report.html" || k.starts_with("charts/")))
        .collect();
    assert!(others.is_empty(), "files not in the manifest: {others:?}");
}

fn run(dir: &Path, args: &[&str], env: Option<&str>) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.current_dir(dir).arg("run").args(args);
    if let Some(v) = env {
        c.env(FAULT_VAR, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn spawn_slow(dir: &Path, extra: &[&str]) -> Child {
    Command::new(BIN)
        .current_dir(dir)
        .args(["run", "--out", "out", "-q", "--set", SLOW])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (up to a minute) until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn has_proc() -> bool {
    Path::new("/proc/self/stat").exists()
}

#[test]
fn a_second_run_into_a_busy_folder_fails_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut first = spawn_slow(tmp.path(), &[]);
    // The lock's owner is written just after the file is created: wait for it, or the second
    // run may read the lock in between and (rightly) refuse without naming a pid.
    wait_for("the first run's lock", || {
        std::fs::read_to_string(out.join(".bordin.lock")).is_ok_and(|t| t.contains("pid "))
    });
    let (code, err) = run(
        tmp.path(),
        &["--out", "out", "--force", "-q", "--set", "run.patients=10"],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("output directory out is in use by another bordin")
            && err.contains(&format!("pid {}", first.id())),
        "{err}"
    );
    assert!(first.wait().unwrap().success());
    check_manifest(&out);
    let names: Vec<String> = tree(&out).into_keys().collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "patients.csv",
            "sessions.csv",
            "summary.csv",
            "therapists.csv"
        ]
    );
}

#[test]
fn a_stale_lock_is_cleared_and_a_live_one_refused() {
    if !has_proc() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        out.join(".bordin.lock"),
        format!("pid {dead}\ncommand bordin run\n"),
    )
    .unwrap();
    let args = ["--out", "out", "-q", "--set", "run.patients=10"];
    let (code, err) = run(tmp.path(), &args, None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "removed the stale lock out/.bordin.lock of pid {dead}"
        )),
        "{err}"
    );
    assert!(!out.join(".bordin.lock").exists());
    check_manifest(&out);

    // A lock held by a process that runs (this test) is respected.
    let me = std::process::id();
    std::fs::write(
        out.join(".bordin.lock"),
        format!("pid {me}\ncommand cargo test\n"),
    )
    .unwrap();
    let (code, err) = run(tmp.path(), &["--out", "out", "--force", "-q"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("pid {me}: cargo test")), "{err}");
    // The refused run leaves the other's lock, and the outputs, as they were.
    std::fs::remove_file(out.join(".bordin.lock")).unwrap();
    check_manifest(&out);
}

#[test]
fn sweep_shards_share_a_folder_but_a_whole_sweep_waits_for_them() {
    if !has_proc() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep.toml");
    std::fs::write(tmp.path().join("base.toml"), "[run]\npatients = 20\n").unwrap();
    std::fs::write(
        &sweep,
        "base = \"base.toml\"\nreplicates = 1\n[[axis]]\npath = \"design.planned_sessions\"\nvalues = [8, 12]\n",
    )
    .unwrap();
    let out = tmp.path().join("s");
    std::fs::create_dir(&out).unwrap();
    // Shard 1 of 2 "runs" (a lock held by this live process).
    let shard1 = out.join(".bordin-shard-1-of-2.lock");
    std::fs::write(
        &shard1,
        format!("pid {}\ncommand shard\n", std::process::id()),
    )
    .unwrap();
    let sweep_cmd = |args: &[&str]| {
        let o = Command::new(BIN)
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .args(args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("SLURM_ARRAY_TASK_COUNT")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = sweep_cmd(&["-q", "--shard", "2/2"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = sweep_cmd(&["-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("in use by another bordin") && err.contains("shard"),
        "{err}"
    );
    std::fs::remove_file(&shard1).unwrap();
    let (code, err) = sweep_cmd(&["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.join("sweep.csv").is_file());
    assert!(!tree(&out).keys().any(|k| k.contains(".lock")));
}

#[test]
fn a_run_killed_midway_leaves_the_previous_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, err) = run(
        tmp.path(),
        &["--out", "out", "-q", "--report", "--set", "run.patients=30"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let before = tree(&out);
    let mut second = spawn_slow(tmp.path(), &["--force"]);
    // Killed once it has written part of its files.
    wait_for("the second run's first files", || {
        std::fs::read_dir(&out).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".bordin-staging-")
                && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some())
        })
    });
    second.kill().unwrap();
    second.wait().unwrap();
    let left: Vec<String> = tree(&out)
        .into_keys()
        .filter(|k| !before.contains_key(k))
        .collect();
    assert!(left.iter().all(|k| k.starts_with(".bordin")), "{left:?}");
    for (k, v) in &before {
        assert_eq!(tree(&out).get(k), Some(v), "{k} changed");
    }
    // The next run into the folder cleans up (and, without --force, refuses it as not empty).
    let (code, err) = run(tmp.path(), &["--out", "out", "-q"], None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("stale lock") && err.contains("unfinished outputs"),
        "{err}"
    );
    assert_eq!(tree(&out), before);
}

#[test]
fn a_commit_that_fails_or_is_killed_leaves_one_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = ["--out", "out", "-q", "--report", "--set", "run.patients=30"];
    assert_eq!(run(tmp.path(), &first, None).0, 0);
    let before = tree(&out);
    // The second run writes fewer files: the first's sessions.csv and report are removed.
    let second = [
        "--out",
        "out",
        "-q",
        "--force",
        "--seed",
        "9",
        "--sessions-output",
        "none",
    ];
    let renames = before.len() + 4;
    for k in 0..renames {
        let (code, err) = run(tmp.path(), &second, Some(&k.to_string()));
        assert_eq!(code, 1, "k={k}: {err}");
        assert!(
            err.contains("cannot put the outputs in place")
                && err.contains("no output was changed")
                && err.contains(FAULT_VAR),
            "{err}"
        );
        assert_eq!(tree(&out), before, "k={k}");
    }
    // Killed during the commit: the next run finds one whole run, the first or the second.
    for k in 0..=renames {
        let (code, err) = run(tmp.path(), &second, Some(&format!("{k}:exit")));
        assert_eq!(code, 137, "k={k}: {err}");
        let (code, err) = run(tmp.path(), &["--out", "out", "-q"], None);
        assert_eq!(code, 2, "k={k}: {err}");
        let now = tree(&out);
        if k < renames {
            assert!(err.contains("restored the previous outputs"), "{err}");
            assert_eq!(now, before, "k={k}");
        } else {
            assert!(err.contains("finished the commit"), "{err}");
            assert_eq!(now.len(), 4, "{now:?}");
            check_manifest(&out);
        }
    }
}

#[test]
fn the_disk_space_guard_refuses_a_run_that_cannot_fit() {
    use bordin::io::space::estimate;
    let tmp = tempfile::tempdir().unwrap();
    // The estimate against what a run writes.
    let sc = bordin::scenario::load(
        None,
        &["run.patients=2000".into(), "run.replicates=2".into()],
    )
    .unwrap();
    let req = bordin::commands::run::RunRequest {
        scenario: sc.clone(),
        scenario_source: "test".into(),
        out: tmp.path().join("r"),
        force: false,
        force_large: false,
        threads: Some(2),
        counterfactual: false,
        sessions_output: true,
        report: false,
        posterior: None,
        command_line: vec![],
    };
    let done = bordin::commands::run::run(&req).unwrap();
    let written: u64 = done.files.iter().map(|f| f.bytes).sum();
    let e = estimate(&sc, true, false).unwrap();
    let ratio = e.bytes as f64 / written as f64;
    assert!(
        (0.85..1.15).contains(&ratio),
        "estimate {} vs {written}",
        e.bytes
    );
    let without = e.without_sessions.unwrap();
    let sessions = done
        .files
        .iter()
        .find(|f| f.file == "sessions.csv")
        .unwrap()
        .bytes;
    let ratio = without as f64 / (written - sessions) as f64;
    assert!(
        (0.85..1.15).contains(&ratio),
        "{without} vs {}",
        written - sessions
    );

    // A billion patients: about 1.4 kB each, far beyond any test machine's disk.
    let mut huge = sc.clone();
    huge.run.patients = 1_000_000_000;
    huge.run.replicates = 1;
    let e = estimate(&huge, true, false).unwrap();
    assert!(e.bytes > 500_000_000_000, "{}", e.bytes);
    assert!(bordin::io::space::check(tmp.path(), &e, true).is_ok());
    let free = bordin::io::space::free_bytes(tmp.path());
    if free.is_some_and(|f| f < e.bytes) {
        assert!(bordin::io::space::check(tmp.path(), &e, false).is_err());
        let o = assert_cmd::Command::new(BIN)
            .current_dir(tmp.path())
            .args(["run", "--out", "big", "--set", "run.patients=1000000000"])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("this run would write about")
                && err.contains("free")
                && err.contains("--force-large")
                && err.contains("--sessions-output none"),
            "{err}"
        );
        assert!(!tmp.path().join("big").exists());
    }
}
