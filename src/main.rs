//! `tagsan`: the command users run. It finds the plugin and the runtime next
//! to itself and drives clang, cargo and opt with the right flags.
//!
//! Modules:
//! - `cli`: argument helpers, errors, help texts, printing command lines.
//! - `paths`: where the plugin, the runtime and the LLVM tools are.
//! - `cc`: `tagsan cc` / `tagsan c++`, a drop-in C/C++ compiler.
//! - `cargo`: `tagsan cargo build|run|test|bench`.
//! - `opt`: `tagsan opt`, the pass alone.
//! - `run`: `tagsan run -- CMD`, a program we did not build with the
//!   shared runtime preloaded.
//! - `doctor`: `tagsan doctor`, checks the set-up.
//! - `toolchain`: what `rustc -vV` says.

mod cargo;
mod cc;
mod cli;
mod doctor;
mod opt;
mod paths;
mod run;
mod toolchain;

use std::process::ExitCode;

use cli::{Fail, Global};

fn main() -> ExitCode {
    let mut args = std::env::args();
    // Installed as `tagsan-cc` / `tagsan-c++` (symlinks), it is the compiler
    // itself: CC=tagsan-cc suits tools that want one word (CMake, meson).
    let argv0 = args.next().unwrap_or_default();
    let name = std::path::Path::new(&argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("tagsan")
        .to_string();
    let args: Vec<String> = args.collect();
    let global = Global {
        verbose: verbose_from_env(),
    };
    let result = match name.as_str() {
        "tagsan-cc" => cc::main(&global, cc::Lang::C, args),
        "tagsan-c++" | "tagsan-cxx" => cc::main(&global, cc::Lang::Cxx, args),
        _ => run(args),
    };
    match result {
        Ok(code) => code,
        Err(fail) => fail.report(),
    }
}

/// TAGSAN_VERBOSE=1 works where the command line is not yours (make, cmake).
fn verbose_from_env() -> bool {
    std::env::var_os("TAGSAN_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn run(args: Vec<String>) -> Result<ExitCode, Fail> {
    let mut global = Global::default();
    let mut rest = args.into_iter();
    // Options of `tagsan` itself come before the subcommand (as with cargo).
    let sub = loop {
        match rest.next() {
            None => {
                eprint!("{}", cli::help(cli::MAIN_HELP));
                return Err(Fail::quiet(2));
            }
            Some(a) => match a.as_str() {
                "-v" | "--verbose" => global.verbose = true,
                "-h" | "--help" => {
                    print!("{}", cli::help(cli::MAIN_HELP));
                    return Ok(ExitCode::SUCCESS);
                }
                "-V" | "--version" => {
                    println!("tagsan {}", env!("CARGO_PKG_VERSION"));
                    return Ok(ExitCode::SUCCESS);
                }
                s if s.starts_with('-') => {
                    return Err(Fail::usage(format!(
                        "unknown option '{s}' (see tagsan --help)"
                    )));
                }
                _ => break a,
            },
        }
    };
    let rest: Vec<String> = rest.collect();
    global.verbose |= verbose_from_env();
    match sub.as_str() {
        "cc" => cc::main(&global, cc::Lang::C, rest),
        "c++" | "cxx" => cc::main(&global, cc::Lang::Cxx, rest),
        "cargo" => cargo::main(&global, rest),
        "opt" => opt::main(&global, rest),
        "run" => run::main(&global, rest),
        "doctor" => doctor::main(&global, rest),
        "help" => match rest.first().map(String::as_str) {
            None => {
                print!("{}", cli::help(cli::MAIN_HELP));
                Ok(ExitCode::SUCCESS)
            }
            Some(topic) => match cli::help_for(topic) {
                Some(text) => {
                    print!("{text}");
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(Fail::usage(format!("no help for unknown subcommand '{topic}' (see tagsan --help)"))),
            },
        },
        other => Err(Fail::usage(format!(
            "unknown subcommand '{other}' (expected cc, c++, cargo, run, opt, doctor or help; see tagsan --help)"
        ))),
    }
}
