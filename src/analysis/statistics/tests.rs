use super::{ArgKind, StatisticError, all, compute, find};
use crate::scenario::Scenario;
use crate::sim::engine::{self, RunOptions};

#[test]
fn every_statistic_has_a_unique_name_and_a_one_line_doc() {
    let names: Vec<&str> = all().map(|s| s.name).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name is registered twice");
    for s in all() {
        assert!(
            s.doc.ends_with('.') && !s.doc.contains('\n') && s.doc.len() <= 90,
            "`{}`: the doc is one sentence of at most 90 characters",
            s.name
        );
        assert_eq!(find(s.name).map(|f| f.name), Ok(s.name));
    }
}

/// A call of `s` with an example value for each of its first `n` arguments, on the trial
/// calibration scenario (arms `cbt`, `care_as_usual`, `waitlist`).
fn example_call(s: &super::Statistic, n: usize) -> String {
    let mut call = s.name.replace("{n}", "8");
    let arms = ["cbt", "care_as_usual"];
    for (i, a) in s.args.iter().take(n).enumerate() {
        call.push(':');
        call.push_str(match a.kind {
            ArgKind::Arm => arms[i.min(1)],
            ArgKind::ArmOrControls => "controls",
            ArgKind::Stratum => "good",
            ArgKind::Ending => "completed",
            ArgKind::PatientTrait => "motivation",
            ArgKind::TherapistTrait => "fis",
        });
    }
    call
}

#[test]
fn every_statistic_reads_the_arguments_it_declares() {
    let text = include_str!("../../../configs/calibration/trial.toml");
    let sc = Scenario::parse(
        text,
        "trial",
        &["run.patients=150".into(), "run.replicates=1".into()],
    )
    .unwrap();
    let opts = RunOptions {
        counterfactual: true,
        record_sessions: true,
        ..RunOptions::default()
    };
    let run = engine::collect(&sc, &opts).unwrap();
    let engine::CollectedReplicate {
        therapists,
        outcomes,
        ..
    } = &run.replicates[0];
    let r = super::Replicate {
        scenario: &sc,
        therapists,
        outcomes,
    };
    for s in all() {
        let k = s.args.len();
        let call = example_call(s, k);
        assert!(compute(&call, &r).is_ok(), "`{call}`");
        if k > 0 {
            let short = example_call(s, k - 1);
            assert!(
                matches!(compute(&short, &r), Err(StatisticError::MissingArgument { position, .. }) if position == k),
                "`{short}`"
            );
        }
        let long = format!("{call}:extra");
        assert!(
            matches!(
                compute(&long, &r),
                Err(StatisticError::SurplusArgument { .. })
            ),
            "`{long}`"
        );
    }
}

#[test]
fn errors_say_what_is_wrong_and_what_was_meant() {
    let sc = Scenario::parse(
        include_str!("../../../configs/calibration/trial.toml"),
        "trial",
        &[],
    )
    .unwrap();
    let r = super::Replicate {
        scenario: &sc,
        therapists: &[],
        outcomes: &[],
    };
    let err = |call: &str| compute(call, &r).unwrap_err().to_string();
    assert!(
        err("improved_by_sesion_8").contains("did you mean `improved_by_session_{n}`"),
        "{}",
        err("improved_by_sesion_8")
    );
    assert!(err("dropuot").contains("did you mean `dropout`"));
    assert!(!err("zzzzzzzzzz").contains("did you mean"));
    assert!(err("hedges_g:cbt:nope").contains("has no arm `nope`"));
    assert!(err("hedges_g:cbt").contains("needs an arm name or `controls` as argument 2"));
    assert!(err("iv_dose_slope:waitlist:fair").contains("`fair` is not a stratum"));
    assert!(err("ending_share:cbt:finished").contains("`finished` is not an ending"));
    assert!(err("improved_by_session_x").contains("`x` is not a session number"));
    assert!(err("dropout:cbt").contains("takes 0 argument(s), found 1"));
    let trait_err = err("trait_outcome_r:hope");
    assert!(
        trait_err.contains("`hope` is not a patient trait") && trait_err.contains("`expectancy`"),
        "{trait_err}"
    );
    assert!(err("therapist_trait_alliance_r:motivation").contains("is not a therapist trait"));
    assert!(err("trait_alliance_r").contains("needs a patient trait"));
}
