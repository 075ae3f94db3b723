//! The tagged heap allocator. What the rest of the runtime may ask of it is
//! the small interface at the top (used by reports to describe an address);
//! the interceptors call `allocate` / `deallocate` / `reallocate`.
//!
//! Layout of the parts (each file states its invariants):
//! - `size_class`: classes and their regions in heap offset space;
//! - `metadata`: 16 bytes per small chunk, out of line;
//! - `primary`: central free lists; `thread_cache`: per-thread caches;
//! - `quarantine`: FIFO, bytes-bounded delay before reuse;
//! - `large`: page-granular extents given back to the OS on free.
//!
//! Invariants of the whole (tested below):
//! - a returned pointer is the chunk's first byte seen through alias `tag`,
//!   with `tag != 0` unless tagging is disabled; its alignment is at least
//!   16 and at least the requested alignment;
//! - the shadow of a live block is its tag (short granule for the last
//!   partial granule); the rest of the chunk is `SHADOW_UNALLOCATED`, a freed
//!   chunk is all `SHADOW_FREED` (large: 0, and its pages released);
//! - a block's tag differs from the memory tag just before and just after it
//!   and from the chunk's previous tag;
//! - `free` accepts only the exact pointer of a live block (tag included).
//!
//! Memory: per small chunk 16 bytes of metadata and 1/16 of shadow, plus
//! size-class rounding (≤ 15 bytes up to 256, ≤ 25% above). Peak Pss of
//! `tests/programs/runtime/pss_bench.c` (mixed sizes, half freed and
//! reallocated): 64 MiB live: 44.6 MB vs glibc 37.0 MB (1.20x); 256 MiB
//! live: 157 MB vs 140 MB (1.12x). Throughput: see `flags.rs`
//! (`quarantine_size_mb`).

mod large;
mod metadata;
mod primary;
pub mod quarantine;
pub mod size_class;
mod thread_cache;

use crate::layout::*;
use crate::stack_depot::{self, StackId};
use crate::unwind::Origin;
use core::sync::atomic::{AtomicBool, Ordering};
use metadata::Word;
use size_class::*;

/// How a block was allocated or freed, for alloc/dealloc mismatch reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocKind {
    Malloc,
    New,
    NewArray,
}

/// Where a chunk is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkState {
    /// Never handed out.
    Unused,
    Live,
    /// Freed, waiting in quarantine or on a free list.
    Freed,
}

/// What the allocator knows of one chunk.
#[derive(Clone, Copy, Debug)]
pub struct ChunkInfo {
    /// Untagged (alias-0) address of the chunk's first byte.
    pub begin: usize,
    /// Bytes the chunk spans in the heap (its size class).
    pub chunk_size: usize,
    /// Bytes the user asked for (at the last allocation).
    pub requested_size: usize,
    /// Tag of the last allocation.
    pub tag: u8,
    pub state: ChunkState,
    pub kind: AllocKind,
    pub alloc_stack: crate::stack_depot::StackId,
    pub free_stack: crate::stack_depot::StackId,
}

/// The chunk whose span contains heap address `addr` (any alias).
pub fn chunk_at(addr: usize) -> Option<ChunkInfo> {
    if !is_heap(addr) || !crate::init::is_initialized() {
        return None;
    }
    let off = heap_offset(addr);
    if let Some(c) = class_of_offset(off) {
        let idx = index_in_region(c, off - region_begin(c));
        if idx >= capacity(c) || !primary::ever_used(c, idx) {
            return None;
        }
        return Some(small_info(c, idx));
    }
    if off >= LARGE_BEGIN {
        let (b, e) = large::find(off)?;
        return Some(large_info(b, &e));
    }
    None
}

/// The chunk that ends where `chunk` begins, if any.
pub fn chunk_before(chunk: &ChunkInfo) -> Option<ChunkInfo> {
    let off = heap_offset(chunk.begin);
    if let Some(c) = class_of_offset(off) {
        let idx = index_in_region(c, off - region_begin(c));
        return (idx > 0).then(|| small_info(c, idx - 1));
    }
    let (before, _) = large::neighbours(off);
    before.map(|(b, e)| large_info(b, &e))
}

/// The chunk that begins where `chunk` ends, if any.
pub fn chunk_after(chunk: &ChunkInfo) -> Option<ChunkInfo> {
    let off = heap_offset(chunk.begin);
    if let Some(c) = class_of_offset(off) {
        let idx = index_in_region(c, off - region_begin(c)) + 1;
        return (idx < capacity(c) && primary::ever_used(c, idx)).then(|| small_info(c, idx));
    }
    let (_, after) = large::neighbours(off);
    after.map(|(b, e)| large_info(b, &e))
}

fn small_info(c: usize, idx: usize) -> ChunkInfo {
    let m = metadata::meta(c, idx);
    let w = m.load();
    ChunkInfo {
        begin: HEAP_BASE + chunk_offset(c, idx),
        chunk_size: size_of_class(c),
        requested_size: w.size(),
        tag: w.tag(),
        state: w.state(),
        kind: w.kind(),
        alloc_stack: StackId(m.alloc_stack.load(Ordering::Relaxed)),
        free_stack: StackId(m.free_stack.load(Ordering::Relaxed)),
    }
}

fn large_info(begin: usize, e: &large::Extent) -> ChunkInfo {
    ChunkInfo {
        begin: HEAP_BASE + begin,
        chunk_size: e.span,
        requested_size: e.requested,
        tag: e.tag,
        state: e.state,
        kind: e.kind,
        alloc_stack: StackId(e.alloc_stack),
        free_stack: StackId(e.free_stack),
    }
}

thread_local! {
    /// Set while this thread captures a stack: the unwinder may call libc
    /// functions that allocate (`pthread_getattr_np` calls calloc), and
    /// those nested allocations get no stack rather than recursing.
    static CAPTURING: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// The stack of `origin`, stored in the depot (0 when re-entered).
#[inline]
fn capture(origin: Origin) -> u32 {
    CAPTURING.with(|c| {
        if c.replace(true) {
            return 0;
        }
        let id = stack_depot::capture(origin).0;
        c.set(false);
        id
    })
}

/// Largest allocation served (as LLVM's sanitizers: beyond, it is a bug).
pub const MAX_ALLOCATION: usize = 1 << 37;

/// Whether new blocks get tags (`__hwasan_{enable,disable}_allocator_tagging`).
static TAGGING: AtomicBool = AtomicBool::new(true);

/// Turns allocation tagging on or off. Off: new blocks get tag 0 (a pointer
/// into alias 0) and their shadow is left 0, so no access through them is
/// ever reported; they are still freed, validated and quarantined normally
/// (and a freed untagged block is still tagged freed).
pub fn set_tagging(on: bool) {
    TAGGING.store(on, Ordering::Relaxed);
}

fn tagging() -> bool {
    TAGGING.load(Ordering::Relaxed) && crate::flags::flags().tag_allocations
}

/// Called by `init`: maps the metadata tables.
pub fn init() {
    metadata::init();
    TAGGING.store(crate::flags::flags().tag_allocations, Ordering::Relaxed);
}

/// Fails an allocation: NULL with `errno` if `allocator_may_return_null`,
/// else a report that ends the process.
#[cold]
#[inline(never)]
pub fn fail(what: &str, size: usize, errno: i32, origin: Origin) -> *mut u8 {
    crate::init::ensure_init(); // the flags decide, so they must be parsed
    if crate::flags::flags().allocator_may_return_null {
        unsafe { *libc::__errno_location() = errno };
        return core::ptr::null_mut();
    }
    crate::report::bad_allocation(what, size, origin)
}

/// The tag for a new block at alias-0 address `addr` spanning `span` bytes
/// of its chunk, different from its neighbours' and its own previous tag.
fn choose_tag(addr: usize, span: usize, previous: u8) -> u8 {
    if !tagging() {
        return 0;
    }
    let before = if heap_offset(addr) >= GRANULE_SIZE {
        crate::shadow::granule_tag(addr - GRANULE_SIZE)
    } else {
        None
    };
    let after = crate::shadow::granule_tag(addr + span);
    crate::tags::choose([before.unwrap_or(0), after.unwrap_or(0), previous])
}

/// The tag for chunk `idx` of class `c`: as `choose_tag`, but the
/// neighbours' tags come from their metadata (next to this chunk's own, so
/// usually in the same cache line) rather than from shadow and, for short
/// granules, the neighbour's memory. A freed neighbour's last tag is
/// avoided too: otherwise an overflow off this block into the freed one
/// would match the freed block's tag and read as a use after free of it.
/// A never-used neighbour imposes nothing; one whose block does not reach
/// this chunk is avoided needlessly but harmlessly.
#[inline]
fn choose_small_tag(c: usize, idx: usize, m: &metadata::Meta) -> u8 {
    if !tagging() {
        return 0;
    }
    let last_tag = |i: usize| {
        let w = metadata::meta(c, i).load();
        if w.state() == ChunkState::Unused {
            0
        } else {
            w.tag()
        }
    };
    let before = if idx > 0 { last_tag(idx - 1) } else { 0 };
    let after = if idx + 1 < capacity(c) {
        last_tag(idx + 1)
    } else {
        0
    };
    crate::tags::choose([before, after, m.load().tag()])
}

/// Allocates `size` bytes aligned to `align` (a power of two ≥ 16); null
/// (with `errno`) or a report on failure, per `fail`.
pub fn allocate(size: usize, align: usize, kind: AllocKind, zero: bool, origin: Origin) -> *mut u8 {
    if !crate::init::ensure_init() {
        // Re-entered while this very thread starts the runtime.
        return crate::bootstrap::alloc(size, align);
    }
    // Limits of one request, and under RLIMIT_AS/RLIMIT_DATA the count of
    // the heap in use (`heap_limits`; `release` on every way out).
    if let Err(why) = crate::heap_limits::admit(size) {
        return crate::heap_limits::fail(why, size, origin);
    }
    let Some(c) = class_for(size, align) else {
        return allocate_large(size, align, kind, zero, origin);
    };
    let Some(idx) = thread_cache::pop(c) else {
        crate::heap_limits::release(size);
        if let Some(why) = primary::refused(c) {
            return crate::heap_limits::fail(why, size, origin);
        }
        return fail(
            "out of memory: size class region exhausted",
            size,
            libc::ENOMEM,
            origin,
        );
    };
    let idx = idx as usize;
    let chunk = HEAP_BASE + chunk_offset(c, idx);
    let m = metadata::meta(c, idx);
    let old = m.load();
    if old.state() == ChunkState::Freed && old.tag() != 0 {
        // The metadata is about to describe the new block: the history
        // keeps the old one, for reports about pointers to it.
        crate::history::record(
            with_tag(chunk, old.tag()),
            old.size(),
            StackId(m.alloc_stack.load(Ordering::Relaxed)),
            StackId(m.free_stack.load(Ordering::Relaxed)),
        );
    }
    let tag = choose_small_tag(c, idx, m);
    let flags = crate::flags::flags();
    if zero {
        unsafe { core::ptr::write_bytes(chunk as *mut u8, 0, size) };
    } else if flags.max_malloc_fill_size > 0 {
        unsafe {
            core::ptr::write_bytes(
                chunk as *mut u8,
                flags.malloc_fill_byte.0,
                size.min(flags.max_malloc_fill_size),
            )
        };
    }
    if tag != 0 {
        crate::shadow::tag_block(chunk, size, size_of_class(c), tag, SHADOW_UNALLOCATED);
    } else {
        crate::shadow::set(chunk, size_of_class(c), SHADOW_UNALLOCATED);
    }
    m.alloc_stack.store(capture(origin), Ordering::Relaxed);
    m.store(Word::new(size, tag, ChunkState::Live, kind));
    with_tag(chunk, tag) as *mut u8
}

#[cold]
fn allocate_large(
    size: usize,
    align: usize,
    kind: AllocKind,
    zero: bool,
    origin: Origin,
) -> *mut u8 {
    let Some(large::Reserved { off, span, fresh }) = large::reserve(size, align, kind) else {
        crate::heap_limits::release(size);
        return fail(
            "out of memory: large allocation region exhausted",
            size,
            libc::ENOMEM,
            origin,
        );
    };
    if fresh {
        // Explicit growth under strict overcommit (rule 3).
        if let Err(why) = crate::heap_limits::back(off, size) {
            large::abandon(off);
            crate::heap_limits::release(size);
            return crate::heap_limits::fail(why, size, origin);
        }
    }
    let chunk = HEAP_BASE + off;
    // Fresh extents read as zero (their pages were punched out or never
    // touched), so calloc needs no memset; a reused cached one does.
    if zero && !fresh {
        unsafe { core::ptr::write_bytes(chunk as *mut u8, 0, size) };
    }
    let flags = crate::flags::flags();
    if flags.max_malloc_fill_size > 0 {
        unsafe {
            core::ptr::write_bytes(
                chunk as *mut u8,
                flags.malloc_fill_byte.0,
                size.min(flags.max_malloc_fill_size),
            )
        };
    }
    let tag = choose_tag(chunk, span, 0);
    // A fresh extent's shadow past the block is already 0; a reused one's
    // reads freed, and is dropped to 0 like a fresh one's.
    let tagged_span = if fresh {
        size.next_multiple_of(GRANULE_SIZE).max(GRANULE_SIZE)
    } else {
        span
    };
    if tag != 0 {
        crate::shadow::tag_block(chunk, size, tagged_span, tag, 0);
    } else if !fresh {
        crate::shadow::set(chunk, span, 0);
    }
    large::set_live(off, tag, capture(origin));
    with_tag(chunk, tag) as *mut u8
}

/// Frees `ptr` (allocated as `kind` expected by this deallocator). Reports
/// double and invalid frees and (if enabled) alloc/dealloc mismatches.
pub fn deallocate(ptr: *mut u8, kind: AllocKind, origin: Origin) {
    let p = ptr as usize;
    if p == 0 {
        return;
    }
    crate::init::ensure_init();
    if !is_heap(p) || ptr_tag(p) as usize >= crate::mapping::alias_count() {
        if crate::bootstrap::owns(p) {
            // Start-up arena blocks are never reused (`bootstrap`).
            return;
        }
        crate::report::invalid_free(p, origin);
        return;
    }
    let off = heap_offset(p);
    let tag = ptr_tag(p);
    let Some(c) = class_of_offset(off) else {
        if off >= LARGE_BEGIN {
            return deallocate_large(p, off, tag, kind, origin);
        }
        crate::report::invalid_free(p, origin);
        return;
    };
    let rel = off - region_begin(c);
    let idx = index_in_region(c, rel);
    if rel != idx * size_of_class(c) || idx >= capacity(c) || !primary::ever_used(c, idx) {
        crate::report::invalid_free(p, origin);
        return;
    }
    let m = metadata::meta(c, idx);
    let w = m.load();
    if w.tag() != tag || w.state() == ChunkState::Unused {
        crate::report::invalid_free(p, origin);
        return;
    }
    if w.state() == ChunkState::Freed || m.try_free(w).is_err() {
        crate::report::double_free(p, origin);
        return;
    }
    if kind != w.kind() && crate::flags::flags().alloc_dealloc_mismatch {
        crate::report::alloc_dealloc_mismatch(p, w.kind(), kind, origin);
    }
    let chunk = HEAP_BASE + chunk_offset(c, idx);
    let flags = crate::flags::flags();
    if flags.max_free_fill_size > 0 {
        unsafe {
            core::ptr::write_bytes(
                chunk as *mut u8,
                flags.free_fill_byte.0,
                w.size().min(flags.max_free_fill_size),
            )
        };
    }
    crate::shadow::set(chunk, size_of_class(c), SHADOW_FREED);
    crate::heap_limits::release(w.size());
    m.free_stack.store(capture(origin), Ordering::Relaxed);
    thread_cache::quarantine(c, idx as u32);
}

#[cold]
fn deallocate_large(p: usize, off: usize, tag: u8, kind: AllocKind, origin: Origin) {
    let stack = capture(origin);
    match large::free(off, tag, stack) {
        large::FreeResult::Freed {
            kind: allocated,
            requested,
            alloc_stack,
        } => {
            crate::heap_limits::release(requested);
            // The extent's description is dropped a few hundred frees from
            // now: the history keeps it.
            crate::history::record(p, requested, StackId(alloc_stack), StackId(stack));
            if kind != allocated && crate::flags::flags().alloc_dealloc_mismatch {
                crate::report::alloc_dealloc_mismatch(p, allocated, kind, origin);
            }
        }
        large::FreeResult::DoubleFree => crate::report::double_free(p, origin),
        large::FreeResult::Invalid => crate::report::invalid_free(p, origin),
    }
}

/// The live block at `p` (exact pointer, matching tag): (requested size,
/// usable size). `None` for anything else.
pub fn live_block(p: usize) -> Option<(usize, usize)> {
    if crate::bootstrap::owns(p) {
        let size = crate::bootstrap::size_of(p);
        return Some((size, size));
    }
    if !is_heap(p) {
        return None;
    }
    let info = chunk_at(p)?;
    (info.state == ChunkState::Live && info.begin == untag(p) && info.tag == ptr_tag(p))
        .then_some((info.requested_size, info.requested_size))
}

/// `realloc`: a new block with the old contents (up to the smaller size),
/// the old block freed. The new block always gets a new chunk and tag, so a
/// stale pointer to the old block is caught.
pub fn reallocate(ptr: *mut u8, size: usize, origin: Origin) -> *mut u8 {
    if ptr.is_null() {
        return allocate(size, 16, AllocKind::Malloc, false, origin);
    }
    if crate::bootstrap::owns(ptr as usize) {
        // A start-up arena block moves to the heap (`bootstrap`).
        let old = crate::bootstrap::size_of(ptr as usize);
        let new = allocate(size, 16, AllocKind::Malloc, false, origin);
        if !new.is_null() {
            // SAFETY: `old` bytes of the arena block, into a new block of
            // `size` bytes.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    ptr as usize as *const u8,
                    untag(new as usize) as *mut u8,
                    old.min(size),
                )
            };
        }
        return new;
    }
    let Some((old_size, _)) = live_block(ptr as usize) else {
        // Let free's validation report it.
        deallocate(ptr, AllocKind::Malloc, origin);
        return core::ptr::null_mut();
    };
    let new = allocate(size, 16, AllocKind::Malloc, false, origin);
    if new.is_null() {
        return new;
    }
    let len = old_size.min(size);
    if !(len >= COPY_BY_FILE
        && is_heap(ptr as usize)
        && copy_large(ptr as usize, new as usize, len))
    {
        unsafe {
            core::ptr::copy_nonoverlapping(
                untag(ptr as usize) as *const u8,
                untag(new as usize) as *mut u8,
                len,
            )
        };
    }
    deallocate(ptr, AllocKind::Malloc, origin);
    new
}

/// From this many bytes, `realloc` copies a (large) block through the heap
/// file, skipping pages that were never touched: growing a big, sparsely
/// written buffer (doubling it past the RAM, say) then costs only the pages
/// written, not a read fault and a copy of every page (a read fault on a
/// memfd hole allocates a page, where anonymous memory maps the zero page).
/// Below it a plain copy is faster: measured (`realloc` back and forth
/// between N and 2N bytes, fully written, 500 times, µs per call, 3 runs):
/// 1 MiB: 100-140 plain vs 1600-2000 through the file (the destination is
/// a cached extent, already mapped); 4 MiB: 8800-12200 vs 8400-9900;
/// 16 MiB: 70000-75000 vs 37000-39500 (fresh pages: the kernel's copy
/// saves the faults).
const COPY_BY_FILE: usize = 8 << 20;

/// Copies `len` bytes of large block `from` to large block `to`: the whole
/// pages through the heap file, the rest with a plain copy. Both start page
/// aligned (large blocks start their extent).
fn copy_large(from: usize, to: usize, len: usize) -> bool {
    let (from_off, to_off) = (heap_offset(from), heap_offset(to));
    if from_off < LARGE_BEGIN || to_off < LARGE_BEGIN {
        return false;
    }
    // The destination must read as zero where the source has holes (a
    // reused extent does not): drop its pages first. Only whole pages the
    // copy covers: the block's last granule may hold its short-granule tag.
    let pages = len & !4095;
    crate::mapping::release_heap(to_off, pages);
    let fd = crate::mapping::heap_fd();
    if !crate::mapping::copy_file_data(fd, from_off, fd, to_off, pages) {
        return false;
    }
    // SAFETY: the rest of two live blocks of at least `len` bytes each.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (untag(from) + pages) as *const u8,
            (untag(to) + pages) as *mut u8,
            len - pages,
        )
    };
    true
}

/// Flushes the calling thread's cache (thread exit).
pub fn thread_exit() {
    thread_cache::thread_exit();
}

/// Takes every allocator lock (fork prepare). Order: large, quarantine,
/// central lists, internal memory (the order they nest in normal use).
pub fn fork_lock() {
    large::fork_lock();
    quarantine::fork_lock();
    primary::fork_lock();
    crate::internal_alloc::fork_lock();
}

/// Releases what `fork_lock` took, in parent or child.
///
/// # Safety
/// Only by the forking thread (or the child).
pub unsafe fn fork_unlock() {
    unsafe {
        crate::internal_alloc::fork_unlock();
        primary::fork_unlock();
        quarantine::fork_unlock();
        large::fork_unlock();
    }
}

#[cfg(test)]
mod tests;
