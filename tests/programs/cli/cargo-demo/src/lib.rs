//! The demo's library: its doctests link against the instrumented library,
//! so `tagsan cargo test` must give rustdoc the runtime too.

/// Sums bytes on the heap.
///
/// ```
/// let v = vec![1u8, 2, 3];
/// assert_eq!(cargo_demo::checksum(&v), 6);
/// ```
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().map(|&b| u32::from(b)).sum()
}
