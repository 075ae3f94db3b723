//! The C ABI (`runtime/include/tagsan.h`). Every entry point takes its
//! stack origin first thing (`Origin::of_caller` must be inlined into the
//! `extern "C"` function itself), so recorded stacks start in user code.

use super::*;
use core::ffi::{c_char, c_int, c_void, CStr};

/// Opaque handle: a `&'static Cache`.
pub type CacheT = Cache;

/// `tagsan_cache_create`: NULL (with a warning) for a bad size, alignment
/// or flag. `name` may be NULL; it is copied (up to 64 bytes).
///
/// # Safety
/// `name` is NULL or a C string; `ctor` is NULL or a function taking the
/// new object.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_create(
    name: *const c_char,
    object_size: usize,
    align: usize,
    flags: u32,
    ctor: Option<Ctor>,
) -> *mut CacheT {
    let name = if name.is_null() {
        &b"?"[..]
    } else {
        unsafe { CStr::from_ptr(name) }.to_bytes()
    };
    match create(name, object_size, align, flags, ctor) {
        Ok(c) => c as *const Cache as *mut Cache,
        Err(e) => {
            let why: &[u8] = match e {
                CreateError::BadSize => b"object size must be 1..=131072",
                CreateError::BadAlign => b"alignment must be 0 or a power of two <= 4096",
                CreateError::BadFlags => b"unknown flags",
            };
            crate::output::write_all(b"tagsan: warning: tagsan_cache_create: ");
            crate::output::write_all(why);
            crate::output::write_all(b"; returning NULL\n");
            core::ptr::null_mut()
        }
    }
}

unsafe fn cache(c: *mut CacheT) -> Option<&'static Cache> {
    unsafe { (c as *const Cache).as_ref() }
}

/// # Safety
/// `c` is NULL or from `tagsan_cache_create`.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_alloc(c: *mut CacheT) -> *mut c_void {
    let origin = Origin::of_caller();
    match unsafe { cache(c) } {
        Some(c) => alloc(c, origin).cast(),
        None => core::ptr::null_mut(),
    }
}

/// # Safety
/// `c` is NULL or from `tagsan_cache_create`.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_free(c: *mut CacheT, ptr: *mut c_void) {
    let origin = Origin::of_caller();
    match unsafe { cache(c) } {
        Some(c) => free(c, ptr.cast(), origin),
        None if !ptr.is_null() => crate::report::invalid_free(ptr as usize, origin),
        None => {}
    }
}

/// Releases empty slabs; returns how many were taken out of the cache.
///
/// # Safety
/// `c` is NULL or from `tagsan_cache_create`.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_shrink(c: *mut CacheT) -> usize {
    unsafe { cache(c) }.map_or(0, shrink)
}

/// # Safety
/// `c` is NULL or from `tagsan_cache_create`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_destroy(c: *mut CacheT) {
    if let Some(c) = unsafe { cache(c) } {
        destroy(c)
    }
}

/// Fills `*out` with the cache's counters; 0 on success, -1 for NULL.
///
/// # Safety
/// `c` is NULL or from `tagsan_cache_create`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tagsan_cache_stats(c: *mut CacheT, out: *mut Stats) -> c_int {
    match (unsafe { cache(c) }, out.is_null()) {
        (Some(c), false) => {
            unsafe { out.write(c.stats()) };
            0
        }
        _ => -1,
    }
}

#[no_mangle]
pub extern "C" fn tagsan_rcu_read_lock() {
    rcu::read_lock()
}

#[no_mangle]
pub extern "C" fn tagsan_rcu_read_unlock() {
    rcu::read_unlock()
}

#[no_mangle]
pub extern "C" fn tagsan_synchronize_rcu() {
    rcu::synchronize()
}

#[no_mangle]
pub extern "C" fn tagsan_rcu_barrier() {
    rcu::barrier()
}

/// `call_rcu`: `f(arg)` after a grace period, on the thread that completes
/// one (in `tagsan_synchronize_rcu`/`tagsan_rcu_barrier`).
///
/// # Safety
/// `f` may be called with `arg` from another thread.
#[no_mangle]
pub unsafe extern "C" fn tagsan_call_rcu(
    f: Option<unsafe extern "C" fn(*mut c_void)>,
    arg: *mut c_void,
) {
    if let Some(f) = f {
        rcu::call(f, arg)
    }
}
