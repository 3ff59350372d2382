//! The applications, one module per command: [`run`], [`calibrate`], [`experiment`],
//! [`trace`], [`report`], [`power`], [`sensitivity`] and [`sweep`] (with `merge` and `slurm`). Each takes a
//! request struct and returns what it wrote; the command-line parsing lives in the binary.

pub mod calibrate;
pub mod experiment;
pub(crate) mod html;
pub mod posterior;
pub mod power;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod sweep;
pub mod trace;
