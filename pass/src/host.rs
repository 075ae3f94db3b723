//! The boundary with the host LLVM (opt, clang, rustc): the plugin entry
//! point, the LLVM version check, the FFI declarations of the C++ shim, and
//! the panic guard.

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use llvm_sys::prelude::{LLVMModuleRef, LLVMValueRef};

/// The LLVM major version whose C++ ABI the shim was compiled against, and
/// its `LLVM_PLUGIN_API_VERSION` (llvm/Plugins/PassPlugin.h).
use tagsan_abi::llvm::{LLVM_MAJOR, PLUGIN_API_VERSION};

/// `llvm::PassPluginLibraryInfo` of LLVM 22: five fields, 40 bytes.
#[repr(C)]
pub struct PassPluginLibraryInfo {
    api_version: u32,
    plugin_name: *const c_char,
    plugin_version: *const c_char,
    register_callbacks: Option<unsafe extern "C" fn(*mut c_void)>,
    pre_codegen_callback: *const c_void,
}

/// The first four fields, common to every plugin API version so far: all a
/// host older than 22 reads (and all it has room for) before it sees that
/// the API version is wrong.
#[repr(C)]
pub struct PassPluginLibraryInfoPrefix {
    api_version: u32,
    plugin_name: *const c_char,
    plugin_version: *const c_char,
    register_callbacks: *const c_void,
}

extern "C" {
    fn tagsan_shim_register_callbacks(pass_builder: *mut c_void);
    fn tagsan_shim_emit_error(module: LLVMModuleRef, msg: *const c_char, len: usize);
    fn tagsan_shim_is_swifterror(value: LLVMValueRef) -> bool;
}

/// The plugin entry point, called by `PassPlugin::Load`.
///
/// The struct is returned through a hidden pointer (x86_64 SysV `sret`,
/// passed in rdi and returned in rax): taking that pointer explicitly lets
/// us write only the 32 bytes every host version allocates when the host is
/// not LLVM 22, instead of overflowing its stack with our 40-byte struct.
///
/// # Safety
/// Called by the host with a pointer to storage for the struct.
#[no_mangle]
pub unsafe extern "C" fn llvmGetPassPluginInfo(
    out: *mut PassPluginLibraryInfo,
) -> *mut PassPluginLibraryInfo {
    const NAME: &[u8] = b"tagsan\0";
    const VERSION: &[u8] = concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes();
    let (major, minor, patch) = host_llvm_version();
    if major != LLVM_MAJOR {
        eprintln!(
            "tagsan: this plugin was built for LLVM {LLVM_MAJOR}, but the host is LLVM {}; \
             refusing to load (use a host built on LLVM {LLVM_MAJOR})",
            if major == 0 {
                "older than 16".to_string()
            } else {
                format!("{major}.{minor}.{patch}")
            }
        );
        // API version 0 makes any host refuse the plugin cleanly.
        out.cast::<PassPluginLibraryInfoPrefix>()
            .write(PassPluginLibraryInfoPrefix {
                api_version: 0,
                plugin_name: NAME.as_ptr().cast(),
                plugin_version: VERSION.as_ptr().cast(),
                register_callbacks: std::ptr::null(),
            });
        return out;
    }
    out.write(PassPluginLibraryInfo {
        api_version: PLUGIN_API_VERSION,
        plugin_name: NAME.as_ptr().cast(),
        plugin_version: VERSION.as_ptr().cast(),
        register_callbacks: Some(tagsan_shim_register_callbacks),
        pre_codegen_callback: std::ptr::null(),
    });
    out
}

/// The host's LLVM version. `LLVMGetVersion` only exists since LLVM 16, so
/// it is looked up at run time: a direct call would not even bind in an
/// older host. (0, 0, 0) means "older than 16".
fn host_llvm_version() -> (u32, u32, u32) {
    type GetVersion = unsafe extern "C" fn(*mut u32, *mut u32, *mut u32);
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    const RTLD_DEFAULT: *mut c_void = std::ptr::null_mut();
    // SAFETY: dlsym with RTLD_DEFAULT looks the symbol up in the process;
    // if present it has LLVMGetVersion's C signature.
    unsafe {
        let sym = dlsym(RTLD_DEFAULT, c"LLVMGetVersion".as_ptr());
        if sym.is_null() {
            return (0, 0, 0);
        }
        let get_version: GetVersion = std::mem::transmute(sym);
        let (mut major, mut minor, mut patch) = (0, 0, 0);
        get_version(&mut major, &mut minor, &mut patch);
        (major, minor, patch)
    }
}

/// Reports `msg` through the module's LLVMContext (`LLVMContext::emitError`):
/// opt, clang and rustc print it as an error and exit non-zero.
pub fn emit_error(module: LLVMModuleRef, msg: &str) {
    // SAFETY: module is live (we are running on it); msg is valid for len.
    unsafe { tagsan_shim_emit_error(module, msg.as_ptr().cast(), msg.len()) }
}

/// `Value::isSwiftError()`: swifterror allocas and arguments.
pub fn is_swifterror(value: LLVMValueRef) -> bool {
    // SAFETY: value is a live value of the module being instrumented.
    unsafe { tagsan_shim_is_swifterror(value) }
}

thread_local! {
    /// Where the last panic on this thread happened (set by our hook).
    static PANIC_LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err(message)`. Never lets it unwind
/// into the host. The default panic hook (which prints a multi-line
/// message) is replaced once by one that only records where the panic
/// happened: the caller reports the panic as one LLVM error. This only
/// affects the plugin's own copy of std, not the host's (e.g. rustc's).
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|p| *p.borrow_mut() = at);
        }))
    });
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        match PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
            Some(at) => format!("{msg} (at {at})"),
            None => msg,
        }
    })
}
