//! Object caches end to end from Rust: `tests/programs/cache/rules.rs`
//! uses `runtime/include/tagsan.rs` (the C ABI) and is built through
//! `rustc -Z llvm-plugins` with the runtime archive.

mod common;

use common::{build_rust, run};
use std::path::PathBuf;

fn build(name: &str) -> (PathBuf, PathBuf) {
    let src = common::repo().join("tests/programs/cache/rules.rs");
    (build_rust(name, &src, "0", &[]), src)
}

fn at(src: &PathBuf, mark: &str) -> String {
    let text = std::fs::read_to_string(src).unwrap();
    let tag = format!("MARK:{mark}");
    let line = text.lines().position(|l| l.contains(&tag)).unwrap() + 1;
    format!("{}:{line}", src.display())
}

#[test]
fn rust_plain_cache_use_after_free() {
    let (exe, src) = build("cache_rs_uaf");
    let r = run(&exe, &["uaf"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        &format!("in rules::read_key {}", at(&src, "read")),
        "in rules::use_after_free",
        "in cache \"plain\"\n",
        "object state: freed",
        "freed by thread T0 here:",
        &format!("in rules::retire {}", at(&src, "free")),
        "previously allocated by thread T0 here:",
        &format!("in rules::new_node {}", at(&src, "alloc")),
    ]);
}

#[test]
fn rust_constructor_calls_count_objects_not_allocations() {
    let (exe, _) = build("cache_rs_ctor");
    let r = run(&exe, &["ctor"], &[]);
    r.assert_clean();
    let num = |k: &str| -> u64 {
        let rest = &r.stdout[r.stdout.find(k).unwrap() + k.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(num("ctor_calls"), num("objects_created"), "{}", r.stdout);
    assert!(num("ctor_calls") < num("allocations") / 10, "{}", r.stdout);
}

#[test]
fn rust_overflow_into_next_object() {
    let (exe, src) = build("cache_rs_overflow");
    let r = run(&exe, &["overflow"], &[]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_in_order(&[
        &format!("in rules::overflow {}", at(&src, "overflow")),
        "is located 8 bytes after a 48-byte object in cache \"conn\" (constructor, typesafe-by-RCU)",
        "object state: live",
    ]);
}

#[test]
fn rust_rcu_readers_writers_and_release_after_grace_period() {
    let (exe, src) = build("cache_rs_rcu");
    let r = run(&exe, &["threads"], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("live 0"), "{}", r.stdout);
    let r = run(&exe, &["after_shrink"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "grace period over",
        &format!("in rules::read_key {}", at(&src, "read")),
        "in rules::after_shrink",
        "in cache \"sess\" (constructor, typesafe-by-RCU)",
        "its slab was released by cache_shrink",
    ]);
    assert_eq!(r.stderr.matches("ERROR: TagSanitizer").count(), 1);
}
