//! Allocation history: each thread remembers the freed blocks whose memory
//! it reused, so a report about a stale pointer can name the block it came
//! from after the memory went to another block (LLVM HWASan's heap ring
//! buffer, "Cause: use-after-free").
//!
//! While a freed block waits in quarantine or on a free list, its chunk's
//! metadata still describes it (allocation and free stacks). Once the chunk
//! (or cache object) is handed out again, the metadata describes the new
//! owner, and only the history still knows the old block: so the record is
//! written right then, by the allocating thread, from the metadata it is
//! about to overwrite (the block's tagged address, so its tag; its size;
//! its allocation and free stacks; the time). Large extents, whose
//! descriptions the allocator drops a few hundred frees later, are
//! recorded when freed. Recording at free time instead would spend the
//! ring on blocks still in quarantine: with the default 1 MiB quarantine a
//! 40-byte chunk is reused only after ~20 000 other frees.
//!
//! On a tag mismatch, or a free through a pointer that is no live block,
//! `freed_block_at`/`find_latest` look for the most recent record whose
//! block held the address *with the pointer's tag*: a pointer to memory
//! that was freed and reused.
//!
//! Invariants:
//! - each thread writes only its own ring (`RING`), at `pos & mask`, and
//!   advances `pos` before writing, so a signal handler freeing on the same
//!   thread writes the next entry instead of tearing this one;
//! - an entry is a seqlock: `stamp` is odd while it is written, then even
//!   and non-zero, and different at each write of the entry (it holds the
//!   ring position). Readers (reports, on any thread) take an entry only if
//!   `stamp` is even, non-zero and the same before and after they read it:
//!   a torn entry is skipped, never misread;
//! - records are ordered by (`EPOCH` when written, ring position). `EPOCH`
//!   is a global clock that any thread advances every `EPOCH_RECORDS` of
//!   its records: cheaper than a time stamp (`rdtsc` costs ~10 ns in this
//!   VM) and without a shared counter touched by every record. Two records
//!   of different threads less than an epoch apart are ordered arbitrarily;
//! - rings are never freed: a ring whose thread exited is owned by nobody
//!   (`owner == 0`), keeps its records for reports, and is taken over by the
//!   next new thread. So reports read every ring without a lock, and never
//!   wait on a thread (no deadlock in a report, even with a thread stopped
//!   mid-write);
//! - in a forked child, rings owned by the parent's other threads (which do
//!   not exist there) are released (`after_fork_child`); an entry they left
//!   half-written keeps an odd stamp until it is overwritten, so it is
//!   skipped.
//!
//! Memory: `heap_history_size` entries of 32 bytes per thread (default
//! 1024: 32 KiB), mapped at a thread's first record, plus a 64-byte header;
//! at most one ring per thread alive at once. Cost: a few loads and stores
//! per reuse of a chunk (measured in `bench/NOTES.md`).

use crate::layout;
use crate::stack_depot::StackId;
use core::cell::Cell;
use core::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Stamp of an entry being written.
const WRITING: u64 = 1;

/// The global clock of records (see the invariants); starts at 1 so no
/// stamp is 0.
static EPOCH: AtomicU64 = AtomicU64::new(1);
/// Records a thread writes between two advances of `EPOCH`.
const EPOCH_RECORDS: usize = 256;

#[repr(C, align(32))]
struct Entry {
    /// 0: never written; odd: being written; else `EPOCH` (high 31 bits),
    /// then the ring position (32 bits), then 0.
    stamp: AtomicU64,
    /// The block's tagged address (its first byte).
    ptr: AtomicU64,
    size: AtomicU64,
    /// Allocation stack (low 32 bits) and free stack (high 32 bits).
    stacks: AtomicU64,
}

#[repr(C, align(64))]
struct Ring {
    /// The next ring in `RINGS` (set once, before publication).
    next: *mut Ring,
    /// tid + 1 of the owning thread, 0 if none.
    owner: AtomicU32,
    /// Entries written so far (only the owner writes it).
    pos: AtomicUsize,
    /// Number of entries (a power of two).
    len: usize,
}

impl Ring {
    fn entries(&self) -> &[Entry] {
        // SAFETY: `map_ring` maps `len` entries right after the header, and
        // rings are never unmapped.
        unsafe {
            core::slice::from_raw_parts((self as *const Ring).add(1) as *const Entry, self.len)
        }
    }
}

/// Every ring ever made (newest first), linked through `next`.
static RINGS: AtomicPtr<Ring> = AtomicPtr::new(core::ptr::null_mut());

/// Marks a thread whose ring was released at exit (never dereferenced).
const DEAD: *mut Ring = core::ptr::dangling_mut();

thread_local! {
    static RING: Cell<*mut Ring> = const { Cell::new(core::ptr::null_mut()) };
}

fn rings() -> impl Iterator<Item = &'static Ring> {
    let mut p = RINGS.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        // SAFETY: published rings are never unmapped; `next` was written
        // before the ring was published (Release/Acquire on `RINGS`).
        let r = unsafe { p.as_ref()? };
        p = r.next;
        Some(r)
    })
}

/// Entries per ring, from `heap_history_size` (0: no history).
fn ring_len() -> usize {
    match crate::flags::flags().heap_history_size {
        0 => 0,
        n => n.next_power_of_two(),
    }
}

fn me() -> u32 {
    crate::thread::current_tid().wrapping_add(1).max(1)
}

/// This thread's ring: a released one taken over, or a new one. Null when
/// the history is off, the thread is exiting, or memory is short.
#[cold]
fn acquire() -> *mut Ring {
    let len = ring_len();
    if len == 0 {
        RING.with(|r| r.set(DEAD));
        return core::ptr::null_mut();
    }
    let me = me();
    for r in rings() {
        if r.len == len
            && r.owner
                .compare_exchange(0, me, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            let p = r as *const Ring as *mut Ring;
            RING.with(|c| c.set(p));
            crate::thread::register_exit();
            return p;
        }
    }
    let bytes = core::mem::size_of::<Ring>() + len * core::mem::size_of::<Entry>();
    // Zeroed pages: every stamp reads "never written".
    let p = crate::internal_alloc::map(bytes) as *mut Ring;
    if p.is_null() {
        return p;
    }
    // SAFETY: fresh mapping big enough for the header; not yet shared.
    unsafe {
        p.write(Ring {
            next: core::ptr::null_mut(),
            owner: AtomicU32::new(me),
            pos: AtomicUsize::new(0),
            len,
        })
    };
    let mut head = RINGS.load(Ordering::Relaxed);
    loop {
        // SAFETY: not yet published, so this thread is its only user.
        unsafe { (*p).next = head };
        match RINGS.compare_exchange_weak(head, p, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    RING.with(|c| c.set(p));
    crate::thread::register_exit();
    p
}

/// Records the freed block at tagged address `ptr` (`size` bytes),
/// allocated at `alloc_stack` and freed at `free_stack`, whose description
/// the allocator is about to lose.
#[inline]
pub fn record(ptr: usize, size: usize, alloc_stack: StackId, free_stack: StackId) {
    let mut r = RING.with(|c| c.get());
    if r == DEAD {
        return;
    }
    if r.is_null() {
        r = acquire();
        if r.is_null() {
            return;
        }
    }
    // SAFETY: this thread's ring (mapped, never unmapped).
    let ring = unsafe { &*r };
    let i = ring.pos.load(Ordering::Relaxed);
    // Claim the entry before writing it (see the invariants).
    ring.pos.store(i + 1, Ordering::Relaxed);
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
    if i % EPOCH_RECORDS == 0 {
        EPOCH.fetch_add(1, Ordering::Relaxed);
    }
    let epoch = EPOCH.load(Ordering::Relaxed);
    let e = &ring.entries()[i & (ring.len - 1)];
    e.stamp.store(WRITING, Ordering::Relaxed);
    fence(Ordering::Release);
    e.ptr.store(ptr as u64, Ordering::Relaxed);
    e.size.store(size as u64, Ordering::Relaxed);
    e.stacks.store(
        alloc_stack.0 as u64 | (free_stack.0 as u64) << 32,
        Ordering::Relaxed,
    );
    let stamp = epoch << 33 | (i as u64 & 0xffff_ffff) << 1;
    e.stamp.store(stamp, Ordering::Release);
}

/// Releases this thread's ring for the next new thread (thread exit). Its
/// records stay for reports until that thread overwrites them.
pub fn thread_exit() {
    let r = RING.with(|c| c.replace(DEAD));
    if r.is_null() || r == DEAD {
        return;
    }
    // SAFETY: this thread's ring; rings are never unmapped.
    unsafe { &*r }.owner.store(0, Ordering::Release);
}

/// In a forked child: the rings of the parent's other threads are
/// released (those threads do not exist here).
pub fn after_fork_child() {
    let me = me();
    for r in rings() {
        if r.owner.load(Ordering::Relaxed) != me {
            r.owner.store(0, Ordering::Release);
        }
    }
}

/// A freed block, as the history remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freed {
    /// Untagged address of its first byte.
    pub begin: usize,
    pub size: usize,
    pub tag: u8,
    pub alloc_stack: StackId,
    pub free_stack: StackId,
    /// When it was recorded: larger is later (see the invariants).
    pub when: u64,
}

/// A consistent copy of entry `e`, if it holds a record.
fn read(e: &Entry) -> Option<Freed> {
    let s1 = e.stamp.load(Ordering::Acquire);
    if s1 == 0 || s1 & 1 != 0 {
        return None;
    }
    let ptr = e.ptr.load(Ordering::Relaxed) as usize;
    let size = e.size.load(Ordering::Relaxed) as usize;
    let stacks = e.stacks.load(Ordering::Relaxed);
    fence(Ordering::Acquire);
    if e.stamp.load(Ordering::Relaxed) != s1 {
        return None;
    }
    Some(Freed {
        begin: layout::untag(ptr),
        size,
        tag: layout::ptr_tag(ptr),
        alloc_stack: StackId(stacks as u32),
        free_stack: StackId((stacks >> 32) as u32),
        when: s1 >> 1,
    })
}

/// The most recently freed block, in any thread's history, that `keep`
/// accepts.
pub fn find_latest(keep: impl Fn(&Freed) -> bool) -> Option<Freed> {
    let mut best: Option<Freed> = None;
    for r in rings() {
        for e in r.entries() {
            if let Some(f) = read(e) {
                if keep(&f) && best.is_none_or(|b| f.when > b.when) {
                    best = Some(f);
                }
            }
        }
    }
    best
}

/// The most recently freed block that held heap address `addr` with
/// `addr`'s tag (any byte of it, or its first byte if it was empty).
pub fn freed_block_at(addr: usize) -> Option<Freed> {
    if !layout::is_heap(addr) {
        return None;
    }
    let (a, tag) = (layout::untag(addr), layout::ptr_tag(addr));
    find_latest(|f| f.tag == tag && f.begin <= a && a < f.begin + f.size.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap(off: usize, tag: u8) -> usize {
        layout::with_tag(layout::HEAP_BASE + off, tag)
    }

    #[test]
    fn the_latest_matching_free_is_found_with_its_stacks() {
        let base = 0x7_7000_0000;
        record(heap(base, 3), 40, StackId(11), StackId(12));
        record(heap(base, 5), 40, StackId(21), StackId(22));
        record(heap(base, 3), 24, StackId(31), StackId(32));
        let f = freed_block_at(heap(base + 8, 3)).unwrap();
        assert_eq!(
            (f.begin, f.size, f.tag, f.alloc_stack, f.free_stack),
            (layout::HEAP_BASE + base, 24, 3, StackId(31), StackId(32))
        );
        // Past the latest block of that tag, but inside the older one.
        let f = freed_block_at(heap(base + 30, 3)).unwrap();
        assert_eq!(f.alloc_stack, StackId(11));
        assert_eq!(freed_block_at(heap(base + 8, 5)).unwrap().size, 40);
        assert!(freed_block_at(heap(base + 8, 6)).is_none());
        assert!(freed_block_at(heap(base + 40, 5)).is_none());
    }

    #[test]
    fn other_threads_records_are_found_after_they_exit() {
        let base = 0x7_7100_0000;
        std::thread::spawn(move || record(heap(base, 2), 16, StackId(1), StackId(2)))
            .join()
            .unwrap();
        let f = freed_block_at(heap(base, 2)).unwrap();
        assert_eq!(f.free_stack, StackId(2));
        // A new thread takes the released ring over and keeps writing.
        std::thread::spawn(move || record(heap(base + 64, 2), 16, StackId(3), StackId(4)))
            .join()
            .unwrap();
        assert!(freed_block_at(heap(base, 2)).is_some());
        assert!(freed_block_at(heap(base + 64, 2)).is_some());
    }

    #[test]
    fn the_ring_is_bounded_and_keeps_the_newest() {
        let base = 0x7_7200_0000;
        let n = ring_len();
        for i in 0..n + 10 {
            record(heap(base + 16 * i, 1), 16, StackId(0), StackId(i as u32));
        }
        assert!(freed_block_at(heap(base, 1)).is_none(), "overwritten");
        let last = freed_block_at(heap(base + 16 * (n + 9), 1)).unwrap();
        assert_eq!(last.free_stack, StackId((n + 9) as u32));
    }

    #[test]
    fn readers_never_see_torn_entries() {
        let base = 0x7_7300_0000;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let writer = std::thread::spawn(move || {
            let mut i = 0u32;
            while !s2.load(Ordering::Relaxed) {
                // size, alloc and free stacks all derive from i.
                record(heap(base, 4), i as usize, StackId(i), StackId(!i));
                i = i.wrapping_add(1);
            }
        });
        for _ in 0..2000 {
            if let Some(f) = find_latest(|f| f.begin == layout::HEAP_BASE + base) {
                assert_eq!(f.alloc_stack.0 as usize, f.size);
                assert_eq!(f.free_stack.0, !f.alloc_stack.0);
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
    }
}
