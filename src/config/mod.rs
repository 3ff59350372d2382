//! Reading TOML scenario files: a typed reader that records every key's documentation, default
//! and range, and reports every problem with its key path and `file:line:col`
//! ([`reader`]); and the rendering of a resolved scenario back to TOML and Markdown
//! ([`render`]). Nothing here knows what a scenario means: the model's parameter types declare
//! their keys through [`reader::Table`], as a serde derive would.

pub mod reader;
pub mod render;
