//! The settings of a power analysis, checked: design points, analyses, the assessment
//! schedule, the missing-data rule, the significance level and the target-power search.

use serde::Serialize;

use crate::error::PowerError;

use super::MIN_N_PER_ARM;
use super::assume::Assumption;

/// An analysis of a simulated trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Analysis {
    /// `end ~ intake + treat` by OLS, HC3 standard errors, t on n - 3 df.
    Ancova,
    /// `end ~ intake + treat + (1 | therapist)` by REML, Satterthwaite df.
    LmmEndpoint,
    /// `score ~ time * treat + (1 + time | patient) + (1 + time | therapist)` by REML; the
    /// effect is `T x (time:treat)` at the end week T, Satterthwaite df.
    LmmLongitudinal,
}

impl Analysis {
    /// Every analysis, in output order.
    pub const ALL: [Analysis; 3] = [
        Analysis::Ancova,
        Analysis::LmmEndpoint,
        Analysis::LmmLongitudinal,
    ];

    /// The model, as a trialist would write it (the report's methods paragraph).
    pub fn model(self) -> &'static str {
        match self {
            Analysis::Ancova => {
                "**ancova**: `end ~ intake + treat` by least squares, HC3 standard errors, t on n − 3 df"
            }
            Analysis::LmmEndpoint => {
                "**lmm-endpoint**: `end ~ intake + treat + (1 | therapist)` by REML, Satterthwaite df"
            }
            Analysis::LmmLongitudinal => {
                "**lmm-longitudinal**: `score ~ time * treat + (1 + time | patient) + (1 + time | therapist)` by REML; the effect is the end week times `time:treat`, Satterthwaite df"
            }
        }
    }

    /// The name used on the command line and in the output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Analysis::Ancova => "ancova",
            Analysis::LmmEndpoint => "lmm-endpoint",
            Analysis::LmmLongitudinal => "lmm-longitudinal",
        }
    }

    /// Parses a comma-separated list (`ancova,lmm-endpoint,lmm-longitudinal`); duplicates are
    /// dropped and the order is the canonical one.
    ///
    /// # Errors
    /// [`PowerError::UnknownAnalysis`] for an unknown name (an empty list has one, ``).
    pub fn parse_list(s: &str) -> Result<Vec<Analysis>, PowerError> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim) {
            let a = Analysis::ALL
                .into_iter()
                .find(|a| a.as_str() == item)
                .ok_or_else(|| PowerError::UnknownAnalysis {
                    item: item.to_string(),
                    expected: Analysis::ALL.map(Analysis::as_str).join(", "),
                })?;
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// Which scores are collected, besides intake and the end assessment that every patient is
/// scheduled for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Schedule {
    /// The pre-session score of every session.
    EverySession,
    /// Intake and end only.
    PrePost,
    /// The pre-session scores of these sessions (1-based, increasing).
    Sessions(Vec<u32>),
}

impl Schedule {
    /// Parses `every-session`, `pre-post` or `sessions:1,4,8,12`.
    ///
    /// # Errors
    /// [`PowerError::Schedule`] for anything else.
    pub fn parse(s: &str) -> Result<Schedule, PowerError> {
        let bad = || PowerError::Schedule {
            text: s.to_string(),
        };
        match s.trim() {
            "every-session" => Ok(Schedule::EverySession),
            "pre-post" => Ok(Schedule::PrePost),
            other => {
                let list = other.strip_prefix("sessions:").ok_or_else(bad)?;
                let mut v = list
                    .split(',')
                    .map(|x| x.trim().parse::<u32>().ok().filter(|&t| t >= 1))
                    .collect::<Option<Vec<u32>>>()
                    .ok_or_else(bad)?;
                v.sort_unstable();
                v.dedup();
                Ok(Schedule::Sessions(v))
            }
        }
    }

    /// Whether session `t` is scheduled.
    pub fn has_session(&self, t: u32) -> bool {
        match self {
            Schedule::EverySession => true,
            Schedule::PrePost => false,
            Schedule::Sessions(v) => v.binary_search(&t).is_ok(),
        }
    }

    /// The name as given on the command line.
    pub fn label(&self) -> String {
        match self {
            Schedule::EverySession => "every-session".into(),
            Schedule::PrePost => "pre-post".into(),
            Schedule::Sessions(v) => format!(
                "sessions:{}",
                v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

/// How dropouts' missing scores are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Missing {
    /// Only patients with an end assessment (all their observed scores).
    Completers,
    /// Every observed score of every patient (endpoint analyses: as completers, since the
    /// endpoint is missing for dropouts; the growth model uses dropouts' earlier scores).
    Available,
    /// Last observation carried forward to every scheduled assessment that was missed.
    Locf,
}

impl Missing {
    /// Parses `completers`, `available` or `locf`.
    ///
    /// # Errors
    /// [`PowerError::Missing`] for anything else.
    pub fn parse(s: &str) -> Result<Missing, PowerError> {
        match s.trim() {
            "completers" => Ok(Missing::Completers),
            "available" => Ok(Missing::Available),
            "locf" => Ok(Missing::Locf),
            other => Err(PowerError::Missing {
                text: other.to_string(),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Completers => "completers",
            Missing::Available => "available",
            Missing::Locf => "locf",
        }
    }
}

/// Parses `--n-per-arm`: a comma-separated list of patients per arm (sorted, duplicates
/// dropped).
///
/// # Errors
/// [`PowerError::NPerArmItem`] for an empty item, a non-integer or a value outside
/// `MIN_N_PER_ARM..=1000000`.
pub(super) fn parse_n_list(s: &str) -> Result<Vec<u64>, PowerError> {
    let mut v = Vec::new();
    for item in s.split(',').map(str::trim) {
        match item.parse::<u64>() {
            Ok(n) if (MIN_N_PER_ARM..=1_000_000).contains(&n) => v.push(n),
            _ => {
                return Err(PowerError::NPerArmItem {
                    item: item.to_string(),
                    min: MIN_N_PER_ARM,
                });
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// The hypothesis tested on the end contrast Δ = treatment − control (lower scores are better:
/// a negative Δ is a benefit of the treatment). Margins are in score points, positive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Test {
    /// H0: Δ = 0 against Δ ≠ 0, at level alpha (alpha/2 in each tail).
    TwoSided,
    /// Superiority, one-sided: H0: Δ ≥ 0 against Δ < 0, at level alpha.
    OneSided,
    /// Non-inferiority: H0: Δ ≥ margin (the treatment worse by the margin or more) against
    /// Δ < margin, one-sided at level alpha.
    NonInferiority { margin: f64 },
    /// Equivalence by two one-sided tests (TOST, Schuirmann 1987): H0: |Δ| ≥ margin against
    /// |Δ| < margin, each one-sided test at level alpha.
    Equivalence { margin: f64 },
}

impl Test {
    /// The name used on the command line and in the output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Test::TwoSided => "two-sided",
            Test::OneSided => "one-sided",
            Test::NonInferiority { .. } => "non-inferiority",
            Test::Equivalence { .. } => "equivalence",
        }
    }

    /// The margin in score points (NaN without one).
    pub fn margin(self) -> f64 {
        match self {
            Test::NonInferiority { margin } | Test::Equivalence { margin } => margin,
            Test::TwoSided | Test::OneSided => f64::NAN,
        }
    }

    /// `--hypothesis NAME` with `--margin M` (score points) or `--margin d=X` (X times
    /// `sd`, the instrument's reference SD).
    ///
    /// # Errors
    /// [`PowerError::UnknownHypothesis`]; [`PowerError::Margin`] for a margin missing where
    /// one is needed, given where none is, or not a positive number.
    pub fn parse(name: &str, margin: Option<&str>, sd: f64) -> Result<Test, PowerError> {
        let bad = |message: String| PowerError::Margin { message };
        let points = || -> Result<f64, PowerError> {
            let text = margin.ok_or_else(|| {
                bad(format!(
                    "--hypothesis {name} needs a margin: --margin POINTS or --margin d=EFFECT_SIZE"
                ))
            })?;
            let (value, scale) = match text.trim().strip_prefix("d=") {
                Some(d) => (d, sd),
                None => (text.trim(), 1.0),
            };
            value
                .parse::<f64>()
                .ok()
                .filter(|m| m.is_finite() && *m > 0.0)
                .map(|m| m * scale)
                .ok_or_else(|| {
                    bad(format!(
                        "`{text}` is not a positive number of score points or d=EFFECT_SIZE"
                    ))
                })
        };
        let test = match name.trim() {
            "two-sided" => Test::TwoSided,
            "one-sided" => Test::OneSided,
            "non-inferiority" => Test::NonInferiority { margin: points()? },
            "equivalence" => Test::Equivalence { margin: points()? },
            other => {
                return Err(PowerError::UnknownHypothesis {
                    item: other.to_string(),
                });
            }
        };
        if margin.is_some() && test.margin().is_nan() {
            return Err(bad(format!(
                "a margin belongs to --hypothesis non-inferiority or equivalence, not {name}"
            )));
        }
        Ok(test)
    }

    /// Where the type I error is evaluated: the true Δ at the boundary of H0 (0, or the
    /// margin). The null design (arms equivalent, Δ = 0) shifted there.
    pub fn boundary(self) -> f64 {
        match self {
            Test::TwoSided | Test::OneSided => 0.0,
            Test::NonInferiority { margin } | Test::Equivalence { margin } => margin,
        }
    }

    /// The hypothesis in words, with its direction and margin, for tables and reports.
    pub fn describe(self, alpha: f64, unit: &str) -> String {
        match self {
            Test::TwoSided => format!("two-sided superiority (H0: no difference), alpha {alpha}"),
            Test::OneSided => format!(
                "one-sided superiority (H1: the treatment lowers {unit} scores), alpha {alpha}"
            ),
            Test::NonInferiority { margin } => format!(
                "non-inferiority, margin {margin:.3} {unit} points (H1: the treatment is worse by less than the margin), one-sided alpha {alpha}"
            ),
            Test::Equivalence { margin } => format!(
                "equivalence (TOST), margin ±{margin:.3} {unit} points (H1: the arms differ by less than the margin), alpha {alpha} for each one-sided test"
            ),
        }
    }
}

/// Everything that determines the results of a power analysis (besides the scenario).
#[derive(Clone, Debug, Serialize)]
pub struct PowerSettings {
    /// Design points: patients per arm.
    pub n_per_arm: Vec<u64>,
    /// Therapists per arm (each arm's pool size); `None`: as in the scenario.
    pub therapists_per_arm: Option<u32>,
    /// Replicates per design point (and per hypothesis).
    pub reps: u64,
    pub analyses: Vec<Analysis>,
    /// Significance level (of each one-sided test for one-sided hypotheses); intervals are
    /// two-sided at level 1 - alpha.
    pub alpha: f64,
    /// The hypothesis tested (`--hypothesis`, `--margin`).
    pub hypothesis: Test,
    /// Search the smallest n per arm reaching this power.
    pub target_power: Option<f64>,
    /// Upper limit of that search.
    pub max_n: u64,
    pub schedule: Schedule,
    pub missing: Missing,
    /// Trial datasets written per design point (the first K replicates).
    pub emit_datasets: u64,
    /// Priors over scenario keys (`--assume`): power becomes assurance.
    pub assume: Vec<Assumption>,
}

impl Default for PowerSettings {
    fn default() -> Self {
        PowerSettings {
            n_per_arm: vec![20, 40, 60],
            therapists_per_arm: None,
            reps: 1000,
            analyses: Analysis::ALL.to_vec(),
            alpha: 0.05,
            hypothesis: Test::TwoSided,
            target_power: None,
            max_n: 2000,
            schedule: Schedule::EverySession,
            missing: Missing::Available,
            emit_datasets: 0,
            assume: Vec::new(),
        }
    }
}

impl PowerSettings {
    /// Checks ranges and combinations; the first problem found is reported.
    ///
    /// # Errors
    /// The first [`PowerError`] found, naming the offending flag.
    pub fn validate(&self) -> Result<(), PowerError> {
        self.check_design()?;
        self.check_levels()?;
        if self.analyses.is_empty() {
            return Err(PowerError::NoAnalysis);
        }
        self.check_assume()?;
        self.check_schedule()
    }

    /// The design points, replicates and therapists.
    fn check_design(&self) -> Result<(), PowerError> {
        if self.n_per_arm.is_empty() {
            return Err(PowerError::NoNPerArm);
        }
        if let Some(&n) = self.n_per_arm.iter().find(|&&n| n < MIN_N_PER_ARM) {
            return Err(PowerError::NPerArmTooSmall {
                n,
                min: MIN_N_PER_ARM,
            });
        }
        if self.reps < 2 {
            return Err(PowerError::TooFewReps { reps: self.reps });
        }
        if self.therapists_per_arm == Some(0) {
            return Err(PowerError::NoTherapists);
        }
        Ok(())
    }

    /// The significance level, the target power and the search limit above the design points.
    fn check_levels(&self) -> Result<(), PowerError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(PowerError::Alpha { alpha: self.alpha });
        }
        if let Some(t) = self.target_power
            && !(t > 0.0 && t < 1.0)
        {
            return Err(PowerError::TargetPower { target: t });
        }
        let largest = self.n_per_arm.iter().max().copied().unwrap_or(0);
        if self.target_power.is_some() && self.max_n < largest {
            return Err(PowerError::MaxNBelowGrid {
                max_n: self.max_n,
                largest,
            });
        }
        Ok(())
    }

    /// One prior per key.
    fn check_assume(&self) -> Result<(), PowerError> {
        for (i, a) in self.assume.iter().enumerate() {
            if self.assume[..i].iter().any(|b| b.path == a.path) {
                return Err(PowerError::AssumeTwice {
                    path: a.path.clone(),
                });
            }
        }
        Ok(())
    }

    /// The growth model needs scores between intake and the end.
    fn check_schedule(&self) -> Result<(), PowerError> {
        if self.analyses.contains(&Analysis::LmmLongitudinal) {
            let sessions = match &self.schedule {
                Schedule::PrePost => false,
                Schedule::Sessions(v) => !v.is_empty(),
                Schedule::EverySession => true,
            };
            if !sessions {
                return Err(PowerError::GrowthNeedsSessions);
            }
        }
        Ok(())
    }
}
