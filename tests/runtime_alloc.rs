//! End-to-end tests of the runtime's allocator: clean programs that use
//! every entry point under stress, and the misuse the allocator detects.

mod common;

use common::*;

fn build(name: &str, file: &str, extra: &[&str]) -> std::path::PathBuf {
    build_c(name, &[&program("runtime", file)], "1", extra)
}

#[test]
fn every_entry_point_works() {
    // -fno-builtin: clang assumes malloc and friends leave errno alone.
    let exe = build("entry_points", "entry_points.c", &["-fno-builtin"]);
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("entry points ok"));
    // The impossible requests return NULL with errno when allowed to.
    let r = run(
        &exe,
        &["errors"],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
}

#[test]
fn threads_stress_the_allocator() {
    let exe = build("stress", "stress.c", &["-lpthread"]);
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("stress ok"));
    // Without quarantine, and with tag_bits at both ends.
    for opts in [
        "quarantine_size_mb=0",
        "tag_bits=3",
        "tag_bits=6:malloc_fill_byte=0xaa:max_malloc_fill_size=4096",
    ] {
        run(&exe, &[], &[("TAGSAN_OPTIONS", opts)]).assert_clean();
    }
}

#[test]
fn realloc_chains_keep_contents() {
    let exe = build("realloc_chain", "realloc_chain.c", &[]);
    run(&exe, &[], &[]).assert_clean();
}

#[test]
fn cxx_new_and_delete_in_every_form() {
    let exe = build_c(
        "new_delete",
        &[&program("runtime", "new_delete.cc")],
        "1",
        &["-std=c++17"],
    );
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", "alloc_dealloc_mismatch=1")]);
    r.assert_clean();
    assert!(r.stdout.contains("new/delete ok"));
}

#[test]
fn allocator_detects_misuse() {
    // -O0: at -O1 clang deletes a malloc whose block is only freed.
    let exe = build_c(
        "alloc_errors",
        &[&program("runtime", "alloc_errors.c")],
        "0",
        &[],
    );
    for (mode, kind) in [
        ("double-free", "double-free"),
        ("double-free-large", "double-free"),
        ("interior", "invalid-free"),
        ("stack", "invalid-free"),
        ("wrong-tag", "invalid-free"),
        ("malloc-zero", "heap-buffer-overflow"),
        ("untagged-neighbour", "heap-buffer-overflow"),
    ] {
        let r = run(&exe, &[mode], &[]);
        assert_ne!(r.code, Some(0), "{mode}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("ERROR: TagSanitizer: {kind}")),
            "{mode}: expected {kind}, got:\n{}",
            r.stderr
        );
        assert!(
            !r.stdout.contains("no error detected"),
            "{mode} went unnoticed"
        );
    }
    let r = run(&exe, &["calloc-overflow"], &[]);
    assert!(
        r.stderr.contains("ERROR: TagSanitizer: calloc-overflow"),
        "{}",
        r.stderr
    );
    let r = run(
        &exe,
        &["calloc-overflow"],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(r.stdout.contains("calloc returned (nil)"));
}

#[test]
fn bad_options_warn_once_and_run() {
    let exe = build("options", "realloc_chain.c", &[]);
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "foo=1:tag_bits=9:verbosity=0")],
    );
    r.assert_clean();
    assert_eq!(
        r.stderr
            .matches("unknown option 'foo' in TAGSAN_OPTIONS, ignored")
            .count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("bad value '9' for option 'tag_bits'"),
        "{}",
        r.stderr
    );
}

#[test]
fn interface_functions() {
    let exe = build("interface", "interface.c", &[]);
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("interface ok"));
    assert!(
        r.stderr.contains("(short, tag "),
        "print_shadow shows the short granule:\n{}",
        r.stderr
    );
}

#[test]
fn rust_programs_allocate_from_the_tagged_heap() {
    let exe = build_rust("rust_alloc", &program("runtime", "rust_alloc.rs"), "1", &[]);
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("rust ok 4"), "{}", r.stdout);
}

#[test]
fn malloc_and_free_fill() {
    // Plain clang, no instrumentation: the program reads freed memory.
    let dir = scratch("fill");
    let exe = dir.join("fill");
    check(
        std::process::Command::new(common::llvm_tool("clang"))
            .arg(program("runtime", "fill.c"))
            .arg("-o")
            .arg(&exe)
            .args(runtime_link_args()),
    );
    let opts =
        "malloc_fill_byte=0xab:max_malloc_fill_size=64:free_fill_byte=0xcd:max_free_fill_size=4096";
    let r = run(&exe, &[], &[("TAGSAN_OPTIONS", opts)]);
    r.assert_clean();
    // The malloc fill stops at max_malloc_fill_size; the free fill covers it all.
    assert!(r.stdout.contains("fresh 64 freed 100"), "{}", r.stdout);
}

#[test]
fn mapping_failure_is_one_fatal_line() {
    let exe = build("mapfail", "realloc_chain.c", &[]);
    // A 4 GiB address-space limit leaves no room for the heap aliases.
    let r = run_cmd(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v 4000000; exec {}", exe.display())),
    );
    assert_ne!(r.code, Some(0));
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with("tagsan: fatal: cannot map"),
        "{}",
        r.stderr
    );
}
