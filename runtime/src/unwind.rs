//! The fast frame-pointer unwinder, and `Origin`: where a runtime entry
//! point was called from.

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
    #[inline(always)]
    pub fn of_caller() -> Origin {
        let fp: usize;
        unsafe {
            core::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags));
            Origin { pc: *(fp as *const usize).add(1), frame: *(fp as *const usize) }
        }
    }
}
