//! Running a sweep: the work units of a shard (`--shard I/N` or a SLURM array task) that are
//! not finished yet, in parallel, each written atomically; without a shard, the merge.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::analysis::ArmSummary;
use crate::error::{Result, SweepError};
use crate::io::AtomicFile;
use crate::scenario::Scenario;
use crate::sim::allocation::ReplicateContext;
use crate::sim::engine::{self, PatientOutcome, RunOptions, Sink};

use super::UNITS_DIR;
use super::merge::merge;
use super::spec::Sweep;
use super::state::{prepare, unit_name, unit_path};

/// A shard: 0-based index and count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether unit `k` belongs to the shard (`k mod count == index`).
    pub fn owns(&self, k: u64) -> bool {
        k % self.count == self.index
    }

    /// Parses `I/N` (1-based I).
    ///
    /// # Errors
    /// [`SweepError::Shard`] unless `1 <= I <= N`.
    pub fn parse(text: &str) -> Result<Shard, SweepError> {
        let bad = || SweepError::Shard {
            text: text.to_string(),
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: u64 = i.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }

    /// The shard of a SLURM array task: `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` (MIN
    /// taken as 0 when unset) of `SLURM_ARRAY_TASK_COUNT`, so `--array=0-3` and `--array=1-4`
    /// both work. `None` outside an array job.
    ///
    /// # Errors
    /// [`SweepError::SlurmVariable`] when a variable is not a number, [`SweepError::ArrayTask`]
    /// when the task does not map to a shard.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, SweepError> {
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |var: &'static str, v: &str| -> Result<u64, SweepError> {
            v.trim().parse().map_err(|_| SweepError::SlurmVariable {
                var,
                value: v.to_string(),
            })
        };
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let count = num("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = match get("SLURM_ARRAY_TASK_MIN") {
            Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        if count == 0 || id < min || id - min >= count {
            return Err(SweepError::ArrayTask { id, min, count });
        }
        Ok(Some(Shard {
            index: id - min,
            count,
        }))
    }
}

/// Everything `bordin sweep` needs.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    pub sweep: Sweep,
    pub out: PathBuf,
    pub force: bool,
    /// `None`: every unit (then `sweep.csv` is merged).
    pub shard: Option<Shard>,
    pub threads: Option<usize>,
    /// Stop after running this many units (time-boxing; the rest resume later).
    pub max_units: Option<u64>,
}

/// What a sweep run did.
#[derive(Clone, Debug)]
pub struct SweepReport {
    pub units_total: u64,
    /// Units of this shard (all units without a shard).
    pub units_owned: u64,
    /// Units found finished and skipped.
    pub skipped: u64,
    pub ran: u64,
    /// Units of this shard still to run (after --max-units).
    pub remaining: u64,
    /// `sweep.csv`, when written.
    pub merged: Option<PathBuf>,
    pub wall_seconds: f64,
    pub threads: usize,
}

/// Accumulates one replicate's per-arm summaries.
struct UnitSink {
    acc: Vec<ArmSummary>,
}

impl Sink for UnitSink {
    type Rendered = ();
    fn render(&self, _: &Scenario, _: &ReplicateContext, _: &PatientOutcome) {}
    fn begin_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
    fn patient(
        &mut self,
        scenario: &Scenario,
        _: &ReplicateContext,
        outcome: PatientOutcome,
        _: (),
    ) -> Result<()> {
        self.acc[outcome.arm].push(&scenario.instrument, &outcome);
        Ok(())
    }
    fn end_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
}

/// Runs unit `k` and writes its file atomically.
fn run_unit(sweep: &Sweep, out: &Path, k: u64) -> Result<()> {
    let (p, r) = (k / sweep.replicates, k % sweep.replicates);
    let sc = sweep.unit_scenario(p, r)?;
    let opts = RunOptions {
        counterfactual: false,
        record_sessions: false,
        ..RunOptions::default()
    };
    let mut sink = UnitSink {
        acc: vec![ArmSummary::default(); sc.arms.len()],
    };
    engine::run(&sc, &opts, r..r + 1, &mut sink)?;
    let axis_cells: Vec<String> = sweep
        .axes
        .iter()
        .zip(sweep.coords(p))
        .map(|(a, j)| a.values[j].cell.clone())
        .collect();
    let mut f = AtomicFile::create(&out.join(UNITS_DIR), &unit_name(k))?;
    for (arm, acc) in sc.arms.iter().zip(&sink.acc) {
        let row = axis_cells
            .iter()
            .cloned()
            .chain([r.to_string(), arm.name.clone()])
            .chain(crate::io::summary_stat_cells(&acc.row()))
            .chain(
                sweep
                    .posterior
                    .as_ref()
                    .map(|d| d.particle_id(r).to_string()),
            );
        f.record(row)?;
    }
    f.commit()?;
    Ok(())
}

/// Runs the units of a sweep (of its shard) that are not finished yet; without a shard, and
/// when every unit is done, merges `sweep.csv`.
///
/// # Errors
/// [`SweepError`] (a directory holding another sweep), bad thread counts and write failures.
pub fn run(req: &SweepRequest) -> Result<SweepReport> {
    crate::sim::engine::check_threads(req.threads)?;
    let start = Instant::now();
    let sweep = &req.sweep;
    let _lock = prepare(&req.out, sweep, req.force, req.shard)?;
    let total = sweep.units();
    let owned: Vec<u64> = (0..total)
        .filter(|&k| req.shard.is_none_or(|s| s.owns(k)))
        .collect();
    let todo: Vec<u64> = owned
        .iter()
        .copied()
        .filter(|&k| !unit_path(&req.out, k).is_file())
        .collect();
    let skipped = (owned.len() - todo.len()) as u64;
    let limit = req
        .max_units
        .map_or(todo.len(), |m| (m as usize).min(todo.len()));
    let batch = &todo[..limit];
    let pool = crate::sim::engine::thread_pool(req.threads)?;
    let threads = pool.current_num_threads();
    pool.install(|| {
        batch
            .par_iter()
            .try_for_each(|&k| run_unit(sweep, &req.out, k))
    })?;
    let remaining = (todo.len() - limit) as u64;
    let merged = if req.shard.is_none() && remaining == 0 {
        Some(merge(std::slice::from_ref(&req.out), &req.out)?)
    } else {
        None
    };
    Ok(SweepReport {
        units_total: total,
        units_owned: owned.len() as u64,
        skipped,
        ran: limit as u64,
        remaining,
        merged,
        wall_seconds: start.elapsed().as_secs_f64(),
        threads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_map_from_slurm() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 1, count: 4 });
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        let env = |id: &'static str, min: Option<&'static str>| {
            move |k: &str| match k {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
                "SLURM_ARRAY_TASK_MIN" => min.map(str::to_string),
                _ => None,
            }
        };
        assert_eq!(
            Shard::from_env(env("0", Some("0"))).unwrap(),
            Some(Shard { index: 0, count: 4 })
        );
        assert_eq!(
            Shard::from_env(env("4", Some("1"))).unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        assert!(Shard::from_env(env("4", None)).is_err());
        assert_eq!(Shard::from_env(|_| None).unwrap(), None);
    }
}
