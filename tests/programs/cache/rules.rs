// The object-cache rules from Rust, through the C ABI (runtime/include/tagsan.rs).
// argv[1] picks the case.
#[path = "../../../runtime/include/tagsan.rs"]
mod tagsan;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

#[repr(C)]
struct Node {
    next: *mut Node, // points to itself once constructed
    key: u64,
    value: u64,
}

static CTOR_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn node_ctor(p: *mut std::ffi::c_void) {
    let n = p as *mut Node;
    unsafe {
        (*n).next = n;
        (*n).key = u64::MAX;
    }
    CTOR_CALLS.fetch_add(1, Ordering::Relaxed);
}

#[inline(never)]
fn new_node(c: &tagsan::Cache, key: u64) -> *mut Node {
    let n = c.alloc() as *mut Node; // MARK:alloc
    unsafe { (*n).key = key };
    n
}

#[inline(never)]
fn retire(c: &tagsan::Cache, n: *mut Node) {
    unsafe { c.free(n as *mut u8) }; // MARK:free
}

#[inline(never)]
fn read_key(n: *mut Node) -> u64 {
    unsafe { std::ptr::read_volatile(&(*n).key) } // MARK:read
}

fn use_after_free() {
    let c = tagsan::Cache::new("plain", std::mem::size_of::<Node>(), 8, 0, None).unwrap();
    let n = new_node(&c, 5);
    retire(&c, n);
    black_box(read_key(n));
}

fn constructor_cycles() {
    let c = tagsan::Cache::new("conn", std::mem::size_of::<Node>(), 8, 0, Some(node_ctor)).unwrap();
    for round in 0..1000u64 {
        let held: Vec<*mut Node> = (0..50).map(|_| new_node(&c, round)).collect();
        for &n in &held {
            // The constructor's self pointer stays valid across reuse.
            assert_eq!(read_key(unsafe { (*n).next }), round);
        }
        for n in held {
            retire(&c, n);
        }
    }
    let s = c.stats();
    println!(
        "allocations {} ctor_calls {} objects_created {}",
        50 * 1000,
        CTOR_CALLS.load(Ordering::Relaxed),
        s.objects_created
    );
}

fn overflow() {
    let c = tagsan::Cache::new("conn", 48, 8, tagsan::TYPESAFE_BY_RCU, Some(node_ctor)).unwrap();
    let a = c.alloc();
    let b = c.alloc();
    unsafe { std::ptr::write_volatile(a.add(black_box(56)) as *mut u64, 1) }; // MARK:overflow
    black_box(b);
}

fn after_shrink() {
    let c = tagsan::Cache::new(
        "sess",
        std::mem::size_of::<Node>(),
        8,
        tagsan::TYPESAFE_BY_RCU,
        Some(node_ctor),
    )
    .unwrap();
    let n = new_node(&c, 9);
    {
        let _g = tagsan::rcu_read_lock();
        retire(&c, n);
        black_box(read_key(n));
        c.shrink();
        black_box(read_key(n));
    }
    tagsan::rcu_barrier();
    eprintln!("grace period over");
    black_box(read_key(n));
}

const SLOTS: usize = 32;

fn threads() {
    let c = Arc::new(
        tagsan::Cache::new(
            "table",
            std::mem::size_of::<Node>(),
            8,
            tagsan::TYPESAFE_BY_RCU,
            Some(node_ctor),
        )
        .unwrap(),
    );
    let table: Arc<Vec<AtomicPtr<Node>>> = Arc::new(
        (0..SLOTS)
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (table, stop) = (table.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let _g = tagsan::rcu_read_lock();
                    for slot in table.iter() {
                        let p = slot.load(Ordering::Acquire);
                        if !p.is_null() {
                            assert_eq!(unsafe { (*p).next }, p, "type-stable object");
                            reads += 1;
                        }
                    }
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (table, c) = (table.clone(), c.clone());
            std::thread::spawn(move || {
                for round in 0..200u64 {
                    for i in (w..SLOTS).step_by(2) {
                        let fresh = new_node(&c, round);
                        let old = table[i].swap(fresh, Ordering::AcqRel);
                        if !old.is_null() {
                            retire(&c, old);
                        }
                    }
                    if round % 10 == 0 {
                        tagsan::synchronize_rcu();
                        c.shrink();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    for slot in table.iter() {
        retire(&c, slot.swap(std::ptr::null_mut(), Ordering::AcqRel));
    }
    tagsan::rcu_barrier();
    println!("reads {reads} live {}", c.stats().live_objects);
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("uaf") => use_after_free(),
        Some("ctor") => constructor_cycles(),
        Some("overflow") => overflow(),
        Some("after_shrink") => after_shrink(),
        _ => threads(),
    }
}
