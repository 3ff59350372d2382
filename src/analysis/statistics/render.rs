//! The registry as a reader sees it: the terminal list of `bordin experiment
//! --list-statistics` and the Markdown of docs/statistics-registry.md. Both name, for each
//! statistic, the calibration targets that use it, from the `(id, statistic)` pairs given.

use super::{CONVENTIONS, FAMILIES, Statistic, find};

/// The ids of the targets whose statistic is `s`.
fn targets_of<'t>(s: &Statistic, targets: &[(&'t str, &str)]) -> Vec<&'t str> {
    targets
        .iter()
        .filter(|(_, call)| {
            let name = call.split(':').next().unwrap_or_default();
            find(name).is_ok_and(|f| f.name == s.name)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// The arguments of `s`, the number written into its name first, as (name, what it is).
fn arguments(s: &Statistic) -> Vec<(&'static str, String)> {
    let number = s
        .name
        .ends_with("{n}")
        .then(|| ("n", "a number of sessions".to_string()));
    number
        .into_iter()
        .chain(s.args.iter().map(|a| (a.name, a.kind.to_string())))
        .collect()
}

/// The terminal list: per family, each statistic's call form, its doc below it, then a line
/// with its arguments, source and targets where it has any.
pub fn text(targets: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "Statistics a target or an experiment may name: the name, then each argument after a `:`\n\
         (hedges_g:cbt:controls); <n> is a number written into the name (improved_by_session_8).\n",
    );
    for family in FAMILIES {
        out.push_str(&format!("\n{}\n", family.name));
        for s in family.statistics {
            out.push_str(&format!("  {}\n      {}\n", s.usage(), s.doc));
            let mut detail: Vec<String> = arguments(s)
                .iter()
                .map(|(name, what)| format!("<{name}>: {what}"))
                .collect();
            if !s.source.is_empty() {
                detail.push(format!("source: {}", s.source));
            }
            let ids = targets_of(s, targets);
            if !ids.is_empty() {
                detail.push(format!("targets: {}", ids.join(", ")));
            }
            if !detail.is_empty() {
                out.push_str(&format!("      {}\n", detail.join("; ")));
            }
        }
    }
    out
}

/// A Markdown table cell: pipes escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// docs/statistics-registry.md: the conventions, then a table per family.
pub fn markdown(targets: &[(&str, &str)]) -> String {
    let mut out = format!(
        "# Statistics\n\n\
         Generated from the statistics registry (`src/analysis/statistics/`) by \
         `BORDIN_BLESS=1 cargo test --test docs`; `bordin experiment --list-statistics` prints \
         the same list.\n\n\
         A calibration target (`configs/calibration/targets.toml`) or an experiment \
         (`experiment.toml`) names a statistic and its arguments separated by `:`, e.g. \
         `hedges_g:cbt:controls`; `<n>` in a name is a number written into it \
         (`improved_by_session_8`). Each statistic is computed on every replicate and reported \
         as the mean over replicates with its Monte Carlo SE; a replicate with no data for it \
         gives `NaN` and is left out.\n\n\
         Conventions:\n\n{CONVENTIONS}"
    );
    for family in FAMILIES {
        out.push_str(&format!(
            "\n## {}\n\nComputed in [`{}`](../{}).\n\n\
             | statistic | arguments | what it computes | source | targets |\n\
             |---|---|---|---|---|\n",
            family.name, family.file, family.file
        ));
        for s in family.statistics {
            let args: Vec<String> = arguments(s)
                .iter()
                .map(|(name, what)| format!("`{name}`: {what}"))
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                s.usage(),
                cell(&args.join("; ")),
                cell(s.doc),
                cell(s.source),
                targets_of(s, targets).join(", ")
            ));
        }
    }
    out
}
