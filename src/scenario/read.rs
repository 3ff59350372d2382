//! Reading a scenario from its located TOML tree, part by part: `[run]`, `[instrument]`, each
//! `[[therapist_pools]]`, `[[populations]]` and `[[arms]]` element, `[design]` and
//! `[mechanisms]` are each read by one reader, so a part can be read again alone (see
//! [`super::param`]).

use crate::config::reader::{self, Ctx, Node, Seg, Table, Value};
use crate::error::{Diagnostic, Location, ScenarioError};
use crate::model::alliance::{AllianceParams, ReciprocalParams};
use crate::model::attachment::Attachment;
use crate::model::attendance::DropoutParams;
use crate::model::duration::DurationExpectation;
use crate::model::engagement::Engagement;
use crate::model::felt::FeltImprovement;
use crate::model::instrument::Instrument;
use crate::model::interpersonal::ComplementarityParams;
use crate::model::judgement::Judgement;
use crate::model::life_events::LifeEvents;
use crate::model::measures::MeasurementParams;
use crate::model::mistrust::Mistrust;
use crate::model::patient::Population;
use crate::model::rupture::{RepairParams, RuptureParams};
use crate::model::symptoms::{
    CommonFactor, Expectancy, NaturalCourse, SuddenGains, SymptomParams, Technique,
};
use crate::model::technique_harm::TechniqueHarm;
use crate::model::therapist::TherapistPool;
use crate::model::treatment::{Arm, Design};

use super::{Mechanisms, RunConfig, Scenario};

impl Scenario {
    /// Reads a scenario from TOML text, applying `--set` overrides (`path=value`) first.
    ///
    /// # Errors
    /// A [`ScenarioError`] listing every problem, each with its key path and location.
    pub fn parse(
        src: &str,
        source_name: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let mut root = reader::parse_document(src, source_name).map_err(|d| ScenarioError {
            source_name: source_name.to_string(),
            diagnostics: vec![d],
        })?;
        let errors = overrides
            .iter()
            .filter_map(|text| apply_set(&mut root, text))
            .collect();
        read_tree(&root, source_name, errors)
    }
}

/// Applies one `--set path=value` to the tree; the problem, if any.
fn apply_set(root: &mut Node, text: &str) -> Option<Diagnostic> {
    let loc = Location::Override(text.to_string());
    let Some((path, value)) = text.split_once('=') else {
        return Some(Diagnostic {
            path: String::new(),
            message: "expected PATH=VALUE, e.g. --set design.planned_sessions=16".into(),
            loc,
        });
    };
    let Some(segs) = reader::parse_path(path.trim()) else {
        return Some(Diagnostic {
            path: path.trim().to_string(),
            message: format!("not a key path: {}", reader::PATH_SYNTAX),
            loc,
        });
    };
    apply(
        root,
        &segs,
        reader::parse_override_value(value.trim(), text),
    )
}

/// Puts `value` at `segs` in the tree, as `--set` does; the problem, if any, located at the
/// value.
pub(super) fn apply(root: &mut Node, segs: &[Seg], value: Node) -> Option<Diagnostic> {
    let loc = value.loc.clone();
    reader::apply_override(root, segs, value)
        .err()
        .map(|message| Diagnostic {
            path: reader::path_string(segs),
            message,
            loc,
        })
}

/// Reads a scenario from its tree; `errors` are problems found before reading (the overrides').
pub(super) fn read_tree(
    root: &Node,
    source_name: &str,
    errors: Vec<Diagnostic>,
) -> Result<Scenario, ScenarioError> {
    let ctx = Ctx::default();
    let scenario = read_scenario(&ctx, root);
    let (docs, resolved) = finish(ctx, errors, source_name)?;
    Ok(Scenario {
        resolved,
        docs,
        ..scenario
    })
}

/// The documentation and resolved values of a reading, or every problem found: overrides first
/// (in command-line order), then the file from top to bottom.
pub(super) fn finish(
    ctx: Ctx,
    mut errors: Vec<Diagnostic>,
    source_name: &str,
) -> Result<(Vec<reader::KeyDoc>, Vec<reader::Resolved>), ScenarioError> {
    let (read_errors, docs, resolved) = ctx.into_parts();
    errors.extend(read_errors);
    if errors.is_empty() {
        return Ok((docs, resolved));
    }
    errors.sort_by_key(|d| match &d.loc {
        Location::Override(_) => (0, 0, 0),
        Location::File { line, col, .. } => (1, *line, *col),
    });
    Err(ScenarioError {
        source_name: source_name.to_string(),
        diagnostics: errors,
    })
}

fn read_scenario(ctx: &Ctx, root: &Node) -> Scenario {
    let t = Table::root(ctx, root);
    let name = t.string(
        "name",
        "routine outpatient care for depression",
        "Short name of the scenario, shown in outputs.",
    );
    let description = t.string("description", "Adults treated for depression in routine outpatient care, measured on the PHQ-9 (IAPT-like service).", "What the scenario models, in a sentence or two.");
    let run = read_table(t.table("run"), read_run);
    let instrument = read_table(t.table("instrument"), Instrument::read);
    let pools = read_array(
        &t,
        "therapist_pools",
        "at least one therapist pool is needed",
        |pt, i| TherapistPool::read(pt, i, &instrument),
    );
    let populations = read_array(
        &t,
        "populations",
        "at least one population is needed",
        |pt, i| Population::read(pt, i, &instrument),
    );
    // The design is read before the arms (arms default their sessions to it) but rendered after.
    let design = read_table(t.table("design"), Design::read);
    let pool_names: Vec<String> = pools.iter().map(|p| p.name.clone()).collect();
    let arms = read_array(&t, "arms", "at least one arm is needed", |at, i| {
        Arm::read(at, i, &pool_names, &design)
    });
    let mechanisms = read_table(t.table("mechanisms"), read_mechanisms);
    // Names must be unique: they become identifiers and column names.
    unique_names(&t, "therapist_pools", pools.iter().map(|p| p.name.as_str()));
    unique_names(
        &t,
        "populations",
        populations.iter().map(|p| p.name.as_str()),
    );
    unique_names(&t, "arms", arms.iter().map(|a| a.name.as_str()));
    check_follow_up(ctx, t.location(), &design, &arms);
    t.finish();
    Scenario {
        name,
        description,
        run,
        instrument,
        therapist_pools: pools,
        populations,
        arms,
        design,
        mechanisms,
        resolved: Vec::new(),
        docs: Vec::new(),
    }
}

/// Reads a table with `read`, then reports its unknown keys.
fn read_table<'a, T>(t: Table<'a>, read: impl FnOnce(&Table<'a>) -> T) -> T {
    let out = read(&t);
    t.finish();
    out
}

/// Reads the array of tables `key` with `read` (element table, index): an empty array is an
/// error, an absent one reads as one element of defaults.
fn read_array<'a, T>(
    t: &Table<'a>,
    key: &'static str,
    empty: &str,
    mut read: impl FnMut(&Table<'_>, usize) -> T,
) -> Vec<T> {
    let ctx = t.ctx();
    let tables = t.tables(key);
    let out = match &tables {
        Some(ts) if ts.is_empty() => {
            let node = t.get(key).expect("present");
            ctx.error(&t.child(key), &node.loc, empty);
            Vec::new()
        }
        Some(ts) => ts.iter().enumerate().map(|(i, et)| read(et, i)).collect(),
        None => {
            // The default element, read from an empty table so its keys are documented.
            let empty = Node {
                value: Value::Table(Vec::new()),
                loc: t.location().clone(),
            };
            let et = Table::detached(ctx, Part::element_path(key, 0), &empty);
            let e = read(&et, 0);
            et.finish();
            vec![e]
        }
    };
    for et in tables.into_iter().flatten() {
        et.finish();
    }
    out
}

/// Reads `[run]`.
fn read_run(r: &Table<'_>) -> RunConfig {
    RunConfig {
        seed: r.int("seed", 20261121, 0, i64::MAX, "Seed of all random streams: same seed and scenario give bit-identical outputs, whatever the number of threads.") as u64,
        replicates: r.int("replicates", 1, 1, 1_000_000, "Independent replicates of the whole scenario (new therapists and patients each).") as u64,
        patients: r.int("patients", 2000, 1, 1_000_000_000, "Patients per replicate, allocated to arms by their allocation ratios.") as u64,
    }
}

/// Reads `[mechanisms]`: one sub-table per mechanism.
fn read_mechanisms(m: &Table<'_>) -> Mechanisms {
    let sub = |key: &'static str| m.table(key);
    Mechanisms {
        complementarity: read_table(sub("complementarity"), ComplementarityParams::read),
        alliance: read_table(sub("alliance"), AllianceParams::read),
        reciprocal: read_table(sub("reciprocal"), ReciprocalParams::read),
        ruptures: read_table(sub("ruptures"), RuptureParams::read),
        repair: read_table(sub("repair"), RepairParams::read),
        symptoms: SymptomParams {
            natural: read_table(sub("natural_course"), NaturalCourse::read),
            common: read_table(sub("common_factor"), CommonFactor::read),
            technique: read_table(sub("technique"), Technique::read),
            expectancy: read_table(sub("expectancy"), Expectancy::read),
            sudden: read_table(sub("sudden_gains"), SuddenGains::read),
            mistrust: read_table(sub("mistrust"), Mistrust::read),
            engagement: read_table(sub("engagement"), Engagement::read),
            attachment: read_table(sub("attachment"), Attachment::read),
            technique_harm: read_table(sub("technique_harm"), TechniqueHarm::read),
            life_events: read_table(sub("life_events"), LifeEvents::read),
        },
        dropout: read_table(sub("dropout"), DropoutParams::read),
        duration_expectation: read_table(sub("duration_expectation"), DurationExpectation::read),
        felt_improvement: read_table(sub("felt_improvement"), FeltImprovement::read),
        judgement: read_table(sub("judgement"), Judgement::read),
        measurement: read_table(sub("measurement"), MeasurementParams::read),
    }
}

/// A fixed follow-up week must not come before any arm's planned end.
pub(super) fn check_follow_up(ctx: &Ctx, root: &Location, design: &Design, arms: &[Arm]) {
    if design.follow_up_week == 0 {
        return;
    }
    for (i, a) in arms.iter().enumerate() {
        let last = design.wait_weeks + a.sessions;
        if design.follow_up_week < last {
            ctx.error(
                &[Seg::Key("design".into()), Seg::Key("follow_up_week".into())],
                root,
                format!("week {} comes before the planned end of arm `{}` (arms[{i}]: week {last}); expected 0 or at least {last}", design.follow_up_week, a.name),
            );
        }
    }
}

fn unique_names<'n>(t: &Table<'_>, key: &str, names: impl Iterator<Item = &'n str>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, n) in names.enumerate() {
        if seen.contains(&n) {
            let mut p = t.child(key);
            p.push(Seg::Index(i));
            p.push(Seg::Key("name".into()));
            let loc = match t.get_quiet(key).map(|n| &n.value) {
                Some(Value::Array(items)) => items
                    .get(i)
                    .and_then(|n| n.lookup(&["name"]))
                    .map_or(t.location().clone(), |n| n.loc.clone()),
                _ => t.location().clone(),
            };
            t.ctx().error(&p, &loc, format!("the name \"{n}\" is already used by another element of `{key}`; names must be unique"));
        }
        seen.push(n);
    }
}

/// A part of a scenario: what one reader reads from one table of the file. Parts are ordered
/// as they are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Part {
    Run,
    Instrument,
    Pool(usize),
    Population(usize),
    Design,
    Arm(usize),
    Mechanisms,
}

impl Part {
    /// The part holding the key at `segs` of `sc`, and the length of the part's own path;
    /// `None` when the key lies in no part (a top-level key, a whole array, an element the
    /// scenario does not have).
    pub(super) fn of(segs: &[Seg], sc: &Scenario) -> Option<(Part, usize)> {
        let Some(Seg::Key(top)) = segs.first() else {
            return None;
        };
        let element = |make: fn(usize) -> Part, len: usize| match segs.get(1) {
            Some(Seg::Index(i)) if *i < len => Some((make(*i), 2)),
            _ => None,
        };
        let part = match top.as_str() {
            "run" => Some((Part::Run, 1)),
            "instrument" => Some((Part::Instrument, 1)),
            "design" => Some((Part::Design, 1)),
            "mechanisms" => Some((Part::Mechanisms, 1)),
            "therapist_pools" => element(Part::Pool, sc.therapist_pools.len()),
            "populations" => element(Part::Population, sc.populations.len()),
            "arms" => element(Part::Arm, sc.arms.len()),
            _ => None,
        };
        part.filter(|&(_, len)| segs.len() > len)
    }

    /// The key path of the part's table.
    pub(super) fn path(self) -> Vec<Seg> {
        let key = |k: &str| vec![Seg::Key(k.to_string())];
        match self {
            Part::Run => key("run"),
            Part::Instrument => key("instrument"),
            Part::Design => key("design"),
            Part::Mechanisms => key("mechanisms"),
            Part::Pool(i) => Part::element_path("therapist_pools", i),
            Part::Population(i) => Part::element_path("populations", i),
            Part::Arm(i) => Part::element_path("arms", i),
        }
    }

    fn element_path(key: &str, i: usize) -> Vec<Seg> {
        vec![Seg::Key(key.to_string()), Seg::Index(i)]
    }

    /// The part's table in a scenario's tree (`None` when the file leaves it out).
    pub(super) fn node(self, root: &Node) -> Option<&Node> {
        let path = self.path();
        let Some(Seg::Key(key)) = path.first() else {
            unreachable!("a part's path starts with a key")
        };
        let node = root.lookup(&[key.as_str()])?;
        match (path.get(1), &node.value) {
            (None, _) => Some(node),
            (Some(Seg::Index(i)), Value::Array(items)) => items.get(*i),
            _ => None,
        }
    }

    /// The parts whose defaults follow this one: the populations' intake severity follows the
    /// instrument, the arms' sessions follow the design.
    pub(super) fn followers(self, sc: &Scenario) -> Vec<Part> {
        match self {
            // Trait ranges may be in instrument points (model::traits::Range::Instrument).
            Part::Instrument => (0..sc.therapist_pools.len())
                .map(Part::Pool)
                .chain((0..sc.populations.len()).map(Part::Population))
                .collect(),
            Part::Design => (0..sc.arms.len()).map(Part::Arm).collect(),
            _ => Vec::new(),
        }
    }

    /// Reads the part again from `node` into `sc`, with the parts it follows as they are in
    /// `sc`, as [`read_tree`] reads it.
    pub(super) fn read(self, ctx: &Ctx, node: &Node, sc: &mut Scenario) {
        let t = Table::detached(ctx, self.path(), node);
        match self {
            Part::Run => sc.run = read_table(t, read_run),
            Part::Instrument => sc.instrument = read_table(t, Instrument::read),
            Part::Pool(i) => {
                let instrument = &sc.instrument;
                sc.therapist_pools[i] = read_table(t, |t| TherapistPool::read(t, i, instrument));
            }
            Part::Population(i) => {
                let instrument = &sc.instrument;
                sc.populations[i] = read_table(t, |t| Population::read(t, i, instrument));
            }
            Part::Design => sc.design = read_table(t, Design::read),
            Part::Arm(i) => {
                let pools: Vec<String> =
                    sc.therapist_pools.iter().map(|p| p.name.clone()).collect();
                sc.arms[i] = read_table(t, |t| Arm::read(t, i, &pools, &sc.design));
            }
            Part::Mechanisms => sc.mechanisms = read_table(t, read_mechanisms),
        }
    }
}
