//! Reading an environment variable at start-up without calling `getenv`.
//!
//! `getenv` is a libc function the program may define itself (or an
//! `LD_PRELOAD` library, or another runtime's interceptor), and such a
//! definition may call `malloc`: during start-up that is the runtime
//! re-entering itself. So the runtime reads `environ` directly, and when it
//! is not set yet (a `malloc` from the dynamic loader, before libc's own
//! start-up ran) the process's initial environment from
//! `/proc/self/environ`, through raw system calls.

use core::ffi::c_char;

extern "C" {
    /// libc's environment (`char **environ`).
    static environ: *const *const c_char;
}

/// Bytes of a value read from `/proc/self/environ` (longer ones are cut).
pub const MAX_VALUE: usize = 4096;

/// Where a value read from `/proc/self/environ` is kept (start-up only).
pub struct ValueBuf {
    buf: [u8; MAX_VALUE],
    len: usize,
}

impl ValueBuf {
    pub const fn new() -> ValueBuf {
        ValueBuf {
            buf: [0; MAX_VALUE],
            len: 0,
        }
    }
}

impl Default for ValueBuf {
    fn default() -> Self {
        Self::new()
    }
}

/// The value of variable `name`, from `environ` or, if that is not set up
/// yet, `/proc/self/environ` (copied into `scratch`). Allocates nothing and
/// calls no interposable function.
pub fn get<'a>(name: &[u8], scratch: &'a mut ValueBuf) -> Option<&'a [u8]> {
    // SAFETY: reading the pointer libc keeps; null before libc's start-up.
    let env = unsafe { core::ptr::read_volatile(&raw const environ) };
    if !env.is_null() {
        return from_environ(env, name);
    }
    from_proc(name, scratch)
}

/// Looks `name` up in a NULL-terminated array of `NAME=value` strings.
fn from_environ<'a>(env: *const *const c_char, name: &[u8]) -> Option<&'a [u8]> {
    let mut at = env;
    loop {
        // SAFETY: `env` is a NULL-terminated array of C strings (libc's
        // environment), read before any other thread may change it.
        let entry = unsafe { *at };
        if entry.is_null() {
            return None;
        }
        // SAFETY: a NUL-terminated string of the environment.
        let bytes = unsafe { core::ffi::CStr::from_ptr(entry) }.to_bytes();
        if let Some(value) = value_of(bytes, name) {
            return Some(value);
        }
        // SAFETY: not past the terminating NULL (checked above).
        at = unsafe { at.add(1) };
    }
}

/// `value` if `entry` is `name=value`.
fn value_of<'a>(entry: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    (entry.len() > name.len() && entry.starts_with(name) && entry[name.len()] == b'=')
        .then(|| &entry[name.len() + 1..])
}

/// Scans `/proc/self/environ` (`NAME=value\0...`) a block at a time.
fn from_proc<'a>(name: &[u8], out: &'a mut ValueBuf) -> Option<&'a [u8]> {
    let fd =
        crate::sys::open(c"/proc/self/environ", libc::O_RDONLY | libc::O_CLOEXEC, 0).ok()? as i32;
    let mut block = [0u8; 1024];
    // How much of the current entry matched `name=` so far; `None` once it
    // cannot match; `Some(name.len() + 1)` while copying the value.
    let mut matched = Some(0usize);
    let mut found = false;
    out.len = 0;
    'read: loop {
        let n = match crate::sys::read(fd, &mut block) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &c in &block[..n] {
            if c == 0 {
                if found {
                    break 'read;
                }
                matched = Some(0);
                continue;
            }
            if found {
                if out.len < MAX_VALUE {
                    out.buf[out.len] = c;
                    out.len += 1;
                }
                continue;
            }
            matched = match matched {
                Some(i) if i < name.len() && name[i] == c => Some(i + 1),
                Some(i) if i == name.len() && c == b'=' => {
                    found = true;
                    None
                }
                _ => None,
            };
        }
    }
    crate::sys::close(fd);
    found.then(|| &out.buf[..out.len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_in_environ_and_proc() {
        // The test process's own environment: PATH is set under cargo.
        let mut scratch = ValueBuf::new();
        let via_environ = get(b"PATH", &mut scratch).map(|v| v.to_vec());
        assert_eq!(
            via_environ.as_deref(),
            std::env::var("PATH").ok().as_deref().map(str::as_bytes)
        );
        let mut scratch = ValueBuf::new();
        let initial = std::fs::read("/proc/self/environ").unwrap();
        let want = initial
            .split(|&c| c == 0)
            .find_map(|e| value_of(e, b"PATH"))
            .map(|v| v.to_vec());
        assert_eq!(from_proc(b"PATH", &mut scratch).map(|v| v.to_vec()), want);
        assert_eq!(from_proc(b"PAT", &mut ValueBuf::new()), None);
        assert_eq!(get(b"TAGSAN_NO_SUCH_VARIABLE", &mut ValueBuf::new()), None);
    }

    #[test]
    fn names_match_whole() {
        assert_eq!(value_of(b"AB=1", b"AB"), Some(&b"1"[..]));
        assert_eq!(value_of(b"ABC=1", b"AB"), None);
        assert_eq!(value_of(b"AB", b"AB"), None);
        assert_eq!(value_of(b"AB=", b"AB"), Some(&b""[..]));
    }
}
