//! tagsan's object caches and RCU for Rust programs built with the plugin
//! (`rustc -Z llvm-plugins=libtagsan_pass.so`) and linked with
//! `libtagsan_rt.a`: declarations of the runtime's C ABI (see `tagsan.h`
//! for the semantics) and thin safe wrappers. Use it as a module:
//!
//! ```ignore
//! #[path = "/path/to/tagsan/runtime/include/tagsan.rs"]
//! mod tagsan;
//! let cache = tagsan::Cache::new("conn", 48, 8, 0, None).unwrap();
//! let obj = cache.alloc();
//! unsafe { cache.free(obj) };
//! ```
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_void, CString};

pub const TYPESAFE_BY_RCU: u32 = 1;

#[repr(C)]
pub struct RawCache {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub objects_created: u64,
    pub ctor_calls: u64,
    pub live_objects: u64,
    pub slabs: u64,
    pub object_size: u64,
    pub objects_per_slab: u64,
}

pub type Ctor = unsafe extern "C" fn(*mut c_void);

extern "C" {
    pub fn tagsan_cache_create(
        name: *const c_char,
        size: usize,
        align: usize,
        flags: u32,
        ctor: Option<Ctor>,
    ) -> *mut RawCache;
    pub fn tagsan_cache_alloc(cache: *mut RawCache) -> *mut c_void;
    pub fn tagsan_cache_free(cache: *mut RawCache, object: *mut c_void);
    pub fn tagsan_cache_shrink(cache: *mut RawCache) -> usize;
    pub fn tagsan_cache_destroy(cache: *mut RawCache);
    pub fn tagsan_cache_stats(cache: *mut RawCache, out: *mut Stats) -> c_int;
    pub fn tagsan_rcu_read_lock();
    pub fn tagsan_rcu_read_unlock();
    pub fn tagsan_synchronize_rcu();
    pub fn tagsan_rcu_barrier();
    pub fn tagsan_call_rcu(f: Option<unsafe extern "C" fn(*mut c_void)>, arg: *mut c_void);
}

/// A cache; destroyed on drop. Shareable between threads.
pub struct Cache(*mut RawCache);

unsafe impl Send for Cache {}
unsafe impl Sync for Cache {}

impl Cache {
    /// `None` for a bad size, alignment or flag (the runtime says why).
    pub fn new(
        name: &str,
        size: usize,
        align: usize,
        flags: u32,
        ctor: Option<Ctor>,
    ) -> Option<Cache> {
        let name = CString::new(name).ok()?;
        let c = unsafe { tagsan_cache_create(name.as_ptr(), size, align, flags, ctor) };
        (!c.is_null()).then_some(Cache(c))
    }

    /// A new object (null when out of memory).
    pub fn alloc(&self) -> *mut u8 {
        unsafe { tagsan_cache_alloc(self.0).cast() }
    }

    /// # Safety
    /// `obj` came from this cache and is not used after (unless the cache is
    /// TYPESAFE_BY_RCU and the use is inside a read-side section).
    pub unsafe fn free(&self, obj: *mut u8) {
        unsafe { tagsan_cache_free(self.0, obj.cast()) }
    }

    pub fn shrink(&self) -> usize {
        unsafe { tagsan_cache_shrink(self.0) }
    }

    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        unsafe { tagsan_cache_stats(self.0, &mut s) };
        s
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        unsafe { tagsan_cache_destroy(self.0) }
    }
}

/// A read-side critical section, left on drop (not `Send`: it belongs to
/// the thread that entered it).
pub struct ReadGuard(std::marker::PhantomData<*const ()>);

pub fn rcu_read_lock() -> ReadGuard {
    unsafe { tagsan_rcu_read_lock() };
    ReadGuard(std::marker::PhantomData)
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        unsafe { tagsan_rcu_read_unlock() }
    }
}

pub fn synchronize_rcu() {
    unsafe { tagsan_synchronize_rcu() }
}

pub fn rcu_barrier() {
    unsafe { tagsan_rcu_barrier() }
}
