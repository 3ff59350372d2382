//! The seven charts of the report, built from the aggregates with `crate::plot`, each with its
//! caption (or, when it cannot be drawn, why not).

use std::collections::HashMap;

use super::TRAJECTORIES_PER_ARM;
use super::aggregate::{Aggregates, ArmAgg, WMean};
use super::{MIN_RUPTURES_FOR_RATE, MIN_SESSIONS_FOR_RATE, SCATTER_POINTS_PER_ARM};
use crate::commands::trace;
use crate::io::num;
use crate::plot::{self, RunChart};
use crate::scenario::Scenario;

/// A chart of the report.
pub(super) struct Built {
    /// File stem, as in [`super::CHARTS`].
    pub(super) stem: &'static str,
    /// `None`: not drawn.
    pub(super) chart: Option<RunChart>,
    /// The caption; for a chart not drawn, why (empty: it needs `sessions.csv`).
    pub(super) caption: String,
}

impl Built {
    fn drawn(stem: &'static str, chart: RunChart, caption: String) -> Built {
        Built {
            stem,
            chart: Some(chart),
            caption,
        }
    }

    fn skipped(stem: &'static str, why: impl Into<String>) -> Built {
        Built {
            stem,
            chart: None,
            caption: why.into(),
        }
    }
}

/// What every chart builder reads.
struct Run<'a> {
    sc: &'a Scenario,
    agg: &'a Aggregates,
    /// Arm names, in scenario order.
    names: Vec<String>,
    /// The instrument's display name.
    label: String,
    /// The last session of any arm: the x range of the session-based charts.
    x_max: u32,
}

impl Run<'_> {
    /// Arms with patients, with their index.
    fn arms(&self) -> impl Iterator<Item = (usize, &ArmAgg)> {
        self.agg.arms.iter().enumerate().filter(|(_, a)| a.n > 0)
    }
}

/// The charts in report order; those that need `sessions.csv` are skipped without it. `pools`
/// maps the first replicate's therapists to their pools; `bin` is the histogram's bin width.
pub(super) fn build_charts(
    sc: &Scenario,
    agg: &Aggregates,
    pools: &HashMap<String, String>,
    bin: f64,
    sessions: bool,
) -> Vec<Built> {
    let run = Run {
        sc,
        agg,
        names: sc.arms.iter().map(|a| a.name.clone()).collect(),
        label: trace::instrument_label(&sc.instrument),
        x_max: agg
            .arms
            .iter()
            .map(|a| a.max_session)
            .max()
            .unwrap_or(1)
            .max(1),
    };
    let with_sessions = |stem, build: fn(&Run) -> Built| {
        if sessions {
            build(&run)
        } else {
            Built::skipped(stem, "")
        }
    };
    vec![
        outcome_distribution(&run, bin),
        outcome_classes(&run),
        with_sessions("dose_effect", dose_effect),
        alliance_outcome(&run),
        therapist_effects(&run, pools),
        with_sessions("rupture_repair", rupture_repair),
        with_sessions("trajectories", trajectories),
    ]
}

fn outcome_distribution(run: &Run, bin: f64) -> Built {
    let inst = &run.sc.instrument;
    let label = &run.label;
    let hist = plot::ChangeHistogram {
        instrument: label.clone(),
        bin,
        rc_threshold: inst.rc_threshold,
        arms: run
            .arms()
            .map(|(i, a)| plot::ArmHistogram {
                arm: run.names[i].clone(),
                colour: i,
                n: a.n,
                mean: a.change.mean_or_nan(),
                bins: a
                    .bins
                    .iter()
                    .map(|(&k, &c)| ((k as f64 - 0.5) * bin, c as f64 / a.n as f64))
                    .collect(),
            })
            .collect(),
    };
    Built::drawn(
        "outcome_distribution",
        RunChart::Histogram(hist),
        format!(
            "Change = final - intake {label} score per patient (negative = improvement), as a share of the arm's patients, in bins of {} point{} centred on multiples of the bin width. Dashed lines: the reliable-change threshold (±{} points); solid line: the arm's mean change.",
            num(bin, 0),
            if bin == 1.0 { "" } else { "s" },
            num(inst.rc_threshold, 2)
        ),
    )
}

fn outcome_classes(run: &Run) -> Built {
    let inst = &run.sc.instrument;
    let classes = plot::ClassShares {
        classes: [
            "recovered",
            "improved",
            "unchanged",
            "deteriorated",
            "dropped out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        arms: run
            .arms()
            .map(|(i, a)| {
                (
                    run.names[i].clone(),
                    a.n,
                    a.classes.iter().map(|&c| c as f64 / a.n as f64).collect(),
                )
            })
            .collect(),
    };
    Built::drawn(
        "outcome_classes",
        RunChart::Classes(classes),
        format!(
            "Share of each arm's patients by outcome (Jacobson-Truax): recovered (reliably improved by at least {} points, a case at intake (score at or above {}) and not at the end), improved (reliably improved, not recovered), unchanged, deteriorated (reliably worse); dropped out: patients who dropped out, whatever their last score.",
            num(inst.rc_threshold, 2),
            num(inst.cutoff, 2)
        ),
    )
}

fn dose_effect(run: &Run) -> Built {
    let lines: Vec<plot::LineData> = run
        .arms()
        .map(|(i, a)| {
            let mut cum = 0;
            let mut pts = vec![(0.0, 0.0)];
            for s in 1..=a.max_session.max(1) {
                cum += a.first_improved.get(&s).copied().unwrap_or(0);
                pts.push((f64::from(s), 100.0 * cum as f64 / a.n as f64));
            }
            plot::LineData {
                name: run.names[i].clone(),
                colour: i,
                points: pts,
            }
        })
        .collect();
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(10.0, f64::max);
    Built::drawn(
        "dose_effect",
        RunChart::Lines(plot::LineChart {
            title: "Dose-effect: patients reliably improved by session".into(),
            panels: vec![plot::LinePanel {
                title: String::new(),
                x_desc: "Session (score measured before it; waitlist: week of the planned session)"
                    .into(),
                y_desc: "Reliably improved (% of arm, cumulative)".into(),
                x_range: (0.0, f64::from(run.x_max) + 0.5),
                y_range: (0.0, (top * 1.1).min(100.0)),
                percent: true,
                lines,
            }],
        }),
        format!(
            "Cumulative share of each arm's patients whose {} score before a session had fallen by at least the reliable-change threshold ({} points) from intake, at that session or earlier (simple cumulative incidence over all patients allocated: patients who left before improving count as not improved).",
            run.label,
            num(run.sc.instrument.rc_threshold, 2)
        ),
    )
}

fn alliance_outcome(run: &Run) -> Built {
    let agg = run.agg;
    let scatter_arms: Vec<plot::ScatterArm> = agg
        .arms
        .iter()
        .enumerate()
        .filter(|(_, a)| a.alliance.n >= 3)
        .map(|(i, a)| {
            let base = a.alliance.baseline();
            let fit = a.alliance.alliance_fit();
            plot::ScatterArm {
                arm: run.names[i].clone(),
                colour: i,
                points: match base {
                    Some((b0, b1)) => a
                        .scatter
                        .iter()
                        .map(|[w, f, i]| (*w, b0 + b1 * i - f))
                        .collect(),
                    None => Vec::new(),
                },
                fit: fit.map(|(b0, b1, _)| (b0, b1)),
                r: fit.map_or(f64::NAN, |f| f.2),
                n: a.alliance.n,
            }
        })
        .collect();
    if scatter_arms.is_empty() {
        return Built::skipped(
            "alliance_outcome",
            "no arm has three or more patients with a WAI-SR at session 3 (waitlist arms have none)",
        );
    }
    let without: Vec<&str> = run
        .arms()
        .filter(|(_, a)| a.alliance.n < 3)
        .map(|(i, _)| run.names[i].as_str())
        .collect();
    Built::drawn(
        "alliance_outcome",
        RunChart::Scatter(plot::AllianceScatter {
            instrument: run.label.clone(),
            arms: scatter_arms,
        }),
        format!(
            "Patient-rated WAI-SR total at session 3 against residual gain: the final {} score predicted from intake (least squares within the arm) minus the observed final score, so positive = more improvement than intake predicts. Patients who attended session 3; points: the first {SCATTER_POINTS_PER_ARM} of each arm; lines and r: least squares over every such patient of all replicates.{}",
            run.label,
            if without.is_empty() {
                String::new()
            } else {
                format!(" Not shown (no alliance ratings): {}.", without.join(", "))
            }
        ),
    )
}

/// Groups of the caterpillar: therapist pools in scenario order, each named by its arms and in
/// the colour of its first arm.
fn pool_groups(sc: &Scenario) -> Vec<(String, usize)> {
    sc.therapist_pools
        .iter()
        .enumerate()
        .map(|(p, pool)| {
            let arms: Vec<(usize, &str)> = sc
                .arms
                .iter()
                .enumerate()
                .filter(|(_, a)| a.pool == Some(p))
                .map(|(i, a)| (i, a.name.as_str()))
                .collect();
            let colour = arms.first().map_or(p, |a| a.0);
            let names: Vec<&str> = arms.iter().map(|a| a.1).collect();
            (
                format!(
                    "{} {} (pool {})",
                    if names.len() == 1 { "arm" } else { "arms" },
                    names.join(", "),
                    pool.name
                ),
                colour,
            )
        })
        .collect()
}

/// Each therapist's mean change with a 95% t interval and group (pool index), sorted by mean,
/// and which groups have a therapist.
fn therapist_effect_list(
    run: &Run,
    pools: &HashMap<String, String>,
) -> (Vec<plot::TherapistEffect>, Vec<bool>) {
    let sc = run.sc;
    let mut used = vec![false; sc.therapist_pools.len()];
    let mut effects: Vec<plot::TherapistEffect> = run
        .agg
        .therapists
        .iter()
        .map(|t| {
            let pool = pools.get(&t.id).map(String::as_str).unwrap_or_default();
            let group = sc
                .therapist_pools
                .iter()
                .position(|p| p.name == pool)
                .unwrap_or(0);
            used[group] = true;
            let m = &t.change;
            let (lo, hi) = if m.n >= 2 {
                let half = crate::stats::dist::t_quantile(0.975, (m.n - 1) as f64) * m.sd()
                    / (m.n as f64).sqrt();
                (m.mean - half, m.mean + half)
            } else {
                (f64::NAN, f64::NAN)
            };
            plot::TherapistEffect {
                id: t.id.clone(),
                group,
                n: m.n,
                mean: m.mean,
                lo,
                hi,
            }
        })
        .collect();
    effects.sort_by(|a, b| a.mean.total_cmp(&b.mean).then(a.id.cmp(&b.id)));
    (effects, used)
}

fn therapist_effects(run: &Run, pools: &HashMap<String, String>) -> Built {
    let agg = run.agg;
    if agg.therapists.is_empty() {
        return Built::skipped(
            "therapist_effects",
            "no patient has a therapist (waitlist arms only)",
        );
    }
    let groups = pool_groups(run.sc);
    let (effects, used) = therapist_effect_list(run, pools);
    let mut all = WMean::default();
    for t in &agg.therapists {
        all.push(t.change.mean, t.change.n as f64);
    }
    let inst = &run.sc.instrument;
    let span = inst.max - inst.min;
    let caseloads: Vec<u64> = effects.iter().map(|e| e.n).collect();
    let replicate = agg.first_replicate.unwrap_or(0);
    Built::drawn(
        "therapist_effects",
        RunChart::Caterpillar(plot::Caterpillar {
            instrument: run.label.clone(),
            replicate,
            groups: groups
                .into_iter()
                .zip(used)
                .map(|(g, u)| if u { g } else { (String::new(), g.1) })
                .collect(),
            therapists: effects,
            overall: all.get(),
            limits: (-span, span),
        }),
        format!(
            "Each therapist of replicate {replicate} ({} therapists with patients; caseloads {} to {}): the mean change of the patients they started with, with a 95% t interval from the spread within their caseload (cut at the largest possible change, ±{} points; none for a caseload of one); sorted from most to least improvement.",
            caseloads.len(),
            caseloads.iter().min().unwrap_or(&0),
            caseloads.iter().max().unwrap_or(&0),
            num(span, 2)
        ),
    )
}

/// Per arm with enough sessions: the rupture rate [% of attended sessions] by session, and the
/// repair rate [% of ruptures]; with the last session and the highest rupture rate shown.
fn rate_lines(run: &Run) -> (Vec<plot::LineData>, Vec<plot::LineData>, u32, f64) {
    let mut rupture_lines = Vec::new();
    let mut repair_lines = Vec::new();
    let mut x_max = 1;
    let mut top: f64 = 10.0;
    for (i, a) in run.agg.arms.iter().enumerate() {
        let rupt: Vec<(f64, f64)> = a
            .by_session
            .iter()
            .filter(|(_, v)| v[0] >= MIN_SESSIONS_FOR_RATE)
            .map(|(&s, v)| (f64::from(s), 100.0 * v[1] as f64 / v[0] as f64))
            .collect();
        let rep: Vec<(f64, f64)> = a
            .by_session
            .iter()
            .filter(|(_, v)| v[1] >= MIN_RUPTURES_FOR_RATE)
            .map(|(&s, v)| (f64::from(s), 100.0 * v[2] as f64 / v[1] as f64))
            .collect();
        for (s, y) in rupt.iter() {
            x_max = x_max.max(*s as u32);
            top = top.max(*y);
        }
        let line = |points| plot::LineData {
            name: run.names[i].clone(),
            colour: i,
            points,
        };
        if !rupt.is_empty() {
            rupture_lines.push(line(rupt));
        }
        if !rep.is_empty() {
            repair_lines.push(line(rep));
        }
    }
    (rupture_lines, repair_lines, x_max, top)
}

fn rupture_repair(run: &Run) -> Built {
    let (rupture_lines, repair_lines, x_max, top) = rate_lines(run);
    if rupture_lines.is_empty() {
        return Built::skipped(
            "rupture_repair",
            format!("no session was attended by {MIN_SESSIONS_FOR_RATE} or more patients"),
        );
    }
    let without: Vec<&str> = run
        .sc
        .arms
        .iter()
        .filter(|a| !rupture_lines.iter().any(|l| l.name == a.name))
        .map(|a| a.name.as_str())
        .collect();
    let x_range = (0.5, f64::from(x_max) + 0.5);
    let panel = |title: &str, y_desc: &str, y_top: f64, lines| plot::LinePanel {
        title: title.into(),
        x_desc: "Session".into(),
        y_desc: y_desc.into(),
        x_range,
        y_range: (0.0, y_top),
        percent: true,
        lines,
    };
    Built::drawn(
        "rupture_repair",
        RunChart::Lines(plot::LineChart {
            title: "Ruptures and repairs by session".into(),
            panels: vec![
                panel(
                    "Rupture rate",
                    "Sessions with a rupture (% of attended)",
                    (top * 1.1).min(100.0),
                    rupture_lines,
                ),
                panel(
                    "Repair rate",
                    "Ruptures repaired (% of ruptures)",
                    100.0,
                    repair_lines,
                ),
            ],
        }),
        format!(
            "Left: share of attended sessions with a rupture (latent ruptures, whoever noticed them), per session number; right: share of those ruptures repaired in the session. Sessions attended by fewer than {MIN_SESSIONS_FOR_RATE} patients (rates of fewer than {MIN_RUPTURES_FOR_RATE} ruptures) are left out.{}",
            if without.is_empty() {
                String::new()
            } else {
                format!(" No sessions (not shown): {}.", without.join(", "))
            }
        ),
    )
}

fn trajectories(run: &Run) -> Built {
    let inst = &run.sc.instrument;
    let arms: Vec<plot::SpaghettiArm> = run
        .agg
        .arms
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.trajectories.is_empty())
        .map(|(i, a)| plot::SpaghettiArm {
            arm: run.names[i].clone(),
            colour: i,
            trajectories: a.trajectories.clone(),
        })
        .collect();
    Built::drawn(
        "trajectories",
        RunChart::Spaghetti(plot::Spaghetti {
            instrument: run.label.clone(),
            score_range: (inst.min, inst.max),
            cutoff: inst.cutoff,
            x_max: f64::from(run.x_max) + 0.5,
            arms,
        }),
        format!(
            "{} scores of the first {TRAJECTORIES_PER_ARM} patients of each arm in replicate {}: intake at 0, the score before each session (waitlist: each planned session's week), and the end-of-treatment assessment one step after the last session (none after a dropout). Dashed: the clinical cut-off ({}).",
            run.label,
            run.agg.first_replicate.unwrap_or(0),
            num(inst.cutoff, 2)
        ),
    )
}
