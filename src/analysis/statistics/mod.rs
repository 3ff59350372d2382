//! The statistics of the calibration targets and the experiments, each computed from what a
//! study would see: the measured symptom scores, the rated alliance and the reported ruptures
//! (latent state only where a statistic is about it). Each statistic is one documented
//! function of one replicate of a scenario, returning one value (`NaN` when the replicate has
//! no data for it), and is found by name in the registry, [`FAMILIES`]: targets and
//! experiments write its name and its arguments separated by `:` (`hedges_g:cbt:controls`).
//! `bordin experiment --list-statistics` and docs/statistics-registry.md list the registry.
//!
//! The conventions they share are [`CONVENTIONS`].

mod alliance;
pub mod args;
mod dose;
mod dose_slope;
mod dropout;
mod feedback;
mod gains;
mod judgement;
mod measured;
mod outcome;
pub mod render;
mod rupture;
pub mod sample;
mod therapist;
mod traits;

use crate::config::reader::edit_distance;
use crate::model::instrument::Instrument;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::scenario::Scenario;
use crate::sim::engine::PatientOutcome;
use args::Args;

/// What a statistic's function returns.
pub type Value = Result<f64, StatisticError>;

/// The conventions every statistic follows, as the generated docs state them.
pub const CONVENTIONS: &str = "\
- *improvement* = intake score - final score (positive = better); *final score* as in \
`patients.csv` (end-of-treatment assessment; last observed score for dropouts);
- *post score* = the end (follow-up) assessment every patient gets, used for trial contrasts \
(intention to treat with complete follow-up);
- Hedges' g = (mean_b - mean_a) / pooled SD x J (Hedges' exact J), positive when arm `a` has \
lower (better) scores;
- reliable improvement, recovery and deterioration use the instrument's reliable-change \
threshold and cut-off (Jacobson & Truax; IAPT conventions, M1 and M4).
";

/// One replicate of a scenario.
pub struct Replicate<'a> {
    pub scenario: &'a Scenario,
    /// The therapists of the replicate, per pool.
    pub therapists: &'a [Vec<crate::model::therapist::Therapist>],
    pub outcomes: &'a [PatientOutcome],
}

impl<'a> Replicate<'a> {
    fn inst(&self) -> &'a Instrument {
        &self.scenario.instrument
    }
    /// Every patient, in the replicate's order.
    fn all(&self) -> Vec<&'a PatientOutcome> {
        self.outcomes.iter().collect()
    }
    /// The patients of arm `arm`, in the replicate's order.
    fn of_arm(&self, arm: usize) -> Vec<&'a PatientOutcome> {
        self.outcomes.iter().filter(|o| o.arm == arm).collect()
    }
    /// The patients whose intake score is at or above the instrument's cut-off.
    fn cases(&self) -> Vec<&'a PatientOutcome> {
        let inst = self.inst();
        self.outcomes
            .iter()
            .filter(|o| inst.is_case(o.course.intake_score))
            .collect()
    }
}

/// What an argument of a statistic names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// An arm of the scenario, by name.
    Arm,
    /// An arm, or `controls`: every other arm pooled.
    ArmOrControls,
    /// An alliance-capacity stratum, `good` or `poor` ([`args::Stratum`]).
    Stratum,
    /// An ending of treatment, as `patients.csv` writes it.
    Ending,
    /// A patient trait, by its scenario key.
    PatientTrait,
    /// A therapist trait, by its scenario key.
    TherapistTrait,
}

impl std::fmt::Display for ArgKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgKind::Arm => f.write_str("an arm name"),
            ArgKind::ArmOrControls => f.write_str("an arm name or `controls`"),
            ArgKind::Stratum => f.write_str("a stratum (`good` or `poor`)"),
            ArgKind::Ending => {
                let names: Vec<String> = args::ENDINGS
                    .iter()
                    .map(|e| format!("`{}`", e.as_str()))
                    .collect();
                write!(f, "an ending ({})", names.join(", "))
            }
            ArgKind::PatientTrait => {
                write!(f, "a patient trait ({})", args::keys::<PatientTraits>())
            }
            ArgKind::TherapistTrait => {
                write!(f, "a therapist trait ({})", args::keys::<TherapistTraits>())
            }
        }
    }
}

/// One argument of a statistic: the name its docs use and what it names.
#[derive(Clone, Copy, Debug)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgKind,
}

/// A statistic: its name, its arguments, what it computes and how.
#[derive(Clone, Copy, Debug)]
pub struct Statistic {
    /// The name targets and experiments write; `{n}` stands for a number written into the name
    /// (`improved_by_session_8`).
    pub name: &'static str,
    /// The arguments after the name, in order, each after a `:`.
    pub args: &'static [Arg],
    /// One line: what is computed, among whom.
    pub doc: &'static str,
    /// The published method the definition follows (empty when none).
    pub source: &'static str,
    /// Computes the statistic on one replicate.
    pub compute: fn(&Replicate<'_>, &Args<'_>) -> Value,
}

impl Statistic {
    /// The form a target writes, with each argument as `<name>`: `hedges_g:<a>:<b>`.
    pub fn usage(&self) -> String {
        let mut s = self.name.replace("{n}", "<n>");
        for a in self.args {
            s.push_str(&format!(":<{}>", a.name));
        }
        s
    }

    /// Whether `name` (without arguments) calls this statistic.
    fn is_called(&self, name: &str) -> bool {
        match self.name.strip_suffix("{n}") {
            Some(prefix) => name.starts_with(prefix),
            None => self.name == name,
        }
    }
}

/// Statistics of one subject, as a file of this module holds them.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// A heading: what the statistics are about.
    pub name: &'static str,
    /// The source file that computes them.
    pub file: &'static str,
    pub statistics: &'static [Statistic],
}

/// The registry: every statistic, by family, in the order the docs list them.
pub const FAMILIES: &[Family] = &[
    outcome::FAMILY,
    dropout::FAMILY,
    dose::FAMILY,
    dose_slope::FAMILY,
    gains::FAMILY,
    alliance::FAMILY,
    rupture::FAMILY,
    therapist::FAMILY,
    feedback::FAMILY,
    judgement::FAMILY,
    traits::FAMILY,
];

/// Every statistic of the registry, in the docs' order.
pub fn all() -> impl Iterator<Item = &'static Statistic> {
    FAMILIES.iter().flat_map(|f| f.statistics)
}

/// The statistic a name (without arguments) calls.
///
/// # Errors
/// [`StatisticError::UnknownStatistic`], with the closest name as a hint.
pub fn find(name: &str) -> Result<&'static Statistic, StatisticError> {
    all()
        .find(|s| s.is_called(name))
        .ok_or_else(|| StatisticError::UnknownStatistic {
            name: name.to_string(),
            hint: closest(name),
        })
}

/// Computes `call` (a statistic's name and its `:`-separated arguments) on one replicate.
///
/// # Errors
/// An unknown statistic, a missing, surplus or bad argument, or an arm the scenario lacks.
pub fn compute(call: &str, r: &Replicate<'_>) -> Value {
    let args = Args::parse(call, r.scenario)?;
    (args.statistic().compute)(r, &args)
}

/// The registry name closest to `name` by edit distance, if close enough to be a typo (at most
/// three edits; digits at the end of `name` stand for `{n}`).
fn closest(name: &str) -> Option<&'static str> {
    let bare = name.trim_end_matches(|c: char| c.is_ascii_digit());
    all()
        .map(|s| {
            let d = match s.name.strip_suffix("{n}") {
                Some(prefix) => edit_distance(bare, prefix),
                None => edit_distance(name, s.name),
            };
            (d, s.name)
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Why a statistic cannot be computed as written.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StatisticError {
    /// No statistic of the registry has this name.
    #[error(
        "unknown statistic `{name}`{} (`bordin experiment --list-statistics` lists them)",
        hint.map_or(String::new(), |h| format!("; did you mean `{h}`?"))
    )]
    UnknownStatistic {
        name: String,
        /// The closest name of the registry, if any is close.
        hint: Option<&'static str>,
    },
    /// An arm argument that names no arm of the scenario.
    #[error("statistic `{call}`: scenario `{scenario}` has no arm `{arm}`")]
    UnknownArm {
        call: String,
        scenario: String,
        arm: String,
    },
    /// Fewer arguments than the statistic takes.
    #[error("statistic `{name}` needs {kind} as argument {position}")]
    MissingArgument {
        name: String,
        /// 1-based.
        position: usize,
        kind: ArgKind,
    },
    /// An argument, or the number in a name, that is not what the statistic takes.
    #[error("statistic `{call}`: `{found}` is not {expected}")]
    BadArgument {
        call: String,
        found: String,
        expected: String,
    },
    /// More arguments than the statistic takes.
    #[error("statistic `{call}` takes {takes} argument(s), found {found}")]
    SurplusArgument {
        call: String,
        takes: usize,
        found: usize,
    },
}

#[cfg(test)]
mod tests;
