//! tagsan's LLVM 22 pass plugin: puts a tag check before every interesting
//! memory access, in the style of LLVM's HWAddressSanitizer (outline mode:
//! calls into the runtime, compiler-rt's HWASan ABI).
//!
//! One pass, one pipeline (see [`pass::run`]): mark the module, collect the
//! interesting accesses of each function, instrument them, add the module
//! constructor.
//!
//! The C++ shim (pass/shim/register.cpp) does only what the C API cannot:
//! registering with the PassBuilder. Everything crossing the FFI boundary
//! here is wrapped in `catch_unwind`: a Rust panic must never unwind into
//! LLVM.

mod collect;
mod debug_loc;
mod host;
mod ignorelist;
mod instrument;
mod ir;
mod memintrinsics;
mod module_ctor;
mod optimizer_hints;
mod options;
mod pass;
mod stats;
mod untagged_memory;

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use llvm_sys::prelude::LLVMModuleRef;

pub use host::llvmGetPassPluginInfo;
use options::Options;

type ErrorSink = extern "C" fn(ctx: *mut c_void, msg: *const c_char, len: usize);

/// Parses options ("recover;no-reads", the pipeline-parameter syntax) for the
/// shim. Returns an owned opaque pointer, or null after handing one error
/// line to `sink`.
///
/// # Safety
/// `text` must point to `len` readable bytes (or be anything when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn tagsan_options_parse(
    text: *const c_char,
    len: usize,
    sink: ErrorSink,
    sink_ctx: *mut c_void,
) -> *mut c_void {
    let bytes = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(text.cast::<u8>(), len)
    };
    let result = host::guard(|| {
        let text = String::from_utf8_lossy(bytes);
        Options::parse(&text)
    });
    let err = match result {
        Ok(Ok(opts)) => return Box::into_raw(Box::new(opts)).cast(),
        Ok(Err(e)) => e,
        Err(panic) => format!("tagsan: internal error while parsing options: {panic}"),
    };
    sink(sink_ctx, err.as_ptr().cast(), err.len());
    std::ptr::null_mut()
}

/// Frees what [`tagsan_options_parse`] returned.
///
/// # Safety
/// `opts` must come from `tagsan_options_parse` and be freed once.
#[no_mangle]
pub unsafe extern "C" fn tagsan_options_free(opts: *mut c_void) {
    if !opts.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            drop(Box::from_raw(opts.cast::<Options>()))
        }));
    }
}

/// Runs the pass on one module. Returns whether the module changed.
/// Errors (including panics, named after the function being instrumented)
/// are reported through the module's LLVMContext.
///
/// # Safety
/// `module` must be a live module of the host; `opts` from
/// [`tagsan_options_parse`].
#[no_mangle]
pub unsafe extern "C" fn tagsan_run_module(module: LLVMModuleRef, opts: *const c_void) -> bool {
    let opts = &*opts.cast::<Options>();
    match host::guard(|| pass::run(module, opts)) {
        Ok(Ok(changed)) => changed,
        Ok(Err(msg)) => {
            host::emit_error(module, &msg);
            true
        }
        Err(panic) => {
            let msg = match pass::current_function() {
                Some(f) => {
                    format!("tagsan: internal error while instrumenting function '{f}': {panic}")
                }
                None => format!("tagsan: internal error: {panic}"),
            };
            host::emit_error(module, &msg);
            true
        }
    }
}

/// Marks the module's functions for the optimizer (see
/// [`optimizer_hints`]); called at the start of clang's and rustc's
/// pipelines.
///
/// # Safety
/// `module` must be a live module of the host.
#[no_mangle]
pub unsafe extern "C" fn tagsan_mark_module(module: LLVMModuleRef) {
    if let Err(panic) = host::guard(|| optimizer_hints::mark_functions(module)) {
        host::emit_error(
            module,
            &format!("tagsan: internal error while marking functions: {panic}"),
        );
    }
}
