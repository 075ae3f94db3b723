//! The LLVM the plugin is built for. The plugin's C++ shim is compiled
//! against this major version's headers, the plugin refuses any other host,
//! and the CLI runs `clang-<major>`, `opt-<major>` and checks `rustc -vV`.

/// The LLVM major version, as text. Scripts read this line
/// (`scripts/llvm-major`): keep its shape.
pub const LLVM_MAJOR_STR: &str = "22";

/// The LLVM major version.
pub const LLVM_MAJOR: u32 = parse_u32(LLVM_MAJOR_STR);

/// `LLVM_PLUGIN_API_VERSION` of this major (`llvm/Plugins/PassPlugin.h`).
pub const PLUGIN_API_VERSION: u32 = 2;

/// Suffix of the versioned tool names Debian installs (`clang-22`).
/// `concat!` takes literals only, so this literal is checked against
/// `LLVM_MAJOR_STR` below.
pub const TOOL_SUFFIX: &str = "-22";

/// Where Debian installs the unversioned tools (`FileCheck`, `not`, ...).
pub const LLVM_BIN_DIR: &str = "/usr/lib/llvm-22/bin";

/// The Debian packages that provide the toolchain, for error messages.
pub const PACKAGES: &str = "clang-22 llvm-22-dev llvm-22-tools libclang-rt-22-dev lld-22";

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    assert!(!b.is_empty(), "LLVM_MAJOR_STR is a number");
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "LLVM_MAJOR_STR is a number");
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

/// Whether `s`, without its last `drop` bytes, ends with `suffix`.
const fn ends_with(s: &str, drop: usize, suffix: &str) -> bool {
    let (s, t) = (s.as_bytes(), suffix.as_bytes());
    if t.len() + drop > s.len() {
        return false;
    }
    let end = s.len() - drop;
    let mut i = 0;
    while i < t.len() {
        if s[end - t.len() + i] != t[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Number of times `needle` occurs in `s` (non-overlapping scan).
const fn count(s: &str, needle: &str) -> usize {
    let (s, t) = (s.as_bytes(), needle.as_bytes());
    let mut n = 0;
    let mut i = 0;
    while i + t.len() <= s.len() {
        let mut j = 0;
        while j < t.len() && s[i + j] == t[j] {
            j += 1;
        }
        if j == t.len() {
            n += 1;
            i += t.len();
        } else {
            i += 1;
        }
    }
    n
}

// The literals above must all say LLVM_MAJOR_STR.
const _: () = assert!(
    ends_with(TOOL_SUFFIX, 0, LLVM_MAJOR_STR) && TOOL_SUFFIX.len() == LLVM_MAJOR_STR.len() + 1
);
const _: () = assert!(ends_with(LLVM_BIN_DIR, "/bin".len(), TOOL_SUFFIX));
const _: () = assert!(count(PACKAGES, TOOL_SUFFIX) == 5);
