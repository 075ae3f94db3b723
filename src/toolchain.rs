//! What `rustc -vV` says about the Rust toolchain cargo will use.

use std::path::PathBuf;
use std::process::Command;

/// The LLVM major version the plugin is built for.
pub use tagsan_abi::llvm::LLVM_MAJOR;

#[derive(Debug)]
pub struct Rustc {
    /// `release: 1.95.0`
    pub release: String,
    /// `host: x86_64-unknown-linux-gnu`
    pub host: String,
    /// `LLVM version: 22.1.2`
    pub llvm_version: String,
}

impl Rustc {
    pub fn llvm_major(&self) -> Option<u32> {
        self.llvm_version.split('.').next()?.parse().ok()
    }

    /// Stable and beta compilers refuse `-Z` flags unless RUSTC_BOOTSTRAP=1.
    pub fn is_nightly(&self) -> bool {
        self.release.contains("nightly") || self.release.contains("dev")
    }

    /// An error when this rustc cannot load the plugin.
    pub fn check_llvm(&self) -> Result<(), String> {
        match self.llvm_major() {
            Some(LLVM_MAJOR) => Ok(()),
            Some(other) => Err(format!(
                "rustc {} uses LLVM {} but the tagsan plugin needs LLVM {LLVM_MAJOR}: use a Rust toolchain whose \
                 `rustc -vV` says `LLVM version: {LLVM_MAJOR}.x` (Rust 1.95 or a recent nightly: \
                 `rustup toolchain install 1.95` and `tagsan cargo +1.95 ...`)",
                self.release, other
            )),
            None => Err(format!(
                "cannot tell which LLVM rustc {} uses (`rustc -vV` has no `LLVM version:` line); tagsan needs LLVM {LLVM_MAJOR}",
                self.release
            )),
        }
    }
}

/// The rustc cargo would run: `$RUSTC`, else `rustc`, with `+toolchain` for
/// rustup when given.
pub fn rustc_command(toolchain: Option<&str>) -> Command {
    let rustc = std::env::var_os("RUSTC")
        .map(PathBuf::from)
        .unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    if let Some(tc) = toolchain {
        cmd.arg(tc);
    }
    cmd
}

/// Runs `rustc -vV` and parses it.
pub fn query(toolchain: Option<&str>) -> Result<Rustc, String> {
    let out = rustc_command(toolchain)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}; install Rust from https://rustup.rs"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`rustc -vV` failed: {}",
            err.lines().next().unwrap_or("").trim()
        ));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

pub fn parse(text: &str) -> Rustc {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    Rustc {
        release: field("release:"),
        host: field("host:"),
        llvm_version: field("LLVM version:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rustc_vv() {
        let r = parse("rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n");
        assert_eq!(r.llvm_major(), Some(22));
        assert_eq!(r.host, "x86_64-unknown-linux-gnu");
        assert!(!r.is_nightly());
        assert!(r.check_llvm().is_ok());
        let old = parse("release: 1.80.0\nLLVM version: 18.1.7\n");
        let err = old.check_llvm().unwrap_err();
        assert!(
            err.contains("LLVM 18") && err.contains("needs LLVM 22"),
            "{err}"
        );
        assert!(parse("release: 1.97.0-nightly\n").is_nightly());
    }
}
