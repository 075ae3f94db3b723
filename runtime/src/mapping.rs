//! Creating the heap aliases and the shadow.
//!
//! The heap is one `memfd` of `HEAP_SIZE` bytes (sparse: only pages the
//! program touches are backed), mapped `MAP_SHARED` once per tag value at
//! `HEAP_BASE + (tag << TAG_SHIFT)`. Alias 0 is the runtime's untagged view.
//! The shadow is anonymous `MAP_NORESERVE` memory at `SHADOW_BASE`.
//!
//! Every mapping uses `MAP_FIXED_NOREPLACE`: if something already sits in the
//! range (an ASLR'd library, another runtime) we stop with one clear line
//! rather than silently clobbering it.
//!
//! # Choosing `tag_bits`
//!
//! A stale or wild pointer is missed when its tag happens to equal the memory
//! tag: odds `1/(2^k - 1)` for `k` tag bits (neighbouring chunks never share
//! a tag, so linear overflows into the next chunk are caught whatever `k`).
//! More aliases cost address space (free), one VMA each, and page faults: a
//! page written through `n` different aliases is faulted `n` times and gets
//! page-table entries in each alias, and `fork` (see `fork.rs`) protects and
//! remaps every alias. Measured with `tests/programs/runtime/tagbits_bench.c`
//! (64 MiB of 64-byte blocks written, freed, allocated and written again,
//! then one fork; 2-core VM, kernel 6.18, best of quiet runs):
//!
//! ```text
//! tag_bits  miss odds   first touch (faults)   reuse (faults)   VmPTE    fork
//! glibc        -        0.058 s  ( 22.5 k)     0.006 s (  0 k)   0.2 MB  0.004 s
//! 3         1/7  14.3%  0.199 s  (126 k)       0.061 s (  8 k)   1.4 MB  0.066 s
//! 4         1/15  6.7%  0.313 s  (255 k)       0.070 s ( 18 k)   2.5 MB  0.086 s
//! 5         1/31  3.2%  0.518 s  (461 k)       0.147 s ( 77 k)   4.8 MB  0.118 s
//! 6         1/63  1.6%  0.709 s  (679 k)       0.346 s (266 k)   9.5 MB  0.195 s
//! ```
//!
//! The first-touch cost grows with the number of aliases a page is written
//! through (~1.6x per extra bit), the steady-state cost of reusing memory
//! under new tags stays flat up to 4 bits and then doubles per bit, and the
//! page-table memory doubles per bit. The default, `DEFAULT_TAG_BITS` = 4,
//! is the knee: it halves the misses of 3 bits for +57% first-touch and +30%
//! fork cost, with reuse still as cheap as at 3; each further bit halves the
//! misses again but doubles the steady-state and page-table cost.
//! (`MADV_POPULATE_WRITE` of every alias ahead of use was tried to batch the
//! faults: it counts and costs the same faults, and maps aliases never used.)

use crate::layout::*;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// The memfd backing the heap (replaced in a forked child).
static HEAP_FD: AtomicI32 = AtomicI32::new(-1);
/// Tag bits in force (number of aliases is `1 << tag_bits`).
static TAG_BITS: AtomicU32 = AtomicU32::new(0);

/// The default `tag_bits` (see the measurement above).
pub const DEFAULT_TAG_BITS: u32 = 4;

/// Tag bits in force (0 before the heap is mapped).
#[inline(always)]
pub fn tag_bits() -> u32 {
    TAG_BITS.load(Ordering::Relaxed)
}

/// Number of heap aliases mapped.
pub fn alias_count() -> usize {
    1 << tag_bits()
}

/// The memfd backing the heap.
pub fn heap_fd() -> i32 {
    HEAP_FD.load(Ordering::Relaxed)
}

/// Prints one fatal line and exits: the runtime cannot work without its
/// fixed mappings.
pub fn fatal(msg: &str) -> ! {
    fatal_in_range(msg, None)
}

/// `fatal`, naming the fixed address range `[lo, hi)` the message is about.
fn fatal_in_range(msg: &str, range: Option<(usize, usize)>) -> ! {
    crate::output::write_all(b"tagsan: fatal: ");
    crate::output::write_all(msg.as_bytes());
    if let Some((lo, hi)) = range {
        let mut buf = [0u8; 40];
        let mut at = 0;
        for (i, v) in [lo, hi].into_iter().enumerate() {
            if i == 1 {
                buf[at] = b'-';
                at += 1;
            }
            buf[at..at + 2].copy_from_slice(b"0x");
            at += 2;
            for shift in (0..12).rev() {
                buf[at] = b"0123456789abcdef"[(v >> (shift * 4)) & 15];
                at += 1;
            }
        }
        crate::output::write_all(b" (fixed range ");
        crate::output::write_all(&buf[..at]);
        crate::output::write_all(b")");
    }
    crate::output::write_all(b"\n");
    crate::sys::exit_now(1)
}

/// Creates a fresh, empty heap file (raw system calls: see `sys`).
pub fn create_heap_file() -> i32 {
    let fd = match crate::sys::memfd_create(c"tagsan-heap", libc::MFD_CLOEXEC) {
        Ok(fd) => fd as i32,
        Err(_) => fatal("memfd_create failed: cannot create the tagged heap"),
    };
    // The heap file is not a file the program writes: `ulimit -f` does not
    // apply to it (and would kill the process with SIGXFSZ).
    match crate::heap_limits::without_file_size_limit(|| crate::sys::ftruncate(fd, HEAP_SIZE)) {
        Ok(_) => {}
        Err(libc::EFBIG) => fatal(
            "cannot size the heap's memory file: the hard RLIMIT_FSIZE (ulimit -H -f) is below \
             512 GiB; tagsan needs it unlimited (soft limits are fine)",
        ),
        Err(_) => fatal("ftruncate of the heap memfd failed"),
    }
    fd
}

/// Why a fixed mapping failed, in words.
fn map_error(what: &'static str, errno: i32) -> &'static str {
    match (what, errno) {
        ("heap", libc::EEXIST) => "cannot map the tagged heap: its fixed address range is in use",
        ("heap", libc::ENOMEM) => {
            "cannot map the tagged heap: out of address space (a hard virtual memory limit, \
             ulimit -H -v? tagsan needs ~8 TiB of address space; a soft limit, ulimit -S -v, \
             is honoured as the heap's budget)"
        }
        ("heap", _) => "cannot map the tagged heap at its fixed address range",
        (_, libc::EEXIST) => "cannot map shadow memory: its fixed address range is in use",
        (_, libc::ENOMEM) => {
            "cannot map shadow memory: out of address space (a hard limit, ulimit -H -v or \
             ulimit -H -d? tagsan needs 32 GiB of reserved shadow; soft limits are honoured as \
             the heap's budget)"
        }
        _ => "cannot map shadow memory at its fixed address range",
    }
}

/// Maps alias `tag` of heap file `fd`. `replace` maps over an existing alias
/// (the forked child's remap); otherwise the range must be free.
pub fn map_alias(fd: i32, tag: usize, replace: bool) {
    let addr = HEAP_BASE + (tag << TAG_SHIFT);
    let fixed = if replace {
        libc::MAP_FIXED
    } else {
        libc::MAP_FIXED_NOREPLACE
    };
    let r = crate::sys::mmap(
        addr,
        HEAP_SIZE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED | libc::MAP_NORESERVE | fixed,
        fd,
        0,
    );
    match r {
        Ok(p) if p == addr => {}
        Ok(p) => {
            // An old kernel that ignores MAP_FIXED_NOREPLACE gave us another address.
            let _ = crate::sys::munmap(p, HEAP_SIZE);
            fatal_in_range(
                map_error("heap", libc::EEXIST),
                Some((HEAP_BASE, HEAP_BASE << 1)),
            );
        }
        Err(e) => fatal_in_range(map_error("heap", e), Some((HEAP_BASE, HEAP_BASE << 1))),
    }
}

/// Maps the heap aliases for `tag_bits` and the shadow. Called once, by
/// `init`, before anything is allocated.
pub fn map_all(tag_bits: u32) {
    let tag_bits = tag_bits.clamp(MIN_TAG_BITS, MAX_TAG_BITS);
    let fd = create_heap_file();
    for tag in 0..(1usize << tag_bits) {
        map_alias(fd, tag, false);
    }
    let r = crate::sys::mmap(
        SHADOW_BASE,
        SHADOW_SIZE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED_NOREPLACE,
        -1,
        0,
    );
    match r {
        Ok(p) if p == SHADOW_BASE => {}
        Ok(_) => fatal_in_range(
            map_error("shadow", libc::EEXIST),
            Some((SHADOW_BASE, SHADOW_BASE + SHADOW_SIZE)),
        ),
        Err(e) => fatal_in_range(
            map_error("shadow", e),
            Some((SHADOW_BASE, SHADOW_BASE + SHADOW_SIZE)),
        ),
    }
    HEAP_FD.store(fd, Ordering::Relaxed);
    TAG_BITS.store(tag_bits, Ordering::Release);
}

/// Replaces the heap file (the forked child's private copy).
pub fn set_heap_fd(fd: i32) {
    HEAP_FD.store(fd, Ordering::Relaxed);
}

/// Gives heap offsets `[off, off+len)` back to the OS (page aligned). Later
/// reads see zeros.
pub fn release_heap(off: usize, len: usize) {
    let _ = crate::sys::fallocate(
        heap_fd(),
        libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
        off,
        len,
    );
}

/// Copies bytes `[from_off, from_off + len)` of heap file `from` to offset
/// `to_off` of file `to` (the same file, or the forked child's new one),
/// skipping holes: pages nobody ever touched are not read (a read fault on
/// a memfd hole would allocate a page) nor written. The destination range
/// must read as zero where the source has holes. Falls back to writing
/// from alias 0 (the mapping of the heap file) if `copy_file_range` fails.
/// Returns false if the copy could not be made.
pub fn copy_file_data(from: i32, from_off: usize, to: i32, to_off: usize, len: usize) -> bool {
    let end = from_off + len;
    let mut off = from_off;
    while off < end {
        let data = match crate::sys::lseek(from, off, libc::SEEK_DATA) {
            Ok(d) if d < end => d,
            _ => break, // ENXIO: no data past `off`
        };
        let hole = crate::sys::lseek(from, data, libc::SEEK_HOLE)
            .unwrap_or(end)
            .min(end);
        let mut at = data;
        while at < hole {
            let n = (hole - at).min(1 << 30);
            let dst = to_off + (at - from_off);
            let done = match crate::sys::copy_file_range(from, at, to, dst, n) {
                Ok(k) if k > 0 => k,
                _ => match crate::sys::pwrite(to, (HEAP_BASE + at) as *const u8, n, dst) {
                    Ok(k) if k > 0 => k,
                    _ => return false,
                },
            };
            at += done;
        }
        off = hole;
    }
    true
}
