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

/// Lists the loaded modules. Called at report time only (it takes the
/// dynamic loader's lock).
pub fn loaded_modules() -> Vec<LoadedModule> {
    let mut out: Vec<LoadedModule> = Vec::new();
    unsafe { libc::dl_iterate_phdr(Some(callback), (&mut out as *mut Vec<LoadedModule>).cast()) };
    out
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
