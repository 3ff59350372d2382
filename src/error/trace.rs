//! Errors of `bordin trace`: a dyad flag (`--therapist`, `--compare-therapist`, `--patient`)
//! whose value cannot be read, a session count out of range, a scenario without a therapy arm.

/// Why `bordin trace` cannot run: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// A dyad flag given nothing.
    #[error("{flag} needs an archetype name or key=value trait values (see bordin trace --list)")]
    EmptyDyad { flag: &'static str },
    /// A dyad flag's value (`text`, as given) that cannot be read (the problem boxed, so that
    /// [`crate::Error`] stays small).
    #[error("{flag} {text}: {problem}")]
    Dyad {
        flag: &'static str,
        text: String,
        problem: Box<DyadProblem>,
    },
    /// `--sessions` outside 1 to 200.
    #[error("--sessions {0}: expected 1 to 200")]
    Sessions(u32),
    /// The scenario has no therapy arm to run the dyad under.
    #[error(
        "scenario {scenario} has no therapy arm; bordin trace runs a dyad under the first therapy arm"
    )]
    NoTherapyArm { scenario: String },
    /// A file of `configs/archetypes/` embedded in the binary does not read (a bug the tests
    /// catch).
    #[error("embedded archetype configs/archetypes/{name}.toml is invalid: {message}")]
    EmbeddedArchetype { name: &'static str, message: String },
}

/// What is wrong with one item of a dyad flag's value; `role` is "therapist" or "patient".
#[derive(Debug, thiserror::Error)]
pub enum DyadProblem {
    /// Two commas with nothing between them.
    #[error("empty item between commas")]
    EmptyItem,
    /// A `key=value` whose value is not a number.
    #[error("trait `{key}`: `{value}` is not a number")]
    NotANumber { key: String, value: String },
    /// A second archetype name (one archetype, then `key=value` changes).
    #[error("two archetypes (`{first}` and `{second}`); give one, then key=value changes")]
    TwoArchetypes { first: String, second: String },
    /// No archetype of that name.
    #[error(
        "unknown {role} archetype `{name}`{} ({role} archetypes: {}; or give trait values as key=value, see bordin trace --list)",
        hint(.suggestion),
        .known.join(", ")
    )]
    UnknownArchetype {
        role: &'static str,
        name: String,
        suggestion: Option<String>,
        known: Vec<&'static str>,
    },
    /// An archetype of the other role.
    #[error(
        "`{name}` is a {actual} archetype, not a {role} archetype ({role} archetypes: {})",
        .known.join(", ")
    )]
    OtherRole {
        role: &'static str,
        name: String,
        actual: &'static str,
        known: Vec<&'static str>,
    },
    /// A key that is not a trait of the role.
    #[error(
        "unknown {role} trait `{key}`{} ({role} traits: {})",
        hint(.suggestion),
        .known.join(", ")
    )]
    UnknownTrait {
        role: &'static str,
        key: String,
        suggestion: Option<String>,
        known: Vec<&'static str>,
    },
    /// A trait value outside the trait's range (or not finite).
    #[error("{role} trait `{key}` = {value} is out of range: expected a number from {lo} to {hi}")]
    OutOfRange {
        role: &'static str,
        key: String,
        value: f64,
        lo: f64,
        hi: f64,
    },
}

/// "; did you mean `x`?", or nothing.
fn hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map_or(String::new(), |m| format!("; did you mean `{m}`?"))
}
