//! Object caches (`kmem_cache` for user space) tagged as Linux's tag-based
//! KASAN tags slab caches, with a runtime-provided RCU.
//!
//! Tagging rules (one e2e test each, `tests/cache_*.rs`):
//! 1. plain cache (no constructor, not RCU): like malloc, a fresh tag per
//!    allocation (different from the neighbours' and the object's previous
//!    one), freed objects tagged `SHADOW_FREED`;
//! 2. constructor: it runs once per object, when its slab is made; the
//!    object's tag is fixed then (`slab::stable_tag`, one apart per index
//!    so neighbours differ) and restored on every allocation, so a pointer
//!    the constructor stored stays valid. A free object is still tagged
//!    freed while it is free (as KASAN poisons it);
//! 3. `TYPESAFE_BY_RCU`: tags fixed as in 2 and free does not retag, so an
//!    RCU reader may read a freed object; slabs go back to the OS only after
//!    a grace period (then every access is reported);
//! 4. `slab_rcu_debug=1` (SLUB_RCU_DEBUG): a freed RCU object stays readable
//!    and off the free list until a grace period has passed, then is tagged
//!    freed and becomes reusable;
//! 5. a `TYPESAFE_BY_RCU` cache without constructor gets a warning
//!    (`warn_rcu_without_ctor=0` silences it);
//! 6. `shrink` releases empty slabs, `destroy` all slabs (RCU caches: after a
//!    grace period); released memory has shadow 0, so every access through
//!    an old pointer is reported, and reports name the cache.
//!
//! Locking: allocation and free take no lock on their common path: each
//! thread keeps a magazine of free objects per cache (`magazine`). One spin
//! lock per cache guards its free list and slab list, taken to move half a
//! magazine at a time; the constructor runs with no lock held (it may
//! allocate). Object metadata is written by the thread that owns the object.
//! Lock order: cache, then the slab region, then internal memory.
//!
//! `Cache` records are never freed (a destroyed cache is marked so): slab
//! records and reports refer to them after destruction.

pub mod atfork;
pub mod describe;
pub mod ffi;
pub mod magazine;
pub mod rcu;
pub mod slab;

use crate::layout::*;
use crate::stack_depot;
use crate::sync::SpinLock;
use crate::unwind::Origin;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use slab::{Geometry, ObjMeta, Slab};

/// Cache flag: objects are type-stable across free (RCU readers may read a
/// freed object); slabs are released only after a grace period.
pub const TYPESAFE_BY_RCU: u32 = 1;
/// Every flag `create` accepts.
pub const KNOWN_FLAGS: u32 = TYPESAFE_BY_RCU;

/// A constructor: initializes a new object (once, when its slab is made).
pub type Ctor = unsafe extern "C" fn(*mut libc::c_void);

const NAME_MAX: usize = 64;

/// One object cache.
pub struct Cache {
    name: [u8; NAME_MAX],
    name_len: usize,
    pub geometry: Geometry,
    pub flags: u32,
    pub ctor: Option<Ctor>,
    inner: SpinLock<Inner>,
    destroyed: AtomicBool,
    /// Index of this cache's magazine in every thread's table.
    id: usize,
    /// Bumped by `shrink` and `destroy`: threads then flush (or forget)
    /// their magazines of this cache.
    epoch: AtomicU32,
    objects_created: AtomicU64,
    ctor_calls: AtomicU64,
    /// The cache registered before this one (`atfork`'s list).
    next: core::sync::atomic::AtomicPtr<Cache>,
}

struct Inner {
    /// Untagged addresses of free objects; the last is allocated next.
    free: Vec<usize>,
    /// Active slabs.
    slabs: Vec<&'static Slab>,
}

/// Ids handed to caches (never reused: a thread's magazine table is indexed
/// by them).
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// Counters of a cache (`tagsan_cache_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Stats {
    pub objects_created: u64,
    pub ctor_calls: u64,
    pub live_objects: u64,
    pub slabs: u64,
    pub object_size: u64,
    pub objects_per_slab: u64,
}

impl core::fmt::Debug for Cache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Cache({:?})", self.name())
    }
}

impl Cache {
    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    pub fn is_rcu(&self) -> bool {
        self.flags & TYPESAFE_BY_RCU != 0
    }

    /// Tags fixed at slab creation (constructor or RCU, as KASAN does).
    pub fn stable_tags(&self) -> bool {
        self.ctor.is_some() || self.is_rcu()
    }

    /// The cache's properties as reports print them: `constructor,
    /// typesafe-by-RCU` (empty for a plain cache).
    pub fn traits(&self) -> &'static str {
        match (self.ctor.is_some(), self.is_rcu()) {
            (true, true) => "constructor, typesafe-by-RCU",
            (true, false) => "constructor",
            (false, true) => "typesafe-by-RCU",
            (false, false) => "",
        }
    }

    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Takes the cache lock for `fork` (released by `unlock_after_fork`).
    fn lock_for_fork(&self) {
        core::mem::forget(self.inner.lock());
    }

    /// # Safety
    /// Only after `lock_for_fork`, by the forking thread or in the child.
    unsafe fn unlock_after_fork(&self) {
        unsafe { self.inner.force_unlock() }
    }

    pub fn stats(&self) -> Stats {
        let inner = self.inner.lock();
        Stats {
            objects_created: self.objects_created.load(Ordering::Relaxed),
            ctor_calls: self.ctor_calls.load(Ordering::Relaxed),
            live_objects: live_objects(&inner.slabs) as u64,
            slabs: inner.slabs.len() as u64,
            object_size: self.geometry.object_size as u64,
            objects_per_slab: self.geometry.count as u64,
        }
    }
}

/// Objects allocated and not freed in `slabs`, counted from their metadata
/// (so the fast paths keep no shared counter).
fn live_objects(slabs: &[&'static Slab]) -> usize {
    slabs
        .iter()
        .map(|s| {
            s.objs
                .iter()
                .filter(|m| m.state.load(Ordering::Relaxed) == slab::LIVE)
                .count()
        })
        .sum()
}

/// Why `create` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    BadSize,
    BadAlign,
    BadFlags,
}

/// Creates a cache. The returned reference lives forever (see the module
/// docs); `destroy` releases its memory.
pub fn create(
    name: &[u8],
    size: usize,
    align: usize,
    flags: u32,
    ctor: Option<Ctor>,
) -> Result<&'static Cache, CreateError> {
    crate::init::ensure_init();
    if flags & !KNOWN_FLAGS != 0 {
        return Err(CreateError::BadFlags);
    }
    if size == 0 || size > slab::MAX_OBJECT {
        return Err(CreateError::BadSize);
    }
    let geometry = Geometry::new(size, align).ok_or(CreateError::BadAlign)?;
    let mut n = [0u8; NAME_MAX];
    let len = name.len().min(NAME_MAX);
    n[..len].copy_from_slice(&name[..len]);
    let cache = Box::leak(Box::new(Cache {
        name: n,
        name_len: len,
        geometry,
        flags,
        ctor,
        inner: SpinLock::new(Inner {
            free: Vec::new(),
            slabs: Vec::new(),
        }),
        destroyed: AtomicBool::new(false),
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        epoch: AtomicU32::new(0),
        objects_created: AtomicU64::new(0),
        ctor_calls: AtomicU64::new(0),
        next: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
    }));
    atfork::register(cache);
    if cache.is_rcu() && ctor.is_none() && crate::flags::flags().warn_rcu_without_ctor {
        let mut out = crate::report::format::Out::new();
        use core::fmt::Write;
        let _ = writeln!(
            out,
            "tagsan: warning: cache \"{}\" is TYPESAFE_BY_RCU without a constructor: a reader of a freed and \
             reallocated object sees it re-initialized under its feet; such caches are rarely type-stable safely \
             (TAGSAN_OPTIONS=warn_rcu_without_ctor=0 silences this)",
            cache.name()
        );
    }
    Ok(cache)
}

/// Makes a new slab: tags its objects (stable tags), runs the constructor
/// on each, and puts them on the free list. No cache lock is held while the
/// constructor runs. False when the region is exhausted.
fn grow(cache: &'static Cache) -> bool {
    if cache.is_destroyed() {
        let mut out = crate::report::format::Out::new();
        use core::fmt::Write;
        let _ = writeln!(
            out,
            "tagsan: warning: allocation from destroyed cache \"{}\", returning NULL",
            cache.name()
        );
        return false;
    }
    let g = cache.geometry;
    let objs: Box<[ObjMeta]> = (0..g.count).map(|_| ObjMeta::default()).collect();
    let record = Box::new(Slab {
        cache,
        base: 0,
        geometry: g,
        inuse: Default::default(),
        state: Default::default(),
        released_by: Default::default(),
        objs,
    });
    let Some(s) = slab::publish(record) else {
        return false;
    };
    if cache.stable_tags() && tagging() {
        let (before, after) = slab::tags_around(s);
        let max = crate::tags::max_tag();
        let base = slab::stable_base(crate::tags::random(), g.count, max, before, after);
        for (i, m) in s.objs.iter().enumerate() {
            m.tag
                .store(slab::stable_tag(base, i, max), Ordering::Relaxed);
        }
    }
    if let Some(ctor) = cache.ctor {
        for (i, m) in s.objs.iter().enumerate() {
            let obj = s.object(i);
            let tag = m.tag.load(Ordering::Relaxed);
            // Live for the constructor (instrumented code checks its stores).
            if tag != 0 {
                crate::shadow::tag_block(obj, g.object_size, g.stride, tag, SHADOW_UNALLOCATED);
            }
            unsafe { ctor(with_tag(obj, tag) as *mut libc::c_void) };
            if tag != 0 {
                crate::shadow::set(obj, g.stride, SHADOW_FREED);
            }
        }
        cache
            .ctor_calls
            .fetch_add(g.count as u64, Ordering::Relaxed);
    } else if cache.stable_tags() {
        crate::shadow::set(s.base, g.count * g.stride, SHADOW_FREED);
    }
    cache
        .objects_created
        .fetch_add(g.count as u64, Ordering::Relaxed);
    let mut inner = cache.inner.lock();
    inner.slabs.push(s);
    // Lowest address allocated first.
    inner.free.extend((0..g.count).rev().map(|i| s.object(i)));
    true
}

fn tagging() -> bool {
    crate::flags::flags().tag_allocations
}

/// Moves up to `out.len()` objects from the cache's free list to `out`
/// (first out first), growing the cache when the list is empty; 0 when it
/// cannot grow. The objects count as in use (see `magazine`).
fn take_many(cache: &'static Cache, out: &mut [usize]) -> usize {
    loop {
        {
            let mut inner = cache.inner.lock();
            let n = out.len().min(inner.free.len());
            if n > 0 {
                for o in &mut out[..n] {
                    *o = inner.free.pop().expect("n <= len");
                    // Counted in use before the lock is dropped, or a
                    // concurrent `shrink` could release the slab under us.
                    let s = slab::lookup(*o).expect("free objects are in active slabs");
                    s.inuse.fetch_add(1, Ordering::Relaxed);
                }
                return n;
            }
        }
        if cache.is_rcu() && crate::flags::flags().slab_rcu_debug && rcu::pending() > 0 {
            // Objects waiting for their retag may be reusable by now.
            rcu::poll();
            if !cache.inner.lock().free.is_empty() {
                continue;
            }
        }
        if !grow(cache) {
            return 0;
        }
    }
}

/// Puts free objects back on the cache's free list.
fn put_back_many(cache: &Cache, objs: &[usize]) {
    if objs.is_empty() {
        return;
    }
    let mut inner = cache.inner.lock();
    for &o in objs {
        inner.free.push(o);
        if let Some(s) = slab::lookup(o) {
            s.inuse.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Allocates an object (its tagged pointer), or null if out of memory.
pub fn alloc(cache: &'static Cache, origin: Origin) -> *mut u8 {
    let Some(obj) = magazine::pop(cache) else {
        return core::ptr::null_mut();
    };
    // In use (see `magazine`), so its slab stays.
    let s = slab::lookup(obj).expect("free objects are in active slabs");
    let g = cache.geometry;
    let m = &s.objs[s.index_of(obj)];
    let tag = if !tagging() {
        0
    } else if cache.stable_tags() {
        m.tag.load(Ordering::Relaxed)
    } else {
        if m.state.load(Ordering::Relaxed) == slab::FREE {
            // The metadata is about to describe the new object (with a new
            // tag): the history keeps the old one. (Objects of caches with
            // fixed tags keep their tag, so no stale pointer mismatches.)
            crate::history::record(
                with_tag(obj, m.tag.load(Ordering::Relaxed)),
                g.object_size,
                stack_depot::StackId(m.alloc_stack.load(Ordering::Relaxed)),
                stack_depot::StackId(m.free_stack.load(Ordering::Relaxed)),
            );
        }
        // At a slab's edge the neighbour is an object of the next slab,
        // across the slab's slack.
        let idx = s.index_of(obj);
        let before = if idx == 0 {
            slab::tag_across_slack(obj - GRANULE_SIZE, true)
        } else {
            crate::shadow::granule_tag(obj - GRANULE_SIZE).unwrap_or(0)
        };
        let after = if idx + 1 == g.count {
            slab::tag_across_slack(obj + g.stride, false)
        } else {
            crate::shadow::granule_tag(obj + g.stride).unwrap_or(0)
        };
        crate::tags::choose([before, after, m.tag.load(Ordering::Relaxed)])
    };
    if tag != 0 {
        crate::shadow::tag_block(obj, g.object_size, g.stride, tag, SHADOW_UNALLOCATED);
    } else {
        crate::shadow::set(obj, g.stride, SHADOW_UNALLOCATED);
    }
    m.tag.store(tag, Ordering::Relaxed);
    m.alloc_stack
        .store(stack_depot::capture(origin).0, Ordering::Relaxed);
    m.state.store(slab::LIVE, Ordering::Release);
    with_tag(obj, tag) as *mut u8
}

/// Frees `ptr` (an object of `cache`); reports invalid and double frees.
pub fn free(cache: &'static Cache, ptr: *mut u8, origin: Origin) {
    let p = ptr as usize;
    if p == 0 {
        return;
    }
    // Objects of released slabs (a free after `destroy`) are invalid too:
    // putting them back would hand released memory out again.
    let Some(s) = slab::lookup(p).filter(|s| {
        core::ptr::eq(s.cache, cache) && s.state.load(Ordering::Acquire) == slab::ACTIVE
    }) else {
        return crate::report::invalid_cache_free(cache, p, origin);
    };
    let obj = untag(p);
    let idx = s.index_of(obj);
    if (obj - s.base) % cache.geometry.stride != 0 || idx >= s.geometry.count {
        return crate::report::invalid_cache_free(cache, p, origin);
    }
    let m = &s.objs[idx];
    if m.tag.load(Ordering::Relaxed) != ptr_tag(p) {
        return crate::report::invalid_cache_free(cache, p, origin);
    }
    if m.state
        .compare_exchange(slab::LIVE, slab::FREE, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        return match m.state.load(Ordering::Relaxed) {
            slab::UNUSED => crate::report::invalid_cache_free(cache, p, origin),
            _ => crate::report::double_free(p, origin),
        };
    }
    m.free_stack
        .store(stack_depot::capture(origin).0, Ordering::Relaxed);
    if cache.is_rcu() {
        if crate::flags::flags().slab_rcu_debug {
            m.state.store(slab::FREE_PENDING, Ordering::Release);
            rcu::call(retag_after_grace_period, obj as *mut libc::c_void);
            return;
        }
        // Type-stable: readers may still read it, so no retag.
    } else {
        crate::shadow::set(obj, cache.geometry.stride, SHADOW_FREED);
    }
    magazine::push(cache, obj);
}

/// `slab_rcu_debug`: a grace period after the free, the object is tagged
/// freed and becomes reusable (if its cache still holds its slab).
unsafe extern "C" fn retag_after_grace_period(arg: *mut libc::c_void) {
    let obj = arg as usize;
    let Some(s) = slab::lookup(obj) else { return };
    let m = &s.objs[s.index_of(obj)];
    if s.state.load(Ordering::Acquire) != slab::ACTIVE
        || m.state.load(Ordering::Acquire) != slab::FREE_PENDING
    {
        return;
    }
    let cache = unsafe { &*s.cache };
    crate::shadow::set(obj, cache.geometry.stride, SHADOW_FREED);
    m.state.store(slab::FREE, Ordering::Release);
    put_back_many(cache, &[obj]);
}

/// Releases `cache`'s empty slabs (RCU caches: after a grace period).
/// Returns how many slabs were taken out of the cache.
pub fn shrink(cache: &'static Cache) -> usize {
    // Other threads flush their magazines on their next use of the cache.
    cache.epoch.fetch_add(1, Ordering::AcqRel);
    magazine::flush(cache);
    let empty: Vec<&'static Slab> = {
        let mut inner = cache.inner.lock();
        let (empty, keep): (Vec<_>, Vec<_>) = inner
            .slabs
            .iter()
            .partition(|s| s.inuse.load(Ordering::Relaxed) == 0);
        inner.slabs = keep;
        // O(free objects): a free object stays if its slab has objects in use.
        inner
            .free
            .retain(|&o| slab::lookup(o).is_some_and(|s| s.inuse.load(Ordering::Relaxed) != 0));
        empty
    };
    for &s in &empty {
        retire(cache, s, slab::BY_SHRINK);
    }
    empty.len()
}

/// Releases every slab of `cache`, live objects or not, and marks it
/// destroyed (RCU caches: slabs released after a grace period).
pub fn destroy(cache: &'static Cache) {
    if cache.destroyed.swap(true, Ordering::AcqRel) {
        crate::output::write_all(b"tagsan: warning: cache destroyed twice, ignored\n");
        return;
    }
    cache.epoch.fetch_add(1, Ordering::AcqRel);
    magazine::forget(cache);
    let (slabs, live) = {
        let mut inner = cache.inner.lock();
        inner.free = Vec::new();
        let live = live_objects(&inner.slabs);
        (core::mem::take(&mut inner.slabs), live)
    };
    if live > 0 {
        let mut out = crate::report::format::Out::new();
        use core::fmt::Write;
        let _ = writeln!(
            out,
            "tagsan: warning: cache \"{}\" destroyed with {live} objects still allocated",
            cache.name()
        );
    }
    for s in slabs {
        retire(cache, s, slab::BY_DESTROY);
    }
}

fn retire(cache: &Cache, s: &'static Slab, by: u8) {
    s.released_by.store(by, Ordering::Relaxed);
    if cache.is_rcu() {
        s.state.store(slab::RELEASE_PENDING, Ordering::Release);
        rcu::call(
            release_after_grace_period,
            s as *const Slab as *mut libc::c_void,
        );
    } else {
        slab::release(s, by);
    }
}

unsafe extern "C" fn release_after_grace_period(arg: *mut libc::c_void) {
    let s = unsafe { &*(arg as *const Slab) };
    slab::release(s, s.released_by.load(Ordering::Relaxed));
}

/// A safe-ish Rust handle on a cache, for Rust code that links the runtime
/// crate itself (Rust programs built with the plugin use
/// `runtime/include/tagsan.rs` instead). Dropping it destroys the cache.
pub struct CacheHandle(&'static Cache);

impl CacheHandle {
    /// See `tagsan_cache_create`.
    pub fn new(
        name: &str,
        size: usize,
        align: usize,
        flags: u32,
        ctor: Option<Ctor>,
    ) -> Result<Self, CreateError> {
        create(name.as_bytes(), size, align, flags, ctor).map(CacheHandle)
    }

    /// A new object, null if out of memory.
    #[inline(never)]
    pub fn alloc(&self) -> *mut u8 {
        alloc(self.0, Origin::here())
    }

    /// Frees an object.
    ///
    /// # Safety
    /// `ptr` came from this cache's `alloc` (else a report, not UB, but the
    /// program ends with `halt_on_error`).
    #[inline(never)]
    pub unsafe fn free(&self, ptr: *mut u8) {
        free(self.0, ptr, Origin::here())
    }

    pub fn shrink(&self) -> usize {
        shrink(self.0)
    }

    pub fn stats(&self) -> Stats {
        self.0.stats()
    }

    pub fn cache(&self) -> &'static Cache {
        self.0
    }
}

impl Drop for CacheHandle {
    fn drop(&mut self) {
        destroy(self.0)
    }
}

/// A read-side critical section, left on drop.
pub struct RcuReadGuard(core::marker::PhantomData<*const ()>);

/// Enters a read-side section (`tagsan_rcu_read_lock`).
pub fn rcu_read() -> RcuReadGuard {
    rcu::read_lock();
    RcuReadGuard(core::marker::PhantomData)
}

impl Drop for RcuReadGuard {
    fn drop(&mut self) {
        rcu::read_unlock()
    }
}

pub use rcu::{barrier as rcu_barrier, synchronize as synchronize_rcu};

#[cfg(test)]
mod tests;
