//! Thread ids (T0 is the first thread the runtime saw) and per-thread state.
//!
//! Per-thread allocator state (cache, quarantine batch, object-cache
//! magazines) is flushed at thread exit by a `pthread_key` destructor rather than a Rust TLS destructor or
//! `__cxa_thread_atexit_impl`: glibc's implementation of the latter calls
//! calloc, i.e. us, while we set up the very state it would register.

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};

static NEXT_TID: AtomicU32 = AtomicU32::new(0);
static EXIT_KEY: AtomicU32 = AtomicU32::new(u32::MAX);

thread_local! {
    static TID: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// This thread's tagsan thread id, assigned on first use.
pub fn current_tid() -> u32 {
    TID.with(|t| {
        let v = t.get();
        if v != u32::MAX {
            return v;
        }
        let v = NEXT_TID.fetch_add(1, Ordering::Relaxed);
        t.set(v);
        v
    })
}

extern "C" fn on_exit(_value: *mut libc::c_void) {
    crate::cache::magazine::thread_exit();
    crate::allocator::thread_exit();
    crate::history::thread_exit();
}

/// Creates the thread-exit key (at init, so it is one of the first keys:
/// keys below 32 never make glibc allocate in `pthread_setspecific`).
pub fn init() {
    let mut key: libc::pthread_key_t = 0;
    if unsafe { libc::pthread_key_create(&mut key, Some(on_exit)) } == 0 {
        EXIT_KEY.store(key, Ordering::Release);
    }
}

/// Arranges for this thread's allocator state to be flushed when it exits.
pub fn register_exit() {
    let key = EXIT_KEY.load(Ordering::Acquire);
    if key != u32::MAX {
        // Any non-null value makes glibc run the destructor.
        unsafe { libc::pthread_setspecific(key, core::ptr::dangling::<libc::c_void>()) };
    }
}
