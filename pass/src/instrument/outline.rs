//! Outline checks: one call per access into compiler-rt's HWASan ABI, so
//! the output also runs on LLVM's libclang_rt.hwasan_aliases:
//!
//! * `void __hwasan_{load,store}{1,2,4,8,16}[_noabort](i64 addr)` when the
//!   size is a power of two <= 16 and the access cannot straddle a granule
//!   in a way the fixed-size check misses (see [`fits_fixed_size_check`]);
//! * `void __hwasan_{load,store}N[_noabort](i64 addr, i64 size)` otherwise.

use llvm_sys::core::*;
use llvm_sys::prelude::*;

use super::Checker;
use crate::collect::Access;
use crate::ir;

use tagsan_abi::symbols::{self, MAX_FIXED_SIZE};

/// Tag granule (HWASan's "object alignment", 1 << kDefaultShadowScale).
const GRANULE: u64 = tagsan_abi::layout::GRANULE_SIZE as u64;

pub struct OutlineChecker {
    module: LLVMModuleRef,
    recover: bool,
    i64_ty: LLVMTypeRef,
    fixed_ty: LLVMTypeRef,
    sized_ty: LLVMTypeRef,
}

impl OutlineChecker {
    pub fn new(module: LLVMModuleRef, recover: bool) -> Self {
        // SAFETY: module is live.
        unsafe {
            let ctx = LLVMGetModuleContext(module);
            let i64_ty = LLVMInt64TypeInContext(ctx);
            let void_ty = LLVMVoidTypeInContext(ctx);
            let mut one = [i64_ty];
            let mut two = [i64_ty, i64_ty];
            OutlineChecker {
                module,
                recover,
                i64_ty,
                fixed_ty: LLVMFunctionType(void_ty, one.as_mut_ptr(), 1, 0),
                sized_ty: LLVMFunctionType(void_ty, two.as_mut_ptr(), 2, 0),
            }
        }
    }
}

/// HWAddressSanitizer::instrumentMemAccess's condition for the fixed-size
/// callbacks: power-of-two size up to 16, and either unknown alignment, or
/// aligned to the granule, or naturally aligned (then it cannot cross a
/// granule boundary).
pub fn fits_fixed_size_check(size: u64, alignment: Option<u64>) -> bool {
    size.is_power_of_two()
        && size <= MAX_FIXED_SIZE
        && alignment.is_none_or(|a| a >= GRANULE || a >= size)
}

impl Checker for OutlineChecker {
    fn check(&mut self, builder: LLVMBuilderRef, access: &Access) {
        // SAFETY: builder is positioned in a live function of self.module.
        unsafe {
            let addr = LLVMBuildPtrToInt(builder, access.addr, self.i64_ty, c"".as_ptr());
            if fits_fixed_size_check(access.size, access.alignment) {
                let name = symbols::check(access.is_write, Some(access.size), self.recover);
                let callee = ir::get_or_declare(self.module, name, self.fixed_ty);
                let mut args = [addr];
                LLVMBuildCall2(
                    builder,
                    self.fixed_ty,
                    callee,
                    args.as_mut_ptr(),
                    1,
                    c"".as_ptr(),
                );
            } else {
                let name = symbols::check(access.is_write, None, self.recover);
                let callee = ir::get_or_declare(self.module, name, self.sized_ty);
                let mut args = [addr, LLVMConstInt(self.i64_ty, access.size, 0)];
                LLVMBuildCall2(
                    builder,
                    self.sized_ty,
                    callee,
                    args.as_mut_ptr(),
                    2,
                    c"".as_ptr(),
                );
            }
        }
    }
}
