//! Small safe-ish helpers over the LLVM C API used by several modules.
//!
//! Most IR walking goes through inkwell's non-owning value wrappers; the
//! handful of queries inkwell 0.11 does not offer (data layout sizes,
//! metadata kinds, global arrays) use llvm-sys directly, here.

use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;

/// The name of a value ("" if unnamed).
pub fn name_of(value: LLVMValueRef) -> String {
    let mut len = 0usize;
    // SAFETY: value is live; LLVM returns a pointer to len bytes it owns.
    unsafe {
        let ptr = LLVMGetValueName2(value, &mut len);
        if ptr.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(ptr.cast::<u8>(), len)).into_owned()
    }
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("LLVM names never contain NUL")
}

/// The module's `source_filename`.
pub fn source_file_name(module: LLVMModuleRef) -> String {
    let mut len = 0usize;
    // SAFETY: module is live; the returned buffer is owned by the module.
    unsafe {
        let ptr = LLVMGetSourceFileName(module, &mut len);
        if ptr.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(ptr.cast::<u8>(), len)).into_owned()
    }
}

/// Metadata kind id of `name` (e.g. "nosanitize") in the module's context.
pub fn md_kind(ctx: LLVMContextRef, name: &str) -> u32 {
    // SAFETY: ctx is live; name is valid for its length.
    unsafe { LLVMGetMDKindIDInContext(ctx, name.as_ptr().cast(), name.len() as u32) }
}

/// Enum attribute kind of `name` (e.g. "naked").
pub fn attr_kind(name: &str) -> u32 {
    // SAFETY: pure lookup.
    unsafe { LLVMGetEnumAttributeKindForName(name.as_ptr().cast(), name.len()) }
}

/// Whether function `f` has the function attribute `kind`.
pub fn has_fn_attr(f: LLVMValueRef, kind: u32) -> bool {
    // SAFETY: f is a live function.
    unsafe { !LLVMGetEnumAttributeAtIndex(f, llvm_sys::LLVMAttributeFunctionIndex, kind).is_null() }
}

/// Adds the enum attribute `name` to function `f`.
pub fn add_fn_attr(ctx: LLVMContextRef, f: LLVMValueRef, name: &str) {
    // SAFETY: f is a live function of ctx.
    unsafe {
        let attr = LLVMCreateEnumAttribute(ctx, attr_kind(name), 0);
        LLVMAddAttributeAtIndex(f, llvm_sys::LLVMAttributeFunctionIndex, attr);
    }
}

/// The function `name` of type `fn_ty`, declared if absent. Runtime entry
/// points are declared `nounwind`: a check never throws, so it can be a
/// plain call anywhere (also inside landing pads) and never becomes an
/// invoke.
pub fn get_or_declare(module: LLVMModuleRef, name: &str, fn_ty: LLVMTypeRef) -> LLVMValueRef {
    let cname = cstring(name);
    // SAFETY: module is live; cname outlives the calls.
    unsafe {
        let existing = LLVMGetNamedFunction(module, cname.as_ptr());
        if !existing.is_null() {
            return existing;
        }
        let f = LLVMAddFunction(module, cname.as_ptr(), fn_ty);
        add_fn_attr(LLVMGetModuleContext(module), f, "nounwind");
        f
    }
}

/// Every operand of a constant array (or nothing for zeroinitializer).
pub fn const_array_elements(array: LLVMValueRef) -> Vec<LLVMValueRef> {
    // SAFETY: array is a live constant.
    unsafe {
        if array.is_null() || LLVMIsAConstantArray(array).is_null() {
            return Vec::new();
        }
        (0..LLVMGetNumOperands(array) as u32)
            .map(|i| LLVMGetOperand(array, i))
            .collect()
    }
}
