//! The fast frame-pointer unwinder, and `Origin`: where a runtime entry
//! point was called from.
//!
//! The walk runs on every malloc and free, so it is a plain loop over saved
//! `rbp` values. Code built without frame pointers (libc, Rust's std) leaves
//! arbitrary values in `rbp`; every frame pointer is therefore validated
//! before it is dereferenced (aligned, inside this thread's stack, strictly
//! increasing, bounded count), so the walk stops early but never faults.

use core::cell::Cell;
use core::mem::MaybeUninit;

/// Where a runtime entry point (a check, malloc, free) was called from: the
/// return address into the caller and the caller's frame pointer. Stacks
/// start here, so the runtime's own frames never show in a report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Origin {
    pub pc: usize,
    pub frame: usize,
}

impl Origin {
    /// The origin of the calling function. Must be inlined into the
    /// `extern "C"` entry point itself (the runtime is built with frame
    /// pointers, so `rbp` is that entry point's frame).
    ///
    /// `rbp` is stored through a stack slot on purpose: LLVM's shrink
    /// wrapping moves the frame setup (`push rbp; mov rbp, rsp`) into the
    /// paths that need a frame, and a plain `mov {}, rbp` does not count as
    /// needing one, so a fast path that tail-calls would read the caller's
    /// `rbp` (garbage when the caller is libc). A stack slot forces the frame.
    #[inline(always)]
    pub fn of_caller() -> Origin {
        let mut fp = core::mem::MaybeUninit::<usize>::uninit();
        unsafe {
            core::arch::asm!("mov [{p}], rbp", p = in(reg) fp.as_mut_ptr(), options(nostack, preserves_flags));
            let fp = fp.assume_init();
            Origin {
                pc: *(fp as *const usize).add(1),
                frame: *(fp as *const usize),
            }
        }
    }

    /// The origin of the function that called this one (for tests and for
    /// runtime-internal callers that are not entry points).
    #[inline(never)]
    pub fn here() -> Origin {
        Self::of_caller()
    }
}

/// Stack bounds of a thread: `[lo, hi)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackBounds {
    pub lo: usize,
    pub hi: usize,
}

impl StackBounds {
    pub fn contains(&self, addr: usize) -> bool {
        self.lo <= addr && addr < self.hi
    }
}

// Per-thread cache of the stack bounds: the mapping that held the stack
// pointer when last looked up. (0, 0) = not computed yet.
//
// Not `pthread_getattr_np`: glibc's version takes the thread's lock and
// then mallocs (fopen of /proc/self/maps for the main thread, a cpu set
// for others), and Rust's std calls it at start-up; our malloc's stack
// capture calling it again would wait on that lock forever. Reading
// /proc/self/maps with raw syscalls needs no lock and no malloc.
thread_local! {
    static BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Bounds of the stack mapping holding `sp`, cached per thread. `None` if
/// no mapping holds it.
pub fn stack_bounds_for(sp: usize) -> Option<StackBounds> {
    let (lo, hi) = BOUNDS.with(|b| b.get());
    if lo <= sp && sp < hi {
        return Some(StackBounds { lo, hi });
    }
    // First use on this thread, a main stack that has grown below the
    // mapping we saw, or a signal alternate stack: look again.
    let (lo, hi) = mapping_containing(sp)?;
    BOUNDS.with(|c| c.set((lo, hi)));
    Some(StackBounds { lo, hi })
}

/// This thread's stack bounds (of the mapping holding the current frame).
pub fn current_stack_bounds() -> Option<StackBounds> {
    stack_bounds_for(current_sp())
}

/// Forgets the cached bounds.
pub fn reset_stack_bounds() {
    BOUNDS.with(|b| b.set((0, 0)));
}

/// The `[start, end)` of the mapping in /proc/self/maps holding `addr`.
pub fn mapping_containing(addr: usize) -> Option<(usize, usize)> {
    let fd = unsafe {
        libc::open(
            c"/proc/self/maps".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 4096];
    let mut have = 0usize;
    let mut found = None;
    'read: loop {
        let n = unsafe { libc::read(fd, buf[have..].as_mut_ptr().cast(), buf.len() - have) };
        if n <= 0 {
            break;
        }
        have += n as usize;
        let mut start = 0;
        while let Some(nl) = buf[start..have].iter().position(|&c| c == b'\n') {
            if let Some((lo, hi)) = parse_range(&buf[start..start + nl]) {
                if lo <= addr && addr < hi {
                    found = Some((lo, hi));
                    break 'read;
                }
            }
            start += nl + 1;
        }
        // Keep the partial last line for the next read.
        buf.copy_within(start..have, 0);
        have -= start;
        if have == buf.len() {
            break; // a line longer than the buffer: give up
        }
    }
    unsafe { libc::close(fd) };
    found
}

/// Parses the `start-end` at the head of a /proc/self/maps line.
fn parse_range(line: &[u8]) -> Option<(usize, usize)> {
    let mut parts = line.split(|&c| c == b' ').next()?.split(|&c| c == b'-');
    let hex = |s: &[u8]| -> Option<usize> {
        if s.is_empty() || s.len() > 16 {
            return None;
        }
        s.iter().try_fold(0usize, |v, &c| {
            Some(v << 4 | (c as char).to_digit(16)? as usize)
        })
    };
    Some((hex(parts.next()?)?, hex(parts.next()?)?))
}

/// The current stack pointer (approximately: this function's frame).
#[inline(always)]
fn current_sp() -> usize {
    let sp: usize;
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}

/// Walks the stack from `origin`, writing return addresses (innermost
/// first, `origin.pc` first) into `out`. Returns how many were written.
pub fn unwind(origin: Origin, out: &mut [usize]) -> usize {
    // SAFETY: `usize` and `MaybeUninit<usize>` have the same layout, and
    // the walk only writes initialized values.
    let out = unsafe { &mut *(out as *mut [usize] as *mut [MaybeUninit<usize>]) };
    unwind_uninit(origin, out)
}

/// `unwind` into an uninitialized buffer: the malloc path's stack buffer is
/// not zeroed first (zeroing 2 KiB cost more than the walk itself). The
/// first n entries are initialized on return.
pub fn unwind_uninit(origin: Origin, out: &mut [MaybeUninit<usize>]) -> usize {
    if out.is_empty() || origin.pc == 0 {
        return 0;
    }
    let sp = current_sp();
    // Frames live between the stack pointer and the top of its mapping.
    // Without a mapping only the pc is certain.
    let bounds = match stack_bounds_for(sp) {
        Some(b) => StackBounds { lo: sp, hi: b.hi },
        None => StackBounds { lo: sp, hi: sp },
    };
    unsafe { walk_uninit(origin, bounds, out) }
}

/// The frame-pointer walk itself, within `bounds`.
///
/// # Safety
/// Every address in `bounds` must be readable.
pub unsafe fn walk(origin: Origin, bounds: StackBounds, out: &mut [usize]) -> usize {
    walk_uninit(
        origin,
        bounds,
        &mut *(out as *mut [usize] as *mut [MaybeUninit<usize>]),
    )
}

unsafe fn walk_uninit(
    origin: Origin,
    bounds: StackBounds,
    out: &mut [MaybeUninit<usize>],
) -> usize {
    out[0].write(origin.pc);
    let mut n = 1;
    let mut fp = origin.frame;
    while n < out.len() {
        // A frame record is two words: saved rbp, then the return address.
        if fp % core::mem::align_of::<usize>() != 0
            || fp < bounds.lo
            || fp > bounds.hi.saturating_sub(16)
        {
            break;
        }
        let next = *(fp as *const usize);
        let ret = *((fp + 8) as *const usize);
        // Return addresses below the first page are garbage (and 0 marks the
        // outermost frame of a thread), and so is one inside the stack: the
        // record was a stack slot of code without frame pointers (libffi
        // called from python3), not a frame.
        if ret < 4096 || bounds.contains(ret) {
            break;
        }
        out[n].write(ret);
        n += 1;
        // Frames only grow towards higher addresses; anything else is an
        // `rbp` used as a general register by code without frame pointers.
        if next <= fp {
            break;
        }
        fp = next;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn nested(depth: usize, out: &mut [usize]) -> usize {
        if depth == 0 {
            unwind(Origin::here(), out)
        } else {
            let n = nested(depth - 1, out);
            core::hint::black_box(n)
        }
    }

    #[test]
    fn bounds_contain_the_current_frame() {
        let b = current_stack_bounds().expect("bounds of the test thread");
        let local = 0u8;
        assert!(b.contains(&local as *const u8 as usize));
    }

    #[test]
    fn walks_nested_frames_and_respects_the_limit() {
        let mut out = [0usize; 64];
        let n = nested(10, &mut out);
        // The ten recursive frames at least (tests are built with frame
        // pointers only if asked; accept a short walk but never garbage).
        assert!(n >= 1);
        assert!(out[..n].iter().all(|&pc| pc >= 4096));
        let mut small = [0usize; 3];
        assert!(nested(10, &mut small) <= 3);
    }

    #[test]
    fn garbage_frame_pointers_stop_the_walk() {
        let b = current_stack_bounds().unwrap();
        let mut out = [0usize; 16];
        for fp in [
            0usize,
            1,
            7,
            0x1000,
            usize::MAX - 7,
            b.hi,
            b.lo.wrapping_sub(16),
        ] {
            let n = unsafe {
                walk(
                    Origin {
                        pc: 0x1234,
                        frame: fp,
                    },
                    b,
                    &mut out,
                )
            };
            assert_eq!(n, 1, "fp {fp:#x}");
            assert_eq!(out[0], 0x1234);
        }
    }

    #[test]
    fn loops_and_downward_links_stop_the_walk() {
        // A fake chain on our own stack: a frame that links to itself.
        let mut frames = [0usize; 8];
        let base = frames.as_mut_ptr() as usize;
        frames[..2].copy_from_slice(&[base, 0x5000]); // saved rbp = itself
        let b = StackBounds {
            lo: base,
            hi: base + 64,
        };
        let mut out = [0usize; 16];
        let n = unsafe {
            walk(
                Origin {
                    pc: 0x1234,
                    frame: frames.as_ptr() as usize,
                },
                b,
                &mut out,
            )
        };
        assert_eq!(&out[..n], &[0x1234, 0x5000]);
        // Increasing chain: 3 records then a zero return address.
        let mut chain = [0usize; 8];
        let base = chain.as_mut_ptr() as usize;
        chain.copy_from_slice(&[base + 16, 0x6000, base + 32, 0x7000, base + 48, 0, 0, 0]);
        let b = StackBounds {
            lo: base,
            hi: base + 64,
        };
        let n = unsafe {
            walk(
                Origin {
                    pc: 1 << 20,
                    frame: chain.as_ptr() as usize,
                },
                b,
                &mut out,
            )
        };
        assert_eq!(&out[..n], &[1 << 20, 0x6000, 0x7000]);
    }

    #[test]
    fn parses_maps_lines() {
        assert_eq!(
            parse_range(b"7ffd1000-7ffd2000 rw-p 00000000 00:00 0  [stack]"),
            Some((0x7ffd1000, 0x7ffd2000))
        );
        assert_eq!(parse_range(b"garbage"), None);
    }

    #[test]
    fn threads_get_their_own_bounds() {
        let main = current_stack_bounds().unwrap();
        let other = std::thread::spawn(|| current_stack_bounds().unwrap())
            .join()
            .unwrap();
        assert_ne!(main, other);
    }
}
