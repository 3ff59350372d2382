//! Scenarios: what a run simulates, read from TOML.
//!
//! A scenario file has `[run]`, `[instrument]`, `[[therapist_pools]]`, `[[populations]]`,
//! `[[arms]]` (each with `[arms.policies.*]`), `[design]` and `[mechanisms.*]`. Every key is
//! optional and has a documented default; the embedded default scenario (`configs/default.toml`,
//! `bordin default-scenario`) is the all-defaults scenario written out. The key reference is
//! `docs/scenario.md`, rendered from the same reads (see [`reader`](crate::config::reader)).

use std::path::Path;

use serde::Serialize;

use crate::config::reader::{self, Ctx, KeyDoc, Node, Resolved, Table, Value};
use crate::error::{Diagnostic, Location, ScenarioError};
use crate::model::alliance::{AllianceParams, ReciprocalParams};
use crate::model::attendance::DropoutParams;
use crate::model::instrument::Instrument;
use crate::model::interpersonal::ComplementarityParams;
use crate::model::measures::MeasurementParams;
use crate::model::patient::Population;
use crate::model::rupture::{RepairParams, RuptureParams};
use crate::model::symptoms::{
    CommonFactor, Expectancy, NaturalCourse, SuddenGains, SymptomParams, Technique,
};
use crate::model::therapist::TherapistPool;
use crate::model::treatment::{Arm, Design};

/// The embedded default scenario: routine outpatient care for depression on the PHQ-9.
pub const DEFAULT_SCENARIO: &str = include_str!("../../configs/default.toml");

/// `[run]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunConfig {
    pub seed: u64,
    pub replicates: u64,
    pub patients: u64,
}

/// `[mechanisms]`: every mechanism's parameters, each switchable off.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mechanisms {
    pub complementarity: ComplementarityParams,
    pub alliance: AllianceParams,
    pub reciprocal: ReciprocalParams,
    pub ruptures: RuptureParams,
    pub repair: RepairParams,
    pub symptoms: SymptomParams,
    pub dropout: DropoutParams,
    pub measurement: MeasurementParams,
}

/// A resolved, validated scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub run: RunConfig,
    pub instrument: Instrument,
    pub therapist_pools: Vec<TherapistPool>,
    pub populations: Vec<Population>,
    pub arms: Vec<Arm>,
    pub design: Design,
    pub mechanisms: Mechanisms,
    /// Every resolved value in file order (rendered into the manifest and the default file).
    #[serde(skip)]
    pub resolved: Vec<Resolved>,
    /// Documentation of every key read.
    #[serde(skip)]
    pub docs: Vec<KeyDoc>,
}

/// One `--set path=value` override.
#[derive(Clone, Debug)]
pub struct Override {
    pub text: String,
}

impl Scenario {
    /// The embedded default scenario.
    pub fn embedded_default() -> Scenario {
        Scenario::parse(DEFAULT_SCENARIO, "embedded default", &[])
            .expect("the embedded default scenario is valid (tested)")
    }

    /// Reads a scenario from TOML text, applying `--set` overrides (`path=value`) first.
    ///
    /// # Errors
    /// A [`ScenarioError`] listing every problem, each with its key path and location.
    pub fn parse(
        src: &str,
        source_name: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let fail = |diagnostics: Vec<Diagnostic>| ScenarioError {
            source_name: source_name.to_string(),
            diagnostics,
        };
        let mut root = reader::parse_document(src, source_name).map_err(|d| fail(vec![d]))?;
        let mut errors = Vec::new();
        for text in overrides {
            let loc = Location::Override(text.clone());
            let Some((path, value)) = text.split_once('=') else {
                errors.push(Diagnostic {
                    path: String::new(),
                    message: "expected PATH=VALUE, e.g. --set design.planned_sessions=16".into(),
                    loc,
                });
                continue;
            };
            let Some(segs) = reader::parse_path(path.trim()) else {
                errors.push(Diagnostic {
                    path: path.trim().to_string(),
                    message: "not a key path: expected keys joined by dots, with [i] for array elements, e.g. arms[1].technique_potency".into(),
                    loc,
                });
                continue;
            };
            let node = reader::parse_override_value(value.trim(), text);
            if let Err(message) = reader::apply_override(&mut root, &segs, node) {
                errors.push(Diagnostic {
                    path: reader::path_string(&segs),
                    message,
                    loc,
                });
            }
        }
        let ctx = Ctx::default();
        let scenario = read_scenario(&ctx, &root);
        let (read_errors, docs, resolved) = ctx.into_parts();
        errors.extend(read_errors);
        if !errors.is_empty() {
            // Overrides first (in command-line order), then the file from top to bottom.
            errors.sort_by_key(|d| match &d.loc {
                Location::Override(_) => (0, 0, 0),
                Location::File { line, col, .. } => (1, *line, *col),
            });
            return Err(fail(errors));
        }
        Ok(Scenario {
            resolved,
            docs,
            ..scenario
        })
    }

    /// Total planned weeks of an arm from intake to the end assessment.
    pub fn end_week(&self, arm: &Arm) -> u32 {
        match self.design.follow_up_week {
            0 => self.design.wait_weeks + arm.sessions,
            w => w,
        }
    }
}

fn read_scenario(ctx: &Ctx, root: &Node) -> Scenario {
    let t = Table::root(ctx, root);
    let name = t.string(
        "name",
        "routine outpatient care for depression",
        "Short name of the scenario, shown in outputs.",
    );
    let description = t.string("description", "Adults treated for depression in routine outpatient care, measured on the PHQ-9 (IAPT-like service).", "What the scenario models, in a sentence or two.");
    let run = {
        let r = t.table("run");
        let out = RunConfig {
            seed: r.int("seed", 20261121, 0, i64::MAX, "Seed of all random streams: same seed and scenario give bit-identical outputs, whatever the number of threads.") as u64,
            replicates: r.int("replicates", 1, 1, 1_000_000, "Independent replicates of the whole scenario (new therapists and patients each).") as u64,
            patients: r.int("patients", 2000, 1, 1_000_000_000, "Patients per replicate, allocated to arms by their allocation ratios.") as u64,
        };
        r.finish();
        out
    };
    let instrument = {
        let it = t.table("instrument");
        let i = Instrument::read(&it);
        it.finish();
        i
    };
    let pool_tables = t.tables("therapist_pools");
    let pools: Vec<TherapistPool> = match &pool_tables {
        Some(ts) if ts.is_empty() => {
            let node = t.get("therapist_pools").expect("present");
            ctx.error(
                &t.child("therapist_pools"),
                &node.loc,
                "at least one therapist pool is needed",
            );
            Vec::new()
        }
        Some(ts) => ts
            .iter()
            .enumerate()
            .map(|(i, pt)| TherapistPool::read(pt, i, &instrument))
            .collect(),
        None => {
            // The default pool, read from an empty table so its keys are documented.
            let empty = Node {
                value: Value::Table(Vec::new()),
                loc: t.location().clone(),
            };
            let pt = table_at(ctx, &t, "therapist_pools", &empty);
            let p = TherapistPool::read(&pt, 0, &instrument);
            pt.finish();
            vec![p]
        }
    };
    for pt in pool_tables.into_iter().flatten() {
        pt.finish();
    }
    let pop_tables = t.tables("populations");
    let populations: Vec<Population> = match &pop_tables {
        Some(ts) if ts.is_empty() => {
            let node = t.get("populations").expect("present");
            ctx.error(
                &t.child("populations"),
                &node.loc,
                "at least one population is needed",
            );
            Vec::new()
        }
        Some(ts) => ts
            .iter()
            .enumerate()
            .map(|(i, pt)| Population::read(pt, i, &instrument))
            .collect(),
        None => {
            let empty = Node {
                value: Value::Table(Vec::new()),
                loc: t.location().clone(),
            };
            let pt = table_at(ctx, &t, "populations", &empty);
            let p = Population::read(&pt, 0, &instrument);
            pt.finish();
            vec![p]
        }
    };
    for pt in pop_tables.into_iter().flatten() {
        pt.finish();
    }
    // The design is read before the arms (arms default their sessions to it) but rendered after.
    let design_t = t.table("design");
    let design = Design::read(&design_t);
    design_t.finish();
    let pool_names: Vec<String> = pools.iter().map(|p| p.name.clone()).collect();
    let arm_tables = t.tables("arms");
    let arms: Vec<Arm> = match &arm_tables {
        Some(ts) if ts.is_empty() => {
            let node = t.get("arms").expect("present");
            ctx.error(&t.child("arms"), &node.loc, "at least one arm is needed");
            Vec::new()
        }
        Some(ts) => ts
            .iter()
            .enumerate()
            .map(|(i, at)| Arm::read(at, i, &pool_names, &design))
            .collect(),
        None => {
            let empty = Node {
                value: Value::Table(Vec::new()),
                loc: t.location().clone(),
            };
            let at = table_at(ctx, &t, "arms", &empty);
            let a = Arm::read(&at, 0, &pool_names, &design);
            at.finish();
            vec![a]
        }
    };
    for at in arm_tables.into_iter().flatten() {
        at.finish();
    }
    let mechanisms = {
        let m = t.table("mechanisms");
        let sub = |key: &'static str| m.table(key);
        let c = sub("complementarity");
        let complementarity = ComplementarityParams::read(&c);
        c.finish();
        let a = sub("alliance");
        let alliance = AllianceParams::read(&a);
        a.finish();
        let r = sub("reciprocal");
        let reciprocal = ReciprocalParams::read(&r);
        r.finish();
        let ru = sub("ruptures");
        let ruptures = RuptureParams::read(&ru);
        ru.finish();
        let re = sub("repair");
        let repair = RepairParams::read(&re);
        re.finish();
        let nc = sub("natural_course");
        let natural = NaturalCourse::read(&nc);
        nc.finish();
        let cf = sub("common_factor");
        let common = CommonFactor::read(&cf);
        cf.finish();
        let te = sub("technique");
        let technique = Technique::read(&te);
        te.finish();
        let ex = sub("expectancy");
        let expectancy = Expectancy::read(&ex);
        ex.finish();
        let sg = sub("sudden_gains");
        let sudden = SuddenGains::read(&sg);
        sg.finish();
        let dr = sub("dropout");
        let dropout = DropoutParams::read(&dr);
        dr.finish();
        let me = sub("measurement");
        let measurement = MeasurementParams::read(&me);
        me.finish();
        m.finish();
        Mechanisms {
            complementarity,
            alliance,
            reciprocal,
            ruptures,
            repair,
            symptoms: SymptomParams {
                natural,
                common,
                technique,
                expectancy,
                sudden,
            },
            dropout,
            measurement,
        }
    };
    // Names must be unique: they become identifiers and column names.
    unique_names(
        ctx,
        &t,
        "therapist_pools",
        pools.iter().map(|p| p.name.as_str()),
    );
    unique_names(
        ctx,
        &t,
        "populations",
        populations.iter().map(|p| p.name.as_str()),
    );
    unique_names(ctx, &t, "arms", arms.iter().map(|a| a.name.as_str()));
    if design.follow_up_week > 0 {
        for (i, a) in arms.iter().enumerate() {
            let last = design.wait_weeks + a.sessions;
            if design.follow_up_week < last {
                ctx.error(
                    &[reader::Seg::Key("design".into()), reader::Seg::Key("follow_up_week".into())],
                    t.location(),
                    format!("week {} comes before the planned end of arm `{}` (arms[{i}]: week {last}); expected 0 or at least {last}", design.follow_up_week, a.name),
                );
            }
        }
    }
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

/// A table standing for element 0 of an absent array of tables (so defaults are documented
/// and rendered as `[[key]]`).
fn table_at<'a>(ctx: &'a Ctx, parent: &Table<'a>, key: &str, node: &'a Node) -> Table<'a> {
    let mut path = parent.child(key);
    path.push(reader::Seg::Index(0));
    Table::detached(ctx, path, node)
}

fn unique_names<'n>(ctx: &Ctx, t: &Table<'_>, key: &str, names: impl Iterator<Item = &'n str>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, n) in names.enumerate() {
        if seen.contains(&n) {
            let mut p = t.child(key);
            p.push(reader::Seg::Index(i));
            p.push(reader::Seg::Key("name".into()));
            let loc = match t.get_quiet(key).map(|n| &n.value) {
                Some(Value::Array(items)) => items
                    .get(i)
                    .and_then(|n| n.lookup(&["name"]))
                    .map_or(t.location().clone(), |n| n.loc.clone()),
                _ => t.location().clone(),
            };
            ctx.error(&p, &loc, format!("the name \"{n}\" is already used by another element of `{key}`; names must be unique"));
        }
        seen.push(n);
    }
}

/// Loads a scenario file (or the embedded default when `path` is `None`) and applies `--set`
/// overrides.
///
/// # Errors
/// [`crate::Error::ReadScenario`] when the file cannot be read; [`crate::Error::Scenario`] with every problem
/// of the file otherwise.
pub fn load(path: Option<&Path>, overrides: &[String]) -> crate::Result<Scenario> {
    match path {
        None => Ok(Scenario::parse(
            DEFAULT_SCENARIO,
            "embedded default",
            overrides,
        )?),
        Some(p) => {
            let src = crate::config::read_text(p).map_err(|source| crate::Error::ReadScenario {
                path: p.to_path_buf(),
                source,
            })?;
            Ok(Scenario::parse(&src, &p.display().to_string(), overrides)?)
        }
    }
}

/// The resolved scenario as TOML: every key with its value, as read (runs again as it is).
pub fn resolved_toml(sc: &Scenario) -> String {
    crate::config::render::to_toml(&sc.resolved, "", false)
}
