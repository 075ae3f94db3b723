//! Helpers of the report tests (`tests/reports_*.rs`), on top of `common`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::{self, Run};

/// A report test program's source, under `tests/programs/reports/`.
pub fn program(file: &str) -> PathBuf {
    common::program("reports", file)
}

/// The 1-based line of `src` holding the comment `MARK:<name>`, so the
/// expected lines follow the sources instead of being copied into tests.
pub fn mark(src: &Path, name: &str) -> usize {
    common::marker_line(src, &format!("MARK:{name}"))
}

/// `in <func> <src>:<line>:` for the line marked `name`: a symbolized frame.
pub fn frame(src: &Path, func: &str, name: &str) -> String {
    format!("in {func} {}:{}:", src.display(), mark(src, name))
}

/// How many times `pattern` occurs in stderr.
pub fn count(r: &Run, pattern: &str) -> usize {
    r.stderr.matches(pattern).count()
}

/// The address in the `ERROR:` line.
pub fn header_address(r: &Run) -> usize {
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("ERROR: TagSanitizer:"))
        .expect("an ERROR line");
    let hex = line
        .split(" on address 0x")
        .nth(1)
        .expect("on address")
        .split_whitespace()
        .next()
        .unwrap();
    usize::from_str_radix(hex, 16).unwrap()
}

/// The pointer tag of a heap address.
pub fn tag_of(addr: usize) -> usize {
    tagsan_abi::layout::ptr_tag(addr) as usize
}
