//! The modules (executable and shared objects) loaded in the process, from
//! `dl_iterate_phdr`: their names, load bias and mapped segments.

/// One loaded module.
pub struct LoadedModule {
    /// File name; the executable's is read from /proc/self/exe.
    pub name: String,
    /// Load bias: run-time address minus the address in the file.
    pub bias: usize,
    /// Run-time `[start, end)` of each PT_LOAD segment.
    pub segments: Vec<(usize, usize)>,
}

impl LoadedModule {
    pub fn contains(&self, addr: usize) -> bool {
        self.segments.iter().any(|&(s, e)| s <= addr && addr < e)
    }
}

/// Held while `dl_iterate_phdr` runs, and across `fork`: glibc (2.36) does
/// not reset the loader lock `dl_iterate_phdr` takes in a forked child, so
/// a child forked while another thread's report listed modules would wait
/// forever in its own first report. With this lock taken by the fork
/// handlers, no runtime thread is inside `dl_iterate_phdr` at a fork.
static LISTING: crate::sync::SpinLock<()> = crate::sync::SpinLock::new(());

/// Lists the loaded modules. Called at report time only (it takes the
/// dynamic loader's lock).
pub fn loaded_modules() -> Vec<LoadedModule> {
    let mut out: Vec<LoadedModule> = Vec::new();
    let _listing = LISTING.lock();
    // SAFETY: the callback only reads the loader's records and pushes to
    // `out`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(callback), (&mut out as *mut Vec<LoadedModule>).cast()) };
    out
}

/// Takes `LISTING` for `fork` (`unlock_after_fork` releases it).
pub fn lock_for_fork() {
    core::mem::forget(LISTING.lock());
}

/// Releases `LISTING` after `fork` (parent and child).
pub fn unlock_after_fork() {
    // SAFETY: taken by `lock_for_fork` in this thread (or the forked child).
    unsafe { LISTING.force_unlock() };
}

unsafe extern "C" fn callback(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut libc::c_void,
) -> libc::c_int {
    let out = &mut *(data as *mut Vec<LoadedModule>);
    let info = &*info;
    let bias = info.dlpi_addr as usize;
    let mut segments = Vec::new();
    for i in 0..info.dlpi_phnum as usize {
        let ph = &*info.dlpi_phdr.add(i);
        if ph.p_type == libc::PT_LOAD {
            let start = bias.wrapping_add(ph.p_vaddr as usize);
            segments.push((start, start + ph.p_memsz as usize));
        }
    }
    let name = if info.dlpi_name.is_null() || *info.dlpi_name == 0 {
        // The first entry is the executable, with an empty name.
        if out.is_empty() {
            self_exe()
        } else {
            String::new()
        }
    } else {
        core::ffi::CStr::from_ptr(info.dlpi_name)
            .to_string_lossy()
            .into_owned()
    };
    out.push(LoadedModule {
        name,
        bias,
        segments,
    });
    0
}

fn self_exe() -> String {
    let mut buf = [0u8; 4096];
    let n = unsafe {
        libc::readlink(
            c"/proc/self/exe".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n <= 0 {
        return String::from("<unknown module>");
    }
    String::from_utf8_lossy(&buf[..n as usize]).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_this_executable() {
        let mods = super::loaded_modules();
        let here = super::loaded_modules as fn() -> Vec<super::LoadedModule> as usize;
        let m = mods
            .iter()
            .find(|m| m.contains(here))
            .expect("module of this function");
        assert!(m.name.contains("tagsan_runtime"), "{}", m.name);
    }
}
