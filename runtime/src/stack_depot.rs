//! Stack traces taken at malloc and free, stored once each (deduplicated by
//! hash) in runtime-internal memory, and named by a 32-bit id that chunk
//! metadata keeps. The id also records the thread that took the stack.
//!
//! It is on the malloc path, so it takes no lock: records live in one
//! mmap'd arena allocated by an atomic bump pointer and are immutable once
//! published; a bucket is the head of a singly linked chain of records and
//! is updated by compare-and-swap. Two threads storing the same new stack
//! at once may both store it (one copy is then unreachable): harmless.
//! Nothing is ever freed. With no lock there is nothing to reset after
//! fork; `lock_for_fork`/`unlock_after_fork` only make sure the arena is not
//! half-created across a fork.

use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use crate::unwind::{self, Origin};

/// A stored stack; 0 means "none".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct StackId(pub u32);

/// A stack as stored: the thread that took it and its return addresses,
/// innermost first.
#[derive(Clone, Copy, Debug)]
pub struct StoredStack {
    pub tid: u32,
    pub frames: &'static [usize],
}

/// Most frames kept for one stack, whatever `malloc_context_size` says.
pub const MAX_DEPTH: usize = 256;

const BUCKET_BITS: u32 = 18;
const BUCKETS: usize = 1 << BUCKET_BITS;
/// Bytes reserved for records (`MAP_NORESERVE`: only what is used is backed).
/// Ids count 8-byte words, so a u32 id could address 32 GiB.
const ARENA_BYTES: usize = 1 << 31;

/// Bucket heads: the id of the newest record with that hash, 0 if none.
static TABLE: [AtomicU32; BUCKETS] = [const { AtomicU32::new(0) }; BUCKETS];
/// The arena (null until the first capture).
static ARENA: AtomicPtr<u64> = AtomicPtr::new(core::ptr::null_mut());
/// Words of the arena handed out. Word 0 is never used, so id 0 is "none".
static USED: AtomicUsize = AtomicUsize::new(1);
/// Set while a thread creates the arena, and across fork.
static CREATING: crate::sync::SpinLock<()> = crate::sync::SpinLock::new(());

// Record layout, in words:
//   [0] hash (low 32 bits) | frame count (high 32)
//   [1] tid (low 32)       | id of the next record in the bucket (high 32)
//   [2..] frames
const HEADER_WORDS: usize = 2;

/// Unwinds the current thread's stack from `origin` (so the runtime's own
/// frames are not in it) and stores it. Fast: a frame-pointer walk plus a
/// hash-table probe.
pub fn capture(origin: Origin) -> StackId {
    let depth = crate::flags::flags().malloc_context_size.min(MAX_DEPTH);
    if depth == 0 {
        // No frames, but reports still name the thread (as ASan's
        // "allocated by thread T1 here: <empty stack>").
        return thread_only();
    }
    let mut frames = [core::mem::MaybeUninit::<usize>::uninit(); MAX_DEPTH];
    let n = unwind::unwind_uninit(origin, &mut frames[..depth]);
    // SAFETY: the first n entries were written by the walk.
    let frames = unsafe { core::slice::from_raw_parts(frames.as_ptr() as *const usize, n) };
    store(crate::thread::current_tid(), frames)
}

/// The record of this thread with no frames (`malloc_context_size=0`),
/// stored once per thread.
fn thread_only() -> StackId {
    thread_local! {
        static ID: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }
    ID.with(|id| {
        if id.get() == 0 {
            id.set(store(crate::thread::current_tid(), &[]).0);
        }
        StackId(id.get())
    })
}

/// Stores `frames` as taken by thread `tid` and returns its id (the id of an
/// identical stored stack if there is one; an empty stack still records the
/// thread). 0 if the depot is full.
pub fn store(tid: u32, frames: &[usize]) -> StackId {
    let frames = &frames[..frames.len().min(MAX_DEPTH)];
    let Some(arena) = arena() else {
        return StackId(0);
    };
    let hash = hash_stack(tid, frames);
    let bucket = &TABLE[(hash as usize) & (BUCKETS - 1)];
    let mut head = bucket.load(Ordering::Acquire);
    if let Some(id) = find(arena, head, hash, tid, frames) {
        return id;
    }
    // Not there: write a new record, then publish it at the bucket's head.
    let words = HEADER_WORDS + frames.len();
    let at = USED.fetch_add(words, Ordering::Relaxed);
    if at + words > ARENA_BYTES / 8 || at > u32::MAX as usize {
        return StackId(0);
    }
    unsafe {
        let rec = arena.add(at);
        *rec = hash as u64 | (frames.len() as u64) << 32;
        for (i, &f) in frames.iter().enumerate() {
            *rec.add(HEADER_WORDS + i) = f as u64;
        }
        loop {
            *rec.add(1) = tid as u64 | (head as u64) << 32;
            match bucket.compare_exchange_weak(
                head,
                at as u32,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return StackId(at as u32),
                Err(now) => {
                    // Someone published first; it may be this very stack.
                    if let Some(id) = find_until(arena, now, head, hash, tid, frames) {
                        return id;
                    }
                    head = now;
                }
            }
        }
    }
}

/// The stack stored under `id`, if any.
pub fn lookup(id: StackId) -> Option<StoredStack> {
    let at = id.0 as usize;
    let arena = ARENA.load(Ordering::Acquire);
    if at == 0
        || arena.is_null()
        || at + HEADER_WORDS > USED.load(Ordering::Acquire).min(ARENA_BYTES / 8)
    {
        return None;
    }
    unsafe {
        let rec = arena.add(at);
        let len = (*rec >> 32) as usize;
        let tid = *rec.add(1) as u32;
        if len > MAX_DEPTH {
            return None;
        }
        let frames = core::slice::from_raw_parts(rec.add(HEADER_WORDS) as *const usize, len);
        Some(StoredStack { tid, frames })
    }
}

/// Called by fork's prepare handler: no thread may be half-way through
/// creating the arena while the process forks.
pub fn lock_for_fork() {
    core::mem::forget(CREATING.lock());
}

/// Called in both parent and child after fork.
pub fn unlock_after_fork() {
    unsafe { CREATING.force_unlock() };
}

fn arena() -> Option<*mut u64> {
    let a = ARENA.load(Ordering::Acquire);
    if !a.is_null() {
        return Some(a);
    }
    let _guard = CREATING.lock();
    let a = ARENA.load(Ordering::Acquire);
    if !a.is_null() {
        return Some(a);
    }
    // A raw system call: a program's own `mmap` could call malloc.
    let p = crate::sys::map_anonymous(ARENA_BYTES).ok()? as *mut u64;
    ARENA.store(p, Ordering::Release);
    Some(p)
}

/// Searches the chain starting at record `id` for this stack.
fn find(arena: *mut u64, id: u32, hash: u32, tid: u32, frames: &[usize]) -> Option<StackId> {
    find_until(arena, id, 0, hash, tid, frames)
}

/// Like `find`, but stops at record `stop` (already searched).
fn find_until(
    arena: *mut u64,
    mut id: u32,
    stop: u32,
    hash: u32,
    tid: u32,
    frames: &[usize],
) -> Option<StackId> {
    while id != 0 && id != stop {
        unsafe {
            let rec = arena.add(id as usize);
            let h = *rec as u32;
            let len = (*rec >> 32) as usize;
            let link = *rec.add(1);
            if h == hash && len == frames.len() && link as u32 == tid {
                let stored =
                    core::slice::from_raw_parts(rec.add(HEADER_WORDS) as *const usize, len);
                if stored == frames {
                    return Some(StackId(id));
                }
            }
            id = (link >> 32) as u32;
        }
    }
    None
}

/// A fast 32-bit hash of the thread id and frames (murmur-style mixing).
fn hash_stack(tid: u32, frames: &[usize]) -> u32 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ (tid as u64) ^ ((frames.len() as u64) << 40);
    for &f in frames {
        let mut k = f as u64;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        h = (h ^ k)
            .rotate_left(27)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_stack_same_id() {
        let a = store(1, &[0x1000, 0x2000, 0x3000]);
        let b = store(1, &[0x1000, 0x2000, 0x3000]);
        assert_ne!(a, StackId(0));
        assert_eq!(a, b);
        let s = lookup(a).unwrap();
        assert_eq!(s.tid, 1);
        assert_eq!(s.frames, &[0x1000, 0x2000, 0x3000]);
    }

    #[test]
    fn different_stacks_or_threads_differ() {
        let a = store(2, &[0x1000, 0x2000]);
        let b = store(3, &[0x1000, 0x2000]);
        let c = store(2, &[0x1000, 0x2001]);
        let d = store(2, &[0x1000]);
        assert!(a != b && a != c && b != c && a != d);
        assert_eq!(lookup(b).unwrap().tid, 3);
        assert_eq!(lookup(d).unwrap().frames, &[0x1000]);
    }

    #[test]
    fn none_and_garbage_ids() {
        assert!(lookup(StackId(0)).is_none());
        assert!(lookup(StackId(u32::MAX)).is_none());
    }

    #[test]
    fn an_empty_stack_still_records_its_thread() {
        let id = store(7, &[]);
        assert_ne!(id, StackId(0));
        let s = lookup(id).unwrap();
        assert_eq!((s.tid, s.frames.len()), (7, 0));
        assert_eq!(store(7, &[]), id);
    }

    #[test]
    fn capture_records_the_callers_frames() {
        let id = capture(Origin::here());
        let s = lookup(id).unwrap();
        assert!(!s.frames.is_empty());
        assert_eq!(s.tid, crate::thread::current_tid());
    }

    #[test]
    fn many_threads_dedup_consistently() {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut ids = Vec::new();
                    for i in 0..2000usize {
                        // Every thread stores the same 500 stacks under tid
                        // 1000, and 4 rounds of each.
                        let frames = [0x40_0000 + (i % 500), 0x50_0000, 0x60_0000 + t];
                        let shared = [0x40_0000 + (i % 500), 0x50_0000];
                        let id = store(1000 + t as u32, &frames);
                        let sid = store(999, &shared);
                        ids.push((i % 500, id, sid));
                    }
                    ids
                })
            })
            .collect();
        let all: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        for ids in &all {
            for &(i, id, sid) in ids {
                assert_eq!(lookup(sid).unwrap().frames, &[0x40_0000 + i, 0x50_0000]);
                assert_eq!(lookup(id).unwrap().frames[0], 0x40_0000 + i);
            }
        }
        // After the race, one canonical id per shared stack.
        for i in 0..500 {
            let a = store(999, &[0x40_0000 + i, 0x50_0000]);
            assert_eq!(a, store(999, &[0x40_0000 + i, 0x50_0000]));
        }
    }
}
