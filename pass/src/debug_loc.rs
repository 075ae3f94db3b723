//! Debug locations for inserted calls. In a function with debug info every
//! inlinable call needs a `!dbg` location or the verifier rejects the
//! module; the access's own location also makes reports point at it.

use llvm_sys::debuginfo::{
    LLVMDIBuilderCreateDebugLocation, LLVMDIFileGetFilename, LLVMDIScopeGetFile, LLVMGetSubprogram,
    LLVMInstructionGetDebugLoc,
};
use llvm_sys::prelude::*;

/// The location to give a call inserted for `inst` of `func`: the
/// instruction's own, else line 0 in the function's DISubprogram (LLVM's
/// convention for compiler-generated code), else none (no debug info).
pub fn location_for(
    ctx: LLVMContextRef,
    func: LLVMValueRef,
    inst: LLVMValueRef,
) -> LLVMMetadataRef {
    // SAFETY: func and inst are live and belong to ctx.
    unsafe {
        let own = LLVMInstructionGetDebugLoc(inst);
        if !own.is_null() {
            return own;
        }
        let scope = LLVMGetSubprogram(func);
        if scope.is_null() {
            return std::ptr::null_mut();
        }
        LLVMDIBuilderCreateDebugLocation(ctx, 0, 0, scope, std::ptr::null_mut())
    }
}

/// The source file `func` was defined in according to its debug info
/// (`DISubprogram`'s file, as written: relative or absolute), if any.
/// Used by the ignore list's `src:` entries, like clang's, which look at
/// where the function is defined (possibly a header), not only at the
/// main file.
pub fn defining_file(func: LLVMValueRef) -> Option<String> {
    // SAFETY: func is live; the strings are owned by the metadata.
    unsafe {
        let sp = LLVMGetSubprogram(func);
        if sp.is_null() {
            return None;
        }
        let file = LLVMDIScopeGetFile(sp);
        if file.is_null() {
            return None;
        }
        let mut len = 0u32;
        let ptr = LLVMDIFileGetFilename(file, &mut len);
        if ptr.is_null() || len == 0 {
            return None;
        }
        let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize);
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}
