//! The library's folders are layers (ARCHITECTURE.md, "Code map"): a module may use the modules
//! of its own layer or of a lower one, never of a higher one, and the modules of a layer do not
//! use each other in a circle. This test reads every `crate::...` path in the code of `src/`
//! (comments and doc links aside) and fails on an upward import or a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom; the binary (`src/main.rs`, `src/cli/`) sits above them all.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundations", &["error", "math"]),
    ("readers and statistics", &["config", "stats"]),
    ("random numbers", &["random"]),
    ("model", &["model"]),
    ("scenario", &["scenario"]),
    ("simulation", &["sim"]),
    ("analysis", &["analysis"]),
    ("files", &["io"]),
    ("charts", &["plot"]),
    ("commands", &["commands"]),
];

/// Items of `lib.rs` and the module that defines each.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Error", "error"),
    ("Result", "error"),
    ("ScenarioError", "error"),
    ("Scenario", "scenario"),
    ("VERSION", "error"),
];

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&top))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/`: `src/model/alliance.rs` -> ["model", "alliance"].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments (line comments, doc comments and block comments) and
/// string literals, so that doc links and messages are not read as imports.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal such as '"' or '\n' (not a lifetime).
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every `crate::a::b` path in `code`, as its first two segments (`["a", "b"]` or `["a"]`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let segs: Vec<String> = rest
            .split("::")
            .take(2)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|s| !s.is_empty())
            .collect();
        if !segs.is_empty() {
            found.push(segs);
        }
    }
    found
}

struct Graph {
    /// Module (top, second) -> the modules it uses.
    edges: BTreeMap<String, BTreeSet<String>>,
    upward: Vec<String>,
}

fn read_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for file in files {
        let module = module_of(&src, &file);
        let Some(top) = module.first().cloned() else {
            continue; // lib.rs: the table of contents
        };
        if top == "main" || top == "cli" {
            continue; // the binary, above every layer
        }
        let from_rank = rank(&top).unwrap_or_else(|| {
            panic!(
                "{}: module `{top}` is in no layer of tests/layers.rs",
                file.display()
            )
        });
        let from = module
            .iter()
            .take(2)
            .cloned()
            .collect::<Vec<_>>()
            .join("::");
        let text = std::fs::read_to_string(&file).unwrap();
        let code = code_only(&text);
        let mut paths = crate_paths(&code);
        if module.len() == 2 {
            // `super::x` in src/top/file.rs is `crate::top::x`.
            let as_crate = code.replace("super::", &format!("crate::{top}::"));
            paths.extend(crate_paths(&as_crate).into_iter().filter(|p| p[0] == top));
        }
        for segs in paths {
            let to_top = ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == segs[0])
                .map_or(segs[0].as_str(), |(_, m)| m);
            let Some(to_rank) = rank(to_top) else {
                panic!(
                    "{}: `crate::{}` is in no layer of tests/layers.rs",
                    file.display(),
                    segs.join("::")
                );
            };
            if to_rank > from_rank {
                upward.push(format!(
                    "{} ({}) uses crate::{} ({})",
                    file.display(),
                    LAYERS[from_rank].0,
                    segs.join("::"),
                    LAYERS[to_rank].0
                ));
            }
            let to = if to_top == segs[0] {
                segs.join("::")
            } else {
                to_top.to_string()
            };
            if to != from && !from.starts_with(&format!("{to}::")) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    Graph { edges, upward }
}

/// A circle in the graph, if any (depth-first search).
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            // An edge to a module's parent (`model`) stands for its `mod.rs`.
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut circle = stack[at..].to_vec();
                    circle.push(m.clone());
                    return Some(circle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_uses_a_higher_layer() {
    let g = read_graph();
    assert!(
        g.upward.is_empty(),
        "imports that point to a higher layer:\n{}",
        g.upward.join("\n")
    );
}

#[test]
fn no_modules_use_each_other_in_a_circle() {
    let g = read_graph();
    if let Some(c) = find_circle(&g.edges) {
        panic!("modules use each other in a circle: {}", c.join(" -> "));
    }
}

#[test]
fn the_checker_sees_imports_and_ignores_comments_and_strings() {
    let code = code_only(
        "use crate::model::alliance;\n// crate::commands::run\nlet s = \"crate::io\"; \
         let c = '\"'; x(crate::sim::engine::run);",
    );
    let paths = crate_paths(&code);
    assert_eq!(
        paths,
        vec![
            vec!["model".to_string(), "alliance".to_string()],
            vec!["sim".to_string(), "engine".to_string()]
        ]
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_circle(&edges).is_some());
}
