//! The runtime's own memory: mmap-backed, never the user's malloc (which is
//! the runtime itself: using it would recurse, and runtime data in the user
//! heap could be hit by the bugs we report).
//!
//! Small requests come from power-of-two free lists carved out of 1 MiB
//! mmap'd slabs and are never returned to the OS (runtime data is long
//! lived: metadata, stacks, caches); big ones are their own mapping.

use crate::sync::SpinLock;
use core::alloc::{GlobalAlloc, Layout};

/// Requests above this are their own mapping.
const MAX_SMALL: usize = 64 * 1024;
const NUM_LISTS: usize = 13; // 16 B .. 64 KiB
const SLAB: usize = 1 << 20;

struct Pool {
    free: [usize; NUM_LISTS],
    bump: usize,
    end: usize,
}

static POOL: SpinLock<Pool> = SpinLock::new(Pool {
    free: [0; NUM_LISTS],
    bump: 0,
    end: 0,
});

/// Anonymous private memory (`MAP_NORESERVE`: only touched pages count).
/// Returns null on failure. A raw system call: the program's own `mmap`
/// may call malloc, which would re-enter this pool under its lock.
pub fn map(size: usize) -> *mut u8 {
    crate::sys::map_anonymous(size).map_or(core::ptr::null_mut(), |p| p as *mut u8)
}

/// Unmaps memory from `map`.
pub fn unmap(p: *mut u8, size: usize) {
    let _ = crate::sys::munmap(p as usize, size);
}

fn list_of(size: usize) -> usize {
    (size.max(16).next_power_of_two().trailing_zeros() - 4) as usize
}

/// Allocates `layout` from runtime-internal memory (null on failure).
pub fn alloc(layout: Layout) -> *mut u8 {
    let size = layout.size().max(layout.align());
    if size > MAX_SMALL || layout.align() > 4096 {
        return map(size.next_multiple_of(4096));
    }
    let l = list_of(size);
    let bytes = 16usize << l;
    let mut pool = POOL.lock();
    let head = pool.free[l];
    if head != 0 {
        pool.free[l] = unsafe { *(head as *const usize) };
        return head as *mut u8;
    }
    // Blocks are carved at multiples of min(size, page): slabs are page
    // aligned, so every block is aligned to its (power-of-two) size up to a
    // page, which covers any `align` ≤ 4096 (`size` ≥ `align`).
    let mut at = pool.bump.next_multiple_of(bytes.min(4096));
    if pool.bump == 0 || at + bytes > pool.end {
        let slab = map(SLAB);
        if slab.is_null() {
            return slab;
        }
        pool.bump = slab as usize;
        pool.end = slab as usize + SLAB;
        at = pool.bump;
    }
    pool.bump = at + bytes;
    at as *mut u8
}

/// Frees memory from `alloc`.
pub fn dealloc(p: *mut u8, layout: Layout) {
    let size = layout.size().max(layout.align());
    if size > MAX_SMALL || layout.align() > 4096 {
        unmap(p, size.next_multiple_of(4096));
        return;
    }
    let l = list_of(size);
    let mut pool = POOL.lock();
    unsafe { *(p as *mut usize) = pool.free[l] };
    pool.free[l] = p as usize;
}

/// Takes the pool lock across `fork` so the child sees consistent lists;
/// `fork_unlock` releases it on both sides.
pub fn fork_lock() {
    core::mem::forget(POOL.lock());
}

/// Releases the lock `fork_lock` took.
///
/// # Safety
/// Only by the thread that called `fork_lock` (or its forked child).
pub unsafe fn fork_unlock() {
    unsafe { POOL.force_unlock() };
}

/// Rust allocations inside the runtime.
pub struct InternalAlloc;

unsafe impl GlobalAlloc for InternalAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        alloc(layout)
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        dealloc(p, layout)
    }
}

#[cfg(not(test))]
#[global_allocator]
static GLOBAL: InternalAlloc = InternalAlloc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_and_reused() {
        for align in [1, 8, 16, 64, 4096] {
            for size in [1, 15, 16, 100, 4000, 65536, 100_000] {
                let l = Layout::from_size_align(size, align).unwrap();
                let p = alloc(l);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0);
                unsafe { core::ptr::write_bytes(p, 0xab, size) };
                dealloc(p, l);
            }
        }
        let l = Layout::from_size_align(48, 8).unwrap();
        let a = alloc(l);
        dealloc(a, l);
        assert_eq!(alloc(l), a, "freed blocks are reused");
    }
}
