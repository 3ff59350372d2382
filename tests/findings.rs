//! The repository carries its own findings: `docs/findings.md` defines every finding code the
//! code and documents use, and nothing points outside the repository.
//!
//! - No file of the documentation, configuration, experiments or source contains a path that
//!   resolves outside the repository (the notes folder beside it, a relative path climbing above the root),
//!   and every relative Markdown link resolves to a file inside it.
//! - Every finding code (`A1`, `T10`, `R8`, ranges such as `R4-R7`) in the source's comments
//!   and string literals, `README.md`, `ARCHITECTURE.md`, `docs/`, `configs/**/*.toml` and the
//!   experiments' READMEs is defined in `docs/findings.md`.
//! - Every calibration target of `configs/calibration/targets.toml` is listed in
//!   `docs/findings.md` with the same finding, statistic, scenario, band and confirmed status.

mod common;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use common::findings::{NOT_FINDINGS, codes_in, findings};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` (recursively), sorted; `target` and hidden folders are skipped.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level files and folders a reader of the repository sees.
fn scanned_files() -> Vec<PathBuf> {
    let root = root();
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md"]
        .iter()
        .map(|f| root.join(f))
        .filter(|p| p.is_file())
        .collect();
    for dir in ["docs", "configs", "experiments", "src"] {
        files.extend(files_under(&root.join(dir)));
    }
    files
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `path` joined to `base` and normalised lexically; `None` if it climbs above the filesystem
/// root.
fn resolve(base: &Path, path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Every relative path in `text` that starts with `../`, up to the first character that
/// cannot be part of a path.
fn parent_relative_paths(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("../") {
        if text[..i].chars().next_back().is_some_and(is_path_char) {
            continue; // the middle of a longer path, found from its start
        }
        let len = text[i..]
            .find(|c: char| !is_path_char(c))
            .unwrap_or(text.len() - i);
        out.push(&text[i..i + len]);
    }
    out
}

/// The targets of Markdown links and images, `[text](target)`, outside fenced code blocks.
fn markdown_link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].trim();
            // <target> may hold spaces; otherwise a title may follow: [a](file.md "title").
            let target = match target.strip_prefix('<') {
                Some(t) => t.split('>').next().unwrap_or(""),
                None => target.split_whitespace().next().unwrap_or(""),
            };
            out.push(target.to_string());
        }
    }
    out
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = root();
    let files = scanned_files();
    for doc in ["docs/model.md", "docs/validation.md"] {
        assert!(
            files.contains(&root.join(doc)),
            "{doc} is not among the files this test reads"
        );
    }
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // binary (figures)
        };
        let dir = file.parent().unwrap();
        // The notes folder beside the repository, spelt out at run time so this file does not
        // name it itself.
        let notes = "shared";
        let needles = [
            format!("../{notes}"),
            format!("{notes}/science"),
            format!("{notes}/seeds"),
        ];
        for needle in &needles {
            if text.contains(needle.as_str()) {
                problems.push(format!(
                    "{}: mentions `{needle}`, outside the repository",
                    rel(&file)
                ));
            }
        }
        for path in parent_relative_paths(&text) {
            match resolve(dir, path) {
                Some(p) if p.starts_with(&root) => {}
                _ => problems.push(format!(
                    "{}: `{path}` resolves outside the repository",
                    rel(&file)
                )),
            }
        }
        if file.extension().is_some_and(|e| e == "md") {
            for target in markdown_link_targets(&text) {
                if target.is_empty()
                    || target.starts_with('#')
                    || target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("mailto:")
                {
                    continue;
                }
                let path = target.split('#').next().unwrap();
                if path.starts_with('/') {
                    problems.push(format!(
                        "{}: link `{target}` is an absolute path",
                        rel(&file)
                    ));
                    continue;
                }
                match resolve(dir, path) {
                    Some(p) if p.starts_with(&root) => {
                        if !p.exists() {
                            problems.push(format!(
                                "{}: link `{target}` points to a missing file",
                                rel(&file)
                            ));
                        }
                    }
                    _ => problems.push(format!(
                        "{}: link `{target}` resolves outside the repository",
                        rel(&file)
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Names of files that live outside the repository (the source notes the findings were taken
/// from), mentioned without a path. Ignored until the doc strings in `src/` that still name them
/// (and the files rendered from those strings, `docs/scenario.md` and `configs/default.toml`)
/// point to `docs/findings.md` instead; run with `cargo test --test findings -- --ignored`.
#[test]
fn no_file_names_a_source_note_outside_the_repository() {
    let mut problems = Vec::new();
    for file in scanned_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for needle in ["targets.md", "mechanisms.md", "in the seeds"] {
                if line.contains(needle) {
                    problems.push(format!("{}:{}: names `{needle}`", rel(&file), n + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The comments and string literals of Rust source (doc comments, key documentation), each
/// piece followed by a newline; code is left out.
fn rust_prose(src: &str) -> String {
    let s: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                out.push(s[i]);
                i += 1;
            }
            out.push('\n');
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(s[i]);
                    i += 1;
                }
            }
            out.push('\n');
        } else if (c == 'r' || (c == 'b' && next == Some('r'))) && (i == 0 || !ident(s[i - 1])) && {
            let mut j = i + if c == 'b' { 2 } else { 1 };
            while s.get(j) == Some(&'#') {
                j += 1;
            }
            s.get(j) == Some(&'"')
        } {
            // Raw string: r"..." or r#"..."#, optionally b-prefixed.
            let mut j = i + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while s[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1; // the opening quote
            while j < s.len() {
                if s[j] == '"' && (1..=hashes).all(|k| s.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                out.push(s[j]);
                j += 1;
            }
            out.push('\n');
            i = j;
        } else if c == '"' {
            i += 1;
            while i < s.len() && s[i] != '"' {
                if s[i] == '\\' {
                    i += 1; // an escape: keep neither the backslash nor the escaped character
                } else {
                    out.push(s[i]);
                }
                i += 1;
            }
            out.push('\n');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}', '"') or a lifetime ('a).
            if next == Some('\\') {
                i += 3; // the quote, the backslash and the escaped character
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if s.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The files whose codes must be defined, with the text to search: the source's comments and
/// string literals, the documentation, the configuration files and the experiments' READMEs.
fn documented_texts() -> Vec<(PathBuf, String)> {
    let root = root();
    let mut out = Vec::new();
    for file in scanned_files() {
        let rel = file.strip_prefix(&root).unwrap().to_path_buf();
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let first = rel.components().next().unwrap().as_os_str().to_owned();
        let wanted = match first.to_str().unwrap() {
            "src" => ext == "rs",
            "docs" => ext == "md",
            "configs" => ext == "toml",
            "experiments" => file.file_name().is_some_and(|n| n == "README.md"),
            _ => ext == "md", // README.md, ARCHITECTURE.md
        };
        if !wanted {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let text = if ext == "rs" { rust_prose(&text) } else { text };
        out.push((rel, text));
    }
    out
}

#[test]
fn every_finding_code_used_is_defined_in_docs_findings_md() {
    let findings = findings();
    for (token, _) in NOT_FINDINGS {
        assert!(
            !findings.defines(token),
            "{token} is a finding in docs/findings.md and also on the list of non-findings"
        );
    }
    let mut problems = Vec::new();
    for (file, text) in documented_texts() {
        for code in findings.undefined_codes(&text) {
            problems.push(format!(
                "{}: {code} is not defined in docs/findings.md",
                file.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn number(item: &toml_edit::Item) -> f64 {
    item.as_float()
        .or_else(|| item.as_integer().map(|i| i as f64))
        .expect("a number")
}

fn band(cell: &str) -> Option<(f64, f64)> {
    let inner = cell.trim().strip_prefix('[')?.strip_suffix(']')?;
    let (lo, hi) = inner.split_once(',')?;
    Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?))
}

#[test]
fn every_calibration_target_is_defined_in_docs_findings_md() {
    let findings = findings();
    let toml: toml_edit::DocumentMut =
        std::fs::read_to_string(root().join("configs/calibration/targets.toml"))
            .unwrap()
            .parse()
            .unwrap();
    let targets = toml["target"]
        .as_array_of_tables()
        .expect("[[target]] tables");
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for t in targets {
        let id = t["id"].as_str().unwrap().to_string();
        ids.insert(id.clone());
        let Some(row) = findings.calibration.get(&id) else {
            problems.push(format!(
                "calibration target {id} is not listed in docs/findings.md"
            ));
            continue;
        };
        // The finding it checks: a defined code, of which the id is the code or the code and a
        // letter.
        let code = row["finding"].split_whitespace().next().unwrap_or("");
        if !findings.codes.contains(code) {
            problems.push(format!(
                "{id}: its finding `{code}` is not defined in docs/findings.md"
            ));
        }
        let suffix = id.strip_prefix(code).unwrap_or("?");
        if !(suffix.is_empty()
            || (suffix.len() == 1 && suffix.chars().all(|c| c.is_ascii_lowercase())))
        {
            problems.push(format!("{id}: not an id of finding `{code}`"));
        }
        let expected = [
            ("statistic", t["statistic"].as_str().unwrap()),
            ("scenario", t["scenario"].as_str().unwrap()),
            ("confirmed", t["confirmed"].as_str().unwrap()),
        ];
        for (field, want) in expected {
            let got = row[field].trim_matches('`');
            if got != want {
                problems.push(format!(
                    "{id}: {field} is `{got}` in docs/findings.md, `{want}` in targets.toml"
                ));
            }
        }
        let want = (number(&t["lower"]), number(&t["upper"]));
        if band(&row["band"]) != Some(want) {
            problems.push(format!(
                "{id}: band {} in docs/findings.md, [{}, {}] in targets.toml",
                row["band"], want.0, want.1
            ));
        }
    }
    for id in findings.calibration.keys() {
        if !ids.contains(id) {
            problems.push(format!(
                "docs/findings.md lists calibration id {id}, which targets.toml does not have"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_code_scanner_reads_codes_as_the_repository_writes_them() {
    let found = codes_in("(A5, T10); R4-R7 and D1–D2; O3a; PHQ-9, SHA-256, PMC9856216, df 4");
    let want: BTreeSet<String> = ["A5", "T10", "R4", "R5", "R6", "R7", "D1", "D2", "O3a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
    let prose = rust_prose(
        "/// Doc (A1).\nconst Q1: usize = 2; let c = '\"'; let q = '\\''; let s = \"key doc (T4)\"; // note R2\nfn f<'a>(x: &'a str) {}\nlet r = r#\"raw (M11)\"#;",
    );
    assert_eq!(
        codes_in(&prose),
        ["A1", "M11", "R2", "T4"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(
        parent_relative_paths("include_str!(\"../../configs/x.toml\") and a/../b"),
        vec!["../../configs/x.toml"]
    );
    assert_eq!(
        markdown_link_targets("[a](docs/x.md#y) ![b](<c d.png>) [e](f.md \"t\")\n```\n[g](h)\n```"),
        vec!["docs/x.md#y", "c d.png", "f.md"]
    );
}
