//! The ABI check: objects built by clang's own HWASan pass (aliasing mode)
//! link with our runtime and get our reports.

mod common;

use common::*;

#[test]
fn clang_hwasan_objects_link_and_report() {
    let exe = build_clang_hwasan(
        "abi_overflow",
        &[&program("runtime", "abi_overflow.c")],
        "1",
        &[],
    );
    let r = run(&exe, &[], &[]);
    assert!(r.stdout.contains("in bounds: 12"), "{}", r.stdout);
    r.assert_report("heap-buffer-overflow");
    assert!(
        r.stderr.contains("0 bytes after a 13-byte region"),
        "{}",
        r.stderr
    );
    assert_ne!(r.code, Some(0));
}

#[test]
fn clang_hwasan_recover_mode_continues() {
    let exe = build_clang_hwasan(
        "abi_recover",
        &[&program("runtime", "abi_overflow.c")],
        "1",
        &["-fsanitize-recover=hwaddress"],
    );
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "halt_on_error=0")]);
    r.assert_report("heap-buffer-overflow");
    // Recovered: main returned the byte it read (0 from the tag byte or
    // whatever was there), not a sanitizer exit code.
    assert_ne!(r.code, Some(99), "{}", r.stderr);
}
