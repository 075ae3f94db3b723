//! Unit tests of tag choice and object life through the Rust API (the
//! slab math is tested in `slab`, the RCU in `rcu`).

use super::*;
use core::sync::atomic::AtomicUsize;

fn shadow_tag(p: *mut u8) -> Option<u8> {
    crate::shadow::granule_tag(p as usize)
}

#[test]
fn plain_cache_retags_like_malloc() {
    let c = CacheHandle::new("plain", 40, 8, 0, None).unwrap();
    let p = c.alloc();
    assert_eq!(shadow_tag(p), Some(ptr_tag(p as usize)));
    assert!(crate::shadow::first_mismatch(p as usize, 40).is_none());
    assert_eq!(
        crate::shadow::first_mismatch(p as usize, 41),
        Some(40),
        "short granule catches the tail"
    );
    let q = c.alloc();
    assert_ne!(
        ptr_tag(p as usize),
        ptr_tag(q as usize),
        "neighbours differ"
    );
    unsafe { c.free(p) };
    assert_eq!(crate::shadow::shadow_byte(p as usize), SHADOW_FREED);
    let p2 = c.alloc();
    assert_eq!(untag(p2 as usize), untag(p as usize), "LIFO reuse");
    assert_ne!(
        ptr_tag(p2 as usize),
        ptr_tag(p as usize),
        "new tag on reuse"
    );
    unsafe { c.free(p2) };
    unsafe { c.free(q) };
}

static CTOR_CALLS: AtomicUsize = AtomicUsize::new(0);
unsafe extern "C" fn ctor(obj: *mut libc::c_void) {
    CTOR_CALLS.fetch_add(1, Ordering::Relaxed);
    // A self-referencing list head, as a constructor may store.
    unsafe { *(obj as *mut usize) = obj as usize };
}

#[test]
fn constructor_runs_once_per_object_and_tags_are_kept() {
    let c = CacheHandle::new("ctor", 48, 8, 0, Some(ctor)).unwrap();
    let per_slab = c.stats().objects_per_slab as usize;
    let p = c.alloc();
    let self_ptr = unsafe { *(untag(p as usize) as *const usize) };
    assert_eq!(
        self_ptr, p as usize,
        "the constructor saw the object's final tagged pointer"
    );
    for _ in 0..1000 {
        let q = c.alloc();
        unsafe { c.free(q) };
    }
    unsafe { c.free(p) };
    let p2 = c.alloc();
    assert_eq!(p2, p, "same object, same tag");
    let s = c.stats();
    assert_eq!(s.ctor_calls, s.objects_created);
    assert_eq!(s.objects_created as usize, per_slab);
    let q = c.alloc();
    assert_ne!(ptr_tag(q as usize), ptr_tag(p2 as usize));
    unsafe { c.free(q) };
    unsafe { c.free(p2) };
}

#[test]
fn rcu_free_keeps_the_tag_and_shrink_waits_for_a_grace_period() {
    let c = CacheHandle::new("rcu", 64, 0, TYPESAFE_BY_RCU, Some(ctor)).unwrap();
    let p = c.alloc();
    unsafe { c.free(p) };
    assert!(
        crate::shadow::first_mismatch(p as usize, 64).is_none(),
        "readable after free"
    );
    {
        let _g = rcu_read();
        assert_eq!(c.shrink(), 1);
        assert!(
            crate::shadow::first_mismatch(p as usize, 64).is_none(),
            "slab kept inside a read section"
        );
    }
    rcu_barrier();
    assert_eq!(
        crate::shadow::first_mismatch(p as usize, 1),
        Some(0),
        "released after the grace period"
    );
    let f = crate::report::classify::classify(p as usize, 8);
    assert_eq!(f.cause.name(), "use-after-free");
    assert_eq!(f.block.unwrap().begin, untag(p as usize));
    assert!(f.block.unwrap().cache.is_some());
}

#[test]
fn overflow_into_the_next_object_is_described() {
    let c = CacheHandle::new("conn", 48, 8, 0, Some(ctor)).unwrap();
    let a = c.alloc();
    let b = c.alloc();
    assert_eq!(untag(b as usize), untag(a as usize) + 48);
    let bad = a as usize + 56;
    assert_eq!(crate::shadow::first_mismatch(bad, 8), Some(0));
    let f = crate::report::classify::classify(bad, 8);
    assert_eq!(
        (f.cause.name(), f.block.unwrap().begin),
        ("heap-buffer-overflow", untag(a as usize))
    );
    unsafe {
        c.free(a);
        c.free(b);
    }
}

#[test]
fn threads_allocate_and_free_concurrently() {
    let c: &'static Cache = create(b"mt", 32, 16, 0, None).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                for i in 0..20_000 {
                    v.push(alloc(c, Origin::here()));
                    if i % 3 == 0 {
                        free(c, v.pop().unwrap(), Origin::here());
                    }
                }
                for p in v {
                    free(c, p, Origin::here());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(c.stats().live_objects, 0);
    assert!(shrink(c) >= 1);
    assert_eq!(c.stats().slabs, 0);
}

#[test]
fn shrink_keeps_slabs_with_objects_in_use_and_drops_only_empty_ones() {
    let c = CacheHandle::new("shrink", 1024, 0, 0, None).unwrap();
    let per_slab = c.stats().objects_per_slab as usize;
    let objs: Vec<*mut u8> = (0..per_slab * 3).map(|_| c.alloc()).collect();
    assert_eq!(c.stats().slabs, 3);
    // Empty the first and last slab, keep one object in the middle one.
    for (i, &p) in objs.iter().enumerate() {
        if i != per_slab + 1 {
            unsafe { c.free(p) };
        }
    }
    assert_eq!(c.shrink(), 2);
    assert_eq!(c.stats().slabs, 1);
    assert_eq!(
        crate::shadow::first_mismatch(objs[0] as usize, 1),
        Some(0),
        "released"
    );
    // The remaining free objects all come from the kept slab.
    let again: Vec<*mut u8> = (0..per_slab - 1).map(|_| c.alloc()).collect();
    assert_eq!(c.stats().slabs, 1);
    for p in again {
        unsafe { c.free(p) };
    }
    unsafe { c.free(objs[per_slab + 1]) };
}

#[test]
fn objects_in_a_threads_magazine_keep_their_slab_until_it_exits() {
    use std::sync::mpsc::channel;
    let c: &'static Cache = create(b"magazine", 64, 0, 0, None).unwrap();
    let (freed_tx, freed_rx) = channel();
    let (go_tx, go_rx) = channel::<()>();
    let t = std::thread::spawn(move || {
        let objs: Vec<usize> = (0..10).map(|_| alloc(c, Origin::here()) as usize).collect();
        for &p in &objs {
            free(c, p as *mut u8, Origin::here());
        }
        freed_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        // The shrink below changed the epoch: the next free brings this
        // thread's magazine back in step first.
        let p = alloc(c, Origin::here());
        free(c, p, Origin::here());
    });
    freed_rx.recv().unwrap();
    assert_eq!(c.stats().live_objects, 0);
    assert_eq!(shrink(c), 0, "objects in the thread's magazine are in use");
    assert_eq!(c.stats().slabs, 1);
    go_tx.send(()).unwrap();
    t.join().unwrap();
    // Flushed at thread exit.
    assert_eq!(shrink(c), 1);
    assert_eq!(c.stats().slabs, 0);
}

#[test]
fn a_magazine_is_lifo_and_gives_back_half_when_full() {
    let c: &'static Cache = create(b"lifo", 32, 0, 0, None).unwrap();
    let cap = magazine::capacity(c);
    let objs: Vec<*mut u8> = (0..3 * cap).map(|_| alloc(c, Origin::here())).collect();
    for w in objs.windows(2) {
        assert_eq!(
            untag(w[1] as usize),
            untag(w[0] as usize) + 32,
            "a new slab is handed out lowest address first"
        );
    }
    for &p in &objs {
        free(c, p, Origin::here());
    }
    let again = alloc(c, Origin::here());
    assert_eq!(untag(again as usize), untag(*objs.last().unwrap() as usize));
    free(c, again, Origin::here());
    assert_eq!(c.stats().live_objects, 0);
    assert_eq!(shrink(c), 1);
}
