//! A reader over a TOML document that keeps every value's place in the file.
//!
//! Scenario files are read key by key through [`Table`]: each read names the key, its default,
//! its allowed range and its documentation. The reader then
//! - reports every error of a file at once, each with its full path (`arms[1].technique_potency`),
//!   what was expected, and the file's line and column (or the `--set` override it came from);
//! - reports keys that no read asked for as unknown, with a "did you mean" where one is close;
//! - logs every resolved value with its documentation, from which the embedded default
//!   scenario, `docs/scenario.md` and the manifest's resolved scenario are rendered, so a key is
//!   documented in exactly one place: beside the code that reads it.

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::error::{Diagnostic, Location};

/// One segment of a key path.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a path as `arms[1].technique_potency`.
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push_str(&format!("[{i}]"));
            }
        }
    }
    s
}

/// How a key path is written, for the messages of `--set` and `--assume` about a path that
/// [`parse_path`] refuses.
pub const PATH_SYNTAX: &str =
    "expected keys joined by dots, with [i] for array elements, e.g. arms[1].technique_potency";

/// Parses `arms[1].technique_potency` or `arms.1.technique_potency` into segments.
pub fn parse_path(text: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in text.split('.') {
        if part.is_empty() {
            return None;
        }
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            if name.chars().all(|c| c.is_ascii_digit()) {
                out.push(Seg::Index(name.parse().ok()?));
            } else if name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                out.push(Seg::Key(name.to_string()));
            } else {
                return None;
            }
        }
        let mut rest = rest;
        while !rest.is_empty() {
            let close = rest.find(']')?;
            if !rest.starts_with('[') {
                return None;
            }
            out.push(Seg::Index(rest[1..close].trim().parse().ok()?));
            rest = &rest[close + 1..];
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// A TOML value with its place of origin.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub loc: Location,
}

impl Node {
    /// The node at a path of keys below this one.
    pub fn lookup(&self, keys: &[&str]) -> Option<&Node> {
        let mut node = self;
        for k in keys {
            let Value::Table(entries) = &node.value else {
                return None;
            };
            node = &entries.iter().find(|e| e.key == *k)?.node;
        }
        Some(node)
    }
}

/// TOML values, as the reader needs them.
#[derive(Clone, Debug)]
pub enum Value {
    Table(Vec<Entry>),
    Array(Vec<Node>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Dates and times: valid TOML, never valid in a scenario.
    Other(&'static str),
}

/// A key of a table and its value.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_loc: Location,
    pub node: Node,
}

impl Value {
    /// What a user would call this kind of value.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Table(_) => "a table",
            Value::Array(_) => "an array",
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Other(k) => k,
        }
    }
}

/// Maps byte offsets to 1-based line and column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }
    fn locate(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let col = src
            .get(start..offset.min(src.len()))
            .map_or(1, |t| t.chars().count() + 1);
        (line + 1, col)
    }
}

/// Parses TOML text into a located tree.
pub fn parse_document(src: &str, file: &str) -> Result<Node, Diagnostic> {
    let doc = toml_edit::Document::parse(src).map_err(|e| syntax_error(src, file, &e))?;
    let conv = Converter {
        src,
        file,
        index: LineIndex::new(src),
    };
    Ok(conv.table(doc.as_table()))
}

/// A TOML syntax error as a located diagnostic. toml_edit gives no place for a document nested
/// too deeply and does not name a duplicated key; both are recovered from the text here.
fn syntax_error(src: &str, file: &str, e: &toml_edit::TomlError) -> Diagnostic {
    let mut message = format!("not valid TOML: {}", e.message().trim());
    let offset = e.span().map(|sp| sp.start).or_else(|| {
        // No span (the recursion limit): the line nested deepest.
        let (mut best, mut depth, mut at) = (None, 0, 0);
        for line in src.split_inclusive('\n') {
            let d = line.matches(['.', '[', '{']).count();
            if d > depth {
                (best, depth) = (Some(at), d);
            }
            at += line.len();
        }
        message = format!("{message}: nested too deeply (at most a few hundred levels)");
        best
    });
    if message.ends_with("duplicate key")
        && let Some(at) = offset
    {
        let key: String = src[at..]
            .trim_start_matches(['[', ' ', '\t'])
            .chars()
            .take_while(|c| !matches!(c, '=' | ']' | ' ' | '\t' | '\n' | '\r'))
            .collect();
        if !key.is_empty() {
            message = format!("{message} `{key}`: a key may appear only once in a table");
        }
    }
    let loc = match offset {
        Some(at) => {
            let (line, col) = LineIndex::new(src).locate(src, at);
            Location::File {
                file: file.into(),
                line,
                col,
            }
        }
        None => Location::File {
            file: file.into(),
            line: 0,
            col: 0,
        },
    };
    Diagnostic {
        path: String::new(),
        message,
        loc,
    }
}

struct Converter<'a> {
    src: &'a str,
    file: &'a str,
    index: LineIndex,
}

impl Converter<'_> {
    fn loc(&self, span: Option<std::ops::Range<usize>>) -> Location {
        match span {
            Some(sp) => {
                let (line, col) = self.index.locate(self.src, sp.start);
                Location::File {
                    file: self.file.to_string(),
                    line,
                    col,
                }
            }
            None => Location::File {
                file: self.file.to_string(),
                line: 0,
                col: 0,
            },
        }
    }

    fn table(&self, t: &toml_edit::Table) -> Node {
        let entries = t
            .iter()
            .map(|(k, item)| {
                let key = t.key(k).expect("key of an iterated table");
                Entry {
                    key: k.to_string(),
                    key_loc: self.loc(key.span()),
                    node: self.item(item),
                }
            })
            .collect();
        Node {
            value: Value::Table(entries),
            loc: self.loc(t.span()),
        }
    }

    fn inline_table(&self, t: &toml_edit::InlineTable) -> Node {
        let entries = t
            .iter()
            .map(|(k, v)| {
                let key = t.key(k).expect("key of an iterated table");
                Entry {
                    key: k.to_string(),
                    key_loc: self.loc(key.span()),
                    node: self.value(v),
                }
            })
            .collect();
        Node {
            value: Value::Table(entries),
            loc: self.loc(t.span()),
        }
    }

    fn item(&self, item: &toml_edit::Item) -> Node {
        match item {
            toml_edit::Item::Table(t) => self.table(t),
            toml_edit::Item::ArrayOfTables(a) => Node {
                value: Value::Array(a.iter().map(|t| self.table(t)).collect()),
                loc: self.loc(a.span()),
            },
            toml_edit::Item::Value(v) => self.value(v),
            toml_edit::Item::None => Node {
                value: Value::Other("nothing"),
                loc: self.loc(None),
            },
        }
    }

    fn value(&self, v: &toml_edit::Value) -> Node {
        let loc = self.loc(v.span());
        let value = match v {
            toml_edit::Value::String(s) => Value::Str(s.value().clone()),
            toml_edit::Value::Integer(i) => Value::Int(*i.value()),
            toml_edit::Value::Float(f) => Value::Float(*f.value()),
            toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
            toml_edit::Value::Datetime(_) => Value::Other("a date"),
            toml_edit::Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            toml_edit::Value::InlineTable(t) => return self.inline_table(t),
        };
        Node { value, loc }
    }
}

/// Parses the value of a `--set path=value` override: TOML if it parses, else a bare string.
pub fn parse_override_value(text: &str, origin: &str) -> Node {
    let loc = Location::Override(origin.to_string());
    let wrapped = format!("v = {text}");
    if let Ok(doc) = toml_edit::Document::parse(wrapped.as_str())
        && let Some(item) = doc.as_table().get("v")
    {
        {
            let conv = Converter {
                src: "",
                file: "",
                index: LineIndex::new(""),
            };
            let mut node = conv.item(item);
            relocate(&mut node, &loc);
            return node;
        }
    }
    Node {
        value: Value::Str(text.to_string()),
        loc,
    }
}

fn relocate(node: &mut Node, loc: &Location) {
    node.loc = loc.clone();
    match &mut node.value {
        Value::Table(entries) => {
            for e in entries {
                e.key_loc = loc.clone();
                relocate(&mut e.node, loc);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|n| relocate(n, loc)),
        _ => {}
    }
}

/// Sets `path` to `value` in the tree, creating tables on the way; an index may address an
/// existing element of an array or append one at its end.
pub fn apply_override(root: &mut Node, path: &[Seg], value: Node) -> Result<(), String> {
    let mut node = root;
    // An array the file does not write stands for its one default element (the default pool,
    // population or arm): an override may address that element as [0].
    let mut fresh_array = false;
    for (depth, seg) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        let here = path_string(&path[..depth]);
        match seg {
            Seg::Key(k) => {
                let kind = node.value.kind();
                let Value::Table(entries) = &mut node.value else {
                    return Err(format!(
                        "`{here}` is {kind}, not a table, so it has no key `{k}`"
                    ));
                };
                let pos = match entries.iter().position(|e| &e.key == k) {
                    Some(p) => p,
                    None => {
                        entries.push(Entry {
                            key: k.clone(),
                            key_loc: value.loc.clone(),
                            node: Node {
                                value: Value::Table(Vec::new()),
                                loc: value.loc.clone(),
                            },
                        });
                        entries.len() - 1
                    }
                };
                if last {
                    entries[pos].node = value;
                    return Ok(());
                }
                if matches!(path[depth + 1], Seg::Index(_))
                    && matches!(&entries[pos].node.value, Value::Table(e) if e.is_empty())
                {
                    entries[pos].node.value = Value::Array(Vec::new());
                    fresh_array = true;
                }
                node = &mut entries[pos].node;
            }
            Seg::Index(i) => {
                let kind = node.value.kind();
                let Value::Array(items) = &mut node.value else {
                    return Err(format!(
                        "`{here}` is {kind}, not an array, so it has no element [{i}]"
                    ));
                };
                // An override changes an element that exists; it never adds one silently (a
                // second arm, say, is written in the file).
                if fresh_array && *i == 0 && items.is_empty() {
                    items.push(Node {
                        value: Value::Table(Vec::new()),
                        loc: value.loc.clone(),
                    });
                }
                fresh_array = false;
                if *i >= items.len() {
                    return Err(match items.len() {
                        0 => format!(
                            "`{here}` has 0 element(s); an override cannot add one: write it in the scenario file"
                        ),
                        n => format!(
                            "`{here}` has {n} element(s); an override can address [0] to [{}], and cannot add one: write it in the scenario file",
                            n - 1
                        ),
                    });
                }
                if last {
                    items[*i] = value;
                    return Ok(());
                }
                node = &mut items[*i];
            }
        }
    }
    Ok(())
}

/// Documentation of one key, gathered as the reader reads it.
#[derive(Clone, Debug)]
pub struct KeyDoc {
    /// Path with array indices written `[]`.
    pub pattern: String,
    pub default: String,
    pub range: String,
    pub doc: String,
}

/// A resolved value, in reading order.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub path: Vec<Seg>,
    pub value: toml_edit::Value,
    pub doc: String,
    /// The default follows from other keys (an instrument preset, an arm's kind, the design):
    /// the embedded default scenario leaves it commented out, so overriding the key it follows
    /// from also moves it.
    pub derived: bool,
}

/// Shared state of one reading: errors, documentation and the resolved values.
#[derive(Default)]
pub struct Ctx {
    errors: RefCell<Vec<Diagnostic>>,
    docs: RefCell<Vec<KeyDoc>>,
    resolved: RefCell<Vec<Resolved>>,
}

impl Ctx {
    pub fn error(&self, path: &[Seg], loc: &Location, message: impl Into<String>) {
        self.errors.borrow_mut().push(Diagnostic {
            path: path_string(path),
            message: message.into(),
            loc: loc.clone(),
        });
    }
    pub fn into_parts(self) -> (Vec<Diagnostic>, Vec<KeyDoc>, Vec<Resolved>) {
        (
            self.errors.into_inner(),
            self.docs.into_inner(),
            self.resolved.into_inner(),
        )
    }
    fn document(&self, path: &[Seg], default: String, range: String, doc: &str) {
        let pattern = path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(_) => "[]".into(),
            })
            .fold(String::new(), |mut acc, s| {
                if !acc.is_empty() && s != "[]" {
                    acc.push('.');
                }
                acc.push_str(&s);
                acc
            });
        let mut docs = self.docs.borrow_mut();
        if !docs.iter().any(|d| d.pattern == pattern) {
            docs.push(KeyDoc {
                pattern,
                default,
                range,
                doc: doc.to_string(),
            });
        }
    }
    fn resolve(&self, path: &[Seg], value: toml_edit::Value, doc: &str) {
        self.resolved.borrow_mut().push(Resolved {
            path: path.to_vec(),
            value,
            doc: doc.to_string(),
            derived: false,
        });
    }

    fn mark_derived(&self, path: &[Seg]) {
        if let Some(r) = self
            .resolved
            .borrow_mut()
            .iter_mut()
            .rev()
            .find(|r| r.path == path)
        {
            r.derived = true;
        }
    }
}

/// A table being read. Dropping it without [`Table::finish`] leaves unknown keys unreported,
/// so every reader ends with `finish`.
pub struct Table<'a> {
    ctx: &'a Ctx,
    path: Vec<Seg>,
    loc: Location,
    entries: &'a [Entry],
    used: Vec<Cell<bool>>,
    asked: RefCell<Vec<&'static str>>,
}

/// The empty slice a missing table reads from.
const NO_ENTRIES: &[Entry] = &[];

impl<'a> Table<'a> {
    /// The root of a document.
    pub fn root(ctx: &'a Ctx, node: &'a Node) -> Table<'a> {
        Table::over(ctx, Vec::new(), node)
    }

    fn over(ctx: &'a Ctx, path: Vec<Seg>, node: &'a Node) -> Table<'a> {
        let entries: &'a [Entry] = match &node.value {
            Value::Table(e) => e,
            other => {
                ctx.error(
                    &path,
                    &node.loc,
                    format!("expected a table, found {}", other.kind()),
                );
                NO_ENTRIES
            }
        };
        Table {
            ctx,
            used: entries.iter().map(|_| Cell::new(false)).collect(),
            path,
            loc: node.loc.clone(),
            entries,
            asked: RefCell::new(Vec::new()),
        }
    }

    fn missing(ctx: &'a Ctx, path: Vec<Seg>, loc: Location) -> Table<'a> {
        Table {
            ctx,
            path,
            loc,
            entries: NO_ENTRIES,
            used: Vec::new(),
            asked: RefCell::new(Vec::new()),
        }
    }

    /// A table over `node` at an explicit path (for elements supplied by default).
    pub fn detached(ctx: &'a Ctx, path: Vec<Seg>, node: &'a Node) -> Table<'a> {
        Table::over(ctx, path, node)
    }

    /// Looks a key up without marking it as asked for.
    pub fn get_quiet(&self, key: &str) -> Option<&'a Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.node)
    }

    /// The location of the value at a path of keys below this table, or of the table itself.
    pub fn location_of(&self, keys: &[&str]) -> Location {
        let Some((first, rest)) = keys.split_first() else {
            return self.loc.clone();
        };
        self.get_quiet(first)
            .and_then(|n| n.lookup(rest))
            .map_or(self.loc.clone(), |n| n.loc.clone())
    }

    /// The path of this table.
    pub fn path(&self) -> &[Seg] {
        &self.path
    }

    /// Where this table is.
    pub fn location(&self) -> &Location {
        &self.loc
    }

    /// The context errors go to.
    pub fn ctx(&self) -> &'a Ctx {
        self.ctx
    }

    /// The path of a key of this table.
    pub fn child(&self, key: &str) -> Vec<Seg> {
        let mut p = self.path.clone();
        p.push(Seg::Key(key.to_string()));
        p
    }

    /// Looks a key up and marks it as known.
    pub fn get(&self, key: &'static str) -> Option<&'a Node> {
        self.asked.borrow_mut().push(key);
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i].set(true);
        Some(&self.entries[i].node)
    }

    /// A number in `[lo, hi]`.
    pub fn f64(&self, key: &'static str, default: f64, lo: f64, hi: f64, doc: &str) -> f64 {
        let range = range_text(lo, hi);
        let path = self.child(key);
        self.ctx
            .document(&path, fmt_num(default), range.clone(), doc);
        let v = match self.get(key) {
            None => default,
            Some(node) => match number(&node.value) {
                Some(x) if x.is_finite() && x >= lo && x <= hi => x,
                Some(x) => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!(
                            "{} is out of range: expected a number in {range}",
                            fmt_value(x)
                        ),
                    );
                    default
                }
                None => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("expected a number in {range}, found {}", node.value.kind()),
                    );
                    default
                }
            },
        };
        self.ctx.resolve(&path, toml_edit::Value::from(v), doc);
        v
    }

    /// An integer in `[lo, hi]`.
    pub fn int(&self, key: &'static str, default: i64, lo: i64, hi: i64, doc: &str) -> i64 {
        let range = format!("[{lo}, {hi}]");
        let path = self.child(key);
        self.ctx
            .document(&path, default.to_string(), range.clone(), doc);
        let v = match self.get(key) {
            None => default,
            Some(node) => match &node.value {
                Value::Int(x) if *x >= lo && *x <= hi => *x,
                Value::Int(x) => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("{x} is out of range: expected an integer in {range}"),
                    );
                    default
                }
                Value::Float(x) if x.fract() == 0.0 && *x >= lo as f64 && *x <= hi as f64 => {
                    *x as i64
                }
                other => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("expected an integer in {range}, found {}", other.kind()),
                    );
                    default
                }
            },
        };
        self.ctx.resolve(&path, toml_edit::Value::from(v), doc);
        v
    }

    /// A boolean.
    pub fn bool(&self, key: &'static str, default: bool, doc: &str) -> bool {
        let path = self.child(key);
        self.ctx
            .document(&path, default.to_string(), "true or false".into(), doc);
        let v = match self.get(key) {
            None => default,
            Some(node) => match &node.value {
                Value::Bool(b) => *b,
                other => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("expected true or false, found {}", other.kind()),
                    );
                    default
                }
            },
        };
        self.ctx.resolve(&path, toml_edit::Value::from(v), doc);
        v
    }

    /// Free text.
    pub fn string(&self, key: &'static str, default: &str, doc: &str) -> String {
        let path = self.child(key);
        self.ctx
            .document(&path, format!("\"{default}\""), "text".into(), doc);
        let v = match self.get(key) {
            None => default.to_string(),
            Some(node) => match &node.value {
                Value::Str(s) => s.clone(),
                other => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("expected a string, found {}", other.kind()),
                    );
                    default.to_string()
                }
            },
        };
        self.ctx
            .resolve(&path, toml_edit::Value::from(v.as_str()), doc);
        v
    }

    /// A name: lower-case letters, digits and underscores (used in column names).
    pub fn name(&self, key: &'static str, default: &str, doc: &str) -> String {
        let path = self.child(key);
        let v = self.string(key, default, doc);
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            let loc = self.get(key).map_or(self.loc.clone(), |n| n.loc.clone());
            self.ctx.error(
                &path,
                &loc,
                format!(
                    "\"{v}\" is not a valid name: expected 1 to 40 characters of a-z, 0-9 and _, starting with a letter (names become column names)"
                ),
            );
        }
        v
    }

    /// One of a fixed set of words.
    pub fn choice(
        &self,
        key: &'static str,
        default: &'static str,
        options: &[&'static str],
        doc: &str,
    ) -> &'static str {
        let path = self.child(key);
        let list = options
            .iter()
            .map(|o| format!("\"{o}\""))
            .collect::<Vec<_>>()
            .join(", ");
        self.ctx.document(
            &path,
            format!("\"{default}\""),
            format!("one of {list}"),
            doc,
        );
        let v = match self.get(key) {
            None => default,
            Some(node) => match &node.value {
                Value::Str(s) => match options.iter().find(|o| **o == s.as_str()) {
                    Some(o) => o,
                    None => {
                        let hint = did_you_mean(s, options.iter().copied())
                            .map_or(String::new(), |m| format!(" (did you mean \"{m}\"?)"));
                        self.ctx.error(
                            &path,
                            &node.loc,
                            format!("\"{s}\" is not allowed: expected one of {list}{hint}"),
                        );
                        default
                    }
                },
                other => {
                    self.ctx.error(
                        &path,
                        &node.loc,
                        format!("expected one of {list}, found {}", other.kind()),
                    );
                    default
                }
            },
        };
        self.ctx.resolve(&path, toml_edit::Value::from(v), doc);
        v
    }

    /// A sub-table; an absent one reads as empty, so its keys take their defaults.
    pub fn table(&self, key: &'static str) -> Table<'a> {
        let path = self.child(key);
        match self.get(key) {
            Some(node) => Table::over(self.ctx, path, node),
            None => Table::missing(self.ctx, path, self.loc.clone()),
        }
    }

    /// An array of tables, or `None` when absent.
    pub fn tables(&self, key: &'static str) -> Option<Vec<Table<'a>>> {
        let path = self.child(key);
        let node = self.get(key)?;
        match &node.value {
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let mut p = path.clone();
                        p.push(Seg::Index(i));
                        Table::over(self.ctx, p, n)
                    })
                    .collect(),
            ),
            other => {
                self.ctx.error(
                    &path,
                    &node.loc,
                    format!(
                        "expected an array of tables ([[{key}]]), found {}",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    /// Records a documented key whose value is read by other means (e.g. a distribution).
    pub fn document(&self, key: &str, default: String, range: String, doc: &str) {
        self.ctx.document(&self.child(key), default, range, doc);
    }

    /// Records a resolved value read by other means.
    pub fn resolve(&self, key: &str, value: toml_edit::Value, doc: &str) {
        self.ctx.resolve(&self.child(key), value, doc);
    }

    /// Marks keys already read as derived: their defaults follow from other keys (see
    /// [`Resolved::derived`]).
    pub fn mark_derived(&self, keys: &[&str]) {
        for k in keys {
            self.ctx.mark_derived(&self.child(k));
        }
    }

    /// Reports keys no read asked for.
    pub fn finish(self) {
        let asked = self.asked.borrow();
        for (e, used) in self.entries.iter().zip(&self.used) {
            if used.get() {
                continue;
            }
            let hint = did_you_mean(&e.key, asked.iter().copied())
                .map_or(String::new(), |m| format!("; did you mean `{m}`?"));
            let mut known: Vec<&str> = asked.clone();
            known.sort_unstable();
            known.dedup();
            let where_ = if self.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{}`", path_string(&self.path))
            };
            self.ctx.error(
                &self.child(&e.key),
                &e.key_loc,
                format!(
                    "unknown key `{}` {where_}{hint} (known keys: {})",
                    e.key,
                    known.join(", ")
                ),
            );
        }
    }
}

/// A number from an integer or float value.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `[lo, hi]` with readable infinities.
pub fn range_text(lo: f64, hi: f64) -> String {
    let f = |x: f64| {
        if x == f64::INFINITY {
            "inf".to_string()
        } else if x == f64::NEG_INFINITY {
            "-inf".to_string()
        } else {
            fmt_num(x)
        }
    };
    format!("[{}, {}]", f(lo), f(hi))
}

/// Formats a number without noise (`0.3`, not `0.30000000000000004`).
///
/// Not `io::num` (a fixed number of decimals for CSV cells): docs and messages show a value
/// as written when that is short (`0.1234567`), and at most six decimals otherwise.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{x}");
    if s.len() > 10 && x != 0.0 && x.abs() < 1e-4 {
        // A tiny bound such as an allocation's 1e-9 (an exclusive 0) is not rounded to 0.
        format!("{x:e}")
    } else if s.len() > 10 {
        let t = format!("{x:.6}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value the user wrote, in an error message: exact (shortest round-trip form), in scientific
/// notation when very small or large, so `1e-300` is not shown as `0`.
///
/// Not [`fmt_num`], which rounds long values to six decimals.
pub fn fmt_value(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) || !x.is_finite() {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.len() / 3).clamp(1, 3);
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Key(k) => write!(f, "{k}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_both_spellings() {
        let a = parse_path("arms[1].technique_potency").unwrap();
        let b = parse_path("arms.1.technique_potency").unwrap();
        assert_eq!(a, b);
        assert_eq!(path_string(&a), "arms[1].technique_potency");
        assert!(parse_path("a..b").is_none());
    }

    #[test]
    fn suggestions_are_close_only() {
        let c = ["technique_potency", "challenge", "structure"];
        assert_eq!(
            did_you_mean("technique_potncy", c.iter().copied()),
            Some("technique_potency")
        );
        assert_eq!(did_you_mean("banana", c.iter().copied()), None);
    }

    #[test]
    fn line_and_column_are_one_based() {
        let idx = LineIndex::new("a = 1\nbb = 2\n");
        assert_eq!(idx.locate("a = 1\nbb = 2\n", 6), (2, 1));
        assert_eq!(idx.locate("a = 1\nbb = 2\n", 11), (2, 6));
    }
}
