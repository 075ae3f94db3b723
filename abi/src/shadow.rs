//! What a shadow byte means. One shadow byte describes one granule
//! ([`GRANULE_SIZE`](crate::layout::GRANULE_SIZE) bytes) of heap.
//!
//! Pointer tags are 1..2^tag_bits-1 (at most 63), so values with the top
//! bit set never equal a pointer's tag:
//! - `0x00`: never allocated (mapped zero pages)
//! - `0x01..=0x3f`: a whole granule of a block tagged with that value
//! - `0x81..=0x8f`: a short granule: the low 4 bits count its valid bytes and the
//!   block's real tag is stored in the granule's last byte (as in
//!   HWASan), so a one-byte overflow of a 13-byte block is caught
//! - `0xfe`: freed: no pointer can carry it, so every use after free is
//!   caught until the memory is reused

/// Shadow of memory that was never handed out.
pub const SHADOW_UNALLOCATED: u8 = 0x00;
/// Flag bit of a short granule's shadow byte.
pub const SHADOW_SHORT_FLAG: u8 = 0x80;
/// Shadow of freed memory.
pub const SHADOW_FREED: u8 = 0xfe;

/// Whether a shadow byte describes a short granule.
#[inline(always)]
pub const fn is_short_granule(shadow: u8) -> bool {
    shadow & 0xf0 == SHADOW_SHORT_FLAG && shadow != SHADOW_SHORT_FLAG
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::TAG_MASK;

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
