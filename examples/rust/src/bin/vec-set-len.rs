//! `Vec::set_len` misuse: claiming more elements than were allocated, then
//! reading them. Indexing checks `len` (8), but only 4 elements' worth of
//! memory (the capacity) exist.
//!
//!   tagsan cargo run --release --manifest-path examples/rust/Cargo.toml --bin vec-set-len
//!
//! Run it with --release: in debug builds Rust's own precondition check
//! (`unsafe precondition(s) violated: Vec::set_len requires that new_len <=
//! capacity()`) aborts first. Release builds have no such check, and the
//! bad read goes unnoticed without tagsan.
//!
//! Expected report:
//!   ERROR: TagSanitizer: heap-buffer-overflow on address ...
//!   READ of size 4 ... in vec_set_len::main ... vec-set-len.rs:<line of BUG>
//!   allocated by ... (Vec::with_capacity)

use std::hint::black_box;

fn main() {
    let mut readings: Vec<u32> = Vec::with_capacity(4);
    readings.extend([10, 20, 30, 40]);
    // Wrong: pretends 4 more readings were written.
    unsafe { readings.set_len(8) };
    // black_box stands for an index from input that the optimizer cannot see.
    let latest = readings[black_box(6)]; // BUG: heap-buffer-overflow
    println!("latest reading: {latest}");
}
