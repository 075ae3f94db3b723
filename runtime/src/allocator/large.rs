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
//!   extents (a B-tree keyed by start).

use super::size_class::{LARGE_BEGIN, LARGE_END};
use super::{AllocKind, ChunkState};
use crate::sync::SpinLock;
use std::collections::{BTreeMap, VecDeque};

const PAGE: usize = 4096;
/// Freed extents kept described for reports.
const FREED_KEPT: usize = 256;

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
}

static LARGE: SpinLock<Large> = SpinLock::new(Large {
    extents: BTreeMap::new(),
    bump: LARGE_BEGIN,
    holes: BTreeMap::new(),
    freed: VecDeque::new(),
});

/// Reserves an extent for `size` bytes at `align`; returns its heap offset
/// and span. The caller tags it and fills in the metadata with `set_live`.
pub fn reserve(size: usize, align: usize, kind: AllocKind) -> Option<(usize, usize)> {
    let span = size.max(1).checked_next_multiple_of(PAGE)?;
    let align = align.max(PAGE);
    let mut l = LARGE.lock();
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
    l.extents.insert(
        begin,
        Extent {
            span,
            requested: size,
            tag: 0,
            state: ChunkState::Unused,
            kind,
            alloc_stack: 0,
            free_stack: 0,
        },
    );
    Some((begin, span))
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
    /// Freed; the block was allocated as `kind`.
    Freed {
        kind: AllocKind,
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
    l.freed.push_back(off);
    if l.freed.len() > FREED_KEPT {
        let old = l.freed.pop_front().expect("non-empty");
        if let Some(old_e) = l.extents.remove(&old) {
            l.holes.insert(old, old_e.span);
        }
    }
    drop(l);
    // Memory back to the OS; shadow to 0 (no pointer tag matches it). For
    // the rare untagged (tag 0) block, mark its shadow freed so
    // a use after free through its pointer is still caught.
    crate::mapping::release_heap(off, span);
    let addr = crate::layout::HEAP_BASE + off;
    crate::shadow::clear_large(addr, span);
    if tag == 0 {
        crate::shadow::set(addr, span, crate::layout::SHADOW_FREED);
    }
    FreeResult::Freed { kind }
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
