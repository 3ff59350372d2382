//! Attachment anxiety as a vulnerability of the course of symptoms.
//!
//! Pre-treatment attachment anxiety predicts a poorer outcome of psychotherapy, avoidance a
//! weaker one, security a better one (Levy, Kivity, Johnson & Gooch 2018, J Clin Psychol 74(11),
//! K3-K4), and only part of it runs through the alliance, which insecure patients form less
//! well (Diener & Monroe 2011, Psychotherapy 48(3); Bernecker, Levy & Ellison 2014, Psychother
//! Res 24(1): K1-K2): insecure attachment is a general vulnerability to psychopathology and to
//! its persistence (Mikulincer & Shaver 2016, *Attachment in Adulthood*, 2nd ed., ch. 12),
//! hyperactivated anxiety most (poor regulation of distress, rumination).
//!
//! The mechanism moves the personal set point of the natural course (the level the patient's
//! symptoms drift towards outside therapy, [`crate::model::patient`]'s `set_point`) up with
//! attachment anxiety: an anxious patient's symptoms remit less on their own and what therapy
//! achieves is worn down more. Avoidance has no such part: its relation to outcome is null in
//! Levy et al. 2011 (d = -.01) and weak in 2018, and what it has runs through the weaker bond it
//! forms. The alliance and rupture parts of attachment live in their own mechanisms
//! (`alliance.avoidance_weight`, `alliance.anxiety_weight`, `ruptures.anxiety_weight`).

use serde::Serialize;

use crate::config::reader::Table;

/// Attachment anxiety and avoidance (0-1) at which the vulnerability is neutral: the mean of
/// the default population's beta(2, 3).
pub const REFERENCE_ATTACHMENT: f64 = 0.4;

/// `[mechanisms.attachment]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attachment {
    pub enabled: bool,
    pub anxiety_weight: f64,
}

impl Attachment {
    pub fn read(t: &Table<'_>) -> Self {
        Attachment {
            enabled: t.bool("enabled", true, "Attachment anxiety raises the personal set point of the natural course: anxious patients remit less on their own (Levy et al. 2011, 2018: K3; Mikulincer & Shaver 2016). Off: attachment acts only on the bond and on ruptures."),
            anxiety_weight: t.f64("anxiety_weight", 1.0, 0.0, 10.0, "Added to the patient's `set_point` per unit of attachment anxiety above 0.4."),
        }
    }

    /// The set point share (of intake severity above the functional mean) of a patient with
    /// the trait `set_point` and attachment `anxiety`: the trait plus the vulnerability of
    /// attachment anxiety, at least 0.
    pub fn set_point(&self, set_point: f64, anxiety: f64) -> f64 {
        if !self.enabled {
            return set_point;
        }
        (set_point + self.anxiety_weight * (anxiety - REFERENCE_ATTACHMENT)).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_attachment_raises_the_set_point() {
        let a = Attachment {
            enabled: true,
            anxiety_weight: 1.0,
        };
        let (secure, anxious) = (a.set_point(0.7, 0.1), a.set_point(0.7, 0.8));
        assert!(anxious > secure, "{secure} {anxious}");
        assert_eq!(a.set_point(0.7, REFERENCE_ATTACHMENT), 0.7);
        assert_eq!(a.set_point(0.1, 0.0), 0.0, "never below 0");
        let off = Attachment {
            enabled: false,
            ..a
        };
        assert_eq!(off.set_point(0.7, 0.9), 0.7);
    }
}
