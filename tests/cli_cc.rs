//! `tagsan cc` / `tagsan c++` as a drop-in compiler: real programs through
//! the real plugin and runtime, built the ways build systems build them.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn programs() -> std::path::PathBuf {
    repo().join("tests/programs/cli")
}

/// The command line `tagsan -v` printed (`tagsan: running: ...`).
fn printed_command(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("tagsan: running: "))
        .unwrap_or_else(|| panic!("no `tagsan: running:` line in:\n{stderr}"))
        .to_string()
}

#[test]
fn separate_compile_and_link_finds_the_bug() {
    let dir = scratch("cc-separate");
    let src = repo().join("examples/c/heap-overflow.c");
    let obj = dir.join("heap-overflow.o");
    let exe = dir.join("heap-overflow");

    let compile = check(
        tagsan()
            .args(["-v", "cc", "-O1", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );
    let line = printed_command(&String::from_utf8_lossy(&compile.stderr));
    assert!(
        line.contains("-fpass-plugin=")
            && line.contains(" -g ")
            && line.contains("-fno-omit-frame-pointer"),
        "{line}"
    );
    assert!(
        !line.contains("libtagsan_rt.a"),
        "a compile-only step got the runtime: {line}"
    );

    let link = check(tagsan().args(["-v", "cc"]).arg(&obj).arg("-o").arg(&exe));
    let line = printed_command(&String::from_utf8_lossy(&link.stderr));
    assert!(
        !line.contains("-fpass-plugin"),
        "a link-only step got the plugin: {line}"
    );
    assert!(
        line.contains("libtagsan_rt.a")
            && line.contains("--dynamic-list=")
            && line.contains("-lpthread"),
        "{line}"
    );

    let r = run_exe(&exe, &[], &[]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
}

#[test]
fn make_project_with_cc_variable() {
    let dir = scratch("cc-make");
    copy_dir(&programs().join("make-project"), &dir);
    let cc = format!("{} cc", tagsan_bin().display());
    check(
        Command::new("make")
            .arg("-C")
            .arg(&dir)
            .arg(format!("CC={cc}"))
            .env_remove("TAGSAN_VERBOSE"),
    );
    assert!(
        dir.join("main.d").exists(),
        "-MMD dependency files were not written"
    );
    let exe = dir.join("app");
    let clean = run_exe(&exe, &[], &[]);
    clean.assert_clean();
    assert!(clean.stdout.contains("checksum"), "{}", clean.stdout);
    let bad = run_exe(&exe, &["overflow"], &[]);
    bad.assert_report("heap-buffer-overflow");
    bad.assert_stderr_has(&marked_location(&dir.join("buffer.c"), "// BUG:"));
    bad.assert_stderr_in_order(&["buffer_fill", "main"]);
}

#[test]
fn shared_library_reports_inside_the_library() {
    let dir = scratch("cc-shared");
    let srcs = programs().join("shared-lib");
    let lib = dir.join("libtable.so");
    let built = check(
        tagsan()
            .args(["-v", "cc", "-shared", "-fPIC", "-O1"])
            .arg(srcs.join("lib.c"))
            .arg("-o")
            .arg(&lib),
    );
    let line = printed_command(&String::from_utf8_lossy(&built.stderr));
    assert!(
        line.contains("-fpass-plugin=") && !line.contains("libtagsan_rt.a"),
        "{line}"
    );
    // The library references the runtime but does not carry one.
    let nm = check(Command::new("nm").args(["-D", "--defined-only"]).arg(&lib));
    assert!(
        !String::from_utf8_lossy(&nm.stdout).contains("__hwasan_init"),
        "the .so has its own runtime"
    );
    let undefined = check(
        Command::new("nm")
            .args(["-D", "--undefined-only"])
            .arg(&lib),
    );
    assert!(
        String::from_utf8_lossy(&undefined.stdout).contains("__hwasan_"),
        "the .so is not instrumented"
    );

    let exe = dir.join("app");
    check(
        tagsan()
            .arg("cc")
            .arg(srcs.join("main.c"))
            .arg("-L")
            .arg(&dir)
            .arg("-ltable")
            .arg(format!("-Wl,-rpath,{}", dir.display()))
            .arg("-o")
            .arg(&exe),
    );
    let r = run_exe(&exe, &[], &[]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&marked_location(&srcs.join("lib.c"), "// BUG:"));
    r.assert_stderr_in_order(&["sum_table", "main"]);
}

#[test]
fn cxx_build_in_one_step() {
    let dir = scratch("cxx-one-step");
    let src = dir.join("v.cc");
    std::fs::write(
        &src,
        "#include <vector>\n#include <cstdio>\nint main() {\n  std::vector<int> v(4);\n  int *p = v.data();\n  v.push_back(1); // reallocates\n  std::printf(\"%d\\n\", p[0]); // BUG: use-after-free\n}\n",
    )
    .unwrap();
    let exe = dir.join("v");
    check(tagsan().arg("c++").arg("-O1").arg(&src).arg("-o").arg(&exe));
    let r = run_exe(&exe, &[], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
}

#[test]
fn cmake_project_with_tagsan_cc_symlink() {
    if which("cmake").is_none() {
        eprintln!("SKIPPED: cmake is not installed (scripts/setup installs it)");
        return;
    }
    let dir = scratch("cc-cmake");
    // `tagsan-cc` (a symlink to tagsan) is the compiler itself: CMake wants one word.
    let cc = dir.join("bin/tagsan-cc");
    std::fs::create_dir_all(cc.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(tagsan_bin(), &cc).unwrap();
    let src = programs().join("cmake-project");
    let build = dir.join("build");
    check(
        Command::new("cmake")
            .arg("-S")
            .arg(&src)
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_C_COMPILER={}", cc.display())),
    );
    check(Command::new("cmake").arg("--build").arg(&build));
    let exe = build.join("demo");
    run_exe(&exe, &[], &[]).assert_clean();
    let r = run_exe(&exe, &["x"], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_has(&marked_location(&src.join("main.c"), "// BUG:"));
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn probes_pass_through_untouched() {
    let version = check(tagsan().args(["cc", "--version"]));
    assert!(
        String::from_utf8_lossy(&version.stdout)
            .contains(&format!("clang version {}.", tagsan_abi::llvm::LLVM_MAJOR)),
        "{:?}",
        version
    );

    let dir = scratch("cc-probes");
    let src = dir.join("p.c");
    std::fs::write(&src, "#include \"p.h\"\nint answer = ANSWER;\n").unwrap();
    std::fs::write(dir.join("p.h"), "#define ANSWER 42\n").unwrap();
    for flags in [&["-E"][..], &["-M"], &["-MM"], &["-fsyntax-only"]] {
        let out = check(
            tagsan()
                .arg("-v")
                .arg("cc")
                .args(flags)
                .arg(&src)
                .current_dir(&dir),
        );
        let line = printed_command(&String::from_utf8_lossy(&out.stderr));
        assert!(
            !line.contains("-fpass-plugin") && !line.contains("libtagsan_rt"),
            "{flags:?} got tagsan flags: {line}"
        );
        if flags == ["-E"] {
            assert!(String::from_utf8_lossy(&out.stdout).contains("int answer = 42;"));
        }
        if flags == ["-M"] {
            assert!(String::from_utf8_lossy(&out.stdout).contains("p.h"));
        }
    }
}

#[test]
fn user_debug_and_frame_pointer_choices_are_kept() {
    let dir = scratch("cc-user-flags");
    let src = dir.join("a.c");
    std::fs::write(&src, "int f(int *p) { return *p; }\n").unwrap();
    let out = check(
        tagsan()
            .args([
                "-v",
                "cc",
                "-gline-tables-only",
                "-fomit-frame-pointer",
                "-c",
            ])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("a.o")),
    );
    let line = printed_command(&String::from_utf8_lossy(&out.stderr));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(
        !words.contains(&"-g") && !words.contains(&"-fno-omit-frame-pointer"),
        "{line}"
    );
    // TAGSAN_VERBOSE=1 prints the same, for make and CMake.
    let out = check(
        tagsan()
            .args(["cc", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("b.o"))
            .env("TAGSAN_VERBOSE", "1"),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("tagsan: running: "));
}

#[test]
fn compiler_errors_and_exit_codes_pass_through() {
    let dir = scratch("cc-errors");
    let src = dir.join("broken.c");
    std::fs::write(&src, "int main(void) { return missing; }\n").unwrap();
    let r = run_cmd(
        tagsan()
            .arg("cc")
            .arg(&src)
            .arg("-o")
            .arg(dir.join("broken")),
    );
    assert_eq!(r.code, Some(1), "clang's exit code: {}", r.stderr);
    r.assert_stderr_has("use of undeclared identifier 'missing'");
    assert!(
        !r.stderr.contains("tagsan: error"),
        "clang's error is enough: {}",
        r.stderr
    );

    // A program's own exit code is untouched by tagsan.
    let ok = dir.join("ok.c");
    std::fs::write(&ok, "#include <stdlib.h>\nint main(void) { char *p = malloc(4); p[3] = 0; free(p); return 7; }\n").unwrap();
    let exe = dir.join("ok");
    check(tagsan().arg("cc").arg(&ok).arg("-o").arg(&exe));
    let r = run_exe(&exe, &[], &[]);
    assert_eq!(r.code, Some(7), "{}", r.stderr);
}

#[test]
fn cc_help_and_no_arguments_like_clang() {
    let help = check(tagsan().args(["cc", "--help"]));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: tagsan cc"));
    // No arguments: what clang itself says and exits with.
    let clang = run_cmd(&mut Command::new(llvm_tool("clang")));
    for sub in ["cc", "c++"] {
        let r = run_cmd(tagsan().arg(sub));
        assert_eq!(r.code, clang.code, "tagsan {sub}: {}", r.stderr);
        assert_eq!(r.code, Some(1));
        assert!(
            r.stderr.contains("error: no input files") && r.stderr.lines().count() == 1,
            "tagsan {sub}: {}",
            r.stderr
        );
    }
}

#[test]
fn forced_language_inputs_and_stdin_link_the_runtime() {
    // `-x c` applies to every later input: the runtime archive tagsan
    // appends must come after `-x none`, or clang compiles it as C.
    let dir = scratch("cc-forced-language");
    let src = repo().join("examples/c/heap-overflow.c");
    let txt = dir.join("program.txt");
    std::fs::copy(&src, &txt).unwrap();
    let exe = dir.join("from-txt");
    check(
        tagsan()
            .args(["cc", "-x", "c"])
            .arg(&txt)
            .arg("-o")
            .arg(&exe),
    );
    let r = run_exe(&exe, &[], &[]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&format!("program.txt:{}", marker_line(&src, "// BUG:")));
    // From standard input, as configure scripts do (`-xc` spelled joined).
    for (flag, name) in [(&["-x", "c"][..], "stdin-x"), (&["-xc"][..], "stdin-xc")] {
        let exe = dir.join(name);
        let r = run_cmd(
            Command::new("sh")
                .arg("-c")
                .arg(r#"exec "$0" cc "$@" - -o "$OUT" < "$SRC""#)
                .arg(tagsan_bin())
                .args(flag)
                .env("OUT", &exe)
                .env("SRC", &src)
                .env_remove("TAGSAN_HOME")
                .env_remove("TAGSAN_RUNTIME"),
        );
        r.assert_success();
        let r = run_exe(&exe, &[], &[]);
        r.assert_report("heap-buffer-overflow");
        r.assert_stderr_has(&format!("<stdin>:{}", marker_line(&src, "// BUG:")));
    }
}

#[test]
fn conflicting_sanitizers_are_refused_combinable_ones_work() {
    let dir = scratch("cc-sanitizers");
    let src = repo().join("examples/c/heap-overflow.c");
    for (args, named) in [
        (&["-fsanitize=address"][..], "-fsanitize=address"),
        (&["-fsanitize=hwaddress"], "-fsanitize=hwaddress"),
        (&["-fsanitize=thread"], "-fsanitize=thread"),
        (&["-fsanitize=memory"], "-fsanitize=memory"),
        (&["-fsanitize=kernel-address"], "-fsanitize=kernel-address"),
        (&["-fsanitize=leak"], "-fsanitize=leak"),
        (&["-fsanitize=undefined,address"], "-fsanitize=address"),
        (
            &["-fsanitize=undefined", "-fsanitize=memory"],
            "-fsanitize=memory",
        ),
        (&["-c", "-fsanitize=thread"], "-fsanitize=thread"),
    ] {
        let r = run_cmd(
            tagsan()
                .arg("cc")
                .args(args)
                .arg(&src)
                .arg("-o")
                .arg(dir.join("x")),
        );
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!(
                "tagsan: error: {named} cannot be combined with tagsan"
            )) && r.stderr.lines().count() == 1,
            "{args:?}: {}",
            r.stderr
        );
    }
    // Combinable: UBSan and friends, and a sanitizer turned off again.
    for (args, name) in [
        (&["-fsanitize=undefined"][..], "ubsan"),
        (&["-fsanitize=integer,nullability"], "integer"),
        (
            &["-fsanitize=address", "-fno-sanitize=address"],
            "off-again",
        ),
        (&["-fsanitize=safe-stack"], "safe-stack"),
    ] {
        let exe = dir.join(name);
        check(tagsan().arg("cc").args(args).arg(&src).arg("-o").arg(&exe));
        let r = run_exe(&exe, &[], &[]);
        r.assert_report("heap-buffer-overflow");
        r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    }
}

#[test]
fn targets_other_than_x86_64_linux_are_refused() {
    let dir = scratch("cc-targets");
    let src = repo().join("examples/c/heap-overflow.c");
    for args in [
        &["--target=aarch64-linux-gnu"][..],
        &["-target", "aarch64-linux-gnu"],
        &["--target", "riscv64-linux-gnu"],
        &["-m32"],
        &["-mx32"],
        &["--target=x86_64-linux-gnux32"],
        &["--target=wasm32-unknown-unknown"],
        &["--target=x86_64-pc-windows-msvc"],
    ] {
        let r = run_cmd(
            tagsan()
                .arg("cc")
                .args(args)
                .arg("-c")
                .arg(&src)
                .arg("-o")
                .arg(dir.join("x.o")),
        );
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(
                "tagsan: error: tagsan instruments x86_64 Linux (glibc) code only, not "
            ) && r.stderr.contains(args.last().unwrap())
                && r.stderr.lines().count() == 1,
            "{args:?}: {}",
            r.stderr
        );
    }
    // x86_64 Linux spelled out, or -m32 undone by -m64: built and checked.
    for (args, name) in [
        (&["--target=x86_64-linux-gnu"][..], "triple"),
        (&["-m32", "-m64"], "m64"),
    ] {
        let exe = dir.join(name);
        check(tagsan().arg("cc").args(args).arg(&src).arg("-o").arg(&exe));
        run_exe(&exe, &[], &[]).assert_report("heap-buffer-overflow");
    }
    // Questions about another target are clang's to answer.
    let r = run_cmd(tagsan().args(["cc", "--target=aarch64-linux-gnu", "-print-target-triple"]));
    r.assert_success();
    assert!(r.stdout.starts_with("aarch64"), "{}", r.stdout);
}

#[test]
fn tagsan_home_without_the_files_stops_with_one_line() {
    let dir = scratch("cc-tagsan-home");
    let src = repo().join("examples/c/heap-overflow.c");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // Only the plugin: compiling works from it, linking must not take
    // the runtime from somewhere else.
    let partial = dir.join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(plugin(), partial.join("libtagsan_pass.so")).unwrap();
    for (home, missing) in [
        (empty.clone(), "libtagsan_pass.so"),
        (partial.clone(), "libtagsan_rt.a"),
        (dir.join("nonexistent"), ""),
    ] {
        let r = run_cmd(
            tagsan()
                .arg("cc")
                .arg(&src)
                .arg("-o")
                .arg(dir.join("x"))
                .env("TAGSAN_HOME", &home),
        );
        assert_eq!(r.code, Some(1), "{}: {}", home.display(), r.stderr);
        let expect = if missing.is_empty() {
            format!(
                "tagsan: error: TAGSAN_HOME={} is not a folder",
                home.display()
            )
        } else {
            format!(
                "tagsan: error: TAGSAN_HOME={} has no {missing}",
                home.display()
            )
        };
        assert!(
            r.stderr.starts_with(&expect) && r.stderr.lines().count() == 1,
            "{}",
            r.stderr
        );
        assert!(!dir.join("x").exists(), "a program was built anyway");
    }
    let obj = dir.join("x.o");
    check(
        tagsan()
            .args(["cc", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .env("TAGSAN_HOME", &partial),
    );
    // A complete copy is used as it is.
    let full = dir.join("full");
    std::fs::create_dir_all(&full).unwrap();
    for f in [
        "libtagsan_pass.so",
        "libtagsan_rt.a",
        "libtagsan_rt.syms",
        "libtagsan_rt.so",
    ] {
        std::fs::copy(artifacts().join(f), full.join(f)).unwrap();
    }
    let out = check(
        tagsan()
            .args(["-v", "cc"])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("y"))
            .env("TAGSAN_HOME", &full),
    );
    let line = printed_command(&String::from_utf8_lossy(&out.stderr));
    assert!(
        line.contains(&format!(
            "-fpass-plugin={}/libtagsan_pass.so",
            full.display()
        )) && line.contains(&format!("{}/libtagsan_rt.a", full.display())),
        "{line}"
    );
    run_exe(&dir.join("y"), &[], &[]).assert_report("heap-buffer-overflow");
}

#[test]
fn missing_plugin_is_one_clear_line() {
    let dir = scratch("cc-missing-plugin");
    let src = dir.join("a.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let r = run_cmd(
        tagsan()
            .arg("cc")
            .arg(&src)
            .env("TAGSAN_PLUGIN", dir.join("nope.so")),
    );
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with("tagsan: error: TAGSAN_PLUGIN=") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
}

#[test]
fn pass_options_reach_the_pass_through_the_environment() {
    let dir = scratch("cc-pass-options");
    let src = repo().join("examples/c/heap-overflow.c");
    let exe = dir.join("no-writes");
    // The bug is a write: with no-writes the pass leaves it unchecked.
    check(
        tagsan()
            .arg("cc")
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .env("TAGSAN_PASS_OPTIONS", "no-writes"),
    );
    run_exe(&exe, &[], &[]).assert_clean();
    // A bad option is one clear error from the compiler, not a crash.
    let r = run_cmd(
        tagsan()
            .args(["cc", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("x.o"))
            .env("TAGSAN_PASS_OPTIONS", "bogus"),
    );
    r.assert_failed();
    r.assert_stderr_has("bogus");
}

#[test]
fn the_runtime_header_needs_no_include_flag() {
    // The object-cache API's header is installed beside the runtime;
    // `tagsan cc` puts it on the include path.
    let dir = scratch("cc-header");
    let src = dir.join("cache.c");
    std::fs::write(
        &src,
        "#include <tagsan.h>\n#include <stdio.h>\n\
         int main(void) {\n\
           tagsan_cache_t *c = tagsan_cache_create(\"conn\", 48, 0, 0, NULL);\n\
           char *p = tagsan_cache_alloc(c);\n\
           tagsan_cache_free(c, p);\n\
           printf(\"%d\\n\", p[3]); // BUG\n\
           return 0;\n\
         }\n",
    )
    .unwrap();
    let exe = dir.join("cache");
    check(tagsan().arg("cc").arg(&src).arg("-o").arg(&exe));
    let r = run(&exe, &[], &[]);
    r.assert_report("use-after-free");
    r.assert_stderr_in_order(&[
        "in main ",
        "cache.c:7:",
        "is located 3 bytes inside a 48-byte object in cache \"conn\"",
    ]);
}
