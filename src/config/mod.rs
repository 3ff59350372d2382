//! Reading TOML scenario files: a typed reader that records every key's documentation, default
//! and range, and reports every problem with its key path and `file:line:col`
//! ([`reader`]); and the rendering of a resolved scenario back to TOML and Markdown
//! ([`render`]). Nothing here knows what a scenario means: the model's parameter types declare
//! their keys through [`reader::Table`], as a serde derive would.

pub mod reader;
pub mod render;

use std::io::Read;
use std::path::Path;

/// The largest configuration file bordin reads (scenarios, sweeps, experiments, targets): 4 MiB.
/// A scenario is a few kB; the cap keeps `validate /dev/zero` or a runaway generated file from
/// exhausting memory.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// Reads a configuration file as UTF-8 text, refusing one larger than `MAX_FILE_BYTES`
/// (without reading further) with an [`std::io::ErrorKind::InvalidData`] error that says so.
///
/// # Errors
/// The file cannot be opened or read, is not UTF-8, or is too large.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, the most a configuration file may hold (a scenario is a few kB)",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    Ok(text)
}
