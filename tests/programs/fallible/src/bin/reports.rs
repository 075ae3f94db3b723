//! A program that wants reports for impossible allocations, Rust or not:
//! its own default options override the Rust default.

#[no_mangle]
pub extern "C" fn __tagsan_default_options() -> *const std::ffi::c_char {
    c"allocator_may_return_null=0".as_ptr()
}

fn main() {
    let mut v: Vec<u8> = Vec::new();
    let r = v.try_reserve(fallible::ABSURD); // BUG: reported, not an Err
    println!("try_reserve returned: {}", r.is_err());
}
