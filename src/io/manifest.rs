//! `manifest.json`: what a command wrote, from which scenario, and how to run it again. One
//! writer for `bordin run` and `bordin power`, which each wrote their own (issue 11).
//!
//! The keys are written in alphabetical order (serde_json's map without `preserve_order`),
//! pretty-printed, with a final newline.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::io::{AtomicFile, FileRecord};
use crate::scenario::posterior::PosteriorDraws;
use crate::scenario::{self, Scenario};

/// A manifest being put together: the fields every command records, then the command's own.
#[derive(Clone, Debug)]
pub struct Manifest {
    fields: Map<String, Value>,
}

impl Manifest {
    /// The fields of every manifest: bordin's version; the scenario's name, source, seed and
    /// every resolved value; the worker threads, the wall time and the command line.
    pub fn new(
        sc: &Scenario,
        scenario_source: &str,
        command_line: &[String],
        threads: usize,
        wall_seconds: f64,
    ) -> Manifest {
        Manifest { fields: Map::new() }
            .with("bordin_version", crate::VERSION)
            .with("scenario_name", &sc.name)
            .with("scenario_source", scenario_source)
            .with("seed", sc.run.seed)
            .with("threads", threads)
            .with("wall_time_seconds", wall_seconds)
            .with("command_line", command_line)
            .with("resolved_scenario", scenario::resolved_toml(sc))
    }

    /// With `--posterior`: its source, SHA-256, generation and `--draws` (`posterior`), so the
    /// run can be reproduced from the manifest with the same file. Without, no field.
    pub fn with_posterior(self, draws: Option<&PosteriorDraws>) -> Manifest {
        let Some(d) = draws else {
            return self;
        };
        self.with(
            "posterior",
            serde_json::json!({
                "source": d.posterior.source_name,
                "sha256": d.posterior.sha256,
                "generation": d.posterior.generation,
                "particles": d.posterior.values.len(),
                "keys": d.posterior.keys,
                "draws": d.draws,
                "kept": d.kept().iter().map(|(k, v, r)| serde_json::json!({
                    "key": k, "value": v, "posterior_reference": r,
                })).collect::<Vec<_>>(),
            }),
        )
    }

    /// Adds a field of the command.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Manifest {
        let value = serde_json::to_value(value).expect("manifest fields serialise");
        self.fields.insert(key.to_string(), value);
        self
    }

    /// Writes `dir/manifest.json` with the files written before it.
    ///
    /// # Errors
    /// [`crate::Error::Write`] when the file cannot be written.
    pub fn write(self, dir: &Path, files: &[FileRecord]) -> Result<FileRecord> {
        let Manifest { fields } = self.with("files", files);
        let text = serde_json::to_string_pretty(&Value::Object(fields)).expect("JSON values print");
        let mut f = AtomicFile::create(dir, "manifest.json")?;
        f.raw(text.as_bytes())?;
        f.raw(b"\n")?;
        f.commit()
    }
}
