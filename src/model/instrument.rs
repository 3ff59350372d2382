//! Symptom instruments: range, reliability, clinical cut-off and the reliable-change threshold
//! (Jacobson & Truax 1991, targets M1-M7).

use serde::Serialize;

use crate::config::reader::Table;

/// A symptom questionnaire. Higher scores mean more symptoms on every supported instrument.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instrument {
    /// Preset name (`phq9`, `gad7`, `oq45`, `core_om`) or `custom`.
    pub name: String,
    /// Lowest possible score.
    pub min: f64,
    /// Highest possible score.
    pub max: f64,
    /// Standard deviation of intake scores in the clinical norm group (s1 of Jacobson-Truax).
    pub sd: f64,
    /// Test-retest or internal-consistency reliability r_xx.
    pub reliability: f64,
    /// Clinical cut-off: a score at or above it is a "case".
    pub cutoff: f64,
    /// Reliable-change threshold in score points (a change at least this large is reliable).
    pub rc_threshold: f64,
    /// Mean score of the functional (non-clinical) population: the level recovery heads for.
    pub functional_mean: f64,
}

impl Instrument {
    /// A PHQ-9 as the unit tests of the model use it (cut-off 10, reliable change 6).
    #[cfg(test)]
    pub(crate) fn phq9_for_tests() -> Instrument {
        Instrument {
            name: "phq9".into(),
            min: 0.0,
            max: 27.0,
            sd: 5.5,
            reliability: 0.84,
            cutoff: 10.0,
            rc_threshold: 6.0,
            functional_mean: 3.3,
        }
    }

    /// Standard error of measurement, SD * sqrt(1 - r_xx) (Jacobson & Truax 1991).
    pub fn sem(&self) -> f64 {
        self.sd * (1.0 - self.reliability).sqrt()
    }

    /// The Jacobson-Truax reliable-change threshold, 1.96 * sqrt(2) * SEM.
    pub fn jacobson_truax_threshold(sd: f64, reliability: f64) -> f64 {
        1.96 * std::f64::consts::SQRT_2 * sd * (1.0 - reliability).sqrt()
    }

    /// Jacobson-Truax criterion c: the point between the clinical and functional population
    /// means weighted by their SDs, c = (s0 m1 + s1 m0) / (s0 + s1).
    pub fn criterion_c(
        m_clinical: f64,
        s_clinical: f64,
        m_functional: f64,
        s_functional: f64,
    ) -> f64 {
        (s_functional * m_clinical + s_clinical * m_functional) / (s_clinical + s_functional)
    }

    /// Reliable change index (x2 - x1) / S_diff, S_diff = sqrt(2) * SEM.
    pub fn rci(&self, before: f64, after: f64) -> f64 {
        (after - before) / (std::f64::consts::SQRT_2 * self.sem())
    }

    /// The latent scale symptom change works on.
    pub fn scale(&self) -> crate::model::symptoms::Scale {
        crate::model::symptoms::Scale {
            floor: self.functional_mean,
            sd: self.sd,
        }
    }

    /// Whether a score marks a case.
    pub fn is_case(&self, score: f64) -> bool {
        score >= self.cutoff
    }

    /// Classifies a pre-post pair (M1, M4; IAPT conventions).
    pub fn classify(&self, intake: f64, end: f64) -> ChangeClass {
        let change = end - intake;
        if change <= -self.rc_threshold {
            if self.is_case(intake) && !self.is_case(end) {
                ChangeClass::Recovered
            } else {
                ChangeClass::Improved
            }
        } else if change >= self.rc_threshold {
            ChangeClass::Deteriorated
        } else {
            ChangeClass::Unchanged
        }
    }

    /// Typical intake mean and SD of outpatients on this instrument (M2, M7), the default of a
    /// population's intake severity.
    pub fn typical_intake(&self) -> (f64, f64) {
        match self.name.as_str() {
            "phq9" => (16.0, 5.0),
            "gad7" => (13.5, 4.5),
            "oq45" => (82.0, 21.0),
            "core_om" => (18.5, 6.0),
            _ => (
                self.min + 0.55 * (self.max - self.min),
                (self.max - self.min) / 6.0,
            ),
        }
    }

    /// Reads `[instrument]`: a preset by name, any of whose values may be overridden.
    pub fn read(t: &Table<'_>) -> Instrument {
        let name = t.choice(
            "name",
            "phq9",
            &["phq9", "gad7", "oq45", "core_om", "custom"],
            "Symptom instrument. Presets: PHQ-9 (depression, 0-27; Kroenke 2001), GAD-7 (anxiety, 0-21; Spitzer 2006), OQ-45 (0-180; Lambert), CORE-OM clinical score (0-40; Connell 2007). `custom` takes every value below from the file.",
        );
        // (min, max, sd, reliability, cutoff, rc threshold, functional mean)
        let p = match name {
            "phq9" => (0.0, 27.0, 5.5, 0.84, 10.0, Some(6.0), 3.3),
            "gad7" => (0.0, 21.0, 5.0, 0.89, 8.0, Some(4.0), 3.0),
            "oq45" => (0.0, 180.0, 22.0, 0.93, 63.5, Some(14.0), 45.0),
            "core_om" => (0.0, 40.0, 7.0, 0.94, 10.0, Some(5.0), 6.0),
            _ => (0.0, 27.0, 5.5, 0.84, 10.0, None, 3.3),
        };
        let min = t.f64("min", p.0, -1e6, 1e6, "Lowest possible score [points].");
        let max = t.f64("max", p.1, -1e6, 1e6, "Highest possible score [points].");
        let sd = t.f64(
            "sd",
            p.2,
            1e-6,
            1e6,
            "SD of intake scores in the clinical norm group [points]; with `reliability` it sets the measurement error of every simulated score (SEM = sd * sqrt(1 - reliability)) and the Jacobson-Truax threshold (M1).",
        );
        let reliability = t.f64(
            "reliability",
            p.3,
            0.0,
            0.999,
            "Reliability r_xx of the instrument (M1).",
        );
        let cutoff = t.f64(
            "cutoff",
            p.4,
            -1e6,
            1e6,
            "Clinical cut-off [points]: a score at or above it is a case (PHQ-9 10, GAD-7 8: IAPT caseness, M4; OQ-45 63.5, M5; CORE-OM 10, M6).",
        );
        let functional_mean = t.f64(
            "functional_mean",
            p.6,
            -1e6,
            1e6,
            "Mean score of the functional (non-clinical) population [points] (PHQ-9 3.3: Kroenke 2001; GAD-7 3; OQ-45 45: community norm, M7; CORE-OM 6). Therapy and spontaneous recovery head towards it: their effects are proportional to the severity above it.",
        );
        let jt = Instrument::jacobson_truax_threshold(sd, reliability);
        let rc_threshold = t.f64(
            "rc_threshold",
            p.5.unwrap_or(jt),
            1e-6,
            1e6,
            "Reliable-change threshold [points]: the published value for a preset (PHQ-9 6, GAD-7 4: IAPT, M4; OQ-45 14, M5; CORE-OM 5, M6), else the Jacobson-Truax value 1.96 * sqrt(2) * SEM (M1).",
        );
        t.mark_derived(&[
            "min",
            "max",
            "sd",
            "reliability",
            "cutoff",
            "functional_mean",
            "rc_threshold",
        ]);
        if min >= max {
            t.ctx().error(
                &t.child("max"),
                t.location(),
                format!("`max` ({max}) must be above `min` ({min})"),
            );
        } else if min.ceil() >= max.floor() {
            // Scores are whole points (item sums): the range must hold at least two of them.
            t.ctx().error(
                &t.child("max"),
                t.location(),
                format!(
                    "the score range [{min}, {max}] holds fewer than two whole scores (`min` rounds up to {}, `max` down to {}); scores are whole points, so widen the range",
                    min.ceil(),
                    max.floor()
                ),
            );
        }
        if cutoff <= min || cutoff > max {
            t.ctx().error(
                &t.child("cutoff"),
                t.location(),
                format!("`cutoff` ({cutoff}) must lie in ({min}, {max}]"),
            );
        }
        if functional_mean < min || functional_mean >= cutoff {
            t.ctx().error(
                &t.child("functional_mean"),
                &t.location_of(&["functional_mean"]),
                format!("`functional_mean` ({functional_mean}) must lie in [{min}, {cutoff}) (at or above the minimum, below the cut-off)"),
            );
        }
        Instrument {
            name: name.to_string(),
            min,
            max,
            sd,
            reliability,
            cutoff,
            rc_threshold,
            functional_mean,
        }
    }
}

/// Reliable-change class of a patient (Jacobson & Truax; IAPT "reliable recovery").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// Reliably improved, a case at intake and not a case at the end.
    Recovered,
    /// Reliably improved, not recovered.
    Improved,
    /// Change smaller than the reliable-change threshold.
    Unchanged,
    /// Reliably worse.
    Deteriorated,
}

impl ChangeClass {
    /// The CSV word.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Recovered => "recovered",
            ChangeClass::Improved => "improved",
            ChangeClass::Unchanged => "unchanged",
            ChangeClass::Deteriorated => "deteriorated",
        }
    }
    /// Reliable improvement (recovered or improved).
    pub fn reliably_improved(self) -> bool {
        matches!(self, ChangeClass::Recovered | ChangeClass::Improved)
    }
}

/// Jacobson-Truax reliable change of a sample of pre-post pairs on one instrument.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReliableChangeSummary {
    /// Reliable change index (end - intake) / (sqrt(2) SEM) per patient ([`Instrument::rci`]).
    pub rci: Vec<f64>,
    /// Class per patient ([`Instrument::classify`]: the instrument's reliable-change threshold
    /// and clinical cut-off).
    pub classes: Vec<ChangeClass>,
    pub recovered: usize,
    pub improved: usize,
    pub unchanged: usize,
    pub deteriorated: usize,
}

/// RCI and reliable-change classes of pre-post pairs. The Jacobson-Truax formulas themselves
/// (SEM, threshold, criterion c) are [`Instrument`]'s; this applies them to a sample.
///
/// # Errors
/// Lengths differ or a score is not finite.
pub fn reliable_change(
    instrument: &Instrument,
    intake: &[f64],
    end: &[f64],
) -> crate::stats::Result<ReliableChangeSummary> {
    if intake.len() != end.len() {
        return Err(crate::stats::StatsError::Dimension(format!(
            "reliable change: {} intake scores, {} end scores",
            intake.len(),
            end.len()
        )));
    }
    crate::stats::check_finite("intake", intake)?;
    crate::stats::check_finite("end", end)?;
    let rci = intake
        .iter()
        .zip(end)
        .map(|(&a, &b)| instrument.rci(a, b))
        .collect();
    let classes: Vec<ChangeClass> = intake
        .iter()
        .zip(end)
        .map(|(&a, &b)| instrument.classify(a, b))
        .collect();
    let count = |c: ChangeClass| classes.iter().filter(|&&x| x == c).count();
    Ok(ReliableChangeSummary {
        rci,
        recovered: count(ChangeClass::Recovered),
        improved: count(ChangeClass::Improved),
        unchanged: count(ChangeClass::Unchanged),
        deteriorated: count(ChangeClass::Deteriorated),
        classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// M1/M4: the IAPT thresholds follow from SD and reliability by Jacobson-Truax.
    #[test]
    fn jacobson_truax_reproduces_published_thresholds() {
        // PHQ-9: SD 5.5, r .84 -> 6.1, published (IAPT) 6.
        let phq = Instrument::jacobson_truax_threshold(5.5, 0.84);
        assert!((phq - 6.10).abs() < 0.01, "{phq}");
        // Jacobson & Truax's own example: SD 7.5, r .88 gives S_diff 3.67 and 1.96 * S_diff 7.2.
        let jt = Instrument::jacobson_truax_threshold(7.5, 0.88);
        assert!((jt - 7.20).abs() < 0.01, "{jt}");
        // Criterion c with equal SDs is the midpoint.
        assert_eq!(Instrument::criterion_c(20.0, 5.0, 6.0, 5.0), 13.0);
    }

    #[test]
    fn classes_follow_iapt_conventions() {
        let i = Instrument::phq9_for_tests();
        assert_eq!(i.classify(16.0, 9.0), ChangeClass::Recovered);
        assert_eq!(i.classify(22.0, 14.0), ChangeClass::Improved);
        assert_eq!(i.classify(16.0, 12.0), ChangeClass::Unchanged);
        assert_eq!(i.classify(10.0, 16.0), ChangeClass::Deteriorated);
        assert_eq!(i.classify(9.0, 2.0), ChangeClass::Improved);
    }
}
