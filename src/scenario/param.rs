//! Numbers of a scenario set by key path, without TOML text. `bordin power --assume` draws a
//! value of a key for every replicate and simulates the scenario with it; it used to render the
//! scenario to TOML and read it again, replicate by replicate (issue 11).
//!
//! A [`Tunable`] is a scenario with the located tree it was read from. A [`ParamPath`] is a
//! numeric key checked once against it; it knows the part of the scenario (`[design]`, an arm, a
//! pool, ...) whose reader reads the key. [`Tunable::set`] clones the scenario and reads again
//! only the parts that hold the keys, and the parts whose defaults follow them (a population's
//! intake severity follows the instrument, an arm's sessions the design), each from its own
//! table with the values put in, by the readers that read the whole file. So the values, the
//! derived defaults (a sampler, a truncation bound, an arm's sessions) and the diagnostics are
//! those that reading the whole scenario with the values as `--set` overrides gives.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::config::reader::{self, Ctx, Node, Resolved, Seg, Value};
use crate::config::render::to_toml;
use crate::error::{Diagnostic, Location, ScenarioError};

use super::Scenario;
use super::read::{self, Part};

/// A numeric key of a [`Tunable`] scenario, checked once.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamPath {
    segs: Vec<Seg>,
    /// `segs` written out, e.g. `arms[1].technique_potency`.
    text: String,
    /// The key holds an integer: values set are rounded.
    integer: bool,
    /// The part of the scenario that reads the key, and the length of its own path in `segs`.
    part: Part,
    depth: usize,
}

impl ParamPath {
    /// The key path written out, e.g. `arms[1].technique_potency`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value a key takes when set to `x`: `x`, rounded for an integer key.
    pub fn value(&self, x: f64) -> f64 {
        if self.integer { x.round() } else { x }
    }

    /// The override `path=x` that sets the key to `x` in scenario text (`--set` syntax; an
    /// integer rounded, a float written to round-trip).
    pub fn override_text(&self, x: f64) -> String {
        match number_node(&self.text, self.integer, x).loc {
            Location::Override(text) => text,
            _ => unreachable!("number_node locates an override"),
        }
    }

    /// The value node of `x`, located as the override `path=x` would be.
    fn node(&self, x: f64) -> Node {
        number_node(&self.text, self.integer, x)
    }
}

/// The value node of the override `path=x` (an integer rounded; a float written to round-trip).
fn number_node(path: &str, integer: bool, x: f64) -> Node {
    let (value, text) = if integer {
        let n = x.round() as i64;
        (Value::Int(n), format!("{path}={n}"))
    } else {
        (Value::Float(x), format!("{path}={x:?}"))
    };
    Node {
        value,
        loc: Location::Override(text),
    }
}

/// Why a key path is not a numeric key of the scenario.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// The key holds a distribution (an inline table); its parameters are numbers.
    #[error("the key holds a distribution")]
    Distribution,
    /// The key holds a string, a boolean or an array.
    #[error("the key holds {kind} (`{value}`)")]
    NotANumber {
        /// The TOML type name (`string`, `boolean`, `array`).
        kind: &'static str,
        /// The value as TOML.
        value: String,
    },
    /// Setting the key gives these problems (no such key, or out of its range).
    #[error("{}", problems(.0))]
    NotAKey(Vec<Diagnostic>),
}

/// Diagnostics in one line: `path: message; path: message`.
pub fn problems(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A scenario that takes new values for its numbers: the scenario, read from a tree in which
/// the defaults that follow other keys are left out (so they follow the values set).
#[derive(Clone, Debug)]
pub struct Tunable {
    source_name: String,
    tree: Node,
    /// As read from `tree`, without resolved values and key documentation (cheap to clone).
    scenario: Scenario,
    /// The resolved values of `tree`: which keys hold numbers.
    resolved: Vec<Resolved>,
}

impl Tunable {
    /// The scenario `sc` made tunable; `source_name` names it in diagnostics.
    ///
    /// # Errors
    /// A [`ScenarioError`] if `sc` does not read back (it always does: tested).
    pub fn new(sc: &Scenario, source_name: &str) -> Result<Tunable, ScenarioError> {
        let text = following_toml(sc, source_name);
        let tree = reader::parse_document(&text, source_name).map_err(|d| ScenarioError {
            source_name: source_name.to_string(),
            diagnostics: vec![d],
        })?;
        let mut scenario = read::read_tree(&tree, source_name, Vec::new())?;
        let resolved = std::mem::take(&mut scenario.resolved);
        scenario.docs = Vec::new();
        Ok(Tunable {
            source_name: source_name.to_string(),
            tree,
            scenario,
            resolved,
        })
    }

    /// Checks that `segs` is a numeric key of the scenario. A key that the resolved values do
    /// not list one by one (a parameter of a distribution, or no key at all) is checked by
    /// reading the scenario with `probe` there; the reader's diagnostics say what is wrong.
    ///
    /// # Errors
    /// A [`ParamError`] saying why the path is no numeric key.
    pub fn param(&self, segs: &[Seg], probe: f64) -> Result<ParamPath, ParamError> {
        let text = reader::path_string(segs);
        let resolved = self.resolved.iter().find(|r| r.path == segs);
        let integer = match resolved.map(|r| &r.value) {
            None | Some(toml_edit::Value::Float(_)) => false,
            Some(toml_edit::Value::Integer(_)) => true,
            Some(toml_edit::Value::InlineTable(_)) => return Err(ParamError::Distribution),
            Some(v) => {
                return Err(ParamError::NotANumber {
                    kind: v.type_name(),
                    value: v.to_string().trim().to_string(),
                });
            }
        };
        if resolved.is_none() {
            self.read_whole(segs, number_node(&text, false, probe))
                .map_err(|e| ParamError::NotAKey(e.diagnostics))?;
        }
        let Some((part, depth)) = Part::of(segs, &self.scenario) else {
            return Err(ParamError::NotAKey(vec![self.no_element(segs, probe)]));
        };
        Ok(ParamPath {
            segs: segs.to_vec(),
            text,
            integer,
            part,
            depth,
        })
    }

    /// The scenario with the keys set to the values (integer keys rounded).
    ///
    /// # Errors
    /// A [`ScenarioError`] with the reader's diagnostics when a value is out of its key's range
    /// or breaks a constraint between keys.
    pub fn set(&self, values: &[(&ParamPath, f64)]) -> Result<Scenario, ScenarioError> {
        let mut patched: BTreeMap<Part, Node> = BTreeMap::new();
        let mut errors = Vec::new();
        for &(p, x) in values {
            let node = p.node(x);
            let table = patched
                .entry(p.part)
                .or_insert_with(|| self.table(p.part, &node.loc).into_owned());
            let loc = node.loc.clone();
            if let Err(message) = reader::apply_override(table, &p.segs[p.depth..], node) {
                errors.push(Diagnostic {
                    path: p.text.clone(),
                    message,
                    loc,
                });
            }
        }
        let mut parts: BTreeSet<Part> = patched.keys().copied().collect();
        for p in patched.keys() {
            parts.extend(p.followers(&self.scenario));
        }
        let ctx = Ctx::default();
        let mut sc = self.scenario.clone();
        for &part in &parts {
            let table = match patched.get(&part) {
                Some(t) => Cow::Borrowed(t),
                None => self.table(part, &self.tree.loc),
            };
            part.read(&ctx, &table, &mut sc);
        }
        if parts
            .iter()
            .any(|p| matches!(p, Part::Design | Part::Arm(_)))
        {
            read::check_follow_up(&ctx, &self.tree.loc, &sc.design, &sc.arms);
        }
        read::finish(ctx, errors, &self.source_name)?;
        Ok(sc)
    }

    /// The table of a part in the tree; an empty one located at `loc` when the tree has none.
    fn table(&self, part: Part, loc: &Location) -> Cow<'_, Node> {
        match part.node(&self.tree) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(Node {
                value: Value::Table(Vec::new()),
                loc: loc.clone(),
            }),
        }
    }

    /// The whole scenario read again with `value` at `segs`, as `--set` would give it.
    fn read_whole(&self, segs: &[Seg], value: Node) -> Result<Scenario, ScenarioError> {
        let mut tree = self.tree.clone();
        let errors = read::apply(&mut tree, segs, value).into_iter().collect();
        read::read_tree(&tree, &self.source_name, errors)
    }

    /// The problem of a key in an element the scenario does not have (`arms[2]` of two arms).
    fn no_element(&self, segs: &[Seg], probe: f64) -> Diagnostic {
        let array = segs.first().map(|s| s.to_string()).unwrap_or_default();
        let count = match array.as_str() {
            "therapist_pools" => self.scenario.therapist_pools.len(),
            "populations" => self.scenario.populations.len(),
            "arms" => self.scenario.arms.len(),
            _ => 0,
        };
        let text = reader::path_string(segs);
        Diagnostic {
            message: format!(
                "not a key of one of the scenario's tables: `{array}` has {count} element(s), [0] to [{}]",
                count.saturating_sub(1)
            ),
            loc: number_node(&text, false, probe).loc,
            path: text,
        }
    }
}

/// The scenario as TOML that reads back to the same scenario, with the defaults that follow
/// other keys (the arms' sessions follow `design.planned_sessions`, an instrument's cut-off its
/// preset) left out wherever leaving them out gives the same value, so that they follow a value
/// set too. Falls back to every value written out if that would not read back the same.
fn following_toml(sc: &Scenario, source_name: &str) -> String {
    let full = to_toml(&sc.resolved, "", false);
    let target = super::resolved_toml(sc);
    let reads_back = |text: &str| {
        Scenario::parse(text, source_name, &[]).is_ok_and(|s| super::resolved_toml(&s) == target)
    };
    // Every derived default left out: the values they take then.
    let slim: Vec<_> = sc.resolved.iter().filter(|r| !r.derived).cloned().collect();
    let Ok(defaults) = Scenario::parse(&to_toml(&slim, "", false), source_name, &[]) else {
        return full;
    };
    let following = |r: &Resolved| {
        r.derived
            && defaults
                .resolved
                .iter()
                .find(|d| d.path == r.path)
                .is_some_and(|d| d.value.to_string() == r.value.to_string())
    };
    let kept: Vec<_> = sc
        .resolved
        .iter()
        .filter(|r| !following(r))
        .cloned()
        .collect();
    let base = to_toml(&kept, "", false);
    if reads_back(&base) { base } else { full }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything of a scenario but its resolved values and key documentation, exactly (Debug
    /// writes every number so that it reads back).
    fn typed(sc: &Scenario) -> String {
        format!(
            "{:?}",
            (
                &sc.name,
                &sc.description,
                &sc.run,
                &sc.instrument,
                &sc.therapist_pools,
                &sc.populations,
                &sc.arms,
                &sc.design,
                &sc.mechanisms
            )
        )
    }

    /// What `--assume` did before typed paths: the values as `--set` overrides of the
    /// scenario written as TOML, read again.
    fn by_text(base: &str, sets: &[(&ParamPath, f64)]) -> Result<String, Vec<Diagnostic>> {
        let overrides: Vec<String> = sets
            .iter()
            .map(|(p, x)| match p.node(*x).loc {
                Location::Override(text) => text,
                Location::File { .. } => unreachable!("an override"),
            })
            .collect();
        Scenario::parse(base, "tunable", &overrides)
            .map(|s| typed(&s))
            .map_err(|e| e.diagnostics)
    }

    fn by_path(t: &Tunable, sets: &[(&ParamPath, f64)]) -> Result<String, Vec<Diagnostic>> {
        t.set(sets).map(|s| typed(&s)).map_err(|e| e.diagnostics)
    }

    /// `[lo, hi]` of a key from its documentation (the range of a distribution's values for
    /// its parameters), narrowed to a span that random values explore.
    fn range(sc: &Scenario, path: &[Seg]) -> (f64, f64) {
        let pattern: String = reader::path_string(path)
            .split('[')
            .map(|s| s.split_once(']').map_or(s, |(_, rest)| rest))
            .collect::<Vec<_>>()
            .join("[]");
        let doc = sc.docs.iter().find(|d| d.pattern == pattern);
        let bound = |s: &str| match s.trim() {
            "inf" => 1e3,
            "-inf" => -1e3,
            x => x.parse::<f64>().unwrap_or(0.0).clamp(-1e3, 1e3),
        };
        let (lo, hi) = doc
            .and_then(|d| {
                d.range
                    .strip_prefix('[')?
                    .strip_suffix(']')?
                    .split_once(", ")
            })
            .map_or((-1.0, 1.0), |(a, b)| (bound(a), bound(b)));
        (lo, hi.min(lo + 100.0))
    }

    /// Every numeric key of a scenario: its resolved numbers and the numeric fields of its
    /// distributions (mixture components too), with a range to draw values from.
    fn numeric_keys(sc: &Scenario) -> Vec<(Vec<Seg>, (f64, f64))> {
        fn fields(path: &[Seg], t: &toml_edit::InlineTable, out: &mut Vec<Vec<Seg>>) {
            for (k, v) in t.iter() {
                let mut p = path.to_vec();
                p.push(Seg::Key(k.to_string()));
                match v {
                    toml_edit::Value::Float(_) | toml_edit::Value::Integer(_) => out.push(p),
                    toml_edit::Value::Array(items) => {
                        for (i, c) in items.iter().enumerate() {
                            if let Some(c) = c.as_inline_table() {
                                let mut pc = p.clone();
                                pc.push(Seg::Index(i));
                                fields(&pc, c, out);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for r in &sc.resolved {
            let mut paths = Vec::new();
            match &r.value {
                toml_edit::Value::Float(_) | toml_edit::Value::Integer(_) => {
                    paths.push(r.path.clone())
                }
                toml_edit::Value::InlineTable(t) => fields(&r.path, t, &mut paths),
                _ => {}
            }
            out.extend(paths.into_iter().map(|p| (p, range(sc, &r.path))));
        }
        out
    }

    /// Uniforms on [0, 1) from splitmix64.
    struct Draws(u64);

    impl Draws {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }

        /// A value in `[lo, hi]`, or now and then just outside it.
        fn value(&mut self, (lo, hi): (f64, f64)) -> f64 {
            match self.next() {
                u if u < 0.1 => hi + 1.0,
                u if u < 0.15 => lo - 1.0,
                _ => lo + (hi - lo) * self.next(),
            }
        }
    }

    /// A scenario whose defaults follow other keys: a custom instrument (the reliable-change
    /// threshold follows its SD and reliability, the intake severity its range), arms whose
    /// sessions follow the design (one with a poor-alliance rule), a fixed follow-up week, a
    /// mixture of traits.
    const FOLLOWING: &str = r#"
[instrument]
name = "custom"
min = 0
max = 40
sd = 6
reliability = 0.9
cutoff = 12
functional_mean = 5

[[therapist_pools]]
name = "a"
therapists = 3
warmth = { type = "mixture", components = [ { weight = 1, type = "normal", mean = 0.2, sd = 0.1 }, { weight = 2, type = "uniform", min = 0, max = 0.5 } ] }

[design]
planned_sessions = 10
follow_up_week = 30

[[arms]]
name = "t"
sessions = 10
[arms.policies.poor_alliance_rule]
enabled = true
after_sessions = 3

[[arms]]
name = "w"
kind = "waitlist"
"#;

    fn scenarios() -> Vec<Scenario> {
        [
            super::super::DEFAULT_SCENARIO,
            include_str!("../../configs/power_two_arm.toml"),
            include_str!("../../configs/calibration/feedback.toml"),
            FOLLOWING,
        ]
        .iter()
        .map(|text| Scenario::parse(text, "test", &[]).unwrap_or_else(|e| panic!("{e}")))
        .collect()
    }

    /// Setting a number by path gives exactly what reading the scenario's TOML with the value
    /// as a `--set` override gives, for every numeric key of four scenarios at random values
    /// (in and out of range): the same scenario field by field, or the same diagnostics.
    #[test]
    fn setting_a_number_equals_reading_it() {
        let mut draws = Draws(11);
        for sc in scenarios() {
            let t = Tunable::new(&sc, "tunable").unwrap();
            let base = following_toml(&sc, "tunable");
            let keys = numeric_keys(&sc);
            assert!(keys.len() > 150, "{} numeric keys", keys.len());
            let mut checked = 0;
            for (segs, span) in &keys {
                // The parameters of a distribution that follows other keys are not in the
                // tree: they cannot be set alone (as before).
                let Ok(p) = t.param(segs, span.0) else {
                    continue;
                };
                checked += 1;
                for _ in 0..2 {
                    let x = p.value(draws.value(*span));
                    let sets = [(&p, x)];
                    assert_eq!(by_path(&t, &sets), by_text(&base, &sets), "{}={x}", p.text);
                }
            }
            assert!(checked > 120, "{checked} keys checked");
        }
    }

    /// Two numbers at once (a part and a part that follows it among them) give what reading
    /// them as two overrides gives; diagnostics compared as sets.
    #[test]
    fn setting_two_numbers_equals_reading_them() {
        let sorted = |r: Result<String, Vec<Diagnostic>>| {
            r.map_err(|mut ds| {
                ds.sort_by_key(|d| format!("{d:?}"));
                ds
            })
        };
        let mut draws = Draws(12);
        for sc in scenarios() {
            let t = Tunable::new(&sc, "tunable").unwrap();
            let base = following_toml(&sc, "tunable");
            let keys: Vec<_> = numeric_keys(&sc)
                .into_iter()
                .filter_map(|(segs, span)| Some((t.param(&segs, span.0).ok()?, span)))
                .collect();
            let mut pairs: Vec<(usize, usize)> = (0..150)
                .map(|_| {
                    let pick = |u: f64| (u * keys.len() as f64) as usize;
                    (pick(draws.next()), pick(draws.next()))
                })
                .collect();
            let at = |path: &str| keys.iter().position(|(p, _)| p.text == path);
            for (a, b) in [
                ("design.planned_sessions", "arms[0].sessions"),
                ("instrument.max", "populations[0].intake_severity.sd"),
                ("instrument.sd", "instrument.reliability"),
            ] {
                if let (Some(a), Some(b)) = (at(a), at(b)) {
                    pairs.push((a, b));
                }
            }
            for (a, b) in pairs.into_iter().filter(|(a, b)| a != b) {
                let ((pa, sa), (pb, sb)) = (&keys[a], &keys[b]);
                let sets = [
                    (pa, pa.value(draws.value(*sa))),
                    (pb, pb.value(draws.value(*sb))),
                ];
                assert_eq!(
                    sorted(by_path(&t, &sets)),
                    sorted(by_text(&base, &sets)),
                    "{sets:?}"
                );
            }
        }
    }

    /// Paths that are no numeric key say why.
    #[test]
    fn paths_that_are_no_number_say_why() {
        let sc =
            Scenario::parse(include_str!("../../configs/power_two_arm.toml"), "t", &[]).unwrap();
        let t = Tunable::new(&sc, "tunable").unwrap();
        let param = |p: &str| t.param(&reader::parse_path(p).unwrap(), 3.0);
        assert_eq!(
            param("populations[0].intake_severity"),
            Err(ParamError::Distribution)
        );
        assert!(matches!(
            param("arms[1].name"),
            Err(ParamError::NotANumber { kind: "string", .. })
        ));
        let Err(ParamError::NotAKey(ds)) = param("arms[1].technique_potncy") else {
            panic!("an unknown key");
        };
        assert!(ds[0].message.contains("did you mean `technique_potency`"));
        let Err(ParamError::NotAKey(ds)) = param("therapist_pools[2].therapists") else {
            panic!("an element the scenario does not have");
        };
        assert!(ds[0].message.contains("has 2 element(s)"), "{ds:?}");
        assert!(param("arms[1].technique_potency").is_ok_and(|p| p.value(0.07) == 0.07));
        assert!(param("design.planned_sessions").is_ok_and(|p| p.value(12.4) == 12.0));
    }
}
