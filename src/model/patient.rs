//! Patients: intake severity and natural course, interpersonal style and distress, attachment,
//! trait-like alliance capacity, expectancy and motivation, rupture sensitivity and style, and
//! treatment preference, drawn per population.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::instrument::Instrument;
use crate::model::traits::{Range, RelativeKey, Shape, TraitDists, declare_traits};
use crate::random::distribution::Dist;
use crate::random::{Entity, Purpose, Streams};

/// A beta on [0, 1].
const fn unit(alpha: f64, beta: f64) -> Shape {
    Shape::Beta { alpha, beta }
}

/// Range of traits on [0, 1].
const UNIT: Range = Range::Between(0.0, 1.0);

declare_traits! {
    /// One patient's traits.
    pub struct PatientTraits;
    /// A patient trait.
    pub enum PatientTrait;
    relative_keys: &[INTAKE_SEVERITY_SD];

    intake_severity / IntakeSeverity {
        range: Range::Instrument,
        default: Shape::TypicalIntake,
        words: Some("latent intake severity"),
        doc: "Latent symptom severity at intake [instrument points]. Default per instrument: typical outpatient intake (PHQ-9 16, SD 5: M2, M7); observed scores add measurement error.",
    }
    set_point / SetPoint {
        range: Range::Between(0.0, 2.0),
        default: Shape::Normal { mean: 0.75, sd: 0.45 },
        words: Some("set point"),
        doc: "Personal set point of the natural course, as a share of intake severity above the functional mean (`instrument.functional_mean`): the natural course drifts towards it (regression to a personal level; the extratherapeutic share of change). Below 1: spontaneous improvement; above 1: a worsening course.",
    }
    warmth / Warmth {
        range: Range::Between(-1.0, 1.0),
        default: Shape::Normal { mean: 0.1, sd: 0.35 },
        words: Some("warmth"),
        doc: "Patient warmth (affiliation on the interpersonal circumplex), -1 to 1.",
    }
    dominance / Dominance {
        range: Range::Between(-1.0, 1.0),
        default: Shape::Normal { mean: 0.0, sd: 0.35 },
        words: Some("dominance"),
        doc: "Patient dominance (control on the circumplex), -1 to 1.",
    }
    interpersonal_distress / InterpersonalDistress {
        range: UNIT,
        default: unit(2.0, 3.0),
        words: Some("interpersonal distress"),
        doc: "Interpersonal distress, 0-1: lowers the alliance ceiling (W5, K10). It does not change the within-patient alliance-symptom link, which W1 finds stronger in patients with personality problems.",
    }
    attachment_anxiety / AttachmentAnxiety {
        range: UNIT,
        default: unit(2.0, 3.0),
        words: Some("attachment anxiety"),
        doc: "Attachment anxiety, 0-1: lowers the bond's ceiling and raises the rupture hazard (K1), and raises the set point of the natural course (`mechanisms.attachment`, K3). The type of a rupture follows `withdrawal_tendency` alone.",
    }
    attachment_avoidance / AttachmentAvoidance {
        range: UNIT,
        default: unit(2.0, 3.0),
        words: Some("attachment avoidance"),
        doc: "Attachment avoidance, 0-1: lowers the ceiling the bond grows towards (K2, K4; the type of a rupture follows `withdrawal_tendency` alone).",
    }
    alliance_capacity / AllianceCapacity {
        range: Range::Between(-4.0, 4.0),
        default: Shape::Normal { mean: 0.0, sd: 1.0 },
        words: Some("alliance capacity"),
        doc: "Trait-like alliance capacity, z-score: readiness to collaborate and bond with anyone (Zilcha-Mano 2017, W5).",
    }
    expectancy / Expectancy {
        range: UNIT,
        default: unit(3.0, 2.0),
        words: Some("expectancy"),
        doc: "Expectancy and hope, 0-1: improvement between booking and the first session and early in therapy (D3; Wampold 1997, as cited by Gurton 2015), a higher starting alliance (K6) and more benefit from each session's relationship (`expectancy.benefit_weight`, K5).",
    }
    motivation / Motivation {
        range: UNIT,
        default: unit(4.0, 2.0),
        words: Some("motivation"),
        doc: "Motivation (readiness for change), 0-1: engagement with the work of therapy (`mechanisms.engagement`, K7), readier agreement on goals and tasks (K9); low motivation raises dropout (K8).",
    }
    rupture_sensitivity / RuptureSensitivity {
        range: UNIT,
        default: unit(2.0, 3.0),
        words: Some("rupture sensitivity"),
        doc: "Rupture sensitivity, 0-1: raises rupture hazard and severity.",
    }
    withdrawal_tendency / WithdrawalTendency {
        range: UNIT,
        default: unit(7.0, 3.0),
        words: Some("withdrawal tendency"),
        doc: "Probability that a rupture is a withdrawal rather than a confrontation (withdrawal is more common: R8).",
    }
    preference / Preference {
        range: UNIT,
        default: unit(2.0, 2.0),
        words: Some("preference"),
        doc: "Preferred degree of structure, 0-1; agreement on goals and tasks is easier when the arm's `structure` fits it.",
    }
    rating_bias / RatingBias {
        range: Range::Between(-2.0, 2.0),
        default: Shape::Normal { mean: 0.55, sd: 0.5 },
        words: Some("rating bias"),
        doc: "The patient's leniency when rating the alliance [WAI-SR item points]: patients rate the alliance high, near the ceiling (AL4).",
    }
    responsiveness / Responsiveness {
        range: Range::Between(0.0, 10.0),
        default: Shape::Lognormal { meanlog: -0.08, sdlog: 0.4 },
        words: None,
        doc: "How strongly symptoms respond to therapy: a multiplier of the common-factor (benefit and harm), technique and sudden-gain effects of each session, mean about 1. Heterogeneity of response beyond the alliance, motivation and expectancy (which `mechanisms.engagement` and `mechanisms.expectancy` model): early responders and sudden gainers end better (E1, S4) and the dose-effect curve flattens (D1-D2). `fixed(1.0)` removes it.",
    }
    mistrust / Mistrust {
        range: UNIT,
        default: unit(1.0, 19.0),
        words: Some("mistrust"),
        doc: "Mistrust and suspiciousness of others, 0-1 (paranoid ideation on a continuum: Freeman et al. 2005): with a poor alliance, sessions harm a mistrustful patient more (`mechanisms.mistrust`; early psychosis, G1). Rare in outpatients by default (beta(1, 19), mean .05).",
    }
    expected_sessions / ExpectedSessions {
        range: Range::Between(1.0, 200.0),
        default: Shape::Lognormal { meanlog: 1.5, sdlog: 0.8 },
        words: Some("expected sessions"),
        doc: "Number of sessions the patient expects therapy to take, before the service says anything: most outpatients expect ten or fewer (Garfield 1994; Pekarik & Wierzbicki 1986). Default median 6, 80% at 10 or fewer. Once reached, the patient is more likely to stop (`mechanisms.duration_expectation`), unless the course is agreed at the start (`design.duration_agreed`).",
    }
}

/// Intake severity in SDs of the instrument (`instrument.sd`) above the population's mean
/// intake severity: a derived value, not a sampled trait (`bordin trace` and the archetypes).
const INTAKE_SEVERITY_SD: RelativeKey<PatientTrait> = RelativeKey {
    key: "intake_severity_sd",
    sets: PatientTrait::IntakeSeverity,
    range: (-4.0, 4.0),
    doc: "intake severity in instrument SDs above the population mean",
    value: intake_severity_from_sd,
};

fn intake_severity_from_sd(sds: f64, dist: &Dist, inst: &Instrument) -> f64 {
    (dist.nominal_mean() + sds * inst.sd).clamp(inst.min, inst.max)
}

/// A population of patients referred to the service, with trait distributions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Population {
    pub name: String,
    /// Relative share of referrals from this population.
    pub share: f64,
    /// The distributions of the patients' traits.
    #[serde(flatten)]
    pub traits: TraitDists<PatientTraits>,
}

/// A patient of a replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Patient {
    /// Index within the replicate.
    pub index: u64,
    /// Index of the population.
    pub population: usize,
    pub traits: PatientTraits,
}

impl Population {
    /// Reads one `[[populations]]` table.
    pub fn read(t: &Table<'_>, index: usize, instrument: &Instrument) -> Population {
        let default_name = if index == 0 {
            "outpatients".to_string()
        } else {
            format!("population{}", index + 1)
        };
        Population {
            name: t.name("name", &default_name, "Name of the population."),
            share: t.f64(
                "share",
                1.0,
                1e-9,
                1e9,
                "Relative share of referrals from this population (shares are normalised).",
            ),
            traits: TraitDists::read(t, instrument),
        }
    }

    /// Draws the traits of a patient of this population.
    pub fn draw(
        &self,
        streams: &Streams,
        replicate: u64,
        index: u64,
        population: usize,
    ) -> Patient {
        let s = streams.stream(replicate, Entity::Patient, index, Purpose::Traits, 0);
        Patient {
            index,
            population,
            traits: self.traits.draw(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_are_well_declared() {
        crate::model::traits::assert_well_declared::<PatientTraits>();
    }
}
