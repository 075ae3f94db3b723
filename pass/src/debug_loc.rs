//! Debug locations for inserted calls. In a function with debug info every
//! inlinable call needs a `!dbg` location or the verifier rejects the
//! module; the access's own location also makes reports point at it.

use llvm_sys::debuginfo::{
    LLVMDIBuilderCreateDebugLocation, LLVMGetSubprogram, LLVMInstructionGetDebugLoc,
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
