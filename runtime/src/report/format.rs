//! Text building blocks of a report: a writer that sends each line to the
//! report stream as soon as it is complete, symbolized stack traces, and
//! the "is located N bytes after a M-byte region" lines.

use core::fmt::{self, Write};

use crate::stack_depot::{self, StackId};
use crate::symbolize;

/// `fmt::Write` into a fixed byte buffer; silently truncates.
pub struct FixedBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> FixedBuf<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        FixedBuf { buf, len: 0 }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for FixedBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The report writer: collects one line, writes it out at `\n`. A line
/// at a time keeps concurrent warnings from splitting report lines, and a
/// process killed mid-report still leaves every finished line behind.
pub struct Out {
    line: [u8; 1024],
    len: usize,
}

impl Default for Out {
    fn default() -> Self {
        Self::new()
    }
}

impl Out {
    pub const fn new() -> Out {
        Out {
            line: [0; 1024],
            len: 0,
        }
    }

    pub fn flush(&mut self) {
        if self.len > 0 {
            crate::output::write_all(&self.line[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.line.len() {
                self.flush();
            }
            self.line[self.len] = b;
            self.len += 1;
            if b == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        self.flush();
    }
}

/// One printed frame's location text: `file:line:col`, or
/// `(module+0xoff)` when there is no line information.
fn location(sym: &symbolize::Symbolized, f: Option<&symbolize::SourceFrame>) -> String {
    if let Some(f) = f {
        if let Some(file) = &f.file {
            return match (f.line, f.column) {
                (0, _) => file.clone(),
                (l, 0) => format!("{file}:{l}"),
                (l, c) => format!("{file}:{l}:{c}"),
            };
        }
    }
    match &sym.module {
        Some(m) => format!("({m}+{:#x})", sym.module_offset),
        None => String::from("(<unknown module>)"),
    }
}

/// Symbolizes a return address (the call instruction is just before it).
pub fn symbolize_return_address(ret: usize) -> symbolize::Symbolized {
    symbolize::symbolize(ret.saturating_sub(1))
}

/// Prints `frames` (return addresses, innermost first) as numbered lines;
/// inlined calls get a line each, with the same address, as in
/// llvm-symbolizer's output.
pub fn print_frames(out: &mut Out, frames: &[usize]) {
    let mut n = 0;
    for &pc in frames {
        let sym = symbolize_return_address(pc);
        if sym.frames.is_empty() {
            let _ = writeln!(out, "    #{n} {pc:#x} {}", location(&sym, None));
            n += 1;
            continue;
        }
        for f in &sym.frames {
            match &f.function {
                Some(func) => {
                    let _ = writeln!(
                        out,
                        "    #{n} {pc:#x} in {func} {}",
                        location(&sym, Some(f))
                    );
                }
                None => {
                    let _ = writeln!(out, "    #{n} {pc:#x} {}", location(&sym, Some(f)));
                }
            }
            n += 1;
        }
    }
    if frames.is_empty() {
        let _ = writeln!(out, "    <empty stack>");
    }
}

/// Prints a stored stack under `title` ("allocated by thread T0 here:").
pub fn print_stored_stack(out: &mut Out, what: &str, id: StackId) {
    match stack_depot::lookup(id) {
        Some(s) => {
            let _ = writeln!(out, "{what} by thread T{} here:", s.tid);
            print_frames(out, s.frames);
        }
        None => {
            let _ = writeln!(out, "{what} by an unknown thread (no stack recorded)");
        }
    }
}

/// The `SUMMARY:` location of the first frame: `file:line:col in func`.
pub fn summary_location(frames: &[usize]) -> String {
    let Some(&pc) = frames.first() else {
        return String::new();
    };
    let sym = symbolize_return_address(pc);
    let f = sym.frames.first();
    let loc = location(&sym, f);
    match f.and_then(|f| f.function.as_ref()) {
        Some(func) => format!("{loc} in {func}"),
        None => loc,
    }
}

/// Where `addr` lies relative to a block `[begin, begin + size)`:
/// `N bytes before`, `N bytes inside` or `N bytes after`. `addr` and
/// `begin` are printed as given (each with its own tag); the distance is
/// the classifier's, on untagged addresses.
pub fn region_line(addr: usize, begin: usize, size: usize) -> String {
    let (n, rel) = super::classify::position(addr, begin, size);
    let end = begin + size;
    format!("{addr:#x} is located {n} bytes {rel} a {size}-byte region [{begin:#x},{end:#x})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_lines() {
        assert_eq!(
            region_line(0x100d, 0x1000, 13),
            "0x100d is located 0 bytes after a 13-byte region [0x1000,0x100d)"
        );
        assert_eq!(
            region_line(0xff8, 0x1000, 13),
            "0xff8 is located 8 bytes before a 13-byte region [0x1000,0x100d)"
        );
        assert_eq!(
            region_line(0x1004, 0x1000, 40),
            "0x1004 is located 4 bytes inside a 40-byte region [0x1000,0x1028)"
        );
        // A stale pointer through another alias than the block's: the
        // distance is between untagged addresses.
        let block = crate::layout::with_tag(crate::layout::HEAP_BASE + 0x1000, 3);
        let stale = crate::layout::with_tag(crate::layout::HEAP_BASE + 0xff0, 8);
        assert!(
            region_line(stale, block, 16).contains(" is located 16 bytes before a 16-byte region")
        );
    }

    #[test]
    fn fixed_buf_truncates() {
        let mut b = [0u8; 4];
        let mut w = FixedBuf::new(&mut b);
        let _ = write!(w, "abcdef");
        assert_eq!(w.as_bytes(), b"abcd");
    }
}
