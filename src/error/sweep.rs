//! The errors of `bordin sweep`, `merge` and `slurm` (`crate::commands::sweep`): a sweep file
//! with problems, a sweep directory that holds something else, a shard or SLURM value that does
//! not map to one. Each names the flag, file or directory and says what was expected; all are
//! the user's input (exit code 2).

use std::fmt;
use std::path::{Path, PathBuf};

/// What the sweep commands cannot use.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file cannot be read.
    #[error("cannot read sweep file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Every problem found in the sweep file `file`, in the order found.
    #[error(
        "sweep file {file} has {} error{}:\n{}",
        .problems.len(),
        if .problems.len() == 1 { "" } else { "s" },
        Lines(.problems)
    )]
    Problems { file: String, problems: Vec<String> },
    /// A state file (`sweep.json`) that does not parse.
    #[error("{} is not a bordin sweep state file: {source}", .path.display())]
    State {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// `--out` names a file.
    #[error("--out {} exists and is not a directory", .0.display())]
    OutNotADirectory(PathBuf),
    /// `--out` holds another sweep (recorded in its state file as `sweep_file`); the difference
    /// boxed, to keep the error small.
    #[error(
        "{} holds another sweep ({sweep_file}): {difference}; refusing to resume. Use another --out, or --force to discard its units",
        .out.display()
    )]
    AnotherSweep {
        out: PathBuf,
        sweep_file: String,
        difference: Box<SweepDifference>,
    },
    /// A directory to merge without a state file (`state_file`).
    #[error("{} is not a sweep directory (no {state_file})", .dir.display())]
    NotASweepDirectory {
        dir: PathBuf,
        state_file: &'static str,
    },
    /// Directories to merge that hold different sweeps (their sweep files as recorded).
    #[error(
        "{} and {} hold different sweeps ({first_file} vs {other_file}); merge only shards of one sweep",
        .first.display(),
        .other.display()
    )]
    DifferentSweeps {
        first: PathBuf,
        other: PathBuf,
        first_file: String,
        other_file: String,
    },
    /// `merge` without a directory.
    #[error("merge needs at least one sweep directory")]
    NothingToMerge,
    /// Units missing from the merged directories: `missing` of `units`, the labels of the
    /// first few in `shown`.
    #[error(
        "the sweep is incomplete: {missing} of {units} units missing in {}:\n{}{}run the missing shards again (finished units are skipped), then merge\n",
        Paths(.dirs),
        Lines(.shown),
        More(.missing, .shown)
    )]
    Incomplete {
        dirs: Vec<PathBuf>,
        units: u64,
        missing: u64,
        shown: Vec<String>,
    },
    /// `--shard TEXT` that is not `I/N` with `1 <= I <= N`.
    #[error("--shard {text:?}: expected I/N with 1 <= I <= N, e.g. --shard 2/4")]
    Shard { text: String },
    /// A SLURM array variable that is not a number.
    #[error("{var}={value:?} is not a number")]
    SlurmVariable { var: &'static str, value: String },
    /// A SLURM array task outside `min .. min + count`.
    #[error(
        "SLURM array task {id} (min {min}, count {count}) does not map to a shard; use a contiguous array such as --array=0-{}",
        .count.saturating_sub(1)
    )]
    ArrayTask { id: u64, min: u64, count: u64 },
    /// `bordin slurm --array 0`.
    #[error("--array must be at least 1")]
    NoArrayTasks,
    /// `bordin slurm --cpus 0`.
    #[error("--cpus must be at least 1")]
    NoCpus,
    /// A SLURM value (`--partition`, `--time`) that is empty or more than one word.
    #[error("{flag} {value:?}: expected a single word")]
    NotAWord { flag: &'static str, value: String },
}

/// What differs between a sweep directory's state file and the sweep asked to resume it.
#[derive(Debug, PartialEq)]
pub enum SweepDifference {
    /// The sweep file's hash: as recorded, and as `source` has it now.
    SweepFile {
        recorded: String,
        source: String,
        now: String,
    },
    /// The base scenario (`base`)'s hash: as recorded, and now.
    Base {
        base: String,
        recorded: String,
        now: String,
    },
    /// The bordin version that wrote the directory, and this one.
    Version { recorded: String, now: &'static str },
    /// The `--posterior` (file, hash, `--draws`) recorded, and given now.
    Posterior { recorded: String, now: String },
}

impl fmt::Display for SweepDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepDifference::SweepFile {
                recorded,
                source,
                now,
            } => write!(
                f,
                "the sweep file differs (recorded sha256 {recorded}, {source} has {now})"
            ),
            SweepDifference::Base {
                base,
                recorded,
                now,
            } => write!(
                f,
                "the base scenario {base} differs (recorded sha256 {recorded}, now {now})"
            ),
            SweepDifference::Version { recorded, now } => {
                write!(f, "it was written by bordin {recorded} (this is {now})")
            }
            SweepDifference::Posterior { recorded, now } => write!(
                f,
                "its posterior differs (recorded --posterior {recorded}, now {now})"
            ),
        }
    }
}

/// Items, each on a line of its own indented by two spaces.
struct Lines<'a>(&'a [String]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|line| writeln!(f, "  {line}"))
    }
}

/// Paths joined by commas.
struct Paths<'a>(&'a [PathBuf]);

impl fmt::Display for Paths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{}", Path::display(p))?;
        }
        Ok(())
    }
}

/// `  ... and N more` on a line of its own for the missing units not shown, nothing when every
/// one is.
struct More<'a>(&'a u64, &'a [String]);

impl fmt::Display for More<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let more = self.0.saturating_sub(self.1.len() as u64);
        if more > 0 {
            writeln!(f, "  ... and {more} more")?;
        }
        Ok(())
    }
}
