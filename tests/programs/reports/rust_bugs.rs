// Heap bugs through raw pointers in Rust: argv[1] picks which.
use std::hint::black_box;

#[inline(never)]
fn overflow() {
    let v: Vec<u8> = vec![0u8; 13]; // MARK:alloc
    let p = v.as_ptr();
    let x = unsafe { std::ptr::read_volatile(p.add(black_box(13))) }; // MARK:overflow
    black_box(x);
}

#[inline(never)]
fn use_after_free() {
    let b = Box::new([7u64; 5]); // MARK:box
    let p = Box::into_raw(b);
    unsafe { drop(Box::from_raw(p)) }; // MARK:drop
    let x = unsafe { std::ptr::read_volatile((p as *const u64).add(1)) }; // MARK:uaf
    black_box(x);
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("overflow") => overflow(),
        _ => use_after_free(),
    }
}
