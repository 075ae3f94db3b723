//! The tagged heap allocator. What the rest of the runtime may ask of it is
//! the small interface below (used by reports to describe an address).

/// How a block was allocated or freed, for alloc/dealloc mismatch reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocKind {
    Malloc,
    New,
    NewArray,
}

/// Where a chunk is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkState {
    /// Never handed out.
    Unused,
    Live,
    /// Freed, waiting in quarantine or on a free list.
    Freed,
}

/// What the allocator knows of one chunk.
#[derive(Clone, Copy, Debug)]
pub struct ChunkInfo {
    /// Untagged (alias-0) address of the chunk's first byte.
    pub begin: usize,
    /// Bytes the chunk spans in the heap (its size class).
    pub chunk_size: usize,
    /// Bytes the user asked for (at the last allocation).
    pub requested_size: usize,
    /// Tag of the last allocation.
    pub tag: u8,
    pub state: ChunkState,
    pub kind: AllocKind,
    pub alloc_stack: crate::stack_depot::StackId,
    pub free_stack: crate::stack_depot::StackId,
}

/// The chunk whose span contains heap address `addr` (any alias).
pub fn chunk_at(_addr: usize) -> Option<ChunkInfo> {
    None
}

/// The chunk that ends where `chunk` begins, if any.
pub fn chunk_before(_chunk: &ChunkInfo) -> Option<ChunkInfo> {
    None
}

/// The chunk that begins where `chunk` ends, if any.
pub fn chunk_after(_chunk: &ChunkInfo) -> Option<ChunkInfo> {
    None
}
