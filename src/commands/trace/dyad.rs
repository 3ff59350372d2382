//! The traits of a traced dyad: `--therapist`/`--patient` values (an archetype, `key=value`
//! traits, or both), read and resolved over the scenario's distributions, and
//! `bordin trace --list`.

use std::fmt::Write as _;

use crate::config::reader::did_you_mean;
use crate::error::{Error, Result};
use crate::model::instrument::Instrument;
use crate::model::patient::PatientTraits;
use crate::model::therapist::TherapistTraits;
use crate::model::traits::{TraitDists, Traits};

use super::archetype::{Archetype, archetypes};
use super::keys::{Role, RoleTraits, TraitKey, check, keys};
use super::narrative::capitalise;

/// A `--therapist`/`--patient` value, read: an archetype and/or trait values.
#[derive(Debug)]
pub(super) struct DyadSpec<S: Traits> {
    /// How the trace names it: the archetype's name alone, else the text as given.
    pub label: String,
    /// The archetype's values, then the `key=value` values given on the command line (which
    /// win), in order.
    assignments: Vec<(TraitKey<S::Id>, f64)>,
}

impl<S: RoleTraits> DyadSpec<S> {
    /// Reads `ARCHETYPE`, `key=value,...` or `ARCHETYPE,key=value,...`.
    ///
    /// # Errors
    /// [`Error::Usage`] for an unknown archetype (with a did-you-mean), an archetype of the
    /// other role, two archetypes, an unknown trait key, or a value that is not a number in the
    /// trait's range.
    pub fn parse(text: &str, instrument: &Instrument) -> Result<DyadSpec<S>> {
        let flag = S::ROLE.flag();
        let all = archetypes()?;
        let usage = |msg: String| Error::Usage(format!("{flag} {text}: {msg}"));
        if text.trim().is_empty() {
            return Err(Error::Usage(format!(
                "{flag} needs an archetype name or key=value trait values (see bordin trace --list)"
            )));
        }
        let mut archetype: Option<Archetype> = None;
        let mut set = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(usage("empty item between commas".into()));
            }
            if let Some((k, v)) = item.split_once('=') {
                let k = k.trim();
                let v = v.trim();
                let x: f64 = v
                    .parse()
                    .map_err(|_| usage(format!("trait `{k}`: `{v}` is not a number")))?;
                set.push((check::<S>(k, x, Some(instrument)).map_err(usage)?, x));
            } else if let Some(a) = &archetype {
                return Err(usage(format!(
                    "two archetypes (`{}` and `{item}`); give one, then key=value changes",
                    a.name
                )));
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
fn find_archetype(
    all: &[Archetype],
    role: Role,
    name: &str,
) -> std::result::Result<Archetype, String> {
    let own: Vec<&str> = all
        .iter()
        .filter(|a| a.role == role)
        .map(|a| a.name)
        .collect();
    let found = all.iter().find(|a| a.name == name);
    let role_name = role.as_str();
    match found {
        Some(a) if a.role == role => Ok(a.clone()),
        Some(a) => Err(format!(
            "`{name}` is a {} archetype, not a {role_name} archetype ({role_name} archetypes: {})",
            a.role.as_str(),
            own.join(", ")
        )),
        None => {
            let hint = did_you_mean(name, own.iter().copied())
                .map_or(String::new(), |m| format!("; did you mean `{m}`?"));
            Err(format!(
                "unknown {role_name} archetype `{name}`{hint} ({role_name} archetypes: {}; or give trait values as key=value, see bordin trace --list)",
                own.join(", ")
            ))
        }
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
        let s = DyadSpec::<TherapistTraits>::parse("warm-flexible, fis=2", inst).unwrap();
        let t = s.traits(pool, inst);
        assert_eq!(t.fis, 2.0);
        assert_eq!(t.warmth, 0.7);
        let bias = pool.get(TherapistTrait::RatingBias).nominal_mean();
        assert_eq!(t.rating_bias, bias);
        assert_eq!(s.label, "warm-flexible,fis=2");
        let s = DyadSpec::<TherapistTraits>::parse("warmth=0.6", inst).unwrap();
        let t = s.traits(pool, inst);
        assert_eq!(t.warmth, 0.6);
        assert_eq!(t.fis, pool.get(TherapistTrait::Fis).nominal_mean());
        let pop = &sc.populations[0].traits;
        let p = DyadSpec::<PatientTraits>::parse("intake_severity=20", inst).unwrap();
        assert_eq!(p.traits(pop, inst).intake_severity, 20.0);
        let p = DyadSpec::<PatientTraits>::parse("intake_severity_sd=1", inst).unwrap();
        let mean = pop.get(PatientTrait::IntakeSeverity).nominal_mean();
        assert_eq!(p.traits(pop, inst).intake_severity, mean + inst.sd);
    }

    #[test]
    fn bad_specs_are_usage_errors_with_hints() {
        let sc = Scenario::embedded_default();
        let inst = &sc.instrument;
        fn err<S: RoleTraits>(text: &str, inst: &Instrument) -> String {
            match DyadSpec::<S>::parse(text, inst) {
                Err(Error::Usage(m)) => m,
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
