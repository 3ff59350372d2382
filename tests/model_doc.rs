//! docs/model.md, the ODD description of the model, is kept in step with the code it describes.
//!
//! - Its key tables, between `<!-- keys: TABLE -->` and `<!-- end keys -->`, are rendered from
//!   the scenario registry (the code that reads each key, as docs/scenario.md is), so no
//!   default, range or meaning is typed by hand; the prose quotes no default.
//! - Its table of a session's steps, between `<!-- session steps -->` and
//!   `<!-- end session steps -->`, is the slot table of `src/sim/course/session.rs`.
//! - Every key of every `[mechanisms.*]` table, of every arm policy (`[arms.policies.*]`), of
//!   `[design]` and of `[[arms]]` has a key table in docs/model.md and is named in the text of
//!   the section (`##` or `###`) that holds its table: a key the equations do not use is
//!   reported by name.
//! - Every finding code it cites is defined in docs/findings.md (the check of
//!   `tests/findings.rs`, shared through `tests/common/findings.rs`).
//!
//! Regenerate the rendered parts with `BORDIN_BLESS=1 cargo test --test model_doc`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use bordin::Scenario;
use bordin::config::reader::KeyDoc;
use bordin::config::render::{key_table, split_pattern};

const MODEL: &str = "docs/model.md";
const KEYS_START: &str = "<!-- keys: ";
const KEYS_END: &str = "<!-- end keys -->";
const STEPS_START: &str = "<!-- session steps -->";
const STEPS_END: &str = "<!-- end session steps -->";
const SESSION_RS: &str = "src/sim/course/session.rs";

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every documented key of the all-defaults scenario.
fn registry() -> Vec<KeyDoc> {
    Scenario::parse("", "empty", &[]).unwrap().docs
}

/// Whether docs/model.md must name every key of `table` in its text.
fn required(table: &str) -> bool {
    table.starts_with("mechanisms.")
        || table.starts_with("arms[].policies.")
        || table == "design"
        || table == "arms[]"
}

/// The slot table of `src/sim/course/session.rs`'s module comment.
fn session_steps() -> String {
    read(SESSION_RS)
        .lines()
        .filter_map(|l| l.strip_prefix("//! |"))
        .map(|rest| format!("|{rest}\n"))
        .collect()
}

/// docs/model.md with every rendered part rendered anew, and the problems met on the way.
fn render(text: &str, docs: &[KeyDoc]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut problems = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let marker = line.trim();
        let (body, end) = if let Some(rest) = marker.strip_prefix(KEYS_START) {
            let table = rest.trim_end_matches("-->").trim();
            let body = key_table(docs, table);
            if body.is_empty() {
                problems.push(format!(
                    "{MODEL}: `{line}` names a table the scenario registry does not have"
                ));
            }
            (body, KEYS_END)
        } else if marker == STEPS_START {
            (session_steps(), STEPS_END)
        } else {
            continue;
        };
        // Blank lines around the rendered part, so that Markdown reads it as a block of its own.
        out.push('\n');
        out.push_str(&body);
        out.push('\n');
        if !lines.any(|l| l.trim() == end) {
            problems.push(format!("{MODEL}: `{line}` has no `{end}`"));
        }
        out.push_str(end);
        out.push('\n');
    }
    (out, problems)
}

/// A `##` or `###` heading's level, else `None`.
fn section_level(line: &str) -> Option<usize> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    ((2..=3).contains(&hashes) && line[hashes..].starts_with(' ')).then_some(hashes)
}

/// For each key table, its table and the words of the hand-written text of its section (the
/// rendered parts left out).
fn sections(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    // Section starts (outside fenced code), each a range of line indices.
    let mut starts = vec![0];
    let mut fenced = false;
    for (i, l) in lines.iter().enumerate() {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && section_level(l).is_some() {
            starts.push(i);
        }
    }
    starts.push(lines.len());
    let mut out = Vec::new();
    for w in starts.windows(2) {
        let mut words = BTreeSet::new();
        let mut tables = Vec::new();
        let mut rendered = false;
        for l in &lines[w[0]..w[1]] {
            let t = l.trim();
            if let Some(rest) = t.strip_prefix(KEYS_START) {
                tables.push(rest.trim_end_matches("-->").trim().to_string());
                rendered = true;
            } else if t == STEPS_START {
                rendered = true;
            } else if t == KEYS_END || t == STEPS_END {
                rendered = false;
            } else if !rendered {
                words.extend(
                    l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .map(str::to_string),
                );
            }
        }
        out.extend(tables.into_iter().map(|t| (t, words.clone())));
    }
    out
}

/// Keys of the required tables that docs/model.md does not name in the section of their key
/// table (or that have no key table), as messages.
fn unnamed_keys(text: &str, docs: &[KeyDoc]) -> Vec<String> {
    let mut keys: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in docs {
        let (table, key) = split_pattern(&d.pattern);
        if required(table) {
            keys.entry(table).or_default().push(key);
        }
    }
    let sections = sections(text);
    let mut problems = Vec::new();
    for (table, keys) in keys {
        let here: Vec<&BTreeSet<String>> = sections
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, w)| w)
            .collect();
        if here.is_empty() {
            problems.push(format!(
                "{MODEL} has no key table of `{table}` (keys {}): add `{KEYS_START}{table} -->` and `{KEYS_END}` to its submodel's section and run `BORDIN_BLESS=1 cargo test --test model_doc`",
                keys.join(", ")
            ));
            continue;
        }
        let missing: Vec<&str> = keys
            .into_iter()
            .filter(|k| !here.iter().any(|w| w.contains(*k)))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{MODEL}: the section holding the key table of `{table}` does not name {}",
                missing
                    .iter()
                    .map(|k| format!("`{table}.{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    problems
}

#[test]
fn model_doc_key_tables_and_session_steps_are_rendered_from_the_code() {
    let text = read(MODEL);
    let (expected, problems) = render(&text, &registry());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if std::env::var_os("BORDIN_BLESS").is_some() {
        // Written under another name and renamed, so the tests reading it meanwhile see the old
        // file or the new one, never a part.
        let path = format!("{}/{MODEL}", env!("CARGO_MANIFEST_DIR"));
        let tmp = format!("{path}.bless");
        std::fs::write(&tmp, &expected).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        return;
    }
    assert!(
        text == expected,
        "{MODEL}'s key tables or session steps are out of date with the code; regenerate them with `BORDIN_BLESS=1 cargo test --test model_doc`"
    );
}

#[test]
fn model_doc_names_every_mechanism_and_policy_key() {
    let docs = registry();
    let (text, _) = render(&read(MODEL), &docs);
    let problems = unnamed_keys(&text, &docs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn model_doc_cites_only_findings_defined_in_docs_findings_md() {
    let undefined = common::findings::findings().undefined_codes(&read(MODEL));
    assert!(
        undefined.is_empty(),
        "{MODEL} cites finding codes docs/findings.md does not define: {}",
        undefined.join(", ")
    );
}

/// The checker itself: a key table renders, an unnamed key is reported by its path, a key named
/// only inside the rendered table does not count, and a missing table is reported.
#[test]
fn the_checker_finds_unnamed_keys_and_missing_tables() {
    let docs = registry();
    let doc = "## 7 Submodels\n\n### 7.1 Dropout\n\n`logit(p) = base + early`\n\n<!-- keys: mechanisms.dropout -->\n<!-- end keys -->\n\n### 7.2 Other\n\nenabled alliance_weight\n";
    let (text, problems) = render(doc, &docs);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(text.contains("| `motivation_weight` |"), "{text}");
    let problems = unnamed_keys(&text, &docs);
    let dropout = problems
        .iter()
        .find(|p| p.contains("`mechanisms.dropout`"))
        .expect("dropout's unnamed keys are reported");
    assert!(dropout.contains("`mechanisms.dropout.motivation_weight`"));
    assert!(dropout.contains("`mechanisms.dropout.enabled`"));
    assert!(!dropout.contains("`mechanisms.dropout.base`"));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("no key table of `mechanisms.ruptures`"))
    );
    let (_, problems) = render("<!-- keys: mechanisms.nothing -->\n", &docs);
    assert_eq!(problems.len(), 2, "{problems:?}");
}
