//! Therapists: interpersonal position, facilitative interpersonal skill, attunement, repair
//! skill and flexibility, drawn per pool. Therapist effects on outcome are not set anywhere:
//! they emerge from these traits acting through the alliance (Anderson et al. 2009, T10).

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::instrument::Instrument;
use crate::model::traits::{Range, Shape, TraitDists, declare_traits};
use crate::random::{Entity, Purpose, Streams};

declare_traits! {
    /// One therapist's traits.
    pub struct TherapistTraits;
    /// A therapist trait.
    pub enum TherapistTrait;
    relative_keys: &[];

    warmth / Warmth {
        range: Range::Between(-1.0, 1.0),
        default: Shape::Normal { mean: 0.45, sd: 0.2 },
        words: Some("warmth"),
        doc: "Therapist warmth (affiliation on the interpersonal circumplex), -1 hostile to 1 warm. Warmth invites warmth (C1) and raises the alliance ceiling.",
    }
    dominance / Dominance {
        range: Range::Between(-1.0, 1.0),
        default: Shape::Normal { mean: 0.15, sd: 0.2 },
        words: Some("dominance"),
        doc: "Therapist dominance (control on the circumplex), -1 submissive to 1 dominant; dominance invites deference (C1).",
    }
    fis / Fis {
        range: Range::Between(-4.0, 4.0),
        default: Shape::Normal { mean: 0.0, sd: 1.0 },
        words: Some("FIS"),
        doc: "Facilitative interpersonal skill, z-score: hope, persuasiveness, emotional expression, warmth, empathy, acceptance. Raises the alliance ceiling and repair; the main source of therapist effects (Anderson et al. 2009, T10).",
    }
    attunement / Attunement {
        range: Range::Between(0.0, 1.0),
        default: Shape::Beta { alpha: 5.0, beta: 4.0 },
        words: Some("attunement"),
        doc: "How readily the therapist notices a rupture, 0-1 (R6, R7).",
    }
    repair_skill / RepairSkill {
        range: Range::Between(0.0, 1.0),
        default: Shape::Beta { alpha: 4.0, beta: 4.0 },
        words: Some("repair skill"),
        doc: "How readily a noticed rupture is repaired, 0-1 (Eubanks et al. 2018, R1).",
    }
    flexibility / Flexibility {
        range: Range::Between(0.0, 1.0),
        default: Shape::Beta { alpha: 4.0, beta: 2.0 },
        words: Some("flexibility"),
        doc: "Flexibility, 0 rigid to 1 flexible: rigid adherence to technique under strain raises ruptures and blunts technique (Castonguay et al. 1996).",
    }
    rating_bias / RatingBias {
        range: Range::Between(-2.0, 2.0),
        default: Shape::Normal { mean: 0.0, sd: 0.3 },
        words: Some("rating bias"),
        doc: "The therapist's leniency when rating the alliance on the WAI-SR [item points]; a model assumption: therapists rate the alliance lower than patients do.",
    }
    retention / Retention {
        range: Range::Between(-4.0, 4.0),
        default: Shape::Normal { mean: 0.0, sd: 1.0 },
        words: Some("retention practice"),
        doc: "How well the therapist keeps patients in therapy beyond the alliance, z-score: preparing them for it, agreeing its length, following up a missed session (Swift et al. 2012). Lowers the dropout hazard (`dropout.therapist_weight`): therapists differ in dropout (K15) independently of their outcomes (Saxon et al. 2017).",
    }
}

/// How patients of an arm are spread over the pool's therapists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Caseloads differ by at most one patient (who gets the extra one is random).
    Balanced,
    /// Each patient goes to a therapist drawn at random: caseloads vary as in naturalistic data.
    Random,
}

/// A pool of therapists with trait distributions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TherapistPool {
    pub name: String,
    /// Number of therapists in the pool (per replicate).
    pub therapists: u32,
    pub assignment: Assignment,
    /// The distributions of the therapists' traits.
    #[serde(flatten)]
    pub traits: TraitDists<TherapistTraits>,
}

/// A therapist of a replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Therapist {
    /// Index of the pool.
    pub pool: usize,
    /// Index within the pool.
    pub index: u32,
    /// Identifier unique within a replicate, `pool name` + index, e.g. `clinic_007`.
    pub id: String,
    pub traits: TherapistTraits,
}

impl TherapistPool {
    /// Reads one `[[therapist_pools]]` table.
    pub fn read(t: &Table<'_>, index: usize, instrument: &Instrument) -> TherapistPool {
        let default_name = if index == 0 {
            "clinic".to_string()
        } else {
            format!("pool{}", index + 1)
        };
        let name = t.name(
            "name",
            &default_name,
            "Name of the pool; arms refer to it by `pool`.",
        );
        let therapists = t.int(
            "therapists",
            100,
            1,
            1_000_000,
            "Number of therapists in the pool. Caseloads follow from the arm's patients; with >= 100 therapists and >= 20 patients each, therapist effects can be estimated (docs/findings.md, conventions).",
        ) as u32;
        let assignment = match t.choice(
            "assignment",
            "balanced",
            &["balanced", "random"],
            "How patients are spread over therapists: `balanced` caseloads (differ by at most one) or `random` (each patient to a random therapist; unequal caseloads as in routine care).",
        ) {
            "random" => Assignment::Random,
            _ => Assignment::Balanced,
        };
        TherapistPool {
            name,
            therapists,
            assignment,
            traits: TraitDists::read(t, instrument),
        }
    }

    /// Draws therapist `index` of pool `pool` in a replicate. Each trait has its own region of
    /// the therapist's trait stream, so changing one distribution moves no other trait.
    pub fn draw(&self, streams: &Streams, replicate: u64, pool: usize, index: u32) -> Therapist {
        let id = ((pool as u64) << 32) | u64::from(index);
        let s = streams.stream(replicate, Entity::Therapist, id, Purpose::Traits, 0);
        Therapist {
            pool,
            index,
            id: format!("{}_{:03}", self.name, index + 1),
            traits: self.traits.draw(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_are_well_declared() {
        crate::model::traits::assert_well_declared::<TherapistTraits>();
    }
}
