//! malloc and friends, and C++ `operator new`/`delete` in all their forms.
//!
//! They are exported from the executable (the `--dynamic-list` build.rs
//! writes), so libc and every shared library allocate from the tagged heap
//! too. Each entry takes its `Origin` itself, so stacks start at the caller.
//!
//! Unit tests do not export them (`cfg_attr(not(test), no_mangle)`): the
//! test binary keeps the system malloc.

// The C++ operators keep their Itanium-mangled names.
#![allow(non_snake_case)]

use crate::allocator::{self, AllocKind};
use crate::unwind::Origin;
use core::ffi::c_void;

const MIN_ALIGN: usize = 16;
const PAGE: usize = 4096;

type Ptr = *mut c_void;

#[inline(always)]
fn alloc(size: usize, align: usize, kind: AllocKind, origin: Origin) -> Ptr {
    allocator::allocate(size, align.max(MIN_ALIGN), kind, false, origin).cast()
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn malloc(size: usize) -> Ptr {
    alloc(size, MIN_ALIGN, AllocKind::Malloc, Origin::of_caller())
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn free(p: Ptr) {
    if !p.is_null() {
        allocator::deallocate(p.cast(), AllocKind::Malloc, Origin::of_caller());
    }
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn cfree(p: Ptr) {
    if !p.is_null() {
        allocator::deallocate(p.cast(), AllocKind::Malloc, Origin::of_caller());
    }
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn calloc(n: usize, size: usize) -> Ptr {
    let origin = Origin::of_caller();
    let Some(total) = n.checked_mul(size) else {
        return allocator::fail("calloc parameters overflow", size, libc::ENOMEM, origin).cast();
    };
    allocator::allocate(total, MIN_ALIGN, AllocKind::Malloc, true, origin).cast()
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn realloc(p: Ptr, size: usize) -> Ptr {
    allocator::reallocate(p.cast(), size, Origin::of_caller()).cast()
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn reallocarray(p: Ptr, n: usize, size: usize) -> Ptr {
    let origin = Origin::of_caller();
    let Some(total) = n.checked_mul(size) else {
        return allocator::fail(
            "reallocarray parameters overflow",
            size,
            libc::ENOMEM,
            origin,
        )
        .cast();
    };
    allocator::reallocate(p.cast(), total, origin).cast()
}

/// Whether `align` is a valid alignment for memalign and aligned_alloc.
fn valid_align(align: usize) -> bool {
    align.is_power_of_two()
}

/// # Safety
/// `out` must be valid for a write.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn posix_memalign(out: *mut Ptr, align: usize, size: usize) -> i32 {
    let origin = Origin::of_caller();
    if !valid_align(align) || align % core::mem::size_of::<usize>() != 0 {
        let saved = unsafe { *libc::__errno_location() };
        allocator::fail(
            "invalid alignment requested in posix_memalign (it must be a power of two and a multiple of sizeof(void *))",
            align,
            libc::EINVAL,
            origin,
        );
        unsafe { *libc::__errno_location() = saved };
        return libc::EINVAL;
    }
    let saved = unsafe { *libc::__errno_location() };
    let p = alloc(size, align, AllocKind::Malloc, origin);
    if p.is_null() {
        unsafe { *libc::__errno_location() = saved };
        return libc::ENOMEM;
    }
    unsafe { *out = p };
    0
}

/// An allocation at a caller-chosen alignment: `align` must be a power of
/// two, else EINVAL (or a report saying `bad_align`).
fn alloc_aligned(bad_align: &str, align: usize, size: usize, origin: Origin) -> Ptr {
    if !valid_align(align) {
        return allocator::fail(bad_align, align, libc::EINVAL, origin).cast();
    }
    alloc(size, align, AllocKind::Malloc, origin)
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn aligned_alloc(align: usize, size: usize) -> Ptr {
    alloc_aligned(
        "invalid alignment requested in aligned_alloc",
        align,
        size,
        Origin::of_caller(),
    )
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn memalign(align: usize, size: usize) -> Ptr {
    alloc_aligned(
        "invalid alignment requested in memalign",
        align,
        size,
        Origin::of_caller(),
    )
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __libc_memalign(align: usize, size: usize) -> Ptr {
    alloc_aligned(
        "invalid alignment requested in memalign",
        align,
        size,
        Origin::of_caller(),
    )
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn valloc(size: usize) -> Ptr {
    alloc(size, PAGE, AllocKind::Malloc, Origin::of_caller())
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn pvalloc(size: usize) -> Ptr {
    let origin = Origin::of_caller();
    let Some(rounded) = size.max(1).checked_next_multiple_of(PAGE) else {
        return allocator::fail("pvalloc size overflow", size, libc::ENOMEM, origin).cast();
    };
    alloc(rounded, PAGE, AllocKind::Malloc, origin)
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn malloc_usable_size(p: Ptr) -> usize {
    allocator::live_block(p as usize).map_or(0, |(_, usable)| usable)
}

// C++. Throwing forms cannot throw from here: a failed allocation is
// reported (or, with allocator_may_return_null=1, returns null).

macro_rules! new_forms {
    ($($name:ident($($arg:ident: $ty:ty),*) => $kind:expr, $align:expr;)*) => {$(
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(size: usize $(, $arg: $ty)*) -> Ptr {
            $(let _ = $arg;)*
            alloc(size, $align, $kind, Origin::of_caller())
        }
    )*};
}

type Nothrow = *const c_void;

new_forms! {
    _Znwm() => AllocKind::New, MIN_ALIGN;
    _Znam() => AllocKind::NewArray, MIN_ALIGN;
    _ZnwmRKSt9nothrow_t(nt: Nothrow) => AllocKind::New, MIN_ALIGN;
    _ZnamRKSt9nothrow_t(nt: Nothrow) => AllocKind::NewArray, MIN_ALIGN;
}

macro_rules! aligned_new_forms {
    ($($name:ident($($arg:ident: $ty:ty),*) => $kind:expr;)*) => {$(
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(size: usize, align: usize $(, $arg: $ty)*) -> Ptr {
            $(let _ = $arg;)*
            let origin = Origin::of_caller();
            if !valid_align(align) {
                return allocator::fail("invalid alignment requested in operator new", align, libc::EINVAL, origin).cast();
            }
            alloc(size, align, $kind, origin)
        }
    )*};
}

aligned_new_forms! {
    _ZnwmSt11align_val_t() => AllocKind::New;
    _ZnamSt11align_val_t() => AllocKind::NewArray;
    _ZnwmSt11align_val_tRKSt9nothrow_t(nt: Nothrow) => AllocKind::New;
    _ZnamSt11align_val_tRKSt9nothrow_t(nt: Nothrow) => AllocKind::NewArray;
}

macro_rules! delete_forms {
    ($($name:ident($($arg:ident: $ty:ty),*) => $kind:expr;)*) => {$(
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(p: Ptr $(, $arg: $ty)*) {
            $(let _ = $arg;)*
            if !p.is_null() {
                allocator::deallocate(p.cast(), $kind, Origin::of_caller());
            }
        }
    )*};
}

delete_forms! {
    _ZdlPv() => AllocKind::New;
    _ZdaPv() => AllocKind::NewArray;
    _ZdlPvm(size: usize) => AllocKind::New;
    _ZdaPvm(size: usize) => AllocKind::NewArray;
    _ZdlPvRKSt9nothrow_t(nt: Nothrow) => AllocKind::New;
    _ZdaPvRKSt9nothrow_t(nt: Nothrow) => AllocKind::NewArray;
    _ZdlPvSt11align_val_t(align: usize) => AllocKind::New;
    _ZdaPvSt11align_val_t(align: usize) => AllocKind::NewArray;
    _ZdlPvmSt11align_val_t(size: usize, align: usize) => AllocKind::New;
    _ZdaPvmSt11align_val_t(size: usize, align: usize) => AllocKind::NewArray;
    _ZdlPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: Nothrow) => AllocKind::New;
    _ZdaPvSt11align_val_tRKSt9nothrow_t(align: usize, nt: Nothrow) => AllocKind::NewArray;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{is_heap, ptr_tag};

    fn aligned(p: Ptr, a: usize) -> bool {
        !p.is_null() && p as usize % a == 0 && is_heap(p as usize) && ptr_tag(p as usize) != 0
    }

    #[test]
    fn every_entry_point_aligns_and_frees() {
        for size in [0, 1, 13, 100, 5000, 200_000] {
            let p = malloc(size);
            assert!(aligned(p, 16));
            assert_eq!(malloc_usable_size(p), size);
            free(p);
            let p = calloc(size, 3);
            assert!(aligned(p, 16));
            free(p);
            let p = valloc(size);
            assert!(aligned(p, PAGE));
            cfree(p);
            let p = pvalloc(size);
            assert!(aligned(p, PAGE));
            assert!(malloc_usable_size(p) >= PAGE);
            free(p);
            for a in [8, 16, 32, 64, 4096, 1 << 16, 1 << 20] {
                let mut out: Ptr = core::ptr::null_mut();
                assert_eq!(unsafe { posix_memalign(&mut out, a, size) }, 0);
                assert!(aligned(out, a), "posix_memalign({a}, {size})");
                free(out);
                for p in [
                    aligned_alloc(a, size),
                    memalign(a, size),
                    __libc_memalign(a, size),
                ] {
                    assert!(aligned(p, a), "align {a} size {size}");
                    free(p);
                }
                let p = _ZnwmSt11align_val_t(size, a);
                assert!(aligned(p, a));
                _ZdlPvSt11align_val_t(p, a);
                let p = _ZnamSt11align_val_tRKSt9nothrow_t(size, a, core::ptr::null());
                assert!(aligned(p, a));
                _ZdaPvmSt11align_val_t(p, size, a);
            }
            for (new, delete) in [
                (
                    _Znwm as extern "C" fn(usize) -> Ptr,
                    _ZdlPv as extern "C" fn(Ptr),
                ),
                (_Znam, _ZdaPv),
            ] {
                let p = new(size);
                assert!(aligned(p, 16));
                delete(p);
            }
            let p = _ZnwmRKSt9nothrow_t(size, core::ptr::null());
            assert!(aligned(p, 16));
            _ZdlPvm(p, size);
        }
    }

    #[test]
    fn realloc_family() {
        let p = realloc(core::ptr::null_mut(), 10) as *mut u8;
        unsafe { p.write(42) };
        let q = reallocarray(p.cast(), 100, 100) as *mut u8;
        assert!(aligned(q.cast(), 16));
        assert_eq!(unsafe { q.read() }, 42);
        free(q.cast());
        free(core::ptr::null_mut());
    }
}
