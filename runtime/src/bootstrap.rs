//! Memory for `malloc` calls that re-enter the runtime while it starts.
//!
//! Start-up runs code the runtime does not control: the program's
//! `__tagsan_default_options`, a signal handler that fires on the starting
//! thread, a `pthread_key_create` or system call wrapper the program
//! defines. If any of it calls `malloc` on the thread that is initializing,
//! waiting for start-up to finish would wait on itself forever; so that
//! thread is served from this arena instead (as compiler-rt's sanitizers
//! serve `dlsym`'s allocations from a static pool).
//!
//! Invariants:
//! - blocks are carved from a static buffer by an atomic bump pointer and
//!   never reused; each has a 16-byte header holding its size, and starts
//!   zeroed (the buffer is `.bss` and nothing is written back);
//! - `free` of a block is a no-op, `realloc` copies it into the real heap,
//!   `malloc_usable_size` gives its size;
//! - the arena is outside the tagged heap, so checks never look at it;
//! - if it runs out, the process stops with one line saying so.

use core::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of the arena (only touched pages cost memory).
pub const ARENA_BYTES: usize = 1 << 20;
const HEADER: usize = 16;

#[repr(C, align(4096))]
struct Arena(core::cell::UnsafeCell<[u8; ARENA_BYTES]>);
// SAFETY: blocks are handed out by an atomic bump pointer, each to one
// caller only.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(core::cell::UnsafeCell::new([0; ARENA_BYTES]));
/// Bytes handed out so far.
static USED: AtomicUsize = AtomicUsize::new(0);

fn base() -> usize {
    ARENA.0.get() as usize
}

/// Whether `p` points into the arena.
#[inline]
pub fn owns(p: usize) -> bool {
    p.wrapping_sub(base()) < ARENA_BYTES
}

/// A zeroed block of `size` bytes aligned to `align` (a power of two), or
/// a fatal error when the arena is full.
#[cold]
pub fn alloc(size: usize, align: usize) -> *mut u8 {
    let align = align.max(HEADER);
    let mut used = USED.load(Ordering::Relaxed);
    loop {
        let start = (base() + used + HEADER).next_multiple_of(align) - base();
        let end = start.saturating_add(size.max(1));
        if end > ARENA_BYTES {
            crate::mapping::fatal(
                "malloc was called re-entrantly while the runtime was starting (from a getenv, \
                 mmap or default-options hook?) and the 1 MiB start-up arena is full",
            );
        }
        match USED.compare_exchange_weak(used, end, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => {
                let p = (base() + start) as *mut u8;
                // SAFETY: the header lies inside the block's own carved range.
                unsafe { (p.sub(HEADER) as *mut usize).write(size) };
                return p;
            }
            Err(now) => used = now,
        }
    }
}

/// The size asked for when the block at `p` (from `alloc`) was made.
pub fn size_of(p: usize) -> usize {
    // SAFETY: `p` was returned by `alloc`, which wrote the header.
    unsafe { ((p - HEADER) as *const usize).read() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_zeroed_and_owned() {
        let a = alloc(10, 16);
        let b = alloc(100, 4096);
        assert!(owns(a as usize) && owns(b as usize));
        assert!(!owns(0) && !owns(&USED as *const _ as usize));
        assert_eq!(b as usize % 4096, 0);
        assert_eq!((size_of(a as usize), size_of(b as usize)), (10, 100));
        // SAFETY: a block of 100 bytes.
        assert!(unsafe { core::slice::from_raw_parts(b, 100) }
            .iter()
            .all(|&c| c == 0));
    }
}
