//! `cargo-demo [uaf|ok|exit N]`.

struct Record {
    id: u64,
    tags: [u32; 5],
}

fn dangling() -> *const Record {
    let boxed = Box::new(Record { id: 7, tags: [1, 2, 3, 4, 5] });
    let raw: *const Record = &*boxed;
    drop(boxed);
    raw
}

fn read_id(r: *const Record) -> u64 {
    unsafe { (*r).id } // BUG: use-after-free
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    match arg.as_str() {
        "uaf" => println!("id {}", read_id(dangling())),
        "exit" => std::process::exit(std::env::args().nth(2).and_then(|c| c.parse().ok()).unwrap_or(3)),
        _ => {
            let r = Record { id: 1, tags: [0; 5] };
            println!("ok {} {} {}", r.id, r.tags.len(), env!("DEMO_BUILT_BY"));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn overflow_in_a_test() {
        let v: Vec<u16> = vec![1; 8];
        let p = v.as_ptr();
        let x = unsafe { *p.add(std::hint::black_box(8)) }; // BUG-TEST: heap-buffer-overflow
        assert_eq!(x, 1);
    }
}
