//! `bordin trace`: one dyad, session by session, for trainers and supervisors.
//!
//! A therapist and a patient with given traits (an archetype from `configs/archetypes/`, explicit
//! `key=value` trait values, or an archetype with some values changed) meet under the scenario's
//! first therapy arm. The trace shows every session's alliance (bond, goals, tasks), WAI-SR
//! ratings, symptom score and rupture, and tells in plain words what happened: ruptures, whether
//! the therapist noticed them, repairs, sudden gains and the ending, with the numbers behind
//! each. With a second therapist, the same patient is simulated again with the same random
//! draws (common random numbers: same seed, same patient index, same week streams), so every
//! difference between the two courses comes from the therapist.
//!
//! Conventions:
//! - The patient is patient 0 of replicate 0 of the scenario's seed (`--seed` changes it): their
//!   week draws (measurement error, alliance noise, rupture draws, dropout) are those of that
//!   patient in `bordin run`; their traits are the ones given, not drawn.
//! - Traits not given take the archetype's value, or, without an archetype (or when the
//!   archetype does not set them), the mean of the distribution in the scenario: the first
//!   therapy arm's therapist pool for therapists, the first population for patients.
//! - The therapist is the only therapist of a one-therapist pool: a poor-alliance rule set to
//!   re-match stops treatment instead (there is nobody to re-match to).
//! - The arm's policies apply (rupture-resolution training raises the traits given).
//!
//! Here: the request, the simulation and the output directory. The trait keys (from the
//! model's trait declarations) are in `keys`, the archetype files in `archetype`, reading and
//! resolving `--therapist`/`--patient` and `--list` in `dyad`; the words in `narrative`, the
//! session table and the terminal and Markdown reports in `text`, `trace.csv` in `csv` and the
//! chart in `chart`.

mod archetype;
mod chart;
mod csv;
mod dyad;
mod keys;
mod narrative;
mod text;

use std::path::{Path, PathBuf};

use crate::error::{Result, TraceError};
use crate::io::{AtomicFile, Mode, OutputDir, Owned};
use crate::model::patient::{Patient, PatientTraits};
use crate::model::therapist::{Therapist, TherapistTraits};
use crate::model::treatment::{Arm, ArmKind};
use crate::random::{Streams, WeekStreams};
use crate::scenario::Scenario;
use crate::sim::course::{self, Course, CourseInput};

pub use chart::chart_data;
pub use dyad::list_text;
pub use narrative::{MINOR_RUPTURE, Section, instrument_label, narrative};
pub use text::session_table;

use dyad::DyadSpec;

/// Everything `bordin trace` needs.
#[derive(Clone, Debug)]
pub struct TraceRequest {
    pub scenario: Scenario,
    /// Where the scenario came from (a path, or "embedded default").
    pub scenario_source: String,
    pub therapist: String,
    pub patient: String,
    pub compare_therapist: Option<String>,
    /// Planned sessions (default: the arm's).
    pub sessions: Option<u32>,
    pub out: PathBuf,
    pub force: bool,
}

/// One simulated dyad.
#[derive(Clone, Debug)]
pub struct Dyad {
    /// "A" or "B".
    pub name: String,
    pub therapist_label: String,
    pub therapist: TherapistTraits,
    pub course: Course,
}

/// A simulated trace: one patient with one or two therapists.
#[derive(Clone, Debug)]
pub struct Trace {
    pub scenario: Scenario,
    pub scenario_source: String,
    /// The arm the dyads ran under (with `--sessions` applied).
    pub arm: Arm,
    pub patient_label: String,
    pub patient: Patient,
    pub dyads: Vec<Dyad>,
}

/// Simulates the dyads of a request (nothing is written).
///
/// # Errors
/// A [`TraceError`] for a bad archetype or trait value (naming its flag), a bad session
/// count, or a scenario without a therapy arm.
pub fn simulate(req: &TraceRequest) -> Result<Trace, TraceError> {
    let sc = &req.scenario;
    let inst = &sc.instrument;
    let therapist = DyadSpec::<TherapistTraits>::parse("--therapist", &req.therapist, inst)?;
    let patient = DyadSpec::<PatientTraits>::parse("--patient", &req.patient, inst)?;
    let compare = req
        .compare_therapist
        .as_deref()
        .map(|t| DyadSpec::<TherapistTraits>::parse("--compare-therapist", t, inst))
        .transpose()?;
    let arm = therapy_arm(req)?;
    let pool_index = arm.pool.unwrap_or(0);
    let pool = &sc.therapist_pools[pool_index];
    let population = &sc.populations[0];
    let patient_traits = patient.traits(&population.traits, inst);
    let pt = Patient {
        index: 0,
        population: 0,
        traits: patient_traits,
    };
    let streams = Streams::new(sc.run.seed);
    let mut dyads = Vec::new();
    for (name, spec) in std::iter::once(("A", &therapist)).chain(compare.iter().map(|c| ("B", c))) {
        let traits = spec.traits(&pool.traits, inst);
        let th = [Therapist {
            pool: pool_index,
            index: 0,
            id: spec.label.clone(),
            traits: traits.clone(),
        }];
        // Fresh week streams of the same patient index for every dyad: common random numbers.
        let mut weeks = WeekStreams::new(&streams, 0, 0);
        let course = course::simulate(
            &CourseInput {
                scenario: sc,
                arm: &arm,
                patient: &pt,
                therapists: &th,
                therapist: 0,
                record: true,
            },
            &mut weeks,
        );
        dyads.push(Dyad {
            name: name.to_string(),
            therapist_label: spec.label.clone(),
            therapist: traits,
            course,
        });
    }
    Ok(Trace {
        scenario: sc.clone(),
        scenario_source: req.scenario_source.clone(),
        arm,
        patient_label: patient.label,
        patient: pt,
        dyads,
    })
}

/// The scenario's first therapy arm, with `--sessions` applied.
fn therapy_arm(req: &TraceRequest) -> Result<Arm, TraceError> {
    let mut arm = req
        .scenario
        .arms
        .iter()
        .find(|a| a.kind == ArmKind::Therapy && a.pool.is_some())
        .cloned()
        .ok_or_else(|| TraceError::NoTherapyArm {
            scenario: req.scenario_source.clone(),
        })?;
    if let Some(n) = req.sessions {
        if !(1..=200).contains(&n) {
            return Err(TraceError::Sessions(n));
        }
        arm.sessions = n;
    }
    Ok(arm)
}

/// Files `bordin trace` writes.
pub const TRACE_FILES: &[&str] = &["trace.csv", "trace.md", "trace.svg", "trace.png"];

/// A trace's outputs: with `--force`, an earlier trace's files are replaced; other files stay.
pub const TRACE_OUTPUTS: Owned = Owned {
    owns: |path| TRACE_FILES.contains(&path),
    subdirs: &[],
};

/// What a trace wrote.
#[derive(Clone, Debug)]
pub struct TraceReport {
    pub out: PathBuf,
    /// The terminal report (tables and narrative).
    pub text: String,
    pub files: Vec<PathBuf>,
}

/// Writes `trace.csv`, `trace.md`, `trace.svg` and `trace.png` to `dir`.
///
/// # Errors
/// Write and rendering failures.
pub fn write(dir: &Path, trace: &Trace) -> Result<()> {
    csv::write_csv(dir, trace)?;
    let mut md = AtomicFile::create(dir, "trace.md")?;
    md.raw(text::markdown(trace).as_bytes())?;
    md.commit()?;
    chart::write_chart(dir, trace)?;
    Ok(())
}

/// Runs `bordin trace`: simulates, then writes the output directory (its files appear
/// together, [`OutputDir`]).
///
/// # Errors
/// Usage errors ([`TraceError`], a non-empty output directory without `--force`, one in use)
/// and write failures.
pub fn run(req: &TraceRequest) -> Result<TraceReport> {
    let trace = simulate(req)?;
    let out = OutputDir::open(&req.out, TRACE_OUTPUTS, Mode::New { force: req.force })?;
    write(out.staging(), &trace)?;
    out.commit()?;
    Ok(TraceReport {
        out: req.out.clone(),
        text: text::terminal_text(&trace),
        files: TRACE_FILES.iter().map(|f| req.out.join(f)).collect(),
    })
}
