//! Raw Linux system calls, for the runtime's own use.
//!
//! The runtime is linked into the program, so a call to `libc::mmap` binds
//! to whatever `mmap` the program (or an `LD_PRELOAD` library, or another
//! sanitizer's interceptor) defines. Such a wrapper may call `malloc`, i.e.
//! the runtime, while the runtime is initializing or holds a lock: it would
//! wait on itself forever. So start-up, the allocator's paths, the fork
//! handlers and the report stream make their system calls here, through
//! the `syscall` instruction, which nothing can interpose. They also leave
//! `errno` alone: errors come back as `Err(errno)`.

use core::arch::asm;

/// A system call's result: the value, or the error number.
pub type SysResult = Result<usize, i32>;

#[inline(always)]
fn result(ret: isize) -> SysResult {
    // The kernel returns -4095..=-1 for errors.
    if (-4095..0).contains(&ret) {
        Err(-ret as i32)
    } else {
        Ok(ret as usize)
    }
}

/// `syscall(nr, a..)` with up to six arguments.
///
/// # Safety
/// The arguments must be valid for system call `nr`.
#[inline(always)]
pub unsafe fn syscall6(
    nr: i64,
    a: usize,
    b: usize,
    c: usize,
    d: usize,
    e: usize,
    f: usize,
) -> SysResult {
    let ret: isize;
    // SAFETY: the x86_64 Linux system call convention; rcx and r11 are
    // clobbered by `syscall`. The caller vouches for the arguments.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a,
            in("rsi") b,
            in("rdx") c,
            in("r10") d,
            in("r8") e,
            in("r9") f,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result(ret)
}

/// `syscall6` with fewer arguments.
///
/// # Safety
/// As `syscall6`.
#[inline(always)]
pub unsafe fn syscall3(nr: i64, a: usize, b: usize, c: usize) -> SysResult {
    // SAFETY: the caller vouches for the arguments (as `syscall6`).
    unsafe { syscall6(nr, a, b, c, 0, 0, 0) }
}

/// Retries `f` while it fails with EINTR.
#[inline]
fn retry(mut f: impl FnMut() -> SysResult) -> SysResult {
    loop {
        match f() {
            Err(libc::EINTR) => continue,
            r => return r,
        }
    }
}

pub fn mmap(addr: usize, len: usize, prot: i32, flags: i32, fd: i32, off: usize) -> SysResult {
    // SAFETY: mmap creates mappings; with MAP_FIXED it may replace the
    // caller's own, which callers only do on ranges they own.
    unsafe {
        syscall6(
            libc::SYS_mmap,
            addr,
            len,
            prot as usize,
            flags as usize,
            fd as isize as usize,
            off,
        )
    }
}

/// Anonymous private memory (`MAP_NORESERVE`): the runtime's own.
pub fn map_anonymous(len: usize) -> SysResult {
    mmap(
        0,
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
        -1,
        0,
    )
}

pub fn munmap(addr: usize, len: usize) -> SysResult {
    // SAFETY: unmapping only affects the caller's own range.
    unsafe { syscall3(libc::SYS_munmap, addr, len, 0) }
}

pub fn mprotect(addr: usize, len: usize, prot: i32) -> SysResult {
    // SAFETY: as munmap.
    unsafe { syscall3(libc::SYS_mprotect, addr, len, prot as usize) }
}

pub fn madvise(addr: usize, len: usize, advice: i32) -> SysResult {
    // SAFETY: advice on the caller's own range.
    unsafe { syscall3(libc::SYS_madvise, addr, len, advice as usize) }
}

/// `memfd_create(name, flags)`; `name` is NUL-terminated.
pub fn memfd_create(name: &core::ffi::CStr, flags: u32) -> SysResult {
    // SAFETY: a valid C string.
    unsafe {
        syscall3(
            libc::SYS_memfd_create,
            name.as_ptr() as usize,
            flags as usize,
            0,
        )
    }
}

pub fn ftruncate(fd: i32, len: usize) -> SysResult {
    // SAFETY: plain values.
    retry(|| unsafe { syscall3(libc::SYS_ftruncate, fd as usize, len, 0) })
}

pub fn fallocate(fd: i32, mode: i32, off: usize, len: usize) -> SysResult {
    // SAFETY: plain values.
    retry(|| unsafe {
        syscall6(
            libc::SYS_fallocate,
            fd as usize,
            mode as usize,
            off,
            len,
            0,
            0,
        )
    })
}

/// `open(path, flags, mode)`; `path` is NUL-terminated.
pub fn open(path: &core::ffi::CStr, flags: i32, mode: u32) -> SysResult {
    // SAFETY: a valid C string.
    retry(|| unsafe {
        syscall6(
            libc::SYS_openat,
            libc::AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            flags as usize,
            mode as usize,
            0,
            0,
        )
    })
}

pub fn read(fd: i32, buf: &mut [u8]) -> SysResult {
    // SAFETY: the buffer is writable for its length.
    retry(|| unsafe {
        syscall3(
            libc::SYS_read,
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

pub fn write(fd: i32, buf: &[u8]) -> SysResult {
    // SAFETY: the buffer is readable for its length.
    retry(|| unsafe {
        syscall3(
            libc::SYS_write,
            fd as usize,
            buf.as_ptr() as usize,
            buf.len(),
        )
    })
}

/// Writes all of `buf` (short writes continue; errors give up).
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf = &buf[n..],
        }
    }
}

pub fn pwrite(fd: i32, buf: *const u8, len: usize, off: usize) -> SysResult {
    // SAFETY: the caller's buffer is readable for `len` bytes.
    retry(|| unsafe {
        syscall6(
            libc::SYS_pwrite64,
            fd as usize,
            buf as usize,
            len,
            off,
            0,
            0,
        )
    })
}

pub fn close(fd: i32) {
    // SAFETY: closing a descriptor the caller owns.
    let _ = unsafe { syscall3(libc::SYS_close, fd as usize, 0, 0) };
}

pub fn lseek(fd: i32, off: usize, whence: i32) -> SysResult {
    // SAFETY: plain values.
    unsafe { syscall3(libc::SYS_lseek, fd as usize, off, whence as usize) }
}

/// `copy_file_range(from, &from_off, to, &to_off, len, 0)`.
pub fn copy_file_range(
    from: i32,
    from_off: usize,
    to: i32,
    to_off: usize,
    len: usize,
) -> SysResult {
    let mut src = from_off as i64;
    let mut dst = to_off as i64;
    // SAFETY: the offsets are valid for writes during the call.
    retry(|| unsafe {
        syscall6(
            libc::SYS_copy_file_range,
            from as usize,
            &mut src as *mut i64 as usize,
            to as usize,
            &mut dst as *mut i64 as usize,
            len,
            0,
        )
    })
}

pub fn pipe2(flags: i32) -> Result<[i32; 2], i32> {
    let mut fds = [-1i32; 2];
    // SAFETY: room for two descriptors.
    unsafe {
        syscall3(
            libc::SYS_pipe2,
            fds.as_mut_ptr() as usize,
            flags as usize,
            0,
        )
    }?;
    Ok(fds)
}

/// `fstat(fd)`: (size, bytes of storage allocated).
pub fn fstat_sizes(fd: i32) -> Result<(usize, usize), i32> {
    // SAFETY: all-zero is a valid `stat`; the kernel fills it.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    unsafe {
        syscall3(
            libc::SYS_fstat,
            fd as usize,
            &mut st as *mut libc::stat as usize,
            0,
        )
    }?;
    Ok((st.st_size as usize, st.st_blocks as usize * 512))
}

pub fn getpid() -> i32 {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_getpid, 0, 0, 0) }.unwrap_or(0) as i32
}

pub fn gettid() -> i32 {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_gettid, 0, 0, 0) }.unwrap_or(0) as i32
}

pub fn sched_yield() {
    // SAFETY: no arguments.
    let _ = unsafe { syscall3(libc::SYS_sched_yield, 0, 0, 0) };
}

/// Sleeps for `ns` nanoseconds (less if interrupted).
pub fn nanosleep(ns: u64) {
    let ts = libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    };
    // SAFETY: a valid timespec; no remainder wanted.
    let _ = unsafe {
        syscall3(
            libc::SYS_nanosleep,
            &ts as *const libc::timespec as usize,
            0,
            0,
        )
    };
}

/// `futex(word, op | FUTEX_PRIVATE_FLAG, val)` without a timeout.
pub fn futex(word: &core::sync::atomic::AtomicU32, op: i32, val: u32) {
    // SAFETY: a valid futex word for the call's duration.
    let _ = unsafe {
        syscall6(
            libc::SYS_futex,
            word.as_ptr() as usize,
            (op | libc::FUTEX_PRIVATE_FLAG) as usize,
            val as usize,
            0,
            0,
            0,
        )
    };
}

/// `membarrier(cmd, 0, 0)`.
pub fn membarrier(cmd: i64) -> SysResult {
    // SAFETY: plain values.
    unsafe { syscall3(libc::SYS_membarrier, cmd as usize, 0, 0) }
}

/// The soft and hard limits of `resource` (`RLIM_INFINITY` = `u64::MAX`).
pub fn getrlimit(resource: u32) -> Result<(u64, u64), i32> {
    let mut lim = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: prlimit64(0 = self, resource, NULL, &old).
    unsafe {
        syscall6(
            libc::SYS_prlimit64,
            0,
            resource as usize,
            0,
            &mut lim as *mut libc::rlimit64 as usize,
            0,
            0,
        )
    }?;
    Ok((lim.rlim_cur, lim.rlim_max))
}

/// Sets the soft and hard limits of `resource`.
pub fn setrlimit(resource: u32, soft: u64, hard: u64) -> SysResult {
    let lim = libc::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: prlimit64(0 = self, resource, &new, NULL).
    unsafe {
        syscall6(
            libc::SYS_prlimit64,
            0,
            resource as usize,
            &lim as *const libc::rlimit64 as usize,
            0,
            0,
            0,
        )
    }
}

/// RAM and swap of the machine, in bytes: (total RAM, total swap).
pub fn memory_totals() -> Option<(u64, u64)> {
    // SAFETY: all-zero is a valid `sysinfo`; the kernel fills it.
    let mut si: libc::sysinfo = unsafe { core::mem::zeroed() };
    unsafe {
        syscall3(
            libc::SYS_sysinfo,
            &mut si as *mut libc::sysinfo as usize,
            0,
            0,
        )
    }
    .ok()?;
    let unit = (si.mem_unit as u64).max(1);
    Some((si.totalram as u64 * unit, si.totalswap as u64 * unit))
}

/// Reads up to `buf.len()` bytes of file `path` (a /proc or /sys file);
/// the number of bytes read.
pub fn read_file(path: &core::ffi::CStr, buf: &mut [u8]) -> Option<usize> {
    let fd = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0).ok()? as i32;
    let mut n = 0;
    while n < buf.len() {
        match read(fd, &mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    close(fd);
    Some(n)
}

/// Ends the process at once (no atexit handlers, no flushing).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: exit_group does not return.
    unsafe {
        let _ = syscall3(libc::SYS_exit_group, code as usize, 0, 0);
    }
    unreachable!("exit_group returned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_errors() {
        // SAFETY: getpid has no preconditions.
        assert_eq!(getpid(), unsafe { libc::getpid() });
        let p = map_anonymous(8192).unwrap();
        // SAFETY: a fresh writable mapping of 8 KiB.
        unsafe { *(p as *mut u8) = 1 };
        munmap(p, 8192).unwrap();
        assert_eq!(close_bad(), Err(libc::EBADF));
        assert!(memory_totals().unwrap().0 > 0);
        let (soft, hard) = getrlimit(libc::RLIMIT_NOFILE).unwrap();
        assert!(soft <= hard);
        let mut buf = [0u8; 64];
        let n = read_file(c"/proc/self/stat", &mut buf).unwrap();
        assert!(n > 0);
    }

    fn close_bad() -> SysResult {
        // SAFETY: closing a descriptor number that cannot be open.
        unsafe { syscall3(libc::SYS_close, usize::MAX >> 1, 0, 0) }
    }
}
