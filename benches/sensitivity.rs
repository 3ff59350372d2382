//! Time of the sensitivity estimators and of ABC-SMC on their analytic test functions, apart
//! from any model run: Sobol indices of the Ishigami function from a Saltelli design of
//! n = 8192 base rows with 500 bootstrap resamples (the analysis step of `bordin
//! sensitivity`, whose cost otherwise is the model runs), Morris measures of 100 trajectories
//! of 6 parameters, and ABC-SMC of a normal mean (1,000 particles, 8 generations; the engine's
//! own overhead, since the toy simulator is cheap).
//!
//! Run with `cargo bench --bench sensitivity`; figures are in docs/performance.md.

use std::f64::consts::PI;
use std::hint::black_box;
use std::time::Duration;

use bordin::stats::abc::{AbcOptions, Prior, abc_smc};
use bordin::stats::sensitivity::morris::{morris_design, morris_indices};
use bordin::stats::sensitivity::sobol::{saltelli_design, sobol_indices};
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

fn ishigami(x: &[f64]) -> f64 {
    let u: Vec<f64> = x.iter().map(|v| -PI + 2.0 * PI * v).collect();
    u[0].sin() + 7.0 * u[1].sin().powi(2) + 0.1 * u[2].powi(4) * u[0].sin()
}

fn bench(c: &mut Criterion) {
    let d = saltelli_design(3, 8192, 7).unwrap();
    let y: Vec<f64> = d.points.iter().map(|x| ishigami(x)).collect();
    c.bench_function("sobol indices, n 8192, k 3, 500 bootstrap", |b| {
        b.iter(|| black_box(sobol_indices(&d, &y, 500, 0.95, 11).unwrap()))
    });
    let m = morris_design(6, 4, 100, 9).unwrap();
    let ym: Vec<f64> = m.points.iter().map(|x| x.iter().sum::<f64>()).collect();
    c.bench_function("morris measures, r 100, k 6, 500 bootstrap", |b| {
        b.iter(|| black_box(morris_indices(&m, &ym, 500, 0.95, 13).unwrap()))
    });
    let distance = |theta: &[f64], rng: &mut ChaCha8Rng| {
        let mut u = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let mut sum = 0.0;
        for _ in 0..20 {
            let (a, b) = (u(), u());
            sum += theta[0] + (-2.0 * a.ln()).sqrt() * (2.0 * PI * b).cos();
        }
        (sum / 20.0 - 0.7).abs()
    };
    let opts = AbcOptions {
        particles: 1000,
        generations: 8,
        quantile: 0.5,
        max_proposals_per_particle: 1000,
        seed: 7,
    };
    let prior = [Prior::Normal { mean: 0.0, sd: 1.0 }];
    c.bench_function("abc-smc, 1000 particles, 8 generations, normal mean", |b| {
        b.iter(|| black_box(abc_smc(&prior, &opts, distance).unwrap()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .without_plots();
    targets = bench
}
criterion_main!(benches);
