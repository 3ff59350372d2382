//! Sweep throughput: work units (design point x replicate) per second for a 3-axis sweep
//! (2 x 2 x 2 points, 4 replicates, 500 patients per unit) through the real `bordin sweep` path
//! (unit files written atomically, then merged into sweep.csv), on all cores.
//!
//! Run with `cargo bench --bench sweep`; figures are in docs/performance.md.

use std::path::Path;
use std::time::Duration;

use bordin::commands::sweep::{Sweep, SweepRequest};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SWEEP: &str = r#"
replicates = 4
[[axis]]
path = "mechanisms.repair.skill_weight"
values = [2.0, 6.0]
[[axis]]
path = "mechanisms.ruptures.base"
values = [-0.5, 0.5]
[[axis]]
path = "run.patients"
values = [500]
[[axis]]
path = "design.planned_sessions"
values = [8, 16]
"#;

fn sweep_throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bench.toml");
    std::fs::write(&file, SWEEP).expect("write sweep file");
    let sweep = Sweep::load(&file).expect("valid sweep");
    let units = sweep.units();
    let out = dir.path().join("out");
    let mut group = c.benchmark_group("sweep");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(units));
    group.bench_function("units_all_threads", |b| {
        b.iter(|| {
            // A fresh directory each time: finished units would otherwise be resumed, not rerun.
            let _ = std::fs::remove_dir_all(&out);
            run(&sweep, &out)
        });
    });
    group.finish();
}

fn run(sweep: &Sweep, out: &Path) {
    let req = SweepRequest {
        sweep: sweep.clone(),
        out: out.to_path_buf(),
        force: true,
        shard: None,
        threads: None,
        max_units: None,
    };
    bordin::commands::sweep::run(&req).expect("sweep runs");
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = sweep_throughput
}
criterion_main!(benches);
