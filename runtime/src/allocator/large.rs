//! Large allocations (> `MAX_SMALL`, or aligned beyond it): page-granular
//! extents of the large region, tagged like small blocks, and given back to
//! the OS when freed.
//!
//! Invariants (tested in `allocator::tests`):
//! - every extent is page aligned and page granular; the block starts at the
//!   extent's start (so `free` needs the exact pointer), and the shadow of
//!   the extent's tail past the block is 0, which no pointer tag matches;
//! - on free the extent's file pages are punched out (`fallocate`), and its
//!   shadow is dropped to 0: a use after free mismatches (tags are non-zero)
//!   and costs no memory;
//! - freed extents are not reused at once: allocation bumps through the
//!   256 GiB region first, and a freed extent stays described (for reports)
//!   until `FREED_KEPT` later frees push it out; only then does it become
//!   reusable (first fit), once the bump pointer reaches the region's end;
//! - lookup of the extent holding an address is O(log n) in live + kept
//!   extents (a B-tree keyed by start);
//! - the exception to "given back when freed": a few recently freed extents
//!   (at most `CACHE_ENTRIES`, `CACHE_BYTES` in all, each at most
//!   `CACHE_MAX_EXTENT`) keep their memory for reuse, as Scudo's secondary
//!   cache does, because punching memory out costs a TLB shootdown on every
//!   CPU (measured: a quarter of the time of a 2-thread malloc benchmark
//!   with large blocks). A cached extent is described as freed, with its
//!   old tag, and its whole shadow reads `SHADOW_FREED` before it can be
//!   handed out again, so every use after free is caught until it is reused
//!   (oldest first); after that, as for small chunks, unless the new tag
//!   happens to equal the old one. Reused memory is not zero.

use super::size_class::{LARGE_BEGIN, LARGE_END};
use super::{AllocKind, ChunkState};
use crate::sync::SpinLock;
use std::collections::{BTreeMap, VecDeque};

const PAGE: usize = 4096;
/// Freed extents kept described for reports.
const FREED_KEPT: usize = 256;
/// Freed extents whose memory is kept for reuse (see the invariants).
const CACHE_ENTRIES: usize = 32;
/// Bytes of memory the cache may keep.
const CACHE_BYTES: usize = 32 << 20;
/// Largest extent the cache keeps.
const CACHE_MAX_EXTENT: usize = 4 << 20;

#[derive(Clone, Copy, Debug)]
pub struct Extent {
    pub span: usize,
    pub requested: usize,
    pub tag: u8,
    pub state: ChunkState,
    pub kind: AllocKind,
    pub alloc_stack: u32,
    pub free_stack: u32,
}

struct Large {
    extents: BTreeMap<usize, Extent>,
    bump: usize,
    holes: BTreeMap<usize, usize>,
    freed: VecDeque<usize>,
    /// Freed extents with memory kept for reuse: (start, span), oldest first.
    cache: VecDeque<(usize, usize)>,
    cached_bytes: usize,
}

impl Large {
    /// A freed extent whose memory is gone joins the ones kept described
    /// for reports; the oldest of those becomes a reusable hole.
    fn retire(&mut self, off: usize) {
        self.freed.push_back(off);
        if self.freed.len() > FREED_KEPT {
            let old = self.freed.pop_front().expect("non-empty");
            if let Some(old_e) = self.extents.remove(&old) {
                self.holes.insert(old, old_e.span);
            }
        }
    }

    /// The oldest cached extent that fits `span` at `align` without wasting
    /// more than half of it.
    fn take_cached(&mut self, span: usize, align: usize) -> Option<(usize, usize)> {
        let i = self
            .cache
            .iter()
            .position(|&(off, s)| s >= span && s <= 2 * span && off % align == 0)?;
        let (off, s) = self.cache.remove(i).expect("index from position");
        self.cached_bytes -= s;
        Some((off, s))
    }
}

/// Gives an extent's memory back to the OS and drops its shadow to 0 (no
/// pointer tag matches it). For the rare untagged (tag 0) block, the
/// shadow reads freed instead, so a use after free through its pointer is
/// still caught.
fn release(off: usize, span: usize, tag: u8) {
    crate::mapping::release_heap(off, span);
    let addr = crate::layout::HEAP_BASE + off;
    crate::shadow::clear_large(addr, span);
    if tag == 0 {
        crate::shadow::set(addr, span, crate::layout::SHADOW_FREED);
    }
}

static LARGE: SpinLock<Large> = SpinLock::new(Large {
    extents: BTreeMap::new(),
    bump: LARGE_BEGIN,
    holes: BTreeMap::new(),
    freed: VecDeque::new(),
    cache: VecDeque::new(),
    cached_bytes: 0,
});

/// An extent `reserve` found: its heap offset, its span, and whether its
/// memory is fresh (reads as zero) or a reused cached extent's.
pub struct Reserved {
    pub off: usize,
    pub span: usize,
    pub fresh: bool,
}

/// Reserves an extent for `size` bytes at `align`; returns its heap offset
/// and span. The caller tags it and fills in the metadata with `set_live`.
pub fn reserve(size: usize, align: usize, kind: AllocKind) -> Option<Reserved> {
    let span = size.max(1).checked_next_multiple_of(PAGE)?;
    let align = align.max(PAGE);
    let mut l = LARGE.lock();
    let unused = |span| Extent {
        span,
        requested: size,
        tag: 0,
        state: ChunkState::Unused,
        kind,
        alloc_stack: 0,
        free_stack: 0,
    };
    if let Some((off, span)) = l.take_cached(span, align) {
        l.extents.insert(off, unused(span));
        return Some(Reserved {
            off,
            span,
            fresh: false,
        });
    }
    let begin = l.bump.checked_next_multiple_of(align)?;
    let begin = if begin.checked_add(span)? <= LARGE_END {
        l.bump = begin + span;
        begin
    } else {
        // First fit among reusable holes.
        let (&hole, &len) = l.holes.iter().find(|(&h, &len)| {
            let b = h.next_multiple_of(align);
            b + span <= h + len
        })?;
        l.holes.remove(&hole);
        let b = hole.next_multiple_of(align);
        if b > hole {
            l.holes.insert(hole, b - hole);
        }
        if b + span < hole + len {
            l.holes.insert(b + span, hole + len - b - span);
        }
        b
    };
    l.extents.insert(begin, unused(span));
    Some(Reserved {
        off: begin,
        span,
        fresh: true,
    })
}

/// Marks the extent at `begin` live with `tag`.
pub fn set_live(begin: usize, tag: u8, alloc_stack: u32) {
    let mut l = LARGE.lock();
    if let Some(e) = l.extents.get_mut(&begin) {
        e.tag = tag;
        e.state = ChunkState::Live;
        e.alloc_stack = alloc_stack;
    }
}

/// The extent containing heap offset `off`: (start, extent).
pub fn find(off: usize) -> Option<(usize, Extent)> {
    let l = LARGE.lock();
    let (&b, e) = l.extents.range(..=off).next_back()?;
    (off < b + e.span).then_some((b, *e))
}

/// What freeing a pointer found.
pub enum FreeResult {
    /// Freed; the block was allocated as `kind`, of `requested` bytes, at
    /// `alloc_stack` (for the allocation history).
    Freed {
        kind: AllocKind,
        requested: usize,
        alloc_stack: u32,
    },
    DoubleFree,
    Invalid,
}

/// Frees the block at heap offset `off` through a pointer tagged `tag`.
/// The caller has already retagged nothing: the extent's memory and shadow
/// are released here.
pub fn free(off: usize, tag: u8, free_stack: u32) -> FreeResult {
    let mut l = LARGE.lock();
    let Some(e) = l.extents.get_mut(&off) else {
        return FreeResult::Invalid;
    };
    if e.tag != tag {
        return FreeResult::Invalid;
    }
    match e.state {
        ChunkState::Live => {}
        ChunkState::Freed => return FreeResult::DoubleFree,
        ChunkState::Unused => return FreeResult::Invalid,
    }
    e.state = ChunkState::Freed;
    e.free_stack = free_stack;
    let (kind, span) = (e.kind, e.span);
    let (requested, alloc_stack) = (e.requested, e.alloc_stack);
    if tag != 0 && span <= CACHE_MAX_EXTENT {
        // Keep the memory for reuse. The shadow reads freed before the
        // extent is reusable (all under the lock): a thread taking it from
        // the cache then retags it, and nothing overwrites its tags later.
        while l.cache.len() >= CACHE_ENTRIES || l.cached_bytes + span > CACHE_BYTES {
            let Some((old, old_span)) = l.cache.pop_front() else {
                break;
            };
            l.cached_bytes -= old_span;
            // Only tagged blocks are cached.
            release(old, old_span, l.extents.get(&old).map_or(1, |e| e.tag));
            l.retire(old);
        }
        crate::shadow::set(
            crate::layout::HEAP_BASE + off,
            span,
            crate::layout::SHADOW_FREED,
        );
        l.cache.push_back((off, span));
        l.cached_bytes += span;
        return FreeResult::Freed {
            kind,
            requested,
            alloc_stack,
        };
    }
    l.retire(off);
    drop(l);
    release(off, span, tag);
    FreeResult::Freed {
        kind,
        requested,
        alloc_stack,
    }
}

/// Gives up the extent `reserve` just returned at `off`, before it was
/// handed out (its memory could not be backed): its pages are dropped and
/// its range becomes a reusable hole.
pub fn abandon(off: usize) {
    let mut l = LARGE.lock();
    if let Some(e) = l.extents.remove(&off) {
        crate::mapping::release_heap(off, e.span);
        l.holes.insert(off, e.span);
    }
}

/// An extent and where it starts.
pub type Located = (usize, Extent);

/// The extents before and after `begin` if they touch it.
pub fn neighbours(begin: usize) -> (Option<Located>, Option<Located>) {
    let l = LARGE.lock();
    let span = l.extents.get(&begin).map(|e| e.span).unwrap_or(0);
    let before = l
        .extents
        .range(..begin)
        .next_back()
        .filter(|(&b, e)| b + e.span == begin)
        .map(|(&b, e)| (b, *e));
    let after = l.extents.get(&(begin + span)).map(|e| (begin + span, *e));
    (before, after)
}

pub fn fork_lock() {
    core::mem::forget(LARGE.lock());
}

/// # Safety
/// Only by the thread that called `fork_lock`, or its forked child.
pub unsafe fn fork_unlock() {
    unsafe { LARGE.force_unlock() };
}
