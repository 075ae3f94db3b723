//! Keeping caches usable in a forked child.
//!
//! A `fork` while another thread holds a cache lock, the slab-region lock or
//! the RCU callback queue would leave the child (where that thread does not
//! exist) blocked on it forever, and a parent thread inside a read-side
//! section would leave its slot set in the child, where no one will ever
//! clear it, so `synchronize_rcu` would never return.
//!
//! So the runtime's fork handlers (`fork.rs`, registered at start-up) call
//! `prepare` first (taking the cache locks before the allocator's, the
//! order they nest in) and `parent`/`child` last. They run whether or not a
//! cache exists: RCU is usable without any cache.
//!
//! Invariants: between prepare and parent/child the forking thread holds
//! `REGISTRY`, then every registered cache's lock in list order, then the
//! slab region and the callback queue. New caches cannot register meanwhile
//! (they need `REGISTRY`), so parent/child release exactly what was taken.

use super::Cache;
use crate::sync::SpinLock;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Guards registration (and is held across fork).
static REGISTRY: SpinLock<()> = SpinLock::new(());
/// Newest registered cache; each links to the one registered before.
static HEAD: AtomicPtr<Cache> = AtomicPtr::new(core::ptr::null_mut());

/// Adds `cache` to the list the fork handlers lock.
pub fn register(cache: &'static Cache) {
    let _g = REGISTRY.lock();
    cache
        .next
        .store(HEAD.load(Ordering::Relaxed), Ordering::Relaxed);
    HEAD.store(cache as *const Cache as *mut Cache, Ordering::Release);
}

fn caches() -> impl Iterator<Item = &'static Cache> {
    let mut p = HEAD.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        let c = unsafe { p.as_ref()? };
        p = c.next.load(Ordering::Acquire);
        Some(c)
    })
}

/// Before `fork`: takes every cache lock.
pub fn prepare() {
    core::mem::forget(REGISTRY.lock());
    for c in caches() {
        c.lock_for_fork();
    }
    super::slab::fork_lock();
    super::rcu::fork_lock();
}

/// Releases what `prepare` took.
fn release() {
    unsafe {
        super::rcu::fork_unlock();
        super::slab::fork_unlock();
        for c in caches() {
            c.unlock_after_fork();
        }
        REGISTRY.force_unlock();
    }
}

/// In the parent after `fork`.
pub fn parent() {
    release();
}

/// In the child after `fork`.
pub fn child() {
    super::rcu::fork_child();
    release();
}
