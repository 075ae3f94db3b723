//! The pass in the hosts the brief names, end to end: IR through
//! `opt-22 -passes=tagsan` then `clang-22`, and our pass's output on LLVM's
//! own runtime (the ABI check: we emit compiler-rt's HWASan calls).
//! (`clang -fpass-plugin` and `rustc -Z llvm-plugins` are exercised by every
//! other end-to-end test.)

mod common;

use std::process::Command;

use common::*;

fn heap_overflow_source() -> std::path::PathBuf {
    program("reports", "heap_overflow.c")
}

#[test]
fn opt_then_clang_finds_the_bug() {
    let dir = scratch("host-opt");
    let src = heap_overflow_source();
    let plain = dir.join("plain.ll");
    let instrumented = dir.join("instrumented.ll");
    let exe = dir.join("heap_overflow");
    check(
        Command::new(common::llvm_tool("clang"))
            .args(["-O1", "-g", "-fno-omit-frame-pointer", "-S", "-emit-llvm"])
            .arg(&src)
            .arg("-o")
            .arg(&plain),
    );
    check(
        Command::new(common::llvm_tool("opt"))
            .arg(format!("-load-pass-plugin={}", plugin().display()))
            .args(["-passes=tagsan", "-S"])
            .arg(&plain)
            .arg("-o")
            .arg(&instrumented),
    );
    check(
        Command::new(common::llvm_tool("clang"))
            .arg("-O1")
            .arg(&instrumented)
            .arg("-o")
            .arg(&exe)
            .args(runtime_link_args()),
    );
    let r = run_exe(&exe, &[], &[]);
    r.assert_report("heap-buffer-overflow");
    let access = format!(
        "in main {}:{}:",
        src.display(),
        marker_line(&src, "MARK:bug")
    );
    r.assert_stderr_in_order(&[
        "WRITE of size 1",
        &access,
        "is located 0 bytes after a 13-byte region",
    ]);
}

#[test]
fn our_pass_output_runs_on_llvms_hwasan_aliases_runtime() {
    let dir = scratch("host-llvm-runtime");
    let src = heap_overflow_source();
    let obj = dir.join("heap_overflow.o");
    let exe = dir.join("heap_overflow");
    // Instrumented by our plugin only: no -fsanitize at compile time.
    check(
        Command::new(common::llvm_tool("clang"))
            .arg(format!("-fpass-plugin={}", plugin().display()))
            .args(["-O1", "-g", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );
    // Linked the way clang links its own x86_64 HWASan programs, which
    // brings in compiler-rt's libclang_rt.hwasan_aliases instead of ours.
    check(
        Command::new(common::llvm_tool("clang"))
            .args([
                "-fsanitize=hwaddress",
                "-fsanitize-hwaddress-experimental-aliasing",
            ])
            .arg(&obj)
            .arg("-o")
            .arg(&exe),
    );
    let r = run_exe(&exe, &[], &[]);
    assert!(
        r.stderr.contains("ERROR: HWAddressSanitizer: tag-mismatch")
            && r.stderr.contains("WRITE of size 1"),
        "LLVM's runtime did not report our instrumented overflow:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&marked_location(&src, "MARK:bug")),
        "{}",
        r.stderr
    );
}
