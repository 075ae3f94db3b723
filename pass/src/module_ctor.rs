//! The module constructor that initialises the runtime before any
//! instrumented code runs, as LLVM's HWASan emits it:
//!
//! ```llvm
//! $tagsan.module_ctor = comdat any
//! @llvm.global_ctors = appending global [...] [{ i32 0, ptr @tagsan.module_ctor, ptr @tagsan.module_ctor }]
//! define internal void @tagsan.module_ctor() nounwind comdat { call void @__hwasan_init() ret void }
//! ```
//!
//! Priority 0 (before ordinary constructors); the associated-data field
//! names the ctor itself so the linker drops the entry along with its comdat.

use llvm_sys::comdat::{LLVMGetOrInsertComdat, LLVMSetComdat};
use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMLinkage;

use crate::ir;

pub const CTOR_NAME: &str = "tagsan.module_ctor";
const INIT_NAME: &str = tagsan_abi::symbols::INIT;

pub fn insert(module: LLVMModuleRef) {
    let ctor_name = ir::cstring(CTOR_NAME);
    // SAFETY: module is live; every value created belongs to it.
    unsafe {
        if !LLVMGetNamedFunction(module, ctor_name.as_ptr()).is_null() {
            return;
        }
        let ctx = LLVMGetModuleContext(module);
        let void_ty = LLVMVoidTypeInContext(ctx);
        let void_fn = LLVMFunctionType(void_ty, std::ptr::null_mut(), 0, 0);
        let init = ir::get_or_declare(module, INIT_NAME, void_fn);

        let ctor = LLVMAddFunction(module, ctor_name.as_ptr(), void_fn);
        LLVMSetLinkage(ctor, LLVMLinkage::LLVMInternalLinkage);
        ir::add_fn_attr(ctx, ctor, "nounwind");
        if supports_comdat(module) {
            LLVMSetComdat(ctor, LLVMGetOrInsertComdat(module, ctor_name.as_ptr()));
        }
        let entry = LLVMAppendBasicBlockInContext(ctx, ctor, c"".as_ptr());
        let builder = LLVMCreateBuilderInContext(ctx);
        LLVMPositionBuilderAtEnd(builder, entry);
        LLVMBuildCall2(
            builder,
            void_fn,
            init,
            std::ptr::null_mut(),
            0,
            c"".as_ptr(),
        );
        LLVMBuildRetVoid(builder);
        LLVMDisposeBuilder(builder);

        append_to_global_ctors(module, ctor, 0);
    }
}

/// Mach-O has no comdats; ELF and COFF do.
fn supports_comdat(module: LLVMModuleRef) -> bool {
    // SAFETY: module is live; the triple string is owned by it.
    let triple = unsafe { std::ffi::CStr::from_ptr(LLVMGetTarget(module)) }.to_string_lossy();
    !(triple.contains("apple") || triple.contains("darwin") || triple.contains("macos"))
}

/// `appendToGlobalCtors`: rebuild the appending array with one more entry.
unsafe fn append_to_global_ctors(module: LLVMModuleRef, ctor: LLVMValueRef, priority: u64) {
    let ctx = LLVMGetModuleContext(module);
    let i32_ty = LLVMInt32TypeInContext(ctx);
    let ptr_ty = LLVMPointerTypeInContext(ctx, 0);
    let mut fields = [i32_ty, ptr_ty, ptr_ty];
    let entry_ty = LLVMStructTypeInContext(ctx, fields.as_mut_ptr(), 3, 0);

    let name = c"llvm.global_ctors";
    let old = LLVMGetNamedGlobal(module, name.as_ptr());
    let mut entries = if old.is_null() {
        Vec::new()
    } else {
        ir::const_array_elements(LLVMGetInitializer(old))
    };
    let mut values = [LLVMConstInt(i32_ty, priority, 0), ctor, ctor];
    entries.push(LLVMConstStructInContext(ctx, values.as_mut_ptr(), 3, 0));
    if !old.is_null() {
        // Old entries keep their own struct type (it may be a literal type
        // of the same shape); erase the global before making the new one so
        // the name is free.
        LLVMDeleteGlobal(old);
    }
    let array = LLVMConstArray2(entry_ty, entries.as_mut_ptr(), entries.len() as u64);
    let global = LLVMAddGlobal(module, LLVMTypeOf(array), name.as_ptr());
    LLVMSetLinkage(global, LLVMLinkage::LLVMAppendingLinkage);
    LLVMSetInitializer(global, array);
}
