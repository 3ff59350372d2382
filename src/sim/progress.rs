//! The engine's progress hook.
//!
//! [`engine::run`](crate::sim::engine::run) calls [`patients_done`] once per batch of chunks
//! with the number of patients that batch simulated. Without a hook installed (the library's
//! default, and every test) that call is one relaxed atomic load per batch of thousands of
//! patients; it draws no random number and changes no result. A progress bar
//! ([`crate::io::progress`]) installs the hook while it lives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

type Hook = Box<dyn Fn(u64) + Send + Sync>;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// Called by the engine once per batch with the patients that batch simulated (each patient
/// once, whatever the number of arms simulated for it).
pub fn patients_done(patients: u64) {
    if !ACTIVE.load(Ordering::Relaxed) {
        return;
    }
    let hook = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(h) = hook.as_ref() {
        h(patients);
    }
}

/// Installs `hook` as the progress callback of every engine run in this process (replacing any
/// other), until [`clear_hook`].
pub fn set_hook(hook: impl Fn(u64) + Send + Sync + 'static) {
    *HOOK.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    ACTIVE.store(true, Ordering::Relaxed);
}

/// Removes the progress callback.
pub fn clear_hook() {
    ACTIVE.store(false, Ordering::Relaxed);
    *HOOK.lock().unwrap_or_else(PoisonError::into_inner) = None;
}
