//! Choosing tags: random, non-zero, and never equal to a neighbour's.
//!
//! Tag 0 is alias 0, the runtime's untagged view, and matches the shadow of
//! never-allocated memory; the allocator only hands it out when tagging is
//! disabled. A new chunk's tag differs from its neighbours' tags (small
//! chunks: the adjacent chunks' last tags from their metadata, live or
//! freed; large ones: the memory tag just before and just after the
//! extent), so a linear overflow into the next chunk always mismatches
//! whatever `tag_bits` and never reads as a use after free of a freed
//! neighbour, and from the
//! chunk's own previous tag, so a stale pointer to the chunk's last life
//! mismatches too.
//!
//! Limit: two threads allocating the two chunks of an adjacent pair at the
//! same instant may each see the other as free and pick the same tag (odds
//! `1/(2^tag_bits - 1)` in that rare window). Fresh chunks come in
//! contiguous per-thread batches, so this needs recycled chunks handed to
//! different threads.

use core::cell::Cell;

thread_local! {
    /// xorshift32 state; 0 until seeded.
    static RNG: Cell<u32> = const { Cell::new(0) };
}

fn seed() -> u32 {
    let tsc = unsafe { core::arch::x86_64::_rdtsc() };
    let local = 0u8;
    let mixed =
        (tsc ^ (&local as *const u8 as u64).rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((mixed >> 32) as u32) | 1
}

/// A fast per-thread pseudo-random number (xorshift32).
#[inline]
pub fn random() -> u32 {
    RNG.with(|r| {
        let mut x = r.get();
        if x == 0 {
            x = seed();
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        r.set(x);
        x
    })
}

/// The largest tag usable with the tag bits in force.
#[inline]
pub fn max_tag() -> u8 {
    ((1u32 << crate::mapping::tag_bits().max(crate::layout::MIN_TAG_BITS)) - 1) as u8
}

/// A random tag in `1..=max_tag()` different from each of `avoid` (entries
/// of 0 avoid nothing). There are at least 7 tags and at most 3 to avoid,
/// so this always terminates quickly.
pub fn choose(avoid: [u8; 3]) -> u8 {
    let max = max_tag() as u32;
    loop {
        // Multiply-high maps a 32-bit random number onto 0..max without a
        // division.
        let t = (((random() as u64 * max as u64) >> 32) + 1) as u8;
        if !avoid.contains(&t) {
            return t;
        }
    }
}

/// A random tag in `1..=max_tag()` (`__hwasan_generate_tag`).
pub fn generate() -> u8 {
    choose([0; 3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_avoids_and_is_nonzero() {
        crate::init::ensure_init();
        for _ in 0..10_000 {
            let t = choose([1, 2, 3]);
            assert!(t >= 4 && t <= max_tag(), "{t}");
        }
        let mut seen = [false; 64];
        for _ in 0..10_000 {
            seen[generate() as usize] = true;
        }
        assert!(!seen[0]);
        assert!(
            seen[1..=max_tag() as usize].iter().all(|&s| s),
            "every tag is reachable"
        );
    }
}
