//! The engine: replicates, allocation to arms, assignment to therapists, and the parallel loop
//! over patients.
//!
//! Work is cut into chunks of patients. Chunks are simulated in parallel (rayon) and handed to a
//! [`Sink`] strictly in order (replicate, then patient), so every output byte and every summary
//! sum is the same whatever the number of threads or the scheduling. Memory is bounded by the
//! batch of chunks in flight, not by the number of patients.
//!
//! With `counterfactual`, every patient is also simulated under every other arm with the same
//! traits and the same week draws (common random numbers); the therapist under another arm is a
//! therapist of that arm's pool drawn for the patient at random. Potential outcomes follow.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::model::attendance::Ending;
use crate::model::patient::Patient;
use crate::model::therapist::Therapist;
use crate::model::treatment::ArmKind;
use crate::random::Streams;
use crate::scenario::Scenario;
use crate::sim::allocation::{
    Placement, ReplicateContext, ReplicatePlan, draw_patient, random_therapist,
};
use crate::sim::course::{self, Course, CourseInput};

/// Options of a run that are not part of the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Simulate every patient under every arm (potential outcomes).
    pub counterfactual: bool,
    /// Keep session rows (for `sessions.csv`).
    pub record_sessions: bool,
    /// Patients per chunk of work.
    pub chunk_size: usize,
    /// Chunks simulated per batch (memory bound: batch x chunk patients in flight).
    pub batch_chunks: usize,
    /// Count the patients on the progress hook ([`crate::sim::progress`]); off for side
    /// computations, such as the sample of the disk-space estimate.
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            counterfactual: false,
            record_sessions: true,
            chunk_size: 256,
            batch_chunks: 32,
            progress: true,
        }
    }
}

/// A patient's outcome under one arm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PotentialOutcome {
    pub final_score: f64,
    pub post_score: f64,
    pub end_latent: f64,
    pub sessions_attended: u32,
    pub ending: Ending,
}

impl From<&Course> for PotentialOutcome {
    fn from(c: &Course) -> Self {
        PotentialOutcome {
            final_score: c.final_score,
            post_score: c.post_score,
            end_latent: c.end_latent,
            sessions_attended: c.sessions_attended,
            ending: c.ending,
        }
    }
}

/// Everything known about one patient after a run.
#[derive(Clone, Debug)]
pub struct PatientOutcome {
    pub patient: Patient,
    /// The arm the patient was allocated to.
    pub arm: usize,
    /// Index of the first therapist in the arm's pool (none for waitlist arms).
    pub therapist: Option<u32>,
    pub course: Course,
    /// Outcome under every arm, in arm order (empty unless counterfactual).
    pub potential: Vec<PotentialOutcome>,
}

/// Receives results in order.
///
/// [`Sink::render`] runs in the parallel phase, right after a patient is simulated (formatting
/// output rows, for instance); [`Sink::patient`] then receives the outcome and its rendering
/// strictly in patient order, in one thread.
pub trait Sink: Sync {
    /// What `render` prepares for `patient`.
    type Rendered: Send;
    /// Prepares a patient's output; called in parallel, in any order.
    fn render(
        &self,
        scenario: &Scenario,
        ctx: &ReplicateContext,
        outcome: &PatientOutcome,
    ) -> Self::Rendered;
    /// A replicate starts.
    fn begin_replicate(&mut self, scenario: &Scenario, ctx: &ReplicateContext) -> Result<()>;
    /// One patient, in patient order.
    fn patient(
        &mut self,
        scenario: &Scenario,
        ctx: &ReplicateContext,
        outcome: PatientOutcome,
        rendered: Self::Rendered,
    ) -> Result<()>;
    /// A replicate ends.
    fn end_replicate(&mut self, scenario: &Scenario, ctx: &ReplicateContext) -> Result<()>;
}

/// Simulates one patient under their arm, and under every arm when `counterfactual`.
fn simulate_patient(
    scenario: &Scenario,
    streams: &Streams,
    ctx: &ReplicateContext,
    index: u64,
    place: Placement,
    opts: &RunOptions,
) -> PatientOutcome {
    let patient = draw_patient(scenario, streams, ctx.replicate, index);
    let mut weeks = crate::random::WeekStreams::new(streams, ctx.replicate, index);
    let run_arm = |arm: usize,
                   therapist: Option<u32>,
                   record: bool,
                   weeks: &mut crate::random::WeekStreams| {
        let a = &scenario.arms[arm];
        let therapists: &[Therapist] = match (a.kind, a.pool) {
            (ArmKind::Therapy, Some(p)) => &ctx.therapists[p],
            _ => &[],
        };
        course::simulate(
            &CourseInput {
                scenario,
                arm: a,
                patient: &patient,
                therapists,
                therapist: therapist.unwrap_or(0),
                record,
            },
            weeks,
        )
    };
    let course = run_arm(place.arm, place.therapist, opts.record_sessions, &mut weeks);
    let potential = if opts.counterfactual {
        (0..scenario.arms.len())
            .map(|a| {
                if a == place.arm {
                    PotentialOutcome::from(&course)
                } else {
                    let th = scenario.arms[a].pool.map(|p| {
                        random_therapist(
                            streams,
                            ctx.replicate,
                            index,
                            a,
                            scenario.therapist_pools[p].therapists,
                        )
                    });
                    PotentialOutcome::from(&run_arm(a, th, false, &mut weeks))
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    PatientOutcome {
        arm: place.arm,
        therapist: place.therapist,
        course,
        potential,
        patient,
    }
}

struct Chunk<'a> {
    scenario: &'a Scenario,
    plan: Arc<ReplicateContext>,
    start: u64,
    places: Vec<Placement>,
    first: bool,
    last: bool,
}

/// Runs replicates `replicates` of a scenario, feeding `sink` in order.
///
/// # Errors
/// What the sink returns.
pub fn run<S: Sink>(
    scenario: &Scenario,
    opts: &RunOptions,
    replicates: std::ops::Range<u64>,
    sink: &mut S,
) -> Result<()> {
    run_each(&|_| scenario, opts, replicates, sink)
}

/// [`run`] with a scenario of its own for each replicate (`scenario_of(replicate)`: a posterior
/// draw's mechanism constants, say). The scenarios share `[run]`: the seed and the patients
/// per replicate are those of the first replicate's.
///
/// # Errors
/// What the sink returns.
pub fn run_each<'a, S: Sink>(
    scenario_of: &(dyn Fn(u64) -> &'a Scenario + Sync),
    opts: &RunOptions,
    replicates: std::ops::Range<u64>,
    sink: &mut S,
) -> Result<()> {
    let Some(first) = (!replicates.is_empty()).then(|| scenario_of(replicates.start)) else {
        return Ok(());
    };
    let streams = Streams::new(first.run.seed);
    let n = first.run.patients;
    let chunk = opts.chunk_size.max(1) as u64;
    let mut pending: Vec<Chunk> = Vec::new();
    let flush = |pending: &mut Vec<Chunk>, sink: &mut S| -> Result<()> {
        let shared: &S = sink;
        let results: Vec<Vec<(PatientOutcome, S::Rendered)>> = pending
            .par_iter()
            .map(|c| {
                c.places
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| {
                        let o = simulate_patient(
                            c.scenario,
                            &streams,
                            &c.plan,
                            c.start + i as u64,
                            p,
                            opts,
                        );
                        let r = shared.render(c.scenario, &c.plan, &o);
                        (o, r)
                    })
                    .collect()
            })
            .collect();
        let mut done = 0;
        for (c, outs) in pending.iter().zip(results) {
            if c.first {
                sink.begin_replicate(c.scenario, &c.plan)?;
            }
            for (o, r) in outs {
                sink.patient(c.scenario, &c.plan, o, r)?;
            }
            if c.last {
                sink.end_replicate(c.scenario, &c.plan)?;
            }
            done += c.places.len() as u64;
        }
        pending.clear();
        // Progress (a no-op unless a bar is shown): once per batch, after the sink has the batch.
        if opts.progress {
            crate::sim::progress::patients_done(done);
        }
        Ok(())
    };
    for rep in replicates {
        let scenario = scenario_of(rep);
        let mut plan = ReplicatePlan::new(scenario, &streams, rep);
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let places = (start..end)
                .map(|i| plan.place(scenario, &streams, i))
                .collect();
            pending.push(Chunk {
                scenario,
                plan: Arc::clone(&plan.ctx),
                start,
                places,
                first: start == 0,
                last: end == n,
            });
            if pending.len() >= opts.batch_chunks.max(1) {
                flush(&mut pending, sink)?;
            }
            start = end;
        }
    }
    flush(&mut pending, sink)
}

/// A sink that keeps every outcome in memory, grouped by replicate (for tests, small runs and
/// analyses that need whole datasets).
#[derive(Debug, Default)]
pub struct CollectSink {
    /// The replicates run, in order.
    pub replicates: Vec<CollectedReplicate>,
}

/// One replicate as [`CollectSink`] keeps it.
#[derive(Debug)]
pub struct CollectedReplicate {
    /// The replicate's index (its random streams).
    pub replicate: u64,
    /// The therapists drawn for the replicate, per pool in scenario order;
    /// [`PatientOutcome::therapist`] indexes its arm's pool.
    pub therapists: Vec<Vec<Therapist>>,
    /// Every patient's outcome, in patient order.
    pub outcomes: Vec<PatientOutcome>,
}

impl Sink for CollectSink {
    type Rendered = ();
    fn render(&self, _: &Scenario, _: &ReplicateContext, _: &PatientOutcome) {}
    fn begin_replicate(&mut self, _: &Scenario, ctx: &ReplicateContext) -> Result<()> {
        self.replicates.push(CollectedReplicate {
            replicate: ctx.replicate,
            therapists: ctx.therapists.clone(),
            outcomes: Vec::new(),
        });
        Ok(())
    }
    fn patient(
        &mut self,
        _: &Scenario,
        _: &ReplicateContext,
        outcome: PatientOutcome,
        _: (),
    ) -> Result<()> {
        self.replicates
            .last_mut()
            .expect("begun")
            .outcomes
            .push(outcome);
        Ok(())
    }
    fn end_replicate(&mut self, _: &Scenario, _: &ReplicateContext) -> Result<()> {
        Ok(())
    }
}

/// Runs every replicate of a scenario and keeps all outcomes in memory.
///
/// # Errors
/// None in practice (the collecting sink does not fail); the signature follows [`run`].
pub fn collect(scenario: &Scenario, opts: &RunOptions) -> Result<CollectSink> {
    let mut sink = CollectSink::default();
    run(scenario, opts, 0..scenario.run.replicates, &mut sink)?;
    Ok(sink)
}

/// The most worker threads a command accepts: four per core, and at least 16. Results do not
/// depend on the number of threads, so more only costs memory and scheduling; a typo such as
/// `--threads 100000` would otherwise start that many threads and stall the machine.
fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (4 * cores).max(16)
}

/// Checks a `--threads` value: at least 1 and at most `max_threads()`.
///
/// # Errors
/// [`crate::Error::ThreadCount`], naming the flag and the accepted range.
pub fn check_threads(threads: Option<usize>) -> crate::Result<()> {
    match threads {
        Some(n) if n == 0 || n > max_threads() => Err(crate::Error::ThreadCount {
            given: n,
            max: max_threads(),
        }),
        _ => Ok(()),
    }
}

/// A rayon pool of `threads` workers (`None`: all cores).
///
/// # Errors
/// [`crate::Error::ThreadCount`] for a thread count [`check_threads`] refuses; [`crate::Error::Threads`]
/// when the pool cannot start.
pub fn thread_pool(threads: Option<usize>) -> crate::Result<rayon::ThreadPool> {
    check_threads(threads)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| crate::Error::Threads {
            threads: threads.unwrap_or(0),
            message: e.to_string(),
        })
}
