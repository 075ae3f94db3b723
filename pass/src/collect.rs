//! What to check: the interesting memory operands of one function, in the
//! spirit of `HWAddressSanitizer::getInterestingMemoryOperands`. Nothing
//! is changed here; `pass.rs` instruments what this returns.

use inkwell::values::{AsValueRef, FunctionValue, InstructionOpcode};
use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::target::{LLVMStoreSizeOfType, LLVMTargetDataRef};
use llvm_sys::LLVMTypeKind;

use crate::host;
use crate::memintrinsics::MemIntrinsicKind;
use crate::options::Options;
use crate::stats::{SkipReason, Stats};
use crate::untagged_memory;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Load,
    Store,
    /// `atomicrmw` and `cmpxchg`: checked as writes.
    Atomic,
}

/// One memory access to check.
#[derive(Debug)]
pub struct Access {
    /// The load/store/atomic; the check goes right before it.
    pub inst: LLVMValueRef,
    /// The pointer operand.
    pub addr: LLVMValueRef,
    /// Bytes accessed (the type's store size).
    pub size: u64,
    pub is_write: bool,
    /// Known alignment in bytes (None when the IR says 0 / unknown).
    pub alignment: Option<u64>,
    pub kind: AccessKind,
}

/// A call to llvm.memcpy/memmove/memset (or an .inline variant) to replace.
#[derive(Debug)]
pub struct MemIntrinsic {
    pub call: LLVMValueRef,
    pub kind: MemIntrinsicKind,
}

#[derive(Debug, Default)]
pub struct Interesting {
    pub accesses: Vec<Access>,
    pub memintrinsics: Vec<MemIntrinsic>,
}

/// Per-module facts `collect` needs, looked up once.
pub struct CollectContext<'a> {
    pub opts: &'a Options,
    pub data_layout: LLVMTargetDataRef,
    pub nosanitize_kind: u32,
    pub memintrinsic_ids: Vec<(u32, MemIntrinsicKind)>,
}

pub fn collect(func: FunctionValue<'_>, cx: &CollectContext<'_>, stats: &mut Stats) -> Interesting {
    let mut found = Interesting::default();
    for block in func.get_basic_block_iter() {
        for inst in block.get_instructions() {
            let raw = inst.as_value_ref();
            // SAFETY (all unsafe blocks below): `raw` is a live instruction of
            // the function being instrumented; operand indices match its opcode.
            let (kind, ptr_index, value_ty) = match inst.get_opcode() {
                InstructionOpcode::Load => (AccessKind::Load, 0, unsafe { LLVMTypeOf(raw) }),
                InstructionOpcode::Store => (AccessKind::Store, 1, unsafe {
                    LLVMTypeOf(LLVMGetOperand(raw, 0))
                }),
                // Operand 1 is the value (atomicrmw) or the compare value (cmpxchg).
                InstructionOpcode::AtomicRMW | InstructionOpcode::AtomicCmpXchg => {
                    (AccessKind::Atomic, 0, unsafe {
                        LLVMTypeOf(LLVMGetOperand(raw, 1))
                    })
                }
                InstructionOpcode::Call => {
                    if let Some(mi) = memintrinsic(raw, cx, stats) {
                        found.memintrinsics.push(mi);
                    }
                    continue;
                }
                _ => continue,
            };
            let addr = unsafe { LLVMGetOperand(raw, ptr_index) };
            let enabled = match kind {
                AccessKind::Load => cx.opts.reads,
                AccessKind::Store => cx.opts.writes,
                AccessKind::Atomic => cx.opts.atomics,
            };
            if !enabled {
                stats.skipped(SkipReason::ByOption);
                continue;
            }
            if let Some(reason) = skip_reason(raw, addr, value_ty, cx) {
                stats.skipped(reason);
                continue;
            }
            let size = unsafe { LLVMStoreSizeOfType(cx.data_layout, value_ty) };
            if size == 0 {
                // Nothing is accessed (e.g. an empty struct).
                continue;
            }
            if let Some(reason) = untagged_memory::untagged_reason(addr, size, cx.data_layout) {
                stats.skipped(reason);
                continue;
            }
            let alignment = unsafe { LLVMGetAlignment(raw) };
            found.accesses.push(Access {
                inst: raw,
                addr,
                size,
                is_write: kind != AccessKind::Load,
                alignment: (alignment != 0).then_some(u64::from(alignment)),
                kind,
            });
        }
    }
    found
}

/// Reasons that do not depend on what the pointer points to.
fn skip_reason(
    inst: LLVMValueRef,
    addr: LLVMValueRef,
    value_ty: LLVMTypeRef,
    cx: &CollectContext<'_>,
) -> Option<SkipReason> {
    // SAFETY: inst/addr are live values; value_ty their accessed type.
    unsafe {
        if !LLVMGetMetadata(inst, cx.nosanitize_kind).is_null() {
            return Some(SkipReason::NoSanitize);
        }
        if LLVMGetPointerAddressSpace(LLVMTypeOf(addr)) != 0 {
            return Some(SkipReason::AddrSpace);
        }
        if host::is_swifterror(addr) {
            return Some(SkipReason::SwiftError);
        }
        if LLVMGetTypeKind(value_ty) == LLVMTypeKind::LLVMScalableVectorTypeKind {
            return Some(SkipReason::Scalable);
        }
    }
    None
}

/// Whether `call` is a memory intrinsic we replace by a runtime call.
fn memintrinsic(
    call: LLVMValueRef,
    cx: &CollectContext<'_>,
    stats: &mut Stats,
) -> Option<MemIntrinsic> {
    // SAFETY: call is a live call instruction.
    unsafe {
        let callee = LLVMGetCalledValue(call);
        if callee.is_null() || LLVMIsAFunction(callee).is_null() {
            return None;
        }
        let id = LLVMGetIntrinsicID(callee);
        let kind = cx
            .memintrinsic_ids
            .iter()
            .find(|(i, _)| *i == id && id != 0)?
            .1;
        if !cx.opts.memintrinsics {
            stats.skipped(SkipReason::ByOption);
            return None;
        }
        if !LLVMGetMetadata(call, cx.nosanitize_kind).is_null() {
            stats.skipped(SkipReason::NoSanitize);
            return None;
        }
        // The runtime functions take address-space-0 pointers.
        let ptr_args = if kind == MemIntrinsicKind::Set { 1 } else { 2 };
        for i in 0..ptr_args {
            if LLVMGetPointerAddressSpace(LLVMTypeOf(LLVMGetOperand(call, i))) != 0 {
                stats.skipped(SkipReason::AddrSpace);
                return None;
            }
        }
        Some(MemIntrinsic { call, kind })
    }
}
