//! `tagsan run [--] CMD [ARGS...]`: runs a program tagsan did not build
//! (python3, a stock binary that `dlopen`s plugins) with the shared runtime
//! `libtagsan_rt.so` preloaded, so instrumented libraries it loads find the
//! runtime and the whole process allocates from the tagged heap.
//!
//! It only sets `LD_PRELOAD` (the runtime first, then what was there) and
//! replaces itself with CMD: exit code, signals and standard streams are
//! CMD's. Child processes inherit `LD_PRELOAD`, as with ASan's runtime.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::cli::{self, Fail, Global};
use crate::paths;

/// `LD_PRELOAD` with `runtime` first (the runtime must be the process's
/// allocator: see runtime/src/preload.rs), then the user's entries.
pub fn preload_value(runtime: &std::path::Path, existing: Option<OsString>) -> OsString {
    let mut value = OsString::from(runtime);
    if let Some(old) = existing.filter(|v| !v.is_empty()) {
        value.push(":");
        value.push(old);
    }
    value
}

pub fn main(global: &Global, mut args: Vec<String>) -> Result<ExitCode, Fail> {
    match args.first().map(String::as_str) {
        Some("-h" | "--help") => {
            print!("{}", cli::help(cli::RUN_HELP));
            return Ok(ExitCode::SUCCESS);
        }
        Some("--") => {
            args.remove(0);
        }
        _ => {}
    }
    let Some((program, rest)) = args.split_first() else {
        return Err(Fail::usage(
            "missing command: tagsan run [--] CMD [ARGS...] (see tagsan help run)",
        ));
    };
    let runtime = paths::shared_runtime()?;
    let mut cmd = Command::new(program);
    cmd.args(rest).env(
        "LD_PRELOAD",
        preload_value(&runtime, std::env::var_os("LD_PRELOAD")),
    );
    Err(cli::exec(global, cmd, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_comes_first() {
        let rt = std::path::Path::new("/t/libtagsan_rt.so");
        assert_eq!(preload_value(rt, None), "/t/libtagsan_rt.so");
        assert_eq!(preload_value(rt, Some("".into())), "/t/libtagsan_rt.so");
        assert_eq!(
            preload_value(rt, Some("/a.so /b.so".into())),
            "/t/libtagsan_rt.so:/a.so /b.so"
        );
    }
}
