//! bordin: an agent-based simulator of psychotherapy processes.
//!
//! Therapists and patients are agents with interpersonal traits. Session by session, each dyad
//! builds a working alliance (bond, goals, tasks: Bordin 1979), meets ruptures (withdrawal or
//! confrontation) and repairs them or fails to; the alliance, ruptures and repairs drive each
//! patient's symptoms, dropout and ending. Many dyads and replicates run in parallel and give
//! outcome distributions under scenarios configured in TOML files.
//!
//! The modules are layers; each may use the ones listed before it, never one after it
//! (`tests/layers.rs` checks this; ARCHITECTURE.md is the map):
//!
//! ```
//! use bordin::sim::engine::{self, RunOptions};
//!
//! // The embedded default scenario, smaller.
//! let sc = bordin::scenario::load(None, &["run.patients=50".to_string()]).unwrap();
//! let run = engine::collect(&sc, &RunOptions::default()).unwrap();
//! let outcomes = &run.replicates[0].outcomes;
//! assert_eq!(outcomes.len(), 50);
//! let summary = bordin::analysis::summarize(&sc, outcomes);
//! assert!(summary[0].dropout >= 0.0 && summary[0].dropout <= 1.0);
//! ```

// Foundations: no knowledge of the model.
pub mod config;
pub mod error;
pub mod math;
pub mod random;
pub mod stats;

// The model and what a run is.
pub mod model;
pub mod scenario;
pub mod sim;

// Reading results, writing and drawing them.
pub mod analysis;
pub mod io;
pub mod plot;

// The applications.
pub mod commands;

pub use error::{Error, Result, ScenarioError};
pub use scenario::Scenario;

/// The version written into manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
