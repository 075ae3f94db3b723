//! Per-thread caches of free chunks, so most malloc/free pairs take no lock.
//!
//! Invariants:
//! - a cache holds at most `max_cached(c)` chunks of class `c`; it refills
//!   `max/2` at a time from the central list and, when full, returns half;
//! - a thread's cache (and its quarantine batch) is flushed by a
//!   `pthread_key` destructor at thread exit (`thread.rs`); after that the
//!   thread is marked dead and any later malloc/free in it (other keys'
//!   destructors) goes straight to the central lists;
//! - the cache itself lives in runtime-internal memory.

use super::primary;
use super::quarantine::{self, Batch};
use super::size_class::*;
use core::cell::Cell;
use std::boxed::Box;

const CACHE_MAX: usize = 64;

/// How many chunks of class `c` a thread keeps (fewer of the big ones, so
/// idle threads do not sit on much memory).
#[inline]
const fn max_cached(c: usize) -> usize {
    let s = class_size(c);
    if s <= 1024 {
        CACHE_MAX
    } else if s <= 16384 {
        16
    } else {
        4
    }
}

pub struct Cache {
    counts: [u8; NUM_CLASSES],
    slots: [[u32; CACHE_MAX]; NUM_CLASSES],
    batch: Option<Box<Batch>>,
    /// An emptied batch to gather the next frees in.
    spare: Option<Box<Batch>>,
}

/// Marks a thread whose cache was flushed at exit (never dereferenced).
const DEAD: *mut Cache = core::ptr::dangling_mut();

thread_local! {
    static CACHE: Cell<*mut Cache> = const { Cell::new(core::ptr::null_mut()) };
}

/// This thread's cache, created on first use; `None` once the thread is
/// exiting.
#[inline]
fn cache() -> Option<&'static mut Cache> {
    let p = CACHE.with(|c| c.get());
    if p.is_null() {
        return create();
    }
    if p == DEAD {
        return None;
    }
    Some(unsafe { &mut *p })
}

#[cold]
fn create() -> Option<&'static mut Cache> {
    let c = Box::new(Cache {
        counts: [0; NUM_CLASSES],
        slots: [[0; CACHE_MAX]; NUM_CLASSES],
        batch: None,
        spare: None,
    });
    let p = Box::into_raw(c);
    // Set before registering: registration may allocate (re-entering here).
    CACHE.with(|c| c.set(p));
    crate::thread::register_exit();
    Some(unsafe { &mut *p })
}

/// A free chunk index of class `c`, or `None` when the region is full.
#[inline]
pub fn pop(c: usize) -> Option<u32> {
    let Some(cache) = cache() else {
        let mut one = [0u32; 1];
        return (primary::take(c, &mut one) == 1).then_some(one[0]);
    };
    let n = cache.counts[c] as usize;
    if n > 0 {
        cache.counts[c] = (n - 1) as u8;
        return Some(cache.slots[c][n - 1]);
    }
    let want = max_cached(c) / 2;
    let got = primary::take(c, &mut cache.slots[c][..want]);
    if got == 0 {
        return None;
    }
    cache.counts[c] = (got - 1) as u8;
    Some(cache.slots[c][got - 1])
}

/// Makes chunk `idx` of class `c` available again (after quarantine).
#[inline]
pub fn push(c: usize, idx: u32) {
    let Some(cache) = cache() else {
        primary::give_back(c, &[idx]);
        return;
    };
    let max = max_cached(c);
    let mut n = cache.counts[c] as usize;
    if n == max {
        let keep = max / 2;
        primary::give_back(c, &cache.slots[c][keep..n]);
        n = keep;
    }
    cache.slots[c][n] = idx;
    cache.counts[c] = (n + 1) as u8;
}

/// Recycles a quarantine entry.
pub fn recycle(e: quarantine::Entry) {
    push((e >> 32) as usize, e as u32);
}

/// Puts a freed chunk in quarantine (or straight back when it is off).
#[inline]
pub fn quarantine(c: usize, idx: u32) {
    if quarantine::limit() == 0 {
        push(c, idx);
        return;
    }
    let e = ((c as u64) << 32) | idx as u64;
    let bytes = size_of_class(c);
    match cache() {
        Some(cache) => {
            let spare = &mut cache.spare;
            let batch = cache
                .batch
                .get_or_insert_with(|| spare.take().unwrap_or_else(|| Box::new(Batch::new())));
            if batch.add(e, bytes) {
                let full = cache.batch.take().expect("batch present");
                let emptied = quarantine::push(full, &mut recycle);
                // `recycle` may have re-entered this cache; only now touch it.
                if let Some(cache) = self::cache() {
                    if cache.spare.is_none() {
                        cache.spare = emptied;
                    }
                }
            }
        }
        None => {
            let mut b = Box::new(Batch::new());
            b.add(e, bytes);
            quarantine::push(b, &mut recycle);
        }
    }
}

/// Flushes this thread's cache and quarantine batch and marks the thread
/// dead (called at thread exit).
pub fn thread_exit() {
    let p = CACHE.with(|c| c.replace(DEAD));
    if p.is_null() || p == DEAD {
        return;
    }
    let mut cache = unsafe { Box::from_raw(p) };
    if let Some(b) = cache.batch.take() {
        quarantine::push(b, &mut recycle);
    }
    for c in 1..NUM_CLASSES {
        let n = cache.counts[c] as usize;
        if n > 0 {
            primary::give_back(c, &cache.slots[c][..n]);
        }
        cache.counts[c] = 0;
    }
}
