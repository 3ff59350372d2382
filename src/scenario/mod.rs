//! Scenarios: what a run simulates, read from TOML.
//!
//! A scenario file has `[run]`, `[instrument]`, `[[therapist_pools]]`, `[[populations]]`,
//! `[[arms]]` (each with `[arms.policies.*]`), `[design]` and `[mechanisms.*]`. Every key is
//! optional and has a documented default; the embedded default scenario (`configs/default.toml`,
//! `bordin default-scenario`) is the all-defaults scenario written out. The key reference is
//! `docs/scenario.md`, rendered from the same reads (see [`reader`](crate::config::reader)).

pub mod param;
pub mod posterior;
mod read;

use std::path::Path;

use serde::Serialize;

use crate::config::reader::{KeyDoc, Resolved};
use crate::model::alliance::{AllianceParams, ReciprocalParams};
use crate::model::attendance::DropoutParams;
use crate::model::duration::DurationExpectation;
use crate::model::felt::FeltImprovement;
use crate::model::instrument::Instrument;
use crate::model::interpersonal::ComplementarityParams;
use crate::model::judgement::Judgement;
use crate::model::measures::MeasurementParams;
use crate::model::patient::Population;
use crate::model::rupture::{RepairParams, RuptureParams};
use crate::model::symptoms::SymptomParams;
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
    pub duration_expectation: DurationExpectation,
    pub felt_improvement: FeltImprovement,
    pub judgement: Judgement,
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

impl Scenario {
    /// The embedded default scenario.
    pub fn embedded_default() -> Scenario {
        Scenario::parse(DEFAULT_SCENARIO, "embedded default", &[])
            .expect("the embedded default scenario is valid (tested)")
    }

    /// Total planned weeks of an arm from intake to the end assessment.
    pub fn end_week(&self, arm: &Arm) -> u32 {
        match self.design.follow_up_week {
            0 => self.design.wait_weeks + arm.sessions,
            w => w,
        }
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
