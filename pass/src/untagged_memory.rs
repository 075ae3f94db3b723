//! The one rule that says an access cannot touch tagged memory.
//!
//! Today tagsan tags only the heap: stack slots (`alloca`) and globals are
//! never tagged, so an access provably inside one needs no check. "Provably
//! inside": the pointer is the object plus a constant offset (through casts
//! and constant-index GEPs) and `offset + size` fits in the object. An
//! out-of-bounds or variable offset may reach heap memory: checked.
//!
//! When stack or global tagging lands, this function (and only this one)
//! changes.

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::target::{LLVMABISizeOfType, LLVMOffsetOfElement, LLVMTargetDataRef};
use llvm_sys::{LLVMOpcode, LLVMTypeKind};

use crate::stats::SkipReason;

/// `Some(Stack | Global)` if `size` bytes at `addr` are provably inside an
/// untagged object.
pub fn untagged_reason(addr: LLVMValueRef, size: u64, td: LLVMTargetDataRef) -> Option<SkipReason> {
    let (base, offset) = strip_constant_offsets(addr, td)?;
    // SAFETY: base is a live value.
    let (object_size, reason) = unsafe {
        if !LLVMIsAAllocaInst(base).is_null() {
            let count = LLVMGetOperand(base, 0);
            if LLVMIsAConstantInt(count).is_null() {
                return None; // dynamically sized alloca
            }
            let elem = LLVMABISizeOfType(td, LLVMGetAllocatedType(base));
            (
                elem.checked_mul(LLVMConstIntGetZExtValue(count))?,
                SkipReason::Stack,
            )
        } else if !LLVMIsAGlobalVariable(base).is_null() {
            (
                LLVMABISizeOfType(td, LLVMGlobalGetValueType(base)),
                SkipReason::Global,
            )
        } else {
            return None;
        }
    };
    let end = offset.checked_add(i128::from(size))?;
    (offset >= 0 && end <= i128::from(object_size)).then_some(reason)
}

/// Walks back through pointer casts and GEPs with constant indices,
/// summing the byte offset. None if some index is not a constant.
fn strip_constant_offsets(
    mut ptr: LLVMValueRef,
    td: LLVMTargetDataRef,
) -> Option<(LLVMValueRef, i128)> {
    let mut offset: i128 = 0;
    // SAFETY: every value visited is a live operand of a live value.
    unsafe {
        loop {
            let opcode = if !LLVMIsAInstruction(ptr).is_null() {
                LLVMGetInstructionOpcode(ptr)
            } else if !LLVMIsAConstantExpr(ptr).is_null() {
                LLVMGetConstOpcode(ptr)
            } else {
                return Some((ptr, offset));
            };
            match opcode {
                LLVMOpcode::LLVMBitCast => ptr = LLVMGetOperand(ptr, 0),
                LLVMOpcode::LLVMGetElementPtr => {
                    offset = offset.checked_add(gep_offset(ptr, td)?)?;
                    ptr = LLVMGetOperand(ptr, 0);
                }
                _ => return Some((ptr, offset)),
            }
        }
    }
}

/// The constant byte offset a GEP (instruction or constant expression) adds.
unsafe fn gep_offset(gep: LLVMValueRef, td: LLVMTargetDataRef) -> Option<i128> {
    let index = |i: u32| -> Option<i64> {
        let v = LLVMGetOperand(gep, i);
        (!LLVMIsAConstantInt(v).is_null()).then(|| LLVMConstIntGetSExtValue(v))
    };
    let mut ty = LLVMGetGEPSourceElementType(gep);
    let mut offset = i128::from(index(1)?) * i128::from(LLVMABISizeOfType(td, ty));
    for i in 2..LLVMGetNumOperands(gep) as u32 {
        let idx = index(i)?;
        match LLVMGetTypeKind(ty) {
            LLVMTypeKind::LLVMStructTypeKind => {
                let field = u32::try_from(idx).ok()?;
                offset += i128::from(LLVMOffsetOfElement(td, ty, field));
                ty = LLVMStructGetTypeAtIndex(ty, field);
            }
            LLVMTypeKind::LLVMArrayTypeKind => {
                ty = LLVMGetElementType(ty);
                offset += i128::from(idx) * i128::from(LLVMABISizeOfType(td, ty));
            }
            // Vector element offsets are not alloc sizes (e.g. <8 x i1>): give up.
            _ => return None,
        }
    }
    Some(offset)
}
