//! Writes a resolved scenario back out: as commented TOML (the embedded default, the manifest's
//! resolved scenario) and as the Markdown key reference `docs/scenario.md`.

use super::reader::{KeyDoc, Resolved, Seg};

fn table_header(path: &[Seg]) -> String {
    let names: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    if matches!(path.last(), Some(Seg::Index(_))) {
        format!("[[{}]]", names.join("."))
    } else {
        format!("[{}]", names.join("."))
    }
}

fn wrap_comment(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > width && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Renders resolved values as a TOML document, each key preceded by its documentation when
/// `comments` is set.
pub fn to_toml(resolved: &[Resolved], header: &str, comments: bool) -> String {
    let mut out = String::from(header);
    let mut current: Option<Vec<Seg>> = None;
    for r in resolved {
        let (key, table) = r.path.split_last().expect("non-empty path");
        let Seg::Key(key) = key else { continue };
        if current.as_deref() != Some(table) {
            if !table.is_empty() {
                // Open every array element on the way that has not been opened yet.
                for depth in 1..=table.len() {
                    let prefix = &table[..depth];
                    let opened = current
                        .as_ref()
                        .is_some_and(|c| c.len() >= depth && c[..depth] == *prefix);
                    if opened {
                        continue;
                    }
                    if matches!(prefix.last(), Some(Seg::Index(_))) && depth < table.len() {
                        out.push('\n');
                        out.push_str(&table_header(prefix));
                        out.push('\n');
                    }
                }
                out.push('\n');
                out.push_str(&table_header(table));
                out.push('\n');
            }
            current = Some(table.to_vec());
        }
        if comments {
            out.push_str(&wrap_comment(&r.doc, 96));
        }
        let value = r.value.to_string();
        if comments && r.derived {
            // Left out so that it follows the keys it derives from (value shown for reference).
            out.push_str(&format!(
                "# {key} = {}  (default follows other keys)\n",
                value.trim()
            ));
        } else {
            out.push_str(&format!("{key} = {}\n", value.trim()));
        }
    }
    out
}

/// The table and the key of a documented key's pattern: `mechanisms.ruptures.base` ->
/// (`mechanisms.ruptures`, `base`); a top-level key has the table `""`.
pub fn split_pattern(pattern: &str) -> (&str, &str) {
    match pattern.rfind('.') {
        Some(i) => (&pattern[..i], &pattern[i + 1..]),
        None => ("", pattern),
    }
}

const KEY_TABLE_HEADER: &str = "| key | default | range | meaning |\n|---|---|---|---|\n";

/// One key's row of a key table.
fn key_row(d: &KeyDoc) -> String {
    format!(
        "| `{}` | `{}` | {} | {} |\n",
        split_pattern(&d.pattern).1,
        d.default.replace('|', "\\|"),
        d.range.replace('|', "\\|"),
        d.doc.replace('|', "\\|")
    )
}

/// The key table of one scenario table (`mechanisms.ruptures`,
/// `arms[].policies.poor_alliance_rule`), rows as in [`to_markdown`]; docs/model.md's key
/// tables are rendered by it. Empty when the table has no keys.
pub fn key_table(docs: &[KeyDoc], table: &str) -> String {
    let rows: String = docs
        .iter()
        .filter(|d| split_pattern(&d.pattern).0 == table)
        .map(key_row)
        .collect();
    if rows.is_empty() {
        rows
    } else {
        format!("{KEY_TABLE_HEADER}{rows}")
    }
}

/// Renders the key reference as Markdown.
pub fn to_markdown(docs: &[KeyDoc]) -> String {
    let mut out = String::from(
        "# Scenario reference\n\n\
         Generated from the code that reads each key (`cargo test` checks it is current; \
         regenerate with `BORDIN_BLESS=1 cargo test --test docs`). Every key is optional: an \
         absent key takes its default, and the embedded default scenario \
         (`configs/default.toml`, `bordin default-scenario`) is the all-defaults scenario. \
         `[[x]]` tables may repeat; `[]` in a path stands for any element. Ranges are \
         inclusive. A trait distribution is a number or a table such as \
         `{ type = \"normal\", mean = 0.3, sd = 0.2 }`: see \"Distributions\" at the end.\n",
    );
    let mut section = String::new();
    for d in docs {
        let table = split_pattern(&d.pattern).0;
        if table != section {
            section = table.to_string();
            let title = if table.is_empty() {
                "top level".to_string()
            } else {
                format!("`{table}`")
            };
            out.push_str(&format!("\n## {title}\n\n{KEY_TABLE_HEADER}"));
        }
        out.push_str(&key_row(d));
    }
    out.push_str(DISTRIBUTIONS);
    out
}

const DISTRIBUTIONS: &str = "
## Distributions

Every trait distribution is truncated to the trait's range (the `range` column), so a draw is
always valid. Forms:

| form | keys | notes |
|---|---|---|
| a number | | fixed value |
| `{ type = \"fixed\", value = x }` | `value` | same as a number |
| `{ type = \"normal\", mean, sd }` | `min`, `max` optional | truncated normal (inverse-CDF draw) |
| `{ type = \"uniform\", min, max }` | | |
| `{ type = \"beta\", alpha, beta }` | `min`, `max` optional | beta on [0, 1] rescaled to [min, max] |
| `{ type = \"lognormal\", meanlog, sdlog }` | `min`, `max` optional | exp of a normal, truncated |
| `{ type = \"mixture\", components = [...] }` | each component has `weight` | e.g. `[{ weight = 0.8, type = \"normal\", mean = 0, sd = 1 }, { weight = 0.2, type = \"fixed\", value = -2 }]` |

## Overrides

`bordin run --set PATH=VALUE` sets any key before validation: `--set design.planned_sessions=16`,
`--set arms[1].technique_potency=0.06` (or `arms.1.technique_potency`),
`--set 'populations[0].expectancy={ type = \"beta\", alpha = 2, beta = 2 }'`. The value is read as
TOML (a bare word is a string). An index may address an existing element or append one.
";
