//! Out-of-line chunk metadata: 16 bytes per small chunk, in runtime-internal
//! memory (one `MAP_NORESERVE` array per class, indexed by chunk index), so
//! a heap overflow can never corrupt it and the user's bytes stay dense.
//!
//! Invariants (tested in `allocator::tests`):
//! - `state_word` packs requested size (18 bits, ≤ `MAX_SMALL`), tag
//!   (`MAX_TAG_BITS`), state (2) and kind (2); it is the only field whose updates race
//!   (double free), and it changes by compare-and-swap, so exactly one of
//!   two concurrent frees of a chunk wins;
//! - a chunk's metadata is written before its pointer is handed out and
//!   after its memory is retagged on free, so a report that reads it sees
//!   the life the memory tags describe.

use super::{AllocKind, ChunkState};
use core::sync::atomic::{AtomicU32, Ordering};

#[repr(C)]
pub struct Meta {
    pub word: AtomicU32,
    pub alloc_stack: AtomicU32,
    pub free_stack: AtomicU32,
    _reserved: u32,
}

const _: () = assert!(core::mem::size_of::<Meta>() == 16);

const SIZE_BITS: u32 = 18;
const TAG_SHIFT: u32 = SIZE_BITS;
const TAG_BITS: u32 = crate::layout::MAX_TAG_BITS;
const TAG_FIELD: u32 = (1 << TAG_BITS) - 1;
const STATE_SHIFT: u32 = TAG_SHIFT + TAG_BITS;
const KIND_SHIFT: u32 = STATE_SHIFT + 2;
const _: () = assert!(KIND_SHIFT + 2 <= 32, "the packed word fits in 32 bits");

/// The packed (size, tag, state, kind).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Word(pub u32);

impl Word {
    pub fn new(size: usize, tag: u8, state: ChunkState, kind: AllocKind) -> Word {
        debug_assert!(size < 1 << SIZE_BITS);
        Word(
            size as u32
                | ((tag as u32 & TAG_FIELD) << TAG_SHIFT)
                | ((state as u32) << STATE_SHIFT)
                | ((kind as u32) << KIND_SHIFT),
        )
    }
    pub fn size(self) -> usize {
        (self.0 & ((1 << SIZE_BITS) - 1)) as usize
    }
    pub fn tag(self) -> u8 {
        ((self.0 >> TAG_SHIFT) & TAG_FIELD) as u8
    }
    pub fn state(self) -> ChunkState {
        match (self.0 >> STATE_SHIFT) & 3 {
            0 => ChunkState::Unused,
            1 => ChunkState::Live,
            _ => ChunkState::Freed,
        }
    }
    pub fn kind(self) -> AllocKind {
        match (self.0 >> KIND_SHIFT) & 3 {
            0 => AllocKind::Malloc,
            1 => AllocKind::New,
            _ => AllocKind::NewArray,
        }
    }
    pub fn with_state(self, state: ChunkState) -> Word {
        Word((self.0 & !(3 << STATE_SHIFT)) | ((state as u32) << STATE_SHIFT))
    }
}

impl Meta {
    #[inline]
    pub fn load(&self) -> Word {
        Word(self.word.load(Ordering::Acquire))
    }
    #[inline]
    pub fn store(&self, w: Word) {
        self.word.store(w.0, Ordering::Release)
    }
    /// Moves `Live` (with `expected`'s other fields) to `Freed`; returns the
    /// word found if another free got there first.
    #[inline]
    pub fn try_free(&self, expected: Word) -> Result<(), Word> {
        self.word
            .compare_exchange(
                expected.0,
                expected.with_state(ChunkState::Freed).0,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(Word)
    }
}

/// The metadata arrays of every class, mapped once at init.
static mut TABLES: [usize; super::size_class::NUM_CLASSES] = [0; super::size_class::NUM_CLASSES];

/// Maps the metadata arrays (NORESERVE: untouched entries cost nothing).
pub fn init() {
    use super::size_class::*;
    for c in 1..NUM_CLASSES {
        let bytes = capacity(c) * core::mem::size_of::<Meta>();
        let p = crate::internal_alloc::map(bytes);
        if p.is_null() {
            crate::mapping::fatal("cannot map chunk metadata");
        }
        unsafe { (*core::ptr::addr_of_mut!(TABLES))[c] = p as usize };
    }
}

/// The metadata of chunk `idx` of class `c`.
#[inline]
pub fn meta(c: usize, idx: usize) -> &'static Meta {
    unsafe { &*((*core::ptr::addr_of!(TABLES))[c] as *const Meta).add(idx) }
}
