//! `TAGSAN_OPTIONS` behaves as a user expects (issue 13, item 11): an
//! exit code that does not fit a process status is refused, a log path
//! that cannot be written says so once, a quoted one works, `verbosity=1`
//! shows the options in effect and the heap layout, and
//! `malloc_context_size=0` still names the threads in reports.

mod common;

use common::*;
use std::path::PathBuf;

/// The program, built for test `name` (tests run in parallel: each builds
/// its own copy).
fn uaf(name: &str) -> (PathBuf, PathBuf) {
    let src = program("startup", "thread_uaf.c");
    (build_c(name, &[&src], "0", &["-lpthread"]), src)
}

#[test]
fn exit_codes_outside_0_to_255_are_refused_not_wrapped() {
    let (exe, _) = uaf("options_exitcode");
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "exitcode=256")]);
    r.assert_report("use-after-free");
    assert_eq!(r.code, Some(99), "256 would have wrapped to a passing 0");
    r.assert_stderr_has(
        "tagsan: warning: bad value '256' for option 'exitcode' in TAGSAN_OPTIONS, using the default",
    );
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "exitcode=255")]);
    assert_eq!(r.code, Some(255));
}

#[test]
fn an_unwritable_log_path_warns_once_and_reports_go_to_stderr() {
    let (exe, _) = uaf("options_unwritable_log");
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "log_path=/nonexistent-dir/report")],
    );
    r.assert_report("use-after-free");
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].starts_with(
            "tagsan: warning: cannot write reports to log_path file '/nonexistent-dir/report."
        ) && warnings[0].ends_with("' (No such file or directory): they go to stderr"),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_quoted_log_path_with_spaces_is_used() {
    let (exe, _) = uaf("options_quoted_log");
    let dir = scratch("quoted log path").join("my logs");
    std::fs::create_dir_all(&dir).unwrap();
    for quote in ['\'', '"'] {
        let base = dir.join(format!("report{}", if quote == '"' { "2" } else { "1" }));
        let opts = format!("log_path={quote}{}{quote}:exitcode=7", base.display());
        let r = run(&exe, &[], &[("TAGSAN_OPTIONS", &opts)]);
        assert_eq!(r.code, Some(7), "{}", r.stderr);
        assert!(!r.stderr.contains("ERROR: TagSanitizer"), "{}", r.stderr);
        let logs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().starts_with(&*base.to_string_lossy()))
            .collect();
        assert_eq!(logs.len(), 1, "{logs:?}");
        let text = std::fs::read_to_string(&logs[0]).unwrap();
        assert!(
            text.contains("ERROR: TagSanitizer: use-after-free"),
            "{text}"
        );
    }
}

#[test]
fn verbosity_1_prints_options_heap_layout_and_tag_bits() {
    let (exe, _) = uaf("options_verbosity");
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "verbosity=1:tag_bits=5:exitcode=3")],
    );
    r.assert_stderr_in_order(&[
        "TagSanitizer: initialized (verbosity=1)",
        "options in effect: halt_on_error=1 exitcode=3 ",
        " tag_bits=5 ",
        " verbosity=1 ",
        "heap: 32 aliases of 0x8000000000 bytes at [0x200000000000, 0x300000000000)",
        "tags: 5 bits in pointer bits 39..43, heap tags 1..31",
        "shadow: [0x100000000000, 0x100800000000), 1 byte per 16-byte granule",
        "memory limits: one allocation at most",
        "ERROR: TagSanitizer: use-after-free",
    ]);
}

#[test]
fn malloc_context_size_0_still_names_the_threads() {
    let (exe, _) = uaf("options_context_0");
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "malloc_context_size=0")]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "freed by thread T0 here:",
        "<empty stack>",
        "previously allocated by thread T1 here:",
        "<empty stack>",
    ]);
    assert!(!r.stderr.contains("unknown thread"), "{}", r.stderr);
}
