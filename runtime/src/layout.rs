//! The tag layout: the one place that says where tags live in a pointer,
//! where the heap and its aliases are, and how shadow memory encodes tags.
//!
//! Everything else (allocator, checks, reports, and later the pass's inline
//! fast path) computes addresses through these constants and functions, so
//! changing the layout is a change to this file only.
//!
//! ```text
//!   pointer:  | 0 .. 0 | 1 | tag (6 bits max) | offset in heap (39 bits) |
//!              63    46  45  44            39  38                       0
//! ```
//!
//! x86_64 CPUs without LAM translate every address bit, so a tag cannot sit
//! in ignored top bits. Instead the heap is one shared-memory file mapped once
//! per tag value, `ALIAS_STRIDE` apart: `HEAP_BASE + (tag << TAG_SHIFT) + off`
//! is a real address of heap byte `off` for every tag, and uninstrumented
//! code (libc, the kernel, Rust's std) can use a tagged pointer as it is.
//!
//! The whole heap region is `[HEAP_BASE, HEAP_BASE << 1)`, fixed whatever
//! `tag_bits` is: a check tests `addr >> HEAP_REGION_SHIFT == 1` and reads the
//! tag as six bits; aliases above `2^tag_bits` are simply never mapped or
//! handed out. Fixed addresses keep a future inline check to a shift, a mask
//! and a compare, with no load of a dynamic shadow base.

/// Bit where the pointer tag starts (also the log2 of the alias stride).
pub const TAG_SHIFT: u32 = 39;
/// Widest tag the layout has room for (`tag_bits` may be 3..=6).
pub const MAX_TAG_BITS: u32 = 6;
/// Narrowest tag `tag_bits` may ask for.
pub const MIN_TAG_BITS: u32 = 3;
/// Mask of a tag once shifted down.
pub const TAG_MASK: usize = (1 << MAX_TAG_BITS) - 1;
/// Distance between two aliases of the heap.
pub const ALIAS_STRIDE: usize = 1 << TAG_SHIFT;
/// Mask of the heap offset inside one alias.
pub const HEAP_OFFSET_MASK: usize = ALIAS_STRIDE - 1;
/// Log2 of the heap region's base; `addr >> HEAP_REGION_SHIFT == 1` is "heap".
pub const HEAP_REGION_SHIFT: u32 = TAG_SHIFT + MAX_TAG_BITS;
/// Start of alias 0 (the untagged view the runtime itself uses): 32 TiB.
pub const HEAP_BASE: usize = 1 << HEAP_REGION_SHIFT;
/// Bytes of heap (offsets) the allocator may hand out, per alias.
pub const HEAP_SIZE: usize = ALIAS_STRIDE;

/// Bytes covered by one shadow byte.
pub const GRANULE_SIZE: usize = 16;
/// Log2 of `GRANULE_SIZE`.
pub const GRANULE_SHIFT: u32 = 4;
/// Start of shadow memory (16 TiB): one byte per granule of heap offset.
pub const SHADOW_BASE: usize = 1 << 44;
/// Bytes of shadow for the whole heap.
pub const SHADOW_SIZE: usize = HEAP_SIZE >> GRANULE_SHIFT;

// Shadow byte encoding. Pointer tags are 1..2^tag_bits-1 (at most 63), so
// values with the top bit set never equal a pointer's tag:
//   0x00        never allocated (mapped zero pages)
//   0x01..0x3f  a whole granule of a block tagged with that value
//   0x81..0x8f  a short granule: the low 4 bits count its valid bytes and the
//               block's real tag is stored in the granule's last byte (as in
//               HWASan), so a one-byte overflow of a 13-byte block is caught
//   0xfe        freed: no pointer can carry it, so every use after free is
//               caught until the memory is reused
/// Shadow of memory that was never handed out.
pub const SHADOW_UNALLOCATED: u8 = 0x00;
/// Flag bit of a short granule's shadow byte.
pub const SHADOW_SHORT_FLAG: u8 = 0x80;
/// Shadow of freed memory.
pub const SHADOW_FREED: u8 = 0xfe;

/// The tag carried by `addr` (0 for addresses outside the heap region).
#[inline(always)]
pub const fn ptr_tag(addr: usize) -> u8 {
    if is_heap(addr) {
        ((addr >> TAG_SHIFT) & TAG_MASK) as u8
    } else {
        0
    }
}

/// Whether `addr` lies in the tagged heap region (any alias).
#[inline(always)]
pub const fn is_heap(addr: usize) -> bool {
    addr >> HEAP_REGION_SHIFT == 1
}

/// Offset of a heap address from the start of its alias.
#[inline(always)]
pub const fn heap_offset(addr: usize) -> usize {
    addr & HEAP_OFFSET_MASK
}

/// The alias-0 (untagged) address of a heap address; other addresses as is.
#[inline(always)]
pub const fn untag(addr: usize) -> usize {
    if is_heap(addr) {
        HEAP_BASE + heap_offset(addr)
    } else {
        addr
    }
}

/// `addr` seen through alias `tag`. Only meaningful for heap addresses.
#[inline(always)]
pub const fn with_tag(addr: usize, tag: u8) -> usize {
    HEAP_BASE + ((tag as usize) << TAG_SHIFT) + heap_offset(addr)
}

/// Address of the shadow byte of the granule holding heap address `addr`.
#[inline(always)]
pub const fn shadow_addr(addr: usize) -> usize {
    SHADOW_BASE + (heap_offset(addr) >> GRANULE_SHIFT)
}

/// Whether a shadow byte describes a short granule.
#[inline(always)]
pub const fn is_short_granule(shadow: u8) -> bool {
    shadow & 0xf0 == SHADOW_SHORT_FLAG && shadow != SHADOW_SHORT_FLAG
}

#[cfg(test)]
mod tests {
    use super::*;

    // Checked at compile time.
    const _: () = assert!(
        SHADOW_BASE + SHADOW_SIZE <= HEAP_BASE,
        "shadow below the heap"
    );
    const _: () = assert!(
        HEAP_BASE + ((TAG_MASK + 1) << TAG_SHIFT) <= 1 << 47,
        "heap fits in user space"
    );

    #[test]
    fn tag_round_trip() {
        let a = HEAP_BASE + 0x1234_5670;
        for t in 0..=TAG_MASK as u8 {
            let p = with_tag(a, t);
            assert!(is_heap(p));
            assert_eq!(ptr_tag(p), t);
            assert_eq!(untag(p), a);
            assert_eq!(shadow_addr(p), SHADOW_BASE + (0x1234_5670 >> 4));
        }
        assert!(!is_heap(0x7fff_0000_0000));
        assert_eq!(ptr_tag(0x7fff_0000_0000), 0);
    }

    #[test]
    fn shadow_codes_never_equal_a_pointer_tag() {
        for t in 1..=TAG_MASK as u8 {
            assert_ne!(t, SHADOW_FREED);
            assert!(!is_short_granule(t));
        }
        assert!(is_short_granule(SHADOW_SHORT_FLAG | 13));
        assert!(!is_short_granule(SHADOW_FREED));
    }
}
