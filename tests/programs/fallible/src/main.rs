fn main() {
    println!("reserved: {}", fallible::reserve_everything().unwrap());
}
