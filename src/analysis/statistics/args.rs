//! The arguments of a statistic's call (`hedges_g:cbt:controls`), read as the statistic asks for
//! them: each accessor names the argument's position and kind, and turns a missing or bad
//! argument into a [`StatisticError`].

use super::{Arg, ArgKind, Statistic, StatisticError, find};
use crate::model::attendance::Ending;
use crate::model::patient::{PatientTrait, PatientTraits};
use crate::model::therapist::{TherapistTrait, TherapistTraits};
use crate::model::traits::Traits;
use crate::scenario::Scenario;

/// The endings an `ending` argument may name.
pub const ENDINGS: [Ending; 5] = [
    Ending::Completed,
    Ending::GoodEnough,
    Ending::DroppedOut,
    Ending::Stopped,
    Ending::Waitlist,
];

/// An alliance-capacity stratum: patients at or above the replicate's median capacity
/// (`good`), or below it (`poor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stratum {
    Good,
    Poor,
}

/// A parsed call: the statistic, the text after its name, and the scenario its arm arguments
/// name arms of.
#[derive(Debug)]
pub struct Args<'a> {
    call: &'a str,
    name: &'a str,
    statistic: &'static Statistic,
    values: Vec<&'a str>,
    scenario: &'a Scenario,
}

impl<'a> Args<'a> {
    /// Finds the statistic `call` names and splits off its arguments.
    ///
    /// # Errors
    /// An unknown statistic, or more arguments than it takes.
    pub fn parse(call: &'a str, scenario: &'a Scenario) -> Result<Args<'a>, StatisticError> {
        let mut parts = call.split(':');
        let name = parts.next().unwrap_or_default();
        let statistic = find(name)?;
        let values: Vec<&str> = parts.collect();
        if values.len() > statistic.args.len() {
            return Err(StatisticError::SurplusArgument {
                call: call.to_string(),
                takes: statistic.args.len(),
                found: values.len(),
            });
        }
        Ok(Args {
            call,
            name,
            statistic,
            values,
            scenario,
        })
    }

    /// The statistic called.
    pub fn statistic(&self) -> &'static Statistic {
        self.statistic
    }

    /// Argument `i` (0-based), which must be there.
    fn value(&self, i: usize, kind: ArgKind) -> Result<&'a str, StatisticError> {
        self.values
            .get(i)
            .copied()
            .ok_or_else(|| StatisticError::MissingArgument {
                name: self.name.to_string(),
                position: i + 1,
                kind,
            })
    }

    fn bad(&self, found: &str, expected: impl ToString) -> StatisticError {
        StatisticError::BadArgument {
            call: self.call.to_string(),
            found: found.to_string(),
            expected: expected.to_string(),
        }
    }

    /// The index of the arm argument `i` names.
    pub fn arm(&self, i: usize) -> Result<usize, StatisticError> {
        self.arm_named(self.value(i, ArgKind::Arm)?)
    }

    fn arm_named(&self, n: &str) -> Result<usize, StatisticError> {
        self.scenario
            .arms
            .iter()
            .position(|a| a.name == n)
            .ok_or_else(|| StatisticError::UnknownArm {
                call: self.call.to_string(),
                scenario: self.scenario.name.clone(),
                arm: n.to_string(),
            })
    }

    /// The arm argument `i` names, or `None` for `controls` (every other arm).
    pub fn arm_or_controls(&self, i: usize) -> Result<Option<usize>, StatisticError> {
        match self.value(i, ArgKind::ArmOrControls)? {
            "controls" => Ok(None),
            n => self.arm_named(n).map(Some),
        }
    }

    /// The stratum argument `i` names.
    pub fn stratum(&self, i: usize) -> Result<Stratum, StatisticError> {
        match self.value(i, ArgKind::Stratum)? {
            "good" => Ok(Stratum::Good),
            "poor" => Ok(Stratum::Poor),
            other => Err(self.bad(other, ArgKind::Stratum)),
        }
    }

    /// The ending argument `i` names.
    pub fn ending(&self, i: usize) -> Result<Ending, StatisticError> {
        let e = self.value(i, ArgKind::Ending)?;
        ENDINGS
            .into_iter()
            .find(|x| x.as_str() == e)
            .ok_or_else(|| self.bad(e, ArgKind::Ending))
    }

    /// The patient trait argument `i` names.
    pub fn patient_trait(&self, i: usize) -> Result<PatientTrait, StatisticError> {
        self.trait_named::<PatientTraits>(i, ArgKind::PatientTrait)
    }

    /// The therapist trait argument `i` names.
    pub fn therapist_trait(&self, i: usize) -> Result<TherapistTrait, StatisticError> {
        self.trait_named::<TherapistTraits>(i, ArgKind::TherapistTrait)
    }

    fn trait_named<T: Traits>(&self, i: usize, kind: ArgKind) -> Result<T::Id, StatisticError> {
        let key = self.value(i, kind)?;
        T::DECLS
            .iter()
            .find(|d| d.key == key)
            .map(|d| d.id)
            .ok_or_else(|| self.bad(key, kind))
    }

    /// The number written into the name where the registry's name has `{n}`.
    pub fn number(&self) -> Result<usize, StatisticError> {
        let prefix = self.statistic.name.trim_end_matches("{n}");
        let digits = &self.name[prefix.len()..];
        digits
            .parse()
            .map_err(|_| self.bad(digits, "a session number"))
    }
}

/// The argument list of a statistic of one arm.
pub const ONE_ARM: &[Arg] = &[Arg {
    name: "arm",
    kind: ArgKind::Arm,
}];

/// The argument list of a contrast of arm `a` with arm `b`.
pub const TWO_ARMS: &[Arg] = &[
    Arg {
        name: "a",
        kind: ArgKind::Arm,
    },
    Arg {
        name: "b",
        kind: ArgKind::Arm,
    },
];

/// The argument list of a statistic of one patient trait.
pub const PATIENT_TRAIT: &[Arg] = &[Arg {
    name: "trait",
    kind: ArgKind::PatientTrait,
}];

/// The argument list of a statistic of one therapist trait.
pub const THERAPIST_TRAIT: &[Arg] = &[Arg {
    name: "trait",
    kind: ArgKind::TherapistTrait,
}];

/// The scenario keys of an agent's traits, each in backticks, comma-separated.
pub fn keys<T: Traits>() -> String {
    T::DECLS
        .iter()
        .map(|d| format!("`{}`", d.key))
        .collect::<Vec<_>>()
        .join(", ")
}
