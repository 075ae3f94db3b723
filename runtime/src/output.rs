//! Where reports and warnings go: stderr, or `<log_path>.<pid>` (the
//! sanitizers' convention; `log_path=stderr`/`stdout` name those streams).
//! Writes go straight to the file descriptor, so nothing is lost if the
//! process dies right after, and nothing allocates from the user heap.
//!
//! A report's text is also collected (in a fixed static buffer) for the
//! callback set by `__hwasan_set_error_report_callback` (kept by `abi`).

use core::sync::atomic::{AtomicI32, Ordering};

use crate::sync::SpinLock;

/// The descriptor reports go to, and the pid it was opened for (a forked
/// child opens its own `<log_path>.<pid>`). -1 = not opened yet.
static FD: AtomicI32 = AtomicI32::new(-1);
static FD_PID: AtomicI32 = AtomicI32::new(0);

/// Bytes of one report kept for the callback; the rest is cut.
const CAPTURE_BYTES: usize = 64 * 1024;

struct Capture {
    active: bool,
    len: usize,
    buf: [u8; CAPTURE_BYTES],
}

static CAPTURE: SpinLock<Capture> = SpinLock::new(Capture {
    active: false,
    len: 0,
    buf: [0; CAPTURE_BYTES],
});

/// Starts collecting what is written, for the report callback.
pub fn begin_capture() {
    let mut c = CAPTURE.lock();
    c.active = true;
    c.len = 0;
}

/// Stops collecting and hands the text to the report callback, if set.
pub fn end_capture() {
    let mut c = CAPTURE.lock();
    c.active = false;
    // Set by `__hwasan_set_error_report_callback`.
    let Some(callback) = crate::abi::error_report_callback() else {
        return;
    };
    let n = c.len.min(CAPTURE_BYTES - 1);
    c.buf[n] = 0;
    callback(c.buf.as_ptr().cast());
}

/// The descriptor of the report stream, opening `log_path.<pid>` if set.
/// Only an opened log file is cached: warnings printed while the options
/// are still being parsed go to stderr without deciding for later reports.
fn report_fd() -> i32 {
    let path = crate::flags::flags().log_path();
    match path {
        b"" | b"stderr" => return 2,
        b"stdout" => return 1,
        _ => {}
    }
    let pid = unsafe { libc::getpid() };
    let fd = FD.load(Ordering::Acquire);
    if fd >= 0 && FD_PID.load(Ordering::Acquire) == pid {
        return fd;
    }
    let fd = open_log(path, pid).unwrap_or(2);
    FD.store(fd, Ordering::Release);
    FD_PID.store(pid, Ordering::Release);
    fd
}

fn open_log(path: &[u8], pid: i32) -> Option<i32> {
    let mut name = [0u8; 300];
    let mut w = crate::report::format::FixedBuf::new(&mut name);
    let _ = core::fmt::write(
        &mut w,
        format_args!("{}.{}", core::str::from_utf8(path).ok()?, pid),
    );
    let n = w.len();
    if n + 1 >= name.len() {
        return None;
    }
    name[n] = 0;
    let fd = unsafe {
        libc::open(
            name.as_ptr().cast(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC,
            0o644,
        )
    };
    (fd >= 0).then_some(fd)
}

/// Writes all of `bytes` to the report stream (and the capture, if on).
pub fn write_all(bytes: &[u8]) {
    if let Some(mut c) = CAPTURE.try_lock() {
        if c.active {
            let at = c.len;
            let n = bytes
                .len()
                .min(CAPTURE_BYTES - 1 - at.min(CAPTURE_BYTES - 1));
            c.buf[at..at + n].copy_from_slice(&bytes[..n]);
            c.len += n;
        }
    }
    write_fd(report_fd(), bytes);
}

fn write_fd(fd: i32, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            if n < 0 && unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return;
        }
        rest = &rest[n as usize..];
    }
}
