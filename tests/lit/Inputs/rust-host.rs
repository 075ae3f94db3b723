// Input for rustc-host.test.
#[no_mangle]
pub fn read_it(p: &Box<u32>) -> u32 {
    **p
}

fn main() {
    let b = Box::new(7u32);
    std::process::exit(read_it(&b) as i32 - 7);
}
