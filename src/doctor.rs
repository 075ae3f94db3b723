//! `tagsan doctor`: checks every piece tagsan needs and says in plain words
//! what to install or change.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::cc;
use crate::cli::{self, Fail, Global};
use crate::paths;
use crate::toolchain;
use tagsan_abi::llvm;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    /// Something only some uses need (cargo, the test suite).
    Warn,
    /// tagsan cannot work without it.
    Missing,
}

struct Report {
    problems: usize,
    warnings: usize,
}

impl Report {
    fn line(&mut self, level: Level, what: &str, text: impl AsRef<str>) {
        let tag = match level {
            Level::Ok => "ok",
            Level::Warn => {
                self.warnings += 1;
                "WARN"
            }
            Level::Missing => {
                self.problems += 1;
                "MISSING"
            }
        };
        println!("  {tag:<8} {what:<12} {}", text.as_ref());
        let _ = std::io::stdout().flush();
    }
}

/// First line of `tool --version`, or why it cannot run.
fn version_of(tool: &Path) -> Result<String, String> {
    let out = Command::new(tool)
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("`{} --version` failed", tool.display()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string())
}

fn check_llvm_tool(r: &mut Report, what: &str, tool: PathBuf, package: &str) -> bool {
    let major = format!(" {}.", llvm::LLVM_MAJOR);
    match version_of(&tool) {
        Ok(v) if v.contains(&major) => {
            r.line(Level::Ok, what, format!("{v} ({})", tool.display()));
            true
        }
        Ok(v) => {
            r.line(
                Level::Missing,
                what,
                format!(
                    "{} is not LLVM {m} ({v}); install {package} from LLVM {m}",
                    tool.display(),
                    m = llvm::LLVM_MAJOR
                ),
            );
            false
        }
        Err(e) => {
            r.line(
                Level::Missing,
                what,
                format!(
                    "not found ({e}); install it: apt-get install {package} (or run scripts/setup)"
                ),
            );
            false
        }
    }
}

pub fn main(global: &Global, args: Vec<String>) -> Result<ExitCode, Fail> {
    let mut verbose = global.verbose;
    for a in &args {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{}", cli::help(cli::DOCTOR_HELP));
                return Ok(ExitCode::SUCCESS);
            }
            "-v" | "--verbose" => verbose = true,
            other => {
                return Err(Fail::usage(format!(
                    "unknown argument '{other}' for tagsan doctor (see tagsan doctor --help)"
                )))
            }
        }
    }
    let global = Global { verbose };
    let mut r = Report {
        problems: 0,
        warnings: 0,
    };
    println!("tagsan {} doctor", env!("CARGO_PKG_VERSION"));

    let clang = paths::versioned("clang");
    let clang_ok = check_llvm_tool(&mut r, &clang, paths::clang(), &clang);
    check_llvm_tool(
        &mut r,
        &paths::versioned("clang++"),
        paths::clangxx(),
        &clang,
    );
    check_llvm_tool(
        &mut r,
        &paths::versioned("opt"),
        paths::opt(),
        &format!("llvm{}-tools", llvm::TOOL_SUFFIX),
    );

    let plugin = match paths::find(paths::PLUGIN, "TAGSAN_PLUGIN") {
        Ok(p) => {
            r.line(Level::Ok, "plugin", p.display().to_string());
            Some(p)
        }
        Err(e) => {
            r.line(Level::Missing, "plugin", e);
            None
        }
    };
    let runtime = match paths::runtime() {
        Ok(rt) => {
            r.line(
                Level::Ok,
                "runtime",
                format!("{} (+ {})", rt.archive.display(), paths::DYNAMIC_LIST),
            );
            true
        }
        Err(_) => {
            let e = paths::find(paths::RUNTIME, "TAGSAN_RUNTIME")
                .map(|a| {
                    format!(
                        "{} missing next to {}; {}",
                        paths::DYNAMIC_LIST,
                        a.display(),
                        paths::BUILD_HINT
                    )
                })
                .unwrap_or_else(|e| e);
            r.line(Level::Missing, "runtime", e);
            false
        }
    };

    // Only `tagsan run` needs the shared runtime.
    if runtime {
        match paths::shared_runtime() {
            Ok(so) => r.line(Level::Ok, "shared rt", so.display().to_string()),
            Err(e) => r.line(
                Level::Warn,
                "shared rt",
                format!("{}; needed only for `tagsan run`", e.message()),
            ),
        }
    }

    // Rust: only `tagsan cargo` needs it, so problems here are warnings.
    match toolchain::query(None) {
        Ok(rustc) => match rustc.check_llvm() {
            Ok(()) => {
                let boot = if rustc.is_nightly() {
                    "nightly"
                } else {
                    "stable: tagsan cargo sets RUSTC_BOOTSTRAP=1"
                };
                r.line(
                    Level::Ok,
                    "rustc",
                    format!(
                        "{} with LLVM {} ({boot})",
                        rustc.release, rustc.llvm_version
                    ),
                );
                if let Some(p) = &plugin {
                    match rustc_loads_plugin(p) {
                        Ok(()) => r.line(
                            Level::Ok,
                            "rustc+plugin",
                            "rustc -Z llvm-plugins loads the plugin",
                        ),
                        Err(e) => r.line(
                            Level::Warn,
                            "rustc+plugin",
                            format!("rustc cannot load the plugin: {e}"),
                        ),
                    }
                }
            }
            Err(e) => r.line(
                Level::Warn,
                "rustc",
                format!("{e}; `tagsan cargo` will refuse to run"),
            ),
        },
        Err(e) => r.line(
            Level::Warn,
            "rustc",
            format!("{e}; needed only for `tagsan cargo`"),
        ),
    }
    match paths::on_path("cargo") {
        Some(p) => r.line(Level::Ok, "cargo", p.display().to_string()),
        None => r.line(
            Level::Warn,
            "cargo",
            "not on PATH; install Rust from https://rustup.rs for `tagsan cargo`",
        ),
    }
    match paths::on_path("lit") {
        Some(p) => r.line(Level::Ok, "lit", p.display().to_string()),
        None => r.line(
            Level::Warn,
            "lit",
            "not on PATH; needed only for the test suite: pip install lit",
        ),
    }

    if clang_ok && plugin.is_some() && runtime {
        match end_to_end(&global) {
            Ok(()) => r.line(
                Level::Ok,
                "end-to-end",
                "a heap overflow in a small C program was caught and reported",
            ),
            Err(e) => r.line(Level::Missing, "end-to-end", e),
        }
    }

    if r.problems == 0 {
        let extra = if r.warnings > 0 {
            format!(" ({} warning(s) above)", r.warnings)
        } else {
            String::new()
        };
        println!("tagsan doctor: everything tagsan cc/c++ needs works{extra}");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "tagsan doctor: {} problem(s): fix the MISSING lines above",
            r.problems
        );
        Ok(ExitCode::from(1))
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tagsan-doctor-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// `rustc -Z llvm-plugins=<plugin>` on a one-line crate.
fn rustc_loads_plugin(plugin: &Path) -> Result<(), String> {
    let dir = scratch();
    let out = toolchain::rustc_command(None)
        .env("RUSTC_BOOTSTRAP", "1")
        .arg(format!("-Zllvm-plugins={}", plugin.display()))
        .args([
            "--crate-type=lib",
            "--crate-name=tagsan_doctor",
            "--emit=obj",
            "-o",
        ])
        .arg(dir.join("lib.o"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(b"pub fn f(x: &mut [u8]) { x[0] = 1; }\n")?;
            child.wait_with_output()
        });
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(first_error_line(&String::from_utf8_lossy(&o.stderr))),
        Err(e) => Err(e.to_string()),
    }
}

/// Builds a buggy C program with `tagsan cc` and checks it is reported.
fn end_to_end(global: &Global) -> Result<(), String> {
    let dir = scratch();
    let src = dir.join("overflow.c");
    let exe = dir.join("overflow");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void) {\n  char *volatile p = malloc(10);\n  p[10] = 1;\n  free(p);\n  return 0;\n}\n",
    )
    .map_err(|e| format!("cannot write {}: {e}", src.display()))?;
    let args = vec![
        src.display().to_string(),
        "-o".into(),
        exe.display().to_string(),
    ];
    let mut cmd = cc::command(cc::Lang::C, &args)
        .map_err(|_| "cannot find the plugin or runtime".to_string())?;
    cli::trace(global, &cmd);
    let built = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", paths::clang().display()))?;
    let result = if !built.status.success() {
        Err(format!(
            "building a test program failed: {}",
            first_error_line(&String::from_utf8_lossy(&built.stderr))
        ))
    } else {
        match Command::new(&exe).env_remove("TAGSAN_OPTIONS").output() {
            Ok(o) => {
                let stderr = String::from_utf8_lossy(&o.stderr);
                if stderr.contains("ERROR: TagSanitizer: heap-buffer-overflow") {
                    Ok(())
                } else {
                    Err(format!(
                        "a heap overflow was not reported (exit {:?}): {}",
                        o.status.code(),
                        first_error_line(&stderr)
                    ))
                }
            }
            Err(e) => Err(format!("cannot run the test program: {e}")),
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn first_error_line(text: &str) -> String {
    let useful = |l: &&str| !l.contains("linker command failed") && !l.contains("ld returned");
    text.lines()
        .filter(useful)
        .find(|l| l.contains("error") || l.contains("ERROR") || l.contains("undefined reference"))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("(no output)")
        .trim()
        .to_string()
}
