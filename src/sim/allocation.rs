//! Who is treated by whom: patients drawn from the populations, allocated to arms by permuted
//! blocks, and assigned to the therapists of their arm's pool (balanced or at random).
//!
//! Each decision has its own random stream (`Purpose::Population`, `Allocation`, `Assignment`),
//! so allocation never shifts a patient's trait or week draws.

use std::sync::Arc;

use crate::model::patient::Patient;
use crate::model::therapist::{Assignment, Therapist};
use crate::random::{Entity, Purpose, Streams};
use crate::scenario::Scenario;

/// The therapists of one replicate, per pool.
#[derive(Debug)]
pub struct ReplicateContext {
    pub replicate: u64,
    pub therapists: Vec<Vec<Therapist>>,
}

/// The allocation of patients to arms by permuted blocks: within each block the arms appear in
/// their ratio (largest remainder), in random order.
pub(crate) struct Allocator {
    block: Vec<usize>,
    streams: Streams,
    replicate: u64,
    cached: Option<(u64, Vec<usize>)>,
}

impl Allocator {
    fn new(scenario: &Scenario, streams: &Streams, replicate: u64) -> Self {
        let k = scenario.arms.len();
        let size = 12 * k;
        let total: f64 = scenario.arms.iter().map(|a| a.allocation).sum();
        let exact: Vec<f64> = scenario
            .arms
            .iter()
            .map(|a| a.allocation / total * size as f64)
            .collect();
        let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
        let mut left = size - counts.iter().sum::<usize>();
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if left == 0 {
                break;
            }
            counts[i] += 1;
            left -= 1;
        }
        let block = counts
            .iter()
            .enumerate()
            .flat_map(|(arm, &c)| std::iter::repeat_n(arm, c))
            .collect();
        Allocator {
            block,
            streams: streams.clone(),
            replicate,
            cached: None,
        }
    }

    fn arm_of(&mut self, patient: u64) -> usize {
        let size = self.block.len() as u64;
        let b = patient / size;
        if self.cached.as_ref().is_none_or(|(cb, _)| *cb != b) {
            let mut s =
                self.streams
                    .stream(self.replicate, Entity::Replicate, 0, Purpose::Allocation, b);
            let mut block = self.block.clone();
            for i in (1..block.len()).rev() {
                let j = ((s.uniform() * (i + 1) as f64) as usize).min(i);
                block.swap(i, j);
            }
            self.cached = Some((b, block));
        }
        self.cached.as_ref().expect("cached").1[(patient % size) as usize]
    }
}

/// A patient's place: arm and therapist.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement {
    pub(crate) arm: usize,
    pub(crate) therapist: Option<u32>,
}

/// Sequential state of one replicate's allocation and assignment.
pub(crate) struct ReplicatePlan {
    pub(crate) ctx: Arc<ReplicateContext>,
    allocator: Allocator,
    /// Per arm: patients assigned so far, and the therapist order for balanced assignment.
    assigned: Vec<u64>,
    order: Vec<Vec<u32>>,
}

impl ReplicatePlan {
    pub(crate) fn new(scenario: &Scenario, streams: &Streams, replicate: u64) -> Self {
        let therapists: Vec<Vec<Therapist>> = scenario
            .therapist_pools
            .iter()
            .enumerate()
            .map(|(p, pool)| {
                (0..pool.therapists)
                    .map(|i| pool.draw(streams, replicate, p, i))
                    .collect()
            })
            .collect();
        let order = scenario
            .arms
            .iter()
            .enumerate()
            .map(|(a, arm)| match arm.pool {
                Some(p) => {
                    let n = scenario.therapist_pools[p].therapists;
                    let mut o: Vec<u32> = (0..n).collect();
                    let mut s = streams.stream(
                        replicate,
                        Entity::Replicate,
                        0,
                        Purpose::Assignment,
                        a as u64,
                    );
                    for i in (1..o.len()).rev() {
                        let j = ((s.uniform() * (i + 1) as f64) as usize).min(i);
                        o.swap(i, j);
                    }
                    o
                }
                None => Vec::new(),
            })
            .collect();
        ReplicatePlan {
            ctx: Arc::new(ReplicateContext {
                replicate,
                therapists,
            }),
            allocator: Allocator::new(scenario, streams, replicate),
            assigned: vec![0; scenario.arms.len()],
            order,
        }
    }

    pub(crate) fn place(
        &mut self,
        scenario: &Scenario,
        streams: &Streams,
        patient: u64,
    ) -> Placement {
        let arm = self.allocator.arm_of(patient);
        let therapist = scenario.arms[arm].pool.map(|p| {
            let pool = &scenario.therapist_pools[p];
            let rank = self.assigned[arm];
            self.assigned[arm] += 1;
            match pool.assignment {
                Assignment::Balanced => {
                    self.order[arm][(rank % u64::from(pool.therapists)) as usize]
                }
                Assignment::Random => {
                    random_therapist(streams, self.ctx.replicate, patient, arm, pool.therapists)
                }
            }
        });
        Placement { arm, therapist }
    }
}

pub(crate) fn random_therapist(
    streams: &Streams,
    replicate: u64,
    patient: u64,
    arm: usize,
    n: u32,
) -> u32 {
    let mut s = streams.stream(
        replicate,
        Entity::Patient,
        patient,
        Purpose::Assignment,
        arm as u64,
    );
    ((s.uniform() * f64::from(n)) as u32).min(n - 1)
}

/// Draws patient `index` of a replicate (population, then traits).
pub fn draw_patient(scenario: &Scenario, streams: &Streams, replicate: u64, index: u64) -> Patient {
    let pops = &scenario.populations;
    let population = if pops.len() == 1 {
        0
    } else {
        let total: f64 = pops.iter().map(|p| p.share).sum();
        let mut s = streams.stream(replicate, Entity::Patient, index, Purpose::Population, 0);
        let mut u = s.uniform() * total;
        pops.iter()
            .position(|p| {
                let hit = u < p.share;
                u -= p.share;
                hit
            })
            .unwrap_or(pops.len() - 1)
    };
    pops[population].draw(streams, replicate, index, population)
}
