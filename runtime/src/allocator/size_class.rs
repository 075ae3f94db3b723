//! Size classes and where each lives in heap offset space.
//!
//! Invariants (tested below):
//! - classes `1..=16` are `16 * c` (16..=256 bytes); above 256 there are four
//!   classes per doubling (`2^l * (1 + i/4)`), up to `MAX_SMALL` = 128 KiB:
//!   at most 25% internal waste above 256 bytes, 15 bytes below;
//! - `class_size(class_of(n)) >= n` and the class below is `< n`;
//! - every class size is a multiple of 16, so every chunk is granule aligned;
//! - class `c`'s chunks live in region `c`, heap offsets
//!   `[c << REGION_SHIFT, (c+1) << REGION_SHIFT)`; region 0 is never used, so
//!   no heap pointer has offset 0; an offset's class is `off >> REGION_SHIFT`
//!   and its chunk index one division: address → chunk is O(1);
//! - a class whose size is a multiple of `a` has every chunk `a`-aligned
//!   (regions are 4 GiB aligned), and power-of-two classes exist for every
//!   power of two from 16 to `MAX_SMALL`, so any alignment up to `MAX_SMALL`
//!   is served by some class (`class_for`).
//! - large allocations (> `MAX_SMALL`, or alignment > a page) live in the
//!   large region, `[LARGE_BEGIN, HEAP_SIZE)`.

use crate::layout::HEAP_SIZE;

pub const REGION_SHIFT: u32 = 32;
/// Bytes of heap offset space per class.
pub const REGION_SIZE: usize = 1 << REGION_SHIFT;
/// Largest small allocation.
pub const MAX_SMALL: usize = 1 << 17;
/// Classes are `1..NUM_CLASSES`.
pub const NUM_CLASSES: usize = 53;
/// Where large allocations start (the upper half of the heap).
pub const LARGE_BEGIN: usize = 64 << REGION_SHIFT;
pub const LARGE_END: usize = HEAP_SIZE;

const _: () = assert!(NUM_CLASSES << REGION_SHIFT <= LARGE_BEGIN);

/// The smallest class holding `size` bytes (`size <= MAX_SMALL`; 0 → class 1).
#[inline]
pub fn class_of(size: usize) -> usize {
    if size <= 256 {
        return size.div_ceil(16).max(1);
    }
    let l = (usize::BITS - 1 - (size - 1).leading_zeros()) as usize; // 2^l < size <= 2^(l+1)
    let step = 1usize << (l - 2);
    let i = (size - (1 << l)).div_ceil(step); // 1..=4
    16 + (l - 8) * 4 + i
}

/// Bytes of a class-`c` chunk.
#[inline]
pub const fn class_size(c: usize) -> usize {
    if c <= 16 {
        return c * 16;
    }
    let l = 8 + (c - 17) / 4;
    let i = (c - 17) % 4 + 1;
    (1 << l) + i * (1 << (l - 2))
}

/// The class serving `size` bytes at alignment `align` (a power of two
/// ≤ `MAX_SMALL`), or `None` if it must be a large allocation.
#[inline]
pub fn class_for(size: usize, align: usize) -> Option<usize> {
    let need = size.max(align);
    if need > MAX_SMALL {
        return None;
    }
    let mut c = class_of(need);
    while class_size(c) % align != 0 {
        c += 1;
    }
    Some(c)
}

/// Heap offset where class `c`'s region starts.
#[inline]
pub const fn region_begin(c: usize) -> usize {
    c << REGION_SHIFT
}

/// Per class, precomputed so the hot paths never divide: size, capacity,
/// and the magic numbers of an exact division by the size.
#[derive(Clone, Copy)]
struct ClassInfo {
    size: u32,
    capacity: u32,
    magic: u64,
    shift: u32,
}

/// Division by `d` of any `n < 2^32` as `(n * magic) >> shift`, with
/// `shift = 32 + ceil(log2 d)` and `magic = floor(2^shift / d) + 1`
/// (Granlund & Montgomery: the error `magic * d - 2^shift <= d` stays below
/// `2^shift / n`).
const fn class_info(c: usize) -> ClassInfo {
    if c == 0 {
        return ClassInfo {
            size: 0,
            capacity: 0,
            magic: 0,
            shift: 0,
        };
    }
    let d = class_size(c) as u64;
    let log = 64 - (d - 1).leading_zeros();
    let shift = 32 + log;
    ClassInfo {
        size: d as u32,
        capacity: (REGION_SIZE as u64 / d) as u32,
        magic: (1u64 << shift) / d + 1,
        shift,
    }
}

static CLASSES: [ClassInfo; NUM_CLASSES] = {
    let mut t = [ClassInfo {
        size: 0,
        capacity: 0,
        magic: 0,
        shift: 0,
    }; NUM_CLASSES];
    let mut c = 0;
    while c < NUM_CLASSES {
        t[c] = class_info(c);
        c += 1;
    }
    t
};

/// Bytes of a class-`c` chunk, from the table.
#[inline(always)]
pub fn size_of_class(c: usize) -> usize {
    CLASSES[c].size as usize
}

/// Chunks a class region can hold.
#[inline(always)]
pub fn capacity(c: usize) -> usize {
    CLASSES[c].capacity as usize
}

/// `rel / class_size(c)` for `rel < REGION_SIZE`, without dividing.
#[inline(always)]
pub fn index_in_region(c: usize, rel: usize) -> usize {
    let info = CLASSES[c];
    ((rel as u128 * info.magic as u128) >> info.shift) as usize
}

/// Heap offset of chunk `idx` of class `c`.
#[inline(always)]
pub fn chunk_offset(c: usize, idx: usize) -> usize {
    region_begin(c) + idx * size_of_class(c)
}

/// The small class of heap offset `off`, if it is in a class region.
#[inline]
pub const fn class_of_offset(off: usize) -> Option<usize> {
    let c = off >> REGION_SHIFT;
    if c >= 1 && c < NUM_CLASSES {
        Some(c)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_size_tightly() {
        assert_eq!(class_size(1), 16);
        assert_eq!(class_size(16), 256);
        assert_eq!(class_size(17), 320);
        assert_eq!(class_size(NUM_CLASSES - 1), MAX_SMALL);
        for c in 1..NUM_CLASSES - 1 {
            assert!(class_size(c) < class_size(c + 1));
            assert_eq!(class_size(c) % 16, 0);
            assert_eq!(class_of(class_size(c)), c);
            assert_eq!(class_of(class_size(c) + 1), c + 1);
        }
        for n in 0..=MAX_SMALL {
            let c = class_of(n);
            assert!(class_size(c) >= n);
            assert!(c == 1 || class_size(c - 1) < n);
            if n > 256 {
                assert!(class_size(c) - n < n / 4 + 1, "waste of {n}");
            }
        }
    }

    #[test]
    fn aligned_classes_align_every_chunk() {
        let mut align = 16;
        while align <= MAX_SMALL {
            for size in [1, align / 2, align, align + 1, 3 * align] {
                if let Some(c) = class_for(size, align) {
                    assert!(class_size(c) >= size);
                    for idx in [0, 1, 7, capacity(c) - 1] {
                        assert_eq!(chunk_offset(c, idx) % align, 0);
                    }
                }
            }
            align *= 2;
        }
        assert!(class_for(MAX_SMALL + 1, 16).is_none());
    }

    #[test]
    fn division_by_magic_is_exact() {
        for c in 1..NUM_CLASSES {
            let d = class_size(c);
            assert_eq!(size_of_class(c), d);
            assert_eq!(capacity(c), REGION_SIZE / d);
            for idx in [0, 1, 2, 1000, capacity(c) / 2, capacity(c) - 1] {
                for delta in [0, 1, d / 2, d - 1] {
                    let rel = idx * d + delta;
                    assert_eq!(index_in_region(c, rel), rel / d, "class {c} rel {rel}");
                }
            }
            assert_eq!(index_in_region(c, REGION_SIZE - 1), (REGION_SIZE - 1) / d);
        }
    }

    #[test]
    fn offsets_map_back_to_classes() {
        for c in 1..NUM_CLASSES {
            assert_eq!(class_of_offset(chunk_offset(c, capacity(c) - 1)), Some(c));
        }
        assert_eq!(class_of_offset(0x10), None);
        assert_eq!(class_of_offset(LARGE_BEGIN), None);
    }
}
