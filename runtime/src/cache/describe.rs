//! What reports say about cache objects. The classification itself is
//! `report::classify`'s, the same as for `malloc` chunks; this module only
//! supplies the objects around an address (`neighbourhood`, across slab
//! boundaries: an underflow before the first object of a slab is about that
//! object, not about objects of the slab before) and the cache's wording:
//!
//! ```text
//! 0x... is located 8 bytes after a 48-byte object in cache "conn" (constructor, typesafe-by-RCU)
//! object state: live
//! allocated by thread T0 here: ...
//! ```
//!
//! What the allocator cannot know is added here: an object of a slab
//! released by `cache_shrink`/`cache_destroy` counts as freed, and its
//! memory as given back (any access to it is a use-after-free).

use super::slab::{self, Slab};
use crate::allocator::ChunkState;
use crate::report::classify::{self, Block, CacheObject, Neighbourhood, NEIGHBOURS};
use crate::report::format::{print_stored_stack, Out};
use core::fmt::Write;
use core::sync::atomic::Ordering;

fn is_free(state: u8) -> bool {
    state == slab::FREE || state == slab::FREE_PENDING
}

/// Object `idx` of slab `s` as a block.
fn block(s: &Slab, idx: usize) -> Block {
    let m = &s.objs[idx];
    let state = m.state.load(Ordering::Acquire);
    let slab_state = s.state.load(Ordering::Acquire);
    let released = slab_state == slab::RELEASED;
    Block {
        begin: s.object(idx),
        size: s.geometry.object_size,
        tag: m.tag.load(Ordering::Relaxed),
        state: match state {
            slab::UNUSED => ChunkState::Unused,
            _ if released || is_free(state) => ChunkState::Freed,
            _ => ChunkState::Live,
        },
        released,
        alloc_stack: crate::stack_depot::StackId(m.alloc_stack.load(Ordering::Relaxed)),
        free_stack: crate::stack_depot::StackId(m.free_stack.load(Ordering::Relaxed)),
        cache: Some(CacheObject {
            // SAFETY: caches are never freed (see `cache`'s module head).
            cache: unsafe { &*s.cache },
            state,
            slab_state,
            released_by: s.released_by.load(Ordering::Relaxed),
        }),
    }
}

/// The slab just before `s` in the heap (ending where it begins), if any.
fn slab_before(base: usize) -> Option<&'static Slab> {
    slab::lookup(base - 1)
}

/// Up to `NEIGHBOURS` objects going down from object `idx` (excluded) of
/// `s`, then on through the slabs before it.
fn objects_down(mut s: Option<&'static Slab>, mut idx: usize, out: &mut Vec<Block>) {
    while let Some(slab) = s {
        while idx > 0 && out.len() < NEIGHBOURS {
            idx -= 1;
            out.push(block(slab, idx));
        }
        if out.len() == NEIGHBOURS {
            return;
        }
        s = slab_before(slab.base);
        idx = s.map_or(0, |s| s.geometry.count);
    }
}

/// Up to `NEIGHBOURS` objects going up from object `idx` (included) of
/// `s`, then on through the slabs after it.
fn objects_up(mut s: Option<&'static Slab>, mut idx: usize, out: &mut Vec<Block>) {
    while let Some(slab) = s {
        while idx < slab.geometry.count && out.len() < NEIGHBOURS {
            out.push(block(slab, idx));
            idx += 1;
        }
        if out.len() == NEIGHBOURS {
            return;
        }
        s = slab::lookup(slab.base + slab.geometry.bytes);
        idx = 0;
    }
}

/// The cache objects around untagged heap address `addr`, if it is in the
/// caches' part of the heap.
pub fn neighbourhood(addr: usize) -> Option<Neighbourhood> {
    if !slab::in_cache_region(addr) {
        return None;
    }
    Some(slab::with_records(|| {
        let mut n = Neighbourhood::default();
        match slab::lookup(addr) {
            Some(s) => {
                let idx = s.index_of(addr);
                if idx < s.geometry.count {
                    n.at = Some(block(s, idx));
                    objects_down(Some(s), idx, &mut n.before);
                    objects_up(Some(s), idx + 1, &mut n.after);
                } else {
                    // In the slack after the last object.
                    objects_down(Some(s), s.geometry.count, &mut n.before);
                    objects_up(slab::lookup(s.base + s.geometry.bytes), 0, &mut n.after);
                }
            }
            None => {
                // Between slabs: the ones ending and starting at the
                // nearest slab boundaries.
                let unit = addr & !(slab::UNIT - 1);
                let before = slab::lookup(unit.wrapping_sub(1));
                objects_down(
                    before,
                    before.map_or(0, |s| s.geometry.count),
                    &mut n.before,
                );
                objects_up(slab::lookup(unit + slab::UNIT), 0, &mut n.after);
            }
        }
        n
    }))
}

fn state_text(o: &CacheObject) -> &'static str {
    match o.state {
        slab::LIVE => "live",
        slab::FREE if o.cache.is_rcu() && o.slab_state == slab::ACTIVE => {
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

fn slab_text(o: &CacheObject) -> &'static str {
    match (o.slab_state, o.released_by) {
        (slab::RELEASED, slab::BY_SHRINK) => "; its slab was released by cache_shrink",
        (slab::RELEASED, _) => "; its slab was released by cache_destroy",
        (slab::RELEASE_PENDING, _) => "; its slab is released after the next grace period",
        _ => "",
    }
}

/// `object in cache "name" (traits)`: how reports name a cache object.
pub fn object_words(o: &CacheObject) -> impl core::fmt::Display + '_ {
    struct Words<'a>(&'a CacheObject);
    impl core::fmt::Display for Words<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "object in cache \"{}\"", self.0.cache.name())?;
            match self.0.cache.traits() {
                "" => Ok(()),
                t => write!(f, " ({t})"),
            }
        }
    }
    Words(o)
}

/// Prints the object line, its state and its stacks (`b` is a cache
/// object's block).
pub fn print(out: &mut Out, addr: usize, b: &Block, o: &CacheObject) {
    let (n, rel) = classify::position(addr, b.begin, b.size);
    let _ = writeln!(
        out,
        "{addr:#x} is located {n} bytes {rel} a {}-byte {}",
        b.size,
        object_words(o)
    );
    let _ = writeln!(out, "object state: {}{}", state_text(o), slab_text(o));
    if is_free(o.state) {
        print_stored_stack(out, "freed", b.free_stack);
        let _ = writeln!(out);
        print_stored_stack(out, "previously allocated", b.alloc_stack);
    } else if o.state == slab::LIVE {
        print_stored_stack(out, "allocated", b.alloc_stack);
    }
}
