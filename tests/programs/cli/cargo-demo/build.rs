// A build script runs on the host while cargo builds: tagsan's flags must
// not reach it (it would need the runtime to link).
fn main() {
    println!("cargo:rustc-env=DEMO_BUILT_BY=build.rs");
}
