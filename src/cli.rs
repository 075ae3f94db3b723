//! What every subcommand shares: errors in the cargo/clang style
//! (`tagsan: error: ...`, one line), help texts, printing the real command
//! lines (`--verbose`) and running a child so its exit code is ours.

use std::ffi::OsStr;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitCode, ExitStatus};

/// Options of `tagsan` itself (`tagsan -v cc ...`).
#[derive(Default, Debug)]
pub struct Global {
    /// Print the real command lines (and environment) before running them.
    pub verbose: bool,
}

/// Why `tagsan` stops: a one-line message (none when the child already
/// spoke) and the exit code.
#[derive(Debug)]
pub struct Fail {
    msg: Option<String>,
    code: u8,
}

impl Fail {
    /// An error of the set-up or of a tool: exit code 1.
    pub fn new(msg: impl Into<String>) -> Fail {
        Fail {
            msg: Some(msg.into()),
            code: 1,
        }
    }
    /// A bad command line: exit code 2.
    pub fn usage(msg: impl Into<String>) -> Fail {
        Fail {
            msg: Some(msg.into()),
            code: 2,
        }
    }
    /// Exit with `code`, saying nothing more.
    pub fn quiet(code: u8) -> Fail {
        Fail { msg: None, code }
    }
    /// The message, without the `tagsan: error:` prefix.
    pub fn message(&self) -> &str {
        self.msg.as_deref().unwrap_or("")
    }
    pub fn report(self) -> ExitCode {
        if let Some(msg) = self.msg {
            eprintln!("tagsan: error: {msg}");
        }
        ExitCode::from(self.code)
    }
}

/// Quotes one word for a POSIX shell, only if needed; words with control
/// characters (CARGO_ENCODED_RUSTFLAGS separates flags with 0x1f) use
/// bash's `$'...'` so they stay visible and paste back unchanged.
pub fn shell_quote(word: &OsStr) -> String {
    let s = word.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        s.into_owned()
    } else if s.chars().any(|c| c.is_control()) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command as a user could paste it into a shell, with the environment
/// variables tagsan set in front.
pub fn command_line(cmd: &Command) -> String {
    let mut words = Vec::new();
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => words.push(format!("{}={}", k.to_string_lossy(), shell_quote(v))),
            None => words.push(format!("-u {}", k.to_string_lossy())),
        }
    }
    if words.iter().any(|w| w.starts_with("-u ")) {
        words.insert(0, "env".into());
    }
    words.push(shell_quote(cmd.get_program()));
    words.extend(cmd.get_args().map(shell_quote));
    words.join(" ")
}

pub fn trace(global: &Global, cmd: &Command) {
    if global.verbose {
        eprintln!("tagsan: running: {}", command_line(cmd));
    }
}

/// Replaces this process with `cmd`: its exit code and signals are the
/// user's, exactly. Returns only if it cannot be started.
pub fn exec(global: &Global, mut cmd: Command, hint: &str) -> Fail {
    trace(global, &cmd);
    let err = cmd.exec();
    Fail::new(format!(
        "cannot run {}: {err}{hint}",
        cmd.get_program().to_string_lossy()
    ))
}

/// Runs `cmd` to completion and returns its status.
pub fn status(global: &Global, cmd: &mut Command, hint: &str) -> Result<ExitStatus, Fail> {
    trace(global, cmd);
    cmd.status().map_err(|err| {
        Fail::new(format!(
            "cannot run {}: {err}{hint}",
            cmd.get_program().to_string_lossy()
        ))
    })
}

/// The exit code a shell would show for `status` (128+N for signal N).
pub fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c as u8,
        (None, Some(sig)) => 128u8.wrapping_add(sig as u8),
        _ => 1,
    }
}

pub const MAIN_HELP: &str = "\
tagsan: a tag-based memory-safety sanitizer for C, C++ and Rust (x86_64 Linux)

Usage: tagsan [-v] <command> [args...]

Supports x86_64 Linux (glibc) only: other targets (--target=aarch64-...,
-m32, wasm) are refused with an error.

Commands:
  cc ...        compile and link C with tagsan (a drop-in for CC=)
  c++ ...       compile and link C++ with tagsan (a drop-in for CXX=)
  cargo CMD ... cargo (build, run, test, nextest...) with tagsan on your crates
  run -- CMD    run a program tagsan did not build (python3, a stock binary)
                with the shared runtime, for instrumented libraries it loads
  opt IN -o OUT run the tagsan pass alone on LLVM IR (opt-@LLVM@)
  doctor        check the set-up and say what to install or change
  help [CMD]    show help for a command

Options:
  -v, --verbose  print the real command lines before running them
                 (also TAGSAN_VERBOSE=1, handy under make or cargo)
  -h, --help     show this help
  -V, --version  show the version

Run-time options of instrumented programs: TAGSAN_OPTIONS=key=value:...
(e.g. TAGSAN_OPTIONS=halt_on_error=0:quarantine_size_mb=64); see README.md.
";

pub const CC_HELP: &str = "\
Usage: tagsan cc [clang arguments...]
       tagsan c++ [clang++ arguments...]

Runs clang-@LLVM@ (clang++-@LLVM@) with the tagsan pass plugin, and links the tagsan
runtime into executables. Use it wherever a C/C++ compiler goes:
  make CC='tagsan cc' CXX='tagsan c++'
  cmake -DCMAKE_C_COMPILER=tagsan -DCMAKE_C_COMPILER_ARG1=cc ...
  CC='tagsan cc' ./configure

What is added:
  compiling (-c, -S, or a full build):  -fpass-plugin=<plugin>, plus -g and
      -fno-omit-frame-pointer unless you gave your own -g*/-f[no-]omit-frame-pointer
  linking an executable:  <libtagsan_rt.a> -Wl,--dynamic-list=<syms> -lpthread
      (after `-x none` when a -x <language> is in force)
  -shared: the plugin but not the runtime (the executable provides it, or
      `tagsan run` for programs tagsan did not build)
  -E, -M, -MM, -fsyntax-only, --version, -v alone: nothing (pass-through)

Refused with one line (exit 1):
  -fsanitize=address, hwaddress, thread, memory, leak, dataflow, type,
      numerical, realtime, scudo, memtag*, kernel-*: they bring their own
      malloc or shadow memory (undefined, integer, nullability, cfi, kcfi,
      safe-stack, fuzzer... combine fine)
  targets other than x86_64 Linux with glibc: --target=aarch64-linux-gnu,
      -target wasm32-..., -m32, -mx32 (build those with plain clang-@LLVM@)

Every other argument is passed to clang unchanged and clang's exit code
is tagsan's (with no arguments, clang's `no input files`, exit 1). `-v` and `--verbose` here are clang's; use `tagsan -v cc ...` or
TAGSAN_VERBOSE=1 to see the clang command line tagsan runs.

Environment: TAGSAN_CLANG, TAGSAN_CLANGXX choose the compilers;
TAGSAN_PASS_OPTIONS passes options to the pass (e.g. \"recover;no-reads\").
";

pub const CARGO_HELP: &str = "\
Usage: tagsan cargo [+toolchain] <cargo subcommand> [cargo arguments...]

Runs cargo with the tagsan plugin on your crates (not on build scripts or
proc macros) and the tagsan runtime linked into executables and tests.
Any subcommand: build, run, test, bench, their aliases b, r, t, your
[alias]es and external ones (tagsan cargo nextest run). What is added is
environment, so it reaches cargo however the subcommand calls it:
  CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu   (unless you gave --target;
                                        other targets are refused)
  CARGO_TARGET_DIR=<target>/tagsan      (unless you gave --target-dir), so a
                                        normal build is not invalidated
  CARGO_ENCODED_RUSTFLAGS = your RUSTFLAGS + -Zllvm-plugins=<plugin>
      -Cforce-frame-pointers=yes -Clink-arg=<libtagsan_rt.a>
      -Clink-arg=-Wl,--dynamic-list=<syms>
      -Clink-arg=-Wl,--defsym=__tagsan_toolchain_default_options=
                                __tagsan_rust_default_options
      (Rust programs default to allocator_may_return_null=1)
      (+ -Cdebuginfo=limited for --release/--profile/bench builds,
       so reports show file:line)
  CARGO_ENCODED_RUSTDOCFLAGS = the same after your RUSTDOCFLAGS (doctests)
  RUSTC_BOOTSTRAP=1                     (a stable rustc needs it for -Z)
Subcommands that compile nothing (clean, new, metadata, tree, fmt...)
get only the target and target dir. With no subcommand (tagsan cargo,
--version, --list) it is plain cargo.

rustc's LLVM must be @LLVM@ (see `rustc -vV`); tagsan refuses otherwise.
Binaries land in <target>/tagsan/x86_64-unknown-linux-gnu/<profile>/.
Use `tagsan -v cargo ...` to see the cargo command and environment.
";

pub const RUN_HELP: &str = "\
Usage: tagsan run [--] CMD [ARGS...]

Runs CMD with the shared tagsan runtime preloaded:
  LD_PRELOAD=<libtagsan_rt.so>[:your LD_PRELOAD] CMD ARGS...
for programs tagsan did not build that load instrumented code: a Python
C extension (built with tagsan cc -shared, loaded by import or ctypes),
a plugin dlopen'ed by a stock binary. The whole process then allocates
from the tagged heap and the library's bugs are reported with its
file:line. Child processes inherit LD_PRELOAD.

The runtime must be the process's allocator: it checks at start-up that
malloc, calloc and realloc are its own, and stops with one line naming
the library that comes first otherwise (an allocator earlier in
LD_PRELOAD, or the runtime loaded by dlopen). Programs built by
tagsan cc carry their own runtime and need no tagsan run.
";

pub const OPT_HELP: &str = "\
Usage: tagsan opt IN.ll|IN.bc -o OUT [options] [-- opt-@LLVM@ arguments...]

Runs the tagsan pass alone:
  opt-@LLVM@ -load-pass-plugin=<plugin> -passes='tagsan<OPTIONS>' IN -o OUT

Options:
  -o OUT                    output file (required; '-' for stdout)
  -S                        write textual IR (default: bitcode, or text if OUT ends in .ll)
  --passes-options OPTIONS  pass options, ';'-separated, e.g. 'recover;no-reads'
  -v, --verbose             print the opt-@LLVM@ command line
  -h, --help                show this help
Arguments after `--` are given to opt-@LLVM@ as they are.
";

pub const DOCTOR_HELP: &str = "\
Usage: tagsan doctor [-v]

Checks clang-@LLVM@, clang++-@LLVM@, opt-@LLVM@, rustc (and the LLVM inside it), cargo,
the plugin and the runtime, then builds and runs a tiny buggy C program to
see a report. Says what to install or change when something is missing.
Exit code 0 when everything needed for C/C++ works, 1 otherwise.
";

/// A help text as printed: `@LLVM@` becomes the LLVM major version.
pub fn help(text: &str) -> String {
    text.replace("@LLVM@", tagsan_abi::llvm::LLVM_MAJOR_STR)
}

pub fn help_for(topic: &str) -> Option<String> {
    Some(help(match topic {
        "cc" | "c++" | "cxx" => CC_HELP,
        "cargo" => CARGO_HELP,
        "opt" => OPT_HELP,
        "run" => RUN_HELP,
        "doctor" => DOCTOR_HELP,
        "help" => MAIN_HELP,
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;
    use std::ffi::OsStr;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(OsStr::new("-O2")), "-O2");
        assert_eq!(shell_quote(OsStr::new("a b")), "'a b'");
        assert_eq!(shell_quote(OsStr::new("it's")), r"'it'\''s'");
        assert_eq!(
            shell_quote(OsStr::new("-Za\x1f-Cb='x'")),
            r"$'-Za\x1f-Cb=\'x\''"
        );
    }
}
