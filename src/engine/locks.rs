//! Locking the engine's mutexes. What they guard (cancel flags, interrupt handles, refusals, the
//! pool's queue) stays consistent even if a holder panicked, so a poisoned lock is recovered,
//! never unwrapped.

use std::sync::{Mutex, MutexGuard};

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
