//! `bordin trace`: one dyad, session by session, for trainers and supervisors.
//!
//! A therapist and a patient with given traits (an archetype from `configs/archetypes/`, explicit
//! `key=value` trait values, or an archetype with some values changed) meet under the scenario's
//! first therapy arm. The trace shows every session's alliance (bond, goals, tasks), WAI-SR
//! ratings, symptom score and rupture, and tells in plain words what happened: ruptures, whether
//! the therapist noticed them, repairs, sudden gains and the ending, with the numbers behind
//! each. With a second therapist, the same patient is simulated again with the same random
//! draws (common random numbers: same seed, same patient index, same week streams), so every
//! difference between the two courses comes from the therapist.
//!
//! Conventions:
//! - The patient is patient 0 of replicate 0 of the scenario's seed (`--seed` changes it): their
//!   week draws (measurement error, alliance noise, rupture draws, dropout) are those of that
//!   patient in `bordin run`; their traits are the ones given, not drawn.
//! - Traits not given take the archetype's value, or, without an archetype (or when the
//!   archetype does not set them), the mean of the distribution in the scenario: the first
//!   therapy arm's therapist pool for therapists, the first population for patients.
//! - The therapist is the only therapist of a one-therapist pool: a poor-alliance rule set to
//!   re-match stops treatment instead (there is nobody to re-match to).
//! - The arm's policies apply (rupture-resolution training raises the traits given).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config::reader::did_you_mean;
use crate::error::{Error, Result};
use crate::io::{self, AtomicFile, num};
use crate::model::attendance::Ending;
use crate::model::instrument::Instrument;
use crate::model::patient::{Patient, PatientTraits, Population};
use crate::model::rupture::{RuptureEvent, RuptureKind};
use crate::model::therapist::{Therapist, TherapistPool, TherapistTraits};
use crate::model::treatment::{Arm, ArmKind};
use crate::plot::{ChartDyad, RuptureMark, TraceChart};
use crate::random::{Streams, WeekStreams};
use crate::scenario::Scenario;
use crate::sim::course::{self, Course, CourseInput, SessionRecord, Status};

/// Whose traits an archetype or a trait list sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Therapist,
    Patient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Therapist => "therapist",
            Role::Patient => "patient",
        }
    }
}

/// Therapist trait keys and their valid ranges (as in `[[therapist_pools]]`).
pub const THERAPIST_TRAITS: &[(&str, f64, f64)] = &[
    ("warmth", -1.0, 1.0),
    ("dominance", -1.0, 1.0),
    ("fis", -4.0, 4.0),
    ("attunement", 0.0, 1.0),
    ("repair_skill", 0.0, 1.0),
    ("flexibility", 0.0, 1.0),
    ("rating_bias", -2.0, 2.0),
];

/// Patient trait keys and their valid ranges (as in `[[populations]]`). `intake_severity` is in
/// instrument points (range: the instrument's); `intake_severity_sd` sets it in instrument SDs
/// (`instrument.sd`) above the population's mean intake severity.
pub const PATIENT_TRAITS: &[(&str, f64, f64)] = &[
    ("intake_severity", f64::NEG_INFINITY, f64::INFINITY),
    ("intake_severity_sd", -4.0, 4.0),
    ("set_point", 0.0, 2.0),
    ("warmth", -1.0, 1.0),
    ("dominance", -1.0, 1.0),
    ("interpersonal_distress", 0.0, 1.0),
    ("attachment_anxiety", 0.0, 1.0),
    ("attachment_avoidance", 0.0, 1.0),
    ("alliance_capacity", -4.0, 4.0),
    ("expectancy", 0.0, 1.0),
    ("motivation", 0.0, 1.0),
    ("rupture_sensitivity", 0.0, 1.0),
    ("withdrawal_tendency", 0.0, 1.0),
    ("preference", 0.0, 1.0),
    ("rating_bias", -2.0, 2.0),
    ("responsiveness", 0.0, 10.0),
];

fn trait_keys(role: Role) -> &'static [(&'static str, f64, f64)] {
    match role {
        Role::Therapist => THERAPIST_TRAITS,
        Role::Patient => PATIENT_TRAITS,
    }
}

/// The archetype files, embedded in the binary: `(name, TOML text)`.
const ARCHETYPE_FILES: &[(&str, &str)] = &[
    (
        "warm-flexible",
        include_str!("../../configs/archetypes/warm-flexible.toml"),
    ),
    (
        "rigid-technical",
        include_str!("../../configs/archetypes/rigid-technical.toml"),
    ),
    (
        "distant",
        include_str!("../../configs/archetypes/distant.toml"),
    ),
    (
        "novice",
        include_str!("../../configs/archetypes/novice.toml"),
    ),
    (
        "anxious-confronting",
        include_str!("../../configs/archetypes/anxious-confronting.toml"),
    ),
    (
        "avoidant-withdrawing",
        include_str!("../../configs/archetypes/avoidant-withdrawing.toml"),
    ),
    (
        "securely-attached",
        include_str!("../../configs/archetypes/securely-attached.toml"),
    ),
    (
        "high-distress-low-capacity",
        include_str!("../../configs/archetypes/high-distress-low-capacity.toml"),
    ),
];

/// A named set of trait values (a file in `configs/archetypes/`).
#[derive(Clone, Debug, PartialEq)]
pub struct Archetype {
    pub name: &'static str,
    pub role: Role,
    /// One line.
    pub description: String,
    /// Trait values in file order.
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
        check_trait(role, k, *v, None)?;
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
/// Only if an embedded file is invalid (a bug, caught by the tests).
pub fn archetypes() -> Result<Vec<Archetype>> {
    ARCHETYPE_FILES
        .iter()
        .map(|(name, src)| {
            parse_archetype(name, src).map_err(|e| {
                Error::Usage(format!(
                    "embedded archetype configs/archetypes/{name}.toml is invalid: {e}"
                ))
            })
        })
        .collect()
}

/// Checks a trait key and value; `instrument` gives the range of `intake_severity`.
fn check_trait(
    role: Role,
    key: &str,
    value: f64,
    instrument: Option<&Instrument>,
) -> std::result::Result<(), String> {
    let keys = trait_keys(role);
    let Some(&(_, mut lo, mut hi)) = keys.iter().find(|(k, _, _)| *k == key) else {
        let hint = did_you_mean(key, keys.iter().map(|(k, _, _)| *k))
            .map_or(String::new(), |m| format!("; did you mean `{m}`?"));
        let list: Vec<&str> = keys.iter().map(|(k, _, _)| *k).collect();
        return Err(format!(
            "unknown {} trait `{key}`{hint} ({} traits: {})",
            role.as_str(),
            role.as_str(),
            list.join(", ")
        ));
    };
    if key == "intake_severity"
        && let Some(inst) = instrument
    {
        (lo, hi) = (inst.min, inst.max);
    }
    if !value.is_finite() || value < lo || value > hi {
        return Err(format!(
            "{} trait `{key}` = {value} is out of range: expected a number from {lo} to {hi}",
            role.as_str()
        ));
    }
    Ok(())
}

/// A `--therapist`/`--patient` value, read: an archetype and/or trait values.
#[derive(Clone, Debug, PartialEq)]
pub struct DyadSpec {
    pub role: Role,
    /// How the trace names it: the archetype's name alone, else the text as given.
    pub label: String,
    pub archetype: Option<Archetype>,
    /// `key=value` trait values given on the command line, in order (they win over the
    /// archetype's).
    pub set: Vec<(String, f64)>,
}

impl DyadSpec {
    /// Reads `ARCHETYPE`, `key=value,...` or `ARCHETYPE,key=value,...`.
    ///
    /// # Errors
    /// [`Error::Usage`] for an unknown archetype (with a did-you-mean), an archetype of the
    /// other role, two archetypes, an unknown trait key, or a value that is not a number in the
    /// trait's range.
    pub fn parse(role: Role, text: &str, instrument: &Instrument) -> Result<DyadSpec> {
        let flag = match role {
            Role::Therapist => "--therapist",
            Role::Patient => "--patient",
        };
        let all = archetypes()?;
        let usage = |msg: String| Error::Usage(format!("{flag} {text}: {msg}"));
        let mut archetype: Option<Archetype> = None;
        let mut set = Vec::new();
        if text.trim().is_empty() {
            return Err(Error::Usage(format!(
                "{flag} needs an archetype name or key=value trait values (see bordin trace --list)"
            )));
        }
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
                check_trait(role, k, x, Some(instrument)).map_err(usage)?;
                set.push((k.to_string(), x));
            } else {
                if let Some(a) = &archetype {
                    return Err(usage(format!(
                        "two archetypes (`{}` and `{item}`); give one, then key=value changes",
                        a.name
                    )));
                }
                let own: Vec<&Archetype> = all.iter().filter(|a| a.role == role).collect();
                match all.iter().find(|a| a.name == item) {
                    Some(a) if a.role == role => archetype = Some(a.clone()),
                    Some(a) => {
                        return Err(usage(format!(
                            "`{item}` is a {} archetype, not a {} archetype ({} archetypes: {})",
                            a.role.as_str(),
                            role.as_str(),
                            role.as_str(),
                            own.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
                        )));
                    }
                    None => {
                        let hint = did_you_mean(item, own.iter().map(|a| a.name))
                            .map_or(String::new(), |m| format!("; did you mean `{m}`?"));
                        return Err(usage(format!(
                            "unknown {} archetype `{item}`{hint} ({} archetypes: {}; or give trait values as key=value, see bordin trace --list)",
                            role.as_str(),
                            role.as_str(),
                            own.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
            }
        }
        let label = match (&archetype, set.is_empty()) {
            (Some(a), true) => a.name.to_string(),
            _ => text.split(',').map(str::trim).collect::<Vec<_>>().join(","),
        };
        Ok(DyadSpec {
            role,
            label,
            archetype,
            set,
        })
    }

    /// The archetype's values, then those given.
    fn assignments(&self) -> impl Iterator<Item = &(String, f64)> {
        self.archetype
            .iter()
            .flat_map(|a| a.traits.iter())
            .chain(self.set.iter())
    }

    /// The therapist's traits: pool means, then the archetype's values, then those given.
    pub fn therapist_traits(&self, pool: &TherapistPool) -> TherapistTraits {
        let mut t = TherapistTraits {
            warmth: pool.warmth.nominal_mean(),
            dominance: pool.dominance.nominal_mean(),
            fis: pool.fis.nominal_mean(),
            attunement: pool.attunement.nominal_mean(),
            repair_skill: pool.repair_skill.nominal_mean(),
            flexibility: pool.flexibility.nominal_mean(),
            rating_bias: pool.rating_bias.nominal_mean(),
        };
        for (k, v) in self.assignments() {
            let field = match k.as_str() {
                "warmth" => &mut t.warmth,
                "dominance" => &mut t.dominance,
                "fis" => &mut t.fis,
                "attunement" => &mut t.attunement,
                "repair_skill" => &mut t.repair_skill,
                "flexibility" => &mut t.flexibility,
                "rating_bias" => &mut t.rating_bias,
                _ => continue, // checked when read
            };
            *field = *v;
        }
        t
    }

    /// The patient's traits: population means, then the archetype's values, then those given.
    pub fn patient_traits(&self, pop: &Population, inst: &Instrument) -> PatientTraits {
        let mut t = PatientTraits {
            intake_severity: pop.intake_severity.nominal_mean().clamp(inst.min, inst.max),
            set_point: pop.set_point.nominal_mean(),
            warmth: pop.warmth.nominal_mean(),
            dominance: pop.dominance.nominal_mean(),
            interpersonal_distress: pop.interpersonal_distress.nominal_mean(),
            attachment_anxiety: pop.attachment_anxiety.nominal_mean(),
            attachment_avoidance: pop.attachment_avoidance.nominal_mean(),
            alliance_capacity: pop.alliance_capacity.nominal_mean(),
            expectancy: pop.expectancy.nominal_mean(),
            motivation: pop.motivation.nominal_mean(),
            rupture_sensitivity: pop.rupture_sensitivity.nominal_mean(),
            withdrawal_tendency: pop.withdrawal_tendency.nominal_mean(),
            preference: pop.preference.nominal_mean(),
            rating_bias: pop.rating_bias.nominal_mean(),
            responsiveness: pop.responsiveness.nominal_mean(),
        };
        for (k, v) in self.assignments() {
            let field = match k.as_str() {
                "intake_severity_sd" => {
                    t.intake_severity = (pop.intake_severity.nominal_mean() + v * inst.sd)
                        .clamp(inst.min, inst.max);
                    continue;
                }
                "intake_severity" => &mut t.intake_severity,
                "set_point" => &mut t.set_point,
                "warmth" => &mut t.warmth,
                "dominance" => &mut t.dominance,
                "interpersonal_distress" => &mut t.interpersonal_distress,
                "attachment_anxiety" => &mut t.attachment_anxiety,
                "attachment_avoidance" => &mut t.attachment_avoidance,
                "alliance_capacity" => &mut t.alliance_capacity,
                "expectancy" => &mut t.expectancy,
                "motivation" => &mut t.motivation,
                "rupture_sensitivity" => &mut t.rupture_sensitivity,
                "withdrawal_tendency" => &mut t.withdrawal_tendency,
                "preference" => &mut t.preference,
                "rating_bias" => &mut t.rating_bias,
                "responsiveness" => &mut t.responsiveness,
                _ => continue, // checked when read
            };
            *field = *v;
        }
        t
    }
}

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
    for role in [Role::Therapist, Role::Patient] {
        let keys: Vec<String> = trait_keys(role)
            .iter()
            .map(|(k, lo, hi)| {
                if lo.is_finite() {
                    format!("{k} [{lo}, {hi}]")
                } else {
                    format!("{k} [instrument range]")
                }
            })
            .collect();
        let _ = writeln!(s, "  {}: {}", role.as_str(), keys.join(", "));
    }
    s.push_str(
        "Traits not given take the archetype's value, else the mean of the scenario's therapist pool\n(first therapy arm) or first population. intake_severity_sd: intake severity in instrument\nSDs above the population mean.\n",
    );
    Ok(s)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Everything `bordin trace` needs.
#[derive(Clone, Debug)]
pub struct TraceRequest {
    pub scenario: Scenario,
    /// Where the scenario came from (a path, or "embedded default").
    pub scenario_source: String,
    pub therapist: String,
    pub patient: String,
    pub compare_therapist: Option<String>,
    /// Planned sessions (default: the arm's).
    pub sessions: Option<u32>,
    pub out: PathBuf,
    pub force: bool,
}

/// One simulated dyad.
#[derive(Clone, Debug)]
pub struct Dyad {
    /// "A" or "B".
    pub name: String,
    pub therapist_label: String,
    pub therapist: TherapistTraits,
    pub course: Course,
}

/// A simulated trace: one patient with one or two therapists.
#[derive(Clone, Debug)]
pub struct Trace {
    pub scenario: Scenario,
    pub scenario_source: String,
    /// The arm the dyads ran under (with `--sessions` applied).
    pub arm: Arm,
    pub patient_label: String,
    pub patient: Patient,
    pub dyads: Vec<Dyad>,
}

/// Simulates the dyads of a request (nothing is written).
///
/// # Errors
/// [`Error::Usage`] for a bad archetype or trait value, a bad session count, or a scenario
/// without a therapy arm.
pub fn simulate(req: &TraceRequest) -> Result<Trace> {
    let sc = &req.scenario;
    let inst = &sc.instrument;
    let therapist = DyadSpec::parse(Role::Therapist, &req.therapist, inst)?;
    let patient = DyadSpec::parse(Role::Patient, &req.patient, inst)?;
    let compare = req
        .compare_therapist
        .as_deref()
        .map(|t| DyadSpec::parse(Role::Therapist, t, inst))
        .transpose()?;
    let mut arm = sc
        .arms
        .iter()
        .find(|a| a.kind == ArmKind::Therapy && a.pool.is_some())
        .cloned()
        .ok_or_else(|| {
            Error::Usage(format!(
                "scenario {} has no therapy arm; bordin trace runs a dyad under the first therapy arm",
                req.scenario_source
            ))
        })?;
    if let Some(n) = req.sessions {
        if !(1..=200).contains(&n) {
            return Err(Error::Usage(format!("--sessions {n}: expected 1 to 200")));
        }
        arm.sessions = n;
    }
    let pool_index = arm.pool.unwrap_or(0);
    let pool = &sc.therapist_pools[pool_index];
    let population = &sc.populations[0];
    let patient_traits = patient.patient_traits(population, inst);
    let pt = Patient {
        index: 0,
        population: 0,
        traits: patient_traits,
    };
    let streams = Streams::new(sc.run.seed);
    let mut dyads = Vec::new();
    for (name, spec) in std::iter::once(("A", &therapist)).chain(compare.iter().map(|c| ("B", c))) {
        let traits = spec.therapist_traits(pool);
        let th = [Therapist {
            pool: pool_index,
            index: 0,
            id: spec.label.clone(),
            traits: traits.clone(),
        }];
        // Fresh week streams of the same patient index for every dyad: common random numbers.
        let mut weeks = WeekStreams::new(&streams, 0, 0);
        let course = course::simulate(
            &CourseInput {
                scenario: sc,
                arm: &arm,
                patient: &pt,
                therapists: &th,
                therapist: 0,
                record: true,
            },
            &mut weeks,
        );
        dyads.push(Dyad {
            name: name.to_string(),
            therapist_label: spec.label.clone(),
            therapist: traits,
            course,
        });
    }
    Ok(Trace {
        scenario: sc.clone(),
        scenario_source: req.scenario_source.clone(),
        arm,
        patient_label: patient.label,
        patient: pt,
        dyads,
    })
}

/// The instrument's display name.
pub fn instrument_label(inst: &Instrument) -> String {
    match inst.name.as_str() {
        "phq9" => "PHQ-9".into(),
        "gad7" => "GAD-7".into(),
        "oq45" => "OQ-45".into(),
        "core_om" => "CORE-OM".into(),
        _ => "Symptom".into(),
    }
}

fn ending_words(e: Ending) -> &'static str {
    match e {
        Ending::Completed => "completed the planned course",
        Ending::GoodEnough => "good-enough ending (ended by agreement)",
        Ending::DroppedOut => "dropped out",
        Ending::Stopped => "stopped by the poor-alliance rule",
        Ending::Waitlist => "waitlist",
    }
}

/// The ending in a few words, for chart captions.
fn ending_short(c: &Course) -> String {
    match c.ending {
        Ending::Completed => "completed".into(),
        Ending::GoodEnough => format!("good-enough ending after session {}", c.sessions_attended),
        Ending::DroppedOut => format!("dropped out after session {}", c.sessions_attended),
        Ending::Stopped => format!("stopped after session {}", c.sessions_attended),
        Ending::Waitlist => "waitlist".into(),
    }
}

fn f2(x: f64) -> String {
    format!("{x:.2}")
}

/// Scores and severities: one decimal at most (instrument scores are whole points).
fn f1(x: f64) -> String {
    num(x, 1)
}

fn therapist_traits_text(t: &TherapistTraits) -> String {
    format!(
        "warmth {}, dominance {}, FIS {}, attunement {}, repair skill {}, flexibility {}, rating bias {}",
        f2(t.warmth),
        f2(t.dominance),
        f2(t.fis),
        f2(t.attunement),
        f2(t.repair_skill),
        f2(t.flexibility),
        f2(t.rating_bias)
    )
}

fn patient_traits_text(t: &PatientTraits) -> String {
    format!(
        "latent intake severity {}, set point {}, warmth {}, dominance {}, interpersonal distress {}, attachment anxiety {}, attachment avoidance {}, alliance capacity {}, expectancy {}, motivation {}, rupture sensitivity {}, withdrawal tendency {}, preference {}, rating bias {}",
        f1(t.intake_severity),
        f2(t.set_point),
        f2(t.warmth),
        f2(t.dominance),
        f2(t.interpersonal_distress),
        f2(t.attachment_anxiety),
        f2(t.attachment_avoidance),
        f2(t.alliance_capacity),
        f2(t.expectancy),
        f2(t.motivation),
        f2(t.rupture_sensitivity),
        f2(t.withdrawal_tendency),
        f2(t.preference),
        f2(t.rating_bias)
    )
}

fn rupture_cell(e: &RuptureEvent) -> String {
    let fate = if e.repaired {
        "repaired"
    } else if e.noticed {
        "unrepaired"
    } else {
        "missed"
    };
    format!("{} {:.2} {fate}", e.kind.as_str(), e.severity)
}

/// The session table of one dyad (plain text, fixed-width columns).
pub fn session_table(trace: &Trace, dyad: &Dyad) -> String {
    let inst = &trace.scenario.instrument;
    let c = &dyad.course;
    let mut s = String::new();
    let mut row = |cells: [&str; 10]| {
        let [t, bond, goals, tasks, all, wp, wt, score, rupture, status] = cells;
        let _ = writeln!(
            s,
            "{t:>7}  {bond:>5}  {goals:>5}  {tasks:>5}  {all:>8}  {wp:>5}  {wt:>5}  {score:>6}  {rupture:<28}  {status}"
        );
    };
    row([
        "session",
        "bond",
        "goals",
        "tasks",
        "alliance",
        "WAI-p",
        "WAI-t",
        "score",
        "rupture (type severity fate)",
        "status",
    ]);
    let intake = f1(c.intake_score);
    row(["intake", "", "", "", "", "", "", &intake, "", ""]);
    for r in &c.sessions {
        row([
            &r.session.to_string(),
            &f2(r.alliance.bond),
            &f2(r.alliance.goals),
            &f2(r.alliance.tasks),
            &f2(r.alliance.total()),
            &r.wai_patient.to_string(),
            &r.wai_therapist.to_string(),
            &f1(r.symptom_score),
            &r.rupture.as_ref().map(rupture_cell).unwrap_or_default(),
            r.status.as_str(),
        ]);
    }
    if c.ending != Ending::DroppedOut {
        let end = f1(c.final_score);
        row([
            "end",
            "",
            "",
            "",
            "",
            "",
            "",
            &end,
            "",
            "end-of-treatment assessment",
        ]);
    }
    let _ = writeln!(
        s,
        "alliance: latent 0-1 at the end of the session (after any rupture and repair); rupture fate: repaired, unrepaired (noticed, repair failed) or missed (not noticed); WAI-p/WAI-t: WAI-SR totals (12-60) by patient and therapist; score: {} before the session (cut-off {}, reliable change {} points)",
        instrument_label(inst),
        num(inst.cutoff, 2),
        num(inst.rc_threshold, 2)
    );
    s
}

/// A titled block of the narrative.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    /// Paragraphs before the events.
    pub paragraphs: Vec<String>,
    /// One line per event.
    pub events: Vec<String>,
}

fn severity_word(s: f64) -> &'static str {
    if s < 0.2 {
        "mild"
    } else if s < 0.5 {
        "moderate"
    } else {
        "severe"
    }
}

fn rupture_event_text(trace: &Trace, r: &SessionRecord, e: &RuptureEvent) -> String {
    let repair = &trace.scenario.mechanisms.repair;
    let end = r.alliance.total();
    let strain = repair.strain_per_severity * e.severity;
    let mut s = format!(
        "Session {}: {} {} rupture (severity {:.2}): the alliance fell from {:.2} to {:.2}.",
        r.session,
        severity_word(e.severity),
        e.kind.as_str(),
        e.severity,
        e.alliance_before,
        e.alliance_after_drop
    );
    let how = if e.via_feedback {
        " The therapist missed it in the session but learnt of it through alliance feedback (the patient's report)"
    } else if e.noticed {
        " The therapist noticed it in the session"
    } else {
        " The therapist did not notice it"
    };
    s.push_str(how);
    if e.repaired {
        let _ = write!(
            s,
            " and repaired it: the alliance ended the session at {end:.2} ({:.2} before the rupture).",
            e.alliance_before
        );
    } else if e.noticed && repair.enabled {
        let _ = write!(
            s,
            ", but the repair attempt failed: the alliance ended the session at {end:.2}, and strain {strain:.2} carries into the next sessions (a lower alliance, a higher risk of dropout)."
        );
    } else {
        let _ = write!(
            s,
            ", so no repair was attempted{}: the alliance ended the session at {end:.2}, and strain {strain:.2} carries into the next sessions (a lower alliance, a higher risk of dropout).",
            if repair.enabled {
                ""
            } else {
                " (repair is switched off in this scenario)"
            }
        );
    }
    s.push_str(match (e.reported_by_patient, e.reported_by_observer) {
        (true, true) => " The patient reported it, and an observer would have coded it.",
        (true, false) => " The patient reported it; an observer would not have coded it.",
        (false, true) => " The patient did not report it; an observer would have coded it.",
        (false, false) => " Neither the patient nor an observer would have reported it.",
    });
    s
}

/// Ruptures below this severity are "minor": told together in one line.
pub const MINOR_RUPTURE: f64 = 0.1;

/// A note when the end-of-treatment score is reliably worse than the last session's.
fn end_jump(inst: &Instrument, last: f64, end: f64) -> String {
    if end - last >= inst.rc_threshold {
        format!(
            " (up from {} before the last session: the natural course in the week after it, such as a life-stress shock, and measurement error)",
            f1(last)
        )
    } else {
        String::new()
    }
}

fn dyad_section(trace: &Trace, d: &Dyad) -> Section {
    let sc = &trace.scenario;
    let inst = &sc.instrument;
    let label = instrument_label(inst);
    let c = &d.course;
    let mut events = Vec::new();
    let mut flagged = false;
    // Minor ruptures are summed up in one line; the others are told one by one.
    let minor: Vec<(u32, &RuptureEvent)> = c
        .sessions
        .iter()
        .filter_map(|r| r.rupture.as_ref().map(|e| (r.session, e)))
        .filter(|(_, e)| e.severity < MINOR_RUPTURE)
        .collect();
    if !minor.is_empty() {
        let sessions: Vec<String> = minor.iter().map(|(t, _)| t.to_string()).collect();
        let count = |f: &dyn Fn(&RuptureEvent) -> bool| minor.iter().filter(|(_, e)| f(e)).count();
        events.push(format!(
            "Minor ruptures (severity below {MINOR_RUPTURE}, an alliance drop of {:.2} at most) in session{} {}: {} withdrawal, {} confrontation; {} noticed, {} repaired.",
            minor
                .iter()
                .map(|(_, e)| e.alliance_before - e.alliance_after_drop)
                .fold(0.0, f64::max),
            if minor.len() == 1 { "" } else { "s" },
            sessions.join(", "),
            count(&|e| e.kind == RuptureKind::Withdrawal),
            count(&|e| e.kind == RuptureKind::Confrontation),
            count(&|e| e.noticed),
            count(&|e| e.repaired)
        ));
    }
    let mut prev_score = c.intake_score;
    for (i, r) in c.sessions.iter().enumerate() {
        if r.symptom_score - prev_score >= inst.rc_threshold {
            events.push(format!(
                "Session {}: the score rose from {} to {} since the last measurement, by at least the reliable-change threshold (the natural course between sessions, such as a life-stress shock, and measurement error).",
                r.session,
                f1(prev_score),
                f1(r.symptom_score)
            ));
        }
        prev_score = r.symptom_score;
        if r.not_on_track && !flagged {
            flagged = true;
            events.push(format!(
                "Session {}: routine outcome monitoring flagged the patient as not on track ({label} {} before the session, intake {}).",
                r.session,
                f1(r.symptom_score),
                f1(c.intake_score)
            ));
        }
        if let Some(e) = r.rupture.as_ref().filter(|e| e.severity >= MINOR_RUPTURE) {
            events.push(rupture_event_text(trace, r, e));
        }
        if r.sudden_gain {
            let next = match c.sessions.get(i + 1) {
                Some(n) => format!("{} before session {}", f1(n.symptom_score), n.session),
                None if c.ending != Ending::DroppedOut => {
                    format!("{} at the end-of-treatment assessment", f1(c.final_score))
                }
                None => "not measured again".into(),
            };
            events.push(format!(
                "Session {}: a sudden gain followed in the week after the session ({label} {} before it, {next}).",
                r.session,
                f1(r.symptom_score)
            ));
        }
        match r.status {
            Status::Ended(Ending::Completed) => events.push(format!(
                "Session {}: the planned course of {} session{} was completed (alliance {:.2}); end-of-treatment {label} score {}{}.",
                r.session,
                trace.arm.sessions,
                if trace.arm.sessions == 1 { "" } else { "s" },
                r.alliance.total(),
                f1(c.final_score),
                end_jump(inst, r.symptom_score, c.final_score)
            )),
            Status::Ended(Ending::GoodEnough) => events.push(format!(
                "Session {}: ended by agreement at the good-enough level: the score before the session, {}, was below the cut-off ({}) and {} points below intake (reliable change: {} points); end-of-treatment score {}.",
                r.session,
                f1(r.symptom_score),
                num(inst.cutoff, 2),
                f1(c.intake_score - r.symptom_score),
                num(inst.rc_threshold, 2),
                f1(c.final_score)
            ) + &end_jump(inst, r.symptom_score, c.final_score)),
            Status::Ended(Ending::DroppedOut) => events.push(format!(
                "Session {}: the patient dropped out after this session (alliance {:.2} at its end{}); the last observed score, {}, stands as the final score.",
                r.session,
                r.alliance.total(),
                match &r.rupture {
                    Some(e) if !e.repaired => ", after an unrepaired rupture",
                    _ => "",
                },
                f1(c.final_score)
            )),
            Status::Ended(Ending::Stopped) => events.push(format!(
                "Session {}: treatment was stopped by the poor-alliance rule (patient WAI-SR {} of 60, mean item {:.2}).",
                r.session,
                r.wai_patient,
                f64::from(r.wai_patient) / 12.0
            )),
            Status::Rematched => events.push(format!(
                "Session {}: the poor-alliance rule re-matched the patient to another therapist.",
                r.session
            )),
            _ => {}
        }
    }
    let class = inst.classify(c.intake_score, c.final_score);
    let noticed = c
        .sessions
        .iter()
        .filter(|r| r.rupture.is_some_and(|e| e.noticed))
        .count();
    let paragraphs = vec![
        format!(
            "Therapist {} ({}).",
            d.therapist_label,
            therapist_traits_text(&d.therapist)
        ),
        format!(
            "Outcome: {label} {} at intake, {} at the end (change {}{} point{}: {}). {} of {} planned sessions attended; {} rupture{}, {} noticed, {} repaired; {} sudden gain{}; ending: {}.",
            f1(c.intake_score),
            f1(c.final_score),
            if c.final_score >= c.intake_score {
                "+"
            } else {
                ""
            },
            f1(c.final_score - c.intake_score),
            if (c.final_score - c.intake_score).abs() == 1.0 {
                ""
            } else {
                "s"
            },
            class.as_str(),
            c.sessions_attended,
            trace.arm.sessions,
            c.ruptures,
            if c.ruptures == 1 { "" } else { "s" },
            noticed,
            c.repairs,
            c.sudden_gains,
            if c.sudden_gains == 1 { "" } else { "s" },
            ending_words(c.ending)
        ),
    ];
    if c.ruptures == 0 {
        events.insert(0, "No ruptures happened in this course.".into());
    }
    Section {
        title: format!(
            "Dyad {}: therapist {} with patient {}",
            d.name, d.therapist_label, trace.patient_label
        ),
        paragraphs,
        events,
    }
}

fn comparison(trace: &Trace) -> Option<String> {
    let [a, b] = trace.dyads.as_slice() else {
        return None;
    };
    let inst = &trace.scenario.instrument;
    let one = |d: &Dyad| {
        let c = &d.course;
        format!(
            "with {} the final score was {} ({}) after {} session{}, with {} rupture{} of which {} repaired, ending: {}",
            d.therapist_label,
            f1(c.final_score),
            inst.classify(c.intake_score, c.final_score).as_str(),
            c.sessions_attended,
            if c.sessions_attended == 1 { "" } else { "s" },
            c.ruptures,
            if c.ruptures == 1 { "" } else { "s" },
            c.repairs,
            ending_words(c.ending)
        )
    };
    let diff = b.course.final_score - a.course.final_score;
    let verdict = if diff.abs() < 0.05 {
        "The final scores are the same.".to_string()
    } else {
        let (better, worse) = if diff > 0.0 { (a, b) } else { (b, a) };
        format!(
            "The final score is {} points lower with {} than with {}.",
            f1(diff.abs()),
            better.therapist_label,
            worse.therapist_label
        )
    };
    Some(format!(
        "Same patient ({}, {} {} at intake), same random draws: only the therapist differs. {}; {}. {verdict}",
        trace.patient_label,
        instrument_label(inst),
        f1(a.course.intake_score),
        capitalise(&one(a)),
        one(b)
    ))
}

/// The narrative: the setting, one section per dyad, and the comparison.
pub fn narrative(trace: &Trace) -> (String, Vec<Section>, Option<String>) {
    let sc = &trace.scenario;
    let setting = format!(
        "Scenario \"{}\" ({}), arm {} ({} planned sessions), seed {}; patient {} ({}); {} cut-off {}, reliable change {} points.",
        sc.name,
        trace.scenario_source,
        trace.arm.name,
        trace.arm.sessions,
        sc.run.seed,
        trace.patient_label,
        patient_traits_text(&trace.patient.traits),
        instrument_label(&sc.instrument),
        num(sc.instrument.cutoff, 2),
        num(sc.instrument.rc_threshold, 2)
    ) + " Ruptures: withdrawal (the patient moves away: defers, avoids, goes quiet) or confrontation (the patient moves against the therapist: complains, presses); severity 0-1; alliance values are latent, 0-1 (mean of bond, goals and tasks).";
    let sections = trace.dyads.iter().map(|d| dyad_section(trace, d)).collect();
    (setting, sections, comparison(trace))
}

/// The terminal report: per dyad the session table and its narrative, then the comparison.
pub fn terminal_text(trace: &Trace) -> String {
    let (setting, sections, cmp) = narrative(trace);
    let mut s = String::new();
    let _ = writeln!(s, "{setting}\n");
    for (d, sec) in trace.dyads.iter().zip(&sections) {
        let _ = writeln!(s, "== {} ==", sec.title);
        s.push_str(&session_table(trace, d));
        s.push('\n');
        for p in &sec.paragraphs {
            let _ = writeln!(s, "{p}");
        }
        for e in &sec.events {
            let _ = writeln!(s, "  - {e}");
        }
        s.push('\n');
    }
    if let Some(c) = cmp {
        let _ = writeln!(s, "== Comparison ==\n{c}\n");
    }
    s
}

/// `trace.md`: the narrative with the session tables.
pub fn markdown(trace: &Trace) -> String {
    let (setting, sections, cmp) = narrative(trace);
    let mut s = String::from("# bordin trace\n\n");
    let _ = writeln!(s, "{setting}\n");
    let _ = writeln!(s, "![alliance and symptoms per session](trace.png)\n");
    for (d, sec) in trace.dyads.iter().zip(&sections) {
        let _ = writeln!(s, "## {}\n", sec.title);
        for p in &sec.paragraphs {
            let _ = writeln!(s, "{p}\n");
        }
        for e in &sec.events {
            let _ = writeln!(s, "- {e}");
        }
        let _ = writeln!(s, "\n```text\n{}```\n", session_table(trace, d));
    }
    if let Some(c) = cmp {
        let _ = writeln!(s, "## Comparison\n\n{c}");
    }
    s
}

/// Columns of `trace.csv`.
pub const CSV_COLUMNS: &[&str] = &[
    "dyad",
    "therapist",
    "patient",
    "session",
    "week",
    "bond",
    "goals",
    "tasks",
    "alliance",
    "wai_patient",
    "wai_therapist",
    "wai_observer",
    "intake_score",
    "symptom_latent",
    "symptom_score",
    "not_on_track",
    "rupture",
    "rupture_severity",
    "noticed",
    "noticed_via_feedback",
    "repaired",
    "alliance_before_rupture",
    "alliance_after_drop",
    "reported_by_patient",
    "reported_by_observer",
    "sudden_gain",
    "status",
    "final_score",
];

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

fn write_csv(dir: &Path, trace: &Trace) -> Result<()> {
    let mut f = AtomicFile::create(dir, "trace.csv")?;
    f.record(CSV_COLUMNS)?;
    for d in &trace.dyads {
        let c = &d.course;
        for r in &c.sessions {
            let e = r.rupture.as_ref();
            let opt = |g: &dyn Fn(&RuptureEvent) -> String| e.map(g).unwrap_or_default();
            f.record([
                d.name.clone(),
                d.therapist_label.clone(),
                trace.patient_label.clone(),
                r.session.to_string(),
                r.week.to_string(),
                num(r.alliance.bond, 4),
                num(r.alliance.goals, 4),
                num(r.alliance.tasks, 4),
                num(r.alliance.total(), 4),
                r.wai_patient.to_string(),
                r.wai_therapist.to_string(),
                num(r.wai_observer, 3),
                num(c.intake_score, 3),
                num(r.symptom_latent, 3),
                num(r.symptom_score, 3),
                flag(r.not_on_track),
                opt(&|e| e.kind.as_str().to_string()),
                opt(&|e| num(e.severity, 4)),
                opt(&|e| flag(e.noticed)),
                opt(&|e| flag(e.via_feedback)),
                opt(&|e| flag(e.repaired)),
                opt(&|e| num(e.alliance_before, 4)),
                opt(&|e| num(e.alliance_after_drop, 4)),
                opt(&|e| flag(e.reported_by_patient)),
                opt(&|e| flag(e.reported_by_observer)),
                flag(r.sudden_gain),
                r.status.as_str().to_string(),
                num(c.final_score, 3),
            ])?;
        }
    }
    f.commit()?;
    Ok(())
}

/// The chart's data.
pub fn chart_data(trace: &Trace) -> TraceChart {
    let inst = &trace.scenario.instrument;
    let dyads = trace
        .dyads
        .iter()
        .map(|d| {
            let c = &d.course;
            let mut scores = vec![(0.0, c.intake_score)];
            scores.extend(
                c.sessions
                    .iter()
                    .map(|r| (f64::from(r.session), r.symptom_score)),
            );
            let last = c.sessions.last().map_or(0, |r| r.session);
            ChartDyad {
                title: format!(
                    "{}: {} with {}",
                    d.name, d.therapist_label, trace.patient_label
                ),
                alliance: c
                    .sessions
                    .iter()
                    .map(|r| {
                        (
                            f64::from(r.session),
                            [r.alliance.bond, r.alliance.goals, r.alliance.tasks],
                        )
                    })
                    .collect(),
                ruptures: c
                    .sessions
                    .iter()
                    .filter_map(|r| {
                        r.rupture.map(|e| RuptureMark {
                            session: f64::from(r.session),
                            before: e.alliance_before,
                            after_drop: e.alliance_after_drop,
                            withdrawal: e.kind == RuptureKind::Withdrawal,
                            repaired: e.repaired,
                        })
                    })
                    .collect(),
                scores,
                end_score: (c.ending != Ending::DroppedOut)
                    .then(|| (f64::from(last + 1), c.final_score)),
                ending: ending_short(c),
            }
        })
        .collect();
    TraceChart {
        title: format!(
            "bordin trace: {} ({} planned sessions, seed {})",
            trace.arm.name, trace.arm.sessions, trace.scenario.run.seed
        ),
        sessions: trace.arm.sessions,
        instrument: instrument_label(inst),
        score_range: (inst.min, inst.max),
        cutoff: inst.cutoff,
        intake: trace.dyads.first().map_or(0.0, |d| d.course.intake_score),
        rc_threshold: inst.rc_threshold,
        dyads,
    }
}

/// Files `bordin trace` writes.
pub const TRACE_FILES: &[&str] = &["trace.csv", "trace.md", "trace.svg", "trace.png"];

/// What a trace wrote.
#[derive(Clone, Debug)]
pub struct TraceReport {
    pub out: PathBuf,
    /// The terminal report (tables and narrative).
    pub text: String,
    pub files: Vec<PathBuf>,
}

/// Writes `trace.csv`, `trace.md`, `trace.svg` and `trace.png` to `dir`.
///
/// # Errors
/// Write and rendering failures.
pub fn write(dir: &Path, trace: &Trace) -> Result<Vec<PathBuf>> {
    write_csv(dir, trace)?;
    let mut md = AtomicFile::create(dir, "trace.md")?;
    md.raw(markdown(trace).as_bytes())?;
    md.commit()?;
    let chart = chart_data(trace);
    let render_error = |name: &str| {
        let path = dir.join(name);
        move |msg: String| Error::Write {
            path,
            source: std::io::Error::other(msg),
        }
    };
    let svg = crate::plot::svg(&chart).map_err(render_error("trace.svg"))?;
    let mut f = AtomicFile::create(dir, "trace.svg")?;
    f.raw(svg.as_bytes())?;
    f.commit()?;
    // The PNG encoder writes to a path (chosen by extension): render to a hidden temporary
    // name, then rename into place, so no half-written trace.png is ever left.
    let tmp = dir.join(".trace.tmp.png");
    let png = dir.join("trace.png");
    let rendered = crate::plot::png(&chart, &tmp).map_err(render_error("trace.png"));
    if let Err(e) = rendered {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &png).map_err(|source| Error::Write {
        path: png.clone(),
        source,
    })?;
    Ok(TRACE_FILES.iter().map(|f| dir.join(f)).collect())
}

/// Runs `bordin trace`: simulates, then writes the output directory.
///
/// # Errors
/// Usage errors (bad archetypes or traits, a non-empty output directory without `--force`) and
/// write failures.
pub fn run(req: &TraceRequest) -> Result<TraceReport> {
    let trace = simulate(req)?;
    // With --force, an existing directory is written into as it is: prepare_dir's clean-up is
    // for `bordin run`'s files, which a trace must not delete.
    let non_empty = std::fs::read_dir(&req.out).is_ok_and(|mut d| d.next().is_some());
    if !(req.force && non_empty) {
        io::prepare_dir(&req.out, req.force)?;
    }
    let files = write(&req.out, &trace)?;
    Ok(TraceReport {
        out: req.out.clone(),
        text: terminal_text(&trace),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_archetype_file_is_valid_and_named_as_listed() {
        let all = archetypes().unwrap();
        assert_eq!(all.len(), 8);
        let therapists: Vec<&str> = all
            .iter()
            .filter(|a| a.role == Role::Therapist)
            .map(|a| a.name)
            .collect();
        assert_eq!(
            therapists,
            ["warm-flexible", "rigid-technical", "distant", "novice"]
        );
        let patients: Vec<&str> = all
            .iter()
            .filter(|a| a.role == Role::Patient)
            .map(|a| a.name)
            .collect();
        assert_eq!(
            patients,
            [
                "anxious-confronting",
                "avoidant-withdrawing",
                "securely-attached",
                "high-distress-low-capacity"
            ]
        );
    }

    #[test]
    fn specs_resolve_archetype_then_values_then_means() {
        let sc = Scenario::embedded_default();
        let inst = &sc.instrument;
        let pool = &sc.therapist_pools[0];
        let s = DyadSpec::parse(Role::Therapist, "warm-flexible, fis=2", inst).unwrap();
        let t = s.therapist_traits(pool);
        assert_eq!(t.fis, 2.0);
        assert_eq!(t.warmth, 0.7);
        assert_eq!(t.rating_bias, pool.rating_bias.nominal_mean());
        assert_eq!(s.label, "warm-flexible,fis=2");
        let s = DyadSpec::parse(Role::Therapist, "warmth=0.6", inst).unwrap();
        let t = s.therapist_traits(pool);
        assert_eq!(t.warmth, 0.6);
        assert_eq!(t.fis, pool.fis.nominal_mean());
        let p = DyadSpec::parse(Role::Patient, "intake_severity=20", inst).unwrap();
        assert_eq!(
            p.patient_traits(&sc.populations[0], inst).intake_severity,
            20.0
        );
    }

    #[test]
    fn bad_specs_are_usage_errors_with_hints() {
        let sc = Scenario::embedded_default();
        let inst = &sc.instrument;
        let err = |role, text| match DyadSpec::parse(role, text, inst) {
            Err(Error::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(err(Role::Therapist, "warm-flexibel").contains("did you mean `warm-flexible`"));
        assert!(err(Role::Therapist, "warmt=0.5").contains("did you mean `warmth`"));
        assert!(err(Role::Therapist, "warmth=2").contains("out of range"));
        assert!(err(Role::Therapist, "warmth=nan").contains("out of range"));
        assert!(err(Role::Therapist, "warmth=x").contains("not a number"));
        assert!(err(Role::Therapist, "novice,distant").contains("two archetypes"));
        assert!(err(Role::Therapist, "securely-attached").contains("patient archetype"));
        assert!(err(Role::Patient, "intake_severity=99").contains("out of range"));
        assert!(err(Role::Patient, "securely-attached,,warmth=0").contains("empty item"));
    }
}
