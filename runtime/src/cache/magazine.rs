//! Per-thread magazines of free objects: the lock-free fast path of
//! `cache_alloc`/`cache_free` (Bonwick's magazines, as Linux's per-CPU slab
//! caches and our malloc's thread caches).
//!
//! Each thread keeps, for each cache it used, a stack of free objects
//! (untagged addresses). An allocation pops one, a free pushes one; only
//! when the magazine is empty (full) does the thread take the cache lock and
//! move half a magazine from (to) the cache's free list.
//!
//! Invariants:
//! - an object is in exactly one place: live, on its cache's free list, in
//!   one thread's magazine, or waiting for a grace period
//!   (`slab_rcu_debug`); a slab's `inuse` counts every object not on the
//!   free list, so a slab with objects in some magazine is never released
//!   by `shrink`;
//! - a magazine holds at most `capacity(cache)` objects, all of one cache;
//! - `shrink` and `destroy` bump the cache's `epoch`. A thread finding its
//!   magazine's epoch stale (on its next alloc/free of that cache, or at
//!   exit) first gives its objects back (`shrink`), or forgets them
//!   (`destroy`: their slabs are gone). The calling thread does so at once,
//!   so its own magazine never keeps a slab from being shrunk;
//! - a thread's magazines are flushed at thread exit (the `pthread_key`
//!   destructor of `thread.rs`); after that the thread is marked dead and
//!   its cache calls go straight to the cache's free list under the lock.
//!
//! Memory: per thread, a table of one pointer per cache created so far, and
//! one magazine (`16 + 8 * MAX_OBJECTS` = 528 bytes) per cache the thread
//! used, in runtime-internal memory.
//!
//! Limits: a forked child keeps only the forking thread's magazines; the
//! objects in the other threads' magazines stay counted in use (at most
//! `MAX_OBJECTS` per thread and cache), so their slabs are never shrunk in
//! the child.

use super::Cache;
use core::cell::Cell;
use core::sync::atomic::Ordering;

/// Most objects a magazine holds.
pub const MAX_OBJECTS: usize = 64;

/// How many objects a thread keeps for `cache`: fewer of the big ones, so
/// idle threads do not sit on much memory (as `thread_cache::max_cached`).
#[inline]
pub fn capacity(cache: &Cache) -> usize {
    match cache.geometry.stride {
        0..=1024 => MAX_OBJECTS,
        1025..=16384 => 16,
        _ => 4,
    }
}

pub struct Magazine {
    cache: &'static Cache,
    /// The cache's `epoch` when this magazine was last in step with it.
    epoch: u32,
    count: u32,
    objs: [usize; MAX_OBJECTS],
}

/// One thread's magazines, indexed by cache id.
struct Table {
    mags: Vec<Option<Box<Magazine>>>,
}

/// Marks a thread whose magazines were flushed at exit (never dereferenced).
const DEAD: *mut Table = core::ptr::dangling_mut();

thread_local! {
    static TABLE: Cell<*mut Table> = const { Cell::new(core::ptr::null_mut()) };
}

/// This thread's magazine for `cache`, created on first use and in step
/// with the cache's epoch; null once the thread is exiting. Only this
/// thread (and its exit hook) touches it: callers may make a `&mut` of it
/// as long as they do not call back into the cache meanwhile (a
/// constructor may allocate from it).
#[inline]
fn mine(cache: &'static Cache) -> *mut Magazine {
    let t = TABLE.with(|t| t.get());
    if t.is_null() || t == DEAD {
        return if t == DEAD {
            core::ptr::null_mut()
        } else {
            create(cache)
        };
    }
    // SAFETY: the table is this thread's own (only it and its exit hook
    // touch it) and lives until `thread_exit`.
    let table = unsafe { &mut *t };
    let m = match table.mags.get_mut(cache.id) {
        Some(Some(m)) => m,
        _ => return create(cache),
    };
    if m.epoch != cache.epoch.load(Ordering::Acquire) {
        resync(cache, m);
    }
    m.as_mut()
}

/// Creates the table and/or `cache`'s magazine.
#[cold]
fn create(cache: &'static Cache) -> *mut Magazine {
    let mut t = TABLE.with(|t| t.get());
    if t == DEAD {
        return core::ptr::null_mut();
    }
    if t.is_null() {
        t = Box::into_raw(Box::new(Table { mags: Vec::new() }));
        TABLE.with(|c| c.set(t));
        crate::thread::register_exit();
    }
    // SAFETY: this thread's own table (see `mine`).
    let table = unsafe { &mut *t };
    if table.mags.len() <= cache.id {
        table.mags.resize_with(cache.id + 1, || None);
    }
    let m = table.mags[cache.id].get_or_insert_with(|| {
        Box::new(Magazine {
            cache,
            epoch: cache.epoch.load(Ordering::Acquire),
            count: 0,
            objs: [0; MAX_OBJECTS],
        })
    });
    if m.epoch != cache.epoch.load(Ordering::Acquire) {
        resync(cache, m);
    }
    m.as_mut()
}

/// Brings a magazine in step after `shrink` (objects go back to the cache)
/// or `destroy` (they are forgotten: their slabs are released).
#[cold]
fn resync(cache: &'static Cache, m: &mut Magazine) {
    // Epoch first: a shrink after this load makes us resync again.
    m.epoch = cache.epoch.load(Ordering::Acquire);
    let n = m.count as usize;
    m.count = 0;
    if !cache.is_destroyed() {
        super::put_back_many(cache, &m.objs[..n]);
    }
}

/// A free object of `cache` from this thread's magazine, refilled from the
/// cache when empty (an exiting thread takes one from the cache); `None`
/// when the cache has none and cannot grow.
#[inline]
pub fn pop(cache: &'static Cache) -> Option<usize> {
    // SAFETY: this thread's magazine (see `mine`); `refill` is called after
    // the last use of `m`.
    let Some(m) = (unsafe { mine(cache).as_mut() }) else {
        let mut one = [0usize];
        return (super::take_many(cache, &mut one) == 1).then_some(one[0]);
    };
    if m.count == 0 {
        return refill(cache);
    }
    m.count -= 1;
    Some(m.objs[m.count as usize])
}

/// Takes half a magazine from the cache (growing it if needed) and returns
/// one of the objects. No reference to the magazine is held while the cache
/// grows: constructors may allocate from this very cache.
#[cold]
fn refill(cache: &'static Cache) -> Option<usize> {
    let mut got = [0usize; MAX_OBJECTS / 2];
    let want = capacity(cache) / 2;
    let n = super::take_many(cache, &mut got[..want]);
    if n == 0 {
        return None;
    }
    // SAFETY: this thread's magazine, re-read after the cache grew.
    let Some(m) = (unsafe { mine(cache).as_mut() }) else {
        super::put_back_many(cache, &got[1..n]);
        return Some(got[0]);
    };
    // A constructor that allocated while the cache grew may have filled
    // the magazine meanwhile.
    let room = capacity(cache) - m.count as usize;
    let keep = (n - 1).min(room);
    // Reversed, so the objects come out in the order the cache gave them
    // (lowest address first in a new slab).
    for &o in got[1..1 + keep].iter().rev() {
        m.objs[m.count as usize] = o;
        m.count += 1;
    }
    if 1 + keep < n {
        super::put_back_many(cache, &got[1 + keep..n]);
    }
    Some(got[0])
}

/// Gives a freed object to this thread's magazine (half of a full one goes
/// back to the cache first; an exiting thread gives it to the cache).
#[inline]
pub fn push(cache: &'static Cache, obj: usize) {
    // SAFETY: this thread's magazine; `put_back_many` runs no user code.
    let Some(m) = (unsafe { mine(cache).as_mut() }) else {
        return super::put_back_many(cache, &[obj]);
    };
    let cap = capacity(cache);
    if m.count as usize >= cap {
        let keep = cap / 2;
        super::put_back_many(cache, &m.objs[keep..m.count as usize]);
        m.count = keep as u32;
    }
    m.objs[m.count as usize] = obj;
    m.count += 1;
}

/// Gives this thread's objects of `cache` back to it (`shrink`, before it
/// looks for empty slabs).
pub fn flush(cache: &'static Cache) {
    let t = TABLE.with(|t| t.get());
    if t.is_null() || t == DEAD {
        return;
    }
    // SAFETY: this thread's own table.
    let table = unsafe { &mut *t };
    if let Some(Some(m)) = table.mags.get_mut(cache.id) {
        let n = m.count as usize;
        m.count = 0;
        if !cache.is_destroyed() {
            super::put_back_many(cache, &m.objs[..n]);
        }
    }
}

/// Forgets this thread's objects of a cache being destroyed.
pub fn forget(cache: &'static Cache) {
    let t = TABLE.with(|t| t.get());
    if t.is_null() || t == DEAD {
        return;
    }
    // SAFETY: this thread's own table.
    if let Some(Some(m)) = unsafe { &mut *t }.mags.get_mut(cache.id) {
        m.count = 0;
    }
}

/// Flushes every magazine of this thread and marks it dead (thread exit).
pub fn thread_exit() {
    let t = TABLE.with(|t| t.replace(DEAD));
    if t.is_null() || t == DEAD {
        return;
    }
    // SAFETY: created by `create` with Box::into_raw; the TLS slot no
    // longer points to it.
    let table = unsafe { Box::from_raw(t) };
    for m in table.mags.iter().flatten() {
        if !m.cache.is_destroyed() {
            super::put_back_many(m.cache, &m.objs[..m.count as usize]);
        }
    }
}
