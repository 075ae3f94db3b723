//! In-process symbolization from DWARF, at report time only: for each pc the
//! module (`dl_iterate_phdr`), its file mapped read-only, and function (with
//! inlined frames), file, line and column, as llvm-symbolizer gives them.
//! Frames without debug info fall back to the symbol table, then to
//! `(module+0xoffset)`. Parsed modules are cached for later reports.
//!
//! All of it allocates through the runtime's internal allocator, never the
//! user's heap, and it is only called under the report lock.

mod demangle;
mod elf;
mod modules;

pub use demangle::demangle;
pub use elf::SourceFrame;

use crate::sync::SpinLock;
use elf::ElfModule;

/// What is known of one pc: its module and offset, and source frames
/// (innermost first; several when inlined; one with only `function` when
/// only the symbol table knows it; none when nothing does).
#[derive(Clone, Debug, Default)]
pub struct Symbolized {
    pub module: Option<String>,
    pub module_offset: usize,
    pub frames: Vec<SourceFrame>,
}

/// A global variable (or other data) an address falls in.
#[derive(Clone, Debug)]
pub struct DataInfo {
    pub module: String,
    pub module_offset: usize,
    /// Name, start address (run time) and size of the covering symbol.
    pub symbol: Option<(String, usize, usize)>,
}

struct CachedModule {
    name: String,
    /// `None` when the file could not be read.
    elf: Option<ElfModule>,
}

static CACHE: SpinLock<Vec<CachedModule>> = SpinLock::new(Vec::new());

fn with_module<T>(name: &str, f: impl FnOnce(Option<&ElfModule>) -> T) -> T {
    let mut cache = CACHE.lock();
    let idx = match cache.iter().position(|m| m.name == name) {
        Some(i) => i,
        None => {
            let elf = if crate::flags::flags().symbolize {
                ElfModule::open(name)
            } else {
                None
            };
            cache.push(CachedModule {
                name: name.to_string(),
                elf,
            });
            cache.len() - 1
        }
    };
    f(cache[idx].elf.as_ref())
}

/// Symbolizes `pc` (an address inside the instruction of interest: callers
/// pass return address - 1).
pub fn symbolize(pc: usize) -> Symbolized {
    let mods = modules::loaded_modules();
    let Some(m) = mods.iter().find(|m| m.contains(pc)) else {
        return Symbolized::default();
    };
    let file_addr = pc.wrapping_sub(m.bias) as u64;
    let frames = with_module(&m.name, |elf| {
        let Some(elf) = elf else { return Vec::new() };
        let mut frames = elf.source_frames(file_addr);
        let sym = elf.symbol_at(file_addr, true);
        if frames.is_empty() {
            if let Some(s) = sym {
                frames.push(SourceFrame {
                    function: Some(demangle(s.name)),
                    ..Default::default()
                });
            }
        } else if let (Some(last), Some(s)) = (frames.last_mut(), sym) {
            // Line info without a DWARF function (e.g. assembly): name the
            // outermost frame from the symbol table.
            if last.function.is_none() {
                last.function = Some(demangle(s.name));
            }
        }
        frames
    });
    Symbolized {
        module: Some(m.name.clone()),
        module_offset: file_addr as usize,
        frames,
    }
}

/// The module and data symbol `addr` falls in, if it is in a module.
pub fn describe_data(addr: usize) -> Option<DataInfo> {
    let mods = modules::loaded_modules();
    let m = mods.iter().find(|m| m.contains(addr))?;
    let file_addr = addr.wrapping_sub(m.bias) as u64;
    let symbol = with_module(&m.name, |elf| {
        let s = elf?.symbol_at(file_addr, false)?;
        Some((
            demangle(s.name),
            (s.addr as usize).wrapping_add(m.bias),
            s.size as usize,
        ))
    });
    Some(DataInfo {
        module: m.name.clone(),
        module_offset: file_addr as usize,
        symbol,
    })
}

/// Takes the module cache's lock and the module listing's for `fork`
/// (`reset_cache_after_fork` releases them).
pub fn lock_cache_for_fork() {
    core::mem::forget(CACHE.lock());
    modules::lock_for_fork();
}

/// Releases the module cache's and listing's locks after `fork` (parent
/// and child).
pub fn reset_cache_after_fork() {
    modules::unlock_after_fork();
    // SAFETY: taken by `lock_cache_for_fork` in this thread (or the child).
    unsafe { CACHE.force_unlock() };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn a_function_to_find() -> usize {
        let here: usize;
        unsafe { core::arch::asm!("lea {}, [rip]", out(reg) here) };
        here
    }

    #[test]
    fn symbolizes_this_test_binary() {
        let pc = a_function_to_find();
        let s = symbolize(pc);
        assert!(s.module.as_deref().unwrap().contains("tagsan_runtime"));
        let f = s.frames.last().expect("a frame");
        assert!(
            f.function
                .as_deref()
                .unwrap()
                .ends_with("a_function_to_find"),
            "{f:?}"
        );
        assert!(
            f.file.as_deref().unwrap().ends_with("symbolize/mod.rs"),
            "{f:?}"
        );
        assert!(f.line > 100, "{f:?}");
    }

    static A_GLOBAL: [u64; 4] = [1, 2, 3, 4];

    #[test]
    fn describes_a_global() {
        let addr = core::hint::black_box(&A_GLOBAL) as *const _ as usize + 8;
        let d = describe_data(addr).unwrap();
        let (name, start, size) = d.symbol.expect("symbol");
        assert!(name.ends_with("A_GLOBAL"), "{name}");
        assert_eq!(start + 8, addr);
        assert_eq!(size, 32);
    }

    #[test]
    fn unknown_addresses_have_no_module() {
        assert!(symbolize(0x10).module.is_none());
        assert!(describe_data(0x10).is_none());
    }
}
