// A Rust program on the tagged heap: collections, threads, big and aligned
// allocations, all through malloc/posix_memalign. Must run clean.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[repr(align(256))]
struct Wide([u8; 300]);

fn main() {
    let shared = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut map = HashMap::new();
                let mut tree = BTreeMap::new();
                for i in 0..20_000u32 {
                    map.insert(i, format!("{t}-{i}"));
                    tree.insert(i.wrapping_mul(2654435761), vec![t as u8; (i % 300) as usize]);
                    if i % 3 == 0 {
                        map.remove(&(i / 2));
                    }
                }
                let big = vec![t as u8; 5 << 20];
                let wide = Box::new(Wide([t as u8; 300]));
                assert_eq!(&*wide as *const Wide as usize % 256, 0);
                shared.lock().unwrap().push(map.len() + tree.len() + big[12345] as usize + wide.0[299] as usize);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut s = String::new();
    for i in 0..10_000 {
        s.push_str(&i.to_string());
    }
    println!("rust ok {} {}", shared.lock().unwrap().len(), s.len());
}
