//! Simulation: one patient's course session by session ([`course`]); who is treated by whom
//! ([`allocation`]); and the engine that runs replicates of a scenario in parallel and re-runs
//! patients under every arm for counterfactuals ([`engine`]). [`progress`] is the hook through
//! which a running engine reports how many patients it has simulated.

pub mod allocation;
pub mod course;
pub mod engine;
pub mod progress;
