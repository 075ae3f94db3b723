//! The rest of the `__hwasan_*` interface, and `__hwasan_tls`.

// clang's HWASan output declares `@__hwasan_tls = external
// thread_local(initialexec) global i64`; stable Rust cannot export a TLS
// symbol, so it is defined in assembly.
core::arch::global_asm!(
    ".pushsection .tbss,\"awT\",@nobits",
    ".globl __hwasan_tls",
    ".type __hwasan_tls,@object",
    ".size __hwasan_tls,8",
    ".p2align 3",
    "__hwasan_tls:",
    ".zero 8",
    ".popsection",
);

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_init() {}

#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __hwasan_load4(addr: usize) {
    if addr == 1 {
        let v: Vec<u8> = Vec::with_capacity(3);
        drop(v);
    }
}
