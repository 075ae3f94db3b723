//! A forked child gets its own heap.

mod common;

use common::*;

#[test]
fn child_and_parent_do_not_see_each_others_writes() {
    let exe = build_c(
        "fork_isolation",
        &[&program("runtime", "fork_isolation.c")],
        "1",
        &[],
    );
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("fork isolation ok"));
}

#[test]
fn fork_while_threads_allocate_and_write() {
    let exe = build_c(
        "fork_threads",
        &[&program("runtime", "fork_threads.c")],
        "1",
        &["-lpthread"],
    );
    for opts in ["", "tag_bits=6"] {
        let r = run(&exe, &[], &[("TAGSAN_OPTIONS", opts)]);
        r.assert_clean();
        assert!(r.stdout.contains("fork with threads ok"));
    }
}

/// Prints what one fork costs with a 1 GiB heap (`cargo test --release
/// --test runtime_fork -- --ignored --nocapture`).
#[test]
#[ignore]
fn fork_cost_with_1gib_heap() {
    let exe = build_c(
        "fork_bench",
        &[&program("runtime", "fork_bench.c")],
        "2",
        &[],
    );
    let r = run(&exe, &["1024"], &[]);
    r.assert_clean();
    println!("{}", r.stdout.trim());
}
