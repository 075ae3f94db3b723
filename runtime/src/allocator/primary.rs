//! The central free lists of the small classes, and carving fresh chunks.
//!
//! Invariants:
//! - a chunk index is in at most one place at a time: the central list of
//!   its class, one thread cache, the quarantine, or handed out (live);
//! - `fresh` only grows: indices `>= fresh` were never handed out and their
//!   metadata is all zero (`ChunkState::Unused`); `fresh <= capacity`.

use super::size_class::*;
use crate::sync::SpinLock;
use core::sync::atomic::{AtomicU32, Ordering};
use std::vec::Vec;

pub struct Central {
    free: Vec<u32>,
}

static CENTRAL: [SpinLock<Central>; NUM_CLASSES] =
    [const { SpinLock::new(Central { free: Vec::new() }) }; NUM_CLASSES];
/// Per class: chunks `>= FRESH[c]` were never handed out. Written under the
/// class lock, read without it by reports and free validation.
static FRESH: [AtomicU32; NUM_CLASSES] = [const { AtomicU32::new(0) }; NUM_CLASSES];

/// Moves up to `out.len()` free chunks of class `c` into `out` (recycled
/// ones first, then fresh ones); returns how many. 0 means the class region
/// is exhausted.
pub fn take(c: usize, out: &mut [u32]) -> usize {
    let mut central = CENTRAL[c].lock();
    let mut n = 0;
    while n < out.len() {
        match central.free.pop() {
            Some(i) => {
                out[n] = i;
                n += 1;
            }
            None => break,
        }
    }
    let cap = capacity(c) as u32;
    let mut fresh = FRESH[c].load(Ordering::Relaxed);
    let carve = ((out.len() - n) as u32).min(cap - fresh);
    if carve > 0 {
        // Fresh chunks grow the heap: backed now when growth is explicit
        // (`heap_limits`, strict overcommit).
        let bytes = carve as usize * size_of_class(c);
        let off = chunk_offset(c, fresh as usize);
        match crate::heap_limits::back(off, bytes) {
            Ok(()) => {
                for _ in 0..carve {
                    out[n] = fresh;
                    fresh += 1;
                    n += 1;
                }
            }
            Err(why) => REFUSED[c].store(why.encode(), Ordering::Relaxed),
        }
    }
    FRESH[c].store(fresh, Ordering::Release);
    drop(central);
    n
}

/// Why class `c` could not carve fresh chunks last time, if their memory
/// could not be backed (rather than the class region being full).
/// (`Refusal::encode`; an atomic, not a lock: nothing to hold across fork.)
static REFUSED: [AtomicU32; NUM_CLASSES] = [const { AtomicU32::new(0) }; NUM_CLASSES];

/// After `take` gave nothing: why fresh chunks of class `c` were refused, or
/// `None` if its region is full.
pub fn refused(c: usize) -> Option<crate::heap_limits::Refusal> {
    if FRESH[c].load(Ordering::Acquire) as usize >= capacity(c) {
        return None;
    }
    crate::heap_limits::Refusal::decode(REFUSED[c].load(Ordering::Relaxed))
}

/// Returns freed chunks of class `c` to the central list.
pub fn give_back(c: usize, idxs: &[u32]) {
    let mut central = CENTRAL[c].lock();
    central.free.extend_from_slice(idxs);
}

/// Whether chunk `idx` of class `c` was ever handed out.
#[inline]
pub fn ever_used(c: usize, idx: usize) -> bool {
    // A report or free racing with the carving of this very chunk sees
    // either answer; both are safe (its metadata still says Unused).
    idx < FRESH[c].load(Ordering::Acquire) as usize
}

/// Takes every central lock (before `fork`).
pub fn fork_lock() {
    for c in CENTRAL.iter() {
        core::mem::forget(c.lock());
    }
}

/// Releases what `fork_lock` took.
///
/// # Safety
/// Only by the thread that called `fork_lock`, or its forked child.
pub unsafe fn fork_unlock() {
    for c in CENTRAL.iter() {
        unsafe { c.force_unlock() };
    }
}
