//! Unit tests of the allocator's invariants, on the real heap mapping (the
//! test process maps it once, on first use; tests run concurrently, which
//! the allocator must handle anyway).

use super::*;
use crate::shadow::{first_mismatch, shadow_byte};

fn origin() -> Origin {
    Origin::default()
}

fn malloc(size: usize) -> usize {
    let p = allocate(size, 16, AllocKind::Malloc, false, origin()) as usize;
    assert_ne!(p, 0);
    p
}

fn free(p: usize) {
    deallocate(p as *mut u8, AllocKind::Malloc, origin());
}

#[test]
fn word_packs_and_unpacks() {
    for (size, tag, state, kind) in [
        (0, 1, ChunkState::Live, AllocKind::Malloc),
        (MAX_SMALL, 63, ChunkState::Freed, AllocKind::NewArray),
        (13, 7, ChunkState::Unused, AllocKind::New),
    ] {
        let w = Word::new(size, tag, state, kind);
        assert_eq!(
            (w.size(), w.tag(), w.state(), w.kind()),
            (size, tag, state, kind)
        );
        assert_eq!(w.with_state(ChunkState::Freed).state(), ChunkState::Freed);
        assert_eq!(w.with_state(ChunkState::Freed).tag(), tag);
    }
}

#[test]
fn pointers_are_tagged_and_shadow_matches() {
    for size in [
        1,
        15,
        16,
        17,
        100,
        256,
        257,
        1000,
        4096,
        100_000,
        MAX_SMALL,
        MAX_SMALL + 1,
        1 << 20,
    ] {
        let p = malloc(size);
        let tag = ptr_tag(p);
        assert!(
            tag >= 1 && tag <= crate::tags::max_tag(),
            "size {size} tag {tag}"
        );
        assert_eq!(
            first_mismatch(p, size),
            None,
            "whole block accessible, size {size}"
        );
        assert_eq!(
            first_mismatch(p, size + 1),
            Some(size),
            "one past the end caught, size {size}"
        );
        // A pointer with any other tag mismatches at once.
        let other = with_tag(p, if tag == 1 { 2 } else { 1 });
        assert_eq!(first_mismatch(other, 1), Some(0));
        unsafe { core::ptr::write_bytes(p as *mut u8, 0x5a, size) };
        free(p);
    }
}

#[test]
fn short_granules_are_byte_exact() {
    let p = malloc(13);
    let g = untag(p);
    assert_eq!(shadow_byte(g), SHADOW_SHORT_FLAG | 13);
    assert_eq!(
        unsafe { *((g + 15) as *const u8) },
        ptr_tag(p),
        "real tag in the granule's last byte"
    );
    assert_eq!(first_mismatch(p, 13), None);
    assert_eq!(first_mismatch(p + 12, 1), None);
    assert_eq!(first_mismatch(p + 13, 1), Some(0));
    assert_eq!(first_mismatch(p + 8, 8), Some(5));
    free(p);
}

#[test]
fn malloc_zero_is_unique_and_never_accessible() {
    let a = malloc(0);
    let b = malloc(0);
    assert_ne!(untag(a), untag(b));
    assert_eq!(first_mismatch(a, 1), Some(0));
    assert_eq!(chunk_at(a).unwrap().requested_size, 0);
    free(a);
    free(b);
}

#[test]
fn neighbours_never_share_a_tag() {
    // Allocate many blocks that fill whole chunks (so neighbours touch) and
    // check every live pair of adjacent chunks.
    for size in [16, 48, 64, 320] {
        let blocks: Vec<usize> = (0..2000).map(|_| malloc(size)).collect();
        let mut checked = 0;
        for &p in &blocks {
            let c = chunk_at(p).unwrap();
            for n in [chunk_before(&c), chunk_after(&c)].into_iter().flatten() {
                if n.state == ChunkState::Live {
                    assert_ne!(n.tag, c.tag, "neighbours {:#x} and {:#x}", c.begin, n.begin);
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "enough adjacent pairs checked ({checked})");
        for p in blocks {
            free(p);
        }
    }
}

#[test]
fn a_new_block_never_takes_a_freed_neighbours_last_tag() {
    // Fresh chunks come in address order: a, b, then c right after b.
    // With b freed (and held in quarantine), c is a new block next to a
    // freed one: it must not carry b's tag, or an overflow off c into b
    // would read as a use after free of b.
    let mut keep = Vec::new();
    let mut checked = 0;
    for _ in 0..2000 {
        let a = malloc(48);
        let b = malloc(48);
        free(b);
        let c = malloc(48);
        let cc = chunk_at(c).unwrap();
        for n in [chunk_before(&cc), chunk_after(&cc)].into_iter().flatten() {
            if n.state == ChunkState::Freed {
                assert_ne!(
                    n.tag, cc.tag,
                    "{:#x} next to freed {:#x}",
                    cc.begin, n.begin
                );
                checked += 1;
            }
        }
        keep.extend([a, c]);
    }
    assert!(
        checked > 1000,
        "enough freed neighbours checked ({checked})"
    );
    for p in keep {
        free(p);
    }
}

#[test]
fn free_retags_the_whole_chunk() {
    let p = malloc(40);
    let c = chunk_at(p).unwrap();
    free(p);
    for g in (c.begin..c.begin + c.chunk_size).step_by(GRANULE_SIZE) {
        assert_eq!(shadow_byte(g), SHADOW_FREED);
    }
    let after = chunk_at(p).unwrap();
    assert_eq!(after.state, ChunkState::Freed);
    assert_eq!(after.tag, ptr_tag(p));
    assert_eq!(first_mismatch(p, 1), Some(0), "use after free caught");
}

#[test]
fn quarantine_delays_reuse() {
    assert!(quarantine::limit() > 0, "on by default");
    let p = malloc(24);
    let chunk = untag(p);
    free(p);
    // Far less than the quarantine holds: the chunk must not come back.
    let again: Vec<usize> = (0..5000).map(|_| malloc(24)).collect();
    assert!(
        again.iter().all(|&q| untag(q) != chunk),
        "freed chunk reused too early"
    );
    for q in again {
        free(q);
    }
}

#[test]
fn metadata_lookup_from_any_interior_address() {
    let p = allocate(1000, 16, AllocKind::NewArray, false, origin()) as usize;
    for off in [0, 1, 500, 999, 1023] {
        let c = chunk_at(p + off).unwrap();
        assert_eq!(c.begin, untag(p));
        assert_eq!(c.requested_size, 1000);
        assert_eq!(c.chunk_size, 1024);
        assert_eq!(c.tag, ptr_tag(p));
        assert_eq!(c.state, ChunkState::Live);
        assert_eq!(c.kind, AllocKind::NewArray);
    }
    deallocate(p as *mut u8, AllocKind::NewArray, origin());
    let big = allocate(300_000, 16, AllocKind::New, false, origin()) as usize;
    let c = chunk_at(big + 299_999).unwrap();
    assert_eq!(
        (c.begin, c.requested_size, c.kind, c.state),
        (untag(big), 300_000, AllocKind::New, ChunkState::Live)
    );
    assert_eq!(c.chunk_size % 4096, 0);
    deallocate(big as *mut u8, AllocKind::New, origin());
    assert_eq!(chunk_at(big).unwrap().state, ChunkState::Freed);
    assert!(chunk_at(HEAP_BASE + 8).is_none(), "region 0 holds no chunk");
}

#[test]
fn every_alignment_is_honoured() {
    let mut align = 16;
    while align <= 1 << 22 {
        for size in [1, 7, align - 1, align, align + 1, 3 * align] {
            let p = allocate(size, align, AllocKind::Malloc, false, origin()) as usize;
            assert_ne!(p, 0);
            assert_eq!(p % align, 0, "size {size} align {align}");
            assert_eq!(first_mismatch(p, size), None);
            free(p);
        }
        align *= 2;
    }
}

#[test]
fn calloc_zeroes_reused_small_chunks() {
    let p = malloc(64);
    unsafe { core::ptr::write_bytes(p as *mut u8, 0xff, 64) };
    free(p);
    for _ in 0..100 {
        let q = allocate(64, 16, AllocKind::Malloc, true, origin()) as usize;
        assert!(unsafe { core::slice::from_raw_parts(q as *const u8, 64) }
            .iter()
            .all(|&b| b == 0));
        free(q);
    }
}

/// Whether `len` bytes at `addr` all read as zero.
fn zeroed(addr: usize, len: usize) -> bool {
    unsafe { core::slice::from_raw_parts(addr as *const u8, len) }
        .iter()
        .all(|&b| b == 0)
}

#[test]
fn large_frees_release_memory_or_keep_it_tagged_freed() {
    // Beyond the cache's largest extent: punched out of the heap file at
    // once, so the pages read as zero and the shadow is dropped.
    let huge = malloc(8 << 20);
    unsafe { core::ptr::write_bytes(huge as *mut u8, 0xab, 8 << 20) };
    let huge0 = untag(huge);
    free(huge);
    assert!(zeroed(huge0, 8 << 20));
    assert_eq!(shadow_byte(huge0), 0);

    // Within it: the memory is kept for reuse and every granule reads
    // freed; the cache (32 MiB) holds 9 of these, so the oldest of 12 are
    // released. (An unusual size keeps other tests from reusing them.)
    const SIZE: usize = 3_670_016;
    let blocks: Vec<usize> = (0..12)
        .map(|_| {
            let b = malloc(SIZE);
            unsafe { core::ptr::write_bytes(b as *mut u8, 0xab, SIZE) };
            b
        })
        .collect();
    for &b in &blocks {
        free(b);
    }
    let newest = untag(blocks[11]);
    assert_eq!(shadow_byte(newest), SHADOW_FREED);
    assert_eq!(shadow_byte(newest + SIZE - 1), SHADOW_FREED);
    let oldest = untag(blocks[0]);
    assert!(zeroed(oldest, SIZE), "evicted from the cache: released");
    assert_eq!(shadow_byte(oldest), 0);

    // calloc may get a reused extent: it is zeroed and tagged afresh.
    let q = allocate(SIZE, 16, AllocKind::Malloc, true, origin()) as usize;
    assert!(zeroed(untag(q), SIZE));
    assert!(first_mismatch(q, SIZE).is_none());
    free(q);
}

#[test]
fn realloc_keeps_contents_and_retags() {
    let mut p = malloc(10) as *mut u8;
    unsafe { core::ptr::copy_nonoverlapping(b"0123456789".as_ptr(), p, 10) };
    for size in [20, 5, 1000, 200_000, 7] {
        let q = reallocate(p, size, origin());
        assert_ne!(untag(q as usize), untag(p as usize));
        let keep = size.min(5);
        assert_eq!(
            unsafe { core::slice::from_raw_parts(q, keep) },
            &b"01234"[..keep]
        );
        assert_eq!(chunk_at(p as usize).unwrap().state, ChunkState::Freed);
        assert_eq!(first_mismatch(q as usize, size), None);
        p = q;
    }
    free(p as usize);
}

#[test]
fn threads_allocate_concurrently_and_flush_at_exit() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut live = Vec::new();
                for i in 0..20_000usize {
                    let size = 1 + (i * 7 + t) % 600;
                    let p = malloc(size);
                    unsafe { *(p as *mut u8) = t as u8 };
                    live.push(p);
                    if live.len() > 64 {
                        let q = live.swap_remove(i % live.len());
                        assert_eq!(chunk_at(q).unwrap().state, ChunkState::Live);
                        free(q);
                    }
                }
                for p in live {
                    free(p);
                }
                // Flush as the pthread-key destructor would.
                thread_exit();
                // After the flush the thread still allocates (uncached).
                let p = malloc(8);
                free(p);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
