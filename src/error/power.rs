//! The errors of `bordin power` (`crate::commands::power`): a flag value, an `--assume` prior or
//! a scenario that does not fit a two-arm trial. Each names the flag or key and says what was
//! expected; all are the user's input (exit code 2).

/// An example for the error messages of `--assume`.
const ASSUME_EXAMPLE: &str = "--assume 'arms[1].technique_potency={ type = \"normal\", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }'";

/// What `bordin power` cannot use.
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    /// The scenario does not have exactly two arms.
    #[error(
        "bordin power needs a scenario with exactly two arms (the first is the control, the second the treatment); scenario \"{scenario}\" has {}: {}",
        .arms.len(),
        .arms.join(", ")
    )]
    NotTwoArms { scenario: String, arms: Vec<String> },
    /// The second arm (the treatment) is a waitlist and the first (the control) a therapy.
    #[error(
        "the second arm is the treatment, but `{treatment}` is a waitlist and the control `{control}` a therapy: swap the arms in the scenario"
    )]
    WaitlistTreatment { treatment: String, control: String },
    /// `--therapists-per-arm` with both arms drawing from one pool.
    #[error(
        "--therapists-per-arm: both arms draw therapists from the pool `{pool}`, so therapists are crossed with arms; give each arm its own [[therapist_pools]] entry (therapists nested in arms), or leave --therapists-per-arm out to keep the crossed design"
    )]
    CrossedPool { pool: String },
    /// `--analysis`: a name that is not an analysis; `expected` lists the names.
    #[error("--analysis: unknown analysis `{item}`; expected a comma-separated list of {expected}")]
    UnknownAnalysis { item: String, expected: String },
    /// `--hypothesis`: a name that is not a hypothesis.
    #[error(
        "--hypothesis: unknown hypothesis `{item}`; expected one of two-sided, one-sided, non-inferiority, equivalence"
    )]
    UnknownHypothesis { item: String },
    /// `--margin`: missing, misplaced or malformed.
    #[error("--margin: {message}")]
    Margin { message: String },
    /// `--analysis`: an empty list.
    #[error("--analysis: give at least one analysis")]
    NoAnalysis,
    /// `--analysis lmm-longitudinal` with a schedule that has no scores between intake and end.
    #[error(
        "--analysis lmm-longitudinal needs scores between intake and the end (random slopes per patient need at least three assessments): use --schedule every-session or sessions:LIST"
    )]
    GrowthNeedsSessions,
    /// `--schedule`: not a schedule.
    #[error(
        "--schedule: `{text}` is not a schedule; expected every-session, pre-post or sessions:LIST (e.g. sessions:1,4,8,12: positive session numbers)"
    )]
    Schedule { text: String },
    /// `--missing`: not a missing-data rule.
    #[error(
        "--missing: `{text}` is not a missing-data rule; expected completers, available or locf"
    )]
    Missing { text: String },
    /// `--n-per-arm`: an item of the list that is not a number of patients from `min` to a
    /// million.
    #[error(
        "--n-per-arm: `{item}` is not a number of patients per arm; expected a comma-separated list of integers from {min} to 1000000, e.g. --n-per-arm 20,40,60"
    )]
    NPerArmItem { item: String, min: u64 },
    /// `--n-per-arm`: no design point.
    #[error("--n-per-arm: give at least one number of patients per arm")]
    NoNPerArm,
    /// `--n-per-arm`: a design point below `min`.
    #[error("--n-per-arm: {n} is too small; expected at least {min} patients per arm")]
    NPerArmTooSmall { n: u64, min: u64 },
    /// `--reps` below 2.
    #[error(
        "--reps: {reps} is too few; expected at least 2 replicates (power is a share of replicates)"
    )]
    TooFewReps { reps: u64 },
    /// `--therapists-per-arm 0`.
    #[error("--therapists-per-arm: expected at least 1 therapist per arm")]
    NoTherapists,
    /// `--alpha` outside (0, 1).
    #[error(
        "--alpha: {alpha} is not a significance level; expected a value between 0 and 1, e.g. 0.05"
    )]
    Alpha { alpha: f64 },
    /// `--target-power` outside (0, 1).
    #[error("--target-power: {target} is not a power; expected a value between 0 and 1, e.g. 0.8")]
    TargetPower { target: f64 },
    /// `--max-n` below the largest design point of `--n-per-arm`.
    #[error("--max-n: {max_n} is below the largest --n-per-arm ({largest})")]
    MaxNBelowGrid { max_n: u64, largest: u64 },
    /// `--assume`: the same key twice.
    #[error("--assume: `{path}` is given twice; give one prior per key")]
    AssumeTwice { path: String },
    /// `--assume TEXT`: no `=`.
    #[error("--assume {text}: expected PATH=DIST, e.g. {ASSUME_EXAMPLE}")]
    AssumeSyntax { text: String },
    /// `--assume TEXT`: the part before `=` is not a key path (`syntax` says what one is).
    #[error("--assume {text}: `{path}` is not a key path: {syntax}")]
    AssumeNotAPath {
        text: String,
        path: String,
        syntax: &'static str,
    },
    /// `--assume TEXT`: a key of `[run]`, which `bordin power` sets itself.
    #[error(
        "--assume {text}: `{path}` is set by bordin power itself (--seed, --n-per-arm, --reps); put the prior on an arm, pool, population or mechanism parameter"
    )]
    AssumeRunKey { text: String, path: String },
    /// `--assume TEXT`: nothing after `=`.
    #[error("--assume {text}: no distribution after `=`; e.g. {ASSUME_EXAMPLE}")]
    AssumeNoPrior { text: String },
    /// `--assume TEXT`: the distribution reader's problems with the prior.
    #[error("--assume {text}: {problems} (e.g. {ASSUME_EXAMPLE})")]
    AssumePrior { text: String, problems: String },
    /// `--assume PATH`: a distribution key (drawn per agent), not one number.
    #[error(
        "--assume {path}: `{path}` is a distribution (it varies between agents); put the prior on one of its parameters, e.g. {path}.mean"
    )]
    AssumeDistribution { path: String },
    /// `--assume PATH`: a key of another kind (a string, a boolean, ...) with its value.
    #[error(
        "--assume {path}: `{path}` is {} {kind} (`{value}`), not a number; --assume draws numbers",
        article(.kind)
    )]
    AssumeNotANumber {
        path: String,
        kind: &'static str,
        value: String,
    },
    /// `--assume PATH`: not a numeric key of the scenario (the reader's problems).
    #[error("--assume {path}: not a numeric key of the scenario: {problems}")]
    AssumeNotAKey { path: String, problems: String },
    /// `--assume PATH=NUMBER`: a value the scenario refuses (`why`).
    #[error(
        "--assume {path}: the value {value}, which the scenario does not accept ({why}); keep the prior inside the key's range (bound it with `min` and `max`)"
    )]
    AssumeValue {
        path: String,
        value: String,
        why: String,
    },
    /// `--assume PATH=DIST`: a prior reaching a value the scenario refuses (`why`).
    #[error(
        "--assume {path}: the prior {prior} reaches {value}, which the scenario does not accept ({why}); keep the prior inside the key's range (bound it with `min` and `max`)"
    )]
    AssumeReach {
        path: String,
        prior: String,
        value: String,
        why: String,
    },
}

/// `a` or `an` before a kind of value.
fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
