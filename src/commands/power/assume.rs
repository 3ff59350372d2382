//! Priors over scenario keys (`--assume PATH=DIST`): power becomes assurance, the expected
//! power over the priors. Each replicate draws its values from streams of its own and
//! simulates the scenario with them set through typed parameter paths
//! ([`crate::scenario::param`]).

use serde::Serialize;

use crate::config::reader::{self, Entry, Node, Seg, Table, Value, fmt_num};
use crate::error::{PowerError, Result};
use crate::random::distribution::Dist;
use crate::random::{Entity, Purpose, Streams, TraitDraws, stream_id};
use crate::scenario::Scenario;
use crate::scenario::param::{ParamError, ParamPath, Tunable, problems};

use super::design::adapt;
use super::settings::PowerSettings;

/// Where `--assume` draws come from: the `extra` word of their random streams, so they never
/// share a stream with the engine.
const ASSUME_STREAM: u64 = 0x4153_5355_4D45;

/// The source name of the scenario that takes each replicate's draws.
const ASSUME_SOURCE: &str = "scenario with --assume values";

/// One `--assume PATH=DIST`: a scenario key whose value is uncertain. Every replicate draws its
/// own value from the prior `dist` and simulates the scenario with it, so the share of
/// replicates that reject estimates the expected power over the prior (assurance).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assumption {
    /// The key path, normalised (`arms[1].technique_potency`).
    pub path: String,
    /// The prior.
    pub dist: Dist,
}

impl Assumption {
    /// Parses `PATH=DIST`. DIST is a number (a fixed value) or a distribution written as in
    /// scenario files: `{ type = "normal", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }`,
    /// `{ type = "uniform", min = 0.03, max = 0.11 }`, or a beta, lognormal or mixture (read by
    /// the scenario's own distribution reader).
    ///
    /// # Errors
    /// A [`PowerError`] naming `--assume` and what is wrong.
    pub fn parse(text: &str) -> Result<Assumption, PowerError> {
        let text_owned = || text.to_string();
        let Some((path, dist)) = text.split_once('=') else {
            return Err(PowerError::AssumeSyntax { text: text_owned() });
        };
        let segs = reader::parse_path(path.trim()).ok_or_else(|| PowerError::AssumeNotAPath {
            text: text_owned(),
            path: path.trim().to_string(),
            syntax: reader::PATH_SYNTAX,
        })?;
        let path = reader::path_string(&segs);
        if matches!(segs.first(), Some(Seg::Key(k)) if k == "run") {
            return Err(PowerError::AssumeRunKey {
                text: text_owned(),
                path,
            });
        }
        if dist.trim().is_empty() {
            return Err(PowerError::AssumeNoPrior { text: text_owned() });
        }
        let dist = read_prior(dist.trim(), text).map_err(|problems| PowerError::AssumePrior {
            text: text_owned(),
            problems,
        })?;
        Ok(Assumption { path, dist })
    }

    /// The smallest and largest values the prior can draw. A normal (or lognormal) without
    /// bounds reaches 8.5 SDs either side at most: no 53-bit uniform maps further.
    pub fn support(&self) -> (f64, f64) {
        fn support(d: &Dist) -> (f64, f64) {
            match d {
                Dist::Fixed { value } => (*value, *value),
                Dist::Normal { mean, sd, min, max } => (
                    (mean - 8.5 * sd).clamp(*min, *max),
                    (mean + 8.5 * sd).clamp(*min, *max),
                ),
                Dist::Uniform { min, max } | Dist::Beta { min, max, .. } => (*min, *max),
                Dist::Lognormal {
                    meanlog,
                    sdlog,
                    min,
                    max,
                } => (
                    (meanlog - 8.5 * sdlog).exp().clamp(*min, *max),
                    (meanlog + 8.5 * sdlog).exp().clamp(*min, *max),
                ),
                Dist::Mixture { components } => components
                    .iter()
                    .map(|(_, d)| support(d))
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (c, d)| {
                        (a.min(c), b.max(d))
                    }),
            }
        }
        support(&self.dist)
    }

    /// The value replicate `replicate` draws under `seed`: from the replicate's own random
    /// stream for this key path, so it depends on neither the thread count, the design point,
    /// the hypothesis nor the other `--assume` flags.
    pub fn draw(&self, seed: u64, replicate: u64) -> f64 {
        let key = stream_id(&self.path.bytes().map(u64::from).collect::<Vec<_>>());
        let stream = Streams::new(seed).stream(
            replicate,
            Entity::Replicate,
            key,
            Purpose::Traits,
            ASSUME_STREAM,
        );
        self.dist.sample(&mut TraitDraws::new(stream).source(0))
    }

    /// The key checked against the scenario: a number (an integer's draws are rounded).
    fn param(&self, tunable: &Tunable) -> Result<ParamPath, PowerError> {
        let segs = reader::parse_path(&self.path).expect("a normalised path");
        let path = self.path.clone();
        tunable
            .param(&segs, self.dist.nominal_mean())
            .map_err(|e| match e {
                ParamError::Distribution => PowerError::AssumeDistribution { path },
                ParamError::NotANumber { kind, value } => {
                    PowerError::AssumeNotANumber { path, kind, value }
                }
                // A key the scenario does not have (or a parameter of a distribution, which the
                // resolved values do not list one by one): the reader says which.
                ParamError::NotAKey(ds) => PowerError::AssumeNotAKey {
                    path,
                    problems: problems(&ds),
                },
            })
    }

    /// Short form for tables and charts, e.g. `arms[1].technique_potency ~ normal(0.07, 0.02)`.
    pub fn describe(&self) -> String {
        let (lo, hi) = self.support();
        match self.dist {
            Dist::Fixed { value } => format!("{} = {}", self.path, fmt_num(value)),
            Dist::Uniform { .. } => format!("{} ~ {}", self.path, self.dist.describe()),
            _ => format!(
                "{} ~ {} in [{}, {}]",
                self.path,
                self.dist.describe(),
                fmt_num(lo),
                fmt_num(hi)
            ),
        }
    }
}

/// Reads the prior of `--assume` (the text after `=`) with the scenario's distribution reader;
/// its problems, without the reader's path and unbounded range.
fn read_prior(dist: &str, flag: &str) -> std::result::Result<Dist, String> {
    let node = reader::parse_override_value(dist, flag);
    let wrapper = Node {
        loc: node.loc.clone(),
        value: Value::Table(vec![Entry {
            key: "prior".into(),
            key_loc: node.loc.clone(),
            node,
        }]),
    };
    let ctx = reader::Ctx::default();
    let table = Table::detached(&ctx, Vec::new(), &wrapper);
    let prior = table.dist(
        "prior",
        Dist::Fixed { value: f64::NAN },
        f64::NEG_INFINITY,
        f64::INFINITY,
        "the prior of --assume",
    );
    table.finish();
    let (errors, _, _) = ctx.into_parts();
    if errors.is_empty() {
        return Ok(prior);
    }
    Err(errors
        .iter()
        .map(|e| {
            let sub = e.path.strip_prefix("prior").unwrap_or(&e.path);
            let sub = sub.trim_start_matches('.');
            let message = e.message.replace(" in [-inf, inf]", "");
            if sub.is_empty() {
                message
            } else {
                format!("`{sub}`: {message}")
            }
        })
        .collect::<Vec<_>>()
        .join("; "))
}

/// The `--assume` keys checked against the scenario, and the scenario that takes each
/// replicate's draws for them.
#[derive(Clone, Debug)]
pub(super) struct Prior {
    tunable: Tunable,
    /// One per assumption, in their order.
    paths: Vec<ParamPath>,
}

impl Prior {
    /// Checks the `--assume` keys against the scenario: each must be a number that the scenario
    /// accepts at both ends of its prior.
    pub(super) fn new(scenario: &Scenario, settings: &PowerSettings) -> Result<Prior> {
        let tunable = Tunable::new(scenario, ASSUME_SOURCE)?;
        let paths = settings
            .assume
            .iter()
            .map(|a| a.param(&tunable))
            .collect::<Result<_, PowerError>>()?;
        let prior = Prior { tunable, paths };
        // Every value a prior can draw must give a valid scenario: try both ends of each (the
        // keys read ranges are intervals, so the ends stand for the values between).
        for (p, a) in prior.paths.iter().zip(&settings.assume) {
            let (lo, hi) = a.support();
            for x in [lo, hi] {
                let checked = prior
                    .tunable
                    .set(&[(p, x)])
                    .map_err(|e| problems(&e.diagnostics))
                    .and_then(|sc| adapt(&sc, settings).map_err(|e| e.to_string()));
                if let Err(why) = checked {
                    let (path, value) = (a.path.clone(), fmt_num(x));
                    return Err(if lo == hi {
                        PowerError::AssumeValue { path, value, why }
                    } else {
                        PowerError::AssumeReach {
                            path,
                            prior: a.dist.describe(),
                            value,
                            why,
                        }
                    }
                    .into());
                }
            }
        }
        Ok(prior)
    }

    /// The values replicate `replicate` draws under `seed`, in the order of the assumptions
    /// (integer keys rounded).
    pub(super) fn values(&self, assume: &[Assumption], seed: u64, replicate: u64) -> Vec<f64> {
        self.paths
            .iter()
            .zip(assume)
            .map(|(p, a)| p.value(a.draw(seed, replicate)))
            .collect()
    }

    /// The scenario with `values` (from [`Prior::values`]) set, and the `other` keys (a
    /// posterior draw's, which name none of the `--assume` keys).
    ///
    /// # Errors
    /// [`Error::Scenario`] if a value breaks the scenario (the ends of the priors were checked).
    pub(super) fn scenario_with(
        &self,
        values: &[f64],
        other: &[(&ParamPath, f64)],
    ) -> Result<Scenario> {
        let mut sets: Vec<_> = self.paths.iter().zip(values.iter().copied()).collect();
        sets.extend_from_slice(other);
        Ok(self.tunable.set(&sets)?)
    }
}
