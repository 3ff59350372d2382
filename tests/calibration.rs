//! Calibration guard: `bordin calibrate --quick` (fewer replicates, bands widened by two Monte
//! Carlo SEs) must keep passing every confirmed target that the full calibration passes today.
//! The confirmed targets the model does not reproduce yet are listed in `KNOWN_FAILING`, each
//! explained in docs/calibration.md; a change that breaks another target fails this test.

use bordin::calibration::{self, CalibrateOptions};

/// Confirmed targets not reproduced yet (docs/calibration.md, "Not reconciled").
const KNOWN_FAILING: &[&str] = &["F2", "G1a", "G1b", "W3"];

#[test]
fn quick_calibration_passes_every_confirmed_target_but_the_known_failures() {
    let results = calibration::calibrate(&CalibrateOptions {
        quick: true,
        overrides: Vec::new(),
    })
    .unwrap();
    let targets = calibration::targets();
    assert_eq!(results.len(), targets.len(), "every target is reported");
    let broken: Vec<String> = results
        .iter()
        .filter(|r| {
            r.confirmed == "yes" && r.pass == Some(false) && !KNOWN_FAILING.contains(&r.id.as_str())
        })
        .map(|r| {
            format!(
                "{} {} = {:.3} (SE {:.3}) outside [{}, {}]",
                r.id, r.statistic, r.value, r.mc_se, r.lower, r.upper
            )
        })
        .collect();
    assert!(
        broken.is_empty(),
        "calibration broken:\n{}",
        broken.join("\n")
    );
    // The known failures keep their direction: feedback helps not-on-track cases (F2 > 1),
    // Goldsmith et al.'s crossover (more sessions help with a good alliance, harm with a poor
    // one: G1a < 0 < G1b) and the within-person sign (W3 < 0), each by more than two MC SEs.
    let value = |id: &str| {
        let r = results.iter().find(|r| r.id == id).unwrap();
        (r.value, r.mc_se)
    };
    for (id, direction, reference) in [
        ("F2", 1.0, 1.0),
        ("G1a", -1.0, 0.0),
        ("G1b", 1.0, 0.0),
        ("W3", -1.0, 0.0),
    ] {
        let (v, se) = value(id);
        assert!(
            direction * (v - reference) > 2.0 * se,
            "{id} = {v:.3} (SE {se:.3}) lost its direction"
        );
    }
    // Every statistic is computed (none silently NaN) where a statistic is named.
    for r in results.iter().filter(|r| !r.statistic.is_empty()) {
        assert!(r.value.is_finite(), "{} gives no value", r.id);
    }
}

#[test]
fn targets_file_matches_targets_md_conventions() {
    for t in calibration::targets() {
        assert!(t.lower <= t.upper, "{}: band reversed", t.id);
        assert!(
            ["yes", "partial", "no"].contains(&t.confirmed.as_str()),
            "{}: confirmed = {}",
            t.id,
            t.confirmed
        );
        assert!(
            calibration::SCENARIOS.iter().any(|(n, _)| *n == t.scenario),
            "{}: unknown scenario {}",
            t.id,
            t.scenario
        );
        assert!(!t.source.is_empty() && !t.finding.is_empty(), "{}", t.id);
    }
    for (name, _) in calibration::SCENARIOS {
        calibration::scenario(name, false, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
