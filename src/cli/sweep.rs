//! `bordin sweep`, `bordin merge` and `bordin slurm`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use bordin::commands::sweep::{self, Shard, Sweep};

/// The flags of `bordin sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML): base, replicates, [[axis]] tables.
    sweep: PathBuf,
    /// Sweep directory (units/, sweep.json, and sweep.csv when complete).
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// Discard the units of another sweep (or other files' claim) in --out.
    #[arg(long)]
    force: bool,
    /// Run shard I of N (1-based): the units k with k mod N = I - 1. Default: from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set, else every unit.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after running this many units (the rest resume on the next run).
    #[arg(long, value_name = "N")]
    max_units: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    posterior: super::PosteriorArgs,
}

impl SweepArgs {
    /// Runs this shard's unfinished units and says what is left.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let shard = match self.shard {
            Some(s) => Some(Shard::parse(&s)?),
            None => Shard::from_env(|k| std::env::var(k).ok())?,
        };
        let req = sweep::SweepRequest {
            sweep: Sweep::load(&self.sweep)?
                .with_posterior(self.posterior.posterior.as_deref(), self.posterior.draws)?,
            out: self.out,
            force: self.force,
            shard,
            threads: self.threads,
            max_units: self.max_units,
        };
        let r = sweep::run(&req)?;
        if self.quiet {
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(d) = &req.sweep.posterior {
            println!("over the posterior: {}", d.describe());
            let swept = req.sweep.swept_posterior_keys();
            if !swept.is_empty() {
                println!(
                    "  swept keys take the axes' values, not the posterior's: {}",
                    swept.join(", ")
                );
            }
        }
        let which = shard.map_or(String::new(), |s| {
            format!("shard {}/{}: ", s.index + 1, s.count)
        });
        println!(
            "{which}ran {} unit(s), skipped {} finished, {} left (of {} owned, {} total) in {:.2} s on {} thread(s)",
            r.ran, r.skipped, r.remaining, r.units_owned, r.units_total, r.wall_seconds, r.threads
        );
        match &r.merged {
            Some(p) => println!("wrote {}", p.display()),
            None if r.remaining > 0 => println!("run the same command again to resume"),
            None => println!(
                "merge the shards with: bordin merge {} --out {}",
                req.out.display(),
                req.out.display()
            ),
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The flags of `bordin merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Sweep directories written by `bordin sweep`.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where to write sweep.csv.
    #[arg(long)]
    out: PathBuf,
}

impl MergeArgs {
    /// Merges the shards into one `sweep.csv`.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        let p = sweep::merge(&self.dirs, &self.out)?;
        println!("wrote {}", p.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// The flags of `bordin slurm`.
#[derive(Args, Debug)]
pub struct SlurmArgs {
    /// Sweep file (TOML).
    sweep: PathBuf,
    /// Tasks in the job array (shards).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    array: u32,
    /// SLURM partition.
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per task (SLURM format, e.g. 02:00:00).
    #[arg(long)]
    time: Option<String>,
    /// CPUs per task (also the sweep's --threads).
    #[arg(long, default_value_t = 1)]
    cpus: u32,
    /// Sweep directory the jobs write.
    #[arg(long, default_value = "sweep")]
    out: PathBuf,
    /// Where to write sweep.sbatch, merge.sbatch and submit.sh.
    #[arg(long, default_value = "slurm")]
    script_dir: PathBuf,
    /// bordin binary the jobs run (default: this one).
    #[arg(long)]
    bordin: Option<PathBuf>,
    /// The sweep's --posterior and --draws, passed on to every task.
    #[command(flatten)]
    posterior: super::PosteriorArgs,
}

impl SlurmArgs {
    /// Checks the sweep file and writes the job scripts.
    pub fn execute(self) -> bordin::Result<ExitCode> {
        Sweep::load(&self.sweep)?
            .with_posterior(self.posterior.posterior.as_deref(), self.posterior.draws)?;
        let exe = match self.bordin {
            Some(b) => b,
            None => std::env::current_exe().map_err(|source| bordin::Error::Write {
                path: PathBuf::from("bordin"),
                source,
            })?,
        };
        let files = sweep::write_slurm(&sweep::SlurmRequest {
            sweep_file: self.sweep,
            array: self.array,
            partition: self.partition,
            time: self.time,
            cpus: self.cpus,
            out: self.out,
            script_dir: self.script_dir,
            bordin: exe,
            posterior: self.posterior.posterior.map(|p| {
                if p == "default" {
                    p
                } else {
                    std::path::absolute(&p).map_or(p, |a| a.display().to_string())
                }
            }),
            draws: self.posterior.draws,
        })?;
        for f in &files {
            println!("wrote {}", f.display());
        }
        println!("submit with: {}", files[2].display());
        Ok(ExitCode::SUCCESS)
    }
}
