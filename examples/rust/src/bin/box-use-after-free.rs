//! Use after free through `Box::into_raw` / `Box::from_raw`: the raw pointer
//! outlives the Box that was rebuilt from it and dropped.
//!
//!   tagsan cargo run --manifest-path examples/rust/Cargo.toml --bin box-use-after-free
//!
//! Expected report:
//!   ERROR: TagSanitizer: use-after-free on address ...
//!   READ of size 8 ... in box_use_after_free::main ... box-use-after-free.rs:<line of BUG>
//!   freed by ... (drop of the Box in release), allocated by ... (Box::new)

struct Session {
    id: u64,
    _payload: [u64; 6],
}

fn release(raw: *mut Session) {
    // Takes ownership back and drops it: the memory is freed here.
    drop(unsafe { Box::from_raw(raw) });
}

fn main() {
    let raw = Box::into_raw(Box::new(Session { id: 42, _payload: [0; 6] }));
    release(raw);
    let id = unsafe { (*raw).id }; // BUG: use-after-free
    println!("session {id}");
}
