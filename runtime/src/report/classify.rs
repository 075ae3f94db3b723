//! Deciding what a tag mismatch on the heap was, from the allocator's
//! chunk info: the pointer's tag is compared with the tag each nearby
//! chunk had at its last allocation.
//!
//! - the chunk containing the address was freed, and had the pointer's tag:
//!   use-after-free;
//! - it is live with the pointer's tag but the access goes past its end
//!   (the short-granule tail, or an access straddling the end): overflow;
//! - else the nearest chunk before (after) with the pointer's tag: the
//!   pointer ran off its end (start): overflow (underflow);
//! - else a plain tag-mismatch, with whatever is known.

use crate::allocator::{ChunkInfo, ChunkState};

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

/// The cause and the chunk it is about (the one to describe).
#[derive(Clone, Copy, Debug)]
pub struct Classified {
    pub cause: Cause,
    pub chunk: Option<ChunkInfo>,
}

/// Classifies an access of `size` bytes at untagged heap address `addr`
/// through a pointer tagged `ptr_tag`. `before`/`after` are the neighbour
/// chunks, nearest first.
pub fn classify(
    addr: usize,
    size: usize,
    ptr_tag: u8,
    at: Option<ChunkInfo>,
    before: &[ChunkInfo],
    after: &[ChunkInfo],
) -> Classified {
    if let Some(c) = at {
        if c.tag == ptr_tag {
            match c.state {
                ChunkState::Freed => {
                    return Classified {
                        cause: Cause::UseAfterFree,
                        chunk: Some(c),
                    }
                }
                ChunkState::Live if addr + size.max(1) > c.begin + c.requested_size => {
                    return Classified {
                        cause: Cause::Overflow,
                        chunk: Some(c),
                    };
                }
                _ => {}
            }
        }
    }
    let live = |c: &&ChunkInfo| c.tag == ptr_tag && c.state == ChunkState::Live;
    let freed = |c: &&ChunkInfo| c.tag == ptr_tag && c.state == ChunkState::Freed;
    // Nearest live match on either side; a freed one only if no live one.
    for pick in [&live as &dyn Fn(&&ChunkInfo) -> bool, &freed] {
        let b = before.iter().find(pick);
        let a = after.iter().find(pick);
        let dist_b = b.map(|c| addr.saturating_sub(c.begin + c.requested_size));
        let dist_a = a.map(|c| c.begin.saturating_sub(addr));
        let choice = match (dist_b, dist_a) {
            (Some(db), Some(da)) if da < db => Some((Cause::Underflow, *a.unwrap())),
            (Some(_), _) => Some((Cause::Overflow, *b.unwrap())),
            (None, Some(_)) => Some((Cause::Underflow, *a.unwrap())),
            (None, None) => None,
        };
        if let Some((cause, c)) = choice {
            let cause = if c.state == ChunkState::Freed {
                Cause::UseAfterFree
            } else {
                cause
            };
            return Classified {
                cause,
                chunk: Some(c),
            };
        }
    }
    Classified {
        cause: Cause::Unknown,
        chunk: at,
    }
}

/// Bytes probed on each side for a chunk when the address itself is in
/// no chunk the allocator knows (a never-used slot, a gap).
const PROBE_BYTES: usize = 4096;

/// Up to `NEIGHBOURS` chunks from `first` on, following `next`.
fn chain(first: Option<ChunkInfo>, next: fn(&ChunkInfo) -> Option<ChunkInfo>) -> Vec<ChunkInfo> {
    let mut out = Vec::new();
    let mut cur = first;
    while let Some(c) = cur {
        if out.len() == NEIGHBOURS {
            break;
        }
        out.push(c);
        cur = next(&c);
    }
    out
}

/// The nearest chunk the allocator knows within `PROBE_BYTES` of `addr`,
/// searching down (`down`) or up granule by granule.
fn probe(addr: usize, down: bool) -> Option<ChunkInfo> {
    let g = crate::layout::GRANULE_SIZE;
    (1..=PROBE_BYTES / g).find_map(|k| {
        let a = if down {
            addr.checked_sub(k * g)?
        } else {
            addr + k * g
        };
        crate::allocator::chunk_at(a).filter(|c| if down { c.begin < addr } else { c.begin > addr })
    })
}

/// Collects the chunk at `addr` and up to `NEIGHBOURS` on each side from
/// the allocator, then classifies.
pub fn classify_heap(addr: usize, size: usize, ptr_tag: u8) -> Classified {
    use crate::allocator::{chunk_after, chunk_at, chunk_before};
    let untagged = crate::layout::untag(addr);
    let at = chunk_at(untagged);
    let (before, after) = match at {
        Some(c) => (
            chain(chunk_before(&c), chunk_before),
            chain(chunk_after(&c), chunk_after),
        ),
        None => (
            chain(probe(untagged, true), chunk_before),
            chain(probe(untagged, false), chunk_after),
        ),
    };
    classify(untagged, size, ptr_tag, at, &before, &after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocator::AllocKind;
    use crate::stack_depot::StackId;

    fn chunk(begin: usize, size: usize, req: usize, tag: u8, state: ChunkState) -> ChunkInfo {
        ChunkInfo {
            begin,
            chunk_size: size,
            requested_size: req,
            tag,
            state,
            kind: AllocKind::Malloc,
            alloc_stack: StackId(0),
            free_stack: StackId(0),
        }
    }

    #[test]
    fn short_granule_tail_is_overflow_of_the_same_chunk() {
        let c = chunk(0x1000, 16, 13, 3, ChunkState::Live);
        let r = classify(0x100d, 1, 3, Some(c), &[], &[]);
        assert_eq!(r.cause, Cause::Overflow);
        assert_eq!(r.chunk.unwrap().begin, 0x1000);
    }

    #[test]
    fn straddling_the_end_is_overflow() {
        let c = chunk(0x1000, 16, 13, 3, ChunkState::Live);
        assert_eq!(
            classify(0x100c, 4, 3, Some(c), &[], &[]).cause,
            Cause::Overflow
        );
    }

    #[test]
    fn freed_with_same_tag_is_use_after_free() {
        let c = chunk(0x1000, 48, 40, 5, ChunkState::Freed);
        let r = classify(0x1004, 1, 5, Some(c), &[], &[]);
        assert_eq!(r.cause, Cause::UseAfterFree);
    }

    #[test]
    fn neighbour_before_is_overflow_after_is_underflow() {
        let at = chunk(0x1010, 16, 16, 6, ChunkState::Live);
        let before = [chunk(0x1000, 16, 16, 2, ChunkState::Live)];
        let after = [chunk(0x1020, 16, 16, 4, ChunkState::Live)];
        let r = classify(0x1010, 1, 2, Some(at), &before, &after);
        assert_eq!((r.cause, r.chunk.unwrap().begin), (Cause::Overflow, 0x1000));
        let r = classify(0x1018, 1, 4, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.chunk.unwrap().begin),
            (Cause::Underflow, 0x1020)
        );
    }

    #[test]
    fn nearest_matching_neighbour_wins() {
        let at = chunk(0x1020, 16, 16, 6, ChunkState::Live);
        let before = [
            chunk(0x1010, 16, 16, 1, ChunkState::Live),
            chunk(0x1000, 16, 16, 2, ChunkState::Live),
        ];
        let after = [chunk(0x1030, 16, 16, 2, ChunkState::Live)];
        let r = classify(0x102c, 1, 2, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.chunk.unwrap().begin),
            (Cause::Underflow, 0x1030)
        );
    }

    #[test]
    fn live_match_preferred_over_freed() {
        let at = chunk(0x1010, 16, 16, 6, ChunkState::Live);
        let before = [chunk(0x1000, 16, 16, 2, ChunkState::Freed)];
        let after = [
            chunk(0x1020, 16, 16, 7, ChunkState::Live),
            chunk(0x1030, 16, 16, 2, ChunkState::Live),
        ];
        let r = classify(0x1010, 1, 2, Some(at), &before, &after);
        assert_eq!(
            (r.cause, r.chunk.unwrap().begin),
            (Cause::Underflow, 0x1030)
        );
    }

    #[test]
    fn no_match_is_tag_mismatch_about_the_chunk_at() {
        let at = chunk(0x1010, 16, 16, 6, ChunkState::Live);
        let r = classify(0x1010, 1, 1, Some(at), &[], &[]);
        assert_eq!(r.cause, Cause::Unknown);
        assert_eq!(r.chunk.unwrap().begin, 0x1010);
        assert_eq!(classify(0x1010, 1, 1, None, &[], &[]).cause, Cause::Unknown);
    }
}
