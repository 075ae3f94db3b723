//! `tagsan cc` / `tagsan c++`: clang-22 / clang++-22 with the plugin, and the
//! runtime at the link of executables. A drop-in for `CC=` / `CXX=`: it
//! reads the command line only to decide what to add, and passes every
//! argument through unchanged.

use std::path::Path;
use std::process::{Command, ExitCode};

use crate::cli::{self, Fail, Global};
use crate::paths;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    C,
    Cxx,
}

/// What a clang command line does, as far as tagsan cares.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Plan {
    /// It compiles source code: add the plugin (and -g, frame pointers).
    pub compiles: bool,
    /// It links an executable: add the runtime.
    pub links_executable: bool,
    /// It produces code: an object, a library or an executable.
    pub builds: bool,
    /// The user chose their debug-info level (-g*).
    pub has_g: bool,
    /// The user chose about frame pointers.
    pub has_frame_pointer_choice: bool,
    /// A `-x <lang>` other than `none` is in force after the last
    /// argument: what tagsan appends must come after `-x none`.
    pub lang_forced_at_end: bool,
    /// The sanitizers enabled at the end (`-fsanitize=`, minus
    /// `-fno-sanitize=`), in the order first given.
    pub sanitizers: Vec<String>,
    /// The target the user chose, if not x86_64 Linux: how they said it.
    pub foreign_target: Option<String>,
}

/// Options whose value is the next argument (`-o out`, `-I dir`, ...).
const TAKES_VALUE: &[&str] = &[
    "-o",
    "-I",
    "-D",
    "-U",
    "-L",
    "-l",
    "-x",
    "-include",
    "-imacros",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-isysroot",
    "-iprefix",
    "-iwithprefix",
    "-iwithprefixbefore",
    "-MF",
    "-MT",
    "-MQ",
    "-MJ",
    "-Xlinker",
    "-Xclang",
    "-Xassembler",
    "-Xpreprocessor",
    "-Xopenmp-target",
    "-target",
    "--target",
    "-arch",
    "-T",
    "-u",
    "-e",
    "-z",
    "--sysroot",
    "-aux-info",
    "--param",
    "-dependency-file",
    "-serialize-diagnostics",
    "-main-file-name",
    "-ccc-gcc-name",
    "-working-directory",
    "-F",
    "-mllvm",
    "-resource-dir",
    "-B",
    "--gcc-toolchain",
    "-G",
    "--config",
    "-V",
];

/// Extensions clang compiles (anything else on the command line is a link input).
const SOURCE_EXT: &[&str] = &[
    "c", "cc", "cp", "cpp", "cxx", "c++", "C", "CC", "CPP", "m", "mm", "M", "i", "ii", "mi", "mii",
    "ll", "bc", "cu", "hip", "cl", "h", "hh", "hpp", "hxx", "H",
];

/// Assembly: compiled, but nothing for the plugin to do.
const ASM_EXT: &[&str] = &["s", "S", "sx", "asm"];

/// Decides what to add to a clang command line.
pub fn plan(args: &[String]) -> Plan {
    let args = expand_response_files(args);
    let mut stop_before_link = false; // -c, -S, -E, -M, -MM, -fsyntax-only
    let mut no_codegen = false; // -E, -M, -MM, -fsyntax-only, --version ...
    let mut shared_or_relocatable = false;
    let mut sources = 0usize;
    let mut link_inputs = 0usize;
    let mut has_g = false;
    let mut has_fp = false;
    let mut lang_forced = false; // -x <lang> other than none
    let mut sanitizers: Vec<String> = Vec::new();
    let mut target: Option<(String, String)> = None; // (triple, as written)
    let mut abi_flag: Option<&str> = None; // the last -m16/-m32/-mx32/-m64
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        match a {
            "-c" | "-S" => stop_before_link = true,
            "-E"
            | "-M"
            | "-MM"
            | "-fsyntax-only"
            | "-###"
            | "--analyze"
            | "-dumpversion"
            | "-dumpmachine"
            | "--version"
            | "-print-search-dirs"
            | "-print-libgcc-file-name"
            | "-print-resource-dir"
            | "-print-multiarch"
            | "-print-target-triple"
            | "-print-effective-triple"
            | "-help"
            | "--help" => {
                stop_before_link = true;
                no_codegen = true;
            }
            "-shared" | "-r" | "--shared" | "-Wl,-shared" => shared_or_relocatable = true,
            "-fomit-frame-pointer" | "-fno-omit-frame-pointer" => has_fp = true,
            "-" => sources += 1, // stdin: needs -x, compiled
            "-x" => {
                if let Some(lang) = args.get(i) {
                    lang_forced = lang != "none";
                    i += 1;
                }
            }
            "-target" | "--target" => {
                if let Some(t) = args.get(i) {
                    target = Some((t.clone(), format!("{a} {t}")));
                    i += 1;
                }
            }
            "-m16" | "-m32" | "-mx32" | "-m64" => abi_flag = Some(a),
            _ if a.starts_with("--target=") => {
                target = Some((a["--target=".len()..].to_string(), a.to_string()))
            }
            _ if a.starts_with("-fsanitize=") => {
                for s in a["-fsanitize=".len()..]
                    .split(',')
                    .filter(|s| !s.is_empty())
                {
                    if !sanitizers.iter().any(|k| k == s) {
                        sanitizers.push(s.to_string());
                    }
                }
            }
            _ if a.starts_with("-fno-sanitize=") => {
                for s in a["-fno-sanitize=".len()..].split(',') {
                    if s == "all" {
                        sanitizers.clear();
                    }
                    sanitizers.retain(|k| k != s);
                }
            }
            _ if a.starts_with("-print-") || a.starts_with("--print-") => {
                stop_before_link = true;
                no_codegen = true;
            }
            _ if a.starts_with("-x") && a.len() > 2 => lang_forced = &a[2..] != "none",
            _ if a.starts_with("-g") => has_g = true,
            "-l" => {
                i += 1;
                link_inputs += 1;
            }
            _ if a.starts_with("-l") => link_inputs += 1,
            _ if TAKES_VALUE.contains(&a) => i += 1,
            _ if a.starts_with('-') => {}
            _ => {
                let ext = Path::new(a)
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("");
                if lang_forced || SOURCE_EXT.contains(&ext) {
                    sources += 1;
                } else if ASM_EXT.contains(&ext) {
                    // Assembled, never instrumented; it still makes an object to link.
                } else {
                    link_inputs += 1;
                }
            }
        }
    }
    let has_inputs = sources > 0 || link_inputs > 0;
    let foreign_target = match (abi_flag, &target) {
        (Some(m), _) if m != "-m64" => Some(m.to_string()),
        (_, Some((t, written))) if !is_supported_triple(t) => Some(written.clone()),
        _ => None,
    };
    Plan {
        compiles: sources > 0 && !no_codegen,
        links_executable: has_inputs && !stop_before_link && !shared_or_relocatable,
        builds: has_inputs && !no_codegen,
        has_g,
        has_frame_pointer_choice: has_fp,
        lang_forced_at_end: lang_forced,
        sanitizers,
        foreign_target,
    }
}

/// Whether code for target triple `t` can run with the tagsan runtime:
/// x86_64 (64-bit ABI) Linux with glibc, as the runtime is built.
pub fn is_supported_triple(t: &str) -> bool {
    let mut parts = t.split('-');
    let arch = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    matches!(arch, "x86_64" | "amd64")
        && rest.contains(&"linux")
        && rest
            .last()
            .is_none_or(|env| *env == "linux" || *env == "gnu")
}

/// Sanitizers that cannot share a process with tagsan, and why. These are
/// what clang refuses next to `-fsanitize=hwaddress`, plus those that
/// bring their own allocator or shadow memory (`-fsanitize=leak` links a
/// second malloc; `type` maps shadow where the tagged heap lives).
const CONFLICTING_SANITIZERS: &[(&str, &str)] = &[
    (
        "address",
        "another memory-error detector (ASan), with its own malloc and shadow memory",
    ),
    (
        "hwaddress",
        "LLVM's HWASan, which tagsan replaces (same checks, its own runtime)",
    ),
    ("kernel-address", "for kernel code, not user programs"),
    ("kernel-hwaddress", "for kernel code, not user programs"),
    ("kernel-memory", "for kernel code, not user programs"),
    (
        "thread",
        "ThreadSanitizer, with its own malloc and shadow memory",
    ),
    (
        "memory",
        "MemorySanitizer, with its own malloc and shadow memory",
    ),
    ("leak", "LeakSanitizer, with its own malloc"),
    (
        "dataflow",
        "DataFlowSanitizer, with its own malloc and shadow memory",
    ),
    (
        "type",
        "TypeSanitizer, whose shadow memory takes the tagged heap's addresses",
    ),
    (
        "numerical",
        "NumericalStabilitySanitizer, with its own malloc",
    ),
    (
        "realtime",
        "RealtimeSanitizer, whose malloc interceptors clash with tagsan's",
    ),
    ("scudo", "the Scudo allocator, a second malloc"),
    ("memtag", "for AArch64 MTE, not x86_64"),
    ("memtag-heap", "for AArch64 MTE, not x86_64"),
    ("memtag-stack", "for AArch64 MTE, not x86_64"),
    ("memtag-globals", "for AArch64 MTE, not x86_64"),
];

impl Plan {
    /// Why tagsan cannot build this command line, as one line.
    pub fn refusal(&self, llvm_compiler: &str) -> Option<String> {
        if !self.builds {
            // Preprocessing and probes (`-E`, `--version`, `-print-*`)
            // produce no code: let clang answer.
            return None;
        }
        for s in &self.sanitizers {
            if let Some(why) = conflict(s) {
                return Some(format!(
                    "-fsanitize={s} cannot be combined with tagsan: it is {why}; remove it (-fsanitize=undefined, cfi, fuzzer and the like combine fine)"
                ));
            }
        }
        self.foreign_target.as_ref().map(|t| {
            format!(
                "tagsan instruments x86_64 Linux (glibc) code only, not {t}; build code for other targets with plain {llvm_compiler}"
            )
        })
    }
}

fn conflict(sanitizer: &str) -> Option<&'static str> {
    CONFLICTING_SANITIZERS
        .iter()
        .find(|(name, _)| *name == sanitizer)
        .map(|(_, why)| *why)
}

/// `@file` arguments (CMake and libtool use them for long link lines): their
/// words count for the plan. They are still passed to clang as `@file`.
fn expand_response_files(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in args {
        match a
            .strip_prefix('@')
            .and_then(|f| std::fs::read_to_string(f).ok())
        {
            Some(text) => out.extend(split_response_file(&text)),
            None => out.push(a.clone()),
        }
    }
    out
}

/// Splits a response file the way GNU tools do: whitespace-separated words,
/// with '...' and "..." quoting and backslash escapes.
fn split_response_file(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The full clang command for the user's arguments.
pub fn command(lang: Lang, args: &[String]) -> Result<Command, Fail> {
    let plan = plan(args);
    let compiler = match lang {
        Lang::C => paths::clang(),
        Lang::Cxx => paths::clangxx(),
    };
    let name = compiler
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if let Some(why) = plan.refusal(&name) {
        return Err(Fail::new(why));
    }
    let mut cmd = Command::new(compiler);
    if plan.compiles {
        cmd.arg(format!("-fpass-plugin={}", paths::plugin()?.display()));
        if !plan.has_g {
            cmd.arg("-g");
        }
        if !plan.has_frame_pointer_choice {
            cmd.arg("-fno-omit-frame-pointer");
        }
        // `#include <tagsan.h>` (object caches, RCU) works with no flags;
        // after the user's own -I/-isystem directories.
        if let Some(dir) = paths::include_dir() {
            cmd.arg("-idirafter").arg(dir);
        }
    }
    cmd.args(args);
    if plan.links_executable {
        // `-x c file.txt`: without `-x none` the archive would be
        // compiled as C too.
        if plan.lang_forced_at_end {
            cmd.args(["-x", "none"]);
        }
        cmd.args(paths::runtime()?.link_args());
    }
    Ok(cmd)
}

pub fn main(global: &Global, lang: Lang, args: Vec<String>) -> Result<ExitCode, Fail> {
    // No arguments at all: clang says `no input files` and exits 1.
    // `--help` is clang's; `tagsan cc --help` alone shows ours.
    if args.len() == 1 && (args[0] == "--help" || args[0] == "-h") {
        print!("{}", cli::help(cli::CC_HELP));
        return Ok(ExitCode::SUCCESS);
    }
    let cmd = command(lang, &args)?;
    Err(cli::exec(global, cmd, &paths::llvm_install_hint()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Plan {
        plan(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn compile_only_gets_plugin_not_runtime() {
        let pl = p("-O2 -c a.c -o a.o");
        assert!(pl.compiles && !pl.links_executable);
    }

    #[test]
    fn full_build_gets_both() {
        let pl = p("a.c b.c -o x -lm");
        assert!(pl.compiles && pl.links_executable);
    }

    #[test]
    fn link_only_gets_runtime() {
        let pl = p("a.o b.o -o x");
        assert!(!pl.compiles && pl.links_executable);
    }

    #[test]
    fn shared_gets_plugin_only() {
        let pl = p("-shared -fPIC lib.c -o lib.so");
        assert!(pl.compiles && !pl.links_executable);
    }

    #[test]
    fn probes_get_nothing() {
        for line in [
            "--version",
            "-v",
            "-E a.c",
            "-M a.c",
            "-MM a.c",
            "-fsyntax-only a.c",
            "-print-file-name=libc.so",
            "-dumpmachine",
        ] {
            let pl = p(line);
            assert!(!pl.compiles && !pl.links_executable, "{line}: {pl:?}");
        }
    }

    #[test]
    fn dependency_files_do_not_stop_compilation() {
        let pl = p("-MMD -MF a.d -MT a.o -c a.c -o a.o");
        assert!(pl.compiles && !pl.links_executable);
    }

    #[test]
    fn user_choices_are_kept() {
        let pl = p("-g0 -fomit-frame-pointer -c a.c");
        assert!(pl.has_g && pl.has_frame_pointer_choice);
        assert!(!p("-c a.c").has_g);
    }

    #[test]
    fn forced_language_and_stdin() {
        assert!(p("-x c - -o x").compiles);
        assert!(p("-xc foo.txt -c").compiles);
        // The value of -o is not an input.
        assert!(!p("-c -o out.c.o").compiles);
    }

    #[test]
    fn response_files_split() {
        assert_eq!(
            split_response_file("a.o 'b c.o'  \"d\\\"e\"\n-lm"),
            vec!["a.o", "b c.o", "d\"e", "-lm"]
        );
    }
}
