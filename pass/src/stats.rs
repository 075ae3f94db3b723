//! Per-module counters, printed on stderr with the `stats` option:
//!
//! ```text
//! tagsan: module 'x.c': instrumented loads=3 stores=2 atomics=1 memintrinsics=1
//! tagsan: module 'x.c': skipped accesses nosanitize=0 addrspace=0 swifterror=0 stack=1 global=2 scalable=0 by-option=0
//! tagsan: module 'x.c': skipped functions attribute=0 runtime=1 ignorelist=0
//! ```

use crate::collect::AccessKind;

/// Why an access (or memory intrinsic) is left unchecked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// `!nosanitize` metadata (the access belongs to other instrumentation).
    NoSanitize,
    /// Address space other than 0: not memory the runtime tags.
    AddrSpace,
    /// A swifterror pointer, which may only be loaded or stored directly.
    SwiftError,
    /// Provably a stack slot: heap-only tagging never tags it.
    Stack,
    /// Provably inside a global: heap-only tagging never tags it.
    Global,
    /// Scalable vectors: size unknown at compile time; not supported yet.
    Scalable,
    /// Disabled by `no-reads`/`no-writes`/`no-atomics`/`no-memintrinsics`.
    ByOption,
}

/// Why a whole function is left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionSkip {
    /// `disable_sanitizer_instrumentation` or `naked`.
    Attribute,
    /// The runtime's own functions (`__hwasan_*`, `__tagsan_*`).
    Runtime,
    /// Matched by the ignore list (`fun:` or `src:`).
    Ignorelist,
}

#[derive(Debug, Default)]
pub struct Stats {
    loads: u64,
    stores: u64,
    atomics: u64,
    memintrinsics: u64,
    skipped: [u64; 7],
    functions: [u64; 3],
}

impl Stats {
    pub fn instrumented(&mut self, kind: AccessKind) {
        match kind {
            AccessKind::Load => self.loads += 1,
            AccessKind::Store => self.stores += 1,
            AccessKind::Atomic => self.atomics += 1,
        }
    }

    pub fn memintrinsic(&mut self) {
        self.memintrinsics += 1;
    }

    pub fn skipped(&mut self, reason: SkipReason) {
        self.skipped[reason as usize] += 1;
    }

    pub fn function_skipped(&mut self, why: FunctionSkip) {
        self.functions[why as usize] += 1;
    }

    pub fn report(&self, module: &str) -> String {
        let s = &self.skipped;
        let f = &self.functions;
        format!(
            "tagsan: module '{module}': instrumented loads={} stores={} atomics={} memintrinsics={}\n\
             tagsan: module '{module}': skipped accesses nosanitize={} addrspace={} swifterror={} stack={} \
             global={} scalable={} by-option={}\n\
             tagsan: module '{module}': skipped functions attribute={} runtime={} ignorelist={}\n",
            self.loads, self.stores, self.atomics, self.memintrinsics, s[0], s[1], s[2], s[3], s[4], s[5], s[6], f[0],
            f[1], f[2]
        )
    }
}
