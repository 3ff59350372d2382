//! Simulation: one patient's course session by session ([`course`]), and the engine that runs
//! replicates of a scenario in parallel, allocates patients to arms and therapists, and re-runs
//! patients under every arm for counterfactuals ([`engine`]). [`progress`] is the hook through
//! which a running engine reports how many patients it has simulated.

pub mod course;
pub mod engine;
pub mod progress;
