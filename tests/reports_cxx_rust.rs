//! End-to-end reports for C++ (allocation/deallocation mismatches) and Rust
//! programs.

mod common;
mod report_helpers;

use common::{build_c, build_rust, run};
use report_helpers::*;

#[test]
fn malloc_then_delete() {
    let src = program("mismatch.cc");
    let exe = build_c("rep_mismatch", &[&src], "0", &[]);
    let opts = [("TAGSAN_OPTIONS", "alloc_dealloc_mismatch=1")];
    let r = run(&exe, &["malloc-delete"], &opts);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("alloc-dealloc-mismatch");
    r.assert_stderr_in_order(&[
        "(malloc vs operator delete) on 0x",
        &format!("in main {}:{}:", src.display(), mark(&src, "delete")),
        "is located 0 bytes inside a 4-byte region",
        "allocated by thread T0 here:",
        &format!("in main {}:{}:", src.display(), mark(&src, "malloc")),
        "SUMMARY: TagSanitizer: alloc-dealloc-mismatch",
    ]);

    let r = run(&exe, &["newarr-delete"], &opts);
    r.assert_report("alloc-dealloc-mismatch");
    r.assert_stderr_in_order(&[
        "(operator new [] vs operator delete) on 0x",
        &format!("in main {}:{}:", src.display(), mark(&src, "arr-delete")),
        "is located 0 bytes inside a 40-byte region",
        &format!("in main {}:{}:", src.display(), mark(&src, "newarr")),
    ]);

    // Off by default.
    run(&exe, &["newarr-delete"], &[]).assert_clean();
}

#[test]
fn cxx_frames_are_demangled() {
    let src = program("cxx_overflow.cc");
    let exe = build_c("rep_cxx_overflow", &[&src], "0", &[]);
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_in_order(&[
        "WRITE of size 1",
        &frame(&src, "store::Buffer::put(int, char)", "bug"),
        &frame(&src, "main", "call"),
        "is located 0 bytes after a 24-byte region",
        "allocated by thread T0 here:",
        &frame(&src, "store::Buffer::Buffer(unsigned long)", "alloc"),
        "SUMMARY: TagSanitizer: heap-buffer-overflow",
    ]);
}

#[test]
fn rust_overflow_and_use_after_free() {
    let src = program("rust_bugs.rs");
    let exe = build_rust("rep_rust", &src, "0", &[]);
    let r = run(&exe, &["overflow"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_in_order(&[
        "READ of size 1",
        &format!(
            "in rust_bugs::overflow {}:{}:",
            src.display(),
            mark(&src, "overflow")
        ),
        "is located 0 bytes after a 13-byte region",
        "allocated by thread T0 here:",
        &format!(
            "in rust_bugs::overflow {}:{}:",
            src.display(),
            mark(&src, "alloc")
        ),
    ]);

    let r = run(&exe, &["uaf"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "READ of size 8",
        &format!(
            "in rust_bugs::use_after_free {}:{}:",
            src.display(),
            mark(&src, "uaf")
        ),
        "is located 8 bytes inside a 40-byte region",
        "freed by thread T0 here:",
        &format!("rust_bugs.rs:{}:", mark(&src, "drop")),
        "previously allocated by thread T0 here:",
        &format!("rust_bugs.rs:{}:", mark(&src, "box")),
    ]);
}
