//! Fallible allocation (issue 13, item 5): `tagsan cargo` programs default
//! to `allocator_may_return_null=1`, so Rust's `try_reserve` gets an `Err`
//! for an impossible size, while C programs keep reporting by default; a
//! program's own `__tagsan_default_options` overrides the Rust default;
//! bad alignments are EINVAL (or a report naming the alignment).

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    repo().join("tests/programs/fallible")
}

fn copy_crate(dir: &Path) {
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "src/lib.rs",
        "src/main.rs",
        "src/bin/reports.rs",
    ] {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(crate_dir().join(f), to).unwrap();
    }
}

fn tagsan_cargo(dir: &Path, args: &[&str]) -> Run {
    run_cmd(
        tagsan()
            .arg("cargo")
            .args(args)
            .current_dir(dir)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )
}

#[test]
fn tagsan_cargo_test_with_try_reserve_of_an_absurd_size_passes() {
    let dir = scratch("fallible-test");
    copy_crate(&dir);
    let r = tagsan_cargo(&dir, &["test", "--quiet", "--lib"]);
    r.assert_success();
    assert!(!r.stderr.contains("ERROR: TagSanitizer"), "{}", r.stderr);
    let r = tagsan_cargo(&dir, &["run", "--release", "--quiet", "--bin", "fallible"]);
    r.assert_success();
    assert!(r.stdout.contains("reserved: 499500"), "{}", r.stdout);
}

#[test]
fn a_rust_program_may_ask_for_reports_with_its_own_default_options() {
    let dir = scratch("fallible-reports");
    copy_crate(&dir);
    let r = tagsan_cargo(&dir, &["run", "--quiet", "--bin", "reports"]);
    assert_eq!(r.code, Some(99), "{}{}", r.stdout, r.stderr);
    r.assert_stderr_in_order(&[
        "ERROR: TagSanitizer: allocation-size-too-big",
        "(size 0x10000000000)",
        "reports::main",
        &marked_location(&crate_dir().join("src/bin/reports.rs"), "// BUG:"),
    ]);
    // TAGSAN_OPTIONS still has the last word.
    let exe = dir.join("target/tagsan/x86_64-unknown-linux-gnu/debug/reports");
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(
        r.stdout.contains("try_reserve returned: true"),
        "{}",
        r.stdout
    );
}

#[test]
fn c_programs_keep_reporting_impossible_allocations_by_default() {
    let exe = build_c(
        "c_huge_default",
        &[&program("limits", "grow.c")],
        "1",
        &["-lpthread"],
    );
    let r = run(&exe, &["machine"], &[]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_stderr_has("ERROR: TagSanitizer: out-of-memory at pc");
}

#[test]
fn bad_alignments_are_einval_or_a_report_naming_the_alignment() {
    let src = program("limits", "bad_alignment.c");
    let exe = build_c("bad_alignment", &[&src], "0", &[]);
    let r = run(
        &exe,
        &[],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(
        r.stdout
            .contains("posix_memalign: EINVAL, out untouched, errno untouched"),
        "{}",
        r.stdout
    );
    let r = run(
        &exe,
        &["aligned_alloc"],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(
        r.stdout.contains("aligned_alloc: NULL, errno EINVAL"),
        "{}",
        r.stdout
    );
    for (mode, kind, marker) in [
        (
            "posix_memalign",
            "invalid-posix-memalign-alignment",
            "// BUG: posix_memalign",
        ),
        (
            "aligned_alloc",
            "invalid-aligned-alloc-alignment",
            "// BUG: aligned_alloc",
        ),
    ] {
        let r = run(&exe, &[mode], &[]);
        assert_eq!(r.code, Some(99), "{}", r.stderr);
        r.assert_stderr_has(&format!("ERROR: TagSanitizer: {kind} at pc"));
        r.assert_stderr_in_order(&[
            "(alignment 0x18) in thread T0:",
            "in main",
            &marked_location(&src, marker),
            &format!("SUMMARY: TagSanitizer: {kind}"),
        ]);
    }
}
