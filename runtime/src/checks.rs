//! `__hwasan_{load,store}*` and `__hwasan_mem*`: the checks instrumented
//! code calls before each access.
//!
//! The fast path is inlined into every entry point: an address outside the
//! heap region returns at once; otherwise one shadow load and a compare with
//! the pointer's tag. Anything else (short granules, accesses spanning
//! granules, mismatches) goes to the `#[cold]` slow path, which reports.
//! The `Origin` (caller's pc and frame) is taken in the entry point itself,
//! only on the slow path.

use crate::layout::*;
use crate::unwind::Origin;

/// Whether an access of `size` (>= 1) bytes at `addr` passes without the
/// slow path: every granule it touches carries the pointer's tag in full.
/// Accesses that straddle two granules (unaligned words, vector loads) and
/// ranges stay here; only short granules and real mismatches go slow.
#[inline(always)]
fn fast_ok(addr: usize, size: usize) -> bool {
    if !is_heap(addr) {
        return true;
    }
    let tag = ((addr >> TAG_SHIFT) & TAG_MASK) as u8;
    let first = shadow_addr(addr);
    let last = shadow_addr(addr.wrapping_add(size - 1));
    if last < first {
        // The range leaves this alias of the heap: let the slow path judge.
        return false;
    }
    (first..=last).all(|s| unsafe { *(s as *const u8) } == tag)
}

/// The slow path: exact check of `[addr, addr+size)`, report on mismatch.
#[cold]
#[inline(never)]
pub fn check_slow(addr: usize, size: usize, is_write: bool, recover: bool, origin: Origin) {
    if crate::shadow::first_mismatch(addr, size).is_some() {
        crate::report::tag_mismatch(addr, size, is_write, recover, origin);
    }
}

/// Checks a range (memcpy and friends): fast when every granule of it has
/// the pointer's tag, else the slow path, which finds the first bad byte. A macro, not a function, so
/// `Origin::of_caller()` runs in the entry point's own frame.
macro_rules! check_range {
    ($addr:expr, $size:expr, $write:expr) => {{
        let (addr, size) = ($addr as usize, $size);
        if size != 0 && !fast_ok(addr, size) {
            check_slow(addr, size, $write, false, Origin::of_caller());
        }
    }};
}

macro_rules! fixed_checks {
    ($($name:ident, $size:expr, $write:expr, $recover:expr;)*) => {$(
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(addr: usize) {
            if !fast_ok(addr, $size) {
                check_slow(addr, $size, $write, $recover, Origin::of_caller());
            }
        }
    )*};
}

fixed_checks! {
    __hwasan_load1, 1, false, false;
    __hwasan_load2, 2, false, false;
    __hwasan_load4, 4, false, false;
    __hwasan_load8, 8, false, false;
    __hwasan_load16, 16, false, false;
    __hwasan_store1, 1, true, false;
    __hwasan_store2, 2, true, false;
    __hwasan_store4, 4, true, false;
    __hwasan_store8, 8, true, false;
    __hwasan_store16, 16, true, false;
    __hwasan_load1_noabort, 1, false, true;
    __hwasan_load2_noabort, 2, false, true;
    __hwasan_load4_noabort, 4, false, true;
    __hwasan_load8_noabort, 8, false, true;
    __hwasan_load16_noabort, 16, false, true;
    __hwasan_store1_noabort, 1, true, true;
    __hwasan_store2_noabort, 2, true, true;
    __hwasan_store4_noabort, 4, true, true;
    __hwasan_store8_noabort, 8, true, true;
    __hwasan_store16_noabort, 16, true, true;
}

macro_rules! sized_checks {
    ($($name:ident, $write:expr, $recover:expr;)*) => {$(
        #[allow(non_snake_case)] // compiler-rt's names
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(addr: usize, size: usize) {
            if size != 0 && !fast_ok(addr, size) {
                check_slow(addr, size, $write, $recover, Origin::of_caller());
            }
        }
    )*};
}

sized_checks! {
    __hwasan_loadN, false, false;
    __hwasan_storeN, true, false;
    __hwasan_loadN_noabort, false, true;
    __hwasan_storeN_noabort, true, true;
}

/// # Safety
/// As `memcpy`: both ranges valid, not overlapping.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn __hwasan_memcpy(dst: *mut u8, src: *const u8, size: usize) -> *mut u8 {
    check_range!(dst, size, true);
    check_range!(src, size, false);
    unsafe { core::ptr::copy_nonoverlapping(src, dst, size) };
    dst
}

/// # Safety
/// As `memmove`: both ranges valid.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn __hwasan_memmove(dst: *mut u8, src: *const u8, size: usize) -> *mut u8 {
    check_range!(dst, size, true);
    check_range!(src, size, false);
    unsafe { core::ptr::copy(src, dst, size) };
    dst
}

/// # Safety
/// As `memset`: the range valid.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn __hwasan_memset(dst: *mut u8, value: i32, size: usize) -> *mut u8 {
    check_range!(dst, size, true);
    unsafe { core::ptr::write_bytes(dst, value as u8, size) };
    dst
}

#[cfg(test)]
mod tests {
    use super::fast_ok;
    use crate::allocator::{allocate, deallocate, AllocKind};
    use crate::unwind::Origin;

    #[test]
    fn fast_path_takes_straddling_accesses_inside_a_block_only() {
        let p = allocate(100, 16, AllocKind::Malloc, false, Origin::here()) as usize;
        // Unaligned words and a vector load crossing granule boundaries.
        assert!(fast_ok(p + 12, 8));
        assert!(fast_ok(p + 8, 16));
        assert!(fast_ok(p, 96), "a range of whole granules");
        // 100 bytes: granule 6 (bytes 96..112) is short, so anything
        // touching it is left to the slow path, which is byte-exact.
        assert!(!fast_ok(p + 90, 8));
        assert!(!fast_ok(p, 100));
        // A wrong tag fails however the access is placed.
        let wrong = crate::layout::with_tag(p, crate::layout::ptr_tag(p) ^ 1);
        assert!(!fast_ok(wrong + 12, 8));
        assert!(!fast_ok(wrong, 1));
        deallocate(p as *mut u8, AllocKind::Malloc, Origin::here());
        assert!(!fast_ok(p + 12, 8), "freed memory");
        // Outside the heap nothing is checked.
        let x = 0u64;
        assert!(fast_ok(&x as *const u64 as usize, 8));
    }
}
