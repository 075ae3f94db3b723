//! One report at a time, and what happens after it.
//!
//! A report takes the global report lock. Other threads that fail meanwhile
//! wait (if the report halts, they die with the process). A thread that
//! re-enters (a failed check or a fault while printing) cannot finish
//! anything: it prints one line and exits. Faults during the report are
//! caught by a temporary SIGSEGV/SIGBUS handler for the same reason, so a
//! broken symbolizer never hangs the process or loses the exit code.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use super::format::Out;

/// Reporting thread's tid + 1; 0 when no report is being printed.
static OWNER: AtomicU32 = AtomicU32::new(0);

/// pcs already reported in recover mode: each bug is reported once.
const SEEN_SLOTS: usize = 1024;
static SEEN: [AtomicUsize; SEEN_SLOTS] = [const { AtomicUsize::new(0) }; SEEN_SLOTS];

/// Saved handlers for SIGSEGV and SIGBUS while a report runs.
static mut SAVED: [core::mem::MaybeUninit<libc::sigaction>; 2] =
    [core::mem::MaybeUninit::uninit(); 2];
const SIGNALS: [i32; 2] = [libc::SIGSEGV, libc::SIGBUS];

pub struct Session {
    halt: bool,
}

fn me() -> u32 {
    crate::thread::current_tid().wrapping_add(1).max(1)
}

/// Prints `==PID==TagSanitizer: internal error: <why>` and exits.
fn die_internal(why: &str) -> ! {
    let mut out = Out::new();
    let _ = writeln!(out, "=={}==TagSanitizer: internal error: {why}", unsafe {
        libc::getpid()
    });
    out.flush();
    unsafe { libc::_exit(exit_code()) }
}

/// The `exitcode` flag, as is: `exitcode=0` is a deliberate request (as
/// with the other sanitizers) to let CI see the report but pass.
fn exit_code() -> i32 {
    crate::flags::flags().exitcode
}

/// Takes the report lock. `None` when this bug (`pc`) was already reported
/// and the report would continue anyway (`dedup_pc` is 0 when not deduped).
pub fn begin(halt: bool, dedup_pc: usize) -> Option<Session> {
    let me = me();
    let mut spins = 0u32;
    loop {
        match OWNER.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => break,
            Err(owner) if owner == me => {
                die_internal("a report was raised while printing a report; exiting")
            }
            Err(_) => {
                spins += 1;
                if spins < 64 {
                    core::hint::spin_loop();
                } else {
                    unsafe { libc::sched_yield() };
                }
            }
        }
    }
    if !halt && dedup_pc != 0 && !first_report_of(dedup_pc) {
        OWNER.store(0, Ordering::Release);
        return None;
    }
    install_fault_handlers();
    crate::output::begin_capture();
    Some(Session { halt })
}

/// Records `pc`; false if it was already there (table full: report again).
fn first_report_of(pc: usize) -> bool {
    let start = (pc.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) % SEEN_SLOTS;
    for i in 0..SEEN_SLOTS {
        let slot = &SEEN[(start + i) % SEEN_SLOTS];
        match slot.load(Ordering::Relaxed) {
            0 => {
                slot.store(pc, Ordering::Relaxed);
                return true;
            }
            v if v == pc => return false,
            _ => {}
        }
    }
    true
}

impl Session {
    /// Ends the report: the callback gets the text, then the process exits
    /// if halting (`_exit`: no atexit handlers or destructors, which could
    /// touch the corrupted heap, as the sanitizers' Die()), else the lock is
    /// released and the program continues.
    pub fn end(self) {
        crate::output::end_capture();
        if self.halt {
            let mut out = Out::new();
            let _ = writeln!(out, "=={}==ABORTING", unsafe { libc::getpid() });
            out.flush();
            unsafe { libc::_exit(exit_code()) }
        }
        restore_fault_handlers();
        OWNER.store(0, Ordering::Release);
    }
}

/// In a forked child: a report lock held by another thread of the parent
/// is released (that thread is gone). A child forked by the reporting
/// thread itself (a report callback that forks) keeps it.
pub fn reset_after_fork() {
    let owner = OWNER.load(Ordering::Acquire);
    if owner != 0 && owner != me() {
        OWNER.store(0, Ordering::Release);
    }
}

extern "C" fn on_fault(sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    if OWNER.load(Ordering::Acquire) == me() {
        let addr = unsafe { (*info).si_addr() } as usize;
        let mut buf = [0u8; 128];
        let mut w = super::format::FixedBuf::new(&mut buf);
        let _ = write!(
            w,
            "signal {sig} (fault at {addr:#x}) while printing a report; exiting"
        );
        die_internal(core::str::from_utf8(w.as_bytes()).unwrap_or("fault while printing a report"));
    }
    // Another thread's fault: give it the handler it had, and let the
    // faulting instruction run again.
    restore_fault_handlers();
}

fn install_fault_handlers() {
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction =
            on_fault as extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        for (i, &s) in SIGNALS.iter().enumerate() {
            let saved = &raw mut SAVED;
            libc::sigaction(s, &sa, (*saved)[i].as_mut_ptr());
        }
    }
}

fn restore_fault_handlers() {
    unsafe {
        for (i, &s) in SIGNALS.iter().enumerate() {
            let saved = &raw const SAVED;
            libc::sigaction(s, (*saved)[i].as_ptr(), core::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dedup_by_pc() {
        assert!(super::first_report_of(0x4242));
        assert!(!super::first_report_of(0x4242));
        assert!(super::first_report_of(0x4243));
    }
}
