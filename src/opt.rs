//! `tagsan opt IN -o OUT`: the pass alone, through opt-22.

use std::process::{Command, ExitCode};

use crate::cli::{self, Fail, Global};
use crate::paths;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub input: String,
    pub output: String,
    pub text: bool,
    pub pass_options: Option<String>,
    pub verbose: bool,
    pub extra: Vec<String>,
}

pub enum Parsed {
    Help,
    Run(Args),
}

pub fn parse(args: &[String]) -> Result<Parsed, Fail> {
    let mut out = Args::default();
    let mut input = None;
    let mut output = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<String, Fail> {
            it.next()
                .cloned()
                .ok_or_else(|| Fail::usage(format!("{name} needs a value (see tagsan opt --help)")))
        };
        match a.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-v" | "--verbose" => out.verbose = true,
            "-S" => out.text = true,
            "-o" => output = Some(value("-o")?),
            "--passes-options" | "--pass-options" => out.pass_options = Some(value("--passes-options")?),
            "--" => {
                out.extra.extend(it.by_ref().cloned());
                break;
            }
            s if s.starts_with("--passes-options=") => {
                out.pass_options = Some(s["--passes-options=".len()..].to_string())
            }
            s if s.starts_with("-o") && s.len() > 2 => output = Some(s[2..].to_string()),
            s if s.starts_with('-') && s != "-" => {
                return Err(Fail::usage(format!(
                    "unknown option '{s}' for tagsan opt (put opt-22 options after `--`; see tagsan opt --help)"
                )))
            }
            s => {
                if let Some(first) = &input {
                    return Err(Fail::usage(format!("more than one input ('{first}' and '{s}')")));
                }
                input = Some(s.to_string());
            }
        }
    }
    out.input =
        input.ok_or_else(|| Fail::usage("no input file (usage: tagsan opt IN.ll|IN.bc -o OUT)"))?;
    out.output = output.ok_or_else(|| {
        Fail::usage("no output file: add -o OUT (usage: tagsan opt IN.ll|IN.bc -o OUT)")
    })?;
    if out.output.ends_with(".ll") {
        out.text = true;
    }
    Ok(Parsed::Run(out))
}

/// `tagsan` or `tagsan<OPTIONS>`.
pub fn pipeline(options: Option<&str>) -> String {
    match options.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => format!("tagsan<{o}>"),
        None => "tagsan".into(),
    }
}

pub fn main(global: &Global, args: Vec<String>) -> Result<ExitCode, Fail> {
    let a = match parse(&args)? {
        Parsed::Help => {
            print!("{}", cli::help(cli::OPT_HELP));
            return Ok(ExitCode::SUCCESS);
        }
        Parsed::Run(a) => a,
    };
    if a.input != "-" && !std::path::Path::new(&a.input).exists() {
        return Err(Fail::new(format!("{}: no such file", a.input)));
    }
    let plugin = paths::plugin()?;
    let mut cmd = Command::new(paths::opt());
    cmd.arg(format!("-load-pass-plugin={}", plugin.display()))
        .arg(format!("-passes={}", pipeline(a.pass_options.as_deref())));
    if a.text {
        cmd.arg("-S");
    }
    cmd.arg(&a.input).arg("-o").arg(&a.output).args(&a.extra);
    let global = Global {
        verbose: global.verbose || a.verbose,
    };
    Err(cli::exec(&global, cmd, &paths::llvm_install_hint()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(line: &str) -> Args {
        match parse(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        ) {
            Ok(Parsed::Run(a)) => a,
            _ => panic!("{line} did not parse"),
        }
    }

    #[test]
    fn parses() {
        let a =
            run_args("in.ll -o out.ll --passes-options recover;no-reads -- -debug-pass-manager");
        assert_eq!(
            (a.input.as_str(), a.output.as_str(), a.text),
            ("in.ll", "out.ll", true)
        );
        assert_eq!(
            pipeline(a.pass_options.as_deref()),
            "tagsan<recover;no-reads>"
        );
        assert_eq!(a.extra, vec!["-debug-pass-manager"]);
        assert!(!run_args("in.bc -o out.bc").text);
        assert_eq!(pipeline(None), "tagsan");
    }

    #[test]
    fn errors() {
        for line in [
            "in.ll",
            "-o x",
            "in.ll -o x --bogus",
            "a.ll b.ll -o x",
            "in.ll -o",
        ] {
            assert!(
                parse(
                    &line
                        .split_whitespace()
                        .map(String::from)
                        .collect::<Vec<_>>()
                )
                .is_err(),
                "{line}"
            );
        }
    }
}
