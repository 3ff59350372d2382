//! Severe life events: why some patients are worse at the end of therapy whatever the therapy.
//!
//! Besides the minor weekly stresses of the natural course (`natural_course.shock_*`, which pass),
//! some patients meet a severe event during treatment: a loss, a separation, a job lost, an
//! illness. Severe events provoke depressive episodes (Brown & Harris 1978, *Social Origins of
//! Depression*; Kendler, Karkowski & Prescott 1999, Am J Psychiatry 156(6)), are more frequent in
//! people already depressed (stress generation: Hammen 1991, J Abnorm Psychol 100(4)), and leave
//! chronic difficulties behind them that keep severity up (Hammen 2005, Annu Rev Clin Psychol 1).
//! Deterioration during therapy is often attributed to such events as much as to the therapy
//! (Mohr 1995, Clin Psychol Sci Pract 2(1); Lambert 2013, Bergin & Garfield's Handbook 6th ed.:
//! about 5-10% of adult patients deteriorate, O1).
//!
//! A severe event happens in a week with probability `weekly_probability`; its impact is
//! exponential with mean `size` instrument SDs; the share `persistence` of the impact moves the
//! patient's personal set point (the difficulties the event leaves), so that it does not simply
//! regress away as a minor stress does.

use serde::Serialize;

use crate::config::reader::Table;
use crate::random::{Slot, WeekDraws};

/// `[mechanisms.life_events]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LifeEvents {
    pub enabled: bool,
    pub weekly_probability: f64,
    pub size: f64,
    pub persistence: f64,
}

impl LifeEvents {
    pub fn read(t: &Table<'_>) -> Self {
        LifeEvents {
            enabled: t.bool("enabled", true, "Severe life events (loss, separation, job loss) raise severity and leave lasting difficulties (Brown & Harris 1978; Kendler et al. 1999; Hammen 2005): one source of deterioration (O1). Off: only the passing minor stresses of the natural course (`natural_course.enabled = false` switches severe events off too)."),
            weekly_probability: t.f64("weekly_probability", 0.004, 0.0, 1.0, "Weekly probability of a severe life event: about one patient in five meets one in a year (a third of the women in Brown & Harris's community sample did; depressed patients generate more: Hammen 1991)."),
            size: t.f64("size", 2.5, 0.0, 10.0, "Mean impact of a severe event [instrument SDs]; impacts are exponential."),
            persistence: t.f64("persistence", 0.5, 0.0, 1.0, "Share of the impact that moves the personal set point: the chronic difficulties a severe event leaves behind."),
        }
    }

    /// This week's impact [instrument SDs; 0 without an event]. Slots: `LifeEventOccurs`,
    /// `LifeEventSize`.
    pub fn impact(&self, d: &WeekDraws) -> f64 {
        if self.enabled && d.u(Slot::LifeEventOccurs) < self.weekly_probability {
            -d.u(Slot::LifeEventSize).ln() * self.size
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_severe_event_raises_severity_only_when_it_happens() {
        let m = LifeEvents {
            enabled: true,
            weekly_probability: 0.5,
            size: 1.0,
            persistence: 0.5,
        };
        let draws = |occurs: f64| {
            let mut u = [0.5; crate::random::WEEK_SLOTS];
            u[Slot::LifeEventOccurs as usize] = occurs;
            u[Slot::LifeEventSize as usize] = (-1.0f64).exp();
            WeekDraws::from_uniforms(u)
        };
        assert!((m.impact(&draws(0.2)) - 1.0).abs() < 1e-12);
        assert_eq!(m.impact(&draws(0.7)), 0.0);
        let d = draws(0.2);
        let off = LifeEvents {
            enabled: false,
            ..m
        };
        assert_eq!(off.impact(&d), 0.0);
    }
}
