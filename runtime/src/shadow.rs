//! Reading and writing memory tags, short granules included.
//!
//! A block of `size` bytes tagged `t` gets shadow `t` for each whole granule
//! and, if `size % 16 != 0`, a short granule: shadow `0x80 | (size % 16)`
//! and `t` stored in the granule's last byte (a byte past the block, so no
//! user data is lost). An access through tag `t` to the first `size % 16`
//! bytes of that granule matches; one byte further does not.

use crate::layout::*;

/// The shadow byte of the granule holding heap address `addr`.
#[inline(always)]
pub fn shadow_byte(addr: usize) -> u8 {
    unsafe { *(shadow_addr(addr) as *const u8) }
}

/// The tag a granule carries for matching: its shadow, or for a short
/// granule the tag stored in its last byte. `None` for free/unallocated.
pub fn granule_tag(addr: usize) -> Option<u8> {
    let s = shadow_byte(addr);
    if is_short_granule(s) {
        let last = untag(addr) | (GRANULE_SIZE - 1);
        Some(unsafe { *(last as *const u8) })
    } else if s != SHADOW_UNALLOCATED && s as usize <= TAG_MASK {
        Some(s)
    } else {
        None
    }
}

/// Fills `n` shadow bytes. Small chunks have a few shadow bytes (≤ 64 for
/// 1 KiB): word stores inline beat a call to memset there.
#[inline(always)]
unsafe fn fill(p: *mut u8, value: u8, n: usize) {
    if n > 64 {
        unsafe { core::ptr::write_bytes(p, value, n) };
        return;
    }
    let word = u64::from_ne_bytes([value; 8]);
    let mut i = 0;
    while i + 8 <= n {
        unsafe { (p.add(i) as *mut u64).write_unaligned(word) };
        i += 8;
    }
    while i < n {
        unsafe { *p.add(i) = value };
        i += 1;
    }
}

/// Sets the shadow of the granules covering `[addr, addr+len)` to `value`
/// (`addr` granule aligned).
#[inline(always)]
pub fn set(addr: usize, len: usize, value: u8) {
    let n = len.div_ceil(GRANULE_SIZE);
    unsafe { fill(shadow_addr(addr) as *mut u8, value, n) };
}

/// Like `set(.., 0)` for large ranges: whole shadow pages go back to the OS.
pub fn clear_large(addr: usize, len: usize) {
    let begin = shadow_addr(addr);
    let end = begin + len.div_ceil(GRANULE_SIZE);
    let page_begin = (begin + 4095) & !4095;
    let page_end = end & !4095;
    if page_begin >= page_end {
        unsafe { core::ptr::write_bytes(begin as *mut u8, 0, end - begin) };
        return;
    }
    unsafe {
        core::ptr::write_bytes(begin as *mut u8, 0, page_begin - begin);
        let _ = crate::sys::madvise(page_begin, page_end - page_begin, libc::MADV_DONTNEED);
        core::ptr::write_bytes(page_end as *mut u8, 0, end - page_end);
    }
}

/// Tags `size` bytes at alias-0 address `addr` (granule aligned) with `tag`,
/// and the rest of the `span` bytes of the chunk with `rest` (so slack after
/// the block never matches a pointer). `size == 0` gets a zero-length short
/// granule (shadow `0x80`): every access through the pointer is reported.
#[inline]
pub fn tag_block(addr: usize, size: usize, span: usize, tag: u8, rest: u8) {
    let whole = size / GRANULE_SIZE;
    let tail = size % GRANULE_SIZE;
    let sh = shadow_addr(addr) as *mut u8;
    let granules = span / GRANULE_SIZE;
    unsafe {
        fill(sh, tag, whole);
        let mut done = whole;
        if tail != 0 || size == 0 {
            *sh.add(whole) = SHADOW_SHORT_FLAG | tail as u8;
            *((addr + whole * GRANULE_SIZE + GRANULE_SIZE - 1) as *mut u8) = tag;
            done += 1;
        }
        if granules > done {
            fill(sh.add(done), rest, granules - done);
        }
    }
}

/// Where `[addr, addr+size)` first fails to match `addr`'s tag: the offset
/// of the first bad byte, or `None`. Non-heap addresses always match.
pub fn first_mismatch(addr: usize, size: usize) -> Option<usize> {
    if size == 0 || !is_heap(addr) {
        return None;
    }
    let tag = ptr_tag(addr);
    let end = addr + size;
    let mut g = addr & !(GRANULE_SIZE - 1);
    while g < end {
        let s = shadow_byte(g);
        let from = g.max(addr);
        if s != tag {
            if s & 0xf0 != SHADOW_SHORT_FLAG {
                return Some(from - addr);
            }
            // Short granule (0x80 is a zero-byte one): its tag sits in its
            // last byte, and only its first `s & 15` bytes are valid.
            let valid = (s & 0x0f) as usize;
            let stored = unsafe { *((untag(g) | (GRANULE_SIZE - 1)) as *const u8) };
            if stored != tag || valid == 0 {
                return Some(from - addr);
            }
            let limit = g + valid;
            if from >= limit {
                return Some(from - addr);
            }
            if end > limit {
                return Some(limit - addr);
            }
        }
        g += GRANULE_SIZE;
    }
    None
}
