//! The rest of the command line: help, errors, `tagsan opt`, `tagsan doctor`.

mod common;

use std::process::Command;

use common::*;

#[test]
fn help_for_every_subcommand() {
    let main = run_cmd(tagsan().arg("--help"));
    main.assert_success();
    for sub in ["cc", "c++", "cargo", "run", "opt", "doctor"] {
        assert!(
            main.stdout.contains(&format!("  {sub} ")),
            "`{sub}` missing from tagsan --help"
        );
    }
    for (args, usage) in [
        (&["cc", "--help"][..], "Usage: tagsan cc"),
        (&["c++", "--help"], "Usage: tagsan cc"),
        (&["cargo", "--help"], "Usage: tagsan cargo"),
        (&["opt", "--help"], "Usage: tagsan opt"),
        (&["doctor", "--help"], "Usage: tagsan doctor"),
        (&["run", "--help"], "Usage: tagsan run"),
        (&["help", "run"], "Usage: tagsan run"),
        (&["help", "cargo"], "Usage: tagsan cargo"),
        (&["help"], "Usage: tagsan [-v] <command>"),
    ] {
        let r = run_cmd(tagsan().args(args));
        r.assert_success();
        assert!(r.stdout.contains(usage), "tagsan {args:?}: {}", r.stdout);
    }
    let v = run_cmd(tagsan().arg("--version"));
    v.assert_success();
    assert_eq!(
        v.stdout.trim(),
        format!("tagsan {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_subcommand_and_option_are_one_line_errors() {
    for (args, msg) in [
        (
            &["frobnicate"][..],
            "tagsan: error: unknown subcommand 'frobnicate'",
        ),
        (&["--frob", "cc"], "tagsan: error: unknown option '--frob'"),
        (
            &["opt", "in.ll", "-o", "out.ll", "--frob"],
            "tagsan: error: unknown option '--frob' for tagsan opt",
        ),
        (&["opt", "in.ll"], "tagsan: error: no output file"),
        (
            &["doctor", "--frob"],
            "tagsan: error: unknown argument '--frob' for tagsan doctor",
        ),
        (
            &["help", "frob"],
            "tagsan: error: no help for unknown subcommand 'frob'",
        ),
    ] {
        let r = run_cmd(tagsan().args(args));
        assert_eq!(r.code, Some(2), "tagsan {args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with(msg), "tagsan {args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "tagsan {args:?}: {}", r.stderr);
    }
    // No subcommand: usage on stderr, non-zero.
    let r = run_cmd(&mut tagsan());
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("Usage: tagsan"));
}

#[test]
fn opt_instruments_ir_and_takes_pass_options() {
    let dir = scratch("opt");
    let src = dir.join("f.c");
    std::fs::write(
        &src,
        "int get(int *p, int i) { return p[i]; }\nvoid put(int *p, int v) { *p = v; }\n",
    )
    .unwrap();
    let ll = dir.join("f.ll");
    check(
        Command::new(common::llvm_tool("clang"))
            .args(["-O1", "-S", "-emit-llvm"])
            .arg(&src)
            .arg("-o")
            .arg(&ll),
    );

    let out = dir.join("out.ll");
    let r = check(tagsan().args(["opt", "-v"]).arg(&ll).arg("-o").arg(&out));
    let printed = String::from_utf8_lossy(&r.stderr);
    assert!(
        printed.contains("-load-pass-plugin=") && printed.contains("-passes=tagsan"),
        "{printed}"
    );
    let ir = std::fs::read_to_string(&out).unwrap();
    assert!(
        ir.contains("__hwasan_load4") && ir.contains("__hwasan_store4"),
        "{ir}"
    );

    // Options reach the pass: no-reads leaves the load alone.
    let out2 = dir.join("noreads.ll");
    check(
        tagsan()
            .args(["opt", "--passes-options", "no-reads"])
            .arg(&ll)
            .arg("-o")
            .arg(&out2),
    );
    let ir = std::fs::read_to_string(&out2).unwrap();
    assert!(
        !ir.contains("__hwasan_load4") && ir.contains("__hwasan_store4"),
        "{ir}"
    );

    // Bitcode output by default.
    let bc = dir.join("out.bc");
    check(tagsan().arg("opt").arg(&ll).arg("-o").arg(&bc));
    assert_eq!(&std::fs::read(&bc).unwrap()[..2], b"BC");

    // A bad pass option is opt's error, and its exit code.
    let bad = run_cmd(
        tagsan()
            .args(["opt", "--passes-options", "bogus"])
            .arg(&ll)
            .arg("-o")
            .arg(dir.join("x.ll")),
    );
    bad.assert_failed();
    bad.assert_stderr_has("bogus");
}

#[test]
fn opt_missing_input_is_a_clear_error() {
    let r = run_cmd(tagsan().args(["opt", "/nonexistent/in.ll", "-o", "/dev/null"]));
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr.trim(),
        "tagsan: error: /nonexistent/in.ll: no such file"
    );
}

#[test]
fn doctor_checks_everything_and_catches_a_bug() {
    let r = run_cmd(tagsan().arg("doctor"));
    r.assert_success();
    let tools = ["clang", "clang++", "opt"].map(common::llvm_tool);
    for what in [
        tools[0].as_str(),
        &tools[1],
        &tools[2],
        "plugin",
        "runtime",
        "rustc",
        "rustc+plugin",
        "end-to-end",
    ] {
        let ok = r.stdout.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.len() >= 2 && words[0] == "ok" && words[1] == what
        });
        assert!(ok, "no `ok {what}` line in:\n{}", r.stdout);
    }
    assert!(
        r.stdout
            .contains("tagsan doctor: everything tagsan cc/c++ needs works"),
        "{}",
        r.stdout
    );
}

#[test]
fn doctor_says_what_is_missing() {
    let r = run_cmd(
        tagsan()
            .arg("doctor")
            .env("TAGSAN_PLUGIN", "/nonexistent/libtagsan_pass.so")
            .env("TAGSAN_OPT", "/nonexistent/opt"),
    );
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "MISSING  plugin       TAGSAN_PLUGIN=/nonexistent/libtagsan_pass.so does not exist"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "apt-get install llvm{}-tools",
            tagsan_abi::llvm::TOOL_SUFFIX
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("tagsan doctor: 2 problem(s)"),
        "{}",
        r.stdout
    );
}

#[test]
fn doctor_explains_a_rustc_with_the_wrong_llvm() {
    let dir = scratch("doctor-old-rustc");
    let fake = dir.join("rustc");
    std::fs::write(&fake, "#!/bin/sh\necho 'host: x86_64-unknown-linux-gnu'\necho 'release: 1.80.0'\necho 'LLVM version: 18.1.7'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run_cmd(tagsan().arg("doctor").env("RUSTC", &fake));
    // C and C++ still work: a warning, not a failure.
    r.assert_success();
    assert!(
        r.stdout.contains(&format!(
            "WARN     rustc        rustc 1.80.0 uses LLVM 18 but the tagsan plugin needs LLVM {}",
            tagsan_abi::llvm::LLVM_MAJOR
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`tagsan cargo` will refuse to run"),
        "{}",
        r.stdout
    );
}
