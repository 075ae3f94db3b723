//! Optimizer hints: at the start of the clang/rustc pipelines, mark every
//! function the pass will instrument the way clang marks functions under
//! `-fsanitize=address` / `-fsanitize=hwaddress`, so the optimizer keeps
//! the memory accesses the source makes.
//!
//! The pass itself runs at the optimizer-last extension point, after
//! `-O2` has rewritten the code. Without these attributes two things go
//! wrong there:
//! - Bugs disappear. InstCombine deletes a malloc/store/free/load sequence
//!   whose result is only the freed value: measured on
//!   `examples/c/use-after-free.c` at -O2, the use-after-free vanishes under
//!   clang's own HWASan (which sets only `sanitize_hwaddress`) but stays
//!   under ASan. `sanitize_address` is what keeps the allocation.
//! - False reports. Load widening and speculative loads may read bytes past
//!   an object that the source never touched; with byte-exact short
//!   granules that would be a report on a correct program. LLVM refrains
//!   from them in functions carrying the sanitizer attributes.
//!
//! Only attributes change here: nothing is instrumented, and without the
//! runtime's ABI in the pipeline the attributes have no code-generation
//! effect of their own.

use llvm_sys::core::*;
use llvm_sys::prelude::*;

use crate::{ir, pass};

/// Attributes that make LLVM's optimizer sanitizer-friendly (see above).
const SANITIZER_ATTRIBUTES: [&str; 2] = ["sanitize_address", "sanitize_hwaddress"];

/// Adds the sanitizer attributes to every function definition the pass may
/// instrument.
pub fn mark_functions(module: LLVMModuleRef) {
    // SAFETY: module is live; functions are iterated and not removed.
    unsafe {
        let ctx = LLVMGetModuleContext(module);
        let mut f = LLVMGetFirstFunction(module);
        while !f.is_null() {
            if LLVMIsDeclaration(f) == 0 && pass::never_instrumented(f, &ir::name_of(f)).is_none() {
                for attr in SANITIZER_ATTRIBUTES {
                    ir::add_fn_attr(ctx, f, attr);
                }
            }
            f = LLVMGetNextFunction(f);
        }
    }
}
