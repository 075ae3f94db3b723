//! The "Memory tags around the buggy address" dump: shadow bytes, sixteen
//! granules (256 bytes of heap) per row, the buggy granule in brackets, and
//! the real tags of short granules (kept in their last byte) below it.

use core::fmt::Write;

use super::format::Out;
use crate::layout::{self, GRANULE_SIZE, HEAP_BASE, HEAP_SIZE};

/// Granules per row.
const ROW: usize = 16;
/// Rows printed on each side of the buggy one.
const CONTEXT_ROWS: usize = 4;

/// Whether `len` bytes at `addr` are mapped (mincore fails on holes), so
/// the dump never faults on a shadow or heap page that does not exist.
fn is_mapped(addr: usize, len: usize) -> bool {
    let page = 4096;
    let start = addr & !(page - 1);
    let end = (addr + len + page - 1) & !(page - 1);
    let mut vec = [0u8; 8];
    let mut p = start;
    while p < end {
        if unsafe { libc::mincore(p as *mut libc::c_void, page, vec.as_mut_ptr()) } != 0 {
            return false;
        }
        p += page;
    }
    true
}

/// Reads the shadow byte of the granule at heap offset `off`.
pub fn shadow_at(off: usize) -> Option<u8> {
    let a = layout::SHADOW_BASE + (off >> layout::GRANULE_SHIFT);
    is_mapped(a, 1).then(|| unsafe { core::ptr::read_volatile(a as *const u8) })
}

/// The real tag of a short granule at heap offset `off` (its last byte).
pub fn short_granule_tag(off: usize) -> Option<u8> {
    let a = HEAP_BASE + (off & !(GRANULE_SIZE - 1)) + GRANULE_SIZE - 1;
    is_mapped(a, 1).then(|| unsafe { core::ptr::read_volatile(a as *const u8) })
}

/// Formats one row: `=>0x...: 05  05 [8d] fe ...`. `cell` gives the text
/// of each granule (None = not readable).
pub fn format_row(
    out: &mut impl Write,
    row_addr: usize,
    buggy: Option<usize>,
    cell: &mut dyn FnMut(usize) -> Option<String>,
) {
    let marker = if buggy.is_some() { "=>" } else { "  " };
    let _ = write!(out, "{marker}{row_addr:#x}:");
    for i in 0..ROW {
        let text = cell(i).unwrap_or_else(|| String::from("??"));
        // Cells are ` 05 `, the buggy one `[05]`; the last cell's trailing
        // space is left out.
        let close = if i + 1 == ROW { "" } else { " " };
        if buggy == Some(i) {
            let _ = write!(out, "[{text}]");
        } else {
            let _ = write!(out, " {text}{close}");
        }
    }
    let _ = writeln!(out);
}

/// Prints the dump around heap address `addr`. Rows are labelled with
/// addresses in `addr`'s alias, so they read like the pointers in the
/// lines above.
pub fn print(out: &mut Out, addr: usize) {
    if !layout::is_heap(addr) {
        return;
    }
    let off = layout::heap_offset(addr);
    let granule = off / GRANULE_SIZE;
    let row_granule = granule - granule % ROW;
    let rows = |n: usize| {
        let first = row_granule.saturating_sub(n * ROW);
        let last = (row_granule + n * ROW).min(HEAP_SIZE / GRANULE_SIZE - ROW);
        (first..=last).step_by(ROW)
    };
    let _ = writeln!(
        out,
        "Memory tags around the buggy address (one tag corresponds to {GRANULE_SIZE} bytes):"
    );
    for r in rows(CONTEXT_ROWS) {
        let buggy = (r == row_granule).then_some(granule - r);
        format_row(
            out,
            layout::with_tag(r * GRANULE_SIZE, layout::ptr_tag(addr)),
            buggy,
            &mut |i| shadow_at((r + i) * GRANULE_SIZE).map(|s| format!("{s:02x}")),
        );
    }
    let _ = writeln!(out, "Tags for short granules around the buggy address (one tag corresponds to {GRANULE_SIZE} bytes):");
    for r in rows(1) {
        let buggy = (r == row_granule).then_some(granule - r);
        format_row(
            out,
            layout::with_tag(r * GRANULE_SIZE, layout::ptr_tag(addr)),
            buggy,
            &mut |i| {
                let g = (r + i) * GRANULE_SIZE;
                match shadow_at(g) {
                    Some(s) if layout::is_short_granule(s) => {
                        short_granule_tag(g).map(|t| format!("{t:02x}"))
                    }
                    Some(_) => Some(String::from("..")),
                    None => None,
                }
            },
        );
    }
    let _ = writeln!(
        out,
        "A short granule's shadow is 0x80 + the count of its valid bytes; its real tag is kept in its last byte (listed above)."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_format_marks_the_buggy_granule() {
        let mut s = String::new();
        let vals = [0x05u8, 0x05, 0x8d, 0xfe];
        format_row(&mut s, 0x2000_0000_0000, Some(2), &mut |i| {
            Some(format!("{:02x}", vals.get(i).copied().unwrap_or(0)))
        });
        assert_eq!(
            s,
            format!(
                "=>0x200000000000: 05  05 [8d] fe {} 00\n",
                " 00 ".repeat(11)
            )
        );
        let mut s = String::new();
        format_row(&mut s, 0x100, None, &mut |_| Some(String::from("..")));
        assert!(s.starts_with("  0x100: ..  .. "));
    }

    #[test]
    fn unmapped_memory_is_detected() {
        assert!(!is_mapped(0x1000, 1));
        let x = 5u8;
        assert!(is_mapped(&x as *const u8 as usize, 1));
    }
}
