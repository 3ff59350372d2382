//! The trait keys `bordin trace` takes (`--therapist`/`--patient` values and archetype files):
//! each declared trait of the role ([`crate::model::traits`]), followed by the keys relative
//! to it, with their ranges.

use crate::config::reader::did_you_mean;
use crate::error::DyadProblem;
use crate::model::instrument::Instrument;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::model::traits::{Range, RelativeKey, TraitDecl, TraitId, Traits};

/// Whose traits an archetype or a trait list sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Therapist,
    Patient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Therapist => "therapist",
            Role::Patient => "patient",
        }
    }
}

/// The traits of one role.
pub(super) trait RoleTraits: Traits {
    const ROLE: Role;
}

impl RoleTraits for TherapistTraits {
    const ROLE: Role = Role::Therapist;
}

impl RoleTraits for PatientTraits {
    const ROLE: Role = Role::Patient;
}

/// A key of trait values: a declared trait, or a key relative to one.
#[derive(Clone, Copy, Debug)]
pub(super) enum TraitKey<Id: 'static> {
    Trait(&'static TraitDecl<Id>),
    Relative(&'static RelativeKey<Id>),
}

impl<Id: TraitId> TraitKey<Id> {
    fn name(self) -> &'static str {
        match self {
            TraitKey::Trait(d) => d.key,
            TraitKey::Relative(r) => r.key,
        }
    }

    /// Valid values. A trait in instrument points takes the instrument's range; without an
    /// instrument (archetype files) it is not bounded.
    fn bounds(self, inst: Option<&Instrument>) -> (f64, f64) {
        match (self, inst) {
            (TraitKey::Trait(d), Some(inst)) => d.range.bounds(inst),
            (TraitKey::Trait(d), None) => match d.range {
                Range::Between(lo, hi) => (lo, hi),
                Range::Instrument => (f64::NEG_INFINITY, f64::INFINITY),
            },
            (TraitKey::Relative(r), _) => r.range,
        }
    }

    /// How `--list` shows the key and its range.
    pub fn listed(self) -> String {
        match self {
            TraitKey::Trait(d) if d.range == Range::Instrument => {
                format!("{} [instrument range]", d.key)
            }
            _ => {
                let (lo, hi) = self.bounds(None);
                format!("{} [{lo}, {hi}]", self.name())
            }
        }
    }
}

/// Every key of a role: each trait in declaration order, followed by the keys relative to it.
pub(super) fn keys<S: Traits>() -> impl Iterator<Item = TraitKey<S::Id>> {
    S::DECLS.iter().flat_map(|d| {
        std::iter::once(TraitKey::Trait(d)).chain(
            S::RELATIVE_KEYS
                .iter()
                .filter(move |r| r.sets == d.id)
                .map(TraitKey::Relative),
        )
    })
}

/// Finds a key and checks its value; `instrument` gives the range of traits in instrument
/// points.
///
/// # Errors
/// [`DyadProblem::UnknownTrait`] (with a did-you-mean) or [`DyadProblem::OutOfRange`].
pub(super) fn check<S: RoleTraits>(
    key: &str,
    value: f64,
    instrument: Option<&Instrument>,
) -> Result<TraitKey<S::Id>, DyadProblem> {
    let role = S::ROLE.as_str();
    let Some(k) = keys::<S>().find(|k| k.name() == key) else {
        return Err(DyadProblem::UnknownTrait {
            role,
            key: key.to_string(),
            suggestion: did_you_mean(key, keys::<S>().map(TraitKey::name)).map(String::from),
            known: keys::<S>().map(TraitKey::name).collect(),
        });
    };
    let (lo, hi) = k.bounds(instrument);
    if !value.is_finite() || value < lo || value > hi {
        return Err(DyadProblem::OutOfRange {
            role,
            key: key.to_string(),
            value,
            lo,
            hi,
        });
    }
    Ok(k)
}

/// Checks a trait key and value of an archetype file (no instrument: a trait in instrument
/// points is not bounded).
pub(super) fn check_archetype_trait(role: Role, key: &str, value: f64) -> Result<(), String> {
    let checked = match role {
        Role::Therapist => check::<TherapistTraits>(key, value, None).map(drop),
        Role::Patient => check::<PatientTraits>(key, value, None).map(drop),
    };
    checked.map_err(|e| e.to_string())
}
