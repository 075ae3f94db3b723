//! What the heap may grow to, so a request that cannot be backed fails at
//! once (an `out-of-memory` report, or NULL with
//! `allocator_may_return_null=1`) instead of eating the machine's memory.
//!
//! The heap is a `memfd` mapped once per tag value (`mapping`). Its pages
//! are allocated when first touched, so nothing in the kernel refuses a
//! request up front the way `mmap` of anonymous memory is refused under
//! the kernel's heuristic overcommit. The runtime applies the same rules
//! itself:
//!
//! 1. **One request larger than RAM + swap** is refused (the kernel's
//!    `vm.overcommit_memory=0` heuristic). So is one larger than
//!    `max_allocation_size_mb` (`allocation-size-too-big`, as ASan's option)
//!    or than the allocator's own maximum (`allocator::MAX_ALLOCATION`).
//! 2. **`RLIMIT_AS` and `RLIMIT_DATA`** (`ulimit -v`, `ulimit -d`) bound the
//!    heap in use (the chunks and large blocks allocated and not freed), as
//!    they bound glibc's heap. Only then are allocations counted (an atomic
//!    add per malloc and free); without a limit the cost is one load. The runtime's own mappings (8 TiB of heap
//!    aliases, 32 GiB of shadow, all `MAP_NORESERVE`) would not fit under
//!    such a limit, so at start-up the soft limit is raised by what the
//!    runtime maps (up to the hard limit) and the program's original
//!    allowance becomes the heap's budget; `getrlimit` in the program and
//!    its children shows the raised value. A hard limit too low for the
//!    runtime's mappings stops the program with one line.
//! 3. **Pages that cannot be backed.** Under `vm.overcommit_memory=2` the
//!    kernel charges each page of the memfd when it is allocated, and a
//!    page it cannot charge is a `SIGBUS` on the access that touches it. So
//!    in that mode heap growth is explicit: fresh memory (a large block, a
//!    batch of small chunks) is allocated with `fallocate` when it is
//!    handed out, and an `ENOSPC`/`ENOMEM` fails the allocation cleanly.
//!    Any `SIGBUS` on a heap page that is left (a full memory cgroup, a
//!    truncated heap file) is reported as `out-of-memory` with the stack of
//!    the access, instead of a bare "Bus error" (`on_sigbus`).
//!
//! `RLIMIT_FSIZE` (`ulimit -f`) limits files a program writes; the heap
//! file is not one, so its `ftruncate` runs with the soft limit lifted
//! (`without_file_size_limit`) rather than dying of `SIGXFSZ`.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// Requests up to this size need no further look: `REQUEST_LIMIT`, or 0
/// while the heap in use is counted (rule 2), so every request is counted.
static FAST_LIMIT: AtomicUsize = AtomicUsize::new(crate::allocator::MAX_ALLOCATION);
/// Largest request served, whatever the cause (min of rule 1's limits).
static REQUEST_LIMIT: AtomicUsize = AtomicUsize::new(crate::allocator::MAX_ALLOCATION);
/// RAM + swap of the machine (0 = unknown).
static BACKABLE: AtomicUsize = AtomicUsize::new(0);
/// `max_allocation_size_mb` in bytes (0 = none).
static MAX_ALLOCATION_OPTION: AtomicUsize = AtomicUsize::new(0);
/// Heap bytes the rlimits allow (rule 2); `usize::MAX` = no limit.
static BUDGET: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Which limit `BUDGET` comes from (`RLIMIT_NAMES`).
static BUDGET_FROM: AtomicU8 = AtomicU8::new(0);
/// Heap bytes in use for rule 2.
static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// Rule 3: allocate fresh heap memory explicitly.
static EXPLICIT_GROWTH: AtomicBool = AtomicBool::new(false);

const RLIMIT_NAMES: [&str; 2] = ["RLIMIT_AS (ulimit -v)", "RLIMIT_DATA (ulimit -d)"];

/// Room left above the runtime's start-up mappings for the ones it makes
/// later (the stack depot's 2 GiB arena, internal memory).
const RUNTIME_SLACK: u64 = 4 << 30;

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Above `max_allocation_size_mb` or the allocator's maximum.
    TooBig { limit: usize, option: bool },
    /// More than RAM + swap in one request.
    MoreThanMachine { backable: usize },
    /// The heap would pass an rlimit.
    OverBudget { budget: usize, which: u8 },
    /// `fallocate` of fresh heap memory failed (rule 3).
    CannotGrow { errno: i32 },
}

impl Refusal {
    /// A refusal from the heap's growth (rule 2 or 3) as a non-zero word,
    /// for the allocator to keep in an atomic (`decode` undoes it).
    pub fn encode(&self) -> u32 {
        match *self {
            Refusal::CannotGrow { errno } => 2 | (errno as u32) << 8,
            _ => 1,
        }
    }

    /// `encode`'s inverse; `None` for 0.
    pub fn decode(word: u32) -> Option<Refusal> {
        match word & 0xff {
            0 => None,
            2 => Some(Refusal::CannotGrow {
                errno: (word >> 8) as i32,
            }),
            _ => Some(Refusal::OverBudget {
                budget: BUDGET.load(Ordering::Relaxed),
                which: BUDGET_FROM.load(Ordering::Relaxed),
            }),
        }
    }

    /// The errno a NULL return sets.
    pub fn errno(&self) -> i32 {
        libc::ENOMEM
    }

    /// The report's description (its kind follows from the words, see
    /// `report::bad_allocation_kind`).
    pub fn describe<'a>(&self, buf: &'a mut [u8]) -> &'a str {
        let mut w = crate::report::format::FixedBuf::new(buf);
        let _ = match *self {
            Refusal::TooBig { limit, option: true } => write!(
                w,
                "requested allocation size exceeds max_allocation_size_mb ({limit:#x} bytes)"
            ),
            Refusal::TooBig { limit, option: false } => write!(
                w,
                "requested allocation size exceeds maximum supported size of {limit:#x}"
            ),
            Refusal::MoreThanMachine { backable } => write!(
                w,
                "out of memory: one request for more than this machine's RAM + swap ({backable:#x} bytes)"
            ),
            Refusal::OverBudget { budget, which } => write!(
                w,
                "out of memory: the heap would pass {} ({budget:#x} bytes for the heap)",
                RLIMIT_NAMES[which as usize & 1]
            ),
            Refusal::CannotGrow { errno } => write!(
                w,
                "out of memory: the heap's memory file cannot grow (fallocate: {})",
                errno_name(errno)
            ),
        };
        let n = w.len();
        core::str::from_utf8(&buf[..n]).unwrap_or("out of memory")
    }
}

fn errno_name(e: i32) -> &'static str {
    match e {
        libc::ENOSPC => "ENOSPC",
        libc::ENOMEM => "ENOMEM",
        libc::EFBIG => "EFBIG",
        libc::EINTR => "EINTR",
        _ => "error",
    }
}

/// Fails an allocation of `size` for `why`: NULL with errno, or a report.
#[cold]
pub fn fail(why: Refusal, size: usize, origin: crate::unwind::Origin) -> *mut u8 {
    let mut buf = [0u8; 200];
    let what = why.describe(&mut buf);
    crate::allocator::fail(what, size, why.errno(), origin)
}

/// Rules 1 and 2 for a request of `size` bytes: refused, or admitted (and
/// counted while `counting`: `release(size)` when the block is freed or the
/// allocation fails after all). One compare on the usual path.
#[inline(always)]
pub fn admit(size: usize) -> Result<(), Refusal> {
    if size <= FAST_LIMIT.load(Ordering::Relaxed) {
        return Ok(());
    }
    admit_slow(size)
}

#[cold]
fn admit_slow(size: usize) -> Result<(), Refusal> {
    if size > REQUEST_LIMIT.load(Ordering::Relaxed) {
        return Err(classify_request(size));
    }
    grow(charge(size))
}

/// What a block of `size` bytes counts for rule 2 (whole granules).
#[inline]
fn charge(size: usize) -> usize {
    size.max(1).next_multiple_of(16)
}

#[cold]
fn classify_request(size: usize) -> Refusal {
    let option = MAX_ALLOCATION_OPTION.load(Ordering::Relaxed);
    if option != 0 && size > option {
        return Refusal::TooBig {
            limit: option,
            option: true,
        };
    }
    if size > crate::allocator::MAX_ALLOCATION {
        return Refusal::TooBig {
            limit: crate::allocator::MAX_ALLOCATION,
            option: false,
        };
    }
    Refusal::MoreThanMachine {
        backable: BACKABLE.load(Ordering::Relaxed),
    }
}

/// Whether the heap in use is counted (a budget is in force). Without one
/// (the usual case) small allocations skip the counting: one load.
#[inline(always)]
pub fn counting() -> bool {
    BUDGET.load(Ordering::Relaxed) != usize::MAX
}

/// Rule 2: counts `bytes` more heap in use, or refuses if that passes the
/// budget.
fn grow(bytes: usize) -> Result<(), Refusal> {
    let budget = BUDGET.load(Ordering::Relaxed);
    if budget == usize::MAX {
        return Ok(());
    }
    let before = IN_USE.fetch_add(bytes, Ordering::Relaxed);
    if before.saturating_add(bytes) > budget {
        IN_USE.fetch_sub(bytes, Ordering::Relaxed);
        return Err(Refusal::OverBudget {
            budget,
            which: BUDGET_FROM.load(Ordering::Relaxed),
        });
    }
    Ok(())
}

/// Undoes `admit(size)`: the block is freed (or was not made after all).
#[inline]
pub fn release(size: usize) {
    if counting() {
        IN_USE.fetch_sub(charge(size), Ordering::Relaxed);
    }
}

/// Rule 3: allocates the memory of heap offsets `[off, off + len)` now
/// when growth is explicit (strict overcommit); otherwise nothing (pages
/// come when touched).
pub fn back(off: usize, len: usize) -> Result<(), Refusal> {
    if !EXPLICIT_GROWTH.load(Ordering::Relaxed) || len == 0 {
        return Ok(());
    }
    let begin = off & !4095;
    let end = (off + len).next_multiple_of(4096);
    crate::sys::fallocate(crate::mapping::heap_fd(), 0, begin, end - begin)
        .map(|_| ())
        .map_err(|errno| Refusal::CannotGrow { errno })
}

/// What `verbosity=1` prints about the limits.
pub fn summary(out: &mut dyn Write) {
    let _ = write!(
        out,
        "memory limits: one allocation at most {:#x} bytes",
        REQUEST_LIMIT.load(Ordering::Relaxed)
    );
    let backable = BACKABLE.load(Ordering::Relaxed);
    if backable != 0 {
        let _ = write!(out, " (RAM + swap {backable:#x})");
    }
    let budget = BUDGET.load(Ordering::Relaxed);
    if budget != usize::MAX {
        let _ = write!(
            out,
            "; heap budget {budget:#x} bytes from {}",
            RLIMIT_NAMES[BUDGET_FROM.load(Ordering::Relaxed) as usize & 1]
        );
    }
    if EXPLICIT_GROWTH.load(Ordering::Relaxed) {
        let _ = write!(out, "; heap growth explicit (vm.overcommit_memory=2)");
    }
    let _ = writeln!(out);
}

/// Soft limits raised at start-up, restored by `after_mapping`.
struct Raised {
    /// (resource, original soft, hard, usage before the runtime mapped).
    limits: [(u32, u64, u64, u64); 2],
    count: usize,
}

static mut RAISED: Raised = Raised {
    limits: [(0, 0, 0, 0); 2],
    count: 0,
};

/// Sizes from `/proc/self/statm`: (total VM, data VM) in bytes.
fn vm_usage() -> (u64, u64) {
    let mut buf = [0u8; 256];
    let n = crate::sys::read_file(c"/proc/self/statm", &mut buf).unwrap_or(0);
    let mut fields = buf[..n].split(|&c| c == b' ' || c == b'\n').map(|f| {
        f.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u64)
        })
    });
    let size = fields.next().flatten().unwrap_or(0);
    let data = fields.nth(4).flatten().unwrap_or(0);
    (size * 4096, data * 4096)
}

/// Reads the machine and process limits (before the heap is mapped) and
/// lifts the soft rlimits the runtime's mappings need.
pub fn init(flags: &crate::flags::Flags) {
    let backable = crate::sys::memory_totals()
        .map(|(ram, swap)| ram.saturating_add(swap) as usize)
        .unwrap_or(0);
    BACKABLE.store(backable, Ordering::Relaxed);
    let option = flags.max_allocation_size_mb.saturating_mul(1 << 20);
    MAX_ALLOCATION_OPTION.store(option, Ordering::Relaxed);
    let mut limit = crate::allocator::MAX_ALLOCATION;
    if backable != 0 {
        limit = limit.min(backable);
    }
    if option != 0 {
        limit = limit.min(option);
    }
    REQUEST_LIMIT.store(limit, Ordering::Relaxed);
    FAST_LIMIT.store(limit, Ordering::Relaxed);

    let mut buf = [0u8; 8];
    let n = crate::sys::read_file(c"/proc/sys/vm/overcommit_memory", &mut buf).unwrap_or(0);
    EXPLICIT_GROWTH.store(buf[..n].first() == Some(&b'2'), Ordering::Relaxed);

    let limits = [libc::RLIMIT_AS, libc::RLIMIT_DATA]
        .map(|r| crate::sys::getrlimit(r).unwrap_or((libc::RLIM_INFINITY, libc::RLIM_INFINITY)));
    if limits.iter().all(|&(soft, _)| soft == libc::RLIM_INFINITY) {
        return;
    }
    let (vm, data) = vm_usage();
    // SAFETY: start-up, one thread (see `init`).
    let raised = unsafe { &mut *core::ptr::addr_of_mut!(RAISED) };
    for (i, (resource, used)) in [(libc::RLIMIT_AS, vm), (libc::RLIMIT_DATA, data)]
        .into_iter()
        .enumerate()
    {
        let (soft, hard) = limits[i];
        if soft == libc::RLIM_INFINITY {
            continue;
        }
        let budget = soft.saturating_sub(used) as usize;
        if budget < BUDGET.load(Ordering::Relaxed) {
            BUDGET.store(budget, Ordering::Relaxed);
            BUDGET_FROM.store(i as u8, Ordering::Relaxed);
            FAST_LIMIT.store(0, Ordering::Relaxed);
        }
        if hard != soft && crate::sys::setrlimit(resource, hard, hard).is_ok() {
            raised.limits[raised.count] = (resource, soft, hard, used);
            raised.count += 1;
        }
    }
}

/// After the runtime's start-up mappings: puts each raised soft limit back
/// to the program's allowance plus what the runtime mapped (and room for
/// its later mappings), at most the hard limit.
pub fn after_mapping() {
    // SAFETY: start-up, one thread (see `init`).
    let raised = unsafe { &*core::ptr::addr_of!(RAISED) };
    if raised.count == 0 {
        return;
    }
    let (vm, data) = vm_usage();
    for &(resource, soft, hard, used_before) in &raised.limits[..raised.count] {
        let now = if resource == libc::RLIMIT_AS {
            vm
        } else {
            data
        };
        let ours = now.saturating_sub(used_before);
        let new = soft
            .saturating_add(ours)
            .saturating_add(RUNTIME_SLACK)
            .min(hard);
        let _ = crate::sys::setrlimit(resource, new, hard);
    }
}

/// Runs `f` (the heap file's `ftruncate`) with `RLIMIT_FSIZE`'s soft limit
/// lifted to the hard one, then puts it back.
pub fn without_file_size_limit<T>(f: impl FnOnce() -> T) -> T {
    let resource = libc::RLIMIT_FSIZE;
    match crate::sys::getrlimit(resource) {
        Ok((soft, hard)) if soft != hard => {
            let _ = crate::sys::setrlimit(resource, hard, hard);
            let r = f();
            let _ = crate::sys::setrlimit(resource, soft, hard);
            r
        }
        _ => f(),
    }
}

/// `SIGBUS` on a heap page the kernel could not back (rule 3): a report of
/// the access, then exit. Other `SIGBUS`es go to the previous handler.
pub fn install_sigbus_handler() {
    // SAFETY: installing a handler with a zeroed, then filled, sigaction.
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = on_sigbus as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGBUS, &sa, OLD_SIGBUS.0.get());
    }
}

struct SavedAction(core::cell::UnsafeCell<libc::sigaction>);
// SAFETY: written once at start-up, read by the handler afterwards.
unsafe impl Sync for SavedAction {}
// SAFETY: all-zero is a valid sigaction (SIG_DFL).
static OLD_SIGBUS: SavedAction =
    SavedAction(core::cell::UnsafeCell::new(unsafe { core::mem::zeroed() }));

extern "C" fn on_sigbus(sig: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo.
    let addr = unsafe { (*info).si_addr() } as usize;
    let tag = crate::layout::ptr_tag(addr) as usize;
    if crate::layout::is_heap(addr) && tag < crate::mapping::alias_count() {
        // SAFETY: SA_SIGINFO handlers get a ucontext_t.
        let origin = unsafe {
            let uc = &*(ctx as *const libc::ucontext_t);
            crate::unwind::Origin {
                pc: uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
                frame: uc.uc_mcontext.gregs[libc::REG_RBP as usize] as usize,
            }
        };
        crate::report::heap_page_unbacked(addr, origin);
    }
    // Not ours: hand it to whoever handled SIGBUS before.
    // SAFETY: written at install time.
    let old = unsafe { &*OLD_SIGBUS.0.get() };
    let h = old.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Restore and return: the access faults again, with the old action.
        // SAFETY: a saved, valid sigaction.
        unsafe { libc::sigaction(libc::SIGBUS, old, core::ptr::null_mut()) };
    } else if old.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler, with the signature SA_SIGINFO promises.
        let f: extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { core::mem::transmute(h) };
        f(sig, info, ctx);
    } else {
        // SAFETY: the previous plain handler.
        let f: extern "C" fn(i32) = unsafe { core::mem::transmute(h) };
        f(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_their_report_kinds() {
        let mut buf = [0u8; 200];
        for (r, kind) in [
            (
                Refusal::TooBig {
                    limit: 1 << 20,
                    option: true,
                },
                "allocation-size-too-big",
            ),
            (
                Refusal::TooBig {
                    limit: 1 << 37,
                    option: false,
                },
                "allocation-size-too-big",
            ),
            (
                Refusal::MoreThanMachine { backable: 1 << 34 },
                "out-of-memory",
            ),
            (
                Refusal::OverBudget {
                    budget: 1 << 30,
                    which: 0,
                },
                "out-of-memory",
            ),
            (
                Refusal::CannotGrow {
                    errno: libc::ENOSPC,
                },
                "out-of-memory",
            ),
        ] {
            let text = r.describe(&mut buf);
            assert_eq!(crate::report::bad_allocation_kind(text), kind, "{text}");
        }
    }

    #[test]
    fn statm_is_read() {
        let (vm, data) = vm_usage();
        assert!(vm > 0 && data > 0 && data <= vm);
    }
}
