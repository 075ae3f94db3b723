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
//! 1. prepare (forking thread F): take every runtime lock (so no chunk is
//!    half-allocated; see "Every lock of the runtime across fork"), open a
//!    pipe, install a SIGSEGV handler and make every alias read-only.
//!    From here on, a heap write by another thread faults
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
//!
//! # Every lock of the runtime across fork
//!
//! A lock held by another thread at the moment of `fork` would be held
//! forever in the child (that thread does not exist there). So `prepare`
//! takes every runtime lock, in the order they nest in normal use, and both
//! sides release them: the object caches' (registry, each cache, slab
//! region, RCU callback queue: `cache::atfork`), the reporting side's
//! (symbolizer cache, module listing, stack depot creation: `report::fork`;
//! the listing because glibc does not reset the loader lock
//! `dl_iterate_phdr` holds), then the
//! allocator's (large, quarantine, central lists, internal memory).
//! What is not a lock the child resets: the RCU reader slots of vanished
//! threads and the membarrier registration (`cache::rcu::fork_child`),
//! the report lock and the report-text capture (`report::fork::child`,
//! `output::reset_after_fork`); RCU's one-time membarrier set-up takes no
//! lock at all. Everything here makes raw system calls (`sys`), so a
//! program's own `read` or `write` cannot re-enter malloc while the locks
//! are held.
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
        let _ = crate::sys::mprotect(HEAP_BASE + (tag << TAG_SHIFT), HEAP_SIZE, prot);
    }
}

fn futex(word: &AtomicU32, op: i32, val: u32) {
    crate::sys::futex(word, op, val);
}

extern "C" fn prepare() {
    if !crate::init::is_initialized() {
        return;
    }
    // Outermost first (see "Every lock of the runtime across fork"):
    // released in the reverse order.
    crate::cache::atfork::prepare();
    crate::report::fork::prepare();
    crate::allocator::fork_lock();
    FORKER.with(|f| f.set(true));
    let fds = crate::sys::pipe2(libc::O_CLOEXEC).unwrap_or([-1, -1]);
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
    let rd = PIPE_READ.load(Ordering::Relaxed);
    if rd >= 0 {
        crate::sys::close(PIPE_WRITE.load(Ordering::Relaxed));
        // One byte when the child has its copy; EOF if it died or fork failed.
        let mut byte = [0u8; 1];
        let _ = crate::sys::read(rd, &mut byte);
        crate::sys::close(rd);
    }
    protect_aliases(libc::PROT_READ | libc::PROT_WRITE);
    end_window();
    unsafe { crate::allocator::fork_unlock() };
    crate::report::fork::parent();
    crate::cache::atfork::parent();
}

extern "C" fn child() {
    if !FORKER.with(|f| f.get()) {
        return;
    }
    let old = crate::mapping::heap_fd();
    let new = crate::mapping::create_heap_file();
    if !crate::mapping::copy_file_data(old, 0, new, 0, HEAP_SIZE) {
        crate::mapping::fatal("fork: cannot copy the heap for the child");
    }
    for tag in 0..crate::mapping::alias_count() {
        crate::mapping::map_alias(new, tag, true);
    }
    crate::sys::close(old);
    crate::mapping::set_heap_fd(new);
    end_window();
    unsafe { crate::allocator::fork_unlock() };
    crate::report::fork::child();
    crate::output::reset_after_fork();
    crate::cache::atfork::child();
    let wr = PIPE_WRITE.load(Ordering::Relaxed);
    if wr >= 0 {
        let _ = crate::sys::write(wr, b"c");
        crate::sys::close(wr);
        crate::sys::close(PIPE_READ.load(Ordering::Relaxed));
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
            let _ = crate::sys::mprotect(addr & !4095, 4096, libc::PROT_READ | libc::PROT_WRITE);
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
