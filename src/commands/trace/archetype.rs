//! The archetypes of `bordin trace`: named sets of trait values, one file each in
//! `configs/archetypes/`, embedded in the binary.

use crate::error::TraceError;

use super::keys::{Role, check_archetype_trait};

/// The archetype files, embedded in the binary: `(name, TOML text)`.
const ARCHETYPE_FILES: &[(&str, &str)] = &[
    (
        "warm-flexible",
        include_str!("../../../configs/archetypes/warm-flexible.toml"),
    ),
    (
        "rigid-technical",
        include_str!("../../../configs/archetypes/rigid-technical.toml"),
    ),
    (
        "distant",
        include_str!("../../../configs/archetypes/distant.toml"),
    ),
    (
        "novice",
        include_str!("../../../configs/archetypes/novice.toml"),
    ),
    (
        "anxious-confronting",
        include_str!("../../../configs/archetypes/anxious-confronting.toml"),
    ),
    (
        "avoidant-withdrawing",
        include_str!("../../../configs/archetypes/avoidant-withdrawing.toml"),
    ),
    (
        "securely-attached",
        include_str!("../../../configs/archetypes/securely-attached.toml"),
    ),
    (
        "high-distress-low-capacity",
        include_str!("../../../configs/archetypes/high-distress-low-capacity.toml"),
    ),
];

/// A named set of trait values (a file in `configs/archetypes/`).
#[derive(Clone, Debug)]
pub(super) struct Archetype {
    pub name: &'static str,
    pub role: Role,
    /// One line.
    pub description: String,
    /// Trait values in file order, checked against the role's trait declarations.
    pub traits: Vec<(String, f64)>,
}

/// Reads one archetype file.
fn parse_archetype(name: &'static str, src: &str) -> std::result::Result<Archetype, String> {
    let doc: toml_edit::DocumentMut = src.parse().map_err(|e| format!("{e}"))?;
    let mut role = None;
    let mut description = None;
    let mut traits = Vec::new();
    for (key, item) in doc.iter() {
        match key {
            "role" => {
                role = match item.as_str() {
                    Some("therapist") => Some(Role::Therapist),
                    Some("patient") => Some(Role::Patient),
                    _ => return Err("`role` must be \"therapist\" or \"patient\"".into()),
                }
            }
            "description" => {
                let d = item.as_str().ok_or("`description` must be a string")?;
                if d.trim().is_empty() || d.contains('\n') {
                    return Err("`description` must be one non-empty line".into());
                }
                description = Some(d.to_string());
            }
            "traits" => {
                let t = item.as_table().ok_or("`traits` must be a table")?;
                for (k, v) in t.iter() {
                    let x = v
                        .as_float()
                        .or_else(|| v.as_integer().map(|i| i as f64))
                        .ok_or_else(|| format!("trait `{k}` must be a number"))?;
                    traits.push((k.to_string(), x));
                }
            }
            other => return Err(format!("unknown key `{other}`")),
        }
    }
    let role = role.ok_or("missing `role`")?;
    for (k, v) in &traits {
        check_archetype_trait(role, k, *v)?;
    }
    Ok(Archetype {
        name,
        role,
        description: description.ok_or("missing `description`")?,
        traits,
    })
}

/// Every shipped archetype, therapists first.
///
/// # Errors
/// [`TraceError::EmbeddedArchetype`], only if an embedded file is invalid (a bug, caught by the
/// tests).
pub(super) fn archetypes() -> Result<Vec<Archetype>, TraceError> {
    ARCHETYPE_FILES
        .iter()
        .map(|&(name, src)| {
            parse_archetype(name, src)
                .map_err(|message| TraceError::EmbeddedArchetype { name, message })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_archetype_file_is_valid_and_named_as_listed() {
        let all = archetypes().unwrap();
        assert_eq!(all.len(), 8);
        let names = |role| {
            all.iter()
                .filter(|a| a.role == role)
                .map(|a| a.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(Role::Therapist),
            ["warm-flexible", "rigid-technical", "distant", "novice"]
        );
        assert_eq!(
            names(Role::Patient),
            [
                "anxious-confronting",
                "avoidant-withdrawing",
                "securely-attached",
                "high-distress-low-capacity"
            ]
        );
    }
}
