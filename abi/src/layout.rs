//! The tag layout: where tags live in a pointer, where the heap and its
//! aliases are, and where the shadow of each heap granule is.
//!
//! The runtime (allocator, checks, reports) computes addresses through these
//! constants and functions, and the pass emits the same arithmetic inline,
//! so changing the layout is a change to this file only.
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
//! and a compare, with no load of a dynamic shadow base (the pass's inline
//! checks are exactly that).

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

/// The tag field of any pointer (six bits), without asking whether it is a
/// heap pointer: what an inline check compares with the shadow.
#[inline(always)]
pub const fn tag_field(addr: usize) -> u8 {
    ((addr >> TAG_SHIFT) & TAG_MASK) as u8
}

// The layout's own consistency, checked at compile time.
const _: () = assert!(
    SHADOW_BASE + SHADOW_SIZE <= HEAP_BASE,
    "shadow below the heap"
);
const _: () = assert!(
    HEAP_BASE + ((TAG_MASK + 1) << TAG_SHIFT) <= 1 << 47,
    "heap fits in user space"
);
const _: () = assert!(1 << GRANULE_SHIFT == GRANULE_SIZE);
const _: () = assert!(MIN_TAG_BITS <= MAX_TAG_BITS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_round_trip() {
        let a = HEAP_BASE + 0x1234_5670;
        for t in 0..=TAG_MASK as u8 {
            let p = with_tag(a, t);
            assert!(is_heap(p));
            assert_eq!(ptr_tag(p), t);
            assert_eq!(tag_field(p), t);
            assert_eq!(untag(p), a);
            assert_eq!(shadow_addr(p), SHADOW_BASE + (0x1234_5670 >> 4));
        }
        assert!(!is_heap(0x7fff_0000_0000));
        assert_eq!(ptr_tag(0x7fff_0000_0000), 0);
    }
}
