//! Slab math, the cache region of heap offset space, and per-object
//! metadata.
//!
//! Invariants (unit-tested below):
//! - caches own heap offsets `[CACHE_BEGIN, CACHE_END)`, between the last
//!   size-class region and the large region, so no malloc chunk can ever
//!   alias a slab (checked at compile time against `size_class`);
//! - a slab is `bytes` long, a multiple of `UNIT`, and starts `UNIT`-aligned;
//!   its object `i` is at `base + i * stride`; `stride` is a multiple of the
//!   granule and of the requested alignment, so every object has granules
//!   of its own (its own tag) and `bytes / stride >= MIN_OBJECTS`;
//! - `SLOTS[(off - CACHE_BEGIN) / UNIT]` names the slab record covering
//!   `off` (null if none): address → slab → object index is O(1) and
//!   lock-free, which `cache_free` and reports rely on;
//! - a slot's record is replaced only when its offsets are reused, which
//!   happens only after `RELEASED_KEPT` later releases (so reports can still
//!   name a recently released slab) and after the bump pointer reached the
//!   end of the region (so offsets are not reused while it has fresh ones).

use crate::allocator::size_class::{LARGE_BEGIN, NUM_CLASSES, REGION_SHIFT};
use crate::sync::SpinLock;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, Ordering};

/// First heap offset owned by object caches.
pub const CACHE_BEGIN: usize = 56 << REGION_SHIFT;
/// End of the cache region (the large region starts here).
pub const CACHE_END: usize = LARGE_BEGIN;
const _: () = assert!(
    NUM_CLASSES << REGION_SHIFT <= CACHE_BEGIN,
    "caches overlap the size-class regions"
);
const _: () = assert!(CACHE_BEGIN < CACHE_END);

/// Granularity of slabs (and of the slot table).
pub const UNIT: usize = 64 << 10;
/// Fewest objects a slab holds.
pub const MIN_OBJECTS: usize = 8;
/// Largest object a cache serves (as `MAX_SMALL`: beyond, use malloc).
pub const MAX_OBJECT: usize = 1 << 17;
/// Largest alignment a cache serves (slabs are `UNIT` aligned).
pub const MAX_ALIGN: usize = 4096;
/// Released slab records kept for reports before their offsets are reused.
pub const RELEASED_KEPT: usize = 256;

const SLOT_COUNT: usize = (CACHE_END - CACHE_BEGIN) / UNIT;

/// How a cache lays out its slabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub object_size: usize,
    /// Distance between objects: `object_size` rounded up to the granule and
    /// to the alignment.
    pub stride: usize,
    /// Bytes of one slab (a multiple of `UNIT`).
    pub bytes: usize,
    /// Objects per slab.
    pub count: usize,
}

impl Geometry {
    /// The layout for objects of `size` bytes aligned to `align` (0 means
    /// the granule); `None` if the size or alignment is not served.
    pub fn new(size: usize, align: usize) -> Option<Geometry> {
        let align = if align == 0 {
            crate::layout::GRANULE_SIZE
        } else {
            align
        };
        if !align.is_power_of_two() || align > MAX_ALIGN || size > MAX_OBJECT {
            return None;
        }
        let stride = size
            .max(1)
            .next_multiple_of(align.max(crate::layout::GRANULE_SIZE));
        let bytes = (stride * MIN_OBJECTS).next_multiple_of(UNIT);
        Some(Geometry {
            object_size: size,
            stride,
            bytes,
            count: bytes / stride,
        })
    }
}

/// The tag of object `idx` of a slab whose tags start at `base`, for caches
/// whose tags are fixed when the slab is made (constructor or RCU): one
/// apart per index, so neighbours always differ (there are at least 7 tags).
pub const fn stable_tag(base: u8, idx: usize, max_tag: u8) -> u8 {
    ((base as usize + idx) % max_tag as usize + 1) as u8
}

/// A `base` for `stable_tag` such that the first object differs from the
/// tag `before` the slab and the last from the tag `after` it (0 = none),
/// starting the search at `random`.
pub fn stable_base(random: u32, count: usize, max_tag: u8, before: u8, after: u8) -> u8 {
    for i in 0..max_tag as u32 {
        let base = ((random + i) % max_tag as u32) as u8;
        if stable_tag(base, 0, max_tag) != before && stable_tag(base, count - 1, max_tag) != after {
            return base;
        }
    }
    // Unreachable with >= 3 tags; any base is still correct inside the slab.
    0
}

/// Granules looked across for the object next to a slab's edge object:
/// past a slab's slack (shorter than its objects), or far enough that an
/// access between the two is clearly nearer one of them.
const EDGE_PROBE_GRANULES: usize = 4;

/// The memory tag of the nearest granule from heap address `addr` on,
/// going down (`down`) or up, that was ever tagged, skipping never-tagged
/// granules (a slab's slack) for `EDGE_PROBE_GRANULES`: the tag of a live
/// object just across a slab boundary. 0 if none (or free).
pub fn tag_across_slack(addr: usize, down: bool) -> u8 {
    for k in 0..EDGE_PROBE_GRANULES {
        let a = if down {
            addr - k * crate::layout::GRANULE_SIZE
        } else {
            addr + k * crate::layout::GRANULE_SIZE
        };
        if crate::shadow::shadow_byte(a) != crate::layout::SHADOW_UNALLOCATED {
            return crate::shadow::granule_tag(a).unwrap_or(0);
        }
    }
    0
}

/// The tags slab `s`'s first and last objects must differ from (0: none):
/// those of the objects just across its edges, in the slabs ending where it
/// begins and beginning where it ends, whose tags may be fixed (from their
/// metadata), else the memory tags there.
pub fn tags_around(s: &Slab) -> (u8, u8) {
    let last = |p: &Slab| p.objs[p.geometry.count - 1].tag.load(Ordering::Relaxed);
    let first = |n: &Slab| n.objs[0].tag.load(Ordering::Relaxed);
    let (before, after) = with_records(|| {
        (
            lookup(s.base - 1).map(last),
            lookup(s.base + s.geometry.bytes).map(first),
        )
    });
    (
        before.unwrap_or_else(|| tag_across_slack(s.base - crate::layout::GRANULE_SIZE, true)),
        after.unwrap_or_else(|| tag_across_slack(s.base + s.geometry.bytes, false)),
    )
}

/// Object states (`ObjMeta::state`).
pub const UNUSED: u8 = 0;
pub const LIVE: u8 = 1;
pub const FREE: u8 = 2;
/// Freed TYPESAFE_BY_RCU object under `slab_rcu_debug`: still readable,
/// retagged (and reusable) after a grace period.
pub const FREE_PENDING: u8 = 3;

/// What the runtime knows of one object. Written by the thread that owns the
/// object (allocating or freeing it); read racily by reports.
#[derive(Default)]
pub struct ObjMeta {
    pub tag: AtomicU8,
    pub state: AtomicU8,
    pub alloc_stack: AtomicU32,
    pub free_stack: AtomicU32,
}

/// Slab states.
pub const ACTIVE: u8 = 0;
/// Taken out of its cache, released after a grace period (RCU caches).
pub const RELEASE_PENDING: u8 = 1;
pub const RELEASED: u8 = 2;

/// Why a slab was released.
pub const BY_SHRINK: u8 = 1;
pub const BY_DESTROY: u8 = 2;

/// One slab's record. Lives (in runtime memory) from the slab's creation
/// until `RELEASED_KEPT` releases after its own.
pub struct Slab {
    /// The owning cache; caches are never freed, so this stays valid.
    pub cache: *const super::Cache,
    /// Untagged (alias-0) address of object 0.
    pub base: usize,
    pub geometry: Geometry,
    /// Objects handed out and not yet back on the cache's free list; only
    /// changed under the cache's lock (so `shrink` sees a settled count).
    pub inuse: AtomicU32,
    pub state: AtomicU8,
    pub released_by: AtomicU8,
    pub objs: Box<[ObjMeta]>,
}

unsafe impl Send for Slab {}
unsafe impl Sync for Slab {}

impl Slab {
    /// The index of the object holding untagged address `addr` (which must
    /// be in this slab) and whether `addr` is past the last object.
    pub fn index_of(&self, addr: usize) -> usize {
        (addr - self.base) / self.geometry.stride
    }

    pub fn object(&self, idx: usize) -> usize {
        self.base + idx * self.geometry.stride
    }

    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.base && addr < self.base + self.geometry.bytes
    }
}

struct Region {
    /// Next never-used offset.
    bump: usize,
    /// Released extents whose records were dropped: (offset, bytes).
    holes: Vec<(usize, usize)>,
    /// Released slabs whose records are still kept, oldest first.
    released: std::collections::VecDeque<*const Slab>,
}

unsafe impl Send for Region {}

static REGION: SpinLock<Region> = SpinLock::new(Region {
    bump: CACHE_BEGIN,
    holes: Vec::new(),
    released: std::collections::VecDeque::new(),
});

/// The slot table (null until the first slab).
static SLOTS: AtomicPtr<AtomicPtr<Slab>> = AtomicPtr::new(core::ptr::null_mut());

fn slots() -> &'static [AtomicPtr<Slab>] {
    let p = SLOTS.load(Ordering::Acquire);
    if p.is_null() {
        return &[];
    }
    // Mapped once (zeroed: all null), never unmapped.
    unsafe { core::slice::from_raw_parts(p, SLOT_COUNT) }
}

fn slot_of(off: usize) -> Option<usize> {
    (CACHE_BEGIN..CACHE_END)
        .contains(&off)
        .then(|| (off - CACHE_BEGIN) / UNIT)
}

/// The slot table entries of the slab at heap offset `off` (`bytes` long).
fn slot_range(off: usize, bytes: usize) -> &'static [AtomicPtr<Slab>] {
    let first = slot_of(off).expect("slab inside the cache region");
    &slots()[first..first + bytes / UNIT]
}

/// The slab record covering heap address `addr` (any alias), if any.
pub fn lookup(addr: usize) -> Option<&'static Slab> {
    if !crate::layout::is_heap(addr) {
        return None;
    }
    let slot = slot_of(crate::layout::heap_offset(addr))?;
    let p = slots().get(slot)?.load(Ordering::Acquire);
    let slab = unsafe { p.as_ref()? };
    slab.contains(crate::layout::untag(addr)).then_some(slab)
}

/// Runs `f` while no slab record can be dropped, so it may `lookup` any
/// number of records, released ones included (reports).
pub fn with_records<R>(f: impl FnOnce() -> R) -> R {
    let _region = REGION.lock();
    f()
}

/// Whether heap address `addr` (any alias) is in the caches' part of the
/// heap.
pub fn in_cache_region(addr: usize) -> bool {
    crate::layout::is_heap(addr) && slot_of(crate::layout::heap_offset(addr)).is_some()
}

/// Reserves heap offsets for a slab of `bytes` and publishes `slab` (whose
/// `base` is filled in here) in the slot table. `None` when the region is
/// exhausted.
pub fn publish(mut slab: Box<Slab>) -> Option<&'static Slab> {
    let bytes = slab.geometry.bytes;
    let mut r = REGION.lock();
    if SLOTS.load(Ordering::Acquire).is_null() {
        let table =
            crate::internal_alloc::map(SLOT_COUNT * core::mem::size_of::<AtomicPtr<Slab>>());
        if table.is_null() {
            return None;
        }
        SLOTS.store(table.cast(), Ordering::Release);
    }
    let off = if r.bump + bytes <= CACHE_END {
        r.bump += bytes;
        r.bump - bytes
    } else {
        let i = r.holes.iter().position(|&(_, len)| len >= bytes)?;
        let (off, len) = r.holes[i];
        if len == bytes {
            r.holes.swap_remove(i);
        } else {
            r.holes[i] = (off + bytes, len - bytes);
        }
        off
    };
    slab.base = crate::layout::HEAP_BASE + off;
    let p = Box::into_raw(slab);
    for slot in slot_range(off, bytes) {
        slot.store(p, Ordering::Release);
    }
    drop(r);
    Some(unsafe { &*p })
}

/// Gives a slab's memory back to the OS: pages punched out of the heap file
/// and shadow dropped to 0, which no pointer tag matches, so every access
/// through an old pointer is reported. The record stays for reports.
pub fn release(slab: &'static Slab, by: u8) {
    let off = crate::layout::heap_offset(slab.base);
    let bytes = slab.geometry.bytes;
    slab.released_by.store(by, Ordering::Relaxed);
    crate::mapping::release_heap(off, bytes);
    crate::shadow::clear_large(slab.base, bytes);
    slab.state.store(RELEASED, Ordering::Release);
    let mut r = REGION.lock();
    r.released.push_back(slab);
    if r.released.len() > RELEASED_KEPT {
        let old = r.released.pop_front().expect("non-empty");
        let old = unsafe { Box::from_raw(old as *mut Slab) };
        let old_off = crate::layout::heap_offset(old.base);
        for slot in slot_range(old_off, old.geometry.bytes) {
            slot.store(core::ptr::null_mut(), Ordering::Release);
        }
        r.holes.push((old_off, old.geometry.bytes));
        drop(r);
        drop(old);
    }
}

/// Takes the region lock for `fork`.
pub fn fork_lock() {
    core::mem::forget(REGION.lock());
}

/// # Safety
/// Only after `fork_lock`, by the forking thread or in the child.
pub unsafe fn fork_unlock() {
    unsafe { REGION.force_unlock() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_gives_each_object_its_own_granules() {
        for size in [1, 8, 15, 16, 17, 40, 48, 100, 4096, 5000, MAX_OBJECT] {
            for align in [0, 8, 16, 64, 4096] {
                let g = Geometry::new(size, align).unwrap();
                assert_eq!(g.stride % 16, 0);
                assert_eq!(g.stride % align.max(1), 0);
                assert!(g.stride >= size && g.stride < size.max(1) + align.max(16));
                assert_eq!(g.bytes % UNIT, 0);
                assert!(g.count >= MIN_OBJECTS);
                assert!(g.count * g.stride <= g.bytes);
            }
        }
        assert_eq!(
            Geometry::new(48, 8).unwrap(),
            Geometry {
                object_size: 48,
                stride: 48,
                bytes: UNIT,
                count: 1365
            }
        );
        assert!(Geometry::new(48, 3).is_none());
        assert!(Geometry::new(48, 8192).is_none());
        assert!(Geometry::new(MAX_OBJECT + 1, 16).is_none());
    }

    #[test]
    fn stable_tags_differ_between_neighbours() {
        for max in [7u8, 15, 31, 63] {
            for base in 0..max {
                for idx in 0..200 {
                    let t = stable_tag(base, idx, max);
                    assert!(t >= 1 && t <= max);
                    assert_ne!(t, stable_tag(base, idx + 1, max));
                }
            }
        }
    }

    #[test]
    fn stable_base_avoids_the_tags_around_the_slab() {
        for r in 0..100u32 {
            for (before, after) in [(0, 0), (1, 1), (3, 5), (7, 7)] {
                let base = stable_base(r, 1365, 7, before, after);
                assert_ne!(stable_tag(base, 0, 7), before);
                assert_ne!(stable_tag(base, 1364, 7), after);
            }
        }
    }

    #[test]
    fn cache_region_is_inside_the_heap_and_outside_malloc() {
        const { assert!(CACHE_END <= crate::layout::HEAP_SIZE) };
        assert_eq!(CACHE_BEGIN % UNIT, 0);
        assert_eq!(slot_of(CACHE_BEGIN), Some(0));
        assert_eq!(slot_of(CACHE_END - 1), Some(SLOT_COUNT - 1));
        assert_eq!(slot_of(CACHE_END), None);
        assert!(crate::allocator::size_class::class_of_offset(CACHE_BEGIN).is_none());
    }
}
