//! Engine throughput in patient-sessions (attended sessions) per second, on the embedded default
//! scenario with 20 000 patients: session output off and on, on one thread and on all threads.
//!
//! Both variants go through the real `bordin run` output path ([`CsvSink`] into a temporary
//! directory, files committed at the end): "off" writes patients, therapists and summary only;
//! "on" also formats and writes every row of `sessions.csv`.
//!
//! Run with `cargo bench --bench engine`; figures are in `docs/performance.md`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bordin::Scenario;
use bordin::io::CsvSink;
use bordin::sim::engine::{self, RunOptions};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

const PATIENTS: u64 = 20_000;

fn scenario() -> Scenario {
    Scenario::parse(
        bordin::scenario::DEFAULT_SCENARIO,
        "default",
        &[format!("run.patients={PATIENTS}")],
    )
    .expect("the default scenario with overrides is valid")
}

/// Attended sessions of one run of the scenario (the same on every run: runs are deterministic).
fn patient_sessions(sc: &Scenario) -> u64 {
    let opts = RunOptions {
        record_sessions: false,
        ..RunOptions::default()
    };
    let sink = engine::collect(sc, &opts).expect("collect does not fail");
    sink.replicates
        .iter()
        .flat_map(|r| &r.outcomes)
        .map(|o| u64::from(o.course.sessions_attended))
        .sum()
}

/// One run as `bordin run` does it: simulate, write the CSV files, commit them.
fn run_once(sc: &Scenario, dir: &Path, sessions: bool) -> u64 {
    let opts = RunOptions {
        record_sessions: sessions,
        ..RunOptions::default()
    };
    let mut sink = CsvSink::create(dir, sc, sessions, false).expect("create sink");
    engine::run(sc, &opts, 0..sc.run.replicates, &mut sink).expect("run");
    let tables = sink.finish().expect("commit files");
    tables.files.iter().map(|f| f.bytes).sum()
}

fn engine_throughput(c: &mut Criterion) {
    let sc = scenario();
    let sessions = patient_sessions(&sc);
    eprintln!("{PATIENTS} patients, {sessions} attended sessions per run");
    let all = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("thread pool");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let dir = tempfile::tempdir().expect("temp dir");

    let mut group = c.benchmark_group("engine");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(sessions));
    for (threads, pool) in [
        ("1_thread", &one),
        (&*format!("{}_threads", all.current_num_threads()), &all),
    ] {
        for (output, on) in [("sessions_off", false), ("sessions_on", true)] {
            group.bench_function(format!("{output}/{threads}"), |b| {
                b.iter(|| pool.install(|| black_box(run_once(&sc, dir.path(), on))));
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = engine_throughput
}
criterion_main!(benches);
