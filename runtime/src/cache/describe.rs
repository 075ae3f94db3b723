//! What a report says about an address in a cache slab: the kind of error
//! and the object, cache and state, with the object's stacks as for malloc:
//!
//! ```text
//! 0x... is located 8 bytes after a 48-byte object in cache "conn" (constructor, typesafe-by-RCU)
//! object state: live
//! allocated by thread T0 here: ...
//! ```
//!
//! Classification mirrors `report::classify` (the object at the address,
//! then the nearest neighbour carrying the pointer's tag), but uses the
//! cache's own metadata and adds what the allocator cannot know: a slab
//! released by `cache_shrink`/`cache_destroy` makes any access a
//! use-after-free.

use super::slab::{self, Slab};
use super::Cache;
use crate::report::format::{print_stored_stack, Out};
use crate::stack_depot::StackId;
use core::fmt::Write;
use core::sync::atomic::Ordering;

/// Neighbours looked at on each side (as `report::classify`).
const NEIGHBOURS: usize = 8;

/// What was found about one access; a plain copy, so it can be printed after
/// the slab lock is dropped.
#[derive(Clone, Copy)]
pub struct Finding {
    pub kind: &'static str,
    /// Untagged start of the object described.
    pub object: usize,
    pub tag: u8,
    pub state: u8,
    pub slab_state: u8,
    pub released_by: u8,
    pub alloc_stack: u32,
    pub free_stack: u32,
    cache: &'static Cache,
}

impl Finding {
    pub fn cache(&self) -> &'static Cache {
        self.cache
    }
}

fn finding(s: &Slab, idx: usize, kind: &'static str) -> Finding {
    let m = &s.objs[idx];
    Finding {
        kind,
        object: s.object(idx),
        tag: m.tag.load(Ordering::Relaxed),
        state: m.state.load(Ordering::Acquire),
        slab_state: s.state.load(Ordering::Acquire),
        released_by: s.released_by.load(Ordering::Relaxed),
        alloc_stack: m.alloc_stack.load(Ordering::Relaxed),
        free_stack: m.free_stack.load(Ordering::Relaxed),
        cache: unsafe { &*s.cache },
    }
}

fn is_free(state: u8) -> bool {
    state == slab::FREE || state == slab::FREE_PENDING
}

/// Classifies a tag mismatch of `size` bytes at heap address `addr` through
/// a pointer tagged `ptr_tag`, if `addr` is in a cache slab.
pub fn classify(addr: usize, size: usize, ptr_tag: u8) -> Option<Finding> {
    let a = crate::layout::untag(addr);
    slab::with_slab(addr, |s| {
        let g = s.geometry;
        let at = s.index_of(a).min(g.count - 1);
        let tag_of = |i: usize| s.objs[i].tag.load(Ordering::Relaxed);
        let state_of = |i: usize| s.objs[i].state.load(Ordering::Acquire);
        if s.state.load(Ordering::Acquire) == slab::RELEASED {
            let near = (0..=NEIGHBOURS)
                .flat_map(|d| [at.checked_sub(d), Some(at + d)])
                .flatten();
            let idx = near
                .filter(|&i| i < g.count)
                .find(|&i| tag_of(i) == ptr_tag)
                .unwrap_or(at);
            return finding(s, idx, "use-after-free");
        }
        if tag_of(at) == ptr_tag && a >= s.object(at) {
            let st = state_of(at);
            if is_free(st) {
                return finding(s, at, "use-after-free");
            }
            if st == slab::LIVE && a + size.max(1) > s.object(at) + g.object_size {
                return finding(s, at, "heap-buffer-overflow");
            }
        }
        // Nearest neighbour with the pointer's tag, live ones first.
        for want_live in [true, false] {
            for d in 1..=NEIGHBOURS {
                let before = at.checked_sub(d);
                let after = Some(at + d).filter(|&i| i < g.count);
                for (i, kind) in [
                    (before, "heap-buffer-overflow"),
                    (after, "heap-buffer-underflow"),
                ] {
                    let Some(i) = i else { continue };
                    let st = state_of(i);
                    if tag_of(i) == ptr_tag && (st == slab::LIVE) == want_live && st != slab::UNUSED
                    {
                        return finding(s, i, if is_free(st) { "use-after-free" } else { kind });
                    }
                }
            }
        }
        finding(s, at, "tag-mismatch")
    })
}

/// The object at or containing `addr`, for double/invalid-free reports.
pub fn object_at(addr: usize) -> Option<Finding> {
    let a = crate::layout::untag(addr);
    slab::with_slab(addr, |s| {
        finding(s, s.index_of(a).min(s.geometry.count - 1), "object")
    })
}

fn state_text(f: &Finding) -> &'static str {
    match f.state {
        slab::LIVE => "live",
        slab::FREE if f.cache.is_rcu() && f.slab_state == slab::ACTIVE => {
            if crate::flags::flags().slab_rcu_debug {
                "freed, retagged after a grace period (slab_rcu_debug)"
            } else {
                "freed (type-stable: RCU readers may still read it)"
            }
        }
        slab::FREE => "freed",
        slab::FREE_PENDING => "freed, retag pending a grace period (slab_rcu_debug)",
        _ => "never allocated",
    }
}

fn slab_text(f: &Finding) -> &'static str {
    match (f.slab_state, f.released_by) {
        (slab::RELEASED, slab::BY_SHRINK) => "; its slab was released by cache_shrink",
        (slab::RELEASED, _) => "; its slab was released by cache_destroy",
        (slab::RELEASE_PENDING, _) => "; its slab is released after the next grace period",
        _ => "",
    }
}

/// Prints the object line, its state and its stacks.
pub fn print(out: &mut Out, addr: usize, f: &Finding) {
    let a = crate::layout::untag(addr);
    let size = f.cache.geometry.object_size;
    let begin = f.object;
    let (n, rel) = if a < begin {
        (begin - a, "before")
    } else if a < begin + size {
        (a - begin, "inside")
    } else {
        (a - begin - size, "after")
    };
    let _ = write!(
        out,
        "{addr:#x} is located {n} bytes {rel} a {size}-byte object in cache \"{}\"",
        f.cache.name()
    );
    match f.cache.traits() {
        "" => {
            let _ = writeln!(out);
        }
        t => {
            let _ = writeln!(out, " ({t})");
        }
    }
    let _ = writeln!(out, "object state: {}{}", state_text(f), slab_text(f));
    if is_free(f.state) {
        print_stored_stack(out, "freed", StackId(f.free_stack));
        let _ = writeln!(out);
        print_stored_stack(out, "previously allocated", StackId(f.alloc_stack));
    } else if f.state == slab::LIVE {
        print_stored_stack(out, "allocated", StackId(f.alloc_stack));
    }
}

/// For a report about `ptr`: prints the cache object it is in, if any.
/// Returns whether it printed.
pub fn print_object_at(out: &mut Out, ptr: usize) -> bool {
    match object_at(ptr) {
        Some(f) => {
            print(out, ptr, &f);
            true
        }
        None => false,
    }
}
