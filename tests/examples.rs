//! Every program in examples/ goes through the `tagsan` CLI the way the
//! README tells a new user to run it, and shows the report its header
//! promises: the kind of bug and the `file:line` of the bad access (taken
//! from the `// BUG:` marker in the source).

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Builds one C/C++ example with `tagsan cc`/`tagsan c++` (plus `flags`)
/// and runs it.
fn run_c_example(rel: &str, flags: &[&str], env: &[(&str, &str)]) -> (Run, PathBuf) {
    let src = repo().join(rel);
    let name = Path::new(rel)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let exe = scratch(&format!("example-{name}{}", flags.concat())).join(&name);
    let lang = if rel.ends_with(".cc") { "c++" } else { "cc" };
    check(tagsan().arg(lang).args(flags).arg(&src).arg("-o").arg(&exe));
    (run_exe(&exe, &[], env), src)
}

fn expect_c_bug(rel: &str, kind: &str, env: &[(&str, &str)]) {
    let (r, src) = run_c_example(rel, &[], env);
    r.assert_report(kind);
    r.assert_failed();
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    r.assert_stderr_has(&format!("SUMMARY: TagSanitizer: {kind}"));
}

#[test]
fn c_heap_overflow() {
    expect_c_bug("examples/c/heap-overflow.c", "heap-buffer-overflow", &[]);
}

#[test]
fn c_use_after_free() {
    let (r, src) = run_c_example("examples/c/use-after-free.c", &[], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    // Where it was freed and allocated, by function.
    r.assert_stderr_in_order(&[
        "freed by thread",
        "release_user",
        "allocated by thread",
        "new_user",
    ]);
}

#[test]
fn c_use_after_free_at_o2() {
    // At -O2 LLVM would delete this malloc/free pair, and the bug with it,
    // were the functions not marked for the optimizer (as ASan's are): see
    // pass/src/optimizer_hints.rs.
    let (r, src) = run_c_example("examples/c/use-after-free.c", &["-O2"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
}

#[test]
fn c_double_free() {
    expect_c_bug("examples/c/double-free.c", "double-free", &[]);
}

#[test]
fn c_invalid_free() {
    expect_c_bug("examples/c/invalid-free.c", "invalid-free", &[]);
}

#[test]
fn c_threads_clean() {
    let (r, _) = run_c_example("examples/c/threads-clean.c", &[], &[]);
    r.assert_clean();
    assert!(r.stdout.contains("total: 8000"), "{}", r.stdout);
}

#[test]
fn cxx_new_delete_mismatch() {
    expect_c_bug(
        "examples/cxx/new-delete-mismatch.cc",
        "alloc-dealloc-mismatch",
        &[("TAGSAN_OPTIONS", "alloc_dealloc_mismatch=1")],
    );
}

/// `tagsan cargo run --bin NAME` in examples/rust, with a target dir of
/// the tests' own (tagsan puts its build in `<that>/tagsan`).
fn run_rust_example(bin: &str, release: bool) -> Run {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("examples-rust-target");
    let mut cmd = tagsan();
    cmd.args(["cargo", "run", "--quiet", "--manifest-path"])
        .arg(repo().join("examples/rust/Cargo.toml"))
        .args(["--bin", bin])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if release {
        cmd.arg("--release");
    }
    run_within(&mut cmd, std::time::Duration::from_secs(300))
}

fn expect_rust_bug(bin: &str, release: bool, kind: &str, function: &str) {
    let r = run_rust_example(bin, release);
    let src = repo().join(format!("examples/rust/src/bin/{bin}.rs"));
    r.assert_report(kind);
    r.assert_failed();
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    r.assert_stderr_has(function);
}

#[test]
fn rust_raw_pointer_oob() {
    expect_rust_bug(
        "raw-pointer-oob",
        false,
        "heap-buffer-overflow",
        "raw_pointer_oob::fill",
    );
}

#[test]
fn rust_box_use_after_free() {
    expect_rust_bug(
        "box-use-after-free",
        false,
        "use-after-free",
        "box_use_after_free::main",
    );
}

#[test]
fn rust_vec_set_len_release() {
    expect_rust_bug(
        "vec-set-len",
        true,
        "heap-buffer-overflow",
        "vec_set_len::main",
    );
}

#[test]
fn rust_clean() {
    let r = run_rust_example("clean", false);
    r.assert_clean();
    assert!(
        r.stdout.contains("words: 4000, longest: 11"),
        "{}",
        r.stdout
    );
}

/// Each example says in its header what to expect; each bug example has
/// exactly one marker (marker_line asserts that).
#[test]
fn every_example_is_covered() {
    let covered = [
        "c/heap-overflow.c",
        "c/use-after-free.c",
        "c/double-free.c",
        "c/invalid-free.c",
        "c/threads-clean.c",
        "cxx/new-delete-mismatch.cc",
        "rust/src/bin/raw-pointer-oob.rs",
        "rust/src/bin/box-use-after-free.rs",
        "rust/src/bin/vec-set-len.rs",
        "rust/src/bin/clean.rs",
    ];
    let mut found = Vec::new();
    for dir in ["c", "cxx", "rust/src/bin"] {
        for e in std::fs::read_dir(repo().join("examples").join(dir)).unwrap() {
            found.push(format!(
                "{dir}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    found.sort();
    let mut want: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        found, want,
        "examples/ changed: give every example a test in tests/examples.rs"
    );
    for f in covered {
        let text = std::fs::read_to_string(repo().join("examples").join(f)).unwrap();
        assert!(
            text.contains("Expected"),
            "examples/{f} should say what to expect in its header"
        );
    }
}
