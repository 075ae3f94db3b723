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

/// In a forked child: the capture lock may have been held by a thread that
/// does not exist there (the report callback runs under it).
pub fn reset_after_fork() {
    // SAFETY: the child has one thread; the forking thread itself holds the
    // lock only inside `end_capture`, which stores `false` on return anyway.
    unsafe { CAPTURE.force_unlock() };
}

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

/// The pid for which opening `log_path` failed (0: none): its reports go to
/// stderr, after one warning.
static LOG_FAILED_PID: AtomicI32 = AtomicI32::new(0);

/// The descriptor of the report stream, opening `log_path.<pid>` if set.
/// Only an opened log file is cached: warnings printed while the options
/// are still being parsed go to stderr without deciding for later reports.
/// A log file that cannot be opened gets one warning line on stderr, and
/// the reports go to stderr.
fn report_fd() -> i32 {
    let path = crate::flags::flags().log_path();
    match path {
        b"" | b"stderr" => return 2,
        b"stdout" => return 1,
        _ => {}
    }
    let pid = crate::sys::getpid();
    let fd = FD.load(Ordering::Acquire);
    if fd >= 0 && FD_PID.load(Ordering::Acquire) == pid {
        return fd;
    }
    if LOG_FAILED_PID.load(Ordering::Acquire) == pid {
        return 2;
    }
    let mut name = [0u8; 300];
    let fd = match log_file_name(path, pid, &mut name) {
        Some(len) => {
            let c = core::ffi::CStr::from_bytes_with_nul(&name[..=len]).ok();
            c.map_or(Err(libc::ENAMETOOLONG), |c| {
                crate::sys::open(
                    c,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC,
                    0o644,
                )
            })
        }
        None => Err(libc::ENAMETOOLONG),
    };
    match fd {
        Ok(fd) => {
            FD.store(fd as i32, Ordering::Release);
            FD_PID.store(pid, Ordering::Release);
            fd as i32
        }
        Err(e) => {
            if LOG_FAILED_PID.swap(pid, Ordering::AcqRel) != pid {
                warn_log_path(path, &name, e);
            }
            2
        }
    }
}

/// Writes `<path>.<pid>\0` into `out`; the length without the NUL.
fn log_file_name(path: &[u8], pid: i32, out: &mut [u8; 300]) -> Option<usize> {
    let mut w = crate::report::format::FixedBuf::new(out);
    let _ = core::fmt::write(
        &mut w,
        format_args!("{}.{}", core::str::from_utf8(path).ok()?, pid),
    );
    let n = w.len();
    if n + 1 >= out.len() {
        return None;
    }
    out[n] = 0;
    Some(n)
}

/// A few errno values in words (`strerror` is libc's, and may allocate).
pub fn errno_text(e: i32) -> &'static str {
    match e {
        libc::ENOENT => "No such file or directory",
        libc::EACCES => "Permission denied",
        libc::EROFS => "Read-only file system",
        libc::ENOTDIR => "Not a directory",
        libc::EISDIR => "Is a directory",
        libc::ENAMETOOLONG => "File name too long",
        libc::ENOSPC => "No space left on device",
        libc::EMFILE => "Too many open files",
        _ => "cannot be opened",
    }
}

/// One warning line, on stderr: the log file cannot be written.
fn warn_log_path(path: &[u8], name: &[u8], e: i32) {
    let n = name.iter().position(|&c| c == 0).unwrap_or(0);
    let file = if n > 0 { &name[..n] } else { path };
    for piece in [
        &b"tagsan: warning: cannot write reports to log_path file '"[..],
        file,
        b"' (",
        errno_text(e).as_bytes(),
        b"): they go to stderr\n",
    ] {
        write_fd(2, piece);
    }
}

/// At start-up: warns (once, on stderr) if `log_path` names a file that
/// cannot be created, so a user learns it before the first report is lost,
/// without creating a log file for a run that reports nothing.
pub fn check_log_path() {
    let path = crate::flags::flags().log_path();
    if matches!(path, b"" | b"stderr" | b"stdout") {
        return;
    }
    let dir_len = path.iter().rposition(|&c| c == b'/').unwrap_or(0);
    let mut dir = [0u8; 260];
    let dir_path: &[u8] = match (path.first(), dir_len) {
        (Some(b'/'), 0) => b"/",
        (_, 0) => b".",
        _ => &path[..dir_len],
    };
    dir[..dir_path.len()].copy_from_slice(dir_path);
    let Ok(c) = core::ffi::CStr::from_bytes_until_nul(&dir) else {
        return;
    };
    // SAFETY: a NUL-terminated path; faccessat only reads it.
    let r = unsafe {
        crate::sys::syscall6(
            libc::SYS_faccessat,
            libc::AT_FDCWD as isize as usize,
            c.as_ptr() as usize,
            (libc::W_OK | libc::X_OK) as usize,
            0,
            0,
            0,
        )
    };
    if let Err(e) = r {
        let pid = crate::sys::getpid();
        LOG_FAILED_PID.store(pid, Ordering::Release);
        let mut name = [0u8; 300];
        let _ = log_file_name(path, pid, &mut name);
        warn_log_path(path, &name, e);
    }
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
    // A raw system call: the program's own `write` may call malloc.
    crate::sys::write_all(fd, bytes);
}
