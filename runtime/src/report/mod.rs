//! Error reports, in HWASan's structure on the report stream:
//! `ERROR: TagSanitizer: <kind> on address ADDR at pc PC`, the access line,
//! the stack, the region line with the block's stacks, memory tags and a
//! `SUMMARY:` line.
//!
//! Entry points are called by checks and by the allocator (after it has
//! released its locks: the report reads chunk info through the allocator's
//! interface). A report never allocates from the user heap and never
//! deadlocks: one report at a time (others wait), and a report that faults
//! or re-enters ends the process (see `session`).

pub mod classify;
pub mod fork;
pub mod format;
pub mod session;
pub mod tag_dump;

use core::fmt::Write;

use crate::allocator::{AllocKind, ChunkState};
use crate::layout;
use crate::stack_depot::MAX_DEPTH;
pub use crate::unwind::Origin;
use classify::{Block, Classified};
use format::{print_frames, print_stored_stack, region_line, summary_location, Out};

/// The stack of the failing call, from `origin`.
fn current_stack(origin: Origin, buf: &mut [usize; MAX_DEPTH]) -> usize {
    let depth = crate::flags::flags()
        .malloc_context_size
        .clamp(1, MAX_DEPTH);
    crate::unwind::unwind(origin, &mut buf[..depth])
}

fn pid() -> i32 {
    unsafe { libc::getpid() }
}

fn header(out: &mut Out, kind: &str, addr: usize, pc: usize) {
    let _ = writeln!(
        out,
        "=={}==ERROR: TagSanitizer: {kind} on address {addr:#x} at pc {pc:#x}",
        pid()
    );
}

fn summary(out: &mut Out, kind: &str, frames: &[usize]) {
    if crate::flags::flags().print_summary {
        let _ = writeln!(
            out,
            "SUMMARY: TagSanitizer: {kind} {}",
            summary_location(frames)
        );
    }
}

/// The user-visible (tagged) address of a block's first byte.
fn block_ptr(b: &Block) -> usize {
    layout::with_tag(b.begin, b.tag)
}

/// Where `addr` is in block `b` and the block's stacks: "allocated by" for
/// a live block, "freed by" then "previously allocated by" for a freed one.
/// Cache objects in their cache's words (`cache::describe`).
fn describe_block(out: &mut Out, addr: usize, b: &Block) {
    if let Some(o) = &b.cache {
        return crate::cache::describe::print(out, addr, b, o);
    }
    let _ = writeln!(out, "{}", region_line(addr, block_ptr(b), b.size));
    match b.state {
        ChunkState::Freed => {
            print_stored_stack(out, "freed", b.free_stack);
            let _ = writeln!(out);
            print_stored_stack(out, "previously allocated", b.alloc_stack);
        }
        _ => print_stored_stack(out, "allocated", b.alloc_stack),
    }
}

/// A block the history remembers (`cause`: what was done through the stale
/// pointer), then what holds its memory now.
fn describe_stale(out: &mut Out, addr: usize, cause: &str, old: &Block, now: Option<&Block>) {
    let _ = writeln!(out, "Cause: {cause}");
    describe_block(out, addr, old);
    let _ = writeln!(out);
    match now {
        Some(b) if b.state == ChunkState::Live && !b.released => {
            let _ = writeln!(
                out,
                "The memory has been reused since: it is now owned by another block:"
            );
            describe_block(out, addr, b);
        }
        Some(b) if b.state == ChunkState::Freed => {
            let _ = writeln!(
                out,
                "The memory has been reused since, by a block that was freed in turn:"
            );
            describe_block(out, addr, b);
        }
        _ => {
            let _ = writeln!(
                out,
                "The memory has been given back since: no block holds it now."
            );
        }
    }
}

/// The first granule of `[addr, addr + size)` whose memory tag does not
/// accept the pointer's tag, with its shadow byte; `addr` itself if none
/// can be found (the shadow may be unreadable).
fn first_bad_granule(addr: usize, size: usize, ptr_tag: u8) -> (usize, Option<u8>) {
    let end = addr + size.max(1);
    let mut a = addr;
    while a < end {
        let off = layout::heap_offset(a);
        let Some(s) = tag_dump::shadow_at(off) else {
            break;
        };
        let granule_end = (a | (layout::GRANULE_SIZE - 1)) + 1;
        let ok = if s == ptr_tag {
            true
        } else if layout::is_short_granule(s) {
            let valid = (s & 0x0f) as usize;
            let last = end.min(granule_end) - 1;
            (last & (layout::GRANULE_SIZE - 1)) < valid
                && tag_dump::short_granule_tag(off) == Some(ptr_tag)
        } else {
            false
        };
        if !ok {
            return (a, Some(s));
        }
        a = granule_end;
    }
    (addr, tag_dump::shadow_at(layout::heap_offset(addr)))
}

/// A load or store whose pointer tag does not match the memory tag.
/// Returns if recovering (`_noabort` check or `halt_on_error=0`).
pub fn tag_mismatch(addr: usize, size: usize, is_write: bool, recover: bool, origin: Origin) {
    let halt = !recover && crate::flags::flags().halt_on_error;
    let Some(session) = session::begin(halt, origin.pc) else {
        return;
    };
    let mut stack = [0usize; MAX_DEPTH];
    let n = current_stack(origin, &mut stack);
    let frames = &stack[..n];
    let ptr_tag = layout::ptr_tag(addr);
    let classified = layout::is_heap(addr).then(|| classify::classify(addr, size));
    let kind = classified.map_or("tag-mismatch", |c| c.cause.name());

    let mut out = Out::new();
    header(&mut out, kind, addr, origin.pc);
    let (bad, mem) = if layout::is_heap(addr) {
        first_bad_granule(addr, size, ptr_tag)
    } else {
        (addr, None)
    };
    let mem_text = match mem {
        Some(s) if layout::is_short_granule(s) => {
            match tag_dump::short_granule_tag(layout::heap_offset(bad)) {
                Some(real) => format!("{s:02x}({real:02x})"),
                None => format!("{s:02x}"),
            }
        }
        Some(s) => format!("{s:02x}"),
        None => String::from("??"),
    };
    let _ = writeln!(
        out,
        "{} of size {size} at {addr:#x} tags: {ptr_tag:02x}/{mem_text} (ptr/mem) in thread T{}",
        if is_write { "WRITE" } else { "READ" },
        crate::thread::current_tid()
    );
    print_frames(&mut out, frames);
    let _ = writeln!(out);
    match classified {
        Some(Classified {
            stale: true,
            block: Some(old),
            now,
            cause,
            ..
        }) => describe_stale(&mut out, addr, cause.name(), &old, now.as_ref()),
        Some(Classified {
            block: Some(b),
            earlier,
            ..
        }) => {
            if earlier {
                let _ = writeln!(
                    out,
                    "Cause: use-after-free of memory reused since: the pointer (tag {ptr_tag:02x}) \
                     is from an earlier block than this one (tag {:02x}), no longer in the \
                     allocation history",
                    b.tag
                );
            }
            describe_block(&mut out, addr, &b)
        }
        Some(_) => {
            let _ = writeln!(
                out,
                "{addr:#x} is in the heap but not in any block the allocator knows of"
            );
        }
        None => {
            let _ = writeln!(out, "{addr:#x} is not in the tagged heap");
        }
    }
    if crate::flags::flags().print_tags && layout::is_heap(addr) {
        let _ = writeln!(out);
        tag_dump::print(&mut out, bad);
    }
    summary(&mut out, kind, frames);
    out.flush();
    session.end();
}

/// A report about a bad call on `ptr` (a free, a delete): the shape
/// double-free, invalid-free and alloc-dealloc-mismatch share. `attempt` is
/// the line naming what was attempted, above the stack; `describe` says
/// what `ptr` is.
fn bad_call_report(
    kind: &str,
    ptr: usize,
    origin: Origin,
    attempt: core::fmt::Arguments<'_>,
    describe: impl FnOnce(&mut Out),
) {
    let halt = crate::flags::flags().halt_on_error;
    let Some(session) = session::begin(halt, origin.pc) else {
        return;
    };
    let mut stack = [0usize; MAX_DEPTH];
    let n = current_stack(origin, &mut stack);
    let frames = &stack[..n];
    let mut out = Out::new();
    header(&mut out, kind, ptr, origin.pc);
    let _ = writeln!(out, "{attempt}");
    print_frames(&mut out, frames);
    let _ = writeln!(out);
    describe(&mut out);
    summary(&mut out, kind, frames);
    out.flush();
    session.end();
}

/// `free` of a block that is already free.
pub fn double_free(ptr: usize, origin: Origin) {
    let tid = crate::thread::current_tid();
    bad_call_report(
        "double-free",
        ptr,
        origin,
        format_args!("attempting double-free on {ptr:#x} in thread T{tid}:"),
        |out| {
            if let Some(b) = classify::block_at(ptr) {
                describe_block(out, ptr, &b);
            }
        },
    );
}

/// A free through a stale pointer: the block it was the start of was freed
/// and its memory reused or given back (`old`, from the history; `now`, what
/// is there now).
fn stale_double_free(ptr: usize, origin: Origin, old: &Block, now: Option<&Block>) {
    let tid = crate::thread::current_tid();
    bad_call_report(
        "double-free",
        ptr,
        origin,
        format_args!("attempting double-free on {ptr:#x} in thread T{tid}:"),
        |out| describe_stale(out, ptr, "double-free", old, now),
    );
}

/// What a pointer that is not a heap block's start points to.
fn describe_non_heap(out: &mut Out, ptr: usize) {
    if layout::is_heap(ptr) {
        let (a, tag) = (layout::untag(ptr), layout::ptr_tag(ptr));
        match classify::block_at(ptr) {
            Some(b) if tag != b.tag && b.begin == a => {
                let _ = writeln!(
                    out,
                    "{ptr:#x} has tag {tag:02x} but the block it points to has tag {:02x}:",
                    b.tag
                );
                describe_block(out, ptr, &b);
            }
            Some(b) if b.begin == a => {
                match &b.cache {
                    Some(o) => {
                        let _ = writeln!(
                            out,
                            "{ptr:#x} is an {}:",
                            crate::cache::describe::object_words(o)
                        );
                    }
                    None => {
                        let _ = writeln!(out, "{ptr:#x} is a block from malloc:");
                    }
                }
                describe_block(out, ptr, &b);
            }
            Some(b) => {
                let _ = writeln!(out, "{ptr:#x} is an interior pointer:");
                describe_block(out, ptr, &b);
            }
            None => {
                let _ = writeln!(
                    out,
                    "{ptr:#x} is in the heap but not in any block the allocator knows of"
                );
            }
        }
        return;
    }
    if let Some(b) = crate::unwind::current_stack_bounds() {
        if b.contains(ptr) {
            let _ = writeln!(
                out,
                "{ptr:#x} is located in the stack of thread T{}",
                crate::thread::current_tid()
            );
            return;
        }
    }
    match crate::symbolize::describe_data(ptr) {
        Some(d) => match d.symbol {
            Some((name, start, size)) => {
                let _ = writeln!(
                    out,
                    "{ptr:#x} is located {} bytes inside global variable '{name}' of size {size} in ({}+{:#x})",
                    ptr - start,
                    d.module,
                    d.module_offset
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{ptr:#x} is located in a global section of ({}+{:#x})",
                    d.module, d.module_offset
                );
            }
        },
        None => match crate::unwind::mapping_containing(ptr) {
            Some((lo, hi)) => {
                let _ = writeln!(
                    out,
                    "{ptr:#x} is not heap memory: it is {} bytes inside the mapping [{lo:#x},{hi:#x}) (mmap, another thread's stack...)",
                    ptr - lo
                );
            }
            None => {
                let _ = writeln!(out, "{ptr:#x} is not heap memory and not mapped");
            }
        },
    }
}

/// `free` of a pointer that is not the start of a live heap block: a
/// double free if the history knows it as a freed block's start, else an
/// invalid free.
pub fn invalid_free(ptr: usize, origin: Origin) {
    if let Some((old, now)) = classify::stale_start(ptr) {
        return stale_double_free(ptr, origin, &old, now.as_ref());
    }
    let tid = crate::thread::current_tid();
    bad_call_report(
        "invalid-free",
        ptr,
        origin,
        format_args!(
            "attempting free on address which was not malloc()-ed: {ptr:#x} in thread T{tid}"
        ),
        |out| match classify::block_at(ptr).filter(|b| b.begin == layout::untag(ptr)) {
            Some(b) if b.cache.is_some() && b.tag == layout::ptr_tag(ptr) => {
                let o = b.cache.expect("checked");
                let _ = writeln!(
                    out,
                    "{ptr:#x} is an {}; objects go back to their cache with tagsan_cache_free:",
                    crate::cache::describe::object_words(&o)
                );
                describe_block(out, ptr, &b);
            }
            _ => describe_non_heap(out, ptr),
        },
    );
}

/// `cache_free` to `cache` of a pointer that is not one of its live
/// objects: a double free through a stale pointer (history), an object of
/// another cache, a block from malloc, or anything else (interior pointer,
/// wrong tag, released slab...). Each says so in one attempt line.
pub fn invalid_cache_free(cache: &'static crate::cache::Cache, ptr: usize, origin: Origin) {
    if let Some((old, now)) = classify::stale_start(ptr) {
        return stale_double_free(ptr, origin, &old, now.as_ref());
    }
    let tid = crate::thread::current_tid();
    let name = cache.name();
    let block = layout::is_heap(ptr)
        .then(|| classify::block_at(ptr))
        .flatten();
    let exact = |b: &Block| b.begin == layout::untag(ptr) && b.tag == layout::ptr_tag(ptr);
    match block {
        Some(b) if b.cache.is_some_and(|o| !core::ptr::eq(o.cache, cache)) => {
            let other = b.cache.expect("checked").cache.name();
            bad_call_report(
                "invalid-free",
                ptr,
                origin,
                format_args!(
                    "attempting cache_free of {ptr:#x} to cache \"{name}\", but it is an object of cache \"{other}\", in thread T{tid}:"
                ),
                |out| describe_block(out, ptr, &b),
            )
        }
        Some(b) if b.cache.is_none() && exact(&b) && b.state == ChunkState::Live => bad_call_report(
            "invalid-free",
            ptr,
            origin,
            format_args!(
                "attempting cache_free of {ptr:#x} to cache \"{name}\", but it is a block from malloc (free it with free()), in thread T{tid}:"
            ),
            |out| describe_block(out, ptr, &b),
        ),
        _ => bad_call_report(
            "invalid-free",
            ptr,
            origin,
            format_args!(
                "attempting cache_free of {ptr:#x} to cache \"{name}\", which is not a live object of that cache, in thread T{tid}:"
            ),
            |out| describe_non_heap(out, ptr),
        ),
    }
}

fn alloc_name(k: AllocKind) -> &'static str {
    match k {
        AllocKind::Malloc => "malloc",
        AllocKind::New => "operator new",
        AllocKind::NewArray => "operator new []",
    }
}

fn dealloc_name(k: AllocKind) -> &'static str {
    match k {
        AllocKind::Malloc => "free",
        AllocKind::New => "operator delete",
        AllocKind::NewArray => "operator delete []",
    }
}

/// A block freed by a deallocator that does not match its allocator.
pub fn alloc_dealloc_mismatch(ptr: usize, allocated: AllocKind, freed: AllocKind, origin: Origin) {
    let tid = crate::thread::current_tid();
    bad_call_report(
        "alloc-dealloc-mismatch",
        ptr,
        origin,
        format_args!(
            "({} vs {}) on {ptr:#x} in thread T{tid}:",
            alloc_name(allocated),
            dealloc_name(freed)
        ),
        |out| {
            if let Some(b) = classify::block_at(ptr) {
                describe_block(out, ptr, &b);
            }
            let _ = writeln!(out, "HINT: if you don't care about these errors you may set TAGSAN_OPTIONS=alloc_dealloc_mismatch=0");
        },
    );
}

/// The report kind of an allocation failure, from the allocator's
/// description of it.
pub fn bad_allocation_kind(what: &str) -> &'static str {
    if what.contains("calloc") {
        "calloc-overflow"
    } else if what.contains("alignment") && what.contains("posix_memalign") {
        "invalid-posix-memalign-alignment"
    } else if what.contains("alignment") && what.contains("aligned_alloc") {
        "invalid-aligned-alloc-alignment"
    } else if what.contains("align") {
        "invalid-allocation-alignment"
    } else if what.contains("out of memory") {
        "out-of-memory"
    } else if what.contains("exceeds") || what.contains("too big") {
        "allocation-size-too-big"
    } else {
        "bad-allocation"
    }
}

/// An allocation that cannot be satisfied, when
/// `allocator_may_return_null=0`: `what` is the allocator's description
/// ("calloc parameters overflow", "requested allocation size exceeds
/// maximum supported size", ...) and `size` the size (or alignment) at
/// fault. Never returns.
pub fn bad_allocation(what: &str, size: usize, origin: Origin) -> ! {
    let Some(session) = session::begin(true, 0) else {
        unsafe { libc::_exit(1) }
    };
    let kind = bad_allocation_kind(what);
    let mut stack = [0usize; MAX_DEPTH];
    let n = current_stack(origin, &mut stack);
    let frames = &stack[..n];
    let mut out = Out::new();
    let _ = writeln!(
        out,
        "=={}==ERROR: TagSanitizer: {kind} at pc {:#x}",
        pid(),
        origin.pc
    );
    // An alignment error's number is the alignment (the interceptors pass
    // it as `size`).
    let label = if kind.starts_with("invalid-") && kind.ends_with("alignment") {
        "alignment"
    } else {
        "size"
    };
    let _ = writeln!(
        out,
        "{what} ({label} {size:#x}) in thread T{}:",
        crate::thread::current_tid()
    );
    print_frames(&mut out, frames);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "HINT: if you would rather have the allocator return NULL, set TAGSAN_OPTIONS=allocator_may_return_null=1"
    );
    summary(&mut out, kind, frames);
    out.flush();
    session.end();
    unsafe { libc::_exit(1) }
}

/// An access faulted on a heap page the kernel could not back (`SIGBUS`
/// on the heap's memory file, see `heap_limits`): an `out-of-memory` report
/// with the stack of the access. Never returns.
pub fn heap_page_unbacked(addr: usize, origin: Origin) -> ! {
    let Some(session) = session::begin(true, 0) else {
        crate::sys::exit_now(crate::flags::flags().exitcode)
    };
    let kind = "out-of-memory";
    let mut stack = [0usize; MAX_DEPTH];
    let n = current_stack(origin, &mut stack);
    let frames = &stack[..n];
    let mut out = Out::new();
    header(&mut out, kind, addr, origin.pc);
    let _ = writeln!(
        out,
        "the kernel could not give the tagged heap's memory file a page for {addr:#x} (the commit limit of vm.overcommit_memory=2, a full memory cgroup?) in thread T{}:",
        crate::thread::current_tid()
    );
    print_frames(&mut out, frames);
    let _ = writeln!(out);
    summary(&mut out, kind, frames);
    out.flush();
    session.end();
    crate::sys::exit_now(crate::flags::flags().exitcode)
}
