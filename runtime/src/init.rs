//! Start-up. Lazy: the first malloc (glibc allocates during its own start-up,
//! long before `__hwasan_init` runs from the program's constructors), the
//! first check or `__hwasan_init`, whichever comes first.
//!
//! Nothing here may allocate from the user heap. Steps: flags, mappings,
//! allocator tables; the heap is then usable (state `READY`); only then the
//! steps that may call malloc themselves (`pthread_atfork` allocates in
//! glibc) run, re-entering malloc safely.

use core::sync::atomic::{AtomicU8, Ordering};

const NONE: u8 = 0;
const RUNNING: u8 = 1;
const READY: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(NONE);

/// Whether the heap is mapped and the allocator usable.
#[inline(always)]
pub fn is_initialized() -> bool {
    STATE.load(Ordering::Acquire) == READY
}

/// Initializes the runtime if nobody has.
#[inline(always)]
pub fn ensure_init() {
    if !is_initialized() {
        init_slow();
    }
}

#[cold]
#[inline(never)]
fn init_slow() {
    if STATE
        .compare_exchange(NONE, RUNNING, Ordering::Acquire, Ordering::Acquire)
        .is_err()
    {
        // Another thread is initializing: wait for it.
        while STATE.load(Ordering::Acquire) != READY {
            unsafe { libc::sched_yield() };
        }
        return;
    }
    crate::flags::init_from_env();
    let flags = crate::flags::flags();
    crate::mapping::map_all(flags.tag_bits);
    crate::allocator::init();
    crate::thread::init();
    STATE.store(READY, Ordering::Release);
    #[cfg(not(test))]
    crate::fork::init();
    if flags.verbosity > 0 {
        crate::output::write_all(b"tagsan: initialized\n");
    }
}
