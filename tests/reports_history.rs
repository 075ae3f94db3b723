//! Reports about stale pointers, from the allocation history
//! (`runtime/src/history.rs`): a block freed, its memory handed out again,
//! then used or freed through the old pointer. The report must say
//! use-after-free (double-free), show the stale block's own allocation and
//! free stacks, and the block that owns the memory now with its allocation
//! stack. `tests/programs/reports/stale_pointer.c`, through the real plugin.

mod common;
mod report_helpers;

use common::{build_c, run, Run};
use report_helpers::*;
use std::path::PathBuf;

fn build(name: &str, opt: &str) -> (PathBuf, PathBuf) {
    let src = program("stale_pointer.c");
    let include = format!("-I{}", common::repo().join("runtime/include").display());
    // At -O2, `free(p)` at the end of `release` would be a tail call, and
    // `release` would leave no frame of its own (as with any sanitizer).
    let extra = [include.as_str(), "-fno-optimize-sibling-calls"];
    (build_c(name, &[&src], opt, &extra), src)
}

/// The stale block's stacks, then the new owner and its allocation stack.
fn assert_malloc_history(r: &Run, src: &std::path::Path, freed_by: &str) {
    let addr = header_address(r);
    r.assert_stderr_in_order(&[
        "Cause: ",
        &format!("{addr:#x} is located "),
        " a 40-byte region [",
        &format!("freed by thread {freed_by} here:"),
        &frame(src, "release", "free"),
        "previously allocated by thread T0 here:",
        &frame(src, "make", "alloc"),
        "The memory has been reused since: it is now owned by another block:",
        " a 40-byte region [",
        "allocated by thread T0 here:",
        &frame(src, "reuse", "reuse"),
    ]);
}

#[test]
fn use_after_free_through_a_stale_pointer_after_malloc_reused_the_memory() {
    for opt in ["0", "2"] {
        let (exe, src) = build(&format!("hist_uaf_malloc_O{opt}"), opt);
        let r = run(&exe, &["uaf-malloc"], &[]);
        assert_eq!(r.code, Some(99), "-O{opt}: {}", r.stderr);
        r.assert_report("use-after-free");
        let addr = header_address(&r);
        r.assert_stderr_in_order(&[
            &format!("READ of size 1 at {addr:#x}"),
            &frame(&src, "main", "bug"),
            "Cause: use-after-free\n",
            &format!("{addr:#x} is located 4 bytes inside a 40-byte region ["),
        ]);
        assert_malloc_history(&r, &src, "T0");
        // Both regions are the same memory, seen through each block's tag.
        let regions: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.contains("a 40-byte region ["))
            .collect();
        assert_eq!(regions.len(), 2, "{}", r.stderr);
        let untagged = |l: &str| {
            let hex = l.split('[').nth(1).unwrap().split(',').next().unwrap();
            tagsan_abi::layout::untag(usize::from_str_radix(&hex[2..], 16).unwrap())
        };
        assert_eq!(untagged(regions[0]), untagged(regions[1]));
        assert!(r.stderr.contains("SUMMARY: TagSanitizer: use-after-free"));
    }
}

#[test]
fn double_free_through_a_stale_pointer_after_malloc_reused_the_memory() {
    let (exe, src) = build("hist_double_malloc", "0");
    let r = run(&exe, &["double-malloc"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("double-free");
    assert!(!r.stderr.contains("invalid-free"), "{}", r.stderr);
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &format!("attempting double-free on {addr:#x} in thread T0:"),
        &frame(&src, "main", "double"),
        "Cause: double-free\n",
        &format!("{addr:#x} is located 0 bytes inside a 40-byte region"),
    ]);
    assert_malloc_history(&r, &src, "T0");
    assert!(r.stderr.contains(&format!(
        "SUMMARY: TagSanitizer: double-free {}:{}:",
        src.display(),
        mark(&src, "double")
    )));
}

#[test]
fn the_history_of_a_thread_that_exited_is_still_read() {
    let (exe, src) = build("hist_uaf_thread", "0");
    let r = run(&exe, &["uaf-thread"], &[]);
    r.assert_report("use-after-free");
    assert_malloc_history(&r, &src, "T1");
}

/// The stale cache object's stacks, then the object that owns it now.
fn assert_cache_history(r: &Run, src: &std::path::Path, cause: &str) {
    let addr = header_address(r);
    r.assert_stderr_in_order(&[
        &format!("Cause: {cause}\n"),
        &format!("{addr:#x} is located 0 bytes inside a 40-byte object in cache \"req\"\n"),
        "object state: freed\n",
        "freed by thread T0 here:",
        &frame(src, "drop_req", "cache_free"),
        "previously allocated by thread T0 here:",
        &frame(src, "make_req", "cache_alloc"),
        "The memory has been reused since: it is now owned by another block:",
        "0 bytes inside a 40-byte object in cache \"req\"\n",
        "object state: live\n",
        "allocated by thread T0 here:",
        &frame(src, "make_again", "cache_reuse"),
    ]);
}

#[test]
fn use_after_free_through_a_stale_pointer_to_a_reused_cache_object() {
    let (exe, src) = build("hist_uaf_cache", "0");
    let r = run(&exe, &["uaf-cache"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&["READ of size 8", &frame(&src, "main", "cache_bug")]);
    assert_cache_history(&r, &src, "use-after-free");
}

#[test]
fn double_free_through_a_stale_pointer_to_a_reused_cache_object() {
    let (exe, src) = build("hist_double_cache", "0");
    let r = run(&exe, &["double-cache"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("double-free");
    assert!(!r.stderr.contains("invalid-free"), "{}", r.stderr);
    r.assert_stderr_in_order(&[
        "attempting double-free on ",
        &frame(&src, "main", "cache_double"),
    ]);
    assert_cache_history(&r, &src, "double-free");
}

#[test]
fn a_child_forked_while_another_thread_records_history_reads_it() {
    let (exe, src) = build("hist_uaf_fork", "0");
    for _ in 0..3 {
        let r = run(&exe, &["uaf-fork"], &[]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stdout.contains("child exit 99"),
            "{}{}",
            r.stdout,
            r.stderr
        );
        r.assert_report("use-after-free");
        r.assert_stderr_in_order(&[&frame(&src, "main", "child_bug"), "Cause: use-after-free\n"]);
        assert_malloc_history(&r, &src, "T0");
    }
}

#[test]
fn a_stale_pointer_into_memory_freed_again_is_a_use_after_free_with_or_without_history() {
    let (exe, src) = build("hist_uaf_freed_again", "0");
    // With the history: the stale block, then the block freed in turn.
    let r = run(&exe, &["uaf-freed-again"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        &frame(&src, "main", "bug"),
        "Cause: use-after-free\n",
        "freed by thread T0 here:",
        &frame(&src, "release", "free"),
        "previously allocated by thread T0 here:",
        &frame(&src, "make", "alloc"),
        "The memory has been reused since, by a block that was freed in turn:",
        "is located 4 bytes inside a 40-byte region [",
        "freed by thread T0 here:",
        &frame(&src, "main", "refreed"),
        "previously allocated by thread T0 here:",
        &frame(&src, "reuse", "reuse"),
    ]);
    // Without it (or once the history has moved on): still a use after
    // free, of the memory's last block, not of a freed neighbour that
    // happens to carry the pointer's tag.
    let r = run(
        &exe,
        &["uaf-freed-again"],
        &[("TAGSAN_OPTIONS", "heap_history_size=0")],
    );
    r.assert_report("use-after-free");
    let addr = header_address(&r);
    r.assert_stderr_in_order(&[
        &frame(&src, "main", "bug"),
        "Cause: use-after-free of memory reused since: the pointer (tag ",
        ") is from an earlier block than this one (tag ",
        &format!("{addr:#x} is located 4 bytes inside a 40-byte region ["),
        "freed by thread T0 here:",
        &frame(&src, "main", "refreed"),
        "previously allocated by thread T0 here:",
        &frame(&src, "reuse", "reuse"),
    ]);
}

#[test]
fn heap_history_size_0_turns_the_history_off() {
    let (exe, _) = build("hist_off", "0");
    let r = run(
        &exe,
        &["double-malloc"],
        &[("TAGSAN_OPTIONS", "heap_history_size=0")],
    );
    r.assert_report("invalid-free");
    assert!(!r.stderr.contains("Cause:"), "{}", r.stderr);
}
