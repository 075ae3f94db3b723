//! llvm.memcpy / llvm.memmove / llvm.memset (and their `.inline` variants)
//! become calls to the runtime, which checks both ranges and then does the
//! operation, as HWAddressSanitizer::instrumentMemIntrinsic does:
//!
//! * `ptr __hwasan_memcpy(ptr dst, ptr src, i64 len)`
//! * `ptr __hwasan_memmove(ptr dst, ptr src, i64 len)`
//! * `ptr __hwasan_memset(ptr dst, i32 val, i64 len)`
//!
//! The intrinsic is then erased. (No `_noabort` variants exist in the ABI.)

use llvm_sys::core::*;
use llvm_sys::prelude::*;

use tagsan_abi::symbols;

use crate::collect::MemIntrinsic;
use crate::ir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemIntrinsicKind {
    Copy,
    Move,
    Set,
}

/// Intrinsic ids of the calls we replace (the `.inline` variants have
/// their own ids, and element-wise atomic ones are deliberately absent).
pub fn intrinsic_ids() -> Vec<(u32, MemIntrinsicKind)> {
    [
        ("llvm.memcpy", MemIntrinsicKind::Copy),
        ("llvm.memcpy.inline", MemIntrinsicKind::Copy),
        ("llvm.memmove", MemIntrinsicKind::Move),
        ("llvm.memset", MemIntrinsicKind::Set),
        ("llvm.memset.inline", MemIntrinsicKind::Set),
    ]
    .into_iter()
    // SAFETY: pure lookup by name.
    .map(|(name, kind)| {
        (
            unsafe { LLVMLookupIntrinsicID(name.as_ptr().cast(), name.len()) },
            kind,
        )
    })
    .filter(|(id, _)| *id != 0)
    .collect()
}

/// Replaces `mi.call` with the runtime call at the builder, which must be
/// positioned right before it (debug location set).
pub fn replace(module: LLVMModuleRef, builder: LLVMBuilderRef, mi: &MemIntrinsic) {
    // SAFETY: mi.call is a live memory intrinsic call of module; its first
    // three operands are (dst, src|val, len).
    unsafe {
        let ctx = LLVMGetModuleContext(module);
        let ptr_ty = LLVMPointerTypeInContext(ctx, 0);
        let i64_ty = LLVMInt64TypeInContext(ctx);
        let i32_ty = LLVMInt32TypeInContext(ctx);
        let (name, second_ty) = match mi.kind {
            MemIntrinsicKind::Copy => (symbols::MEMCPY, ptr_ty),
            MemIntrinsicKind::Move => (symbols::MEMMOVE, ptr_ty),
            MemIntrinsicKind::Set => (symbols::MEMSET, i32_ty),
        };
        let mut params = [ptr_ty, second_ty, i64_ty];
        let fn_ty = LLVMFunctionType(ptr_ty, params.as_mut_ptr(), 3, 0);
        let callee = ir::get_or_declare(module, name, fn_ty);
        let dst = LLVMGetOperand(mi.call, 0);
        let mut second = LLVMGetOperand(mi.call, 1);
        if mi.kind == MemIntrinsicKind::Set {
            // The fill byte is an i8; the ABI takes an int (zero-extended, as LLVM does).
            second = LLVMBuildIntCast2(builder, second, i32_ty, 0, c"".as_ptr());
        }
        let len = LLVMBuildIntCast2(builder, LLVMGetOperand(mi.call, 2), i64_ty, 0, c"".as_ptr());
        let mut args = [dst, second, len];
        LLVMBuildCall2(builder, fn_ty, callee, args.as_mut_ptr(), 3, c"".as_ptr());
        LLVMInstructionEraseFromParent(mi.call);
    }
}
