//! Mistrust: how a patient's suspiciousness turns a poor alliance into harm.
//!
//! In early psychosis, sessions with a therapist the patient does not trust do harm: with a poor
//! alliance, each further session of therapy worsened PANSS (Goldsmith, Lewis, Dunn & Bentall
//! 2015, G1), while in routine outpatient care a poor alliance mostly fails to help. Goldsmith et
//! al. explain it by the content of psychosis: a patient with persecutory beliefs reads a strained
//! relationship as threat, so contact with a distrusted helper feeds suspicion. Mistrust and
//! persecutory ideation are common in first-episode psychosis and rare, but present, in
//! non-psychotic outpatients (Freeman et al. 2005, Br J Psychiatry 186: paranoid thoughts on a
//! continuum in the general population; Freeman 2016, Lancet Psychiatry 3: persecutory
//! delusions as threat beliefs maintained by mistrust).
//!
//! The mechanism reads the patient trait `mistrust` (0-1) and steepens the slope of the
//! common-factor harm below the harm threshold ([`crate::model::symptoms::CommonFactor`]); the
//! benefit of a good alliance is unchanged. What differs between a counselling service and an
//! early-psychosis service is then who is treated (their mistrust), not a mechanism constant.

use serde::Serialize;

use crate::config::reader::Table;

/// `[mechanisms.mistrust]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mistrust {
    pub enabled: bool,
    pub harm_weight: f64,
}

impl Mistrust {
    pub fn read(t: &Table<'_>) -> Self {
        Mistrust {
            enabled: t.bool("enabled", true, "The patient's `mistrust` makes a poor alliance harmful (Goldsmith et al. 2015, G1; Freeman 2016). Off: mistrust changes nothing, and a poor alliance harms every patient alike."),
            harm_weight: t.f64("harm_weight", 7.0, 0.0, 50.0, "Added slope of the harm of a poor alliance per unit of mistrust: the harm slope is `common_factor.harm_multiplier` times (1 + `harm_weight` times mistrust)."),
        }
    }

    /// The factor on the slope of a poor alliance's harm for a patient with `mistrust`.
    pub fn harm_factor(&self, mistrust: f64) -> f64 {
        if self.enabled {
            1.0 + self.harm_weight * mistrust
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Mistrust {
        Mistrust {
            enabled: true,
            harm_weight: 6.0,
        }
    }

    #[test]
    fn mistrust_steepens_harm() {
        let m = on();
        assert_eq!(m.harm_factor(0.0), 1.0);
        assert!(m.harm_factor(0.8) > m.harm_factor(0.2));
        let off = Mistrust {
            enabled: false,
            ..on()
        };
        assert_eq!(off.harm_factor(0.9), 1.0);
    }
}
