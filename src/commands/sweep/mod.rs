//! Parameter sweeps: a cross product of scenario key values (axes) x replicates, cut into work
//! units that can run in one process, in shards (`--shard I/N`, SLURM job arrays) and be
//! resumed after a kill, with the same bytes in the end (docs/sweeps.md).
//!
//! A work unit is one (design point, replicate). Design points are numbered in row-major order
//! of the axes (the last axis changes fastest); unit `k` is design point `k / R`, replicate
//! `k % R` (R replicates). Each unit's rows (one per arm) are written atomically to
//! `DIR/units/NNNNNNNN.csv`; a finished unit is a unit whose file exists, which is what resume
//! and sharding rely on. `sweep.csv` is always produced by [`merge`]: the header and the unit
//! files concatenated in unit order, so a whole run, a resumed run and a merged sharded run give
//! the same bytes.
//!
//! Replicate `r` of every design point uses the random streams of replicate `r` of the base
//! seed (common random numbers across design points).
//!
//! The files: `spec` (the sweep file read and checked) with `axis` (its axes), `state` (the
//! sweep directory: state file, unit files, resume), `run` (the units of a shard), `merge`
//! and `slurm` (job scripts).

mod axis;
mod merge;
mod run;
mod slurm;
mod spec;
mod state;

pub use axis::{Axis, AxisValue};
pub use merge::merge;
pub use run::{Shard, SweepReport, SweepRequest, run};
pub use slurm::{SlurmRequest, write_slurm};
pub use spec::Sweep;

/// The state file of a sweep directory (what is being swept, and its hashes).
const STATE_FILE: &str = "sweep.json";
/// The merged result.
const SWEEP_CSV: &str = "sweep.csv";
/// The folder of finished work units.
const UNITS_DIR: &str = "units";
