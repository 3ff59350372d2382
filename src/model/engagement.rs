//! Engagement: how a patient's readiness for change turns into work done in therapy.
//!
//! Patients further along the stages of change improve more (Krebs, Norcross, Nicholson &
//! Prochaska 2018, J Clin Psychol 74(11): d = .41 over 76 studies, K7), and the route the
//! literature names is engagement with the tasks of therapy: doing the between-session work
//! predicts outcome (Mausbach, Moore, Roesch, Cardenas & Patterson 2010, Cognit Ther Res 34(5):
//! homework compliance, r = .26; Kazantzis et al. 2016, Behav Ther 47(5)). A motivated patient
//! takes more from each session's common factors and technique; an unmotivated one less, and
//! (in `mechanisms.dropout`) is also likelier to leave.
//!
//! The mechanism reads the patient trait `motivation` (0-1) and multiplies the *benefit* of a
//! session (common factors above the harm threshold, technique): the harm of a poor alliance or
//! of technique pressed on a strained alliance does not depend on how hard the patient works.

use serde::Serialize;

use crate::config::reader::Table;

/// Motivation (0-1) at which engagement is neutral: the mean of the default population's
/// `motivation` (beta(4, 2), mean 2/3). The dropout hazard is centred on it too.
pub const REFERENCE_MOTIVATION: f64 = 0.67;

/// `[mechanisms.engagement]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Engagement {
    pub enabled: bool,
    pub weight: f64,
}

impl Engagement {
    pub fn read(t: &Table<'_>) -> Self {
        Engagement {
            enabled: t.bool("enabled", true, "The patient's `motivation` (readiness for change) scales what each session's common factors and technique achieve: engagement with the tasks of therapy (Krebs et al. 2018, K7; Mausbach et al. 2010). Off: motivation acts only on dropout."),
            weight: t.f64("weight", 1.5, 0.0, 10.0, "Change of a session's benefit per unit of motivation above 0.67, as a share: the benefit is multiplied by max(0, 1 + `weight` (motivation - 0.67))."),
        }
    }

    /// The factor on a session's benefit for a patient with `motivation`.
    pub fn factor(&self, motivation: f64) -> f64 {
        if self.enabled {
            (1.0 + self.weight * (motivation - REFERENCE_MOTIVATION)).max(0.0)
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Engagement {
        Engagement {
            enabled: true,
            weight: 1.5,
        }
    }

    #[test]
    fn motivated_patients_take_more_from_a_session() {
        let e = on();
        assert_eq!(e.factor(REFERENCE_MOTIVATION), 1.0);
        assert!(e.factor(0.9) > 1.0 && e.factor(0.2) < 1.0);
        assert!(e.factor(0.0) >= 0.0);
        let off = Engagement {
            enabled: false,
            ..on()
        };
        assert_eq!(off.factor(0.1), 1.0);
    }
}
