//! Therapists: interpersonal position, facilitative interpersonal skill, attunement, repair
//! skill and flexibility, drawn per pool. Therapist effects on outcome are not set anywhere:
//! they emerge from these traits acting through the alliance (Anderson et al. 2009, T10).

use serde::Serialize;

use crate::config::reader::Table;
use crate::random::distribution::Dist;
use crate::random::{Entity, Purpose, Streams, TraitDraws};

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
    pub warmth: Dist,
    pub dominance: Dist,
    pub fis: Dist,
    pub attunement: Dist,
    pub repair_skill: Dist,
    pub flexibility: Dist,
    pub rating_bias: Dist,
    /// The distributions above, prepared for drawing (in trait order).
    #[serde(skip)]
    pub samplers: Vec<crate::random::distribution::Sampler>,
}

/// One therapist's traits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TherapistTraits {
    /// Affiliation on the interpersonal circumplex, -1 (hostile) to 1 (warm).
    pub warmth: f64,
    /// Control on the circumplex, -1 (submissive) to 1 (dominant).
    pub dominance: f64,
    /// Facilitative interpersonal skill, z-score (Anderson et al. 2009).
    pub fis: f64,
    /// How readily the therapist notices ruptures, 0-1.
    pub attunement: f64,
    /// How readily a noticed rupture is repaired, 0-1.
    pub repair_skill: f64,
    /// Flexibility (1) vs rigid adherence to technique under strain (0) (Castonguay 1996).
    pub flexibility: f64,
    /// The therapist's leniency when rating the alliance, in WAI-SR item points.
    pub rating_bias: f64,
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
    pub fn read(t: &Table<'_>, index: usize) -> TherapistPool {
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
            "Number of therapists in the pool. Caseloads follow from the arm's patients; with >= 100 therapists and >= 20 patients each, therapist effects can be estimated (targets.md conventions).",
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
        let mut pool = TherapistPool {
            samplers: Vec::new(),
            name,
            therapists,
            assignment,
            warmth: t.dist("warmth", Dist::normal(0.45, 0.2, -1.0, 1.0), -1.0, 1.0,
                "Therapist warmth (affiliation on the interpersonal circumplex), -1 hostile to 1 warm. Warmth invites warmth (C1) and raises the alliance ceiling."),
            dominance: t.dist("dominance", Dist::normal(0.15, 0.2, -1.0, 1.0), -1.0, 1.0,
                "Therapist dominance (control on the circumplex), -1 submissive to 1 dominant; dominance invites deference (C1)."),
            fis: t.dist("fis", Dist::normal(0.0, 1.0, -4.0, 4.0), -4.0, 4.0,
                "Facilitative interpersonal skill, z-score: hope, persuasiveness, emotional expression, warmth, empathy, acceptance. Raises the alliance ceiling and repair; the main source of therapist effects (Anderson et al. 2009, T10)."),
            attunement: t.dist("attunement", Dist::Beta { alpha: 5.0, beta: 4.0, min: 0.0, max: 1.0 }, 0.0, 1.0,
                "How readily the therapist notices a rupture, 0-1 (R6, R7)."),
            repair_skill: t.dist("repair_skill", Dist::Beta { alpha: 4.0, beta: 4.0, min: 0.0, max: 1.0 }, 0.0, 1.0,
                "How readily a noticed rupture is repaired, 0-1 (Eubanks et al. 2018, R1)."),
            flexibility: t.dist("flexibility", Dist::Beta { alpha: 4.0, beta: 2.0, min: 0.0, max: 1.0 }, 0.0, 1.0,
                "Flexibility, 0 rigid to 1 flexible: rigid adherence to technique under strain raises ruptures and blunts technique (Castonguay et al. 1996)."),
            rating_bias: t.dist("rating_bias", Dist::normal(0.0, 0.3, -2.0, 2.0), -2.0, 2.0,
                "The therapist's leniency when rating the alliance on the WAI-SR [item points]; therapists rate lower than patients (AL4)."),
        };
        pool.samplers = [
            &pool.warmth,
            &pool.dominance,
            &pool.fis,
            &pool.attunement,
            &pool.repair_skill,
            &pool.flexibility,
            &pool.rating_bias,
        ]
        .map(Dist::sampler)
        .to_vec();
        pool
    }

    /// Draws therapist `index` of pool `pool` in a replicate. Each trait has its own region of
    /// the therapist's trait stream, so changing one distribution moves no other trait.
    pub fn draw(&self, streams: &Streams, replicate: u64, pool: usize, index: u32) -> Therapist {
        let id = ((pool as u64) << 32) | u64::from(index);
        let s = streams.stream(replicate, Entity::Therapist, id, Purpose::Traits, 0);
        let mut t = TraitDraws::new(s);
        let mut draw = |index: usize| self.samplers[index].sample(&mut t.source(index));
        let traits = TherapistTraits {
            warmth: draw(0),
            dominance: draw(1),
            fis: draw(2),
            attunement: draw(3),
            repair_skill: draw(4),
            flexibility: draw(5),
            rating_bias: draw(6),
        };
        Therapist {
            pool,
            index,
            id: format!("{}_{:03}", self.name, index + 1),
            traits,
        }
    }
}
