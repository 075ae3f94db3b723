//! Where reports and warnings go: stderr, or the file named by `log_path`.
//! Writes go straight to the file descriptor, so nothing is lost if the
//! process dies right after, and nothing allocates from the user heap.

/// Writes all of `bytes` to the report stream.
pub fn write_all(bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            if n < 0 && unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return;
        }
        rest = &rest[n as usize..];
    }
}
