//! `tagsan cargo ...`: cargo with the plugin on the user's crates and the
//! runtime linked into their executables. Any cargo command line works:
//! built-in subcommands, their aliases (`b`, `t`, `r`), the user's
//! `[alias]`es and external subcommands (`cargo nextest run`), because
//! everything tagsan adds is in the environment cargo reads, not flags
//! placed after a subcommand tagsan would have to understand:
//!
//! - `CARGO_BUILD_TARGET=<host>` (= `--target`) so RUSTFLAGS reach only
//!   target code, not build scripts and proc macros (which run inside
//!   cargo/rustc without the runtime). Another `--target` is refused: the
//!   runtime is x86_64 Linux only.
//! - `CARGO_TARGET_DIR=<target>/tagsan` (= `--target-dir`) so a normal
//!   build keeps its artifacts: different RUSTFLAGS would otherwise
//!   rebuild everything both ways.
//! - Flags go in CARGO_ENCODED_RUSTFLAGS, after the user's own (paths with
//!   spaces survive), and in CARGO_ENCODED_RUSTDOCFLAGS: doctests link
//!   against the instrumented library, so they need the runtime too.

use std::env;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use crate::cli::{self, Fail, Global};
use crate::paths;
use crate::toolchain;

/// The only target tagsan supports.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// cargo's own subcommands that compile nothing: they run without a rustc
/// check (a `tagsan cargo clean` works whatever rustc's LLVM); they still
/// get tagsan's target dir, so `clean` and `metadata` mean tagsan's build.
const NO_BUILD: &[&str] = &[
    "add",
    "clean",
    "config",
    "fetch",
    "fmt",
    "generate-lockfile",
    "help",
    "info",
    "init",
    "locate-project",
    "login",
    "logout",
    "metadata",
    "new",
    "owner",
    "pkgid",
    "read-manifest",
    "remove",
    "report",
    "search",
    "tree",
    "uninstall",
    "update",
    "vendor",
    "verify-project",
    "version",
    "yank",
];

/// cargo's options before the subcommand that take a value
/// (`cargo --config k=v build`, `cargo -Z flag build`).
const GLOBAL_WITH_VALUE: &[&str] = &["--config", "-Z", "-C", "--color", "--explain"];

/// What tagsan needs to know from the user's cargo command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub toolchain: Option<String>,
    /// The subcommand as typed (`b`, `nextest`...), if there is one.
    pub sub: Option<String>,
    /// Every `--target` given (cargo builds for each).
    pub targets: Vec<String>,
    pub target_dir: Option<String>,
    pub manifest_path: Option<String>,
    pub profile: Option<String>,
    pub release: bool,
    pub verbose: bool,
    /// Everything after the toolchain.
    pub rest: Vec<String>,
}

/// cargo's built-in aliases, as cargo expands them.
fn canonical(sub: &str) -> &str {
    match sub {
        "b" => "build",
        "c" => "check",
        "d" => "doc",
        "r" => "run",
        "t" => "test",
        "rm" => "remove",
        other => other,
    }
}

pub fn parse(args: &[String]) -> Args {
    let mut out = Args::default();
    let mut it = args.iter().peekable();
    if let Some(tc) = it.peek().filter(|a| a.starts_with('+')) {
        out.toolchain = Some(tc.to_string());
        it.next();
    }
    out.rest = it.cloned().collect();
    let rest = &out.rest;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        if a == "--" {
            break;
        }
        let value = |name: &str| -> Option<String> {
            if a == name {
                rest.get(i + 1).cloned()
            } else {
                a.strip_prefix(name)
                    .and_then(|v| v.strip_prefix('='))
                    .map(String::from)
            }
        };
        if out.sub.is_none() && !a.starts_with('-') {
            out.sub = Some(a.to_string());
        } else if out.sub.is_none() && GLOBAL_WITH_VALUE.contains(&a) {
            i += 1;
        } else if let Some(v) = value("--target") {
            out.targets.push(v);
        } else if let Some(v) = value("--target-dir") {
            out.target_dir = Some(v);
        } else if let Some(v) = value("--manifest-path") {
            out.manifest_path = Some(v);
        } else if let Some(v) = value("--profile") {
            out.profile = Some(v);
        } else if a == "--release" || a == "-r" {
            out.release = true;
        } else if a == "--verbose" || (a.starts_with("-v") && a[1..].chars().all(|c| c == 'v')) {
            out.verbose = true;
        }
        i += 1;
    }
    out
}

impl Args {
    /// The subcommand with cargo's built-in aliases expanded.
    fn command(&self) -> &str {
        canonical(self.sub.as_deref().unwrap_or(""))
    }

    /// The profile directory name under `<target-dir>/<triple>/`.
    pub fn profile_dir(&self) -> String {
        match self.profile.as_deref() {
            Some("dev") | Some("test") => "debug".into(),
            Some("bench") => "release".into(),
            Some(p) => p.into(),
            None if self.release || self.command() == "bench" => "release".into(),
            None => "debug".into(),
        }
    }

    /// Whether cargo's profile probably has no debug info (release-like).
    /// `install` builds release by default.
    fn release_like(&self) -> bool {
        self.release
            || matches!(self.command(), "bench" | "install")
            || self
                .profile
                .as_deref()
                .is_some_and(|p| p != "dev" && p != "test")
    }
}

/// The user's flags: `CARGO_ENCODED_<VAR>` if set, else `<VAR>` (RUSTFLAGS
/// or RUSTDOCFLAGS), as cargo reads them.
fn user_flags(var: &str) -> Vec<String> {
    if let Ok(enc) = env::var(format!("CARGO_ENCODED_{var}")) {
        return enc
            .split('\x1f')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    env::var(var)
        .map(|f| f.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// The flags tagsan adds to the user's.
pub fn tagsan_rustflags(
    plugin: &std::path::Path,
    runtime: &paths::Runtime,
    user: &[String],
    release_like: bool,
) -> Vec<String> {
    let mut flags = vec![
        format!("-Zllvm-plugins={}", plugin.display()),
        "-Cforce-frame-pointers=yes".to_string(),
    ];
    let user_chose_debuginfo = user.iter().any(|f| f.contains("debuginfo") || f == "-g");
    if release_like && !user_chose_debuginfo {
        // The dev profile has full debug info already; release has none, and
        // reports want file:line and Rust paths (line tables alone name
        // functions `main`, not `my_crate::main`).
        flags.push("-Cdebuginfo=limited".into());
        // Cargo strips debug info from profiles without it (strip =
        // "debuginfo" by default since 1.77): keep the line tables.
        if !user.iter().any(|f| f.contains("strip")) {
            flags.push("-Cstrip=none".into());
        }
    }
    // Cargo does not know the plugin and the runtime are inputs: a flag
    // naming their contents makes it rebuild and relink when they change
    // (a new tagsan), instead of running binaries with the old runtime.
    flags.push("--cfg".into());
    flags.push(format!(
        "tagsan_build=\"{}\"",
        paths::fingerprint(&[plugin, &runtime.archive])
    ));
    flags.push(format!("-Clink-arg={}", runtime.archive.display()));
    flags.push(format!(
        "-Clink-arg=-Wl,--dynamic-list={}",
        runtime.dynamic_list.display()
    ));
    flags.push(rust_default_options_flag());
    flags
}

/// Rust programs default to `allocator_may_return_null=1` (`try_reserve`
/// expects NULL, not a report): the link defines the runtime's weak
/// toolchain-defaults hook as its Rust-defaults function. A program's own
/// `__tagsan_default_options` and `TAGSAN_OPTIONS` still override it.
pub fn rust_default_options_flag() -> String {
    use tagsan_abi::symbols::{RUST_DEFAULT_OPTIONS, TOOLCHAIN_DEFAULT_OPTIONS_HOOK};
    format!("-Clink-arg=-Wl,--defsym={TOOLCHAIN_DEFAULT_OPTIONS_HOOK}={RUST_DEFAULT_OPTIONS}")
}

/// The workspace's target directory, as cargo itself sees it.
fn workspace_target_dir(cargo: &std::ffi::OsStr, args: &Args) -> Option<PathBuf> {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let mut cmd = Command::new(cargo);
    cmd.args(args.toolchain.iter()).args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]);
    if let Some(m) = &args.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    let out = cmd.stderr(std::process::Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    json_string_field(&String::from_utf8_lossy(&out.stdout), "target_directory").map(PathBuf::from)
}

/// The value of `"key":"..."` in JSON text (std only: no serde for one field).
pub fn json_string_field(json: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let start = json.find(&pat)? + pat.len();
    let mut out = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

pub fn main(global: &Global, args: Vec<String>) -> Result<ExitCode, Fail> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // `tagsan cargo --help` is ours; `tagsan cargo build --help` cargo's.
    if matches!(
        args.iter()
            .find(|a| !a.starts_with('+'))
            .map(String::as_str),
        Some("-h" | "--help")
    ) {
        print!("{}", cli::help(cli::CARGO_HELP));
        return Ok(ExitCode::SUCCESS);
    }
    let parsed = parse(&args);
    // No subcommand (`tagsan cargo`, `--version`, `--list`): cargo's answer.
    let Some(sub) = parsed.sub.as_deref() else {
        let mut cmd = Command::new(&cargo);
        cmd.args(&args);
        return Err(cli::exec(global, cmd, ""));
    };
    let builds = !NO_BUILD.contains(&canonical(sub));

    // Every target must be tagsan's: what else would be built with the
    // plugin but could not run with the x86_64 runtime.
    let env_target = env::var("CARGO_BUILD_TARGET")
        .ok()
        .filter(|t| !t.is_empty());
    let (targets, source) = if parsed.targets.is_empty() {
        (env_target.iter().cloned().collect(), "CARGO_BUILD_TARGET=")
    } else {
        (parsed.targets.clone(), "--target ")
    };
    if let Some(t) = targets.iter().find(|t| *t != TARGET) {
        return Err(Fail::usage(format!(
            "tagsan supports --target {TARGET} only, not {source}{t}; build other targets with plain cargo"
        )));
    }

    let mut cmd = Command::new(&cargo);
    cmd.args(&args);
    // Environment, not flags: it reaches cargo wherever the subcommand
    // puts its options, through aliases and external subcommands
    // (`cargo nextest run` runs `cargo test` itself), as the same
    // settings cargo reads from `--target` and `--target-dir`.
    if parsed.targets.is_empty() {
        cmd.env("CARGO_BUILD_TARGET", TARGET);
    }
    let mut out_dir = parsed.target_dir.as_ref().map(PathBuf::from);
    if parsed.target_dir.is_none() {
        if let Some(base) = workspace_target_dir(&cargo, &parsed) {
            let dir = base.join("tagsan");
            cmd.env("CARGO_TARGET_DIR", &dir);
            out_dir = Some(dir);
        }
    }

    let mut rustc_nightly = true;
    if builds {
        let rustc = toolchain::query(parsed.toolchain.as_deref()).map_err(Fail::new)?;
        rustc.check_llvm().map_err(Fail::new)?;
        if rustc.host != TARGET {
            return Err(Fail::new(format!(
                "tagsan supports {TARGET} only; this rustc's host is {}",
                rustc.host
            )));
        }
        rustc_nightly = rustc.is_nightly();
        let plugin = paths::plugin()?;
        let runtime = paths::runtime()?;
        // RUSTFLAGS for the crates; RUSTDOCFLAGS for doctests, which link
        // against the instrumented library and so need the runtime too.
        for var in ["RUSTFLAGS", "RUSTDOCFLAGS"] {
            let user = user_flags(var);
            let mut flags = user.clone();
            flags.extend(tagsan_rustflags(
                &plugin,
                &runtime,
                &user,
                parsed.release_like(),
            ));
            cmd.env(format!("CARGO_ENCODED_{var}"), flags.join("\x1f"));
        }
    }
    if builds && !rustc_nightly && env::var_os("RUSTC_BOOTSTRAP").is_none() {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    let global = Global {
        verbose: global.verbose || parsed.verbose,
    };

    if parsed.command() != "build" {
        return Err(cli::exec(&global, cmd, ""));
    }
    let status = cli::status(&global, &mut cmd, "")?;
    if status.success() {
        if let Some(dir) = out_dir {
            eprintln!(
                "tagsan: instrumented binaries are in {}",
                dir.join(TARGET).join(parsed.profile_dir()).display()
            );
        }
    }
    Ok(ExitCode::from(cli::exit_code(status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_what_matters() {
        let a = parse(&args(
            "+nightly run --release --target-dir=/t -p foo -- --target x",
        ));
        assert_eq!(a.toolchain.as_deref(), Some("+nightly"));
        assert_eq!(a.sub.as_deref(), Some("run"));
        assert!(a.release);
        assert_eq!(a.target_dir.as_deref(), Some("/t"));
        assert!(a.targets.is_empty(), "arguments after -- are the program's");
        assert_eq!(a.profile_dir(), "release");
        assert_eq!(
            a.rest,
            args("run --release --target-dir=/t -p foo -- --target x")
        );
    }

    #[test]
    fn profiles() {
        assert_eq!(parse(&args("test")).profile_dir(), "debug");
        assert_eq!(parse(&args("bench")).profile_dir(), "release");
        assert_eq!(parse(&args("b -r")).profile_dir(), "release");
        assert_eq!(
            parse(&args("build --profile custom")).profile_dir(),
            "custom"
        );
    }

    #[test]
    fn global_options_aliases_and_external_subcommands() {
        let a = parse(&args("--config k=v -q b --target x86_64-unknown-linux-gnu"));
        assert_eq!(a.sub.as_deref(), Some("b"));
        assert_eq!(a.command(), "build");
        assert_eq!(a.targets, vec!["x86_64-unknown-linux-gnu"]);
        let a = parse(&args("nextest run --target a --target=b"));
        assert_eq!(a.sub.as_deref(), Some("nextest"));
        assert_eq!(a.targets, vec!["a", "b"]);
        assert_eq!(parse(&args("--version")).sub, None);
        assert_eq!(parse(&args("")).sub, None);
    }

    #[test]
    fn json_field() {
        let j = r#"{"packages":[],"target_directory":"/a b/\"t\"\\x","version":1}"#;
        assert_eq!(
            json_string_field(j, "target_directory").as_deref(),
            Some("/a b/\"t\"\\x")
        );
    }
}
