//! The runtime never waits forever (issue 13, items 2 and 3): RCU barriers
//! called from RCU callbacks, and `fork` while other threads use every part
//! of the runtime. Every run is under a time limit, so a hang fails.

mod common;

use common::*;
use std::path::PathBuf;

fn build_hangs(name: &str, file: &str, opt: &str) -> PathBuf {
    let include = format!("-I{}", repo().join("runtime/include").display());
    build_c(
        name,
        &[&program("hangs", file)],
        opt,
        &[&include, "-lpthread"],
    )
}

#[test]
fn rcu_barrier_inside_a_callback_waits_for_earlier_callbacks() {
    let exe = build_hangs("rcu_barrier_cb", "rcu_barrier_in_callback.c", "1");
    for (mode, line) in [
        ("nested", "nested: ran 104"),
        ("threads", "threads: ran 40400"),
        ("cache", "cache: ran 1"),
    ] {
        let r = run(&exe, &[mode], &[]);
        r.assert_clean();
        assert!(r.stdout.contains(line), "{mode}: {}{}", r.stdout, r.stderr);
    }
}

#[test]
fn a_callback_that_waits_for_itself_is_a_one_line_fatal_error() {
    let exe = build_hangs("rcu_barrier_requeue", "rcu_barrier_in_callback.c", "1");
    let r = run(&exe, &["requeue"], &[]);
    r.assert_failed();
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with("tagsan: fatal: tagsan_rcu_barrier called from call_rcu callbacks nested more than 64 deep"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("requeue returned"));
}

/// Forks 200 times while threads use malloc, object caches, RCU and
/// reports (recover mode); every child uses them again and forks a
/// grandchild while a thread of its own starts using RCU.
#[test]
fn fork_while_threads_use_every_subsystem() {
    let include = format!("-I{}", repo().join("runtime/include").display());
    let src = program("hangs", "fork_everything.c");
    let dir = scratch("fork_everything");
    let exe = dir.join("fork_everything");
    // The reports' sites are checked with the recovering entry points.
    let r = run_cmd(
        tagsan()
            .env("TAGSAN_PASS_OPTIONS", "recover")
            .args(["cc", "-O1", &include])
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .arg("-lpthread"),
    );
    r.assert_success();
    for mode in ["all", "rcu-only"] {
        let r = run_within(
            std::process::Command::new(&exe)
                .arg(mode)
                .env("TAGSAN_OPTIONS", "halt_on_error=0:print_tags=0"),
            std::time::Duration::from_secs(300),
        );
        assert!(
            r.code == Some(0) && r.stdout.contains("forked 200 times, 0 children failed"),
            "{mode}: exit {:?}\n{}{}",
            r.code,
            r.stdout,
            r.stderr
                .lines()
                .filter(|l| !l.starts_with("    #"))
                .take(60)
                .collect::<Vec<_>>()
                .join("\n")
        );
        // Reports were made (parent and children) and none was an internal error.
        assert!(
            r.stderr
                .contains("ERROR: TagSanitizer: heap-buffer-overflow"),
            "{mode}"
        );
        assert!(!r.stderr.contains("internal error"), "{mode}: {}", r.stderr);
    }
}
