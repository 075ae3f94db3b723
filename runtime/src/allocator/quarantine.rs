//! The quarantine: freed chunks wait here (tagged `SHADOW_FREED`) before
//! they can be reused, so a use after free hits freed memory rather than a
//! new block for longer.
//!
//! Invariants (tested below):
//! - FIFO: chunks leave in the order they were freed, batch by batch (a
//!   thread gathers up to `BATCH` frees before taking the global lock; its
//!   batch enters the global queue whole, and batches leave oldest first);
//! - bounded: after a push, the global queue holds at most `limit` bytes
//!   (plus at most one batch per thread still being gathered, < `BATCH`
//!   entries and `BATCH_BYTES` each).
//! - `limit == 0` disables it: frees go straight back to the free lists.

use crate::sync::SpinLock;
use std::boxed::Box;
use std::collections::VecDeque;

/// Entries in one batch.
pub const BATCH: usize = 64;
/// A batch is pushed once it holds this many bytes.
pub const BATCH_BYTES: usize = 256 * 1024;

/// A quarantined chunk: `class << 32 | index`.
pub type Entry = u64;

pub struct Batch {
    pub len: usize,
    pub bytes: usize,
    pub entries: [Entry; BATCH],
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

impl Batch {
    pub const fn new() -> Batch {
        Batch {
            len: 0,
            bytes: 0,
            entries: [0; BATCH],
        }
    }
    /// Adds an entry; true when the batch should be pushed.
    pub fn add(&mut self, e: Entry, bytes: usize) -> bool {
        self.entries[self.len] = e;
        self.len += 1;
        self.bytes += bytes;
        self.len == BATCH || self.bytes >= BATCH_BYTES
    }
    pub fn entries(&self) -> &[Entry] {
        &self.entries[..self.len]
    }
}

/// The global FIFO of batches.
pub struct Fifo {
    batches: VecDeque<Box<Batch>>,
    bytes: usize,
}

impl Default for Fifo {
    fn default() -> Self {
        Self::new()
    }
}

impl Fifo {
    pub const fn new() -> Fifo {
        Fifo {
            batches: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Appends `batch` (newest).
    pub fn add(&mut self, batch: Box<Batch>) {
        self.bytes += batch.bytes;
        self.batches.push_back(batch);
    }

    /// Takes the oldest batch if more than `limit` bytes are held.
    pub fn evict_one(&mut self, limit: usize) -> Option<Box<Batch>> {
        if self.bytes <= limit {
            return None;
        }
        let b = self.batches.pop_front()?;
        self.bytes -= b.bytes;
        Some(b)
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

static GLOBAL: SpinLock<Fifo> = SpinLock::new(Fifo::new());

/// The limit in force, in bytes.
pub fn limit() -> usize {
    crate::flags::flags().quarantine_size_mb << 20
}

/// Pushes a full batch into the global quarantine and hands every evicted
/// chunk to `recycle`, with the quarantine lock released (recycling takes
/// central-list locks). Returns one emptied batch for the caller to reuse,
/// so steady-state frees allocate no batches.
pub fn push(batch: Box<Batch>, recycle: &mut dyn FnMut(Entry)) -> Option<Box<Batch>> {
    let limit = limit();
    let mut pending = Some(batch);
    let mut spare: Option<Box<Batch>> = None;
    loop {
        let evicted = {
            let mut g = GLOBAL.lock();
            if let Some(b) = pending.take() {
                g.add(b);
            }
            g.evict_one(limit)
        };
        let Some(mut b) = evicted else { break };
        for &e in b.entries() {
            recycle(e);
        }
        b.len = 0;
        b.bytes = 0;
        spare = Some(b);
    }
    spare
}

/// Bytes held in the global queue.
pub fn global_bytes() -> usize {
    GLOBAL.lock().bytes()
}

/// Takes the quarantine lock (before `fork`).
pub fn fork_lock() {
    core::mem::forget(GLOBAL.lock());
}

/// Releases what `fork_lock` took.
///
/// # Safety
/// Only by the thread that called `fork_lock`, or its forked child.
pub unsafe fn fork_unlock() {
    unsafe { GLOBAL.force_unlock() };
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Fifo {
        fn push(&mut self, batch: Box<Batch>, limit: usize, evicted: &mut dyn FnMut(Box<Batch>)) {
            self.add(batch);
            while let Some(b) = self.evict_one(limit) {
                evicted(b);
            }
        }
    }

    fn batch(first: u64, n: usize, bytes_each: usize) -> Box<Batch> {
        let mut b = Box::new(Batch::new());
        for i in 0..n as u64 {
            b.add(first + i, bytes_each);
        }
        b
    }

    #[test]
    fn fifo_order_and_bound() {
        let mut q = Fifo::new();
        let mut out = Vec::new();
        let limit = 10_000;
        for k in 0..100u64 {
            q.push(batch(k * 10, 10, 100), limit, &mut |b| {
                out.extend_from_slice(b.entries())
            });
            assert!(q.bytes() <= limit, "bound holds after every push");
        }
        // Evicted strictly in free order.
        assert!(out.windows(2).all(|w| w[0] + 1 == w[1]));
        assert_eq!(out[0], 0);
        assert_eq!(q.bytes(), limit);
        assert_eq!(out.len(), 1000 - limit / 100);
    }

    #[test]
    fn zero_limit_evicts_at_once() {
        let mut q = Fifo::new();
        let mut n = 0;
        q.push(batch(0, 3, 16), 0, &mut |b| n += b.len);
        assert_eq!((n, q.bytes()), (3, 0));
    }

    #[test]
    fn batch_fills_by_count_or_bytes() {
        let mut b = Batch::new();
        for i in 0..BATCH - 1 {
            assert!(!b.add(i as u64, 16));
        }
        assert!(b.add(0, 16));
        let mut b = Batch::new();
        assert!(b.add(0, BATCH_BYTES));
    }
}
