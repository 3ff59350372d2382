//! The model: agents, their traits, and the mechanisms of a session, as pure functions of
//! parameters, traits, state and random draws (no I/O, no threads).
//!
//! Agents: [`therapist`], [`patient`], each of their traits declared once ([`traits`]).
//! Mechanisms: [`interpersonal`] (complementarity), [`alliance`], [`rupture`] (ruptures,
//! detection, repair), [`symptoms`] (with [`mistrust`], which makes a poor alliance harmful,
//! [`technique_harm`]: technique pressed on a strained alliance, [`life_events`]: severe
//! events that leave lasting difficulties, [`attachment`]: anxiety as a vulnerability of the
//! natural course, and [`engagement`]: readiness for change turned into work in therapy),
//! [`measures`] (instrument scores, WAI-SR), [`instrument`] (scales and reliable change),
//! [`attendance`] (dropout and endings, with [`duration`]: patients stop at the length of
//! therapy they expected, and [`felt`]: the felt improvement good-enough endings rest on),
//! [`policy`] (what an arm's policies do), [`treatment`] (arms and design).

pub mod alliance;
pub mod attachment;
pub mod attendance;
pub mod duration;
pub mod engagement;
pub mod felt;
pub mod instrument;
pub mod interpersonal;
pub mod judgement;
pub mod life_events;
pub mod measures;
pub mod mistrust;
pub mod patient;
pub mod policy;
pub mod rupture;
pub mod symptoms;
pub mod technique_harm;
pub mod therapist;
pub mod traits;
pub mod treatment;
