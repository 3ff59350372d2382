//! `bordin slurm`: the scripts it writes, and (when SLURM is installed: `.ci/run` installs it
//! with scripts/slurm/install.sh) a real single-node cluster running a 4-task job array and
//! the merge job, compared byte for byte with the whole run (scripts/slurm/cluster.sh test).

use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn slurm_writes_an_array_a_dependent_merge_and_a_driver() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("sweep.toml");
    fs::write(
        &sweep,
        "replicates = 2\n[[axis]]\npath = \"run.seed\"\nvalues = [1, 2]\n",
    )
    .unwrap();
    let scripts = tmp.path().join("jobs");
    let out = Command::new(env!("CARGO_BIN_EXE_bordin"))
        .args(["slurm", sweep.to_str().unwrap(), "--array", "8"])
        .args(["--partition", "short", "--time", "01:00:00", "--cpus", "4"])
        .args(["--out", tmp.path().join("res").to_str().unwrap()])
        .args(["--script-dir", scripts.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let array = fs::read_to_string(scripts.join("sweep.sbatch")).unwrap();
    for needle in [
        "#SBATCH --array=0-7",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --partition=short",
        "#SBATCH --time=01:00:00",
        " sweep ",
        "--threads \"${SLURM_CPUS_PER_TASK:-4}\"",
    ] {
        assert!(array.contains(needle), "{needle} not in\n{array}");
    }
    assert!(
        !array.contains("--shard"),
        "shards come from SLURM's variables"
    );
    let merge = fs::read_to_string(scripts.join("merge.sbatch")).unwrap();
    assert!(merge.contains(" merge "), "{merge}");
    let submit = fs::read_to_string(scripts.join("submit.sh")).unwrap();
    assert!(submit.contains("sbatch --parsable"), "{submit}");
    assert!(
        submit.contains("--dependency=afterok:$ARRAY_JOB_ID"),
        "{submit}"
    );
    // An invalid sweep file writes nothing and exits 2.
    fs::write(&sweep, "[[axis]]\npath = \"run.nope\"\nvalues = [1]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bordin"))
        .args(["slurm", sweep.to_str().unwrap(), "--array", "2"])
        .args(["--script-dir", tmp.path().join("none").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!tmp.path().join("none").exists());
}

fn installed(cmd: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| d.join(cmd).is_file())
            || ["/usr/sbin", "/sbin"]
                .iter()
                .any(|d| Path::new(d).join(cmd).is_file())
    })
}

#[test]
fn job_array_on_a_real_single_node_cluster_matches_the_whole_run() {
    let missing: Vec<&str> = ["slurmctld", "slurmd", "sbatch", "munged"]
        .into_iter()
        .filter(|c| !installed(c))
        .collect();
    if !missing.is_empty() {
        println!(
            "SKIPPED: SLURM is not installed ({} not found); run scripts/slurm/install.sh (as .ci/run does)",
            missing.join(", ")
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm/cluster.sh");
    let state = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(&script)
        .args(["test", env!("CARGO_BIN_EXE_bordin")])
        .env("BORDIN_SLURM_DIR", state.path().join("cluster"))
        .env(
            "PATH",
            format!(
                "{}:/usr/sbin:/sbin",
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cluster.sh test failed:\n{err}");
    assert!(err.contains("PASS"), "{err}");
}
