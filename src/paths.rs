//! Where things are: the plugin and the runtime live together in one
//! folder, `$TAGSAN_HOME` or next to the `tagsan` executable
//! (`target/release/` after `cargo build --release --workspace`, or
//! `<prefix>/lib/tagsan/` next to `<prefix>/bin/tagsan` when installed);
//! the LLVM 22 tools are on PATH or in /usr/lib/llvm-22/bin.

use std::env;
use std::path::{Path, PathBuf};

use tagsan_abi::llvm;

use crate::cli::Fail;

pub const PLUGIN: &str = "libtagsan_pass.so";
pub const RUNTIME: &str = "libtagsan_rt.a";
pub const DYNAMIC_LIST: &str = "libtagsan_rt.syms";
pub const SHARED_RUNTIME: &str = "libtagsan_rt.so";

/// The files of a tagsan folder, as said in errors.
const FOLDER_FILES: &str = "libtagsan_pass.so, libtagsan_rt.a, libtagsan_rt.syms, libtagsan_rt.so";

/// How to get the plugin and runtime built, said in errors.
pub const BUILD_HINT: &str =
    "build them with `cargo build --release --workspace` in the tagsan checkout";

/// The folders where a tagsan folder may be, next to the executable, best
/// first.
fn folders_near_exe() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(exe) = env::current_exe() {
        let exe = exe.canonicalize().unwrap_or(exe);
        if let Some(dir) = exe.parent() {
            dirs.push(dir.to_path_buf());
            // A test binary in target/<profile>/deps runs beside the others.
            if dir.ends_with("deps") {
                dirs.extend(dir.parent().map(Path::to_path_buf));
            }
            dirs.extend(dir.parent().map(|p| p.join("lib/tagsan")));
        }
    }
    dirs
}

/// The one folder every tagsan file comes from: `$TAGSAN_HOME` when set
/// (and then only it: a file missing there is an error, never looked for
/// elsewhere), else the first folder near the executable that holds any
/// of them. Files of one build are never mixed with another's.
pub fn home() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("TAGSAN_HOME").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(format!(
                "TAGSAN_HOME={} is not a folder; point it at a folder holding {FOLDER_FILES}, or unset it to use the files next to tagsan",
                dir.display()
            ))
        };
    }
    let dirs = folders_near_exe();
    dirs.iter()
        .find(|d| {
            [PLUGIN, RUNTIME, DYNAMIC_LIST, SHARED_RUNTIME]
                .iter()
                .any(|f| d.join(f).is_file())
        })
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            format!(
                "the tagsan files ({FOLDER_FILES}) are not next to tagsan (looked in {}); {BUILD_HINT}, or set TAGSAN_HOME",
                looked.join(", ")
            )
        })
}

/// Finds one file: `$<var>` if that is set (one file, for tests and odd
/// installs), else `name` in [`home`].
pub fn find(name: &str, var: &str) -> Result<PathBuf, String> {
    if let Some(path) = env::var_os(var).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{var}={} does not exist", path.display()))
        };
    }
    in_home(name)
}

/// `name` in [`home`], or why it is not there.
fn in_home(name: &str) -> Result<PathBuf, String> {
    let home = home()?;
    let p = home.join(name);
    if p.is_file() {
        return Ok(p);
    }
    Err(
        if env::var_os("TAGSAN_HOME").is_some_and(|d| !d.is_empty()) {
            format!(
            "TAGSAN_HOME={} has no {name} (a tagsan folder holds {FOLDER_FILES}); point TAGSAN_HOME at a complete one, or unset it to use the files next to tagsan",
            home.display()
        )
        } else {
            format!(
                "{name} is missing from {}, where the other tagsan files are; {BUILD_HINT}",
                home.display()
            )
        },
    )
}

/// The pass plugin.
pub fn plugin() -> Result<PathBuf, Fail> {
    find(PLUGIN, "TAGSAN_PLUGIN").map_err(Fail::new)
}

/// The runtime archive and its linker dynamic list (always side by side).
pub struct Runtime {
    pub archive: PathBuf,
    pub dynamic_list: PathBuf,
}

pub fn runtime() -> Result<Runtime, Fail> {
    let archive = find(RUNTIME, "TAGSAN_RUNTIME").map_err(Fail::new)?;
    let dynamic_list = archive.with_file_name(DYNAMIC_LIST);
    if !dynamic_list.is_file() {
        return Err(Fail::new(format!(
            "{} is missing next to {}; {BUILD_HINT}",
            DYNAMIC_LIST,
            archive.display()
        )));
    }
    Ok(Runtime {
        archive,
        dynamic_list,
    })
}

/// The shared runtime (`tagsan run`): beside `$TAGSAN_RUNTIME` if that
/// names the archive, else in [`home`].
pub fn shared_runtime() -> Result<PathBuf, Fail> {
    if env::var_os("TAGSAN_RUNTIME").is_some_and(|p| !p.is_empty()) {
        let archive = find(RUNTIME, "TAGSAN_RUNTIME").map_err(Fail::new)?;
        let so = archive.with_file_name(SHARED_RUNTIME);
        return if so.is_file() {
            Ok(so)
        } else {
            Err(Fail::new(format!(
                "{SHARED_RUNTIME} is missing next to {}; {BUILD_HINT}",
                archive.display()
            )))
        };
    }
    in_home(SHARED_RUNTIME).map_err(Fail::new)
}

/// The runtime's public headers (`tagsan.h`), installed beside the
/// archive by the build, if present.
pub fn include_dir() -> Option<PathBuf> {
    let archive = find(RUNTIME, "TAGSAN_RUNTIME").ok()?;
    let dir = archive.with_file_name("include");
    dir.join("tagsan.h").is_file().then_some(dir)
}

impl Runtime {
    /// What a C/C++ link of an executable needs.
    pub fn link_args(&self) -> Vec<String> {
        vec![
            self.archive.display().to_string(),
            format!("-Wl,--dynamic-list={}", self.dynamic_list.display()),
            "-lpthread".into(),
        ]
    }
}

/// `clang` -> `clang-22`: the versioned name Debian installs.
pub fn versioned(base: &str) -> String {
    format!("{base}{}", llvm::TOOL_SUFFIX)
}

/// An LLVM tool of the plugin's major version: `$VAR` if set, else
/// `<base>-<major>` on PATH, else `<LLVM_BIN_DIR>/<base>`.
pub fn llvm_tool(var: &str, base: &str) -> PathBuf {
    if let Some(p) = env::var_os(var).filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let name = versioned(base);
    if let Some(p) = on_path(&name) {
        return p;
    }
    let fallback = Path::new(llvm::LLVM_BIN_DIR).join(base);
    if fallback.is_file() {
        return fallback;
    }
    PathBuf::from(name)
}

/// `name` resolved on PATH, if it is there.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn clang() -> PathBuf {
    llvm_tool("TAGSAN_CLANG", "clang")
}
pub fn clangxx() -> PathBuf {
    llvm_tool("TAGSAN_CLANGXX", "clang++")
}
pub fn opt() -> PathBuf {
    llvm_tool("TAGSAN_OPT", "opt")
}

/// What to install when an LLVM tool is missing.
pub fn llvm_install_hint() -> String {
    format!(
        "; install LLVM {}: apt-get install {} (or run scripts/setup), then check with `tagsan doctor`",
        llvm::LLVM_MAJOR,
        llvm::PACKAGES
    )
}

/// A short hash of the files' contents (FNV-1a, 64 bits): changes when
/// tagsan is rebuilt with a different plugin or runtime.
pub fn fingerprint(files: &[&Path]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for &b in std::fs::read(f).unwrap_or_default().iter() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
    }
    format!("{h:016x}")
}
