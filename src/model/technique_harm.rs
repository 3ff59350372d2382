//! Technique pushed on a strained alliance: how therapy makes some patients worse.
//!
//! Negative outcomes in therapy come in part from what the therapist does when the relationship
//! is strained. Therapists who kept pressing the cognitive rationale when the alliance was
//! strained, instead of attending to it, had patients who improved less (Castonguay, Goldfried,
//! Wiser, Raue & Hayes 1996, J Consult Clin Psychol 64(3)); hostile, controlling therapist
//! communication went with patients' self-blame and poor outcome (Henry, Schacht & Strupp 1990,
//! J Consult Clin Psychol 58(6)); rigidity is among the therapist characteristics that damage
//! the alliance (Ackerman & Hilsenroth 2001, Psychotherapy 38(2)), and misapplied technique with
//! an unresolved negative process is a recurrent feature of deterioration (Mohr 1995, Clin
//! Psychol Sci Pract 2(1); Castonguay, Boswell, Constantino, Goldfried & Hill 2010, Am Psychol
//! 65(1)).
//!
//! The mechanism reads the session's technique pressure, the strain the dyad carries from
//! unrepaired ruptures weighted by the therapist's rigidity (`rigid_strain`: (1 - flexibility)
//! times strain), and how far the alliance falls short of the technique gate: the same
//! technique that helps on an adequate alliance then adds to the severity. A flexible therapist,
//! a repaired rupture or an adequate alliance each keep it from harming.

use serde::Serialize;

use crate::config::reader::Table;

/// `[mechanisms.technique_harm]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TechniqueHarm {
    pub enabled: bool,
    pub weight: f64,
}

impl TechniqueHarm {
    pub fn read(t: &Table<'_>) -> Self {
        TechniqueHarm {
            enabled: t.bool("enabled", true, "Technique pressed by a rigid therapist on an alliance strained by unrepaired ruptures makes symptoms worse (Castonguay et al. 1996; Henry, Schacht & Strupp 1990; O1). Off: such technique only fails to help."),
            weight: t.f64("weight", 0.5, 0.0, 50.0, "Harm per unit of technique pressure, rigid strain (capped at 1) and shortfall of the technique gate, relative to the technique's benefit on an adequate alliance."),
        }
    }

    /// The share of the remaining severity that the session's technique adds, for technique
    /// pressure `technique` (share per session), rigid strain `rigid_strain` and technique gate
    /// `gate` (0-1: how adequate the alliance is for technique).
    pub fn harm(&self, technique: f64, rigid_strain: f64, gate: f64) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        self.weight * technique * rigid_strain.clamp(0.0, 1.0) * (1.0 - gate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rigid_technique_on_a_strained_alliance_harms() {
        let m = TechniqueHarm {
            enabled: true,
            weight: 1.0,
        };
        assert!(m.harm(0.05, 0.8, 0.1) > m.harm(0.05, 0.2, 0.1));
        assert!(m.harm(0.05, 0.8, 0.1) > m.harm(0.05, 0.8, 0.9));
        assert_eq!(m.harm(0.05, 0.0, 0.1), 0.0);
        assert_eq!(m.harm(0.0, 0.8, 0.1), 0.0);
        let off = TechniqueHarm {
            enabled: false,
            ..m
        };
        assert_eq!(off.harm(0.05, 0.8, 0.1), 0.0);
    }
}
