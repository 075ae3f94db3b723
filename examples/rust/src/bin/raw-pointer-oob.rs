//! Out-of-bounds write through a raw pointer: `ptr.add(len)` is one past
//! the end, and `unsafe` code writes there anyway.
//!
//!   tagsan cargo run --manifest-path examples/rust/Cargo.toml --bin raw-pointer-oob
//!
//! Expected report:
//!   ERROR: TagSanitizer: heap-buffer-overflow on address ...
//!   WRITE of size 4 ... in raw_pointer_oob::fill ... raw-pointer-oob.rs:<line of BUG>
//!   allocated by ... in raw_pointer_oob::main

/// Fills `count` u32s starting at `dst` (the caller promises they exist).
fn fill(dst: *mut u32, count: usize, value: u32) {
    for i in 0..count {
        unsafe { dst.add(i).write(value) }; // BUG: heap-buffer-overflow
    }
}

fn main() {
    let mut samples: Vec<u32> = vec![0; 12];
    let len = samples.len();
    // Off by one: the caller passes one element too many.
    fill(samples.as_mut_ptr(), len + 1, 7);
    println!("sum: {}", samples.iter().sum::<u32>());
}
