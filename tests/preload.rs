//! The shared runtime `libtagsan_rt.so` and `tagsan run`: instrumented
//! libraries (built with `tagsan cc -shared`) loaded into programs tagsan
//! did not build, a stock python3 and a stock C program built with plain
//! clang, with the runtime preloaded.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

fn programs() -> PathBuf {
    repo().join("tests/programs/preload")
}

fn shared_runtime() -> PathBuf {
    let so = artifacts().join("libtagsan_rt.so");
    assert!(so.is_file(), "{} was not built", so.display());
    so
}

/// Debian's python3 (scripts/setup installs it with python3-dev); its
/// headers for the extension module test.
fn python3() -> PathBuf {
    let p = PathBuf::from("/usr/bin/python3");
    assert!(
        p.is_file(),
        "/usr/bin/python3 is missing: run scripts/setup (apt-get install python3 python3-dev)"
    );
    p
}

/// `tagsan cc -shared -fPIC` of the test plugin.
fn build_plugin(dir: &Path, opt: &str) -> PathBuf {
    let lib = dir.join(format!("libplugin{opt}.so"));
    check(
        tagsan()
            .args(["cc", "-shared", "-fPIC", opt])
            .arg(programs().join("plugin.c"))
            .arg("-o")
            .arg(&lib),
    );
    lib
}

/// `tagsan run -- ARGS`, under a time limit.
fn tagsan_run(args: &[&std::ffi::OsStr]) -> Run {
    run_within(
        tagsan()
            .arg("run")
            .arg("--")
            .args(args)
            .env_remove("LD_PRELOAD"),
        Duration::from_secs(120),
    )
}

const CTYPES_CALL: &str = "import ctypes, sys\nlib = ctypes.CDLL(sys.argv[1])\nassert lib.plugin_clean(100) == 700\nprint('clean ok', flush=True)\nlib.plugin_overflow(10)\nprint('not reached')\n";

#[test]
fn python_ctypes_library_overflow_is_reported_with_file_and_line() {
    let dir = scratch("preload-ctypes");
    let bug = marked_location(&programs().join("plugin.c"), "// BUG:");
    for opt in ["-O0", "-O2"] {
        let lib = build_plugin(&dir, opt);
        // Without the runtime, the library cannot even be loaded.
        let plain = run_within(
            Command::new(python3())
                .args(["-c", CTYPES_CALL])
                .arg(&lib)
                .env_remove("LD_PRELOAD"),
            Duration::from_secs(60),
        );
        plain.assert_failed();
        plain.assert_stderr_has("undefined symbol: __hwasan_");

        let py = python3();
        let r = tagsan_run(&[
            py.as_os_str(),
            "-c".as_ref(),
            CTYPES_CALL.as_ref(),
            lib.as_os_str(),
        ]);
        assert!(
            r.stdout.contains("clean ok"),
            "{opt}: {}{}",
            r.stdout,
            r.stderr
        );
        assert!(!r.stdout.contains("not reached"), "{opt}: {}", r.stdout);
        r.assert_report("heap-buffer-overflow");
        r.assert_stderr_has("WRITE of size 1");
        r.assert_stderr_has(&bug);
        r.assert_stderr_has("in plugin_overflow");
        r.assert_stderr_has("is located 0 bytes after a 10-byte region");
        // libffi (no frame pointers) leaves stack slots where a frame walk
        // looks for return addresses: those are not frames.
        assert!(
            !r.stderr.contains("<unknown module>"),
            "{opt}: {}",
            r.stderr
        );
        assert_eq!(r.code, Some(99), "{opt}: {}", r.stderr);
    }
}

#[test]
fn python_extension_module_import_is_checked() {
    let dir = scratch("preload-pyext");
    let py = python3();
    let include = check(Command::new(&py).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['include'])",
    ]));
    let include = String::from_utf8_lossy(&include.stdout).trim().to_string();
    assert!(
        Path::new(&include).join("Python.h").is_file(),
        "{include}/Python.h is missing: run scripts/setup (apt-get install python3-dev)"
    );
    let suffix = check(Command::new(&py).args([
        "-c",
        "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))",
    ]));
    let module = dir.join(format!(
        "tagsan_pyext{}",
        String::from_utf8_lossy(&suffix.stdout).trim()
    ));
    check(
        tagsan()
            .args(["cc", "-shared", "-fPIC", "-O1"])
            .arg(format!("-I{include}"))
            .arg(programs().join("pyext.c"))
            .arg("-o")
            .arg(&module),
    );
    let script = "import tagsan_pyext\nassert tagsan_pyext.sum(1000) == 499500\nprint('sum ok', flush=True)\ntagsan_pyext.overflow(8)\n";
    let r = run_within(
        tagsan()
            .args(["run", "--"])
            .arg(&py)
            .args(["-c", script])
            .env("PYTHONPATH", &dir)
            .env_remove("LD_PRELOAD"),
        Duration::from_secs(120),
    );
    assert!(r.stdout.contains("sum ok"), "{}{}", r.stdout, r.stderr);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has("WRITE of size 8");
    r.assert_stderr_has(&marked_location(&programs().join("pyext.c"), "// BUG:"));
    r.assert_stderr_has("is located 0 bytes after a 64-byte region");
}

#[test]
fn python_runs_clean_under_the_preloaded_runtime() {
    // A stock interpreter doing allocation-heavy work in threads and a
    // forked child, everything from the tagged heap: no report.
    let script = "
import json, os, threading, subprocess
d = {str(i): list(range(i % 50)) for i in range(20000)}
assert json.loads(json.dumps(d)) == d
def work():
    x = [bytes(100 + i % 900) for i in range(3000)]
    del x
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]
pid = os.fork()
if pid == 0:
    work(); os._exit(0)
[t.join() for t in ts]
assert os.waitpid(pid, 0)[1] == 0
print(subprocess.run(['echo', 'child process'], capture_output=True, text=True).stdout.strip())
print('done')
";
    let py = python3();
    let r = tagsan_run(&[py.as_os_str(), "-c".as_ref(), script.as_ref()]);
    r.assert_clean();
    assert!(
        r.stdout.contains("child process\ndone"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

/// The stock host program, built with plain clang (no tagsan).
fn build_host(dir: &Path) -> PathBuf {
    let host = dir.join("host");
    check(
        Command::new(llvm_tool("clang"))
            .args(["-O1", "-pthread"])
            .arg(programs().join("host.c"))
            .arg("-o")
            .arg(&host),
    );
    host
}

#[test]
fn stock_program_dlopening_a_plugin_with_threads_and_fork() {
    let dir = scratch("preload-host");
    let host = build_host(&dir);
    let lib = build_plugin(&dir, "-O1");
    // Clean: 4 threads and a forked child allocate and call the plugin.
    let r = tagsan_run(&[host.as_os_str(), lib.as_os_str()]);
    r.assert_clean();
    assert!(r.stdout.contains("threads and fork ok"), "{}", r.stdout);
    // The bug, through plain LD_PRELOAD (what `tagsan run` sets).
    let r = run_exe(
        &host,
        &[lib.to_str().unwrap(), "bug"],
        &[("LD_PRELOAD", shared_runtime().to_str().unwrap())],
    );
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&marked_location(&programs().join("plugin.c"), "// BUG:"));
    // The plugin's frame, then the stock host's caller.
    r.assert_stderr_in_order(&["in plugin_overflow", "in main", "host+0x"]);
    assert_eq!(r.code, Some(99), "{}", r.stderr);
}

#[test]
fn runtime_not_first_is_one_clear_line() {
    let dir = scratch("preload-order");
    let host = build_host(&dir);
    let lib = build_plugin(&dir, "-O1");
    let other = dir.join("libmymalloc.so");
    check(
        Command::new(llvm_tool("clang"))
            .args(["-shared", "-fPIC", "-O1"])
            .arg(programs().join("mymalloc.c"))
            .arg("-o")
            .arg(&other),
    );
    // Another allocator first in LD_PRELOAD.
    let preload = format!("{}:{}", other.display(), shared_runtime().display());
    let r = run_exe(&host, &[lib.to_str().unwrap()], &[("LD_PRELOAD", &preload)]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    r.assert_stderr_has("tagsan: error: the tagsan runtime");
    r.assert_stderr_has(&format!("`malloc` comes from {}", other.display()));
    r.assert_stderr_has("tagsan run -- CMD");
    // tagsan run puts the runtime before the user's LD_PRELOAD: it works.
    let r = run_within(
        tagsan()
            .args(["run", "--"])
            .arg(&host)
            .arg(&lib)
            .env("LD_PRELOAD", &other),
        Duration::from_secs(120),
    );
    r.assert_clean();
    // A program with its own malloc: no load order helps, and it says so.
    let own = dir.join("host-own-malloc");
    check(
        Command::new(llvm_tool("clang"))
            .args(["-O1", "-pthread"])
            .arg(programs().join("host.c"))
            .arg(programs().join("mymalloc.c"))
            .arg("-o")
            .arg(&own),
    );
    let r = tagsan_run(&[own.as_os_str(), lib.as_os_str()]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    r.assert_stderr_has(&format!(
        "`malloc` comes from the executable {} itself",
        own.display()
    ));
    // verify_link_order=0: the runtime stays dormant and the program runs.
    let r = run_within(
        tagsan()
            .args(["run", "--"])
            .arg(&own)
            .arg(&lib)
            .env_remove("LD_PRELOAD")
            .env("TAGSAN_OPTIONS", "verify_link_order=0"),
        Duration::from_secs(120),
    );
    r.assert_clean();
    // Loaded by dlopen, after libc: libc's malloc is the process's.
    let so = shared_runtime();
    let r = run_within(
        Command::new(python3())
            .args(["-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])"])
            .arg(&so)
            .env_remove("LD_PRELOAD"),
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.assert_stderr_has("`malloc` comes from /lib/x86_64-linux-gnu/libc.so.6");
}

#[test]
fn instrumented_program_under_tagsan_run_uses_its_own_runtime() {
    // The preloaded copy stays dormant: one heap, one report.
    let dir = scratch("preload-dormant");
    let exe = dir.join("overflow");
    let src = repo().join("examples/c/heap-overflow.c");
    check(tagsan().arg("cc").arg(&src).arg("-o").arg(&exe));
    let r = tagsan_run(&[exe.as_os_str()]);
    r.assert_report("heap-buffer-overflow");
    r.assert_stderr_has(&marked_location(&src, "// BUG:"));
    assert_eq!(r.stderr.matches("ERROR: TagSanitizer").count(), 1);
    assert!(!r.stderr.contains("fatal"), "{}", r.stderr);
}

#[test]
fn run_needs_a_command() {
    let r = run_cmd(tagsan().arg("run"));
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.starts_with("tagsan: error: missing command") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    let r = run_cmd(tagsan().args(["run", "--", "/nonexistent/program"]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .starts_with("tagsan: error: cannot run /nonexistent/program")
            && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
}
