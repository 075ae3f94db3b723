//! The pass options: one place that knows every knob.
//!
//! Syntax: `;`-separated, as LLVM pipeline parameters. The same text is
//! accepted in `opt -passes='tagsan<recover;no-reads>'` and in the env var
//! `TAGSAN_PASS_OPTIONS="recover;no-reads"` (clang `-fpass-plugin`, rustc
//! `-Z llvm-plugins`). Empty items are ignored.
//!
//! | option            | default   | effect                                                        |
//! |-------------------|-----------|---------------------------------------------------------------|
//! | `recover`         | off       | call the `_noabort` checks: report and keep running           |
//! | `no-reads`        | off       | do not check loads                                            |
//! | `no-writes`       | off       | do not check stores                                           |
//! | `no-atomics`      | off       | do not check `atomicrmw` / `cmpxchg`                          |
//! | `no-memintrinsics`| off       | leave `llvm.mem{cpy,move,set}` alone                          |
//! | `stats`           | off       | print per-module counts on stderr (`tagsan: ...`)             |
//! | `ignorelist=PATH` | none      | skip functions matched by a clang `-fsanitize-ignorelist` file |
//! | `mode=outline`    | `outline` | how to check; `inline` is reserved for a fast-path emitter    |
//!
//! Unknown or malformed options are one-line errors naming the option.

use crate::ignorelist::Ignorelist;

/// How a check is emitted. Only `Outline` (a call per access) exists today;
/// an inline fast path (`mode=inline`) will be another variant handled by
/// `instrument::checker_for`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckMode {
    Outline,
}

#[derive(Debug)]
pub struct Options {
    pub recover: bool,
    pub reads: bool,
    pub writes: bool,
    pub atomics: bool,
    pub memintrinsics: bool,
    pub stats: bool,
    pub mode: CheckMode,
    pub ignorelist: Option<Ignorelist>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            recover: false,
            reads: true,
            writes: true,
            atomics: true,
            memintrinsics: true,
            stats: false,
            mode: CheckMode::Outline,
            ignorelist: None,
        }
    }
}

impl Options {
    /// Parses the option text; the error is one line starting `tagsan:`.
    pub fn parse(text: &str) -> Result<Options, String> {
        let mut opts = Options::default();
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item, None),
            };
            let flag = |slot: &mut bool, on: bool| -> Result<(), String> {
                match value {
                    None => {
                        *slot = on;
                        Ok(())
                    }
                    Some(_) => Err(format!(
                        "tagsan: option '{key}' takes no value (got '{item}')"
                    )),
                }
            };
            match key {
                "recover" => flag(&mut opts.recover, true)?,
                "no-reads" => flag(&mut opts.reads, false)?,
                "no-writes" => flag(&mut opts.writes, false)?,
                "no-atomics" => flag(&mut opts.atomics, false)?,
                "no-memintrinsics" => flag(&mut opts.memintrinsics, false)?,
                "stats" => flag(&mut opts.stats, true)?,
                "ignorelist" => match value {
                    Some(path) if !path.is_empty() => opts.ignorelist = Some(Ignorelist::load(path)?),
                    _ => return Err("tagsan: option 'ignorelist' needs a path: ignorelist=PATH".into()),
                },
                "mode" => match value {
                    Some("outline") => opts.mode = CheckMode::Outline,
                    Some("inline") => {
                        return Err("tagsan: option 'mode=inline' is not implemented yet (use mode=outline)".into())
                    }
                    _ => return Err(format!("tagsan: bad value in '{item}': expected mode=outline")),
                },
                _ => {
                    return Err(format!(
                        "tagsan: unknown option '{item}' (known: recover, no-reads, no-writes, no-atomics, \
                         no-memintrinsics, stats, ignorelist=PATH, mode=outline)"
                    ))
                }
            }
        }
        Ok(opts)
    }
}
