//! `tagsan cargo`: a user's crate (tests/programs/cli/cargo-demo, its own
//! workspace) built by real cargo through the real plugin and runtime.

mod common;

use std::path::PathBuf;

use common::*;

fn demo() -> PathBuf {
    repo().join("tests/programs/cli/cargo-demo")
}

/// Copies the demo crate into `dir`.
fn copy_demo(dir: &std::path::Path) {
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
    ] {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(demo().join(f), to).unwrap();
    }
}

/// `tagsan cargo ARGS` in a copy of the demo crate (each test its own, so
/// they do not wait on each other's cargo lock or share a target dir).
fn tagsan_cargo(test: &str, args: &[&str]) -> (Run, PathBuf) {
    let dir = scratch(test);
    copy_demo(&dir);
    let r = run_cmd(
        tagsan()
            .arg("cargo")
            .args(args)
            .current_dir(&dir)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    );
    (r, dir)
}

#[test]
fn run_reports_rust_use_after_free_with_file_and_line() {
    let (r, dir) = tagsan_cargo("cargo-run-uaf", &["run", "--quiet", "--", "uaf"]);
    r.assert_report("use-after-free");
    r.assert_failed();
    r.assert_stderr_has(&marked_location(&demo().join("src/main.rs"), "// BUG:"));
    // Rust names, the access first.
    r.assert_stderr_in_order(&["cargo_demo::read_id", "cargo_demo::main"]);
    // Its own target dir: the normal build is untouched.
    assert!(dir
        .join("target/tagsan/x86_64-unknown-linux-gnu/debug/cargo-demo")
        .exists());
    assert!(!dir.join("target/debug/cargo-demo").exists());
}

#[test]
fn run_clean_and_exit_code_pass_through() {
    let (r, _) = tagsan_cargo("cargo-run-clean", &["run", "--quiet"]);
    r.assert_clean();
    // The build script ran (without tagsan's flags, or it would not link).
    assert!(r.stdout.contains("ok 1 5 build.rs"), "{}", r.stdout);
    let (r, _) = tagsan_cargo("cargo-run-exit", &["run", "--quiet", "--", "exit", "7"]);
    assert_eq!(r.code, Some(7), "{}", r.stderr);
}

#[test]
fn build_says_where_binaries_are_and_release_has_lines() {
    let (r, dir) = tagsan_cargo("cargo-build-release", &["build", "--release"]);
    r.assert_success();
    let out = dir.join("target/tagsan/x86_64-unknown-linux-gnu/release");
    r.assert_stderr_has(&format!(
        "tagsan: instrumented binaries are in {}",
        out.display()
    ));
    let exe = out.join("cargo-demo");
    let bug = run_exe(&exe, &["uaf"], &[]);
    bug.assert_report("use-after-free");
    // Release has no debug info of its own: tagsan adds enough for Rust
    // paths and file:line.
    bug.assert_stderr_has(&marked_location(&demo().join("src/main.rs"), "// BUG:"));
    bug.assert_stderr_has("in cargo_demo::");
}

#[test]
fn test_subcommand_catches_a_bug_in_a_test() {
    let (r, _) = tagsan_cargo("cargo-test", &["test", "--quiet"]);
    r.assert_report("heap-buffer-overflow");
    r.assert_failed();
    let line = marker_line(&demo().join("src/main.rs"), "// BUG-TEST:");
    r.assert_stderr_has(&format!("main.rs:{line}"));
}

#[test]
fn verbose_shows_the_real_command_and_flags() {
    let (r, dir) = tagsan_cargo("cargo-verbose", &["build", "-v"]);
    r.assert_success();
    // Encoded flags (0x1f-separated) are shown as $'...\x1f...'.
    r.assert_stderr_has("tagsan: running: ");
    r.assert_stderr_has("CARGO_ENCODED_RUSTFLAGS=$'-Zllvm-plugins=");
    r.assert_stderr_has("\\x1f-Cforce-frame-pointers=yes\\x1f");
    r.assert_stderr_has("CARGO_ENCODED_RUSTDOCFLAGS=$'-Zllvm-plugins=");
    r.assert_stderr_has("CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu");
    r.assert_stderr_has(&format!(
        "CARGO_TARGET_DIR={}",
        dir.join("target/tagsan").display()
    ));
}

#[test]
fn user_rustflags_are_kept() {
    let dir = scratch("cargo-rustflags");
    copy_demo(&dir);
    let r = run_cmd(
        tagsan()
            .args(["-v", "cargo", "build"])
            .current_dir(&dir)
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("RUSTFLAGS", "--cfg demo_flag"),
    );
    r.assert_success();
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("tagsan: running:"))
        .unwrap();
    assert!(
        line.contains("--cfg") && line.contains("demo_flag") && line.contains("-Zllvm-plugins"),
        "{line}"
    );
}

#[test]
fn wrong_llvm_in_rustc_is_refused_with_a_clear_message() {
    let dir = scratch("cargo-old-rustc");
    let fake = dir.join("rustc");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'rustc 1.80.0 (051478957 2024-07-21)'\necho 'host: x86_64-unknown-linux-gnu'\necho 'release: 1.80.0'\necho 'LLVM version: 18.1.7'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run_cmd(
        tagsan()
            .args(["cargo", "build"])
            .current_dir(&dir)
            .env("RUSTC", &fake),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "tagsan: error: rustc 1.80.0 uses LLVM 18 but the tagsan plugin needs LLVM {}",
            tagsan_abi::llvm::LLVM_MAJOR
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn other_targets_are_refused_with_one_line() {
    for (args, env, named) in [
        (
            &["build", "--target", "aarch64-unknown-linux-gnu"][..],
            None,
            "--target aarch64-unknown-linux-gnu",
        ),
        (
            &["b", "--target=wasm32-unknown-unknown"],
            None,
            "--target wasm32-unknown-unknown",
        ),
        (
            &[
                "test",
                "--target",
                "x86_64-unknown-linux-gnu",
                "--target",
                "i686-unknown-linux-gnu",
            ],
            None,
            "--target i686-unknown-linux-gnu",
        ),
        (
            &["nextest", "run"],
            Some("aarch64-unknown-linux-gnu"),
            "CARGO_BUILD_TARGET=aarch64-unknown-linux-gnu",
        ),
    ] {
        let mut cmd = tagsan();
        cmd.arg("cargo").args(args).current_dir(demo());
        match env {
            Some(t) => cmd.env("CARGO_BUILD_TARGET", t),
            None => cmd.env_remove("CARGO_BUILD_TARGET"),
        };
        let r = run_cmd(&mut cmd);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!(
                "tagsan: error: tagsan supports --target x86_64-unknown-linux-gnu only, not {named}"
            )) && r.stderr.lines().count() == 1,
            "{args:?}: {}",
            r.stderr
        );
    }
    let help = run_cmd(tagsan().args(["cargo", "--help"]));
    help.assert_success();
    assert!(
        help.stdout.contains("Usage: tagsan cargo"),
        "{}",
        help.stdout
    );
}

#[test]
fn no_arguments_is_plain_cargo() {
    let cargo = run_cmd(&mut std::process::Command::new("cargo"));
    let r = run_cmd(tagsan().arg("cargo"));
    assert_eq!(r.code, cargo.code, "{}", r.stderr);
    assert_eq!(r.stdout, cargo.stdout);
    assert!(r.stdout.contains("Rust's package manager"), "{}", r.stdout);
    let v = run_cmd(tagsan().args(["cargo", "--version"]));
    v.assert_success();
    assert!(v.stdout.starts_with("cargo "), "{}", v.stdout);
}

#[test]
fn aliases_pass_through_with_tagsan_flags() {
    // `b` is build: it says where the instrumented binaries are.
    let (r, dir) = tagsan_cargo("cargo-alias-b", &["b"]);
    r.assert_success();
    r.assert_stderr_has(&format!(
        "tagsan: instrumented binaries are in {}",
        dir.join("target/tagsan/x86_64-unknown-linux-gnu/debug")
            .display()
    ));
    // `r` is run, `t` is test: the bugs are caught.
    let (r, _) = tagsan_cargo("cargo-alias-r", &["r", "-q", "--", "uaf"]);
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&demo().join("src/main.rs"), "// BUG:"));
    let (r, _) = tagsan_cargo("cargo-alias-t", &["t", "-q"]);
    r.assert_report("heap-buffer-overflow");
    // `c` is check; `clean` cleans tagsan's target dir, not the normal one.
    let (r, dir) = tagsan_cargo("cargo-alias-c", &["c", "-q"]);
    r.assert_success();
    assert!(dir.join("target/tagsan").is_dir());
    std::fs::create_dir_all(dir.join("target/debug")).unwrap();
    let r = run_cmd(tagsan().args(["cargo", "clean"]).current_dir(&dir));
    r.assert_success();
    assert!(!dir.join("target/tagsan").exists());
    assert!(dir.join("target/debug").is_dir());
}

#[test]
fn external_subcommands_get_tagsan_flags() {
    // An external subcommand the way nextest is one: `cargo-NAME` on PATH,
    // which runs cargo itself (`$CARGO test` for nextest; `$CARGO run`
    // here) with the environment tagsan set.
    let dir = scratch("cargo-external");
    copy_demo(&dir);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tool = bin.join("cargo-tagsan-probe");
    std::fs::write(&tool, "#!/bin/sh\n# cargo runs: cargo-tagsan-probe tagsan-probe ARGS...\nshift\nexec \"$CARGO\" run \"$@\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let r = run_cmd(
        tagsan()
            .args(["cargo", "tagsan-probe", "-q", "--", "uaf"])
            .current_dir(&dir)
            .env("PATH", path)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    );
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&demo().join("src/main.rs"), "// BUG:"));
    assert!(dir
        .join("target/tagsan/x86_64-unknown-linux-gnu/debug/cargo-demo")
        .exists());
    // The real nextest too, where it is installed (it is not part of the
    // set-up: the probe above stands for it on a fresh machine).
    let nextest = run_cmd(std::process::Command::new("cargo").args(["nextest", "--version"]));
    if nextest.code == Some(0) {
        let r = run_cmd(
            tagsan()
                .args(["cargo", "nextest", "run"])
                .current_dir(&dir)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("CARGO_BUILD_TARGET"),
        );
        r.assert_failed();
        let all = format!("{}{}", r.stdout, r.stderr);
        let line = marker_line(&demo().join("src/main.rs"), "// BUG-TEST:");
        assert!(
            all.contains("ERROR: TagSanitizer: heap-buffer-overflow")
                && all.contains(&format!("main.rs:{line}")),
            "{all}"
        );
    }
}

#[test]
fn doctests_link_with_the_runtime() {
    let (r, _) = tagsan_cargo("cargo-doctest", &["test", "--doc"]);
    r.assert_success();
    assert!(
        r.stdout.contains("test result: ok. 1 passed"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn a_new_runtime_relinks_the_binaries() {
    let (first, dir) = tagsan_cargo("cargo-new-runtime", &["build"]);
    first.assert_success();
    // A different runtime archive (one more, empty member), as after
    // rebuilding tagsan.
    // (Outside the package: new files in it would rebuild it anyway.)
    let rt = scratch("cargo-new-runtime-rt");
    std::fs::copy(runtime(), rt.join("libtagsan_rt.a")).unwrap();
    std::fs::copy(runtime_dynamic_list(), rt.join("libtagsan_rt.syms")).unwrap();
    std::fs::write(rt.join("empty.c"), "int tagsan_test_empty;\n").unwrap();
    check(
        std::process::Command::new(common::llvm_tool("clang"))
            .arg("-c")
            .arg(rt.join("empty.c"))
            .arg("-o")
            .arg(rt.join("empty.o")),
    );
    check(
        std::process::Command::new("ar")
            .arg("q")
            .arg(rt.join("libtagsan_rt.a"))
            .arg(rt.join("empty.o")),
    );
    let again = |runtime: Option<&std::path::Path>| {
        let mut cmd = tagsan();
        cmd.args(["cargo", "build"]).current_dir(&dir);
        if let Some(r) = runtime {
            cmd.env("TAGSAN_RUNTIME", r);
        }
        run_cmd(&mut cmd)
    };
    let same = again(None);
    same.assert_success();
    assert!(
        !same.stderr.contains("Compiling cargo-demo"),
        "{}",
        same.stderr
    );
    let changed = again(Some(&rt.join("libtagsan_rt.a")));
    changed.assert_success();
    changed.assert_stderr_has("Compiling cargo-demo");
}
