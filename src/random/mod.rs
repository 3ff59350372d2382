//! Reproducible random streams.
//!
//! Every random number in bordin comes from a ChaCha8 generator (a named, portable algorithm
//! whose output is fixed across `rand` releases; never `StdRng`/`SmallRng`). The 256-bit key is
//! derived from the scenario's seed; the 64-bit ChaCha stream (nonce) is derived from what the
//! numbers are for: `(replicate, entity kind, entity id, purpose)`. Inside a stream, numbers are
//! addressed by position, not drawn in sequence: the draws of week `w` of a patient start at a
//! fixed word offset, and each draw has a fixed slot within that week (see [`WeekDraws`]).
//!
//! Two consequences follow, and the engine relies on both:
//! - results do not depend on thread count, chunking or scheduling, since no stream is shared;
//! - *common random numbers*: re-simulating a patient under another arm or policy reuses the
//!   same uniform for the same purpose in the same week, so two runs differ only where the
//!   change itself acts (see `engine` and `--counterfactual`). Normal deviates come from the
//!   inverse normal CDF of one uniform, a monotone coupling, which keeps paired runs close.

pub mod distribution;

use rand::Rng;

use crate::math::inverse_normal_cdf;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// The kind of entity a stream belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Entity {
    /// A patient, by index within the replicate.
    Patient = 1,
    /// A therapist, by `pool << 32 | index`.
    Therapist = 2,
    /// A replicate-wide process (allocation to arms, assignment to therapists).
    Replicate = 3,
}

/// What a stream is used for. Adding a purpose never shifts the numbers of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Trait draws at intake (one sub-block per trait).
    Traits = 1,
    /// Week-by-week process draws (one block per week, see [`WeekDraws`]).
    Weeks = 2,
    /// Allocation of patients to arms.
    Allocation = 3,
    /// Assignment of patients to therapists (keyed further by arm).
    Assignment = 4,
    /// Choice of population for a patient.
    Population = 5,
    /// Week-by-week natural-course draws (the first `NATURAL_SLOTS` slots of each week).
    Natural = 6,
    /// The stable item effects of the patient's and the therapist's WAI-SR ratings, drawn once
    /// per course (see [`WeekStreams::rater_items`]).
    RaterItems = 7,
}

/// SplitMix64 finaliser: a bijective 64-bit mixer.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines words into one stream identifier (order matters).
pub fn stream_id(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x6A09_E667_F3BC_C908, |h, &p| mix64(h ^ mix64(p)))
}

/// Derives the generator key from a user seed.
fn key_from_seed(seed: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    let mut s = seed;
    for chunk in key.chunks_exact_mut(8) {
        s = mix64(s);
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    key
}

/// A factory for streams under one seed.
#[derive(Clone, Debug)]
pub struct Streams {
    key: [u8; 32],
}

impl Streams {
    /// Streams for a scenario seed.
    pub fn new(seed: u64) -> Self {
        Streams {
            key: key_from_seed(seed),
        }
    }

    /// The generator for `(replicate, entity, id, purpose, extra)`, positioned at word 0.
    pub fn stream(
        &self,
        replicate: u64,
        entity: Entity,
        id: u64,
        purpose: Purpose,
        extra: u64,
    ) -> Stream {
        // A freshly seeded generator, then its stream: the order rand_chacha documents.
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(stream_id(&[
            replicate,
            entity as u64,
            id,
            purpose as u64,
            extra,
        ]));
        Stream { rng }
    }
}

/// One positioned random stream.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha8Rng,
}

/// 32-bit words reserved per block (one ChaCha8 refill of four 16-word blocks).
const BLOCK_WORDS: u128 = 64;

impl Stream {
    /// Moves to the start of block `block` (blocks are [`BLOCK_WORDS`] words long).
    #[inline]
    fn seek_block(&mut self, block: u64) {
        self.rng.set_word_pos(u128::from(block) * BLOCK_WORDS);
    }

    /// Moves to the start of a large sub-stream region (`region` × 2^32 words), used to keep the
    /// draws of each trait apart even when a distribution needs a variable number of them.
    fn seek_region(&mut self, region: u64) {
        self.rng.set_word_pos(u128::from(region) << 32);
    }

    /// A uniform in the open interval (0, 1) with 53-bit resolution.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        let x = self.rng.next_u64() >> 11;
        (x as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// The next 32-bit uniform in (0, 1).
    #[inline]
    fn uniform32(&mut self) -> f64 {
        (f64::from(self.rng.next_u32()) + 0.5) * (1.0 / 4_294_967_296.0)
    }
}

/// A patient's week-by-week draws: a natural-course stream with `NATURAL_SLOTS` words per week
/// (every week of the course needs them) and a session stream with one 64-word block per week
/// (read only in weeks with a session). Weeks are read in increasing order, so a course reads
/// each stream sequentially and seeks once.
#[derive(Clone, Debug)]
pub struct WeekStreams {
    natural: Stream,
    session: Stream,
    natural_next: Option<u32>,
    session_next: Option<u32>,
    rater_items: [f64; RATER_ITEMS],
}

/// Stable item effects per course: 12 WAI-SR items for the patient, then 12 for the therapist.
pub const RATER_ITEMS: usize = 24;

impl WeekStreams {
    /// The week streams of patient `index` of a replicate.
    pub fn new(streams: &Streams, replicate: u64, index: u64) -> Self {
        WeekStreams {
            natural: streams.stream(replicate, Entity::Patient, index, Purpose::Natural, 0),
            session: streams.stream(replicate, Entity::Patient, index, Purpose::Weeks, 0),
            natural_next: None,
            session_next: None,
            rater_items: {
                let mut s =
                    streams.stream(replicate, Entity::Patient, index, Purpose::RaterItems, 0);
                std::array::from_fn(|_| inverse_normal_cdf(s.uniform()))
            },
        }
    }

    /// Standard normals, fixed for the course, of the raters' stable item effects: how this
    /// patient (items 0-11) and this patient's therapist (12-23) read each WAI-SR item.
    pub fn rater_items(&self) -> &[f64; RATER_ITEMS] {
        &self.rater_items
    }

    /// Fills the draws of week `week`: the natural-course slots always, the session slots when
    /// a session is held that week.
    pub fn fill(&mut self, week: u32, session: bool, out: &mut WeekDraws) {
        if self.natural_next != Some(week) {
            self.natural
                .rng
                .set_word_pos(u128::from(week) * NATURAL_SLOTS as u128);
        }
        for u in &mut out.u[..NATURAL_SLOTS] {
            *u = self.natural.uniform32();
        }
        self.natural_next = Some(week + 1);
        if session {
            if self.session_next != Some(week) {
                self.session.seek_block(u64::from(week));
            }
            // The whole 64-word block is consumed, keeping the next week's block aligned; its
            // first NATURAL_SLOTS words are unused.
            for _ in 0..NATURAL_SLOTS {
                self.session.rng.next_u32();
            }
            for u in &mut out.u[NATURAL_SLOTS..] {
                *u = self.session.uniform32();
            }
            self.session_next = Some(week + 1);
        } else if cfg!(debug_assertions) {
            // Session slots are meaningless in a week without a session.
            out.u[NATURAL_SLOTS..].fill(f64::NAN);
        }
    }
}

/// The trait draws of one agent: one block of [`TRAIT_BLOCK`] words read once, four slots per
/// trait (room for 32 traits; the first 64 words are those of the earlier 64-word block, so
/// growing it moved no trait), and a
/// separate region of the stream per trait for distributions that need more numbers (a
/// rejected gamma proposal, a mixture). Changing one trait's distribution moves no other trait.
pub struct TraitDraws {
    block: [u32; TRAIT_BLOCK],
    stream: Stream,
}

/// Slots of the first block reserved for each trait.
pub const SLOTS_PER_TRAIT: usize = 4;

/// Words in the first block of a trait stream.
pub const TRAIT_BLOCK: usize = 128;

impl TraitDraws {
    /// Reads the first block of an agent's trait stream.
    pub fn new(mut stream: Stream) -> Self {
        let mut block = [0u32; TRAIT_BLOCK];
        for w in &mut block {
            *w = stream.rng.next_u32();
        }
        TraitDraws { block, stream }
    }

    /// The uniforms of trait `index` (below `TRAIT_BLOCK / SLOTS_PER_TRAIT`).
    pub fn source(&mut self, index: usize) -> Uniforms<'_> {
        let from = index * SLOTS_PER_TRAIT;
        Uniforms {
            fixed: &self.block[from..from + SLOTS_PER_TRAIT],
            used: 0,
            stream: &mut self.stream,
            region: index as u64 + 1,
            seeked: false,
        }
    }
}

/// Uniforms for one draw: a few fixed slots, then a stream region of its own.
pub struct Uniforms<'a> {
    fixed: &'a [u32],
    used: usize,
    stream: &'a mut Stream,
    region: u64,
    seeked: bool,
}

impl Uniforms<'_> {
    /// The next uniform in (0, 1).
    fn draw(&mut self) -> f64 {
        if self.used < self.fixed.len() {
            self.used += 1;
            return (f64::from(self.fixed[self.used - 1]) + 0.5) * (1.0 / 4_294_967_296.0);
        }
        if !self.seeked {
            self.stream.seek_region(self.region);
            self.seeked = true;
        }
        self.stream.uniform()
    }
}

/// Slots of a week drawn from the natural-course stream.
const NATURAL_SLOTS: usize = 6;

/// Number of uniform slots per week.
pub const WEEK_SLOTS: usize = 64;

/// The uniforms of one patient-week, each slot with a fixed meaning (see [`Slot`]), so that a
/// change in one mechanism never shifts the numbers another mechanism sees.
#[derive(Clone, Debug)]
pub struct WeekDraws {
    u: [f64; WEEK_SLOTS],
}

impl Default for WeekDraws {
    fn default() -> Self {
        WeekDraws {
            u: [0.5; WEEK_SLOTS],
        }
    }
}

impl WeekDraws {
    /// The uniform in a slot.
    #[inline]
    pub fn u(&self, slot: Slot) -> f64 {
        self.u[slot as usize]
    }
    /// A standard normal from a slot.
    #[inline]
    pub fn z(&self, slot: Slot) -> f64 {
        inverse_normal_cdf(self.u[slot as usize])
    }
    /// A standard normal from an indexed slot (`base + offset`).
    #[inline]
    pub fn z_at(&self, base: Slot, offset: usize) -> f64 {
        inverse_normal_cdf(self.u[base as usize + offset])
    }
    /// Builds draws from explicit uniforms (tests and traces).
    pub fn from_uniforms(u: [f64; WEEK_SLOTS]) -> Self {
        WeekDraws { u }
    }
}

/// Fixed slot of each weekly draw.
#[derive(Clone, Copy, Debug)]
#[repr(usize)]
pub enum Slot {
    // Natural-course slots (every week).
    SymptomNoise = 0,
    ShockOccurs,
    ShockSize,
    LifeEventOccurs,
    LifeEventSize,
    ScoreError,
    // Session slots (weeks with a session).
    TherapistWarmth,
    TherapistDominance,
    PatientWarmth,
    PatientDominance,
    BondNoise,
    GoalsNoise,
    TasksNoise,
    RuptureOccurs,
    RuptureType,
    RuptureSeverity,
    TherapistNotices,
    PatientReports,
    ObserverReports,
    Repair,
    SuddenGain,
    SuddenGainSize,
    WaiPatientSession,
    WaiTherapistSession,
    WaiObserver,
    Dropout,
    GoodEnough,
    Rematch,
    FeedbackNotice,
    /// First of 12 patient-rated WAI-SR item errors.
    WaiPatientItems,
    /// First of 12 therapist-rated WAI-SR item errors.
    WaiTherapistItems = Slot::WaiPatientItems as usize + 12,
    /// What the therapist notices of the patient's change (`mechanisms.judgement`).
    TherapistImpression = Slot::WaiTherapistItems as usize + 12,
    /// One past the last used slot.
    End,
}

const _: () = assert!((Slot::End as usize) <= WEEK_SLOTS);
const _: () = assert!(Slot::ScoreError as usize + 1 == NATURAL_SLOTS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_draws_are_positional_and_distinct() {
        let s = Streams::new(7);
        let mut a = WeekStreams::new(&s, 0, 3);
        let mut b = WeekStreams::new(&s, 0, 4);
        let mut wa = WeekDraws::default();
        let mut wb = WeekDraws::default();
        a.fill(5, true, &mut wa);
        b.fill(5, true, &mut wb);
        assert_ne!(wa.u, wb.u);
        // Reading other weeks first, with or without sessions, does not change week 5.
        let mut c = WeekStreams::new(&s, 0, 3);
        let mut wc = WeekDraws::default();
        for w in 0..5 {
            c.fill(w, w % 2 == 0, &mut wc);
        }
        c.fill(5, true, &mut wc);
        assert_eq!(wa.u, wc.u);
        // Natural slots of a week do not depend on whether it holds a session.
        let mut d = WeekStreams::new(&s, 0, 3);
        let mut wd = WeekDraws::default();
        d.fill(5, false, &mut wd);
        assert_eq!(wa.u[..NATURAL_SLOTS], wd.u[..NATURAL_SLOTS]);
    }

    /// Value stability: a fixed seed gives fixed numbers. Update only on purpose, and say why
    /// in the commit and in CHANGELOG.md (reproducibility-breaking change).
    #[test]
    fn value_stability() {
        let s = Streams::new(20261121);
        let mut st = WeekStreams::new(&s, 1, 2);
        let mut w = WeekDraws::default();
        st.fill(3, true, &mut w);
        let got = format!("{:.12} {:.12}", w.u[0], w.u[63]);
        assert_eq!(got, GOLDEN_WEEK);
    }
    const GOLDEN_WEEK: &str = "0.874546122155 0.405747860321";
}
