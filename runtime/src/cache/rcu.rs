//! The runtime's own RCU: read-side sections, grace periods and deferred
//! callbacks.
//!
//! Why not liburcu: a runtime-provided RCU needs no system package, is
//! callable from C and from Rust programs alike through the same archive,
//! and lets the runtime itself tie work to grace periods (the release of an
//! RCU cache's slabs, `slab_rcu_debug` retags) without a second library
//! registering threads behind our back. The algorithm is liburcu's "memb"
//! flavour, simplified by a 64-bit grace-period counter that never wraps.
//!
//! Invariants:
//! - `GP` only grows. A reader's outermost `read_lock` stores the `GP` it
//!   read in its slot, then a full barrier (or, when the kernel offers
//!   `membarrier(PRIVATE_EXPEDITED)`, a compiler barrier that the writer's
//!   membarrier upgrades); `read_unlock` stores 0 with release ordering;
//! - `synchronize` bumps `GP` to `target` and waits until no slot holds a
//!   value in `1..target`: every reader that could have seen memory
//!   unpublished before the bump has left its section (the barrier pairing
//!   means a reader whose slot store the writer missed reads after the
//!   unpublish). `COMPLETED` is then at least `target`;
//! - a callback queued when `GP` was `g` runs once `COMPLETED > g`, on the
//!   thread that completed the grace period (or `barrier`), with no lock held;
//!   callbacks are taken from the queue one at a time, so one that waits
//!   (`barrier`) leaves the rest for others to run;
//! - `barrier` returns once every callback queued before it has run, or is
//!   itself blocked in a `barrier` called from inside a callback: a callback
//!   may call `barrier` (liburcu and the kernel forbid it; here it works),
//!   and two such callbacks on two threads do not wait for each other.
//!   Callbacks that keep calling `barrier` from inside callbacks more than
//!   `MAX_CALLBACK_NESTING` deep stop the program with one line (a callback
//!   that re-queues itself and waits for itself would otherwise recurse
//!   forever).

use crate::sync::SpinLock;
use core::cell::Cell;
use core::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// Most threads that are at once registered as readers.
const MAX_READERS: usize = 1024;

#[repr(align(64))]
struct Reader {
    /// `GP` at the outermost `read_lock`, 0 outside read-side sections.
    ctr: AtomicU64,
    used: AtomicBool,
}

static READERS: [Reader; MAX_READERS] = [const {
    Reader {
        ctr: AtomicU64::new(0),
        used: AtomicBool::new(false),
    }
}; MAX_READERS];
/// Slots ever used (`synchronize` scans `0..HIGH`).
static HIGH: AtomicUsize = AtomicUsize::new(0);
static GP: AtomicU64 = AtomicU64::new(1);
static COMPLETED: AtomicU64 = AtomicU64::new(1);

const MB_UNKNOWN: u8 = 0;
const MB_NO: u8 = 1;
const MB_YES: u8 = 2;
/// Whether `membarrier(PRIVATE_EXPEDITED)` is registered. Settled before any
/// read-side section or grace period uses it, constant afterwards (reset to
/// unknown in a forked child, whose new address space must register again).
/// No lock: registering is idempotent, so racing threads may both do it, and
/// a fork at any moment leaves nothing held.
static MEMBARRIER: AtomicU8 = AtomicU8::new(MB_UNKNOWN);

const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i64 = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i64 = 1 << 4;

#[cold]
fn init_membarrier() -> bool {
    let ok = crate::sys::membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED).is_ok();
    let _ = MEMBARRIER.compare_exchange(
        MB_UNKNOWN,
        if ok { MB_YES } else { MB_NO },
        Ordering::AcqRel,
        Ordering::Acquire,
    );
    MEMBARRIER.load(Ordering::Acquire) == MB_YES
}

#[inline]
fn have_membarrier() -> bool {
    match MEMBARRIER.load(Ordering::Acquire) {
        MB_YES => true,
        MB_NO => false,
        _ => init_membarrier(),
    }
}

/// Reader side of the barrier pair.
#[inline]
fn reader_barrier() {
    if have_membarrier() {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// Writer side: a full barrier on every running thread of the process.
fn writer_barrier() {
    fence(Ordering::SeqCst);
    if have_membarrier() {
        let _ = crate::sys::membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    }
}

/// Frees this thread's reader slot when the thread exits.
struct SlotOwner(Cell<usize>);

impl Drop for SlotOwner {
    fn drop(&mut self) {
        if let Some(i) = self.0.get().checked_sub(1) {
            READERS[i].ctr.store(0, Ordering::Release);
            READERS[i].used.store(false, Ordering::Release);
        }
    }
}

thread_local! {
    static SLOT: SlotOwner = const { SlotOwner(Cell::new(0)) };
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

#[cold]
fn claim_slot() -> usize {
    for (i, r) in READERS.iter().enumerate() {
        if r.used
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            HIGH.fetch_max(i + 1, Ordering::AcqRel);
            return i;
        }
    }
    crate::mapping::fatal("tagsan: more than 1024 threads use RCU read-side sections at once")
}

#[inline]
fn my_reader() -> &'static Reader {
    let i = SLOT.with(|s| match s.0.get() {
        0 => {
            let i = claim_slot();
            s.0.set(i + 1);
            i
        }
        n => n - 1,
    });
    &READERS[i]
}

/// Enters a read-side critical section (nestable).
#[inline]
pub fn read_lock() {
    let n = NESTING.with(|c| c.get());
    if n == 0 {
        let r = my_reader();
        r.ctr.store(GP.load(Ordering::Relaxed), Ordering::Relaxed);
        reader_barrier();
    }
    NESTING.with(|c| c.set(n + 1));
}

/// Leaves a read-side critical section.
#[inline]
pub fn read_unlock() {
    let n = NESTING.with(|c| c.get());
    if n == 0 {
        crate::output::write_all(
            b"tagsan: warning: rcu_read_unlock without rcu_read_lock, ignored\n",
        );
        return;
    }
    NESTING.with(|c| c.set(n - 1));
    if n == 1 {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
        my_reader().ctr.store(0, Ordering::Release);
    }
}

/// Whether the calling thread is inside a read-side section.
pub fn in_read_section() -> bool {
    NESTING.with(|c| c.get()) > 0
}

/// Starts a grace period and returns its target: the period is over once
/// `COMPLETED >= target`.
fn start() -> u64 {
    writer_barrier();
    let target = GP.fetch_add(1, Ordering::SeqCst) + 1;
    writer_barrier();
    target
}

fn quiescent(target: u64) -> bool {
    READERS[..HIGH.load(Ordering::Acquire)].iter().all(|r| {
        let c = r.ctr.load(Ordering::Acquire);
        c == 0 || c >= target
    })
}

fn complete(target: u64) {
    fence(Ordering::SeqCst);
    COMPLETED.fetch_max(target, Ordering::AcqRel);
    run_ready();
}

/// Waits for a grace period: every read-side section that began before the
/// call has ended. Then runs the callbacks that became ready.
pub fn synchronize() {
    if in_read_section() {
        crate::mapping::fatal(
            "tagsan: synchronize_rcu called inside an RCU read-side critical section (deadlock)",
        );
    }
    let target = start();
    let mut spins = 0u32;
    while !quiescent(target) {
        spins += 1;
        if spins < 100 {
            core::hint::spin_loop();
        } else {
            crate::sys::nanosleep(50_000);
        }
    }
    complete(target);
}

/// Completes a grace period if no reader is in a section that began before
/// now, without waiting; runs ready callbacks. Cheap enough for slow paths.
pub fn poll() {
    if in_read_section() {
        return;
    }
    let target = start();
    if quiescent(target) {
        complete(target);
    }
}

/// Waits until every callback queued before the call has run (or is
/// itself waiting in a `barrier` inside a callback: see the invariants).
pub fn barrier() {
    let depth = DEPTH.with(|d| d.get());
    if depth > MAX_CALLBACK_NESTING {
        crate::mapping::fatal(
            "tagsan_rcu_barrier called from call_rcu callbacks nested more than 64 deep (a \
             callback that queues itself again and waits for itself?)",
        );
    }
    // Callbacks queued before this point become ready in this grace period,
    // and run in `complete` (here, or on a thread that took them).
    synchronize();
    // This thread's own callbacks in progress are parked while it waits:
    // nobody waits for them, and they wait for no parked one.
    let me = depth as u64 * PARKED_ONE;
    PROGRESS.fetch_add(me, Ordering::AcqRel);
    loop {
        // Run what another thread's `complete` left ready (a callback of
        // its may be the one waiting here), then wait for running ones.
        run_ready();
        let p = PROGRESS.load(Ordering::Acquire);
        // Outside callbacks, wait for every running one (none waits for
        // us); inside one, not for the parked ones (they may wait for us).
        let waited_for = if depth == 0 {
            p & RUNNING_MASK
        } else {
            (p & RUNNING_MASK) - (p >> 32)
        };
        if waited_for == 0 {
            break;
        }
        crate::sys::sched_yield();
    }
    PROGRESS.fetch_sub(me, Ordering::AcqRel);
}

/// A deferred call: `f(arg)` after a grace period.
#[derive(Clone, Copy)]
struct Callback {
    after: u64,
    f: unsafe extern "C" fn(*mut libc::c_void),
    arg: usize,
}

static QUEUE: SpinLock<Vec<Callback>> = SpinLock::new(Vec::new());
/// Callbacks running (low 32 bits) and, of those, how many are parked in
/// a `barrier` (high 32 bits), in one word so both are read at once.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
const PARKED_ONE: u64 = 1 << 32;
const RUNNING_MASK: u64 = PARKED_ONE - 1;
/// How deep callbacks calling `barrier` may nest on one thread.
const MAX_CALLBACK_NESTING: u32 = 64;

thread_local! {
    /// Callbacks this thread is inside (they nest through `barrier`).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Calls `f(arg)` after a grace period (`call_rcu`).
pub fn call(f: unsafe extern "C" fn(*mut libc::c_void), arg: *mut libc::c_void) {
    fence(Ordering::SeqCst);
    let after = GP.load(Ordering::SeqCst);
    QUEUE.lock().push(Callback {
        after,
        f,
        arg: arg as usize,
    });
}

/// Callbacks waiting for a grace period.
pub fn pending() -> usize {
    QUEUE.lock().len()
}

/// Runs the ready callbacks, taking them from the queue one at a time.
fn run_ready() {
    let done = COMPLETED.load(Ordering::Acquire);
    loop {
        let next = {
            let mut q = QUEUE.lock();
            // Oldest first. Counted as running before the queue lock is
            // released, so a `barrier` never sees it in neither place.
            let next = q.iter().position(|c| c.after < done).map(|i| q.remove(i));
            if next.is_some() {
                PROGRESS.fetch_add(1, Ordering::AcqRel);
            }
            next
        };
        let Some(c) = next else {
            return;
        };
        DEPTH.with(|d| d.set(d.get() + 1));
        // SAFETY: the callback and argument `call_rcu` was given.
        unsafe { (c.f)(c.arg as *mut libc::c_void) };
        DEPTH.with(|d| d.set(d.get() - 1));
        PROGRESS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes the callback queue's lock for `fork`.
pub fn fork_lock() {
    core::mem::forget(QUEUE.lock());
}

/// # Safety
/// Only after `fork_lock`, by the forking thread or in the child.
pub unsafe fn fork_unlock() {
    unsafe { QUEUE.force_unlock() }
}

/// In the child: only the forking thread exists, so every other thread's
/// reader slot is cleared and freed (their sections ended with them), no
/// callback is being run by another thread, and the child's new address
/// space registers for membarrier again before it relies on it.
pub fn fork_child() {
    if MEMBARRIER.load(Ordering::Acquire) == MB_YES {
        MEMBARRIER.store(MB_UNKNOWN, Ordering::Release);
        init_membarrier();
    }
    let mine = SLOT.with(|s| s.0.get());
    for (i, r) in READERS.iter().enumerate() {
        if i + 1 != mine {
            r.ctr.store(0, Ordering::Relaxed);
            r.used.store(false, Ordering::Relaxed);
        }
    }
    let mine = DEPTH.with(|d| d.get()) as u64;
    PROGRESS.store(mine, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool as StdBool;
    use std::sync::Arc;

    static HITS: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn hit(_: *mut libc::c_void) {
        HITS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn synchronize_waits_for_a_reader_that_started_before() {
        let inside = Arc::new(StdBool::new(false));
        let leave = Arc::new(StdBool::new(false));
        let (i2, l2) = (inside.clone(), leave.clone());
        let t = std::thread::spawn(move || {
            read_lock();
            read_lock();
            read_unlock();
            i2.store(true, Ordering::SeqCst);
            while !l2.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            read_unlock();
        });
        while !inside.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let done = Arc::new(StdBool::new(false));
        let d2 = done.clone();
        let w = std::thread::spawn(move || {
            synchronize();
            d2.store(true, Ordering::SeqCst);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !done.load(Ordering::SeqCst),
            "grace period ended inside a reader's section"
        );
        leave.store(true, Ordering::SeqCst);
        w.join().unwrap();
        t.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
    }

    #[test]
    fn callbacks_run_after_a_grace_period() {
        let before = HITS.load(Ordering::SeqCst);
        read_lock();
        call(hit, core::ptr::null_mut());
        poll();
        assert_eq!(HITS.load(Ordering::SeqCst), before, "ran inside a section");
        read_unlock();
        barrier();
        assert_eq!(HITS.load(Ordering::SeqCst), before + 1);
    }
}
