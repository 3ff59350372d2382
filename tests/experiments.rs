//! Every experiment in `experiments/` runs in a reduced version (a third of the replicates,
//! check bands widened by two Monte Carlo SEs) and must reproduce its qualitative result.

use std::path::Path;

/// Asserts that `dir/NAME.png` and `dir/NAME.svg` exist, are non-empty and look like what they
/// claim to be.
fn assert_figure(dir: &Path, stem: &str) {
    let png = std::fs::read(dir.join(format!("{stem}.png")))
        .unwrap_or_else(|e| panic!("{stem}.png: {e}"));
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{stem}.png is not a PNG ({} bytes)",
        png.len()
    );
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg")))
        .unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{stem}.svg");
    assert!(svg.contains("<text"), "{stem}.svg has no text");
    // Written atomically: no temporary file is left behind.
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.'),
            "temporary file {name} left in {dir:?}"
        );
    }
}

fn run(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join(name);
    let outcome =
        bordin::commands::experiment::run(&dir, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        !outcome.rows.is_empty() && !outcome.checks.is_empty(),
        "{name}: nothing to check"
    );
    let out = tempfile::tempdir().unwrap();
    bordin::commands::experiment::write(out.path(), &outcome)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for file in ["results.csv", "results.md"] {
        assert!(out.path().join(file).is_file(), "{name}: no {file}");
    }
    assert_figure(out.path(), "figure");
    for s in &outcome.series {
        assert_figure(out.path(), &format!("figure_{}", s.name));
        let csv = std::fs::read_to_string(out.path().join(format!("figure_{}.csv", s.name)))
            .unwrap_or_else(|e| panic!("{name}: figure_{}.csv: {e}", s.name));
        let points: usize = s.lines.iter().map(|l| l.points.len()).sum();
        assert_eq!(
            csv.lines().count(),
            points + 1,
            "{name}: figure_{}.csv",
            s.name
        );
    }
    for c in &outcome.checks {
        assert_eq!(
            c.pass,
            Some(true),
            "{name}: {} = {:.3} (SE {:.3}) outside {:?}",
            c.label,
            c.value,
            c.mc_se,
            c.band
        );
    }
}

#[test]
fn goldsmith_alliance_decides_whether_sessions_help() {
    run("01_goldsmith_alliance_dose");
}

#[test]
fn dodo_bird_bona_fide_therapies_differ_little() {
    run("02_dodo_bird");
}

#[test]
fn baldwin_therapist_level_alliance() {
    run("03_baldwin_therapist_alliance");
}

#[test]
fn dose_effect_and_good_enough_endings() {
    run("04_dose_effect_good_enough");
}

#[test]
fn dose_effect_experiment_draws_its_curve() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/04_dose_effect_good_enough");
    let outcome = bordin::commands::experiment::run(&dir, true).unwrap();
    let s = outcome
        .series
        .iter()
        .find(|s| s.name == "dose_effect")
        .expect("a dose_effect figure");
    assert_eq!(s.lines.len(), 2);
    for l in &s.lines {
        let v: Vec<f64> = l.points.iter().map(|p| p.1).collect();
        assert!(v.iter().all(|x| (0.0..=1.0).contains(x)), "{v:?}");
        // A Kaplan-Meier share never falls.
        assert!(v.windows(2).all(|w| w[1] >= w[0] - 1e-12), "{v:?}");
    }
}

#[test]
fn feedback_helps_not_on_track_cases_most() {
    run("05_feedback");
}

#[test]
fn rupture_training_repairs_more() {
    run("06_rupture_training");
}

#[test]
fn poor_alliance_rematching_helps() {
    run("07_poor_alliance_rule");
}

#[test]
fn therapist_effects_come_from_skill() {
    run("08_therapist_effects");
}

#[test]
fn experiment_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = bordin::commands::experiment::run(dir.path(), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("experiment.toml"), "{e}");
}

/// Writes an experiment whose scenario is experiment 04's `fixed.toml` and whose one
/// `[[figure]]` has `figure` as its body; returns the error of running it.
fn figure_error(figure: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments/04_dose_effect_good_enough/fixed.toml");
    let spec = format!(
        "title = \"t\"\nquestion = \"q\"\n[[scenario]]\nname = \"fixed\"\nfile = {:?}\n\
         [[row]]\nlabel = \"r\"\nscenario = \"fixed\"\nstatistic = \"mean_sessions\"\n\
         [[figure]]\n{figure}\n",
        scenario.display().to_string()
    );
    std::fs::write(dir.path().join("experiment.toml"), spec).unwrap();
    let started = std::time::Instant::now();
    let e = bordin::commands::experiment::run(dir.path(), false)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    // Refused before the scenario (9 replicates) is simulated.
    assert!(started.elapsed().as_secs_f64() < 5.0, "{e}");
    e
}

const GOOD_FIGURE: &str = "name = \"curve\"\nkind = \"series\"\ntitle = \"T\"\nx_label = \"x\"\n\
                           y_label = \"y\"\nfrom = 1\nto = 5\n";

#[test]
fn bad_figures_are_refused_naming_figure_and_field() {
    let e = figure_error(&format!(
        "{GOOD_FIGURE}statistic = \"improved_by_session_{{n}}\"\nscenarios = [\"fixed\", \"nope\"]"
    ));
    assert!(
        e.contains("experiment.toml") && e.contains("`curve`") && e.contains("`scenarios`"),
        "{e}"
    );
    assert!(e.contains("nope") && e.contains("fixed"), "{e}");

    let e = figure_error(&format!(
        "{GOOD_FIGURE}statistic = \"improved_by_sesion_{{n}}\"\nscenarios = [\"fixed\"]"
    ));
    assert!(
        e.contains("`curve`") && e.contains("`statistic`") && e.contains("improved_by_sesion_1"),
        "{e}"
    );
    assert!(e.contains("unknown statistic"), "{e}");

    let e = figure_error(&format!(
        "{GOOD_FIGURE}statistic = \"improved_by_session_8\"\nscenarios = [\"fixed\"]"
    ));
    assert!(e.contains("`statistic`") && e.contains("{n}"), "{e}");

    let e = figure_error(
        "name = \"curve\"\nkind = \"bars\"\ntitle = \"T\"\nx_label = \"x\"\ny_label = \"y\"\n\
         from = 1\nto = 5\nstatistic = \"improved_by_session_{n}\"\nscenarios = [\"fixed\"]",
    );
    assert!(e.contains("`kind`") && e.contains("bars"), "{e}");

    let e = figure_error(&format!(
        "{GOOD_FIGURE}statistic = \"improved_by_session_{{n}}\"\nscenarios = [\"fixed\"]\ncolour = \"red\""
    ));
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn unknown_keys_on_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("experiment.toml"),
        "title = \"t\"\nquestion = \"q\"\n[[scenario]]\nname = \"a\"\nfile = \"a.toml\"\n\
         [[row]]\nlabel = \"r\"\nscenario = \"a\"\nstatistic = \"mean_sessions\"\npanels = \"x\"\n",
    )
    .unwrap();
    let e = bordin::commands::experiment::run(dir.path(), true)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("experiment.toml") && e.contains("panels"), "{e}");
}

/// Every experiment's README quotes its current results: the table between its
/// `<!-- results:begin -->` and `<!-- results:end -->` markers is the full run at the default
/// constants beside the run over the shipped default posterior, and the committed
/// `results/results.md` and `results-posterior/results.md` are those runs' tables.
/// `BORDIN_BLESS=1` rewrites the README blocks and both results folders (figures included).
#[test]
fn experiment_readmes_quote_their_current_results() {
    use bordin::commands::experiment;
    use bordin::scenario::posterior::Posterior;
    let bless = std::env::var_os("BORDIN_BLESS").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let default = Posterior::load("default").unwrap();
    let mut stale = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("experiment.toml").is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for dir in names {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let point = experiment::run(&dir, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        let over = experiment::run_over(&dir, false, Some((&default, None)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let readme_path = dir.join("README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap();
        let (begin, end) = ("<!-- results:begin -->\n", "<!-- results:end -->");
        let i = readme
            .find(begin)
            .unwrap_or_else(|| panic!("{name}: no results:begin marker"))
            + begin.len();
        let j = readme
            .find(end)
            .unwrap_or_else(|| panic!("{name}: no results:end marker"));
        let expected = format!(
            "{}{}{}",
            &readme[..i],
            point.readme_table(&over),
            &readme[j..]
        );
        if bless {
            std::fs::write(&readme_path, &expected).unwrap();
            experiment::write(&dir.join("results"), &point).unwrap();
            experiment::write(&dir.join("results-posterior"), &over).unwrap();
            continue;
        }
        if readme != expected {
            stale.push(format!("{name}/README.md"));
        }
        for (folder, o) in [("results", &point), ("results-posterior", &over)] {
            let committed =
                std::fs::read_to_string(dir.join(folder).join("results.md")).unwrap_or_default();
            if committed != o.markdown() {
                stale.push(format!("{name}/{folder}/results.md"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; regenerate with `BORDIN_BLESS=1 cargo test --release --test experiments`"
    );
}
