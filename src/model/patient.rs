//! Patients: intake severity and natural course, interpersonal style and distress, attachment,
//! trait-like alliance capacity, expectancy and motivation, rupture sensitivity and style, and
//! treatment preference, drawn per population.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::instrument::Instrument;
use crate::random::distribution::Dist;
use crate::random::{Entity, Purpose, Streams, TraitDraws};

/// A population of patients referred to the service, with trait distributions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Population {
    pub name: String,
    /// Relative share of referrals from this population.
    pub share: f64,
    pub intake_severity: Dist,
    pub set_point: Dist,
    pub warmth: Dist,
    pub dominance: Dist,
    pub interpersonal_distress: Dist,
    pub attachment_anxiety: Dist,
    pub attachment_avoidance: Dist,
    pub alliance_capacity: Dist,
    pub expectancy: Dist,
    pub motivation: Dist,
    pub rupture_sensitivity: Dist,
    pub withdrawal_tendency: Dist,
    pub preference: Dist,
    pub rating_bias: Dist,
    pub responsiveness: Dist,
    /// The distributions above, prepared for drawing (in trait order).
    #[serde(skip)]
    pub samplers: Vec<crate::random::distribution::Sampler>,
}

/// One patient's traits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatientTraits {
    /// Latent symptom severity at intake [instrument points].
    pub intake_severity: f64,
    /// Personal set point of the natural course, as a share of intake severity above the
    /// functional mean (below 1: spontaneous improvement; above 1: a worsening course).
    pub set_point: f64,
    pub warmth: f64,
    pub dominance: f64,
    pub interpersonal_distress: f64,
    pub attachment_anxiety: f64,
    pub attachment_avoidance: f64,
    /// Trait-like capacity to form an alliance with anyone, z-score (Zilcha-Mano 2017).
    pub alliance_capacity: f64,
    pub expectancy: f64,
    pub motivation: f64,
    pub rupture_sensitivity: f64,
    /// Probability that a rupture takes the form of withdrawal rather than confrontation.
    pub withdrawal_tendency: f64,
    /// Preferred degree of structure in treatment, 0-1; fit with an arm's structure eases
    /// agreement on goals and tasks.
    pub preference: f64,
    /// The patient's leniency when rating the alliance [WAI-SR item points].
    pub rating_bias: f64,
    /// How strongly the patient's symptoms respond to what happens in sessions (a multiplier of
    /// the common-factor, technique and sudden-gain effects, mean about 1): heterogeneity of
    /// treatment response beyond the alliance (chronicity, comorbidity, biology). Early
    /// responders and sudden gainers are more often responsive patients, so they end better
    /// (Beard & Delgadillo 2019, E1; Aderka et al. 2012, S4), and the dose-effect curve
    /// flattens as responsive patients leave improved (Howard et al. 1986, D1-D2).
    pub responsiveness: f64,
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
        let (m, s) = instrument.typical_intake();
        let (lo, hi) = (instrument.min, instrument.max);
        let unit = |a: f64, b: f64| Dist::Beta {
            alpha: a,
            beta: b,
            min: 0.0,
            max: 1.0,
        };
        let mut population = Population {
            samplers: Vec::new(),
            name: t.name("name", &default_name, "Name of the population."),
            share: t.f64("share", 1.0, 1e-9, 1e9, "Relative share of referrals from this population (shares are normalised)."),
            intake_severity: t.dist("intake_severity", Dist::normal(m, s, lo, hi), lo, hi,
                "Latent symptom severity at intake [instrument points]. Default per instrument: typical outpatient intake (PHQ-9 16, SD 5: M2, M7); observed scores add measurement error."),
            set_point: t.dist("set_point", Dist::normal(0.75, 0.45, 0.0, 2.0), 0.0, 2.0,
                "Personal set point of the natural course, as a share of intake severity above the functional mean (`instrument.functional_mean`): the natural course drifts towards it (regression to a personal level; the extratherapeutic share of change). Below 1: spontaneous improvement; above 1: a worsening course."),
            warmth: t.dist("warmth", Dist::normal(0.1, 0.35, -1.0, 1.0), -1.0, 1.0,
                "Patient warmth (affiliation on the interpersonal circumplex), -1 to 1."),
            dominance: t.dist("dominance", Dist::normal(0.0, 0.35, -1.0, 1.0), -1.0, 1.0,
                "Patient dominance (control on the circumplex), -1 to 1."),
            interpersonal_distress: t.dist("interpersonal_distress", unit(2.0, 3.0), 0.0, 1.0,
                "Interpersonal distress, 0-1: lowers the alliance ceiling and strengthens the within-patient alliance-symptom link (W1, W5)."),
            attachment_anxiety: t.dist("attachment_anxiety", unit(2.0, 3.0), 0.0, 1.0,
                "Attachment anxiety, 0-1: raises rupture hazard and the share of confrontation ruptures."),
            attachment_avoidance: t.dist("attachment_avoidance", unit(2.0, 3.0), 0.0, 1.0,
                "Attachment avoidance, 0-1: slows bonding and raises the share of withdrawal ruptures."),
            alliance_capacity: t.dist("alliance_capacity", Dist::normal(0.0, 1.0, -4.0, 4.0), -4.0, 4.0,
                "Trait-like alliance capacity, z-score: readiness to collaborate and bond with anyone (Zilcha-Mano 2017, W5)."),
            expectancy: t.dist("expectancy", unit(3.0, 2.0), 0.0, 1.0,
                "Expectancy and hope, 0-1: improvement between booking and the first session and early in therapy (D3; Wampold 1997 in the seeds)."),
            motivation: t.dist("motivation", unit(4.0, 2.0), 0.0, 1.0,
                "Motivation, 0-1: low motivation raises dropout (P4)."),
            rupture_sensitivity: t.dist("rupture_sensitivity", unit(2.0, 3.0), 0.0, 1.0,
                "Rupture sensitivity, 0-1: raises rupture hazard and severity."),
            withdrawal_tendency: t.dist("withdrawal_tendency", unit(7.0, 3.0), 0.0, 1.0,
                "Probability that a rupture is a withdrawal rather than a confrontation (withdrawal is more common: R8)."),
            preference: t.dist("preference", unit(2.0, 2.0), 0.0, 1.0,
                "Preferred degree of structure, 0-1; agreement on goals and tasks is easier when the arm's `structure` fits it."),
            rating_bias: t.dist("rating_bias", Dist::normal(0.55, 0.5, -2.0, 2.0), -2.0, 2.0,
                "The patient's leniency when rating the alliance [WAI-SR item points]: patients rate the alliance high, near the ceiling (AL4)."),
            responsiveness: t.dist("responsiveness", Dist::Lognormal { meanlog: -0.125, sdlog: 0.5, min: 0.0, max: 10.0 }, 0.0, 10.0,
                "How strongly symptoms respond to therapy: a multiplier of the common-factor (benefit and harm), technique and sudden-gain effects of each session, mean about 1. Heterogeneity of response beyond the alliance: early responders and sudden gainers end better (E1, S4) and the dose-effect curve flattens (D1-D2). `fixed(1.0)` removes it."),
        };
        t.mark_derived(&["intake_severity"]);
        let p = &population;
        population.samplers = [
            &p.intake_severity,
            &p.set_point,
            &p.warmth,
            &p.dominance,
            &p.interpersonal_distress,
            &p.attachment_anxiety,
            &p.attachment_avoidance,
            &p.alliance_capacity,
            &p.expectancy,
            &p.motivation,
            &p.rupture_sensitivity,
            &p.withdrawal_tendency,
            &p.preference,
            &p.rating_bias,
            &p.responsiveness,
        ]
        .map(Dist::sampler)
        .to_vec();
        population
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
        let mut t = TraitDraws::new(s);
        let mut draw = |index: usize| self.samplers[index].sample(&mut t.source(index));
        let traits = PatientTraits {
            intake_severity: draw(0),
            set_point: draw(1),
            warmth: draw(2),
            dominance: draw(3),
            interpersonal_distress: draw(4),
            attachment_anxiety: draw(5),
            attachment_avoidance: draw(6),
            alliance_capacity: draw(7),
            expectancy: draw(8),
            motivation: draw(9),
            rupture_sensitivity: draw(10),
            withdrawal_tendency: draw(11),
            preference: draw(12),
            rating_bias: draw(13),
            responsiveness: draw(14),
        };
        Patient {
            index,
            population,
            traits,
        }
    }
}
