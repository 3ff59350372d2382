//! The settings of a power analysis, checked: design points, analyses, the assessment
//! schedule, the missing-data rule, the significance level and the target-power search.

use serde::Serialize;

use crate::error::{Error, Result};

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
    /// [`Error::Usage`] for an empty list or an unknown name.
    pub fn parse_list(s: &str) -> Result<Vec<Analysis>> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim) {
            let a = Analysis::ALL
                .into_iter()
                .find(|a| a.as_str() == item)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--analysis: unknown analysis `{item}`; expected a comma-separated list of {}",
                        Analysis::ALL.map(Analysis::as_str).join(", ")
                    ))
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
    /// [`Error::Usage`] for anything else.
    pub fn parse(s: &str) -> Result<Schedule> {
        let bad = || {
            Error::Usage(format!(
                "--schedule: `{s}` is not a schedule; expected every-session, pre-post or sessions:LIST (e.g. sessions:1,4,8,12: positive session numbers)"
            ))
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
    /// [`Error::Usage`] for anything else.
    pub fn parse(s: &str) -> Result<Missing> {
        match s.trim() {
            "completers" => Ok(Missing::Completers),
            "available" => Ok(Missing::Available),
            "locf" => Ok(Missing::Locf),
            other => Err(Error::Usage(format!(
                "--missing: `{other}` is not a missing-data rule; expected completers, available or locf"
            ))),
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
/// [`Error::Usage`] for an empty list, a non-integer or a value below `MIN_N_PER_ARM`.
pub(super) fn parse_n_list(s: &str) -> Result<Vec<u64>> {
    let mut v = Vec::new();
    for item in s.split(',').map(str::trim) {
        match item.parse::<u64>() {
            Ok(n) if (MIN_N_PER_ARM..=1_000_000).contains(&n) => v.push(n),
            _ => {
                return Err(Error::Usage(format!(
                    "--n-per-arm: `{item}` is not a number of patients per arm; expected a comma-separated list of integers from {MIN_N_PER_ARM} to 1000000, e.g. --n-per-arm 20,40,60"
                )));
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
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
    /// Two-sided significance level; intervals are at level 1 - alpha.
    pub alpha: f64,
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
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`Error::Usage`] with the offending flag.
    pub fn validate(&self) -> Result<()> {
        let usage = |m: String| Err(Error::Usage(m));
        if self.n_per_arm.is_empty() {
            return usage("--n-per-arm: give at least one number of patients per arm".into());
        }
        if let Some(&n) = self.n_per_arm.iter().find(|&&n| n < MIN_N_PER_ARM) {
            return usage(format!(
                "--n-per-arm: {n} is too small; expected at least {MIN_N_PER_ARM} patients per arm"
            ));
        }
        if self.reps < 2 {
            return usage(format!(
                "--reps: {} is too few; expected at least 2 replicates (power is a share of replicates)",
                self.reps
            ));
        }
        if self.therapists_per_arm == Some(0) {
            return usage("--therapists-per-arm: expected at least 1 therapist per arm".into());
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return usage(format!(
                "--alpha: {} is not a significance level; expected a value between 0 and 1, e.g. 0.05",
                self.alpha
            ));
        }
        if let Some(t) = self.target_power
            && !(t > 0.0 && t < 1.0)
        {
            return usage(format!(
                "--target-power: {t} is not a power; expected a value between 0 and 1, e.g. 0.8"
            ));
        }
        let max_grid = self.n_per_arm.iter().max().copied().unwrap_or(0);
        if self.target_power.is_some() && self.max_n < max_grid {
            return usage(format!(
                "--max-n: {} is below the largest --n-per-arm ({max_grid})",
                self.max_n
            ));
        }
        if self.analyses.is_empty() {
            return usage("--analysis: give at least one analysis".into());
        }
        for (i, a) in self.assume.iter().enumerate() {
            if self.assume[..i].iter().any(|b| b.path == a.path) {
                return usage(format!(
                    "--assume: `{}` is given twice; give one prior per key",
                    a.path
                ));
            }
        }
        if self.analyses.contains(&Analysis::LmmLongitudinal) {
            let sessions = match &self.schedule {
                Schedule::PrePost => false,
                Schedule::Sessions(v) => !v.is_empty(),
                Schedule::EverySession => true,
            };
            if !sessions {
                return usage("--analysis lmm-longitudinal needs scores between intake and the end (random slopes per patient need at least three assessments): use --schedule every-session or sessions:LIST".into());
            }
        }
        Ok(())
    }
}
