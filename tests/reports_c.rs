//! End-to-end reports for C programs: each bug class, built through the
//! real plugin and linked with the real runtime, checked for kind, sizes,
//! offsets, tags and symbolized frames.

mod common;
mod report_helpers;

use common::{build_c, run};
use report_helpers::*;

fn build(name: &str, file: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let src = program(file);
    (build_c(name, &[&src], "0", &[]), src)
}

#[test]
fn heap_overflow_one_byte_past_13() {
    let (exe, src) = build("rep_overflow", "heap_overflow.c");
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    let addr = header_address(&r);
    let tag = tag_of(addr);
    r.assert_stderr_in_order(&[
        &format!(
            "WRITE of size 1 at {addr:#x} tags: {tag:02x}/8d({tag:02x}) (ptr/mem) in thread T0"
        ),
        "#0 0x",
        &frame(&src, "main", "bug"),
        &format!(
            "{addr:#x} is located 0 bytes after a 13-byte region [{:#x},{addr:#x})",
            addr - 13
        ),
        "allocated by thread T0 here:",
        &frame(&src, "main", "alloc"),
        "Memory tags around the buggy address",
        "[8d]",
        "Tags for short granules around the buggy address",
        &format!("[{tag:02x}]"),
        &format!(
            "SUMMARY: TagSanitizer: heap-buffer-overflow {}:{}:",
            src.display(),
            mark(&src, "bug")
        ),
    ]);
    assert!(r.stderr.lines().last().unwrap().contains("ABORTING"));
}

#[test]
fn heap_underflow() {
    let (exe, src) = build("rep_underflow", "heap_underflow.c");
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-underflow");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &format!("READ of size 1 at {addr:#x} tags: {:02x}/", tag_of(addr)),
        &frame(&src, "main", "bug"),
        &format!(
            "{addr:#x} is located 16 bytes before a 32-byte region [{:#x},{:#x})",
            addr + 16,
            addr + 48
        ),
        "allocated by thread T0 here:",
        &frame(&src, "main", "alloc"),
        "SUMMARY: TagSanitizer: heap-buffer-underflow",
    ]);
}

#[test]
fn use_after_free_with_both_stacks() {
    let (exe, src) = build("rep_uaf", "use_after_free.c");
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("use-after-free");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &format!(
            "READ of size 1 at {addr:#x} tags: {:02x}/fe (ptr/mem) in thread T0",
            tag_of(addr)
        ),
        &frame(&src, "main", "bug"),
        &format!(
            "{addr:#x} is located 4 bytes inside a 40-byte region [{:#x},{:#x})",
            addr - 4,
            addr + 36
        ),
        "freed by thread T0 here:",
        &frame(&src, "release", "free"),
        &frame(&src, "main", "release"),
        "previously allocated by thread T0 here:",
        &frame(&src, "main", "alloc"),
        "[fe]",
        "SUMMARY: TagSanitizer: use-after-free",
    ]);
}

#[test]
fn double_free() {
    let (exe, src) = build("rep_double_free", "double_free.c");
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("double-free");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &format!("attempting double-free on {addr:#x} in thread T0:"),
        &frame(&src, "main", "free2"),
        &format!("{addr:#x} is located 0 bytes inside a 24-byte region"),
        "freed by thread T0 here:",
        &frame(&src, "main", "free1"),
        "previously allocated by thread T0 here:",
        &frame(&src, "main", "alloc"),
        &format!(
            "SUMMARY: TagSanitizer: double-free {}:{}:",
            src.display(),
            mark(&src, "free2")
        ),
    ]);
}

#[test]
fn invalid_free_of_stack_global_and_interior_pointers() {
    let (exe, src) = build("rep_invalid_free", "invalid_free.c");
    let r = run(&exe, &["stack"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("invalid-free");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &format!("attempting free on address which was not malloc()-ed: {addr:#x} in thread T0"),
        &frame(&src, "main", "bug"),
        &format!("{addr:#x} is located in the stack of thread T0"),
        "SUMMARY: TagSanitizer: invalid-free",
    ]);

    let r = run(&exe, &["global"], &[]);
    r.assert_report("invalid-free");
    r.assert_stderr_in_order(&[
        &frame(&src, "main", "bug"),
        "is located 8 bytes inside global variable 'global_buffer' of size 64",
    ]);

    let r = run(&exe, &["interior"], &[]);
    r.assert_report("invalid-free");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &frame(&src, "main", "bug"),
        "is an interior pointer",
        &format!(
            "{addr:#x} is located 8 bytes inside a 40-byte region [{:#x},",
            addr - 8
        ),
        "allocated by thread T0 here:",
        &frame(&src, "main", "alloc"),
    ]);
}

#[test]
fn calloc_overflow() {
    let (exe, src) = build("rep_calloc", "calloc_overflow.c");
    let r = run(&exe, &[], &[]);
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("ERROR: TagSanitizer: calloc-overflow"),
        "{}",
        r.stderr
    );
    r.assert_stderr_in_order(&[
        &frame(&src, "main", "bug"),
        "SUMMARY: TagSanitizer: calloc-overflow",
    ]);
    assert!(!r.stdout.contains("calloc returned"));

    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(r.stdout.contains("calloc returned (nil)"), "{}", r.stdout);
}

#[test]
fn inlined_frames_at_o2() {
    let src = program("inlined.c");
    let exe = build_c("rep_inlined", &[&src], "2", &[]);
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_in_order(&[
        "#0 0x",
        &frame(&src, "poke", "poke"),
        "#1 0x",
        &frame(&src, "main", "call"),
    ]);
    // Both lines name the same pc.
    let pcs: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(" in poke ") || l.contains(" in main "))
        .take(2)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(pcs[0], pcs[1], "{}", r.stderr);
}
