//! Every experiment in `experiments/` runs in a reduced version (a third of the replicates,
//! check bands widened by two Monte Carlo SEs) and must reproduce its qualitative result.

use std::path::Path;

fn run(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join(name);
    let outcome = bordin::experiment::run(&dir, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        !outcome.rows.is_empty() && !outcome.checks.is_empty(),
        "{name}: nothing to check"
    );
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
    let e = bordin::experiment::run(dir.path(), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("experiment.toml"), "{e}");
}
