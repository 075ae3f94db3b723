//! The test harness itself: a hung program (or a forked child of it that
//! keeps the output pipes open) fails its test instead of stalling the
//! suite.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_hang_in_a_forked_child_is_killed_and_fails_the_test() {
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| {
        common::run_within(
            Command::new("sh").args(["-c", "sleep 600 & sleep 600"]),
            Duration::from_secs(2),
        )
    });
    let msg = result.expect_err("a hang must fail");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("hung (killed after 2s)"), "{msg}");
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_child_left_running_after_exit_is_killed_too() {
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| {
        common::run_within(
            Command::new("sh").args(["-c", "sleep 600 & echo started"]),
            Duration::from_secs(2),
        )
    });
    assert!(
        result.is_err(),
        "a lingering child holding the output is a hang"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_quick_program_returns_its_output() {
    let r = common::run_within(
        Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
        Duration::from_secs(60),
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(3), "out\n", "err\n")
    );
}
