//! Deciding what a tag mismatch was. One search for `malloc` chunks and
//! cache objects alike: each source only says which blocks lie around the
//! address (`Neighbourhood`: the allocator's chunks, or the cache's slab
//! objects across slab boundaries), and the allocation history adds the
//! freed block the pointer may still point to. Then, in this order:
//!
//! 1. the block holding the address has the pointer's tag: freed, a
//!    use-after-free; live but the access runs past its end (the short
//!    granule's tail, or straddling the end), an overflow;
//! 2. a live block with the pointer's tag less than a granule away: the
//!    pointer ran off its end (overflow) or start (underflow);
//! 3. the history has a block freed since that held the address with the
//!    pointer's tag: a use-after-free through a stale pointer, whose memory
//!    now belongs to the block at the address;
//! 4. the nearest live block with the pointer's tag: overflow or underflow;
//! 5. the block holding the address is freed (with another tag): a
//!    use-after-free of that memory, through a pointer to an earlier block
//!    there that the history no longer has (a freed neighbour that happens
//!    to carry the pointer's tag is a worse guess: a stale pointer is far
//!    more common than one run off a freed block);
//! 6. the nearest freed block with the pointer's tag: use-after-free;
//! 7. memory given back to the OS (a released slab): use-after-free;
//! 8. else a plain tag-mismatch, about the block at the address if any.
//!
//! "Nearest" is one distance for every report (`Block::distance`): bytes
//! from the first byte of the access to the block, on untagged addresses,
//! the number the report's "is located N bytes before/after" line prints.
//! Rule 2 before 3 is HWASan's order: an adjacent overflow is far likelier
//! than a stale pointer whose tag happens to match.

use crate::allocator::{ChunkInfo, ChunkState};
use crate::layout::{self, GRANULE_SIZE};
use crate::stack_depot::StackId;

/// Neighbours looked at on each side.
pub const NEIGHBOURS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Overflow,
    Underflow,
    UseAfterFree,
    Unknown,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::Overflow => "heap-buffer-overflow",
            Cause::Underflow => "heap-buffer-underflow",
            Cause::UseAfterFree => "use-after-free",
            Cause::Unknown => "tag-mismatch",
        }
    }
}

/// What an object cache adds about one of its objects (its wording in
/// reports: cache name and traits, object and slab state).
#[derive(Clone, Copy, Debug)]
pub struct CacheObject {
    pub cache: &'static crate::cache::Cache,
    /// The object's state (`cache::slab::LIVE`, ...).
    pub state: u8,
    /// Its slab's state (`cache::slab::ACTIVE`, ...).
    pub slab_state: u8,
    pub released_by: u8,
}

/// A block as reports see it: a `malloc` chunk or a cache object.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// Untagged address of its first byte.
    pub begin: usize,
    /// Bytes the program may use (requested size, object size).
    pub size: usize,
    pub tag: u8,
    /// Freed also for objects of a released slab.
    pub state: ChunkState,
    /// Its memory was given back to the OS: any access is a use after free.
    pub released: bool,
    pub alloc_stack: StackId,
    pub free_stack: StackId,
    pub cache: Option<CacheObject>,
}

impl Block {
    /// Placeholder for struct update syntax (never reported).
    const NONE: Block = Block {
        begin: 0,
        size: 0,
        tag: 0,
        state: ChunkState::Unused,
        released: false,
        alloc_stack: StackId(0),
        free_stack: StackId(0),
        cache: None,
    };

    pub fn from_chunk(c: &ChunkInfo) -> Block {
        Block {
            begin: c.begin,
            size: c.requested_size,
            tag: c.tag,
            state: c.state,
            released: false,
            alloc_stack: c.alloc_stack,
            free_stack: c.free_stack,
            cache: None,
        }
    }

    pub fn end(&self) -> usize {
        self.begin + self.size
    }

    /// The distance of reports: bytes from heap address `addr` (any alias)
    /// to this block, 0 inside it.
    pub fn distance(&self, addr: usize) -> usize {
        position(addr, self.begin, self.size).0
    }
}

/// Where heap address `addr` lies relative to the block of `size` bytes at
/// `begin` (any aliases: both are untagged first): (bytes, "before" /
/// "inside" / "after").
pub fn position(addr: usize, begin: usize, size: usize) -> (usize, &'static str) {
    let (a, b) = (layout::untag(addr), layout::untag(begin));
    if a < b {
        (b - a, "before")
    } else if a < b + size {
        (a - b, "inside")
    } else {
        (a - b - size, "after")
    }
}

/// The blocks around an address: the one holding it (if any), then up to
/// `NEIGHBOURS` on each side, nearest first.
#[derive(Clone, Debug, Default)]
pub struct Neighbourhood {
    pub at: Option<Block>,
    pub before: Vec<Block>,
    pub after: Vec<Block>,
}

/// The verdict, and what the report describes.
#[derive(Clone, Copy, Debug)]
pub struct Classified {
    pub cause: Cause,
    /// The block the report is about.
    pub block: Option<Block>,
    /// `block` comes from the history: it was freed and its memory reused.
    pub stale: bool,
    /// With `stale`: the block that holds the address now, if any.
    pub now: Option<Block>,
    /// Rule 5: `block` holds the address but has another tag than the
    /// pointer, which comes from an earlier block there.
    pub earlier: bool,
}

impl Classified {
    fn about(cause: Cause, block: Block) -> Classified {
        Classified {
            cause,
            block: Some(block),
            stale: false,
            now: None,
            earlier: false,
        }
    }
}

/// The nearest block with tag `ptr_tag` in state `state`, and whether the
/// access would have run off its end (a block before) or start (after).
fn nearest(
    addr: usize,
    ptr_tag: u8,
    n: &Neighbourhood,
    state: ChunkState,
) -> Option<(Cause, Block)> {
    let want = |b: &&Block| b.tag == ptr_tag && b.state == state;
    let before = n.before.iter().find(want);
    let after = n.after.iter().find(want);
    match (before, after) {
        (Some(b), Some(a)) if a.distance(addr) < b.distance(addr) => Some((Cause::Underflow, *a)),
        (Some(b), _) => Some((Cause::Overflow, *b)),
        (None, Some(a)) => Some((Cause::Underflow, *a)),
        (None, None) => None,
    }
}

/// Classifies an access of `size` bytes at untagged heap address `addr`
/// through a pointer tagged `ptr_tag`, given the blocks around it and the
/// freed block the history has for the address (`stale`), following the
/// rules of the module head.
pub fn decide(
    addr: usize,
    size: usize,
    ptr_tag: u8,
    n: &Neighbourhood,
    stale: Option<Block>,
) -> Classified {
    if let Some(c) = n.at.filter(|c| c.tag == ptr_tag) {
        match c.state {
            ChunkState::Freed => return Classified::about(Cause::UseAfterFree, c),
            ChunkState::Live if addr + size.max(1) > c.end() => {
                return Classified::about(Cause::Overflow, c)
            }
            _ => {}
        }
    }
    let live = nearest(addr, ptr_tag, n, ChunkState::Live);
    if let Some((cause, b)) = live.filter(|(_, b)| b.distance(addr) < GRANULE_SIZE) {
        return Classified::about(cause, b);
    }
    if let Some(s) = stale {
        return Classified {
            stale: true,
            now: n.at,
            ..Classified::about(Cause::UseAfterFree, s)
        };
    }
    if let Some((cause, b)) = live {
        return Classified::about(cause, b);
    }
    if let Some(c) = n.at.filter(|c| c.state == ChunkState::Freed && !c.released) {
        return Classified {
            earlier: true,
            ..Classified::about(Cause::UseAfterFree, c)
        };
    }
    if let Some((_, b)) = nearest(addr, ptr_tag, n, ChunkState::Freed) {
        return Classified::about(Cause::UseAfterFree, b);
    }
    if let Some(c) = n.at.filter(|c| c.released) {
        return Classified::about(Cause::UseAfterFree, c);
    }
    Classified {
        block: n.at,
        ..Classified::about(Cause::Unknown, n.at.unwrap_or(Block::NONE))
    }
}

/// Bytes probed on each side for a chunk when the address itself is in
/// no chunk the allocator knows (a never-used slot, a gap).
const PROBE_BYTES: usize = 4096;

/// Up to `NEIGHBOURS` chunks from `first` on, following `next`.
fn chain(first: Option<ChunkInfo>, next: fn(&ChunkInfo) -> Option<ChunkInfo>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur = first;
    while let Some(c) = cur {
        if out.len() == NEIGHBOURS {
            break;
        }
        out.push(Block::from_chunk(&c));
        cur = next(&c);
    }
    out
}

/// The nearest chunk the allocator knows within `PROBE_BYTES` of `addr`,
/// searching down (`down`) or up granule by granule.
fn probe(addr: usize, down: bool) -> Option<ChunkInfo> {
    (1..=PROBE_BYTES / GRANULE_SIZE).find_map(|k| {
        let a = if down {
            addr.checked_sub(k * GRANULE_SIZE)?
        } else {
            addr + k * GRANULE_SIZE
        };
        crate::allocator::chunk_at(a).filter(|c| if down { c.begin < addr } else { c.begin > addr })
    })
}

/// The allocator's chunks around untagged heap address `addr`.
fn heap_neighbourhood(addr: usize) -> Neighbourhood {
    use crate::allocator::{chunk_after, chunk_at, chunk_before};
    let at = chunk_at(addr);
    let (before, after) = match at {
        Some(c) => (
            chain(chunk_before(&c), chunk_before),
            chain(chunk_after(&c), chunk_after),
        ),
        None => (
            chain(probe(addr, true), chunk_before),
            chain(probe(addr, false), chunk_after),
        ),
    };
    Neighbourhood {
        at: at.map(|c| Block::from_chunk(&c)),
        before,
        after,
    }
}

/// The blocks around heap address `addr` (any alias), from the cache
/// holding it or else the allocator.
pub fn neighbourhood(addr: usize) -> Neighbourhood {
    let a = layout::untag(addr);
    crate::cache::describe::neighbourhood(a).unwrap_or_else(|| heap_neighbourhood(a))
}

/// The block at heap address `addr` (any alias) now, if any.
pub fn block_at(addr: usize) -> Option<Block> {
    let a = layout::untag(addr);
    match crate::cache::describe::neighbourhood(a) {
        Some(n) => n.at,
        None => crate::allocator::chunk_at(a).map(|c| Block::from_chunk(&c)),
    }
}

/// The block the history has for `f`, described as `now` (the block at the
/// same place now) would be: a cache object keeps its cache's wording.
fn from_history(f: &crate::history::Freed, now: Option<&Block>) -> Block {
    Block {
        begin: f.begin,
        size: f.size,
        tag: f.tag,
        state: ChunkState::Freed,
        released: false,
        alloc_stack: f.alloc_stack,
        free_stack: f.free_stack,
        cache: now.and_then(|b| b.cache).map(|c| CacheObject {
            state: crate::cache::slab::FREE,
            ..c
        }),
    }
}

/// A freed block the pointer `addr` (tagged) may still point to, from the
/// history, unless it is the block at the address now (same start and
/// tag), which its own metadata describes better.
pub fn stale_block(addr: usize, now: Option<&Block>) -> Option<Block> {
    let f = crate::history::freed_block_at(addr)?;
    if now.is_some_and(|b| b.begin == f.begin && b.tag == f.tag) {
        return None;
    }
    Some(from_history(&f, now))
}

/// For a free through `ptr` (tagged) that is no live block: the block the
/// history says `ptr` was the start of, if it was freed and its memory has
/// been reused or given back since (a double free through a stale pointer).
pub fn stale_start(ptr: usize) -> Option<(Block, Option<Block>)> {
    if !layout::is_heap(ptr) {
        return None;
    }
    let (a, tag) = (layout::untag(ptr), layout::ptr_tag(ptr));
    let f = crate::history::find_latest(|f| f.begin == a && f.tag == tag)?;
    let now = block_at(ptr);
    if now.is_some_and(|b| b.begin == f.begin && b.tag == f.tag) {
        return None;
    }
    Some((from_history(&f, now.as_ref()), now))
}

/// Classifies a tag mismatch of `size` bytes at tagged heap address `addr`.
pub fn classify(addr: usize, size: usize) -> Classified {
    let n = neighbourhood(addr);
    let stale = stale_block(addr, n.at.as_ref());
    decide(layout::untag(addr), size, layout::ptr_tag(addr), &n, stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(begin: usize, size: usize, tag: u8, state: ChunkState) -> Block {
        Block {
            begin,
            size,
            tag,
            state,
            released: false,
            alloc_stack: StackId(0),
            free_stack: StackId(0),
            cache: None,
        }
    }

    fn hood(at: Option<Block>, before: &[Block], after: &[Block]) -> Neighbourhood {
        Neighbourhood {
            at,
            before: before.to_vec(),
            after: after.to_vec(),
        }
    }

    fn decide_no_history(
        addr: usize,
        size: usize,
        tag: u8,
        at: Option<Block>,
        before: &[Block],
        after: &[Block],
    ) -> Classified {
        decide(addr, size, tag, &hood(at, before, after), None)
    }

    const LIVE: ChunkState = ChunkState::Live;
    const FREED: ChunkState = ChunkState::Freed;

    #[test]
    fn short_granule_tail_is_overflow_of_the_same_chunk() {
        let c = block(0x1000, 13, 3, LIVE);
        let r = decide_no_history(0x100d, 1, 3, Some(c), &[], &[]);
        assert_eq!(r.cause, Cause::Overflow);
        assert_eq!(r.block.unwrap().begin, 0x1000);
    }

    #[test]
    fn straddling_the_end_is_overflow() {
        let c = block(0x1000, 13, 3, LIVE);
        assert_eq!(
            decide_no_history(0x100c, 4, 3, Some(c), &[], &[]).cause,
            Cause::Overflow
        );
    }

    #[test]
    fn freed_with_same_tag_is_use_after_free() {
        let c = block(0x1000, 40, 5, FREED);
        let r = decide_no_history(0x1004, 1, 5, Some(c), &[], &[]);
        assert_eq!(r.cause, Cause::UseAfterFree);
    }

    #[test]
    fn neighbour_before_is_overflow_after_is_underflow() {
        let at = block(0x1010, 16, 6, LIVE);
        let before = [block(0x1000, 16, 2, LIVE)];
        let after = [block(0x1020, 16, 4, LIVE)];
        let r = decide_no_history(0x1010, 1, 2, Some(at), &before, &after);
        assert_eq!((r.cause, r.block.unwrap().begin), (Cause::Overflow, 0x1000));
        let r = decide_no_history(0x1018, 1, 4, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::Underflow, 0x1020)
        );
    }

    #[test]
    fn nearest_matching_neighbour_wins() {
        let at = block(0x1020, 16, 6, LIVE);
        let before = [block(0x1010, 16, 1, LIVE), block(0x1000, 16, 2, LIVE)];
        let after = [block(0x1030, 16, 2, LIVE)];
        let r = decide_no_history(0x102c, 1, 2, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::Underflow, 0x1030)
        );
    }

    #[test]
    fn nearest_is_measured_in_bytes_not_in_blocks() {
        // One big block just before, two small ones after: the byte
        // distance decides, whatever the count of blocks in between.
        let at = block(0x2000, 16, 6, LIVE);
        let before = [block(0x1000, 0x1000, 2, LIVE)];
        let after = [block(0x2010, 16, 7, LIVE), block(0x2100, 16, 2, LIVE)];
        let r = decide_no_history(0x2008, 1, 2, Some(at), &before, &after);
        assert_eq!((r.cause, r.block.unwrap().begin), (Cause::Overflow, 0x1000));
        assert_eq!(r.block.unwrap().distance(0x2008), 8);
    }

    #[test]
    fn live_match_preferred_over_freed() {
        let at = block(0x1010, 16, 6, LIVE);
        let before = [block(0x1000, 16, 2, FREED)];
        let after = [block(0x1020, 16, 7, LIVE), block(0x1030, 16, 2, LIVE)];
        let r = decide_no_history(0x1010, 1, 2, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::Underflow, 0x1030)
        );
    }

    #[test]
    fn no_match_is_tag_mismatch_about_the_chunk_at() {
        let at = block(0x1010, 16, 6, LIVE);
        let r = decide_no_history(0x1010, 1, 1, Some(at), &[], &[]);
        assert_eq!(r.cause, Cause::Unknown);
        assert_eq!(r.block.unwrap().begin, 0x1010);
        assert_eq!(
            decide_no_history(0x1010, 1, 1, None, &[], &[]).cause,
            Cause::Unknown
        );
    }

    #[test]
    fn a_stale_block_from_the_history_is_a_use_after_free_with_the_new_owner() {
        let now = block(0x1000, 40, 6, LIVE);
        let old = block(0x1000, 24, 3, FREED);
        let far = [block(0x1400, 16, 3, LIVE)];
        let r = decide(0x1008, 4, 3, &hood(Some(now), &[], &far), Some(old));
        assert_eq!(r.cause, Cause::UseAfterFree);
        assert!(r.stale);
        assert_eq!(r.block.unwrap().size, 24);
        assert_eq!(r.now.unwrap().tag, 6);
    }

    #[test]
    fn an_adjacent_overflow_beats_the_history() {
        let now = block(0x1010, 16, 6, LIVE);
        let before = [block(0x1000, 13, 3, LIVE)];
        let old = block(0x1010, 16, 3, FREED);
        let r = decide(0x1012, 1, 3, &hood(Some(now), &before, &[]), Some(old));
        assert_eq!((r.cause, r.stale), (Cause::Overflow, false));
        assert_eq!(r.block.unwrap().begin, 0x1000);
    }

    #[test]
    fn freed_memory_at_the_address_beats_a_freed_neighbour_with_the_tag() {
        // A stale pointer (tag 2) into memory freed again since (tag 6):
        // not the freed neighbour that happens to carry tag 2.
        let at = block(0x1020, 32, 6, FREED);
        let before = [block(0x1000, 32, 2, FREED)];
        let r = decide_no_history(0x1030, 4, 2, Some(at), &before, &[]);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::UseAfterFree, 0x1020)
        );
        assert!(r.earlier);
        // Live memory at the address: the freed neighbour is the guess.
        let at = block(0x1020, 32, 6, LIVE);
        let r = decide_no_history(0x1030, 4, 2, Some(at), &before, &[]);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::UseAfterFree, 0x1000)
        );
        assert!(!r.earlier);
    }

    #[test]
    fn released_memory_is_a_use_after_free() {
        let mut at = block(0x1000, 24, 6, FREED);
        at.released = true;
        let r = decide_no_history(0x1004, 1, 2, Some(at), &[], &[]);
        assert_eq!(
            (r.cause, r.block.unwrap().begin),
            (Cause::UseAfterFree, 0x1000)
        );
    }

    #[test]
    fn positions_are_computed_on_untagged_addresses() {
        let begin = layout::HEAP_BASE + 0x1000;
        let stale_ptr = layout::with_tag(begin - 16, 5);
        let block_ptr = layout::with_tag(begin, 3);
        assert_eq!(position(stale_ptr, block_ptr, 40), (16, "before"));
        assert_eq!(
            position(layout::with_tag(begin + 44, 1), begin, 40),
            (4, "after")
        );
        assert_eq!(
            position(layout::with_tag(begin + 4, 9), block_ptr, 40),
            (4, "inside")
        );
    }
}
