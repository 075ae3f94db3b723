//! How to check an access. The pass decides *what* to check (collect.rs);
//! a [`Checker`] decides *how*. Today there is one: [`outline::OutlineChecker`],
//! a call into the runtime per access (what LLVM's HWASan does on x86_64).
//! A future `mode=inline` fast path (tag compare inline, call only on
//! mismatch) is another `Checker` chosen in [`checker_for`].

pub mod outline;

use llvm_sys::prelude::*;

use crate::collect::Access;
use crate::options::{CheckMode, Options};

pub trait Checker {
    /// Emits the check for `access` at the builder's position (right before
    /// the access, with the debug location already set).
    fn check(&mut self, builder: LLVMBuilderRef, access: &Access);
}

pub fn checker_for(module: LLVMModuleRef, opts: &Options) -> Box<dyn Checker> {
    match opts.mode {
        CheckMode::Outline => Box::new(outline::OutlineChecker::new(module, opts.recover)),
    }
}
