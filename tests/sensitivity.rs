//! Global sensitivity analysis through the same code path the model's analysis uses, on
//! functions whose indices are known: the Ishigami function (Ishigami & Homma 1990; a = 7,
//! b = 0.1), Sobol's G function (Saltelli & Sobol 1995) and, for Morris, a linear function
//! (elementary effects are its coefficients exactly) and the G function (μ* orders the
//! parameters as their importance). Fixed seeds; each analytic value must lie inside the 95%
//! bootstrap interval, and the intervals must be narrow enough to mean something.

use std::f64::consts::PI;

use bordin::stats::sensitivity::morris::{morris_design, morris_indices};
use bordin::stats::sensitivity::sobol::{saltelli_design, sobol_indices};

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    let u: Vec<f64> = x.iter().map(|v| -PI + 2.0 * PI * v).collect();
    u[0].sin() + a * u[1].sin().powi(2) + b * u[2].powi(4) * u[0].sin()
}

/// Analytic S1 and ST of the Ishigami function.
fn ishigami_indices() -> ([f64; 3], [f64; 3]) {
    let (a, b) = (7.0f64, 0.1f64);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) / 18.0 - b * b * PI.powi(8) / 50.0;
    let v = v1 + v2 + v13;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

const G_A: [f64; 6] = [0.0, 0.5, 3.0, 9.0, 99.0, 99.0];

fn g_function(x: &[f64]) -> f64 {
    x.iter()
        .zip(G_A)
        .map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
        .product()
}

/// Analytic S1 and ST of the G function.
fn g_indices() -> (Vec<f64>, Vec<f64>) {
    let vi: Vec<f64> = G_A
        .iter()
        .map(|a| 1.0 / (3.0 * (1.0 + a).powi(2)))
        .collect();
    let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let s1 = vi.iter().map(|x| x / v).collect();
    let st = (0..vi.len())
        .map(|i| {
            vi[i]
                * (0..vi.len())
                    .filter(|j| *j != i)
                    .map(|j| 1.0 + vi[j])
                    .product::<f64>()
                / v
        })
        .collect();
    (s1, st)
}

/// Sobol indices of `f` on `k` parameters against the analytic values: inside the bootstrap
/// interval, intervals narrower than `width`, and the n/2 check within `convergence`.
fn check_sobol(
    what: &str,
    f: fn(&[f64]) -> f64,
    k: usize,
    n: usize,
    s1: &[f64],
    st: &[f64],
    width: f64,
) {
    let d = saltelli_design(k, n, 7).unwrap();
    let y: Vec<f64> = d.points.iter().map(|x| f(x)).collect();
    let r = sobol_indices(&d, &y, 500, 0.95, 11).unwrap();
    for (i, ix) in r.indices.iter().enumerate() {
        assert!(
            ix.s1_ci.contains(s1[i]),
            "{what} S1[{i}] {:.4} {:?} vs {:.4}",
            ix.s1,
            ix.s1_ci,
            s1[i]
        );
        assert!(
            ix.st_ci.contains(st[i]),
            "{what} ST[{i}] {:.4} {:?} vs {:.4}",
            ix.st,
            ix.st_ci,
            st[i]
        );
        assert!(
            ix.s1_ci.upper - ix.s1_ci.lower < width,
            "{what} S1[{i}] interval {:?}",
            ix.s1_ci
        );
        assert!(
            ix.st_ci.upper - ix.st_ci.lower < width,
            "{what} ST[{i}] interval {:?}",
            ix.st_ci
        );
    }
    assert!(
        r.convergence < width,
        "{what}: indices at n/2 and n differ by {}",
        r.convergence
    );
}

#[test]
fn sobol_indices_of_the_ishigami_function() {
    let (s1, st) = ishigami_indices();
    check_sobol("Ishigami", ishigami, 3, 8192, &s1, &st, 0.1);
}

/// The indices do not depend on the output's level: the Ishigami function moved far from 0
/// gives the same narrow intervals (the S1 estimator centres the outputs first).
#[test]
fn sobol_indices_do_not_depend_on_the_outputs_level() {
    fn shifted(x: &[f64]) -> f64 {
        ishigami(x) + 1000.0
    }
    let (s1, st) = ishigami_indices();
    check_sobol("Ishigami + 1000", shifted, 3, 8192, &s1, &st, 0.1);
}

#[test]
fn sobol_indices_of_the_g_function() {
    let (s1, st) = g_indices();
    check_sobol("G", g_function, G_A.len(), 8192, &s1, &st, 0.1);
}

/// On a linear function every elementary effect is the coefficient times the range (here 1):
/// μ = μ* = |c| with σ = 0 (up to rounding), whatever the trajectories.
#[test]
fn morris_effects_of_a_linear_function_are_its_coefficients() {
    let c = [3.0, -1.5, 0.0, 0.25];
    let f = |x: &[f64]| x.iter().zip(c).map(|(x, c)| x * c).sum::<f64>();
    let d = morris_design(c.len(), 4, 20, 3).unwrap();
    let y: Vec<f64> = d.points.iter().map(|x| f(x)).collect();
    let m = morris_indices(&d, &y, 200, 0.95, 5).unwrap();
    for (i, ix) in m.iter().enumerate() {
        assert!((ix.mu - c[i]).abs() < 1e-12, "mu[{i}] {}", ix.mu);
        assert!(
            (ix.mu_star - c[i].abs()).abs() < 1e-12,
            "mu*[{i}] {}",
            ix.mu_star
        );
        assert!(ix.sigma < 1e-12, "sigma[{i}] {}", ix.sigma);
    }
    for p in &d.points {
        assert!(
            p.iter().all(|v| (0.0..=1.0).contains(v)),
            "a point off the unit cube: {p:?}"
        );
    }
}

/// On the G function μ* ranks the parameters as their total indices do (a = 0 most important,
/// a = 99 negligible), and the negligible ones' intervals lie below the important ones'.
#[test]
fn morris_screening_ranks_the_g_function() {
    let d = morris_design(G_A.len(), 4, 100, 9).unwrap();
    let y: Vec<f64> = d.points.iter().map(|x| g_function(x)).collect();
    let m = morris_indices(&d, &y, 500, 0.95, 13).unwrap();
    for i in 1..4 {
        assert!(
            m[i - 1].mu_star > m[i].mu_star,
            "mu* not decreasing at {i}: {m:?}"
        );
    }
    assert!(
        m[4].mu_star_ci.upper < m[2].mu_star_ci.lower,
        "a = 99 not below a = 3: {m:?}"
    );
    assert!(
        m[5].mu_star_ci.upper < m[2].mu_star_ci.lower,
        "a = 99 not below a = 3: {m:?}"
    );
}

#[test]
fn designs_reject_what_they_cannot_do() {
    assert!(saltelli_design(0, 64, 1).is_err());
    assert!(saltelli_design(3, 100, 1).is_err());
    assert!(saltelli_design(200, 64, 1).is_err());
    assert!(morris_design(3, 3, 10, 1).is_err());
    assert!(morris_design(3, 4, 1, 1).is_err());
    let d = saltelli_design(2, 8, 1).unwrap();
    assert!(sobol_indices(&d, &[1.0; 5], 100, 0.95, 1).is_err());
    assert!(
        sobol_indices(&d, &[1.0; 32], 100, 0.95, 1).is_err(),
        "no variance"
    );
}

// ---------------------------------------------------------------------------------------------
// `bordin sensitivity` on the model
// ---------------------------------------------------------------------------------------------

/// Every shipped sensitivity file loads (parameters, outputs and design checked), and the
/// targets screening varies exactly the default posterior's priors, so its "which constants
/// move which finding" answers the identifiability table's question.
#[test]
fn shipped_sensitivity_files_load_and_the_targets_screen_matches_the_priors() {
    use bordin::commands::{posterior::Calibration, sensitivity::Sensitivity};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/sensitivity");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Sensitivity::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 3, "{n} files");
    let screen = Sensitivity::load(&dir.join("targets.toml")).unwrap();
    let priors = Calibration::embedded(None, false).unwrap();
    assert_eq!(screen.parameters(), priors.parameters.as_slice());
}

mod command {
    use std::fs;
    use std::path::Path;

    use assert_cmd::Command;
    use predicates::str::contains;
    use tempfile::TempDir;

    fn bordin(dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
        cmd.current_dir(dir);
        cmd
    }

    const SMALL: &str = r#"
method = "morris"
replicates = 2
patients = 300
noise_runs = 3
bootstrap = 50
[morris]
trajectories = 4
[[parameter]]
key = "mechanisms.dropout.alliance_weight"
lower = 2.0
upper = 6.0
[[parameter]]
key = "mechanisms.measurement.item_noise"
lower = 0.2
upper = 0.8
[[output]]
statistic = "dropout"
[[output]]
statistic = "wai_item_mean_s3"
"#;

    fn run(dir: &Path, spec: &str, out: &str, threads: &str) {
        fs::write(dir.join("s.toml"), spec).unwrap();
        bordin(dir)
            .args([
                "sensitivity",
                "s.toml",
                "--out",
                out,
                "--threads",
                threads,
                "--quiet",
            ])
            .assert()
            .success();
    }

    fn rows(dir: &Path, out: &str) -> Vec<Vec<String>> {
        let text = fs::read_to_string(dir.join(out).join("sensitivity.csv")).unwrap();
        text.lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    }

    /// The output files exist; the same file gives the same bytes with 1 and 2 threads; and
    /// because every design point shares its random numbers, a parameter the output does not
    /// depend on (the WAI-SR's item noise, for dropout, which follows the latent alliance) has
    /// elementary effects of exactly 0, while the dropout hazard's alliance weight does not.
    #[test]
    fn morris_on_the_model_is_deterministic_and_uses_common_random_numbers() {
        let dir = TempDir::new().unwrap();
        run(dir.path(), SMALL, "a", "1");
        run(dir.path(), SMALL, "b", "2");
        for f in [
            "sensitivity.csv",
            "sensitivity.md",
            "design.csv",
            "sensitivity.svg",
        ] {
            let a = fs::read(dir.path().join("a").join(f)).unwrap();
            let b = fs::read(dir.path().join("b").join(f)).unwrap();
            assert_eq!(a, b, "{f} differs between 1 and 2 threads");
        }
        let r = rows(dir.path(), "a");
        let get = |p: &str, o: &str, ix: &str| -> f64 {
            r.iter()
                .find(|x| x[0] == p && x[1] == o && x[2] == ix)
                .unwrap_or_else(|| panic!("no row {p} {o} {ix}"))[3]
                .parse()
                .unwrap()
        };
        assert_eq!(
            get("mechanisms.measurement.item_noise", "dropout", "mu_star"),
            0.0
        );
        assert!(get("mechanisms.dropout.alliance_weight", "dropout", "mu_star") > 0.01);
        assert!(
            get(
                "mechanisms.measurement.item_noise",
                "wai_item_mean_s3",
                "mu_star"
            ) > 0.0
        );
        let design = fs::read_to_string(dir.path().join("a/design.csv")).unwrap();
        assert_eq!(
            design.lines().count(),
            1 + 4 * 3,
            "header + r (k + 1) points"
        );
    }

    /// Model runs are work units in `--out/units/`: two shards run one after the other (neither
    /// analyses), then the analysis, give the same bytes as one uninterrupted run; so does a run resumed after
    /// losing some units (a kill); a changed file is refused in a directory of another's units.
    #[test]
    fn sharded_and_resumed_analyses_give_the_same_bytes() {
        let dir = TempDir::new().unwrap();
        let d = dir.path();
        run(d, SMALL, "whole", "2");
        fs::write(d.join("s.toml"), SMALL).unwrap();
        for shard in ["1/2", "2/2"] {
            bordin(d)
                .args([
                    "sensitivity",
                    "s.toml",
                    "--out",
                    "sharded",
                    "--shard",
                    shard,
                    "--quiet",
                ])
                .assert()
                .success();
            assert!(
                !d.join("sharded/sensitivity.csv").exists(),
                "a shard does not analyse"
            );
        }
        bordin(d)
            .args(["sensitivity", "s.toml", "--out", "sharded", "--quiet"])
            .assert()
            .success();
        // A resumed run: drop three units of a finished directory and run again.
        run(d, SMALL, "resumed", "1");
        for k in [0, 5, 12] {
            fs::remove_file(d.join(format!("resumed/units/{k:08}.csv"))).unwrap();
        }
        run(d, SMALL, "resumed", "2");
        for f in ["sensitivity.csv", "sensitivity.md", "design.csv"] {
            let whole = fs::read(d.join("whole").join(f)).unwrap();
            assert_eq!(
                whole,
                fs::read(d.join("sharded").join(f)).unwrap(),
                "sharded {f}"
            );
            assert_eq!(
                whole,
                fs::read(d.join("resumed").join(f)).unwrap(),
                "resumed {f}"
            );
        }
        fs::write(
            d.join("s.toml"),
            SMALL.replace("lower = 2.0", "lower = 2.5"),
        )
        .unwrap();
        bordin(d)
            .args(["sensitivity", "s.toml", "--out", "whole", "--quiet"])
            .assert()
            .code(2)
            .stderr(contains("holds the work units of another analysis"));
    }

    /// A parameter with `distribution = "normal"` is drawn from the normal truncated to its
    /// range: the design's values stay in the range and concentrate around the mean.
    #[test]
    fn a_normal_parameter_is_sampled_by_its_truncated_quantiles() {
        let dir = TempDir::new().unwrap();
        let spec = SMALL
            .replace("method = \"morris\"", "method = \"sobol\"")
            .replace("[morris]\ntrajectories = 4", "[sobol]\nbase_rows = 16")
            .replace(
                "lower = 2.0\nupper = 6.0",
                "lower = 2.0\nupper = 6.0\ndistribution = \"normal\"\nmean = 4.0\nsd = 0.5",
            );
        run(dir.path(), &spec, "n", "2");
        let design = fs::read_to_string(dir.path().join("n/design.csv")).unwrap();
        let w: Vec<f64> = design
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        let m = w.iter().sum::<f64>() / w.len() as f64;
        let sd = (w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (w.len() - 1) as f64).sqrt();
        assert!(w.iter().all(|x| (2.0..=6.0).contains(x)), "{w:?}");
        assert!(
            (m - 4.0).abs() < 0.2 && sd < 0.7,
            "mean {m}, sd {sd} (uniform: sd 1.15)"
        );
    }

    #[test]
    fn sobol_on_the_model_writes_first_order_and_total_indices() {
        let dir = TempDir::new().unwrap();
        let spec = SMALL
            .replace("method = \"morris\"", "method = \"sobol\"")
            .replace("[morris]\ntrajectories = 4", "[sobol]\nbase_rows = 8");
        run(dir.path(), &spec, "s", "2");
        let r = rows(dir.path(), "s");
        assert_eq!(
            r[0],
            ["parameter", "output", "index", "estimate", "lower", "upper"]
        );
        assert_eq!(
            r.len(),
            1 + 2 * 2 * 2,
            "header + parameters x outputs x (S1, ST)"
        );
        let md = fs::read_to_string(dir.path().join("s/sensitivity.md")).unwrap();
        assert!(
            md.contains("noise share") && md.contains("from n/2 to n base rows"),
            "{md}"
        );
    }

    /// Outputs beyond the statistics registry: a column of `summary.csv` pooled over arms and
    /// of one arm (on the base, at the file's size), and a calibration target (its statistic on
    /// its own calibration scenario). The summary's dropout is the registry's dropout (one arm,
    /// the same runs), and the target's dropout, on the routine calibration scenario, moves with
    /// the dropout hazard's alliance weight but not with the WAI-SR's item noise.
    #[test]
    fn summary_columns_and_calibration_targets_are_outputs() {
        let dir = TempDir::new().unwrap();
        let spec = format!(
            "{SMALL}[[output]]\nsummary = \"dropout\"\n[[output]]\nsummary = \"mean_change\"\narm = \"routine_care\"\n[[output]]\ntarget = \"P1\"\n"
        );
        run(dir.path(), &spec, "o", "2");
        let r = rows(dir.path(), "o");
        let get = |p: &str, o: &str| -> f64 {
            r.iter()
                .find(|x| x[0] == p && x[1] == o && x[2] == "mu_star")
                .unwrap_or_else(|| panic!("no row {p} {o}"))[3]
                .parse()
                .unwrap()
        };
        let w = "mechanisms.dropout.alliance_weight";
        let noise = "mechanisms.measurement.item_noise";
        assert_eq!(get(w, "summary:dropout"), get(w, "dropout"));
        assert!(get(w, "summary:mean_change:routine_care").is_finite());
        assert!(get(w, "target:P1") > 0.01);
        assert_eq!(get(noise, "target:P1"), 0.0);
        let design = fs::read_to_string(dir.path().join("o/design.csv")).unwrap();
        assert!(design.lines().next().unwrap().ends_with(
            "dropout,wai_item_mean_s3,summary:dropout,summary:mean_change:routine_care,target:P1"
        ));
    }

    /// Bad input is a usage error (exit 2) naming the file and what is wrong.
    #[test]
    fn bad_sensitivity_files_are_located_errors() {
        let dir = TempDir::new().unwrap();
        let cases = [
            (
                SMALL.replace("noise_runs = 3", "noise_run = 3"),
                "unknown field `noise_run`",
            ),
            (
                SMALL.replace("method = \"morris\"", "method = \"fast\""),
                "unknown method `fast`",
            ),
            (
                SMALL.replace(
                    "mechanisms.measurement.item_noise",
                    "mechanisms.measurement.item_nose",
                ),
                "parameter 2 (`mechanisms.measurement.item_nose`)",
            ),
            (
                SMALL.replace("lower = 0.2", "lower = 0.9"),
                "must be below `upper`",
            ),
            (SMALL.replace("upper = 6.0", "upper = 60.0"), "parameter 1"),
            (
                SMALL.replace("\"dropout\"", "\"dropuot\""),
                "did you mean `dropout`",
            ),
            (
                SMALL.replace("trajectories = 4", "trajectories = 1"),
                "[morris]",
            ),
            (
                SMALL.replace("upper = 6.0", "upper = 6.0\ndistribution = \"beta\""),
                "unknown distribution `beta`",
            ),
            (
                SMALL.replace(
                    "upper = 6.0",
                    "upper = 6.0\ndistribution = \"normal\"\nmean = 4.0",
                ),
                "a normal needs a finite `mean` and a positive `sd`",
            ),
            (
                format!("{SMALL}[[output]]\nsummary = \"dropout\"\ntarget = \"P1\"\n"),
                "[[output]] 3: give exactly one of `statistic`, `summary` and `target`",
            ),
            (
                format!("{SMALL}[[output]]\nsummary = \"dropuot\"\n"),
                "unknown summary column `dropuot` (did you mean `dropout`?)",
            ),
            (
                format!("{SMALL}[[output]]\nsummary = \"dropout\"\narm = \"cbt\"\n"),
                "unknown arm `cbt`; the base scenario's arms: routine_care",
            ),
            (
                format!("{SMALL}[[output]]\nstatistic = \"dropout\"\narm = \"routine_care\"\n"),
                "`arm` belongs to a `summary` output",
            ),
            (
                format!("{SMALL}[[output]]\ntarget = \"P11\"\n"),
                "unknown calibration target `P11`",
            ),
            (
                format!("{SMALL}[[output]]\nstatistic = \"dropout\"\n"),
                "[[output]] 3: `dropout` is named twice",
            ),
        ];
        for (spec, expected) in cases {
            fs::write(dir.path().join("bad.toml"), &spec).unwrap();
            bordin(dir.path())
                .args(["sensitivity", "bad.toml", "--out", "o", "--quiet"])
                .assert()
                .code(2)
                .stderr(contains("bad.toml"))
                .stderr(contains(expected));
        }
        assert!(
            !dir.path().join("o").exists(),
            "nothing written on bad input"
        );
        fs::write(dir.path().join("good.toml"), SMALL).unwrap();
        fs::write(dir.path().join("a_file"), "").unwrap();
        bordin(dir.path())
            .args(["sensitivity", "good.toml", "--out", "a_file", "--quiet"])
            .assert()
            .code(2)
            .stderr(contains("--out a_file exists and is not a directory"));
    }
}
