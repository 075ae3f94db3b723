//! End-to-end behaviour around reports: exit codes, log_path, recover mode
//! (each bug once, then carry on), several failing threads, the report
//! callback.

mod common;
mod report_helpers;

use common::{build_c, run};
use report_helpers::*;

#[test]
fn exitcode_flag() {
    let exe = build_c("rt_exitcode", &[&program("heap_overflow.c")], "0", &[]);
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "exitcode=42")]);
    assert_eq!(r.code, Some(42), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "exitcode=0")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
}

#[test]
fn help_1_lists_the_options_and_runs_on() {
    let exe = build_c("rt_help", &[&program("heap_overflow.c")], "0", &[]);
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "help=1:tag_bits=5")]);
    r.assert_stderr_in_order(&[
        "Available flags for TagSanitizer",
        "\thalt_on_error\n\t\t- stop at the first error",
        "(default: 1)",
        "\ttag_bits\n",
        "(default: 4)",
        "\thelp\n",
        "ERROR: TagSanitizer: heap-buffer-overflow",
    ]);
    assert_eq!(r.code, Some(99));
}

#[test]
fn print_tags_0_leaves_out_the_tag_dump() {
    let exe = build_c("rt_print_tags", &[&program("heap_overflow.c")], "0", &[]);
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "print_tags=0")]);
    r.assert_report("heap-buffer-overflow");
    assert!(!r.stderr.contains("Memory tags around"), "{}", r.stderr);
    assert!(r
        .stderr
        .contains("SUMMARY: TagSanitizer: heap-buffer-overflow"));
}

#[test]
fn log_path_writes_a_file_per_pid() {
    let exe = build_c("rt_log_path", &[&program("heap_overflow.c")], "0", &[]);
    let dir = exe.parent().unwrap();
    let base = dir.join("report");
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", &format!("log_path={}", base.display()))],
    );
    assert_eq!(r.code, Some(99));
    assert!(
        !r.stderr.contains("TagSanitizer"),
        "report went to stderr:\n{}",
        r.stderr
    );
    let logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("report.")
        })
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let pid: u32 = logs[0]
        .extension()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .expect("log_path.PID");
    let text = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(
        text.starts_with(&format!(
            "=={pid}==ERROR: TagSanitizer: heap-buffer-overflow"
        )),
        "{text}"
    );
    assert!(text.contains("SUMMARY: TagSanitizer: heap-buffer-overflow"));
}

#[test]
fn halt_on_error_0_reports_each_bug_once_and_continues() {
    let src = program("recover.c");
    let exe = build_c("rt_recover", &[&src], "0", &[]);
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "halt_on_error=0")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("finished after the bugs"));
    assert_eq!(count(&r, "ERROR: TagSanitizer:"), 2, "{}", r.stderr);
    assert_eq!(count(&r, "SUMMARY: TagSanitizer:"), 2);
    r.assert_stderr_in_order(&[
        "ERROR: TagSanitizer: heap-buffer-overflow",
        &frame(&src, "overflow", "overflow"),
        "ERROR: TagSanitizer: use-after-free",
        &frame(&src, "main", "uaf"),
    ]);
    assert!(!r.stderr.contains("ABORTING"));
}

#[test]
fn threads_failing_at_once_give_one_complete_report() {
    let src = program("threads.c");
    let exe = build_c("rt_threads", &[&src], "0", &[]);
    for _ in 0..5 {
        let r = run(&exe, &[], &[]);
        assert_eq!(r.code, Some(99), "{}", r.stderr);
        assert_eq!(count(&r, "ERROR: TagSanitizer:"), 1, "{}", r.stderr);
        assert_eq!(
            count(&r, "SUMMARY: TagSanitizer: heap-buffer-overflow"),
            1,
            "{}",
            r.stderr
        );
        r.assert_stderr_in_order(&[
            "WRITE of size 1",
            &frame(&src, "worker", "bug"),
            "0 bytes after a 13-byte region",
            "allocated by thread T",
            "ABORTING",
        ]);
        // A worker failed, and the block was allocated by that same worker.
        let tid = r
            .stderr
            .split(") in thread T")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        assert_ne!(tid, "0", "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("allocated by thread T{tid} here:")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn threads_in_recover_mode_all_finish() {
    let exe = build_c("rt_threads_recover", &[&program("threads.c")], "0", &[]);
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "halt_on_error=0")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // One pc: reported once, whichever thread came first.
    assert_eq!(count(&r, "ERROR: TagSanitizer:"), 1, "{}", r.stderr);
}

#[test]
fn report_callback_gets_the_text() {
    let exe = build_c("rt_callback", &[&program("callback.c")], "0", &[]);
    let r = run(&exe, &[], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    let text = r
        .stdout
        .split("CALLBACK-BEGIN\n")
        .nth(1)
        .expect("callback ran")
        .split("CALLBACK-END")
        .next()
        .unwrap();
    // p[16] of a 13-byte block: past its granule, in a slot never used.
    assert!(
        text.contains("ERROR: TagSanitizer: heap-buffer-overflow"),
        "{text}"
    );
    assert!(
        text.contains("is located 3 bytes after a 13-byte region"),
        "{text}"
    );
    assert!(
        text.contains("SUMMARY: TagSanitizer: heap-buffer-overflow"),
        "{text}"
    );
    assert!(r.stderr.contains(text.lines().next().unwrap()));
}

#[test]
fn a_fault_or_a_new_report_inside_a_report_ends_the_process() {
    let exe = build_c("rt_callback_faults", &[&program("callback.c")], "0", &[]);
    for (mode, why) in [
        ("crash", "signal 11"),
        ("reenter", "a report was raised while printing a report"),
    ] {
        let r = run(&exe, &[mode], &[]);
        assert_eq!(r.code, Some(99), "{mode}: {}", r.stderr);
        // The report itself is complete, then one internal-error line.
        assert_eq!(count(&r, "ERROR: TagSanitizer:"), 1, "{}", r.stderr);
        r.assert_stderr_in_order(&[
            "SUMMARY: TagSanitizer: heap-buffer-overflow",
            "TagSanitizer: internal error: ",
            why,
        ]);
    }
}

#[test]
fn halt_on_error_0_continues_after_a_double_free() {
    let exe = build_c(
        "rt_double_free_recover",
        &[&program("double_free.c")],
        "0",
        &[],
    );
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "halt_on_error=0")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        count(&r, "ERROR: TagSanitizer: double-free"),
        1,
        "{}",
        r.stderr
    );
}
