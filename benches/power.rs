//! Time of a power analysis's heaviest workload: 1,000 replicates of a two-arm trial (the
//! embedded power scenario with 10 therapists per arm and 8 patients each, i.e. 80 patients
//! per arm, 12 sessions, every-session schedule), each simulated with potential outcomes and
//! analysed with the three-level growth model (REML with Satterthwaite df), rayon over all
//! threads, as `bordin power --n-per-arm 80 --therapists-per-arm 10 --reps 1000
//! --analysis lmm-longitudinal` does it (without writing files).
//!
//! Run with `cargo bench --bench power`; figures are in docs/power.md.

use std::hint::black_box;
use std::time::Duration;

use bordin::commands::power::{self, Analysis, Hypothesis, Plan, PowerSettings};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let sc = power::load_scenario(None, &[]).expect("the embedded power scenario is valid");
    let settings = PowerSettings {
        n_per_arm: vec![80],
        therapists_per_arm: Some(10),
        reps: 1000,
        analyses: vec![Analysis::LmmLongitudinal],
        ..PowerSettings::default()
    };
    let plan = Plan::new(&sc, &settings).expect("a valid plan");
    let mut g = c.benchmark_group("power_2x10x8x12");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("1000_reps_lmm3_all_threads", |b| {
        b.iter(|| {
            let (res, _) = plan
                .design_point(black_box(80), Hypothesis::Effect, 0)
                .expect("simulated");
            assert!(res.iter().all(|r| r.estimates[0].error.is_none()));
            black_box(res.len())
        })
    });
    g.bench_function("one_replicate_simulation_only", |b| {
        b.iter(|| black_box(plan.simulate(80, Hypothesis::Effect, 0).expect("simulated")))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting backend needs fonts this machine may not have.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
