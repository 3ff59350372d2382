//! The finding codes of `docs/findings.md` and the scanner that finds codes in a text, shared by
//! `tests/findings.rs` (every file of the repository) and `tests/model_doc.rs` (docs/model.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Tokens shaped like finding codes (capitals and a number) that are not findings. Only the
/// comments and string literals of `src/` are read, so identifiers in code (the LMM's const
/// generics `Q1`, `Q2`, `POW10` in `io`) never reach this check; the entries below occur in
/// prose.
pub const NOT_FINDINGS: &[(&str, &str)] = &[
    (
        "HC0",
        "heteroscedasticity-consistent (sandwich) standard error, type 0",
    ),
    ("HC1", "sandwich standard error, type 1"),
    ("HC2", "sandwich standard error, type 2"),
    ("HC3", "sandwich standard error, type 3"),
    (
        "L2",
        "a Cholesky factor in the mixed model's algebra (stats::lmm)",
    ),
    (
        "Q1",
        "the mixed model's const-generic size of the first grouping factor",
    ),
    (
        "Q2",
        "the mixed model's const-generic size of the second grouping factor",
    ),
    (
        "H0",
        "the null hypothesis of a test (bordin power --hypothesis)",
    ),
    (
        "H1",
        "the alternative hypothesis of a test (bordin power --hypothesis)",
    ),
    ("DIR1", "a placeholder directory name in docs/sweeps.md"),
    ("DIR2", "a placeholder directory name in docs/sweeps.md"),
];

/// Whether `word` has the shape of a finding code: one to three capitals, a number of one or
/// two digits, and optionally one lower-case letter (a calibration id such as `O3a`).
pub fn code_shaped(word: &str) -> bool {
    let letters = word.chars().take_while(char::is_ascii_uppercase).count();
    let digits = word[letters..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    let rest = &word[letters + digits..];
    (1..=3).contains(&letters)
        && (1..=2).contains(&digits)
        && (rest.is_empty() || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())))
}

/// Splits a code into its letters and number (`T10` -> ("T", 10)); `None` for a suffixed id.
fn prefix_and_number(code: &str) -> Option<(&str, u32)> {
    let letters = code.chars().take_while(char::is_ascii_uppercase).count();
    code[letters..].parse().ok().map(|n| (&code[..letters], n))
}

/// Every code-shaped word of `text`, with ranges (`R4-R7`, `HC0–HC3`) expanded to each code
/// they span.
pub fn codes_in(text: &str) -> BTreeSet<String> {
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let mut codes = BTreeSet::new();
    for (k, &(s, e)) in words.iter().enumerate() {
        let word = &text[s..e];
        if !code_shaped(word) {
            continue;
        }
        codes.insert(word.to_string());
        // A range: the next word follows after a hyphen or an en dash, with the same letters.
        let Some(&(s2, e2)) = words.get(k + 1) else {
            continue;
        };
        let between = text[e..s2].trim();
        if between != "-" && between != "–" {
            continue;
        }
        let (Some((p1, n1)), Some((p2, n2))) =
            (prefix_and_number(word), prefix_and_number(&text[s2..e2]))
        else {
            continue;
        };
        if p1 == p2 && n1 < n2 {
            for n in n1..=n2 {
                codes.insert(format!("{p1}{n}"));
            }
        }
    }
    codes
}

/// The cells of a Markdown table row (`\|` is a literal bar, not a separator).
fn cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            out.last_mut().unwrap().push('|');
            chars.next();
        } else if c == '|' {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(c);
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// The Markdown tables of `text`: each as its header cells and its rows' cells.
type Table = (Vec<String>, Vec<Vec<String>>);

fn tables(text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        let is_row = |l: &str| l.trim_start().starts_with('|');
        let is_rule = |l: &str| {
            is_row(l) && l.contains("---") && l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
        };
        if is_row(lines[i]) && is_rule(lines[i + 1]) {
            let header = cells(lines[i]);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && is_row(lines[i]) {
                rows.push(cells(lines[i]));
                i += 1;
            }
            out.push((header, rows));
        } else {
            i += 1;
        }
    }
    out
}

pub struct Findings {
    /// Finding codes: the first cell of each row of a table whose first column is `code`.
    pub codes: BTreeSet<String>,
    /// Calibration ids: rows of the table whose first column is `id`, by id.
    pub calibration: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn findings() -> Findings {
    let text =
        std::fs::read_to_string(root().join("docs/findings.md")).expect("docs/findings.md exists");
    let mut codes = BTreeSet::new();
    let mut calibration = BTreeMap::new();
    for (header, rows) in tables(&text) {
        match header.first().map(String::as_str) {
            Some("code") => {
                for row in rows {
                    let code = row[0].clone();
                    assert!(
                        code_shaped(&code),
                        "docs/findings.md: `{code}` is not shaped like a finding code"
                    );
                    assert!(
                        codes.insert(code.clone()),
                        "docs/findings.md defines {code} twice"
                    );
                }
            }
            Some("id") => {
                for row in rows {
                    let fields: BTreeMap<String, String> =
                        header.iter().cloned().zip(row.iter().cloned()).collect();
                    let id = row[0].clone();
                    assert!(
                        calibration.insert(id.clone(), fields).is_none(),
                        "docs/findings.md lists calibration id {id} twice"
                    );
                }
            }
            _ => {}
        }
    }
    Findings { codes, calibration }
}

impl Findings {
    /// Whether `code` is a finding code or a calibration id of docs/findings.md.
    pub fn defines(&self, code: &str) -> bool {
        self.codes.contains(code) || self.calibration.contains_key(code)
    }

    /// The code-shaped words of `text` (ranges expanded) that docs/findings.md does not define
    /// and that are not on the list of non-findings ([`NOT_FINDINGS`]).
    pub fn undefined_codes(&self, text: &str) -> Vec<String> {
        codes_in(text)
            .into_iter()
            .filter(|c| !self.defines(c) && NOT_FINDINGS.iter().all(|(t, _)| t != c))
            .collect()
    }
}
