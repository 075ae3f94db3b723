//! The facts every part of tagsan must agree on, written once.
//!
//! | module    | what it fixes                                                  |
//! |-----------|----------------------------------------------------------------|
//! | [`layout`]| where tags sit in pointers, where the heap and shadow are      |
//! | [`shadow`]| what a shadow byte means (tags, short granules, freed)          |
//! | [`symbols`]| the names of the runtime entry points instrumented code calls |
//! | [`llvm`]  | the LLVM major version the plugin is built for and checks      |
//!
//! The runtime computes addresses with these constants, the pass emits the
//! same arithmetic inline, the CLI names `clang-22` from [`llvm`], and the
//! tests decode reports with them. Changing the layout is a change here
//! only; the compile-time assertions below keep the pieces consistent.
//!
//! Scripts that cannot link Rust (`scripts/setup`, `bench/run.py`,
//! `tests/lit/lit.cfg.py`) read [`llvm::LLVM_MAJOR_STR`] from this crate's
//! `src/llvm.rs` text.

#![no_std]

pub mod layout;
pub mod llvm;
pub mod shadow;
pub mod symbols;
