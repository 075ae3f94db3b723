//! The pass: one module, one pipeline, like HWAddressSanitizer::run.
//!
//! 1. Skip the module if it is already instrumented (named metadata
//!    `tagsan.instrumented`): clang/rustc must never instrument twice, and
//!    `opt -passes=tagsan,tagsan` is idempotent.
//! 2. For each function worth instrumenting: collect the interesting
//!    accesses and memory intrinsics, then instrument them.
//! 3. Add the module constructor calling `__hwasan_init`.
//! 4. With `stats`, print the counters.

use std::cell::RefCell;

use inkwell::values::FunctionValue;
use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::target::LLVMGetModuleDataLayout;

use crate::collect::{self, CollectContext};
use crate::ignorelist::Ignorelist;
use crate::options::Options;
use crate::stats::{FunctionSkip, Stats};
use crate::{debug_loc, instrument, ir, memintrinsics, module_ctor};

/// Marks an instrumented module.
const MARKER: &str = "tagsan.instrumented";
/// Functions of the runtime itself: instrumenting them would recurse.
use tagsan_abi::symbols::RUNTIME_PREFIXES;

thread_local! {
    /// The function being instrumented, to name it if we panic.
    static CURRENT_FUNCTION: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn current_function() -> Option<String> {
    CURRENT_FUNCTION.with(|c| c.borrow().clone())
}

fn set_current_function(name: Option<String>) {
    CURRENT_FUNCTION.with(|c| *c.borrow_mut() = name);
}

/// Instruments `module`. Returns whether it changed; `Err` is a one-line
/// message for the LLVMContext.
pub fn run(module: LLVMModuleRef, opts: &Options) -> Result<bool, String> {
    // A panic in an earlier run on this thread may have left a name behind.
    set_current_function(None);
    if is_marked(module) {
        return Ok(false);
    }
    mark(module);
    // SAFETY: module is live for the whole run.
    let ctx = unsafe { LLVMGetModuleContext(module) };
    let source = ir::source_file_name(module);
    let cx = CollectContext {
        opts,
        // SAFETY: the module owns its data layout.
        data_layout: unsafe { LLVMGetModuleDataLayout(module) },
        nosanitize_kind: ir::md_kind(ctx, "nosanitize"),
        memintrinsic_ids: memintrinsics::intrinsic_ids(),
    };
    let source_ignored = opts
        .ignorelist
        .as_ref()
        .is_some_and(|l| l.matches_source(&source));
    let mut checker = instrument::checker_for(module, opts);
    let mut stats = Stats::default();

    // Snapshot the definitions first: instrumenting declares functions.
    let mut functions = Vec::new();
    // SAFETY: iterating the module's function list.
    unsafe {
        let mut f = LLVMGetFirstFunction(module);
        while !f.is_null() {
            if LLVMIsDeclaration(f) == 0 {
                functions.push(f);
            }
            f = LLVMGetNextFunction(f);
        }
    }

    // SAFETY: ctx is live; the builder is disposed below.
    let builder = unsafe { LLVMCreateBuilderInContext(ctx) };
    for f in functions {
        let name = ir::name_of(f);
        let skip = if let Some(why) = never_instrumented(f, &name) {
            Some(why)
        } else if source_ignored
            || opts
                .ignorelist
                .as_ref()
                .is_some_and(|l| ignored_by_list(l, f, &name))
        {
            Some(FunctionSkip::Ignorelist)
        } else {
            None
        };
        if let Some(why) = skip {
            stats.function_skipped(why);
            continue;
        }
        set_current_function(Some(name));
        // SAFETY: f is a live function definition.
        let Some(func) = (unsafe { FunctionValue::new(f) }) else {
            continue;
        };
        let found = collect::collect(func, &cx, &mut stats);
        for access in &found.accesses {
            position_before(builder, ctx, f, access.inst);
            checker.check(builder, access);
            stats.instrumented(access.kind);
        }
        for mi in &found.memintrinsics {
            position_before(builder, ctx, f, mi.call);
            memintrinsics::replace(module, builder, mi);
            stats.memintrinsic();
        }
    }
    set_current_function(None);
    // SAFETY: created above, no longer used.
    unsafe { LLVMDisposeBuilder(builder) };

    module_ctor::insert(module);
    if opts.stats {
        let label = if source.is_empty() {
            ir_module_id(module)
        } else {
            source
        };
        eprint!("{}", stats.report(&label));
    }
    Ok(true)
}

/// Why function `f` (named `name`) is never instrumented, whatever the
/// options: it asks not to be (`disable_sanitizer_instrumentation`), it
/// cannot be (`naked`: no room for calls), or it is the runtime's own.
pub fn never_instrumented(f: LLVMValueRef, name: &str) -> Option<FunctionSkip> {
    let skip_attrs = ["disable_sanitizer_instrumentation", "naked"];
    if skip_attrs.iter().any(|a| {
        let k = ir::attr_kind(a);
        k != 0 && ir::has_fn_attr(f, k)
    }) {
        Some(FunctionSkip::Attribute)
    } else if RUNTIME_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Some(FunctionSkip::Runtime)
    } else {
        None
    }
}

/// `fun:` matches the (mangled) name; `src:` also matches the file the
/// function is defined in per its debug info (a header, say), as in clang.
fn ignored_by_list(list: &Ignorelist, f: LLVMValueRef, name: &str) -> bool {
    list.matches_function(name)
        || debug_loc::defining_file(f).is_some_and(|file| list.matches_source(&file))
}

/// Puts the builder right before `inst`, with the debug location inserted
/// calls must carry.
fn position_before(
    builder: LLVMBuilderRef,
    ctx: LLVMContextRef,
    func: LLVMValueRef,
    inst: LLVMValueRef,
) {
    // SAFETY: inst is a live instruction of func.
    unsafe {
        LLVMPositionBuilderBefore(builder, inst);
        LLVMSetCurrentDebugLocation2(builder, debug_loc::location_for(ctx, func, inst));
    }
}

fn is_marked(module: LLVMModuleRef) -> bool {
    // SAFETY: lookup by name in a live module.
    unsafe { !LLVMGetNamedMetadata(module, MARKER.as_ptr().cast(), MARKER.len()).is_null() }
}

/// `!tagsan.instrumented = !{!"tagsan 0.1.0"}`. Named metadata survives
/// bitcode round-trips (e.g. ThinLTO pre-link to post-link) and module
/// linking, unlike a pass-local flag.
fn mark(module: LLVMModuleRef) {
    let marker = ir::cstring(MARKER);
    let text = concat!("tagsan ", env!("CARGO_PKG_VERSION"));
    // SAFETY: module is live; the node is created in its context.
    unsafe {
        let ctx = LLVMGetModuleContext(module);
        let mut s = LLVMMDStringInContext2(ctx, text.as_ptr().cast(), text.len());
        let node = LLVMMDNodeInContext2(ctx, &mut s, 1);
        LLVMAddNamedMetadataOperand(module, marker.as_ptr(), LLVMMetadataAsValue(ctx, node));
    }
}

fn ir_module_id(module: LLVMModuleRef) -> String {
    let mut len = 0usize;
    // SAFETY: module is live; the identifier is owned by it.
    unsafe {
        let p = LLVMGetModuleIdentifier(module, &mut len);
        String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len)).into_owned()
    }
}
