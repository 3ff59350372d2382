//! `bordin sweep` / `bordin merge`: whole vs sharded vs resumed runs give the same bytes;
//! validation errors exit 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SWEEP: &str = include_str!("fixtures/sweep/sweep.toml");
const BASE: &str = include_str!("fixtures/sweep/base.toml");

/// A temporary folder with the sweep file and its 100-patient base scenario.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("base.toml"), BASE).unwrap();
    let sweep = tmp.path().join("sweep.toml");
    fs::write(&sweep, SWEEP).unwrap();
    (tmp, sweep)
}

fn bordin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(args: &[&str]) -> Output {
    let out = bordin(args, &[]);
    assert!(
        out.status.success(),
        "bordin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn whole(tmp: &Path, sweep: &Path) -> Vec<u8> {
    let dir = tmp.join("whole");
    ok(&["sweep", s(sweep), "--out", s(&dir), "--threads", "2", "-q"]);
    fs::read(dir.join("sweep.csv")).unwrap()
}

#[test]
fn sharded_and_merged_is_byte_identical_to_whole() {
    let (tmp, sweep) = setup();
    let tmp = tmp.path();
    let reference = whole(tmp, &sweep);
    let text = String::from_utf8(reference.clone()).unwrap();
    // 8 points x 2 replicates x 1 arm, plus the header.
    assert_eq!(text.lines().count(), 17);
    assert!(text.starts_with(
        "mechanisms_repair_skill_weight,design_planned_sessions,mechanisms_repair_base,replicate,arm,n,"
    ));
    assert!(text.lines().nth(1).unwrap().starts_with("2.0,8,0.0,0,"));
    assert!(text.lines().nth(2).unwrap().starts_with("2.0,8,0.0,1,"));
    assert!(text.lines().nth(3).unwrap().starts_with("2.0,8,0.3,0,"));

    // Four shards in four directories (the second one from SLURM's variables, 1-based array).
    let mut dirs = Vec::new();
    for i in 1..=4 {
        let dir = tmp.join(format!("shard{i}"));
        if i == 2 {
            let out = bordin(
                &["sweep", s(&sweep), "--out", s(&dir), "-q"],
                &[
                    ("SLURM_ARRAY_TASK_ID", "2"),
                    ("SLURM_ARRAY_TASK_MIN", "1"),
                    ("SLURM_ARRAY_TASK_COUNT", "4"),
                ],
            );
            assert!(out.status.success());
        } else {
            let shard = format!("{i}/4");
            ok(&[
                "sweep",
                s(&sweep),
                "--out",
                s(&dir),
                "--shard",
                &shard,
                "-q",
            ]);
        }
        // A shard does not merge.
        assert!(!dir.join("sweep.csv").exists());
        assert_eq!(fs::read_dir(dir.join("units")).unwrap().count(), 4);
        dirs.push(dir);
    }
    let merged = tmp.join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--out", s(&merged)]);
    ok(&args);
    assert_eq!(fs::read(merged.join("sweep.csv")).unwrap(), reference);

    // Four shards into one shared directory (as array tasks do), then merged in place.
    let shared = tmp.join("shared");
    for i in 1..=4 {
        let shard = format!("{i}/4");
        ok(&[
            "sweep",
            s(&sweep),
            "--out",
            s(&shared),
            "--shard",
            &shard,
            "-q",
        ]);
    }
    ok(&["merge", s(&shared), "--out", s(&shared)]);
    assert_eq!(fs::read(shared.join("sweep.csv")).unwrap(), reference);
}

#[test]
fn resume_after_a_kill_gives_the_same_bytes() {
    let (tmp, sweep) = setup();
    let tmp = tmp.path();
    let reference = whole(tmp, &sweep);
    let dir = tmp.join("resumed");
    // "Killed" after 5 units: no sweep.csv yet, and merge lists what is missing.
    ok(&[
        "sweep",
        s(&sweep),
        "--out",
        s(&dir),
        "--max-units",
        "5",
        "-q",
    ]);
    assert!(!dir.join("sweep.csv").exists());
    assert_eq!(fs::read_dir(dir.join("units")).unwrap().count(), 5);
    let out = bordin(&["merge", s(&dir), "--out", s(&dir)], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("11 of 16 units missing"), "{err}");
    assert!(
        err.contains("unit 5 (design point 2: mechanisms.repair.skill_weight=2.0, design.planned_sessions=12, mechanisms.repair.base=0.0; replicate 1)"),
        "{err}"
    );
    // Same command again: finishes the rest.
    let out = ok(&["sweep", s(&sweep), "--out", s(&dir)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ran 11 unit(s), skipped 5"));
    assert_eq!(fs::read(dir.join("sweep.csv")).unwrap(), reference);

    // Units lost (a kill between units) and a leftover temporary file: rerun, same bytes.
    fs::remove_file(dir.join("units/00000003.csv")).unwrap();
    fs::remove_file(dir.join("units/00000012.csv")).unwrap();
    fs::write(dir.join("units/.00000003.csv.tmp"), "half a row").unwrap();
    let out = ok(&["sweep", s(&sweep), "--out", s(&dir)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ran 2 unit(s), skipped 14"));
    assert_eq!(fs::read(dir.join("sweep.csv")).unwrap(), reference);
    assert!(!dir.join("units/.00000003.csv.tmp").exists());

    // Another sweep file in the same directory is refused; --force starts over.
    let other = tmp.join("other.toml");
    fs::write(&other, SWEEP.replace("replicates = 2", "replicates = 1")).unwrap();
    let out = bordin(&["sweep", s(&other), "--out", s(&dir)], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds another sweep") && err.contains("the sweep file differs"),
        "{err}"
    );
    ok(&["sweep", s(&other), "--out", s(&dir), "--force", "-q"]);
    assert_eq!(
        fs::read_to_string(dir.join("sweep.csv"))
            .unwrap()
            .lines()
            .count(),
        9
    );
}

#[test]
fn sweep_rows_match_run_summary() {
    let (tmp, _) = setup();
    let tmp = tmp.path();
    let sweep = tmp.join("one.toml");
    fs::write(
        &sweep,
        "base = \"base.toml\"\nreplicates = 2\n[[axis]]\npath = \"run.seed\"\nvalues = [7]\n",
    )
    .unwrap();
    ok(&["sweep", s(&sweep), "--out", s(&tmp.join("sw")), "-q"]);
    ok(&[
        "run",
        s(&tmp.join("base.toml")),
        "--seed",
        "7",
        "--replicates",
        "2",
        "--sessions-output",
        "none",
        "--out",
        s(&tmp.join("run")),
        "-q",
    ]);
    let sweep_csv = fs::read_to_string(tmp.join("sw/sweep.csv")).unwrap();
    let summary = fs::read_to_string(tmp.join("run/summary.csv")).unwrap();
    let stripped: Vec<&str> = sweep_csv
        .lines()
        .map(|l| l.split_once(',').unwrap().1)
        .collect();
    assert_eq!(stripped, summary.lines().collect::<Vec<_>>());
}

#[test]
fn validation_errors_exit_2_with_axis_numbers() {
    let (tmp, _) = setup();
    let tmp = tmp.path();
    let bad = tmp.join("bad.toml");
    fs::write(
        &bad,
        r#"
replicates = 2
[[axis]]
path = "mechanisms.repair.skill_weigh"
values = [1.0]
[[axis]]
path = "mechanisms.repair.skill_weight"
values = ["high", 1.0]
[[axis]]
path = "design.planned_sessions"
values = [0, 12]
"#,
    )
    .unwrap();
    let out_dir = tmp.join("never");
    let out = bordin(&["sweep", s(&bad), "--out", s(&out_dir)], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 errors"), "{err}");
    assert!(
        err.contains("axis 1 (`mechanisms.repair.skill_weigh`)") && err.contains("did you mean"),
        "{err}"
    );
    assert!(
        err.contains("axis 2 (`mechanisms.repair.skill_weight`)"),
        "{err}"
    );
    assert!(err.contains("axis 3 (`design.planned_sessions`)"), "{err}");
    assert!(!out_dir.exists(), "nothing is written for an invalid sweep");

    // Structural problems, all at once.
    fs::write(
        &bad,
        "replicates = 0\ncolour = 1\n[[axis]]\nvalues = [1]\n[[axis]]\npath = \"run.seed\"\nrange = { from = 3, to = 1, step = 0 }\n",
    )
    .unwrap();
    let out = bordin(&["sweep", s(&bad), "--out", s(&out_dir)], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "unknown key `colour`",
        "`replicates` must be",
        "axis 1: needs `path`",
        "axis 2 (`run.seed`): `range.step` must be positive",
    ] {
        assert!(err.contains(needle), "{needle} not in {err}");
    }
    // A bad shard.
    let good = tmp.join("sweep.toml");
    let out = bordin(&["sweep", s(&good), "--shard", "5/4"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shipped_sweep_files_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/sweeps");
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let sw = bordin::commands::sweep::Sweep::load(&p).unwrap_or_else(|e| panic!("{e}"));
            assert!(sw.units() > 0);
            n += 1;
        }
    }
    assert!(n > 0);
}
