//! Giving a forked child its own heap.
//!
//! The heap aliases are `MAP_SHARED` mappings of one memfd (that is what
//! makes aliasing work), so after a plain `fork` parent and child would
//! share the heap: each would see the other's writes and allocations
//! (LLVM's aliasing runtime has this bug). Shadow, metadata and all other
//! runtime memory are private mappings and get copy-on-write as usual.
//!
//! # Design
//!
//! `pthread_atfork` handlers, registered at init (so ours is the *last*
//! prepare handler to run and the *first* parent/child handler):
//!
//! 1. prepare (forking thread F): take every allocator lock (so no chunk is
//!    half-allocated), open a pipe, install a SIGSEGV handler and make every
//!    alias read-only. From here on, a heap write by another thread faults
//!    and the handler parks it (futex) until the window closes; reads go on.
//!    If F itself writes to the heap (another library's prepare handler, or
//!    glibc), the handler makes just that page writable again and lets it
//!    through.
//! 2. `fork`: the child starts with the parent's mappings of the same file.
//! 3. child (single-threaded): create a new memfd, copy the heap file into it
//!    extent by extent, skipping holes (`SEEK_DATA`/`SEEK_HOLE`), remap every
//!    alias onto it (`MAP_FIXED`, read-write), release the locks, and write a
//!    byte to the pipe.
//! 4. parent: wait for that byte (or EOF if the child died or fork failed),
//!    make the aliases writable, wake parked threads, release the locks.
//!
//! So the snapshot the child copies is the heap as of the moment F called
//! `fork`, plus F's own writes until the clone, while the parent's other
//! threads are stopped at their first heap write: the child sees a heap as
//! consistent as a normal fork's memory is.
//!
//! # Limits
//!
//! - `fork` costs a copy of the in-use heap (see the numbers below), paid
//!   while the parent's other threads cannot write to the heap.
//! - During the window a system call that writes into the heap from another
//!   thread (e.g. `read` into a heap buffer) fails with `EFAULT` instead of
//!   faulting: the kernel does not raise SIGSEGV for user copies.
//! - A page F unprotects during the window is writable by other threads
//!   through that alias until the window ends (F rarely writes at all).
//! - `vfork`, `posix_spawn` and `clone` without `fork` run no atfork
//!   handlers: their child shares the heap, as it shares all memory anyway
//!   until `exec`.
//! - A program that blocks SIGSEGV in a thread writing during the window
//!   is killed (the kernel forces a blocked synchronous signal).
//! - If the pipe cannot be created (out of file descriptors), the parent
//!   does not wait for the child's copy, which may then see some of the
//!   parent's later writes.
//! - Only the allocator's locks (and the runtime-internal memory pool's) are
//!   taken across fork; other runtime parts (stack depot, reports) keep
//!   their own fork safety.
//!
//! # Cost
//!
//! Measured with `tests/programs/runtime/fork_bench.c` (fork + child exit +
//! wait, best of 3, heap of 64 KiB blocks all written; 2-core VM shared with
//! other work, kernel 6.18; also `cargo test --release --test runtime_fork
//! -- --ignored --nocapture`):
//!
//! ```text
//! heap      glibc     tagsan (tag_bits=4)
//! 64 MiB    0.004 s   0.04 s
//! 1 GiB     0.037 s   0.63 - 0.75 s
//! ```
//!
//! Almost all of it is the copy (the kernel allocating and filling 256 k
//! shmem pages; `copy_file_range` keeps the child from faulting in the old
//! mapping to read them, with `pwrite` from alias 0 as the fallback). The
//! window's `mprotect` of every alias is cheap, as only populated page
//! tables are walked.

use crate::layout::*;
use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// `si_code` of a fault on a mapped page without the needed permission.
const SEGV_ACCERR: i32 = 2;

/// 1 while the fork window is open (a futex word).
static WINDOW: AtomicU32 = AtomicU32::new(0);
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

struct SavedAction(UnsafeCell<libc::sigaction>);
unsafe impl Sync for SavedAction {}
static OLD_SEGV: SavedAction = SavedAction(UnsafeCell::new(unsafe { core::mem::zeroed() }));

thread_local! {
    /// Set in the forking thread for the window.
    static FORKER: Cell<bool> = const { Cell::new(false) };
}

/// Registers the fork handlers.
pub fn init() {
    unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
}

fn protect_aliases(prot: i32) {
    for tag in 0..crate::mapping::alias_count() {
        let addr = HEAP_BASE + (tag << TAG_SHIFT);
        unsafe { libc::mprotect(addr as *mut libc::c_void, HEAP_SIZE, prot) };
    }
}

fn futex(word: &AtomicU32, op: i32, val: u32) {
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op | libc::FUTEX_PRIVATE_FLAG,
            val,
            core::ptr::null::<libc::timespec>(),
        );
    }
}

extern "C" fn prepare() {
    if !crate::init::is_initialized() {
        return;
    }
    // The reporting side first (stack depot), then the allocator, whose
    // malloc path captures stacks: released in the reverse order.
    crate::report::fork::prepare();
    crate::allocator::fork_lock();
    FORKER.with(|f| f.set(true));
    let mut fds = [-1; 2];
    unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    PIPE_READ.store(fds[0], Ordering::Relaxed);
    PIPE_WRITE.store(fds[1], Ordering::Relaxed);
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = on_segv as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGSEGV, &sa, OLD_SEGV.0.get());
    }
    WINDOW.store(1, Ordering::SeqCst);
    protect_aliases(libc::PROT_READ);
}

fn end_window() {
    WINDOW.store(0, Ordering::SeqCst);
    futex(&WINDOW, libc::FUTEX_WAKE, i32::MAX as u32);
    unsafe { libc::sigaction(libc::SIGSEGV, OLD_SEGV.0.get(), core::ptr::null_mut()) };
    FORKER.with(|f| f.set(false));
}

extern "C" fn parent() {
    if !FORKER.with(|f| f.get()) {
        return;
    }
    unsafe { libc::close(PIPE_WRITE.load(Ordering::Relaxed)) };
    let rd = PIPE_READ.load(Ordering::Relaxed);
    let mut byte = 0u8;
    loop {
        let n = unsafe { libc::read(rd, (&mut byte as *mut u8).cast(), 1) };
        if n >= 0 || unsafe { *libc::__errno_location() } != libc::EINTR {
            break;
        }
    }
    unsafe { libc::close(rd) };
    protect_aliases(libc::PROT_READ | libc::PROT_WRITE);
    end_window();
    unsafe { crate::allocator::fork_unlock() };
    crate::report::fork::parent();
}

extern "C" fn child() {
    if !FORKER.with(|f| f.get()) {
        return;
    }
    let old = crate::mapping::heap_fd();
    let new = crate::mapping::create_heap_file();
    copy_heap(old, new);
    for tag in 0..crate::mapping::alias_count() {
        crate::mapping::map_alias(new, tag, true);
    }
    unsafe { libc::close(old) };
    crate::mapping::set_heap_fd(new);
    end_window();
    unsafe { crate::allocator::fork_unlock() };
    crate::report::fork::child();
    let wr = PIPE_WRITE.load(Ordering::Relaxed);
    unsafe {
        libc::write(wr, b"c".as_ptr().cast(), 1);
        libc::close(wr);
        libc::close(PIPE_READ.load(Ordering::Relaxed));
    }
}

/// Copies every data extent of heap file `from` into `to`, reading through
/// alias 0 (still the old file's mapping).
fn copy_heap(from: i32, to: i32) {
    let mut off: i64 = 0;
    loop {
        let data = unsafe { libc::lseek(from, off, libc::SEEK_DATA) };
        if data < 0 {
            break; // ENXIO: no data past `off`
        }
        let hole = unsafe { libc::lseek(from, data, libc::SEEK_HOLE) };
        let end = if hole < 0 { HEAP_SIZE as i64 } else { hole };
        let mut at = data;
        while at < end {
            let len = ((end - at) as usize).min(1 << 30);
            let (mut src, mut dst) = (at, at);
            let mut n = unsafe { libc::copy_file_range(from, &mut src, to, &mut dst, len, 0) };
            if n < 0 {
                n = unsafe {
                    libc::pwrite(
                        to,
                        (HEAP_BASE + at as usize) as *const libc::c_void,
                        len,
                        at,
                    )
                };
            }
            if n <= 0 {
                if n < 0 && unsafe { *libc::__errno_location() } == libc::EINTR {
                    continue;
                }
                crate::mapping::fatal("fork: cannot copy the heap for the child");
            }
            at += n as i64;
        }
        off = end;
    }
}

extern "C" fn on_segv(sig: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let addr = unsafe { (*info).si_addr() } as usize;
    let ours = WINDOW.load(Ordering::SeqCst) == 1
        && is_heap(addr)
        && (ptr_tag(addr) as usize) < crate::mapping::alias_count()
        && unsafe { (*info).si_code } == SEGV_ACCERR;
    if ours {
        if FORKER.with(|f| f.get()) {
            let page = addr & !4095;
            unsafe {
                libc::mprotect(
                    page as *mut libc::c_void,
                    4096,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            return;
        }
        while WINDOW.load(Ordering::SeqCst) == 1 {
            futex(&WINDOW, libc::FUTEX_WAIT, 1);
        }
        return; // the write is retried, now allowed
    }
    // Not ours: hand it to whoever handled SIGSEGV before.
    let old = unsafe { &*OLD_SEGV.0.get() };
    let h = old.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Restore and return: the access faults again, with the old action.
        unsafe { libc::sigaction(libc::SIGSEGV, old, core::ptr::null_mut()) };
    } else if old.sa_flags & libc::SA_SIGINFO != 0 {
        let f: extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { core::mem::transmute(h) };
        f(sig, info, ctx);
    } else {
        let f: extern "C" fn(i32) = unsafe { core::mem::transmute(h) };
        f(sig);
    }
}
