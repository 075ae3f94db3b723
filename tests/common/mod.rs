//! Shared helpers of the end-to-end tests: build a real program through the
//! real plugin, link it with the real runtime, run it, and look at what a
//! user would see.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the `tagsan` binary, the plugin and the runtime.
pub fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagsan"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn tagsan_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagsan"))
}

pub fn plugin() -> PathBuf {
    let p = artifacts().join("libtagsan_pass.so");
    assert!(
        p.exists(),
        "{} is missing: build the workspace first (cargo build --release --workspace)",
        p.display()
    );
    p
}

pub fn runtime() -> PathBuf {
    artifacts().join("libtagsan_rt.a")
}

pub fn runtime_dynamic_list() -> PathBuf {
    artifacts().join("libtagsan_rt.syms")
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("e2e")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Linker arguments that bring in the runtime and export its malloc.
pub fn runtime_link_args() -> Vec<String> {
    vec![
        runtime().display().to_string(),
        format!("-Wl,--dynamic-list={}", runtime_dynamic_list().display()),
        "-lpthread".into(),
    ]
}

/// Runs a command, panicking with its output if it fails.
pub fn check(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An LLVM tool of the plugin's version: `llvm_tool("clang")` is `clang-22`.
pub fn llvm_tool(base: &str) -> String {
    format!("{base}{}", tagsan_abi::llvm::TOOL_SUFFIX)
}

/// Compiles and links C (or C++, by extension) sources through
/// `clang -fpass-plugin` (LLVM 22) with the runtime, at `-O{opt}` with `-g`.
pub fn build_c(name: &str, sources: &[&Path], opt: &str, extra: &[&str]) -> PathBuf {
    let dir = scratch(name);
    let exe = dir.join(name);
    let is_cxx = sources
        .iter()
        .any(|s| s.extension().is_some_and(|e| e == "cc" || e == "cpp"));
    let mut cmd = Command::new(llvm_tool(if is_cxx { "clang++" } else { "clang" }));
    cmd.arg(format!("-fpass-plugin={}", plugin().display()))
        .args(["-g", "-fno-omit-frame-pointer", &format!("-O{opt}")])
        .args(sources)
        .args(extra)
        .arg("-o")
        .arg(&exe)
        .args(runtime_link_args());
    check(&mut cmd);
    exe
}

/// Compiles C sources with clang's *own* HWASan pass in aliasing mode
/// (`-fsanitize=hwaddress -fsanitize-hwaddress-experimental-aliasing`) and
/// links the objects with our runtime, without `-fsanitize` at link time: the
/// check that the runtime implements compiler-rt's ABI.
pub fn build_clang_hwasan(name: &str, sources: &[&Path], opt: &str, extra: &[&str]) -> PathBuf {
    let dir = scratch(name);
    let exe = dir.join(name);
    let mut objects = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let obj = dir.join(format!("{i}.o"));
        check(
            Command::new(llvm_tool("clang"))
                .args([
                    "-fsanitize=hwaddress",
                    "-fsanitize-hwaddress-experimental-aliasing",
                    "-g",
                ])
                .arg(format!("-O{opt}"))
                .args(extra)
                .arg("-c")
                .arg(src)
                .arg("-o")
                .arg(&obj),
        );
        objects.push(obj);
    }
    check(
        Command::new(llvm_tool("clang"))
            .args(&objects)
            .arg("-o")
            .arg(&exe)
            .args(runtime_link_args()),
    );
    exe
}

/// A test program under `tests/programs/<dir>/`.
pub fn program(dir: &str, file: &str) -> PathBuf {
    repo().join("tests/programs").join(dir).join(file)
}

/// Compiles a Rust program through `rustc -Z llvm-plugins` with the runtime.
pub fn build_rust(name: &str, source: &Path, opt: &str, extra: &[&str]) -> PathBuf {
    let dir = scratch(name);
    let exe = dir.join(name);
    let mut cmd = Command::new("rustc");
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .arg(format!("-Zllvm-plugins={}", plugin().display()))
        .args([
            "-g",
            "-Cforce-frame-pointers=yes",
            &format!("-Copt-level={opt}"),
            "--edition=2021",
        ])
        .arg(source)
        .args(extra)
        .arg("-o")
        .arg(&exe);
    for arg in runtime_link_args() {
        cmd.arg(format!("-Clink-arg={arg}"));
    }
    check(&mut cmd);
    exe
}

/// What a run showed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `exe` with extra environment variables, under [`run_exe`]'s time
/// limit.
pub fn run(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_exe(exe, args, env)
}

impl Run {
    /// Asserts the run was clean: exit 0 and no report.
    pub fn assert_clean(&self) {
        assert!(
            self.code == Some(0) && !self.stderr.contains("TagSanitizer"),
            "expected a clean run, got exit {:?}:\n{}",
            self.code,
            self.stderr
        );
    }

    /// Asserts a report of `kind` (e.g. "heap-buffer-overflow") was printed.
    pub fn assert_report(&self, kind: &str) {
        let header = format!("ERROR: TagSanitizer: {kind} on address");
        assert!(
            self.stderr.contains(&header),
            "expected `{header}`, got exit {:?}:\n{}",
            self.code,
            self.stderr
        );
    }

    /// Asserts every pattern appears in stderr, in order.
    pub fn assert_stderr_in_order(&self, patterns: &[&str]) {
        let mut rest = self.stderr.as_str();
        for p in patterns {
            match rest.find(p) {
                Some(i) => rest = &rest[i + p.len()..],
                None => panic!("`{p}` not found (in order) in:\n{}", self.stderr),
            }
        }
    }
}

/// `tagsan` (the CLI under test) with a clean environment of its own knobs.
pub fn tagsan() -> Command {
    let mut cmd = Command::new(tagsan_bin());
    for var in [
        "TAGSAN_VERBOSE",
        "TAGSAN_HOME",
        "TAGSAN_PLUGIN",
        "TAGSAN_RUNTIME",
        "TAGSAN_OPTIONS",
        "TAGSAN_PASS_OPTIONS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs a command (any exit code) and returns what it showed; a command
/// still running after 15 minutes (a hang) is killed and fails the test.
pub fn run_cmd(cmd: &mut Command) -> Run {
    run_within(cmd, std::time::Duration::from_secs(900))
}

/// Runs `exe` like [`run`], but a hang (over 2 minutes) is killed and fails
/// the test instead of blocking the suite.
pub fn run_exe(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_within(
        Command::new(exe).args(args).envs(env.iter().copied()),
        std::time::Duration::from_secs(120),
    )
}

/// Runs a command with a time limit; on timeout it is killed and the test
/// fails with what it printed so far.
///
/// The command runs in a process group of its own, and a timeout kills the
/// whole group: a forked child that hangs (and holds the output pipes open)
/// cannot keep the test waiting either.
pub fn run_within(cmd: &mut Command, limit: std::time::Duration) -> Run {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::sync::mpsc;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let (tx, rx) = mpsc::channel::<(bool, Vec<u8>)>();
    let readers: [(bool, Box<dyn Read + Send>); 2] = [
        (false, Box::new(child.stdout.take().unwrap())),
        (true, Box::new(child.stderr.take().unwrap())),
    ];
    for (is_err, mut pipe) in readers {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = pipe.read_to_end(&mut v);
            let _ = tx.send((is_err, v));
        });
    }
    drop(tx);
    let deadline = std::time::Instant::now() + limit;
    let kill_group = |pid: u32| {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
    };
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            kill_group(child.id());
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // The output ends when every process holding the pipes has exited.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let wait = deadline
            .saturating_duration_since(std::time::Instant::now())
            .max(std::time::Duration::from_secs(1));
        match rx.recv_timeout(wait) {
            Ok((true, v)) => stderr = v,
            Ok((false, v)) => stdout = v,
            Err(_) => {
                kill_group(child.id());
                timed_out = true;
                if let Ok((is_err, v)) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
                    *(if is_err { &mut stderr } else { &mut stdout }) = v;
                }
                break;
            }
        }
    }
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    match status {
        Some(status) if !timed_out => Run {
            code: status.code(),
            stdout,
            stderr,
        },
        _ => panic!("{cmd:?} hung (killed after {limit:?}):\n{stdout}{stderr}"),
    }
}

/// The 1-based line of the only line of `path` containing `marker` (e.g.
/// "// BUG:"), so tests follow the sources instead of hard-coding lines.
pub fn marker_line(path: &Path, marker: &str) -> usize {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(marker))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{} should have exactly one line with `{marker}`, has {lines:?}",
        path.display()
    );
    lines[0]
}

/// `name.ext:LINE` for the line of `path` marked with `marker`: what a
/// symbolized frame of the bad access shows.
pub fn marked_location(path: &Path, marker: &str) -> String {
    format!(
        "{}:{}",
        path.file_name().unwrap().to_string_lossy(),
        marker_line(path, marker)
    )
}

impl Run {
    /// Asserts stderr has `needle`, showing the whole run otherwise.
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "`{needle}` not in stderr (exit {:?}):\n{}",
            self.code,
            self.stderr
        );
    }

    /// Asserts the process failed (non-zero exit or a signal).
    pub fn assert_failed(&self) {
        assert!(
            self.code != Some(0),
            "expected a failure, got exit 0:\n{}{}",
            self.stdout,
            self.stderr
        );
    }

    /// Asserts the process exited 0.
    pub fn assert_success(&self) {
        assert!(
            self.code == Some(0),
            "expected success, got exit {:?}:\n{}{}",
            self.code,
            self.stdout,
            self.stderr
        );
    }
}
