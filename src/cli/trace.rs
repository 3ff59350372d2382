//! `bordin trace`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::trace;

/// The flags of `bordin trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// Scenario file (TOML); the dyad runs under its first therapy arm. Without it, the
    /// embedded default.
    scenario: Option<PathBuf>,
    /// Therapist: an archetype (see --list), key=value traits, or both
    /// (warm-flexible,fis=1.5). Unset traits: the archetype's, else the pool mean.
    #[arg(long, required_unless_present = "list")]
    therapist: Option<String>,
    /// Patient: an archetype (see --list), key=value traits, or both. Unset traits: the
    /// archetype's, else the first population's mean.
    #[arg(long, required_unless_present = "list")]
    patient: Option<String>,
    /// A second therapist for the same patient with the same random draws (common random
    /// numbers).
    #[arg(long)]
    compare_therapist: Option<String>,
    /// Planned sessions (default: the arm's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
    sessions: Option<u32>,
    /// Seed (overrides run.seed): the patient's random draws.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Override a scenario key (as for run).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Output directory (a non-empty one needs --force).
    #[arg(long, default_value = "trace")]
    out: PathBuf,
    /// Write into a non-empty output directory.
    #[arg(long)]
    force: bool,
    /// List the therapist and patient archetypes and the trait keys, and exit.
    #[arg(long)]
    list: bool,
}

impl TraceArgs {
    /// Traces the dyad (or lists the archetypes) and prints the narrative.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        if self.list {
            print!("{}", trace::list_text()?);
            return Ok(ExitCode::SUCCESS);
        }
        let mut set = self.set;
        if let Some(s) = self.seed {
            set.push(format!("run.seed={s}"));
        }
        let report = trace::run(&trace::TraceRequest {
            scenario: bordin::scenario::load(self.scenario.as_deref(), &set)?,
            scenario_source: super::scenario_source(self.scenario.as_deref()),
            therapist: self.therapist.unwrap_or_default(),
            patient: self.patient.unwrap_or_default(),
            compare_therapist: self.compare_therapist,
            sessions: self.sessions,
            out: self.out,
            force: self.force,
        })?;
        print!("{}", report.text);
        println!(
            "wrote {} files to {}",
            report.files.len(),
            report.out.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
