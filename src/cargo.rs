//! `tagsan cargo build|run|test|bench`: cargo with the plugin on the user's
//! crates and the runtime linked into their executables.
//!
//! - `--target <host>` so RUSTFLAGS reach only target code, not build
//!   scripts and proc macros (which run inside cargo/rustc without the
//!   runtime).
//! - A separate target dir (`<target>/tagsan`) so a normal build keeps its
//!   artifacts: different RUSTFLAGS would otherwise rebuild everything both
//!   ways.
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

const SUBCOMMANDS: &[&str] = &["build", "run", "test", "bench"];

/// What tagsan needs to know from the user's cargo command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub toolchain: Option<String>,
    pub sub: String,
    pub target: Option<String>,
    pub target_dir: Option<String>,
    pub manifest_path: Option<String>,
    pub profile: Option<String>,
    pub release: bool,
    pub verbose: bool,
    /// Everything after the toolchain, the subcommand included.
    pub rest: Vec<String>,
}

pub fn parse(args: &[String]) -> Result<Args, Fail> {
    let mut out = Args::default();
    let mut it = args.iter().peekable();
    if let Some(tc) = it.peek().filter(|a| a.starts_with('+')) {
        out.toolchain = Some(tc.to_string());
        it.next();
    }
    out.sub = match it.next() {
        Some(s) if SUBCOMMANDS.contains(&s.as_str()) => s.clone(),
        Some(s) if s.starts_with('-') => {
            return Err(Fail::usage(format!(
                "'{s}' before the cargo subcommand; usage: tagsan cargo [+toolchain] build|run|test|bench [args...]"
            )))
        }
        Some(s) => {
            return Err(Fail::usage(format!(
                "unsupported cargo subcommand '{s}' (tagsan cargo supports build, run, test and bench)"
            )))
        }
        None => return Err(Fail::usage("missing cargo subcommand: tagsan cargo build|run|test|bench [args...]")),
    };
    out.rest.push(out.sub.clone());
    let rest: Vec<String> = it.cloned().collect();
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
        if let Some(v) = value("--target") {
            out.target = Some(v);
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
    out.rest.extend(rest);
    Ok(out)
}

impl Args {
    /// The profile directory name under `<target-dir>/<triple>/`.
    pub fn profile_dir(&self) -> String {
        match self.profile.as_deref() {
            Some("dev") | Some("test") => "debug".into(),
            Some("bench") => "release".into(),
            Some(p) => p.into(),
            None if self.release || self.sub == "bench" => "release".into(),
            None => "debug".into(),
        }
    }

    /// Whether cargo's profile probably has no debug info (release-like).
    fn release_like(&self) -> bool {
        self.release
            || self.sub == "bench"
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
    if args.is_empty()
        || (args.iter().take(2).any(|a| a == "--help" || a == "-h") && !parse_sub_first(&args))
    {
        print!("{}", cli::help(cli::CARGO_HELP));
        return Ok(ExitCode::SUCCESS);
    }
    let parsed = parse(&args)?;
    let rustc = toolchain::query(parsed.toolchain.as_deref()).map_err(Fail::new)?;
    rustc.check_llvm().map_err(Fail::new)?;
    if rustc.host != TARGET {
        return Err(Fail::new(format!(
            "tagsan supports {TARGET} only; this rustc's host is {}",
            rustc.host
        )));
    }
    if let Some(t) = parsed.target.as_deref().filter(|t| *t != TARGET) {
        return Err(Fail::usage(format!(
            "tagsan supports --target {TARGET} only, not {t}"
        )));
    }
    let plugin = paths::plugin()?;
    let runtime = paths::runtime()?;

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(parsed.toolchain.iter());
    let (sub, rest) = parsed
        .rest
        .split_first()
        .expect("parse put the subcommand first");
    cmd.arg(sub);
    if parsed.target.is_none() {
        cmd.args(["--target", TARGET]);
    }
    let mut out_dir = parsed.target_dir.as_ref().map(PathBuf::from);
    if parsed.target_dir.is_none() {
        if let Some(base) = workspace_target_dir(&cargo, &parsed) {
            let dir = base.join("tagsan");
            cmd.arg("--target-dir").arg(&dir);
            out_dir = Some(dir);
        }
    }
    cmd.args(rest);

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
    if !rustc.is_nightly() && env::var_os("RUSTC_BOOTSTRAP").is_none() {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    let global = Global {
        verbose: global.verbose || parsed.verbose,
    };

    if parsed.sub != "build" {
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

/// `tagsan cargo build --help` is cargo's help; `tagsan cargo --help` ours.
fn parse_sub_first(args: &[String]) -> bool {
    args.iter()
        .find(|a| !a.starts_with('+'))
        .is_some_and(|a| SUBCOMMANDS.contains(&a.as_str()))
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
        ))
        .unwrap();
        assert_eq!(a.toolchain.as_deref(), Some("+nightly"));
        assert_eq!(a.sub, "run");
        assert!(a.release);
        assert_eq!(a.target_dir.as_deref(), Some("/t"));
        assert_eq!(a.target, None, "arguments after -- are the program's");
        assert_eq!(a.profile_dir(), "release");
        assert_eq!(
            a.rest,
            args("run --release --target-dir=/t -p foo -- --target x")
        );
    }

    #[test]
    fn profiles() {
        assert_eq!(parse(&args("test")).unwrap().profile_dir(), "debug");
        assert_eq!(parse(&args("bench")).unwrap().profile_dir(), "release");
        assert_eq!(
            parse(&args("build --profile custom"))
                .unwrap()
                .profile_dir(),
            "custom"
        );
    }

    #[test]
    fn rejects_other_subcommands() {
        assert!(parse(&args("check")).is_err());
        assert!(parse(&args("")).is_err());
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
