//! Same seed, same scenario: bit-identical outputs, whatever the number of threads or the size
//! of work chunks. And a value-stability (golden) test: a fixed seed gives fixed trajectories;
//! update the digests only on purpose, saying why in the commit and in CHANGELOG.md.

mod common;

use std::path::Path;

use bordin::io::CsvSink;
use bordin::sim::engine::{self, RunOptions};

fn write_run(
    dir: &Path,
    sc: &bordin::Scenario,
    threads: usize,
    chunk: usize,
    batch: usize,
) -> Vec<(String, Vec<u8>)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut sink = CsvSink::create(dir, sc, true, true).unwrap();
        let opts = RunOptions {
            counterfactual: true,
            record_sessions: true,
            chunk_size: chunk,
            batch_chunks: batch,
            progress: true,
        };
        engine::run(sc, &opts, 0..sc.run.replicates, &mut sink).unwrap();
        sink.finish().unwrap();
    });
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

const TWO_ARMS: &str = r#"
[run]
patients = 700
replicates = 3
[[therapist_pools]]
name = "cbt"
therapists = 12
assignment = "random"
[[therapist_pools]]
name = "counselling"
therapists = 9
[[populations]]
name = "moderate"
share = 2
[[populations]]
name = "severe"
intake_severity = { type = "normal", mean = 21, sd = 3 }
[[arms]]
name = "cbt"
pool = "cbt"
allocation = 2
[[arms]]
name = "counselling"
pool = "counselling"
technique_potency = 0.01
[[arms]]
name = "waitlist"
kind = "waitlist"
[arms.policies.routine_outcome_monitoring]
enabled = true
"#;

#[test]
fn outputs_are_identical_for_one_and_two_threads_and_any_chunking() {
    let sc = common::scenario_from(TWO_ARMS, &[]);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let one = write_run(a.path(), &sc, 1, 256, 32);
    let two = write_run(b.path(), &sc, 2, 256, 32);
    let odd = write_run(c.path(), &sc, 2, 7, 3);
    assert_eq!(one.len(), 4);
    for ((n1, x), ((n2, y), (n3, z))) in one.iter().zip(two.iter().zip(&odd)) {
        assert_eq!(n1, n2);
        assert_eq!(n1, n3);
        assert!(x == y, "{n1} differs between 1 and 2 threads");
        assert!(x == z, "{n1} differs with other chunking");
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Golden digests of a small run. A change here means results changed: update only on purpose.
#[test]
fn fixed_seed_gives_fixed_trajectories() {
    let sc = common::scenario_from(TWO_ARMS, &["run.patients=120", "run.replicates=1"]);
    let d = tempfile::tempdir().unwrap();
    let files = write_run(d.path(), &sc, 2, 256, 32);
    let digests: Vec<String> = files
        .iter()
        .map(|(n, b)| format!("{n} {}", &sha256(b)[..16]))
        .collect();
    let expected: Vec<&str> = GOLDEN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        digests, expected,
        "outputs changed for a fixed seed: if on purpose, update GOLDEN and note it in CHANGELOG.md"
    );
}

const GOLDEN: &str = "
patients.csv 0751627c2587a86a
sessions.csv 76f56d98dcfe9861
summary.csv 6a897fd5715c3e05
therapists.csv 0075ccb0b7487e76
";
