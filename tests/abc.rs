//! ABC-SMC against a posterior known in closed form, through the same code path the model's
//! calibration will use: the mean of a normal with known variance (n = 20 observations of SD
//! 1, observed mean 0.7) under a normal prior N(0, 1); the posterior is normal with mean
//! n ȳ / (n + 1) and SD 1 / sqrt(n + 1). The sample mean is sufficient, so as the tolerance
//! shrinks the ABC posterior tends to the exact one. Tolerances: 4 Monte Carlo SEs from the
//! final generation's effective sample size.

use bordin::stats::abc::{AbcOptions, Generation, Prior, abc_smc};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

const N: usize = 20;
const OBSERVED_MEAN: f64 = 0.7;

/// |simulated mean − observed mean| for θ: N draws of N(θ, 1) by Box-Muller.
fn distance(theta: &[f64], rng: &mut ChaCha8Rng) -> f64 {
    let mut u = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let mut sum = 0.0;
    for _ in 0..N {
        let (a, b) = (u(), u());
        sum += theta[0] + (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos();
    }
    (sum / N as f64 - OBSERVED_MEAN).abs()
}

fn options() -> AbcOptions {
    AbcOptions {
        particles: 1000,
        generations: 8,
        quantile: 0.5,
        max_proposals_per_particle: 1000,
        seed: 7,
    }
}

fn run(threads: usize) -> Vec<Generation> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        abc_smc(
            &[Prior::Normal { mean: 0.0, sd: 1.0 }],
            &options(),
            distance,
        )
    })
    .unwrap()
}

#[test]
fn abc_smc_recovers_the_analytic_posterior_of_a_normal_mean() {
    let gens = run(2);
    let last = gens.last().unwrap();
    let (mean, sd) = last.mean_sd(0);
    let n = N as f64;
    let (true_mean, true_sd) = (n * OBSERVED_MEAN / (n + 1.0), 1.0 / (n + 1.0).sqrt());
    let se_mean = true_sd / last.ess.sqrt();
    let se_sd = true_sd / (2.0 * last.ess).sqrt();
    for (g, x) in gens.iter().enumerate() {
        eprintln!(
            "generation {g}: tolerance {:.4}, acceptance {:.3}, ESS {:.0}, mean {:.4}, SD {:.4}",
            x.tolerance,
            x.acceptance_rate,
            x.ess,
            x.mean_sd(0).0,
            x.mean_sd(0).1
        );
    }
    assert!(
        (mean - true_mean).abs() < 4.0 * se_mean,
        "posterior mean {mean:.4} vs {true_mean:.4} (SE {se_mean:.4}, ESS {:.0})",
        last.ess
    );
    assert!(
        (sd - true_sd).abs() < 4.0 * se_sd,
        "posterior SD {sd:.4} vs {true_sd:.4}"
    );
    // The schedule shrinks the tolerance, the acceptance rate falls, weights stay usable.
    for w in gens.windows(2) {
        assert!(
            w[1].tolerance < w[0].tolerance,
            "tolerances {} then {}",
            w[0].tolerance,
            w[1].tolerance
        );
    }
    assert!(
        last.tolerance < 0.02 * true_sd * 10.0,
        "final tolerance {}",
        last.tolerance
    );
    assert!(last.ess > 300.0, "ESS {}", last.ess);
    assert!(last.acceptance_rate < gens[1].acceptance_rate);
}

#[test]
fn abc_smc_is_the_same_whatever_the_threads() {
    assert_eq!(run(1), run(2));
}

#[test]
fn abc_smc_rejects_what_it_cannot_do() {
    let bad = |priors: &[Prior], opts: AbcOptions| abc_smc(priors, &opts, distance).is_err();
    assert!(bad(&[], options()));
    assert!(bad(
        &[Prior::Uniform {
            lower: 1.0,
            upper: 0.0
        }],
        options()
    ));
    assert!(bad(&[Prior::Normal { mean: 0.0, sd: 0.0 }], options()));
    assert!(bad(
        &[Prior::Normal { mean: 0.0, sd: 1.0 }],
        AbcOptions {
            quantile: 1.0,
            ..options()
        }
    ));
    // A generation that cannot fill its population within its proposal budget is an error,
    // not a hang: half the proposals pass the second tolerance, the budget is one per particle.
    let half =
        |_: &[f64], rng: &mut ChaCha8Rng| 1.0 + (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let opts = AbcOptions {
        generations: 1,
        max_proposals_per_particle: 1,
        ..options()
    };
    let r = abc_smc(
        &[Prior::Uniform {
            lower: 0.0,
            upper: 1.0,
        }],
        &opts,
        half,
    );
    assert!(r.is_err(), "the budget was not enforced");
}
