//! Fallible allocation: `try_reserve` of a size no machine can back must
//! come back as an `Err`, not stop the program. Under `tagsan cargo` the
//! runtime returns NULL for impossible requests
//! (`allocator_may_return_null=1`, the Rust default `tagsan cargo` links in).

use std::collections::{HashMap, TryReserveError, VecDeque};

/// 1 TiB: beyond any machine's RAM + swap, and within `isize::MAX` (so the
/// request reaches the allocator instead of failing Rust's own check).
pub const ABSURD: usize = 1 << 40;

/// Tries every collection's `try_reserve` with an absurd size, then a
/// sensible one: the first must fail, the second work.
pub fn reserve_everything() -> Result<usize, TryReserveError> {
    let mut v: Vec<u64> = Vec::new();
    assert!(v.try_reserve(ABSURD / 8).is_err(), "Vec::try_reserve(1 TiB) succeeded");
    let mut s = String::new();
    assert!(s.try_reserve(ABSURD).is_err(), "String::try_reserve(1 TiB) succeeded");
    let mut d: VecDeque<u8> = VecDeque::new();
    assert!(d.try_reserve(ABSURD).is_err(), "VecDeque::try_reserve(1 TiB) succeeded");
    let mut m: HashMap<u64, u64> = HashMap::new();
    assert!(m.try_reserve(ABSURD / 16).is_err(), "HashMap::try_reserve succeeded");
    v.try_reserve(1000)?;
    v.extend(0..1000);
    Ok(v.iter().sum::<u64>() as usize)
}

#[cfg(test)]
mod tests {
    #[test]
    fn absurd_try_reserve_is_an_error_and_sensible_ones_work() {
        assert_eq!(super::reserve_everything().unwrap(), 499_500);
    }
}
