//! The traits of a traced dyad: `--therapist`, `--compare-therapist` and `--patient` values (an
//! archetype, `key=value` traits, or both), read and resolved over the scenario's
//! distributions, and `bordin trace --list`.

use std::fmt::Write as _;

use crate::config::reader::did_you_mean;
use crate::error::{DyadProblem, Result, TraceError};
use crate::model::instrument::Instrument;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::model::traits::{TraitDists, Traits};

use super::archetype::{Archetype, archetypes};
use super::keys::{Role, RoleTraits, TraitKey, check, keys};
use super::narrative::capitalise;

/// A `--therapist`, `--compare-therapist` or `--patient` value, read: an archetype and/or
/// trait values.
#[derive(Debug)]
pub(super) struct DyadSpec<S: Traits> {
    /// How the trace names it: the archetype's name alone, else the text as given.
    pub label: String,
    /// The archetype's values, then the `key=value` values given on the command line (which
    /// win), in order.
    assignments: Vec<(TraitKey<S::Id>, f64)>,
}

impl<S: RoleTraits> DyadSpec<S> {
    /// Reads `ARCHETYPE`, `key=value,...` or `ARCHETYPE,key=value,...`, given to `flag`.
    ///
    /// # Errors
    /// [`TraceError::EmptyDyad`] for an empty value, else [`TraceError::Dyad`] naming `flag` and
    /// the value: an unknown archetype (with a did-you-mean), an archetype of the other role,
    /// two archetypes, an unknown trait key, or a value that is not a number in the trait's
    /// range.
    pub fn parse(
        flag: &'static str,
        text: &str,
        instrument: &Instrument,
    ) -> Result<DyadSpec<S>, TraceError> {
        let all = archetypes()?;
        let usage = |problem| TraceError::Dyad {
            flag,
            text: text.to_string(),
            problem: Box::new(problem),
        };
        if text.trim().is_empty() {
            return Err(TraceError::EmptyDyad { flag });
        }
        let mut archetype: Option<Archetype> = None;
        let mut set = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(usage(DyadProblem::EmptyItem));
            }
            if let Some((k, v)) = item.split_once('=') {
                let (k, v) = (k.trim(), v.trim());
                let x: f64 = v.parse().map_err(|_| {
                    usage(DyadProblem::NotANumber {
                        key: k.to_string(),
                        value: v.to_string(),
                    })
                })?;
                set.push((check::<S>(k, x, Some(instrument)).map_err(usage)?, x));
            } else if let Some(a) = &archetype {
                return Err(usage(DyadProblem::TwoArchetypes {
                    first: a.name.to_string(),
                    second: item.to_string(),
                }));
            } else {
                archetype = Some(find_archetype(&all, S::ROLE, item).map_err(usage)?);
            }
        }
        let label = match (&archetype, set.is_empty()) {
            (Some(a), true) => a.name.to_string(),
            _ => text.split(',').map(str::trim).collect::<Vec<_>>().join(","),
        };
        let mut assignments = Vec::new();
        // Checked when the file was read; found again here as keys of this role.
        for (k, x) in archetype.iter().flat_map(|a| &a.traits) {
            assignments.push((check::<S>(k, *x, None).map_err(usage)?, *x));
        }
        assignments.extend(set);
        Ok(DyadSpec { label, assignments })
    }

    /// The traits: the means of the scenario's distributions, then the archetype's values, then
    /// those given.
    pub fn traits(&self, dists: &TraitDists<S>, inst: &Instrument) -> S {
        let mut t = dists.means(inst);
        for &(key, x) in &self.assignments {
            match key {
                TraitKey::Trait(d) => t.set(d.id, x),
                TraitKey::Relative(r) => t.set(r.sets, (r.value)(x, dists.get(r.sets), inst)),
            }
        }
        t
    }
}

/// The archetype of a role named `name`.
fn find_archetype(all: &[Archetype], role: Role, name: &str) -> Result<Archetype, DyadProblem> {
    let known: Vec<&'static str> = all
        .iter()
        .filter(|a| a.role == role)
        .map(|a| a.name)
        .collect();
    match all.iter().find(|a| a.name == name) {
        Some(a) if a.role == role => Ok(a.clone()),
        Some(a) => Err(DyadProblem::OtherRole {
            role: role.as_str(),
            name: name.to_string(),
            actual: a.role.as_str(),
            known,
        }),
        None => Err(DyadProblem::UnknownArchetype {
            role: role.as_str(),
            name: name.to_string(),
            suggestion: did_you_mean(name, known.iter().copied()).map(String::from),
            known,
        }),
    }
}

/// Width of the closing note of `--list`.
const NOTE_WIDTH: usize = 92;

/// The text of `bordin trace --list`.
///
/// # Errors
/// Only if an embedded archetype file is invalid.
pub fn list_text() -> Result<String> {
    let all = archetypes()?;
    let width = all.iter().map(|a| a.name.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (role, flags) in [
        (Role::Therapist, "--therapist, --compare-therapist"),
        (Role::Patient, "--patient"),
    ] {
        let _ = writeln!(s, "{} archetypes ({flags}):", capitalise(role.as_str()));
        for a in all.iter().filter(|a| a.role == role) {
            let _ = writeln!(s, "  {:width$}  {}", a.name, a.description);
        }
        s.push('\n');
    }
    s.push_str(
        "Trait values (key=value, comma-separated, alone or after an archetype to change it):\n",
    );
    let mut note = String::from(
        "Traits not given take the archetype's value, else the mean of the scenario's therapist pool (first therapy arm) or first population.",
    );
    list_keys::<TherapistTraits>(&mut s, &mut note);
    list_keys::<PatientTraits>(&mut s, &mut note);
    s.push_str(&wrap(&note, NOTE_WIDTH));
    Ok(s)
}

/// A role's line of `--list` (each key with its range), and its relative keys in the note.
fn list_keys<S: RoleTraits>(s: &mut String, note: &mut String) {
    let keys: Vec<String> = keys::<S>().map(TraitKey::listed).collect();
    let _ = writeln!(s, "  {}: {}", S::ROLE.as_str(), keys.join(", "));
    for r in S::RELATIVE_KEYS {
        let _ = write!(note, " {}: {}.", r.key, r.doc);
    }
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::patient::PatientTrait;
    use crate::model::therapist::TherapistTrait;
    use crate::scenario::Scenario;

    #[test]
    fn specs_resolve_archetype_then_values_then_means() {
        let sc = Scenario::embedded_default();
        let inst = &sc.instrument;
        let pool = &sc.therapist_pools[0].traits;
        let s = DyadSpec::<TherapistTraits>::parse("--therapist", "warm-flexible, fis=2", inst)
            .unwrap();
        let t = s.traits(pool, inst);
        assert_eq!(t.fis, 2.0);
        assert_eq!(t.warmth, 0.7);
        let bias = pool.get(TherapistTrait::RatingBias).nominal_mean();
        assert_eq!(t.rating_bias, bias);
        assert_eq!(s.label, "warm-flexible,fis=2");
        let s = DyadSpec::<TherapistTraits>::parse("--therapist", "warmth=0.6", inst).unwrap();
        let t = s.traits(pool, inst);
        assert_eq!(t.warmth, 0.6);
        assert_eq!(t.fis, pool.get(TherapistTrait::Fis).nominal_mean());
        let pop = &sc.populations[0].traits;
        let p = DyadSpec::<PatientTraits>::parse("--patient", "intake_severity=20", inst).unwrap();
        assert_eq!(p.traits(pop, inst).intake_severity, 20.0);
        let p =
            DyadSpec::<PatientTraits>::parse("--patient", "intake_severity_sd=1", inst).unwrap();
        let mean = pop.get(PatientTrait::IntakeSeverity).nominal_mean();
        assert_eq!(p.traits(pop, inst).intake_severity, mean + inst.sd);
    }

    #[test]
    fn bad_specs_are_usage_errors_with_hints() {
        let sc = Scenario::embedded_default();
        let inst = &sc.instrument;
        fn err<S: RoleTraits>(text: &str, inst: &Instrument) -> String {
            match DyadSpec::<S>::parse("--flag", text, inst) {
                Err(e @ TraceError::Dyad { .. }) => e.to_string(),
                other => panic!("{:?}", other.map(|s| s.label)),
            }
        }
        let th = |text| err::<TherapistTraits>(text, inst);
        let pt = |text| err::<PatientTraits>(text, inst);
        assert!(th("warm-flexibel").contains("did you mean `warm-flexible`"));
        assert!(th("warmt=0.5").contains("did you mean `warmth`"));
        assert!(th("warmth=2").contains("out of range"));
        assert!(th("warmth=nan").contains("out of range"));
        assert!(th("warmth=x").contains("not a number"));
        assert!(th("novice,distant").contains("two archetypes"));
        assert!(th("securely-attached").contains("patient archetype"));
        assert!(pt("intake_severity=99").contains("out of range"));
        assert!(pt("securely-attached,,warmth=0").contains("empty item"));
    }
}
