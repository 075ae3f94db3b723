//! Start-up never waits on itself (issue 13, item 1): programs and
//! `LD_PRELOAD` libraries that define `getenv`, `mmap`, `memfd_create`...
//! calling malloc, default-options hooks that allocate while the runtime
//! starts, and the combination with `-fsanitize=memory`. Every run is under
//! a time limit, so a hang fails the test.

mod common;

use common::*;
use std::process::Command;

fn startup_program(name: &str) -> std::path::PathBuf {
    program("startup", name)
}

#[test]
fn a_program_defining_libc_functions_that_malloc_starts() {
    for opt in ["0", "2"] {
        let exe = build_c(
            &format!("interposed_libc_O{opt}"),
            &[&startup_program("interposed_libc.c")],
            opt,
            &[],
        );
        let r = run(&exe, &[], &[]);
        r.assert_clean();
        assert!(r.stdout.contains("interposed ok"), "{}", r.stdout);
        // Its own calls went through its own definitions.
        assert!(!r.stdout.contains(": 0 wrapped calls"), "{}", r.stdout);
    }
}

#[test]
fn an_ld_preload_library_defining_libc_functions_that_malloc() {
    let dir = scratch("preload_wrappers");
    let lib = dir.join("libwrap.so");
    check(
        Command::new(llvm_tool("clang"))
            .args(["-shared", "-fPIC", "-O1", "-DPRELOAD"])
            .arg(startup_program("interposed_libc.c"))
            .arg("-o")
            .arg(&lib),
    );
    let exe = build_c(
        "preload_user",
        &[&startup_program("heap_user.c")],
        "1",
        &["-lpthread"],
    );
    let r = run(&exe, &[], &[("LD_PRELOAD", lib.to_str().unwrap())]);
    r.assert_clean();
    assert!(r.stdout.contains("heap user ok"), "{}", r.stdout);
}

#[test]
fn default_options_hooks_may_allocate_while_the_runtime_starts() {
    let src = startup_program("default_options.c");
    let exe = build_c("default_options", &[&src], "0", &[]);
    let r = run(&exe, &[], &[]);
    r.assert_clean();
    assert!(
        r.stdout.contains("options built: exitcode=42"),
        "{}",
        r.stdout
    );
    // __hwasan_default_options applies, __tagsan_default_options after it.
    let r = run(&exe, &["bug"], &[]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    assert_eq!(r.code, Some(42), "{}", r.stderr);
    assert!(!r.stderr.contains("SUMMARY:"), "{}", r.stderr);
    // TAGSAN_OPTIONS overrides both.
    let r = run(
        &exe,
        &["bug"],
        &[("TAGSAN_OPTIONS", "exitcode=43:print_summary=1")],
    );
    assert_eq!(r.code, Some(43), "{}", r.stderr);
    r.assert_stderr_has("SUMMARY: TagSanitizer: heap-buffer-overflow");
}

/// MemorySanitizer and tagsan cannot share a process: MSan reserves every
/// address range it does not use itself, tagsan's fixed heap and shadow
/// included. Linked together they used to hang in start-up; now the
/// program stops at once with MSan's own message.
#[test]
fn with_memory_sanitizer_the_program_stops_instead_of_hanging() {
    let src = startup_program("interposed_libc.c");
    let exe = build_c("with_msan", &[&src], "1", &["-fsanitize=memory"]);
    let r = run(&exe, &[], &[]);
    r.assert_failed();
    assert!(r.stderr.contains("MemorySanitizer"), "{}", r.stderr);
}
