//! What researchers see: measured scores, not the latent state.
//!
//! - Symptom scores: latent severity plus measurement error with SD = SEM of the instrument,
//!   rounded to whole points and kept within the scale (M1-M7).
//! - WAI-SR (Hatcher & Gillaspy 2006, AL1): 12 items rated 1-5; Task items 1, 2, 10, 12; Bond 3,
//!   5, 7, 9; Goal 4, 6, 8, 11; rated by patient and therapist, each with a personal leniency, a
//!   session-level and an item-level error. Patients rate high with a ceiling (AL4).
//! - Observer alliance: an observer's mean-item rating on the same 1-5 metric, as a 12-60 total.

use serde::Serialize;

use crate::config::reader::Table;
use crate::model::alliance::Alliance;
use crate::model::instrument::Instrument;
use crate::random::{Slot, WeekDraws};

/// Which alliance component each WAI-SR item measures (items 1..=12).
const WAI_SR_ITEMS: [Component; 12] = [
    Component::Tasks,
    Component::Tasks,
    Component::Bond,
    Component::Goals,
    Component::Bond,
    Component::Goals,
    Component::Bond,
    Component::Goals,
    Component::Bond,
    Component::Tasks,
    Component::Goals,
    Component::Tasks,
];

/// A component of the alliance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Component {
    Bond,
    Goals,
    Tasks,
}

/// Parameters of measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasurementParams {
    pub enabled: bool,
    pub item_noise: f64,
    pub item_specific: f64,
    pub session_noise: f64,
    pub observer_noise: f64,
}

impl MeasurementParams {
    pub fn read(t: &Table<'_>) -> Self {
        MeasurementParams {
            enabled: t.bool("enabled", true, "Measurement error: symptom scores carry error with SD = the instrument's SEM, alliance ratings carry rater leniency and error. Off: scores are the rounded latent values and ratings carry no error or leniency."),
            item_noise: t.f64("item_noise", 0.5, 0.0, 5.0, "SD of the item-level random response error of WAI-SR ratings, drawn afresh at every rating [item points]."),
            item_specific: t.f64("item_specific", 0.6, 0.0, 5.0, "SD of the rater's stable item effects [item points]: how a rater reads an item, the same at every session of the course. It lowers internal consistency but not test-retest reliability (specific-factor error: Schmidt, Le & Ilies 2003)."),
            session_noise: t.f64("session_noise", 0.15, 0.0, 5.0, "SD of a rater's session-level error, shared by the 12 items [item points]."),
            observer_noise: t.f64("observer_noise", 0.25, 0.0, 5.0, "SD of the observer's rating error [item points]."),
        }
    }
}

/// A measured symptom score, from the latent severity and a standard normal error.
pub fn symptom_score(inst: &Instrument, latent: f64, z: f64, m: &MeasurementParams) -> f64 {
    let e = if m.enabled { inst.sem() * z } else { 0.0 };
    (latent + e)
        .round()
        .clamp(inst.min.ceil(), inst.max.floor())
}

/// The 12 WAI-SR items rated by one rater.
///
/// Slots: `session_slot` (the rater's session-level error), then the 12 slots from `items_slot`.
pub fn wai_sr_items(
    a: &Alliance,
    leniency: f64,
    item_effects: &[f64],
    m: &MeasurementParams,
    d: &WeekDraws,
    session_slot: Slot,
    items_slot: Slot,
) -> [u8; 12] {
    let (bias, session) = if m.enabled {
        (leniency, m.session_noise * d.z(session_slot))
    } else {
        (0.0, 0.0)
    };
    let mut out = [0u8; 12];
    for (i, comp) in WAI_SR_ITEMS.iter().enumerate() {
        let level = match comp {
            Component::Bond => a.bond,
            Component::Goals => a.goals,
            Component::Tasks => a.tasks,
        };
        let noise = if m.enabled {
            m.item_noise * d.z_at(items_slot, i) + m.item_specific * item_effects[i]
        } else {
            0.0
        };
        out[i] = (1.0 + 4.0 * level + bias + session + noise)
            .round()
            .clamp(1.0, 5.0) as u8;
    }
    out
}

/// WAI-SR total (12-60).
pub fn wai_total(items: &[u8; 12]) -> u32 {
    items.iter().map(|&x| u32::from(x)).sum()
}

/// The observer's alliance rating as a 12-60 total (12 times a mean item rating, 1 decimal).
///
/// Slot: `WaiObserver`.
pub fn observer_alliance(a: &Alliance, m: &MeasurementParams, d: &WeekDraws) -> f64 {
    let e = if m.enabled {
        m.observer_noise * d.z(Slot::WaiObserver)
    } else {
        0.0
    };
    let item = (1.0 + 4.0 * a.total() + e).clamp(1.0, 5.0);
    (120.0 * item).round() / 10.0
}
