//! Time of one REML fit of the three-level growth model
//! `score ~ time * arm + (1 + time | patient) + (1 + time | therapist)` on a trial of
//! 2 arms x 10 therapists x 8 patients x 12 sessions (1 920 rows; the fixture
//! tests/fixtures/stats/lmm3_bench.csv, which tests/stats_lmm.rs checks against lme4):
//! with Satterthwaite df (what a trial planner needs) and without, plus 1 000 fits spread
//! over all threads with rayon (the planner's workload).
//!
//! Run with `cargo bench --bench lmm`; figures are in docs/statistics.md.

use std::hint::black_box;
use std::time::Duration;

use bordin::stats::lmm::{Lmm, LmmOptions, RandomTerm};
use bordin::stats::longitudinal::growth_design;
use bordin::stats::{Design, Factor};
use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

struct Data {
    score: Vec<f64>,
    x: Design,
    terms: Vec<RandomTerm>,
}

fn data() -> Data {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats/lmm3_bench.csv"
    );
    let mut rdr = csv::Reader::from_path(path).expect("the benchmark fixture exists");
    let (mut patient, mut therapist, mut arm, mut time, mut score) =
        (vec![], vec![], vec![], vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec.expect("valid CSV");
        patient.push(rec[0].to_string());
        therapist.push(rec[1].to_string());
        arm.push(if &rec[2] == "treatment" { 1.0 } else { 0.0 });
        time.push(rec[4].parse::<f64>().expect("numeric time"));
        score.push(rec[5].parse::<f64>().expect("numeric score"));
    }
    assert_eq!(score.len(), 2 * 10 * 8 * 12);
    let pat = Factor::new(&patient).codes.into_iter().map(Some).collect();
    let ther = Factor::new(&therapist)
        .codes
        .into_iter()
        .map(Some)
        .collect();
    Data {
        x: growth_design(&time, &arm, "armtreatment"),
        terms: vec![
            RandomTerm::intercept_and_slope("patient", pat, "time", &time),
            RandomTerm::intercept_and_slope("therapist", ther, "time", &time),
        ],
        score,
    }
}

fn fit(d: &Data, satterthwaite: bool) -> f64 {
    let opts = LmmOptions {
        satterthwaite,
        ..LmmOptions::default()
    };
    let m = Lmm::new(&d.score, &d.x, &d.terms).expect("valid model");
    m.fit(&opts).expect("fit").coefs[3].df
}

fn bench(c: &mut Criterion) {
    let d = data();
    let mut g = c.benchmark_group("lmm3_2x10x8x12");
    g.sample_size(50).measurement_time(Duration::from_secs(10));
    g.bench_function("fit_satterthwaite", |b| {
        b.iter(|| black_box(fit(black_box(&d), true)))
    });
    g.bench_function("fit_no_df", |b| {
        b.iter(|| black_box(fit(black_box(&d), false)))
    });
    g.finish();
    let mut g = c.benchmark_group("lmm3_1000_fits_all_threads");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("fit_satterthwaite", |b| {
        b.iter(|| {
            (0..1000)
                .into_par_iter()
                .map(|_| fit(&d, true))
                .sum::<f64>()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts, which a fresh machine may lack.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
