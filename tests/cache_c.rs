//! Object caches end to end from C: `tests/programs/cache/*.c` built through
//! the real plugin with `runtime/include/tagsan.h`, one test per tagging
//! rule (see `runtime/src/cache/mod.rs`), checking the report kind, the
//! cache line and the frames.

mod common;

use common::{build_c, run, Run};
use std::path::PathBuf;

fn source(file: &str) -> PathBuf {
    common::repo().join("tests/programs/cache").join(file)
}

fn build(name: &str, file: &str) -> (PathBuf, PathBuf) {
    let src = source(file);
    let include = format!("-I{}", common::repo().join("runtime/include").display());
    (build_c(name, &[&src], "0", &[&include]), src)
}

/// `file.c:LINE` of the line holding `MARK:<mark>`.
fn at(src: &PathBuf, mark: &str) -> String {
    let text = std::fs::read_to_string(src).unwrap();
    let tag = format!("MARK:{mark}");
    let line = text
        .lines()
        .position(|l| l.contains(&tag))
        .unwrap_or_else(|| panic!("no {tag}"))
        + 1;
    format!("{}:{line}", src.display())
}

fn value_after(r: &Run, key: &str) -> u64 {
    let rest = &r.stdout[r
        .stdout
        .find(key)
        .unwrap_or_else(|| panic!("no `{key}` in {}", r.stdout))
        + key.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn rule1_plain_cache_reports_use_after_free_like_malloc() {
    let (exe, src) = build("cache_plain", "plain.c");
    run(&exe, &["cycles"], &[]).assert_clean();
    let r = run(&exe, &["uaf"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "READ of size 8",
        &format!("in main {}", at(&src, "uaf")),
        "is located 0 bytes inside a 40-byte object in cache \"req\"\n",
        "object state: freed",
        "freed by thread T0 here:",
        &format!("in drop_req {}", at(&src, "free")),
        "previously allocated by thread T0 here:",
        &format!("in make_req {}", at(&src, "alloc")),
        "SUMMARY: TagSanitizer: use-after-free",
    ]);
}

#[test]
fn plain_cache_double_free_names_the_cache() {
    let (exe, src) = build("cache_double", "plain.c");
    let r = run(&exe, &["double"], &[]);
    r.assert_report("double-free");
    r.assert_stderr_in_order(&[
        &format!("in drop_req {}", at(&src, "free")),
        "0 bytes inside a 40-byte object in cache \"req\"",
        "freed by thread T0 here:",
    ]);
}

#[test]
fn rule2_constructor_runs_once_per_object_and_its_pointers_stay_valid() {
    let (exe, _) = build("cache_ctor", "ctor.c");
    let r = run(&exe, &["cycles"], &[]);
    r.assert_clean();
    let allocations = value_after(&r, "allocations");
    let calls = value_after(&r, "ctor_calls");
    let created = value_after(&r, "objects_created");
    assert_eq!(calls, created, "{}", r.stdout);
    assert_eq!(value_after(&r, "stats_ctor_calls"), calls);
    assert!(
        calls < allocations / 10,
        "constructor ran on reallocation: {}",
        r.stdout
    );
}

#[test]
fn rule2_overflow_into_the_next_object_is_reported_with_the_cache_line() {
    let (exe, src) = build("cache_ctor_overflow", "ctor.c");
    let r = run(&exe, &["overflow"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_in_order(&[
        "WRITE of size 8",
        &format!("in main {}", at(&src, "overflow")),
        "is located 8 bytes after a 48-byte object in cache \"conn\" (constructor, typesafe-by-RCU)",
        "object state: live",
        "allocated by thread T0 here:",
        &format!("in open_conn {}", at(&src, "alloc")),
    ]);
}

#[test]
fn rule3_rcu_reader_reads_freed_object_then_released_slab_is_reported() {
    let (exe, src) = build("cache_rcu_shrink", "rcu.c");
    let r = run(&exe, &["after_shrink"], &[]);
    r.assert_report("use-after-free");
    // The reads inside the read-side section came before and were silent.
    r.assert_stderr_in_order(&[
        "grace period over",
        "ERROR: TagSanitizer: use-after-free",
        &format!("in read_key {}", at(&src, "read")),
        "in after_shrink",
        "0 bytes inside a 24-byte object in cache \"sess\" (constructor, typesafe-by-RCU)",
        "object state: freed; its slab was released by cache_shrink",
        "freed by thread T0 here:",
        &format!("in retire_node {}", at(&src, "free")),
        "previously allocated by thread T0 here:",
        &format!("in new_node {}", at(&src, "alloc")),
    ]);
    assert_eq!(r.stderr.matches("ERROR: TagSanitizer").count(), 1);
}

#[test]
fn rule3_readers_and_writers_with_grace_periods_are_clean() {
    let (exe, _) = build("cache_rcu_threads", "rcu.c");
    let r = run(&exe, &["threads"], &[]);
    r.assert_clean();
    assert!(value_after(&r, "reads") > 0);
    assert_eq!(value_after(&r, "live"), 0);
    // With slab_rcu_debug, freed objects are retagged a grace period later:
    // readers inside their sections still never trip over them.
    let r = run(
        &exe,
        &["threads"],
        &[("TAGSAN_OPTIONS", "slab_rcu_debug=1")],
    );
    r.assert_clean();
    assert_eq!(value_after(&r, "live"), 0);
}

#[test]
fn rule4_slab_rcu_debug_retags_after_a_grace_period() {
    let (exe, src) = build("cache_rcu_debug", "rcu.c");
    // Off by default: type-stable, no report.
    run(&exe, &["debug"], &[]).assert_clean();
    let r = run(&exe, &["debug"], &[("TAGSAN_OPTIONS", "slab_rcu_debug=1")]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "grace period over",
        &format!("in read_key {}", at(&src, "read")),
        "in debug_retag",
        "in cache \"sess\" (constructor, typesafe-by-RCU)",
        "object state: freed, retagged after a grace period (slab_rcu_debug)",
        "freed by thread T0 here:",
        &format!("in retire_node {}", at(&src, "free")),
    ]);
    assert!(
        !r.stderr.contains("released"),
        "the slab is alive:\n{}",
        r.stderr
    );
}

#[test]
fn rule5_rcu_cache_without_constructor_warns_unless_disabled() {
    let (exe, _) = build("cache_rcu_warn", "rcu.c");
    let r = run(&exe, &["warn"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("tagsan: warning: cache \"bare\" is TYPESAFE_BY_RCU without a constructor"),
        "{}",
        r.stderr
    );
    let r = run(
        &exe,
        &["warn"],
        &[("TAGSAN_OPTIONS", "warn_rcu_without_ctor=0")],
    );
    r.assert_clean();
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn rule6_access_after_destroy_is_reported() {
    let (exe, src) = build("cache_destroy", "rcu.c");
    let r = run(&exe, &["destroy"], &[]);
    r.assert_stderr_in_order(&[
        "tagsan: warning: cache \"tmp\" destroyed with 1 objects still allocated",
        "ERROR: TagSanitizer: use-after-free",
        &format!("in read_key {}", at(&src, "read")),
        "in cache \"tmp\"\n",
        "object state: live; its slab was released by cache_destroy",
        "allocated by thread T0 here:",
        &format!("in new_node {}", at(&src, "alloc")),
    ]);
}

#[test]
fn rule6_access_after_shrink_is_reported() {
    let (exe, src) = build("cache_shrink", "rcu.c");
    let r = run(&exe, &["shrink_plain"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        &format!("in shrink_plain {}", at(&src, "shrunk")),
        "16 bytes inside a 24-byte object in cache \"tmp\" (constructor)",
        "object state: freed; its slab was released by cache_shrink",
    ]);
}

#[test]
fn freeing_into_the_wrong_cache_is_an_invalid_free() {
    let (exe, src) = build("cache_wrong", "plain.c");
    let r = run(&exe, &["wrong_cache"], &[]);
    r.assert_report("invalid-free");
    r.assert_stderr_in_order(&[
        &format!("in main {}", at(&src, "wrong")),
        "0 bytes inside a 40-byte object in cache \"req\"\n",
        "object state: live",
        "allocated by thread T0 here:",
        &format!("in make_req {}", at(&src, "alloc")),
    ]);
}

#[test]
fn fork_with_a_reader_inside_a_section_leaves_the_child_usable() {
    let (exe, _) = build("cache_fork", "rcu.c");
    let r = run(&exe, &["fork"], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("child ok 1"), "{}", r.stdout);
    assert!(r.stdout.contains("child status 0 parent 1"), "{}", r.stdout);
}

#[test]
fn freeing_into_the_wrong_cache_names_both_caches() {
    let (exe, src) = build("cache_wrong_names", "plain.c");
    let r = run(&exe, &["wrong_cache"], &[]);
    r.assert_report("invalid-free");
    r.assert_stderr_in_order(&[
        "attempting cache_free of 0x",
        " to cache \"other\", but it is an object of cache \"req\", in thread T0:",
        &format!("in main {}", at(&src, "wrong")),
        "0 bytes inside a 40-byte object in cache \"req\"\n",
    ]);
    assert!(!r.stderr.contains("malloc()-ed"), "{}", r.stderr);
}

#[test]
fn cache_free_of_a_malloc_block_says_it_came_from_malloc() {
    let (exe, src) = build("cache_free_malloc", "wording.c");
    let r = run(&exe, &["malloc_to_cache"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_report("invalid-free");
    r.assert_stderr_in_order(&[
        " to cache \"conn\", but it is a block from malloc (free it with free()), in thread T0:",
        &format!("in main {}", at(&src, "malloc_to_cache")),
        "is located 0 bytes inside a 40-byte region [",
        "allocated by thread T0 here:",
        &format!("in main {}", at(&src, "malloc")),
    ]);
    // Nothing that contradicts it.
    for wrong in [
        "not malloc()-ed",
        "interior pointer",
        "has tag",
        "object in cache",
    ] {
        assert!(!r.stderr.contains(wrong), "`{wrong}` in:\n{}", r.stderr);
    }
}

#[test]
fn free_of_a_cache_object_names_its_cache() {
    let (exe, src) = build("cache_object_to_free", "wording.c");
    let r = run(&exe, &["free_object"], &[]);
    r.assert_report("invalid-free");
    r.assert_stderr_in_order(&[
        "attempting free on address which was not malloc()-ed",
        &format!("in main {}", at(&src, "free_object")),
        "is an object in cache \"conn\"; objects go back to their cache with tagsan_cache_free:",
        "is located 0 bytes inside a 48-byte object in cache \"conn\"\n",
        "object state: live",
        &format!("in open_conn {}", at(&src, "alloc")),
    ]);
}

#[test]
fn an_underflow_before_the_first_object_of_a_slab_names_that_object() {
    let (exe, src) = build("cache_underflow_first", "wording.c");
    for ctor in ["plain", "ctor"] {
        // Tags are random: the same object every time.
        for _ in 0..4 {
            let r = run(&exe, &["underflow_first", ctor], &[]);
            assert_eq!(r.code, Some(99), "{ctor}: {}", r.stderr);
            r.assert_report("heap-buffer-underflow");
            let first = r
                .stdout
                .split("first object of a slab: 0x")
                .nth(1)
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .unwrap_or_else(|| panic!("{}", r.stdout));
            r.assert_stderr_in_order(&[
                "READ of size 8",
                &format!("in main {}", at(&src, "underflow")),
                &format!(
                    "is located 8 bytes before a 48-byte object in cache \"conn\"{}\n",
                    if ctor == "ctor" { " (constructor)" } else { "" }
                ),
                "object state: live",
                &format!("in open_conn {}", at(&src, "alloc")),
            ]);
            assert!(
                r.stderr
                    .contains(&format!("{:#x} is located 8 bytes before", first - 8)),
                "{ctor}: not about the first object {first:#x}:\n{}",
                r.stderr
            );
        }
    }
}
