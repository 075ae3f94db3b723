//! The shared runtime, `libtagsan_rt.so`: for programs tagsan did not build
//! (python3, a stock binary that `dlopen`s an instrumented plugin), loaded
//! with `LD_PRELOAD` (`tagsan run -- CMD` sets it).
//!
//! It is the same object as `libtagsan_rt.a` linked with `-shared`
//! (build.rs). Nothing else changes when preloaded, because the runtime
//! never depended on the executable being instrumented:
//! - malloc and friends are the runtime's own allocator, not wrappers
//!   around libc's, so there is no `dlsym(RTLD_NEXT, "malloc")` to resolve
//!   and nothing breaks when the dynamic loader or libc allocate before any
//!   constructor ran: the first call initializes the runtime (`init`);
//! - its thread-local state uses the initial-exec TLS model (build.rs), so
//!   no access calls `__tls_get_addr`, which may itself allocate;
//! - fork handlers, thread-exit keys and the symbolizer are set up by `init`
//!   as in an instrumented executable.
//!
//! What is specific to the shared object is this module's check, run from
//! its `DT_INIT` (the `-init` linker flag, so the archive never runs it):
//! the runtime only works if it *is* the process's allocator. That is
//! ASan's `verify_asan_link_order` ("the runtime comes first"), checked on
//! what matters: the process's `malloc`, `calloc` and `realloc` (as
//! `dlsym(RTLD_DEFAULT)` gives them) are called once and must return
//! tagsan memory. Calling them is what cannot be fooled: `dlsym` answers
//! the executable's PLT entry for functions it takes the address of
//! (python3 does), and another preloaded library that defines no
//! allocation function may come first harmlessly. When the runtime is not
//! the allocator (loaded by `dlopen`, linked after libc, or after another
//! allocator in `LD_PRELOAD`, or an executable that links its own),
//! whatever the winner does not define (`posix_memalign`, `reallocarray`,
//! `malloc_usable_size`, `operator new`...) would still be the runtime's,
//! and blocks of one heap would reach the other's `free`. So it stops with
//! one line naming the winner and saying what to do; with
//! `verify_link_order=0` (for a build under `tagsan run` that also starts
//! programs with their own allocator, like rustc) it stays dormant instead.
//!
//! If the executable carries its own runtime (it was built by `tagsan cc`
//! and run under `tagsan run` anyway), that one serves every call and the
//! preloaded copy stays dormant: it never initializes, so it never maps a
//! second heap at the same fixed address.

use core::ffi::{c_char, c_int, c_void, CStr};

use crate::allocator::{self, AllocKind};
use crate::unwind::Origin;

/// The base address of the object holding `addr`, and its file name.
fn object_of(addr: *const c_void) -> Option<(usize, *const c_char)> {
    // SAFETY: dladdr only reads the loader's tables; `info` is a plain C
    // struct it fills on success.
    let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
    if addr.is_null() || unsafe { libc::dladdr(addr, &mut info) } == 0 {
        return None;
    }
    Some((info.dli_fbase as usize, info.dli_fname))
}

/// What `name` means for everyone (the executable's canonical PLT entry
/// when it takes the function's address: not necessarily a definition).
fn global_symbol(name: &CStr) -> *const c_void {
    // SAFETY: an RTLD_DEFAULT lookup of a NUL-terminated name.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) as *const c_void }
}

/// The base of this object. Taken from a function the build made local,
/// so its address is ours, not the one other objects bind to.
fn this_object() -> Option<usize> {
    object_of(this_object as *const c_void).map(|(base, _)| base)
}

/// What the preloaded runtime must do.
enum Verdict {
    /// It is the allocator: initialize.
    Serve,
    /// The executable has its own runtime: stay out of the way.
    Dormant,
    /// The process's `name` hands out memory that is not tagsan's.
    NotFirst(&'static CStr),
}

type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
type CallocFn = unsafe extern "C" fn(usize, usize) -> *mut c_void;
type ReallocFn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;

/// Calls the process's allocation function `name` once: whether the block
/// it returns is tagsan's (then freed again), or `None` if `name` is not
/// there or fails.
fn serves_tagsan_memory(name: &'static CStr) -> Option<bool> {
    let f = global_symbol(name);
    if f.is_null() {
        return None;
    }
    // SAFETY: `f` is the process's definition of a libc allocation function
    // of that name, so it has the C signature used here; one small block.
    let p = unsafe {
        match name.to_bytes() {
            b"malloc" => core::mem::transmute::<*const c_void, MallocFn>(f)(1),
            b"calloc" => core::mem::transmute::<*const c_void, CallocFn>(f)(1, 1),
            _ => core::mem::transmute::<*const c_void, ReallocFn>(f)(core::ptr::null_mut(), 1),
        }
    };
    if p.is_null() {
        return None;
    }
    let ours = crate::layout::is_heap(p as usize);
    if ours {
        // Our own entry, called directly (not through the PLT).
        allocator::deallocate(p.cast(), AllocKind::Malloc, Origin::here());
    }
    // Another allocator's block is left alone: the process stops anyway.
    Some(ours)
}

fn verdict() -> Verdict {
    let Some(ours) = this_object() else {
        return Verdict::Serve;
    };
    let init = global_symbol(c"__hwasan_init");
    if object_of(init).is_some_and(|(base, _)| base != ours) {
        return Verdict::Dormant;
    }
    // The test that cannot be fooled by PLT entries or aliases: call them.
    for name in [c"malloc", c"calloc", c"realloc"] {
        if serves_tagsan_memory(name) == Some(false) {
            return Verdict::NotFirst(name);
        }
    }
    Verdict::Serve
}

/// The shared runtime's `DT_INIT`: check the link order, then initialize.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __tagsan_preload_init() {
    match verdict() {
        Verdict::Serve => {
            crate::init::ensure_init();
        }
        Verdict::Dormant => {}
        Verdict::NotFirst(name) => {
            // Options are parsed here, before `init`, only on this path.
            crate::flags::init_from_env();
            if crate::flags::flags().verify_link_order {
                not_first(name)
            }
        }
    }
}

/// The loaded objects in search order (the executable first, with an empty
/// name), as (base, file name).
fn loaded_objects() -> Vec<(usize, String)> {
    unsafe extern "C" fn each(info: *mut libc::dl_phdr_info, _: usize, data: *mut c_void) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid entry and our `data`.
        let (info, out) = unsafe { (&*info, &mut *(data as *mut Vec<(usize, String)>)) };
        let name = if info.dlpi_name.is_null() {
            String::new()
        } else {
            // SAFETY: a NUL-terminated name owned by the loader.
            unsafe { CStr::from_ptr(info.dlpi_name) }
                .to_string_lossy()
                .into_owned()
        };
        out.push((info.dlpi_addr as usize, name));
        0
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    // SAFETY: the callback only pushes to `out`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(each), (&mut out as *mut Vec<(usize, String)>).cast()) };
    out
}

/// Where the process's allocation function comes from.
enum Winner {
    /// A shared object loaded before the runtime (or the runtime was loaded
    /// after it): preloading the runtime first fixes it.
    Library(String),
    /// The executable defines it (jemalloc linked in): nothing to fix by
    /// load order.
    Executable(String),
}

/// Which object the process's `name` comes from: the first shared object
/// before the runtime in search order that defines it, else the executable.
fn winner(name: &CStr) -> Winner {
    let me = this_object().unwrap_or(0);
    let objects = loaded_objects();
    for (base, file) in &objects {
        if *base == me {
            break;
        }
        if file.is_empty() || file.starts_with("linux-vdso") {
            continue;
        }
        let Ok(c_file) = std::ffi::CString::new(file.as_str()) else {
            continue;
        };
        // SAFETY: RTLD_NOLOAD only looks up an object already loaded; the
        // handle is released at once.
        let defines = unsafe {
            let h = libc::dlopen(c_file.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
            if h.is_null() {
                false
            } else {
                let def = libc::dlsym(h, name.as_ptr()) as *const c_void;
                libc::dlclose(h);
                object_of(def).is_some_and(|(b, _)| b == *base)
            }
        };
        if defines {
            return Winner::Library(file.clone());
        }
    }
    Winner::Executable(
        std::fs::read_link("/proc/self/exe")
            .map_or_else(|_| "?".into(), |p| p.display().to_string()),
    )
}

fn not_first(name: &CStr) -> ! {
    let me = object_of(this_object as *const c_void)
        .map(|(_, f)| f)
        .filter(|f| !f.is_null())
        // SAFETY: dladdr's file names are NUL-terminated and live as long
        // as the object stays loaded.
        .map(|f| unsafe { CStr::from_ptr(f) }.to_string_lossy().into_owned())
        .unwrap_or_else(|| "libtagsan_rt.so".into());
    let winner = winner(name);
    let name = name.to_string_lossy();
    let msg = match winner {
        Winner::Library(lib) => format!(
            "tagsan: error: the tagsan runtime {me} is not this program's allocator: `{name}` comes from {lib}, found before the runtime in the library search order; load the runtime first: `tagsan run -- CMD`, or `LD_PRELOAD={me}` first in LD_PRELOAD (not by dlopen, nor as a library linked after libc)\n"
        ),
        Winner::Executable(exe) => format!(
            "tagsan: error: the tagsan runtime {me} is not this program's allocator: `{name}` comes from the executable {exe} itself (it links its own allocator), which no load order can change; load instrumented code into a program that uses the system malloc, or build the program with tagsan\n"
        ),
    };
    crate::output::write_all(msg.as_bytes());
    // SAFETY: ends the process at once; nothing of ours needs unwinding.
    unsafe { libc::_exit(1) }
}
