//! Start-up. Lazy: the first malloc (glibc allocates during its own start-up,
//! long before `__hwasan_init` runs from the program's constructors), the
//! first check or `__hwasan_init`, whichever comes first.
//!
//! Nothing here may allocate from the user heap, and nothing here calls a
//! libc function the program could define itself (`getenv`, `mmap`,
//! `memfd_create`...): the environment is read from `environ` and system
//! calls are raw (`sys`). Steps: options, memory limits, mappings,
//! allocator tables; the heap is then usable (state `READY`); only then the
//! steps that may call malloc themselves (`pthread_atfork` allocates in
//! glibc) run, re-entering malloc safely.
//!
//! Re-entry: code the runtime does not control can still run on the
//! starting thread before `READY` (the program's default-options hook, a
//! signal handler). A `malloc` there is served from the start-up arena
//! (`bootstrap`), never waited on. Other threads wait for `READY`; if the
//! starting thread never gets there (it is blocked on a lock such a thread
//! holds), they stop with one line rather than spin forever.

use core::sync::atomic::{AtomicI32, AtomicU8, Ordering};

const NONE: u8 = 0;
const RUNNING: u8 = 1;
const READY: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(NONE);
/// Kernel thread id of the thread running start-up (0 before).
static STARTER: AtomicI32 = AtomicI32::new(0);

/// How long another thread waits for start-up before giving up, in ms.
const WAIT_LIMIT_MS: u64 = 60_000;

/// Whether the heap is mapped and the allocator usable.
#[inline(always)]
pub fn is_initialized() -> bool {
    STATE.load(Ordering::Acquire) == READY
}

/// Initializes the runtime if nobody has. Returns whether the heap is
/// usable: `false` only on the starting thread itself, re-entered during
/// start-up (its allocations then come from `bootstrap`).
#[inline(always)]
pub fn ensure_init() -> bool {
    is_initialized() || init_slow()
}

#[cold]
#[inline(never)]
fn init_slow() -> bool {
    let me = crate::sys::gettid();
    match STATE.compare_exchange(NONE, RUNNING, Ordering::Acquire, Ordering::Acquire) {
        Ok(_) => {
            STARTER.store(me, Ordering::Release);
            start();
            true
        }
        Err(READY) => true,
        Err(_) if STARTER.load(Ordering::Acquire) == me => false,
        Err(_) => {
            wait_for_start();
            true
        }
    }
}

/// Another thread is starting the runtime: wait for it (yield, then sleep).
fn wait_for_start() {
    let mut waited_ms = 0u64;
    let mut spins = 0u32;
    while STATE.load(Ordering::Acquire) != READY {
        spins += 1;
        if spins < 100 {
            crate::sys::sched_yield();
            continue;
        }
        crate::sys::nanosleep(1_000_000);
        waited_ms += 1;
        if waited_ms >= WAIT_LIMIT_MS {
            crate::mapping::fatal(
                "start-up by another thread did not finish within 60 s (is it blocked on a lock \
                 this thread holds, in a default-options hook or a signal handler?)",
            );
        }
    }
}

fn start() {
    crate::flags::init_from_env();
    let flags = crate::flags::flags();
    crate::output::check_log_path();
    crate::heap_limits::init(flags);
    crate::mapping::map_all(flags.tag_bits);
    crate::allocator::init();
    crate::heap_limits::after_mapping();
    crate::thread::init();
    STATE.store(READY, Ordering::Release);
    #[cfg(not(test))]
    {
        crate::fork::init();
        crate::heap_limits::install_sigbus_handler();
    }
    if flags.verbosity > 0 {
        crate::startup_summary::print(flags);
    }
}
