//! Property tests: any valid scenario gives no NaN where a number is expected, and every score
//! within its scale.

mod common;

use bordin::sim::engine::{self, RunOptions};
use proptest::prelude::*;

fn scenario_text() -> impl Strategy<Value = String> {
    let instrument = prop_oneof![Just("phq9"), Just("gad7"), Just("oq45"), Just("core_om")];
    let toggles = proptest::collection::vec(any::<bool>(), 12);
    (
        instrument,
        1u32..20,       // planned sessions
        1u32..5,        // wait weeks
        1u64..40,       // patients
        1u32..4,        // therapists
        toggles,
        (-6.0f64..6.0, -8.0f64..2.0, -4.0f64..4.0),  // ceiling, dropout base, rupture base
        (0.0f64..1.0, 0.0f64..2.0, 0.0f64..5.0),     // potency, common factors, noise
        (0.0f64..1.0, 0.0f64..10.0, 0.0f64..1.0),    // shock prob, shock size, sudden gain prob
        (any::<bool>(), any::<bool>(), 0u32..3),     // waitlist arm, fixed ending, mixture pop
    )
        .prop_map(|(inst, sessions, wait, patients, therapists, t, (ceil, drop, rup), (pot, cf, noise), (shock_p, shock_s, sg), (wl, fixed, mix))| {
            let pop = match mix {
                0 => String::new(),
                1 => "alliance_capacity = { type = \"mixture\", components = [ { weight = 1, type = \"normal\", mean = 0, sd = 1 }, { weight = 0.3, type = \"uniform\", min = -3, max = -1 } ] }\nexpectancy = { type = \"beta\", alpha = 0.5, beta = 0.5 }".to_string(),
                _ => "intake_severity = { type = \"lognormal\", meanlog = 2.5, sdlog = 1.0 }\nset_point = 1.6".to_string(),
            };
            format!(
                r#"
[run]
patients = {patients}
replicates = 2
[instrument]
name = "{inst}"
[design]
planned_sessions = {sessions}
wait_weeks = {wait}
ending = "{ending}"
[[therapist_pools]]
therapists = {therapists}
assignment = "{assign}"
[[populations]]
{pop}
[[arms]]
name = "a"
technique_potency = {pot}
common_factors = {cf}
[arms.policies.routine_outcome_monitoring]
enabled = {rom}
clinical_support_tools = {cst}
[arms.policies.alliance_feedback]
enabled = {af}
[arms.policies.rupture_resolution_training]
enabled = {rt}
[arms.policies.poor_alliance_rule]
enabled = {pa}
after_sessions = 1
action = "{action}"
threshold = 4.5
[[arms]]
name = "b"
kind = "{bkind}"
[mechanisms.alliance]
ceiling_base = {ceil}
[mechanisms.dropout]
base = {drop}
enabled = {dropout}
[mechanisms.ruptures]
base = {rup}
enabled = {ruptures}
[mechanisms.natural_course]
noise = {noise}
shock_probability = {shock_p}
shock_size = {shock_s}
[mechanisms.sudden_gains]
probability = {sg}
[mechanisms.measurement]
enabled = {meas}
[mechanisms.complementarity]
enabled = {comp}
[mechanisms.common_factor]
harmful = {harm}
"#,
                ending = if fixed { "fixed" } else { "good_enough" },
                assign = if t[0] { "random" } else { "balanced" },
                rom = t[1],
                cst = t[2],
                af = t[3],
                rt = t[4],
                pa = t[5] && sessions > 1,
                action = if t[6] { "rematch" } else { "stop" },
                bkind = if wl { "waitlist" } else { "therapy" },
                dropout = t[7],
                ruptures = t[8],
                meas = t[9],
                comp = t[10],
                harm = t[11],
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn any_valid_scenario_gives_finite_values_within_scales(text in scenario_text()) {
        let sc = common::scenario_from(&text, &[]);
        let (lo, hi) = (sc.instrument.min, sc.instrument.max);
        let opts = RunOptions { counterfactual: true, ..RunOptions::default() };
        let col = engine::collect(&sc, &opts).unwrap();
        for outs in col.replicates.iter().map(|r| &r.outcomes) {
            for o in outs {
                let c = &o.course;
                for x in [c.intake_score, c.final_score, c.post_score] {
                    prop_assert!(x.is_finite() && x >= lo && x <= hi && x.fract() == 0.0, "score {x} outside [{lo}, {hi}]");
                }
                for x in [c.intake_latent, c.end_latent] {
                    prop_assert!(x.is_finite() && x >= lo && x <= hi);
                }
                prop_assert!(c.sessions_attended <= sc.arms[o.arm].sessions);
                for p in &o.potential {
                    prop_assert!(p.post_score.is_finite() && p.post_score >= lo && p.post_score <= hi);
                    prop_assert!(p.end_latent.is_finite());
                }
                for s in c.sessions.iter().filter(|s| s.attended) {
                    let a = s.alliance;
                    for v in [a.bond, a.goals, a.tasks, s.complementarity, s.rupture_hazard] {
                        prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v), "alliance or hazard {v}");
                    }
                    prop_assert!((12..=60).contains(&s.wai_patient) && (12..=60).contains(&s.wai_therapist));
                    prop_assert!(s.wai_observer.is_finite() && (12.0..=60.0).contains(&s.wai_observer));
                    prop_assert!(s.symptom_score >= lo && s.symptom_score <= hi && s.symptom_latent.is_finite());
                    if let Some(e) = s.rupture {
                        prop_assert!(e.severity.is_finite() && e.severity > 0.0 && e.severity <= 1.0);
                    }
                }
            }
            let stats = bordin::analysis::summarize(&sc, outs);
            for s in stats.iter().filter(|s| s.n >= 2) {
                prop_assert!(s.mean_change.is_finite() && s.dropout.is_finite() && s.mean_sessions.is_finite());
            }
        }
    }
}
