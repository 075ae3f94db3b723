//! Names of the runtime entry points instrumented code calls. They are
//! compiler-rt's HWASan ABI (`hwasan_interface_internal.h`), so objects the
//! tagsan pass emits also link against LLVM's `hwasan_aliases` runtime, and
//! objects clang's own HWASan emits link against ours.
//!
//! The runtime defines each of these (checked by the build script against
//! the archive's exports); the pass declares and calls them.

/// Every runtime entry point starts with one of these; the pass never
/// instruments a function so named (it would recurse into itself).
pub const RUNTIME_PREFIXES: [&str; 2] = ["__hwasan_", "__tagsan_"];

/// `const char *__tagsan_default_options(void)`: a program's own default
/// run-time options (as ASan's `__asan_default_options`); the runtime holds
/// a weak reference to it.
pub const DEFAULT_OPTIONS_HOOK: &str = "__tagsan_default_options";
/// The toolchain's default options, applied before the program's: weak in
/// the runtime, defined by `tagsan cargo`'s link line as an alias of
/// [`RUST_DEFAULT_OPTIONS`].
pub const TOOLCHAIN_DEFAULT_OPTIONS_HOOK: &str = "__tagsan_toolchain_default_options";
/// The runtime's function returning the Rust defaults
/// (`allocator_may_return_null=1`).
pub const RUST_DEFAULT_OPTIONS: &str = "__tagsan_rust_default_options";

/// Module constructor target: initialises the runtime.
pub const INIT: &str = "__hwasan_init";
/// Thread-local word compiler-rt's HWASan output refers to.
pub const TLS: &str = "__hwasan_tls";
/// The shared runtime's `DT_INIT` (`libtagsan_rt.so` only): checks that
/// the preloaded runtime is the process's allocator, then initialises.
pub const PRELOAD_INIT: &str = "__tagsan_preload_init";
/// `ptr __hwasan_memcpy(ptr dst, ptr src, i64 len)`.
pub const MEMCPY: &str = "__hwasan_memcpy";
/// `ptr __hwasan_memmove(ptr dst, ptr src, i64 len)`.
pub const MEMMOVE: &str = "__hwasan_memmove";
/// `ptr __hwasan_memset(ptr dst, i32 val, i64 len)`.
pub const MEMSET: &str = "__hwasan_memset";

/// Sizes with a fixed-size check (`__hwasan_load4(addr)`); any other size
/// goes through the sized one (`__hwasan_loadN(addr, size)`).
pub const FIXED_SIZES: [u64; 5] = [1, 2, 4, 8, 16];
/// The largest fixed-size check.
pub const MAX_FIXED_SIZE: u64 = 16;

/// The check for one access: `__hwasan_{load,store}{1,2,4,8,16,N}[_noabort]`.
/// `size` is `Some(n)` for a fixed-size check (n in [`FIXED_SIZES`]) and
/// `None` for the sized one. Panics on a size without a fixed check.
pub fn check(is_write: bool, size: Option<u64>, recover: bool) -> &'static str {
    let column = match size {
        Some(n) => FIXED_SIZES
            .iter()
            .position(|&s| s == n)
            .expect("a fixed-size check exists for this size"),
        None => FIXED_SIZES.len(),
    };
    CHECKS[is_write as usize][recover as usize][column]
}

/// `CHECKS[is_write][recover][size column]`, the last column being `N`.
pub const CHECKS: [[[&str; 6]; 2]; 2] = [
    [
        [
            "__hwasan_load1",
            "__hwasan_load2",
            "__hwasan_load4",
            "__hwasan_load8",
            "__hwasan_load16",
            "__hwasan_loadN",
        ],
        [
            "__hwasan_load1_noabort",
            "__hwasan_load2_noabort",
            "__hwasan_load4_noabort",
            "__hwasan_load8_noabort",
            "__hwasan_load16_noabort",
            "__hwasan_loadN_noabort",
        ],
    ],
    [
        [
            "__hwasan_store1",
            "__hwasan_store2",
            "__hwasan_store4",
            "__hwasan_store8",
            "__hwasan_store16",
            "__hwasan_storeN",
        ],
        [
            "__hwasan_store1_noabort",
            "__hwasan_store2_noabort",
            "__hwasan_store4_noabort",
            "__hwasan_store8_noabort",
            "__hwasan_store16_noabort",
            "__hwasan_storeN_noabort",
        ],
    ],
];

/// Every entry point above, for the build script's export check.
pub fn all() -> impl Iterator<Item = &'static str> {
    CHECKS
        .iter()
        .flatten()
        .flatten()
        .copied()
        .chain([INIT, TLS, MEMCPY, MEMMOVE, MEMSET])
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn names_follow_compiler_rt() {
        for is_write in [false, true] {
            for recover in [false, true] {
                let op = if is_write { "store" } else { "load" };
                let tail = if recover { "_noabort" } else { "" };
                for n in FIXED_SIZES {
                    let want = format!("__hwasan_{op}{n}{tail}");
                    assert_eq!(check(is_write, Some(n), recover), want);
                }
                assert_eq!(
                    check(is_write, None, recover),
                    format!("__hwasan_{op}N{tail}")
                );
            }
        }
        assert_eq!(all().count(), 29);
        assert!(all().all(|n| RUNTIME_PREFIXES.iter().any(|p| n.starts_with(p))));
    }
}
