//! `bordin power`: type I error, power growing with n, unbiasedness against the counterfactual
//! true effect, determinism across thread counts, the power chart, assurance over `--assume`
//! priors, and the CLI's errors.
//!
//! Monte Carlo tolerances are stated at each check; the replicate counts keep the whole file
//! to a few seconds in release mode on 2 cores.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use bordin::commands::power::{
    self, Analysis, Assumption, Hypothesis, Missing, Plan, PowerSettings, Schedule, Test,
};
use predicates::str::contains;
use tempfile::TempDir;

fn scenario(overrides: &[&str]) -> bordin::Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    power::load_scenario(None, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn ancova_settings(n: &[u64], reps: u64, therapists: Option<u32>) -> PowerSettings {
    PowerSettings {
        n_per_arm: n.to_vec(),
        therapists_per_arm: therapists,
        reps,
        analyses: vec![Analysis::Ancova],
        schedule: Schedule::PrePost,
        ..PowerSettings::default()
    }
}

fn results(sc: &bordin::Scenario, s: &PowerSettings) -> power::PowerResults {
    let plan = Plan::new(sc, s).unwrap();
    power::compute(&plan, |_| unreachable!("no datasets requested")).unwrap()
}

/// (1) With the arms made equivalent (true effect zero), ANCOVA's rejection rate at alpha .05
/// is .05 within 3 Monte Carlo SEs (sqrt(.05 x .95 / 2000) = .0049, so +/- .0146). One patient
/// per therapist (40 therapists for 40 patients per arm) so that therapist clustering, which
/// OLS ignores, cannot inflate it; 40 per arm because HC3 is conservative in smaller samples
/// (about .038 at 20 per arm, 4,000 replicates).
#[test]
fn ancova_type1_error_is_nominal() {
    let sc = scenario(&[]);
    let res = results(&sc, &ancova_settings(&[40], 2000, Some(40)));
    let row = &res.rows[0];
    let se = (0.05f64 * 0.95 / 2000.0).sqrt();
    assert!(
        (row.type1 - 0.05).abs() < 3.0 * se,
        "type I error {} is not within 3 MC SE ({se}) of .05",
        row.type1
    );
    // The null design has no true effect: its replicates' true effects average to 0 within 4
    // MC SEs.
    let null = res.points[&40].null.as_ref().unwrap();
    let te: Vec<f64> = null.iter().map(|r| r.true_effect).collect();
    let m = te.iter().sum::<f64>() / te.len() as f64;
    let sd = (te.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (te.len() - 1) as f64).sqrt();
    assert!(
        m.abs() < 4.0 * sd / (te.len() as f64).sqrt(),
        "null true effect {m}"
    );
    assert_eq!(row.failed, 0);
}

/// (2) Power grows with n: at 10 and 60 patients per arm (200 replicates each, MC SE at most
/// .035 each) the difference exceeds 3 MC SEs of the difference; the search finds an n whose
/// power reaches the target.
#[test]
fn power_increases_with_n() {
    let sc = scenario(&[]);
    let mut s = ancova_settings(&[10, 60], 200, None);
    s.target_power = Some(0.6);
    let res = results(&sc, &s);
    let (p10, p60) = (&res.rows[0], &res.rows.last().unwrap());
    assert_eq!((p10.n_per_arm, p60.n_per_arm), (10, 60));
    let se = (p10.power_mc_se.powi(2) + p60.power_mc_se.powi(2)).sqrt();
    assert!(
        p60.power - p10.power > 3.0 * se,
        "power {} at n = 10 vs {} at n = 60",
        p10.power,
        p60.power
    );
    assert!(p60.true_effect < 0.0, "CBT should lower scores");
    let t = &res.targets[0];
    assert!(t.reached && t.power >= 0.6 && t.n_per_arm <= 60, "{t:?}");
    // The n just below the one found was evaluated and falls short (bisection bracket).
    let below = res.rows.iter().find(|r| r.n_per_arm == t.n_per_arm - 1);
    assert!(below.is_none_or(|r| r.power < 0.6), "{below:?}");
}

/// (3) Without dropout (every end score observed), the ANCOVA estimate is unbiased against
/// each replicate's counterfactual true effect: |bias| < 4 MC SEs of the bias (400 replicates).
/// Its interval covers the true effect at about the nominal rate (.95 +/- 4 x .011).
#[test]
fn ancova_is_unbiased_against_the_counterfactual_effect() {
    let sc = scenario(&["mechanisms.dropout.enabled=false"]);
    let res = results(&sc, &ancova_settings(&[40], 400, None));
    let row = &res.rows[0];
    assert_eq!(row.dropout, 0.0);
    assert!(
        row.bias.abs() < 4.0 * row.bias_mc_se,
        "bias {} (MC SE {})",
        row.bias,
        row.bias_mc_se
    );
    assert!(
        (row.coverage - 0.95).abs() < 4.0 * 0.011,
        "coverage {}",
        row.coverage
    );
    assert!(row.true_effect < -1.0, "true effect {}", row.true_effect);
}

/// Replicates are independent of one another and of the design point's other replicates: a
/// replicate simulated alone equals the same replicate of a whole design point.
#[test]
fn a_replicate_alone_equals_its_design_point_row() {
    let sc = scenario(&[]);
    let s = PowerSettings {
        n_per_arm: vec![12],
        reps: 4,
        ..PowerSettings::default()
    };
    let plan = Plan::new(&sc, &s).unwrap();
    let (all, _) = plan.design_point(12, Hypothesis::Effect, 0).unwrap();
    assert_eq!(plan.replicate(12, Hypothesis::Effect, 3).unwrap(), all[3]);
}

fn run_to(dir: &Path, threads: usize, assume: &[&str]) {
    let s = PowerSettings {
        n_per_arm: vec![8, 12],
        therapists_per_arm: Some(4),
        reps: 6,
        target_power: Some(0.5),
        max_n: 24,
        missing: Missing::Locf,
        emit_datasets: 1,
        assume: assume
            .iter()
            .map(|a| Assumption::parse(a).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        ..PowerSettings::default()
    };
    power::run(&power::PowerRequest {
        scenario: scenario(&["run.seed=7"]),
        scenario_source: "test".into(),
        settings: s,
        out: dir.to_path_buf(),
        force: false,
        threads: Some(threads),
        posterior: None,
        command_line: vec![],
    })
    .unwrap();
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("datasets")] {
        let mut names: Vec<_> = fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.ends_with("manifest.json"))
            .collect();
        names.sort();
        for p in names {
            out.push((
                p.strip_prefix(dir).unwrap().display().to_string(),
                fs::read(&p).unwrap(),
            ));
        }
    }
    out
}

/// (4) Same seed: identical output files on 1 and 2 threads (every analysis, the target
/// search and the datasets included).
#[test]
fn outputs_do_not_depend_on_threads() {
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    run_to(a.path(), 1, &[]);
    run_to(b.path(), 2, &[]);
    let (fa, fb) = (files(a.path()), files(b.path()));
    let names: Vec<&str> = fa.iter().map(|f| f.0.as_str()).collect();
    assert!(names.contains(&"power.csv") && names.contains(&"target.csv"));
    assert!(names.contains(&"datasets/n0008_effect_rep0000.csv"));
    assert_eq!(fa, fb);
    // replicates.csv points at the datasets written.
    let reps = String::from_utf8(
        fa.iter()
            .find(|f| f.0 == "replicates.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(reps.contains(",datasets/n0012_null_rep0000.csv,null,"));
}

/// (6) `power.png` and `power.svg` are written (no temporary file left): a valid PNG signature,
/// and an SVG with the axis titles and a legend entry per analysis.
#[test]
fn power_chart_is_written() {
    let dir = TempDir::new().unwrap();
    run_to(dir.path(), 2, &[]);
    let png = fs::read(dir.path().join("power.png")).unwrap();
    assert!(png.len() > 10_000, "PNG too small: {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = fs::read_to_string(dir.path().join("power.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    for text in [
        "Patients per arm (n)",
        "Power (share of trials with p",
        "Type I error (share of trials with p",
        "target power 0.5",
        "ancova",
        "lmm-endpoint",
        "lmm-longitudinal",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
    assert!(!dir.path().join(".power.tmp.png").exists());
    let manifest = fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("\"power.png\"") && manifest.contains("\"power.svg\""));
}

const POTENCY: &str = "arms[1].technique_potency";

fn assurance_settings(n: u64, reps: u64, assume: &[String]) -> PowerSettings {
    PowerSettings {
        assume: assume
            .iter()
            .map(|a| Assumption::parse(a).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        ..ancova_settings(&[n], reps, None)
    }
}

/// (7) A degenerate prior at the scenario's own value (0.07, written as a number and as a
/// normal with sd 0) gives exactly the results of plain power: the re-read scenario is the same
/// scenario, and the draws use streams of their own. Every replicate records the value.
#[test]
fn assurance_with_a_point_prior_is_power() {
    let sc = scenario(&[]);
    let plain = results(&sc, &ancova_settings(&[20], 60, None));
    for prior in [
        "0.07",
        "{ type = \"normal\", mean = 0.07, sd = 0, min = 0, max = 0.2 }",
    ] {
        let res = results(
            &sc,
            &assurance_settings(20, 60, &[format!("{POTENCY}={prior}")]),
        );
        // Debug strings: NaN fields (no ICC without the mixed model) compare equal there.
        assert_eq!(
            format!("{:?}", res.rows),
            format!("{:?}", plain.rows),
            "{prior}"
        );
        let pt = &res.points[&20];
        for (a, b) in pt.effect.iter().zip(&plain.points[&20].effect) {
            assert_eq!(a.assumed, vec![0.07]);
            assert_eq!(format!("{:?}", a.estimates), format!("{:?}", b.estimates));
        }
    }
}

/// (8) Assurance under a uniform prior on [0.03, 0.11] lies between the power at 0.03 and at
/// 0.11 (n = 30 per arm, 200 replicates each). Power is monotone in the potency and the three
/// runs share their random numbers (common random numbers), so the ordering holds well beyond
/// Monte Carlo error; the check also requires the two powers to differ by more than 4 MC SEs
/// of their difference, so that "between" means something. The draws are uniform: all in the
/// range, mean 0.07 within 4 MC SEs (SD 0.08 / sqrt(12)).
#[test]
fn assurance_lies_between_the_power_at_the_priors_ends() {
    let (n, reps) = (30, 200);
    let power_at = |x: f64| {
        let sc = scenario(&[&format!("{POTENCY}={x}")]);
        results(&sc, &ancova_settings(&[n], reps, None)).rows[0].clone()
    };
    let (lo, hi) = (power_at(0.03), power_at(0.11));
    let prior = format!("{POTENCY}={{ type = \"uniform\", min = 0.03, max = 0.11 }}");
    let res = results(&scenario(&[]), &assurance_settings(n, reps, &[prior]));
    let a = &res.rows[0];
    let se = (lo.power_mc_se.powi(2) + hi.power_mc_se.powi(2)).sqrt();
    assert!(
        hi.power - lo.power > 4.0 * se,
        "{} vs {}",
        lo.power,
        hi.power
    );
    assert!(
        lo.power < a.power && a.power < hi.power,
        "assurance {} not between power {} (0.03) and {} (0.11)",
        a.power,
        lo.power,
        hi.power
    );
    let draws: Vec<f64> = res.points[&n].effect.iter().map(|r| r.assumed[0]).collect();
    assert!(draws.iter().all(|x| (0.03..=0.11).contains(x)));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let mc = 0.08 / 12f64.sqrt() / (draws.len() as f64).sqrt();
    assert!((mean - 0.07).abs() < 4.0 * mc, "mean draw {mean}");
    // The null design draws the same values, replicate by replicate.
    let null = res.points[&n].null.as_ref().unwrap();
    assert!(
        null.iter()
            .zip(&res.points[&n].effect)
            .all(|(a, b)| a.assumed == b.assumed)
    );
}

/// (9) With --assume, the same seed gives identical files on 1 and 2 threads, and
/// replicates.csv has one column of draws per assumed key.
#[test]
fn assurance_outputs_do_not_depend_on_threads() {
    let assume = [
        "arms[1].technique_potency={ type = \"normal\", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }",
        "arms[0].common_factors={ type = \"uniform\", min = 0.7, max = 0.9 }",
    ];
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    run_to(a.path(), 1, &assume);
    run_to(b.path(), 2, &assume);
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa, fb);
    let text = |name: &str| String::from_utf8(fa.iter().find(|f| f.0 == name).unwrap().1.clone());
    let reps = text("replicates.csv").unwrap();
    let header = reps.lines().next().unwrap();
    assert!(
        header.ends_with(",error,arms[1].technique_potency,arms[0].common_factors"),
        "{header}"
    );
    let power_csv = text("power.csv").unwrap();
    assert!(
        power_csv
            .lines()
            .next()
            .unwrap()
            .contains(",assurance,hypothesis,margin,")
    );
    let svg = text("power.svg").unwrap();
    assert!(svg.contains("Assurance (expected power over the priors)"));
}

fn bordin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bordin"));
    cmd.current_dir(dir);
    cmd
}

const THREE_ARMS: &str = r#"
[[therapist_pools]]
name = "a"
therapists = 4
[[arms]]
name = "x"
[[arms]]
name = "y"
[[arms]]
name = "z"
"#;

/// (5) Usage errors exit with code 2 and say what is wrong.
#[test]
fn cli_errors() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("three.toml"), THREE_ARMS).unwrap();
    bordin(dir.path())
        .args(["power", "three.toml", "--reps", "2"])
        .assert()
        .code(2)
        .stderr(contains("exactly two arms"))
        .stderr(contains("x, y, z"));
    for (args, expected) in [
        (
            &["--hypothesis", "superiority"][..],
            "unknown hypothesis `superiority`",
        ),
        (&["--hypothesis", "equivalence"][..], "needs a margin"),
        (
            &["--hypothesis", "non-inferiority", "--margin", "-1"][..],
            "`-1` is not a positive number",
        ),
        (
            &["--hypothesis", "non-inferiority", "--margin", "d=x"][..],
            "`d=x` is not a positive number",
        ),
        (
            &["--margin", "2"][..],
            "a margin belongs to --hypothesis non-inferiority or equivalence",
        ),
    ] {
        bordin(dir.path())
            .args(["power", "--reps", "2"])
            .args(args)
            .assert()
            .code(2)
            .stderr(contains(expected));
    }
    for bad in ["20,abc", "2", ""] {
        bordin(dir.path())
            .args(["power", "--n-per-arm", bad])
            .assert()
            .code(2)
            .stderr(contains("--n-per-arm"));
    }
    // Two arms sharing one pool: --therapists-per-arm cannot nest them.
    let shared = THREE_ARMS.replace("[[arms]]\nname = \"z\"\n", "");
    fs::write(dir.path().join("shared.toml"), shared).unwrap();
    bordin(dir.path())
        .args(["power", "shared.toml", "--therapists-per-arm", "3"])
        .assert()
        .code(2)
        .stderr(contains("crossed"));
    bordin(dir.path())
        .args([
            "power",
            "--schedule",
            "pre-post",
            "--analysis",
            "lmm-longitudinal",
        ])
        .assert()
        .code(2)
        .stderr(contains("--schedule"));
    bordin(dir.path())
        .args(["power", "--analysis", "ancova,t-test"])
        .assert()
        .code(2)
        .stderr(contains("unknown analysis `t-test`"));
    bordin(dir.path())
        .args(["power", "--alpha", "1.5"])
        .assert()
        .code(2)
        .stderr(contains("--alpha"));
    // --assume: each bad prior exits with code 2 and says what is wrong.
    for (bad, why) in [
        ("arms[1].technique_potency", "expected PATH=DIST"),
        (
            "arms[1].technique_potency={ type = \"normal\", mean = 0.07 }",
            "needs `sd`",
        ),
        (
            "arms[1].technique_potency={ type = \"gamma\", shape = 2 }",
            "unknown distribution",
        ),
        ("arms[1].technique_potncy=0.05", "technique_potency"),
        (
            "arms[1].technique_potency={ type = \"normal\", mean = 0.07, sd = 0.5 }",
            "does not accept",
        ),
        ("arms[1].name=0.5", "not a number"),
        ("run.patients=100", "set by bordin power"),
        (
            "populations[0].intake_severity=17",
            "put the prior on one of its parameters",
        ),
    ] {
        bordin(dir.path())
            .args(["power", "--reps", "2", "--assume", bad])
            .assert()
            .code(2)
            .stderr(contains("--assume"))
            .stderr(contains(why));
    }
    // A non-empty output directory is refused without --force; with it the run succeeds.
    fs::write(dir.path().join("out_note.txt"), "x").unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep.txt"), "x").unwrap();
    let args = [
        "power",
        "--n-per-arm",
        "6",
        "--reps",
        "3",
        "--analysis",
        "ancova",
        "--out",
        "out",
        "-q",
    ];
    bordin(dir.path())
        .args(args)
        .assert()
        .code(2)
        .stderr(contains("not empty"));
    bordin(dir.path())
        .args(args)
        .arg("--force")
        .assert()
        .success();
    assert!(out.join("power.csv").is_file() && out.join("keep.txt").is_file());
}

/// docs/power.md's results table is the one `bordin power --reps 500` gives now (the embedded
/// default trial, n = 20, 40, 60 per arm, all three analyses): generated between its markers
/// from `power.csv`; `BORDIN_BLESS=1` rewrites it.
#[test]
fn docs_power_results_table_is_current() {
    let dir = TempDir::new().unwrap();
    Command::new(env!("CARGO_BIN_EXE_bordin"))
        .current_dir(dir.path())
        .args(["power", "--reps", "500", "--out", "p", "--quiet"])
        .assert()
        .success();
    let mut r = csv::Reader::from_path(dir.path().join("p/power.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut block = String::from(
        "| n/arm | analysis | power [95% CI] | type I | bias | coverage | estimate | true | dropout | ICC | d |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for rec in r.records() {
        let rec = rec.unwrap();
        let x = |name: &str| -> f64 { rec[col(name)].parse().unwrap() };
        let pct = |v: f64| format!("{:.1}%", 100.0 * v);
        block.push_str(&format!(
            "| {} | {} | {} [{:.1}, {:.1}] | {} | {:.2} | {} | {:.2} | {:.2} | {} | {:.2} | {:.2} |\n",
            &rec[col("n_per_arm")],
            &rec[col("analysis")],
            pct(x("power")),
            100.0 * x("power_ci_low"),
            100.0 * x("power_ci_high"),
            pct(x("type1")),
            x("bias"),
            pct(x("coverage")),
            x("mean_estimate"),
            x("true_effect"),
            pct(x("dropout")),
            x("icc"),
            x("d"),
        ));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/power.md");
    let doc = fs::read_to_string(&path).unwrap();
    let (begin, end) = (
        "<!-- power-results:begin -->\n",
        "<!-- power-results:end -->",
    );
    let i = doc.find(begin).expect("begin marker") + begin.len();
    let j = doc.find(end).expect("end marker");
    let expected = format!("{}{block}{}", &doc[..i], &doc[j..]);
    if std::env::var_os("BORDIN_BLESS").is_some() {
        fs::write(&path, expected).unwrap();
        return;
    }
    assert!(
        doc == expected,
        "docs/power.md's results table is stale: regenerate it with `BORDIN_BLESS=1 cargo test --release --test power`"
    );
}

/// (10) The boundary of a non-inferiority or equivalence H0 is the null design moved by the
/// margin. Shifting the treatment arm's scores by m t / T (week t, end week T: the end score by
/// m) moves each analysis's estimate by exactly m and leaves its SE and df unchanged, so the
/// rejection rate there can be computed from the null design's fits: checked here by refitting
/// the shifted trial.
#[test]
fn shifting_the_treatment_arm_moves_every_estimate_by_the_shift() {
    let sc = scenario(&[]);
    let s = PowerSettings {
        n_per_arm: vec![24],
        reps: 2,
        therapists_per_arm: Some(6),
        ..PowerSettings::default()
    };
    let plan = Plan::new(&sc, &s).unwrap();
    let data = plan.simulate(24, Hypothesis::Null, 1).unwrap();
    let end_week = data
        .patients
        .iter()
        .flat_map(|p| p.occasions.iter().map(|o| o.week))
        .max()
        .unwrap();
    let m = 1.7;
    let mut shifted = data.clone();
    for p in shifted.patients.iter_mut().filter(|p| p.treat) {
        for o in &mut p.occasions {
            if let Some(y) = o.score.as_mut() {
                *y += m * f64::from(o.week) / f64::from(end_week);
            }
        }
    }
    let (a, b) = (plan.analyse(&data), plan.analyse(&shifted));
    for (x, y) in a.estimates.iter().zip(&b.estimates) {
        assert!(x.error.is_none() && y.error.is_none(), "{x:?} {y:?}");
        let close = |u: f64, v: f64, tol: f64| (u - v).abs() <= tol * u.abs().max(1.0);
        assert!(
            close(y.estimate, x.estimate + m, 1e-6),
            "{:?}: {} vs {} + {m}",
            x.analysis,
            y.estimate,
            x.estimate
        );
        assert!(
            close(y.se, x.se, 1e-5),
            "{:?}: se {} vs {}",
            x.analysis,
            y.se,
            x.se
        );
        assert!(
            close(y.df, x.df, 1e-4),
            "{:?}: df {} vs {}",
            x.analysis,
            y.df,
            x.df
        );
    }
}

/// (11) Non-inferiority and equivalence: at the margin the type I error of the one-sided
/// non-inferiority test is alpha within 3 MC SEs (the design of test 1: one patient per
/// therapist, 2,000 replicates), and the equivalence (TOST) test's is at most alpha + 3 MC SEs
/// (TOST is conservative when the SE is not small against the margin). On the same replicates
/// non-inferiority rejects at least as often as one-sided superiority, which rejects at least
/// as often as the two-sided test (the same t statistics against weaker thresholds). A margin
/// in d is that many instrument SDs.
#[test]
fn non_inferiority_and_equivalence_hold_their_level_at_the_margin() {
    let sc = scenario(&[]);
    let with = |test: Test| PowerSettings {
        hypothesis: test,
        ..ancova_settings(&[40], 2000, Some(40))
    };
    let se = (0.05f64 * 0.95 / 2000.0).sqrt();
    let margin = 2.0;
    let ni = results(&sc, &with(Test::NonInferiority { margin }));
    let eq = results(&sc, &with(Test::Equivalence { margin }));
    let one = results(&sc, &with(Test::OneSided));
    let two = results(&sc, &with(Test::TwoSided));
    let (ni, eq, one, two) = (&ni.rows[0], &eq.rows[0], &one.rows[0], &two.rows[0]);
    assert!(
        (ni.type1 - 0.05).abs() < 3.0 * se,
        "non-inferiority type I {} at the margin, MC SE {se}",
        ni.type1
    );
    assert!(
        eq.type1 < 0.05 + 3.0 * se,
        "equivalence type I {}",
        eq.type1
    );
    assert!(
        ni.power >= one.power && one.power >= two.power,
        "{} {} {}",
        ni.power,
        one.power,
        two.power
    );
    assert_eq!(
        Test::parse("non-inferiority", Some("d=0.5"), sc.instrument.sd).unwrap(),
        Test::NonInferiority {
            margin: 0.5 * sc.instrument.sd
        }
    );
}

/// (12) Fit diagnostics per design cell: with 3 therapists per arm the endpoint mixed model
/// often puts the therapist variance at zero; `power.csv`'s `singular` share, `failures.csv`'s
/// `singular` count and the replicates' `singular` flags agree, ANCOVA is never singular, and
/// the coverage carries its Monte Carlo SE.
#[test]
fn singular_fits_are_counted_per_design_cell() {
    let dir = TempDir::new().unwrap();
    bordin(dir.path())
        .args([
            "power",
            "--reps",
            "60",
            "--n-per-arm",
            "12",
            "--therapists-per-arm",
            "3",
        ])
        .args(["--analysis", "ancova,lmm-endpoint", "--out", "p", "--quiet"])
        .assert()
        .success();
    let table = |f: &str| -> Vec<std::collections::BTreeMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.path().join("p").join(f)).unwrap();
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        r.records()
            .map(|x| {
                h.iter()
                    .cloned()
                    .zip(x.unwrap().iter().map(str::to_string))
                    .collect()
            })
            .collect()
    };
    let power = table("power.csv");
    let failures = table("failures.csv");
    let reps = table("replicates.csv");
    let lmm = power
        .iter()
        .find(|r| r["analysis"] == "lmm-endpoint")
        .unwrap();
    let share: f64 = lmm["singular"].parse().unwrap();
    assert!(share > 0.05, "singular share {share}");
    let flagged = reps
        .iter()
        .filter(|r| {
            r["hypothesis"] == "effect" && r["analysis"] == "lmm-endpoint" && r["singular"] == "1"
        })
        .count();
    assert_eq!(flagged as f64, (share * 60.0).round());
    let row = failures
        .iter()
        .find(|r| {
            r["hypothesis"] == "effect"
                && r["analysis"] == "lmm-endpoint"
                && r["reason"] == "singular"
        })
        .unwrap();
    assert_eq!(row["count"], flagged.to_string());
    let ancova = power.iter().find(|r| r["analysis"] == "ancova").unwrap();
    assert_eq!(ancova["singular"], "0");
    assert!(failures.iter().all(|r| r["analysis"] != "ancova"));
    let cov: f64 = ancova["coverage"].parse().unwrap();
    let cov_se: f64 = ancova["coverage_mc_se"].parse().unwrap();
    assert!(
        (cov_se - (cov * (1.0 - cov) / 60.0).sqrt()).abs() < 1e-6,
        "{cov} {cov_se}"
    );
}

/// (13) `power_report.md` and `power_report.html` state the design, the assumptions as
/// simulated, the results of `power.csv` (the same figures), the n found, the chart, the ADEMP
/// methods with the seed and the command; the page is self-contained (inline SVG, no script,
/// no external resource) and escapes the scenario's text.
#[test]
fn the_power_report_quotes_power_csv() {
    let dir = TempDir::new().unwrap();
    bordin(dir.path())
        .args(["power", "--reps", "30", "--n-per-arm", "8,12"])
        .args(["--therapists-per-arm", "4", "--target-power", "0.4"])
        .args(["--max-n", "80", "--analysis", "ancova", "--seed", "11"])
        .args([
            "--set",
            "name=\"A <b>&</b> trial\"",
            "--out",
            "p",
            "--quiet",
        ])
        .assert()
        .success();
    let out = dir.path().join("p");
    let md = fs::read_to_string(out.join("power_report.md")).unwrap();
    let html = fs::read_to_string(out.join("power_report.html")).unwrap();
    for section in [
        "## Design",
        "## Assumptions, as simulated",
        "## Results",
        "## Methods (ADEMP)",
        "**Aims.**",
        "**Data-generating mechanisms.**",
        "**Estimand.**",
        "**Methods.**",
        "**Performance measures.**",
        "![power against patients per arm",
        "seed 11",
        "bordin power --reps 30 --n-per-arm 8,12",
        "4 therapists",
        "`end ~ intake + treat`",
    ] {
        assert!(md.contains(section), "power_report.md lacks {section:?}");
    }
    let mut r = csv::Reader::from_path(out.join("power.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let target = fs::read_to_string(out.join("target.csv")).unwrap();
    let t: Vec<&str> = target.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(t[5], "1", "the target is reached in this set-up: {target}");
    let found: u64 = t[2].parse().unwrap();
    for n in [8, 12, found] {
        let row = rows
            .iter()
            .find(|x| x[col("n_per_arm")] == n.to_string())
            .unwrap();
        let p: f64 = row[col("power")].parse().unwrap();
        let se: f64 = row[col("power_mc_se")].parse().unwrap();
        let cell = format!("| {n} | ancova | {:.1}% ± {:.1}% |", 100.0 * p, 100.0 * se);
        assert!(md.contains(&cell), "power_report.md lacks {cell:?}:\n{md}");
        let td = format!(
            "<tr><td>{n}</td><td class=\"name\">ancova</td><td>{:.1}% ± {:.1}%</td>",
            100.0 * p,
            100.0 * se
        );
        assert!(html.contains(&td), "power_report.html lacks {td:?}");
    }
    assert!(md.contains(&format!("from n = {found} per arm")));
    // Only the requested points and the n found are tabled (power.csv has every point tried).
    let tabled = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | ancova | "))
        .count();
    assert_eq!(tabled, if found == 8 || found == 12 { 2 } else { 3 });
    assert!(rows.len() >= tabled);
    // The chart marks the n found and states the design in its subtitle.
    let svg = fs::read_to_string(out.join("power.svg")).unwrap();
    assert!(
        svg.contains(&format!("n = {found}")),
        "the chart does not mark n = {found}"
    );
    assert!(svg.contains("4 therapists per arm; as simulated at n = 12 per arm: d "));
    assert!(svg.contains("dropout "));
    // The page: the chart inline, nothing fetched or run, the scenario's name escaped.
    assert!(html.contains("<svg role=\"img\""));
    assert!(html.contains("default-src 'none'"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(html.contains("A &lt;b&gt;&amp;&lt;/b&gt; trial"));
    assert!(!html.contains("<b>&</b>"));
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"power_report.md\"") && manifest.contains("\"power_report.html\""));
}
