//! The rest of the `__hwasan_*` interface, and `__hwasan_tls`. Names and
//! signatures are compiler-rt's (`hwasan_interface_internal.h`), so objects
//! built by clang's own HWASan pass link against this runtime.

use crate::layout::*;
use core::sync::atomic::{AtomicUsize, Ordering};

// clang's HWASan output declares `@__hwasan_tls = external
// thread_local(initialexec) global i64`; stable Rust cannot export a TLS
// symbol, so it is defined in assembly. Nothing reads it yet (it is where
// stack tagging would keep its per-thread ring buffer pointer).
core::arch::global_asm!(
    ".pushsection .tbss,\"awT\",@nobits",
    ".globl __hwasan_tls",
    ".type __hwasan_tls,@object",
    ".size __hwasan_tls,8",
    ".p2align 3",
    "__hwasan_tls:",
    ".zero 8",
    ".popsection",
);

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_init() {
    crate::init::ensure_init();
}

/// Tags the granules covering `size` bytes at `p` (granule aligned) with
/// `tag`. Whole granules, as compiler-rt does: no short granule, so the
/// memory itself is never written.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_tag_memory(p: usize, tag: u8, size: usize) {
    if !is_heap(p) || size == 0 {
        return;
    }
    crate::init::ensure_init();
    let begin = untag(p) & !(GRANULE_SIZE - 1);
    crate::shadow::set(begin, size, tag & TAG_MASK as u8);
}

/// `p` seen through alias `tag` (heap pointers only; others unchanged).
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_tag_pointer(p: usize, tag: u8) -> usize {
    if !is_heap(p) {
        return p;
    }
    with_tag(p, tag & crate::tags::max_tag())
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_generate_tag() -> u8 {
    crate::init::ensure_init();
    crate::tags::generate()
}

/// Offset of the first byte of `[p, p+size)` that `p`'s tag does not
/// reach, or -1 if all of it is accessible.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_test_shadow(p: *const u8, size: usize) -> isize {
    if !crate::init::is_initialized() {
        return -1;
    }
    crate::shadow::first_mismatch(p as usize, size).map_or(-1, |o| o as isize)
}

/// Prints the memory tags of `[p, p+size)`, one line per granule.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_print_shadow(p: *const u8, size: usize) {
    let addr = p as usize;
    let mut line = [0u8; 64];
    let w = |buf: &mut [u8], at: &mut usize, s: &[u8]| {
        buf[*at..*at + s.len()].copy_from_slice(s);
        *at += s.len();
    };
    let hex = |buf: &mut [u8], at: &mut usize, v: usize, digits: usize| {
        for i in (0..digits).rev() {
            buf[*at] = b"0123456789abcdef"[(v >> (i * 4)) & 15];
            *at += 1;
        }
    };
    let mut at = 0;
    w(&mut line, &mut at, b"HWASan shadow map for ");
    hex(&mut line, &mut at, addr, 12);
    w(&mut line, &mut at, b" (pointer tag ");
    hex(&mut line, &mut at, ptr_tag(addr) as usize, 2);
    w(&mut line, &mut at, b")\n");
    crate::output::write_all(&line[..at]);
    if !is_heap(addr) || !crate::init::is_initialized() {
        return;
    }
    let mut g = untag(addr) & !(GRANULE_SIZE - 1);
    while g < untag(addr) + size {
        let s = crate::shadow::shadow_byte(g);
        let mut at = 0;
        w(&mut line, &mut at, b"  ");
        hex(&mut line, &mut at, g, 12);
        w(&mut line, &mut at, b": ");
        hex(&mut line, &mut at, s as usize, 2);
        if is_short_granule(s) {
            w(&mut line, &mut at, b" (short, tag ");
            hex(
                &mut line,
                &mut at,
                unsafe { *((g | (GRANULE_SIZE - 1)) as *const u8) } as usize,
                2,
            );
            w(&mut line, &mut at, b")");
        }
        w(&mut line, &mut at, b"\n");
        crate::output::write_all(&line[..at]);
        g += GRANULE_SIZE;
    }
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_enable_allocator_tagging() {
    crate::allocator::set_tagging(true);
}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_disable_allocator_tagging() {
    crate::allocator::set_tagging(false);
}

/// The callback `__hwasan_set_error_report_callback` stored (0 = none).
static REPORT_CALLBACK: AtomicUsize = AtomicUsize::new(0);

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_set_error_report_callback(
    callback: Option<extern "C" fn(*const core::ffi::c_char)>,
) {
    REPORT_CALLBACK.store(callback.map_or(0, |f| f as usize), Ordering::Release);
}

/// The user's error report callback, if one was set: reports call it with
/// the report's text (NUL-terminated).
pub fn error_report_callback() -> Option<extern "C" fn(*const core::ffi::c_char)> {
    let f = REPORT_CALLBACK.load(Ordering::Acquire);
    if f == 0 {
        None
    } else {
        Some(unsafe { core::mem::transmute::<usize, extern "C" fn(*const core::ffi::c_char)>(f) })
    }
}

/// No stack tagging yet, so nothing to untag on longjmp.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_handle_longjmp(_sp_dst: *const u8) {}
