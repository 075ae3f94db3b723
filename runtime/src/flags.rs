//! Run-time options from `TAGSAN_OPTIONS` (`key=value:key=value`, also `,`
//! or whitespace separated, as the sanitizers accept; a value in single or
//! double quotes may hold separators). A malformed value or unknown key gets
//! a one-line warning that names it and where it came from, and the default.
//!
//! Where options come from, later ones overriding earlier ones (as ASan's
//! `__asan_default_options`):
//! 1. the toolchain's defaults: `__tagsan_toolchain_default_options()`,
//!    which `tagsan cargo` links in for Rust programs
//!    (`allocator_may_return_null=1`, see `RUST_DEFAULT_OPTIONS`);
//! 2. `__hwasan_default_options()`, if the program defines it (programs
//!    written for HWASan);
//! 3. `__tagsan_default_options()`, if the program defines it;
//! 4. the `TAGSAN_OPTIONS` environment variable.
//!
//! The hooks are weak references (0 when nobody defines them), and the
//! environment is read without `getenv` (see `environ`).
//!
//! Every option is declared once, in the [`flags!`] table below: its field,
//! type, default, the values it accepts and its one-line help. The struct,
//! the defaults, the parser, `TAGSAN_OPTIONS=help=1` and the README's table
//! (checked by a test) all come from that declaration.
//!
//! Nothing here allocates: the options are parsed during start-up, before
//! the heap exists.

/// A value an option can hold: parsed from `TAGSAN_OPTIONS` text, and shown
/// (as its default) in the help and the README.
pub trait FlagValue: Sized + Copy {
    fn parse(text: &[u8]) -> Option<Self>;
    fn show(&self, out: &mut dyn FnMut(&[u8]));
}

impl FlagValue for bool {
    fn parse(v: &[u8]) -> Option<bool> {
        match v {
            b"1" | b"true" | b"yes" => Some(true),
            b"0" | b"false" | b"no" => Some(false),
            _ => None,
        }
    }
    fn show(&self, out: &mut dyn FnMut(&[u8])) {
        out(if *self { b"1" } else { b"0" });
    }
}

/// Writes `n` in decimal.
fn show_decimal(n: u64, negative: bool, out: &mut dyn FnMut(&[u8])) {
    let mut buf = [0u8; 21];
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    out(&buf[at..]);
}

macro_rules! unsigned_flag_value {
    ($($t:ty),*) => {$(
        impl FlagValue for $t {
            fn parse(v: &[u8]) -> Option<$t> {
                parse_uint(v).and_then(|n| <$t>::try_from(n).ok())
            }
            fn show(&self, out: &mut dyn FnMut(&[u8])) {
                show_decimal(*self as u64, false, out);
            }
        }
    )*};
}
unsigned_flag_value!(u32, usize);

impl FlagValue for i32 {
    fn parse(v: &[u8]) -> Option<i32> {
        let n = match v {
            [b'-', rest @ ..] => -i64::try_from(parse_uint(rest)?).ok()?,
            _ => i64::try_from(parse_uint(v)?).ok()?,
        };
        i32::try_from(n).ok()
    }
    fn show(&self, out: &mut dyn FnMut(&[u8])) {
        show_decimal(self.unsigned_abs() as u64, *self < 0, out);
    }
}

/// A byte value (fill patterns), shown in hex as the sanitizers do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Byte(pub u8);

impl FlagValue for Byte {
    fn parse(v: &[u8]) -> Option<Byte> {
        parse_uint(v).and_then(|n| u8::try_from(n).ok()).map(Byte)
    }
    fn show(&self, out: &mut dyn FnMut(&[u8])) {
        let hex = b"0123456789abcdef";
        out(&[
            b'0',
            b'x',
            hex[(self.0 >> 4) as usize],
            hex[(self.0 & 15) as usize],
        ]);
    }
}

/// A path (at most 255 bytes, kept NUL-padded: no allocation).
#[derive(Clone, Copy, Debug)]
pub struct PathFlag([u8; 256]);

impl PathFlag {
    pub const EMPTY: PathFlag = PathFlag([0; 256]);

    pub fn as_bytes(&self) -> &[u8] {
        let n = self.0.iter().position(|&c| c == 0).unwrap_or(self.0.len());
        &self.0[..n]
    }
}

impl FlagValue for PathFlag {
    fn parse(v: &[u8]) -> Option<PathFlag> {
        if v.len() >= 256 || v.contains(&0) {
            return None;
        }
        let mut p = PathFlag::EMPTY;
        p.0[..v.len()].copy_from_slice(v);
        Some(p)
    }
    fn show(&self, out: &mut dyn FnMut(&[u8])) {
        if self.as_bytes().is_empty() {
            out(b"(stderr)");
        } else {
            out(self.as_bytes());
        }
    }
}

/// Declares the options: for each, `name: Type = default` and optionally
/// `if <predicate on the parsed value>` (values failing it are "bad"), then
/// `=> "help"` (the README's "meaning" column, word for word).
macro_rules! flags {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $default:expr $(, if $valid:expr)? => $help:literal;
    )*) => {
        /// All options, with their defaults in `Flags::DEFAULT`.
        #[derive(Clone, Debug)]
        pub struct Flags {
            $($(#[doc = $doc])* pub $name: $ty,)*
        }

        impl Flags {
            pub const DEFAULT: Flags = Flags { $($name: $default,)* };
        }

        /// Sets option `key` from `text`.
        fn set(f: &mut Flags, key: &[u8], text: &[u8]) -> SetResult {
            $(
                if key == stringify!($name).as_bytes() {
                    let parsed: Option<$ty> = FlagValue::parse(text);
                    $(let parsed = parsed.filter($valid);)?
                    return match parsed {
                        Some(v) => {
                            f.$name = v;
                            SetResult::Ok
                        }
                        None => SetResult::BadValue,
                    };
                }
            )*
            SetResult::UnknownKey
        }

        /// Every option as (name, help, how to show its default and its
        /// value in a set of flags).
        pub const TABLE: &[FlagInfo] = &[$(
            FlagInfo {
                name: stringify!($name),
                help: $help,
                show_default: |out| FlagValue::show(&Flags::DEFAULT.$name, out),
                show_value: |f, out| FlagValue::show(&f.$name, out),
            },
        )*];
    };
}

/// Where text goes, a piece at a time (nothing allocates).
pub type Sink<'a> = &'a mut dyn FnMut(&[u8]);

/// One row of the options table.
pub struct FlagInfo {
    pub name: &'static str,
    pub help: &'static str,
    pub show_default: fn(Sink),
    pub show_value: fn(&Flags, Sink),
}

flags! {
    /// Stop at the first error (else report and continue).
    halt_on_error: bool = true
        => "stop at the first error; `0` reports and continues";
    /// Exit code after a report when halting (a process exit status is
    /// 8 bits: anything else would wrap, 256 to a passing 0).
    exitcode: i32 = 99, if |n| (0..=255).contains(n)
        => "exit code after a report, 0 to 255";
    /// Write reports to `<log_path>.<pid>` instead of stderr ("" = stderr).
    /// Checked at start-up (and at the first report): a folder that does
    /// not exist or cannot be written gets one warning, and stderr.
    log_path: PathFlag = PathFlag::EMPTY
        => "write reports to `<log_path>.<pid>` instead of stderr (a path that cannot be written gets a warning and stderr)";
    /// Megabytes of freed memory held back from reuse (FIFO). Tags already
    /// catch a use after reuse with odds `1 - 1/(2^tag_bits - 1)`; the
    /// quarantine makes it certain for the most recent frees. Default 1,
    /// measured with `tests/programs/runtime/malloc_bench.c` (random sizes
    /// 8..1024, 1024 live blocks per thread), M malloc+free/s at 1 / 2
    /// threads, best of 3: quarantine 0: 8.9 / 8.8, 1 MB: 7.9 / 7.2, 4 MB:
    /// 6.6 / 5.6; LLVM's hwasan_aliases runtime: 4.9 / 5.0; glibc: ~55. A
    /// bigger quarantine recycles memory that has left the caches, and adds
    /// its size to peak memory (`pss_bench.c`, 64 MiB live: Pss 1.20x glibc's
    /// at 1 MB, 1.28x at 4 MB).
    quarantine_size_mb: usize = 1, if |&n| n <= 1 << 20
        => "freed memory held back from reuse, in MiB (FIFO): a use after free of a block still in quarantine is always caught; later ones with the tag odds below";
    /// Pointer tag width (the number of heap aliases is `2^tag_bits`; see `mapping.rs`).
    tag_bits: u32 = crate::mapping::DEFAULT_TAG_BITS,
        if |n| (crate::layout::MIN_TAG_BITS..=crate::layout::MAX_TAG_BITS).contains(n)
        => "pointer tag width, 3 to 6 (the heap is mapped `2^tag_bits` times; more bits, better odds, more page-table memory)";
    malloc_fill_byte: Byte = Byte(0xbe)
        => "byte to fill new allocations with (up to `max_malloc_fill_size`)";
    max_malloc_fill_size: usize = 0
        => "how many bytes of each new allocation to fill";
    free_fill_byte: Byte = Byte(0x55)
        => "byte to fill freed memory with (up to `max_free_fill_size`)";
    max_free_fill_size: usize = 0
        => "how many bytes of each freed block to fill";
    /// Frames kept for allocation and free stacks.
    malloc_context_size: usize = 30, if |&n| n <= 256
        => "frames kept for allocation and free stacks (at most 256)";
    /// Freed blocks each thread remembers when it reuses their memory
    /// (`history.rs`), rounded up to a power of two.
    heap_history_size: usize = 1024, if |&n| n <= 1 << 20
        => "freed blocks each thread remembers when their memory is reused (32 bytes each): a use after free or a double free through a stale pointer is then still reported as such, with the freed block's stacks; `0` turns it off";
    /// 0 quiet, 1 start-up summary (`startup_summary`), 2 debugging.
    verbosity: u32 = 0
        => "`1` prints the options in effect, the heap layout, tag bits and memory limits at start-up; `2` also debugging";
    /// Return NULL (with errno) on impossible allocations instead of reporting.
    allocator_may_return_null: bool = false
        => "return NULL (errno ENOMEM, or EINVAL for a bad alignment) on impossible allocations instead of reporting (`tagsan cargo` builds default to `1`: Rust's `try_reserve`)";
    /// Per-allocation cap (ASan's `max_allocation_size_mb`); see `heap_limits`.
    max_allocation_size_mb: usize = 0, if |&n| n <= 1 << 40
        => "largest allocation served, in MiB (`0`: no cap but the machine's RAM + swap); larger ones fail as `allocation-size-too-big`";
    alloc_dealloc_mismatch: bool = false
        => "report `malloc`/`delete`, `new[]`/`delete` and similar mismatches";
    print_tags: bool = true
        => "print the memory tags around the bad address";
    symbolize: bool = true
        => "symbolize frames in-process (function, file:line from DWARF)";
    /// `__hwasan_disable_allocator_tagging` also turns it off at run time.
    tag_allocations: bool = true
        => "tag heap allocations";
    print_summary: bool = true
        => "print the `SUMMARY:` line";
    /// Linux's SLUB_RCU_DEBUG for object caches.
    slab_rcu_debug: bool = false
        => "object caches (`runtime/include/tagsan.h`): delay the retag of a freed `TYPESAFE_BY_RCU` object until a grace period has passed";
    warn_rcu_without_ctor: bool = true
        => "object caches: warn when a `TYPESAFE_BY_RCU` cache has no constructor";
    /// ASan's `verify_asan_link_order`: see `preload.rs`.
    verify_link_order: bool = true
        => "shared runtime (`tagsan run`): stop with one line when the runtime is not the process's allocator; `0` leaves it dormant (no detection in that process)";
    /// Print the options table at start-up (`TAGSAN_OPTIONS=help=1`).
    help: bool = false
        => "print this table of options at start-up";
}

/// Where the parsed options live: written once by `init` (before any other
/// thread can exist or the heap is handed out), read-only afterwards.
struct FlagsCell(core::cell::UnsafeCell<Flags>);
// SAFETY: written only by `init_from_env` during single-threaded start-up,
// read-only afterwards.
unsafe impl Sync for FlagsCell {}
static FLAGS: FlagsCell = FlagsCell(core::cell::UnsafeCell::new(Flags::DEFAULT));

/// The options in force (defaults until `init` parsed the environment).
#[inline]
pub fn flags() -> &'static Flags {
    // SAFETY: see `FlagsCell`: no write happens once readers can exist.
    unsafe { &*FLAGS.0.get() }
}

/// The options `tagsan cargo` builds default to (through
/// `__tagsan_toolchain_default_options`): Rust's fallible allocation
/// (`try_reserve`, `Vec::try_with_capacity`) expects NULL for a request that
/// cannot be met, where C bug hunting wants a report.
pub const RUST_DEFAULT_OPTIONS: &core::ffi::CStr = c"allocator_may_return_null=1";

/// The Rust toolchain's defaults. `tagsan cargo` links with
/// `--defsym=__tagsan_toolchain_default_options=__tagsan_rust_default_options`
/// (a symbol the runtime always has, so the same archive serves C and Rust).
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn __tagsan_rust_default_options() -> *const core::ffi::c_char {
    RUST_DEFAULT_OPTIONS.as_ptr()
}

// Weak references: 0 unless the program (or `tagsan cargo`'s link line)
// defines them. Stable Rust has no weak linkage, so the references are made
// in assembly and read through the GOT.
core::arch::global_asm!(
    ".weak __tagsan_toolchain_default_options",
    ".weak __hwasan_default_options",
    ".weak __tagsan_default_options",
);

macro_rules! weak_hook {
    ($name:literal) => {{
        let f: usize;
        // SAFETY: loads the GOT entry of a weak symbol (0 if undefined).
        unsafe {
            core::arch::asm!(
                concat!("mov {}, qword ptr [rip + ", $name, "@GOTPCREL]"),
                out(reg) f,
                options(nostack, readonly, pure)
            )
        };
        (f != 0).then(|| {
            // SAFETY: the symbol is a `const char *(void)` function by
            // contract (as `__asan_default_options`).
            unsafe { core::mem::transmute::<usize, extern "C" fn() -> *const core::ffi::c_char>(f) }
        })
    }};
}

/// The option sources in the order they apply: (name for warnings, text).
fn default_option_hooks() -> [(
    &'static [u8],
    Option<extern "C" fn() -> *const core::ffi::c_char>,
); 3] {
    [
        (
            b"the toolchain's default options",
            weak_hook!("__tagsan_toolchain_default_options"),
        ),
        (
            b"__hwasan_default_options()",
            weak_hook!("__hwasan_default_options"),
        ),
        (
            b"__tagsan_default_options()",
            weak_hook!("__tagsan_default_options"),
        ),
    ]
}

/// Parses the default-options hooks, then `TAGSAN_OPTIONS`, into the flags
/// in force. Called by `init`, before the heap exists (the hooks may call
/// malloc, served by `bootstrap`; nothing here calls `getenv`), and before
/// it by the shared runtime's link-order check; only the first call parses
/// (so warnings are printed once).
pub fn init_from_env() {
    use core::sync::atomic::{AtomicBool, Ordering};
    static PARSED: AtomicBool = AtomicBool::new(false);
    if PARSED.swap(true, Ordering::AcqRel) {
        return;
    }
    let mut f = Flags::DEFAULT;
    let mut warn = |w: &[u8]| crate::output::write_all(w);
    for (source, hook) in default_option_hooks() {
        let Some(hook) = hook else { continue };
        let text = hook();
        if !text.is_null() {
            // SAFETY: the hook returns a NUL-terminated string (contract).
            let bytes = unsafe { core::ffi::CStr::from_ptr(text) }.to_bytes();
            parse_into(&mut f, bytes, source, &mut warn);
        }
    }
    let mut scratch = crate::environ::ValueBuf::new();
    if let Some(text) = crate::environ::get(b"TAGSAN_OPTIONS", &mut scratch) {
        parse_into(&mut f, text, b"TAGSAN_OPTIONS", &mut warn);
    }
    let help = f.help;
    // SAFETY: start-up, single-threaded (see `FlagsCell`).
    unsafe { *FLAGS.0.get() = f };
    if help {
        print_help(&mut |w| crate::output::write_all(w));
    }
}

/// The options table, one option per line, as the sanitizers' `help=1`.
pub fn print_help(out: &mut dyn FnMut(&[u8])) {
    out(b"Available flags for TagSanitizer (TAGSAN_OPTIONS=name=value:...):\n");
    for flag in TABLE {
        out(b"\t");
        out(flag.name.as_bytes());
        out(b"\n\t\t- ");
        out(flag.help.as_bytes());
        out(b" (default: ");
        (flag.show_default)(out);
        out(b")\n");
    }
}

/// Parses `text` (from `source`, named in warnings) into `f`, calling
/// `warn` with each one-line warning (the pieces of one line, then `\n`).
/// Allocates nothing.
pub fn parse_into(f: &mut Flags, text: &[u8], source: &[u8], warn: &mut dyn FnMut(&[u8])) {
    let is_sep = |c: u8| c == b':' || c == b',' || c == b' ' || c == b'\t' || c == b'\n';
    let mut at = 0;
    while at < text.len() {
        if is_sep(text[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < text.len() && !is_sep(text[at]) && text[at] != b'=' {
            at += 1;
        }
        let key = &text[start..at];
        if at >= text.len() || text[at] != b'=' {
            warn(b"tagsan: warning: option '");
            warn(key);
            warn(b"' in ");
            warn(source);
            warn(b" has no value, ignored\n");
            continue;
        }
        at += 1;
        // A quoted value runs to the matching quote (separators included),
        // as in the sanitizers' option parser.
        let value = match text.get(at) {
            Some(&q @ (b'"' | b'\'')) => {
                let Some(len) = text[at + 1..].iter().position(|&c| c == q) else {
                    warn(b"tagsan: warning: unterminated quote in the value of option '");
                    warn(key);
                    warn(b"' in ");
                    warn(source);
                    warn(b", ignored\n");
                    return;
                };
                let v = &text[at + 1..at + 1 + len];
                at += len + 2;
                v
            }
            _ => {
                let v_start = at;
                while at < text.len() && !is_sep(text[at]) {
                    at += 1;
                }
                &text[v_start..at]
            }
        };
        match set(f, key, value) {
            SetResult::Ok => {}
            SetResult::UnknownKey => {
                warn(b"tagsan: warning: unknown option '");
                warn(key);
                warn(b"' in ");
                warn(source);
                warn(b", ignored\n");
            }
            SetResult::BadValue => {
                warn(b"tagsan: warning: bad value '");
                warn(value);
                warn(b"' for option '");
                warn(key);
                warn(b"' in ");
                warn(source);
                warn(b", using the default\n");
            }
        }
    }
}

enum SetResult {
    Ok,
    UnknownKey,
    BadValue,
}

/// Decimal, or hex with `0x`.
fn parse_uint(v: &[u8]) -> Option<u64> {
    let (digits, radix) = match v {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        _ => (v, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)? as u64;
        n = n.checked_mul(radix as u64)?.checked_add(d)?;
    }
    Some(n)
}

impl Flags {
    /// `log_path` as bytes (empty = stderr).
    pub fn log_path(&self) -> &[u8] {
        self.log_path.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Flags, String) {
        let mut f = Flags::DEFAULT;
        let mut w = Vec::new();
        parse_into(&mut f, text.as_bytes(), b"TAGSAN_OPTIONS", &mut |b| {
            w.extend_from_slice(b)
        });
        (f, String::from_utf8(w).unwrap())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let (f, w) = parse("halt_on_error=0:exitcode=3:log_path=/tmp/x:quarantine_size_mb=0:tag_bits=5:malloc_fill_byte=0x7f:max_malloc_fill_size=4096:free_fill_byte=1:max_free_fill_size=10:malloc_context_size=5:verbosity=2:allocator_may_return_null=true:alloc_dealloc_mismatch=1:print_tags=no:symbolize=0");
        assert_eq!(w, "");
        assert!(!f.halt_on_error);
        assert_eq!(f.exitcode, 3);
        assert_eq!(f.log_path(), b"/tmp/x");
        assert_eq!(f.quarantine_size_mb, 0);
        assert_eq!(f.tag_bits, 5);
        assert_eq!(f.malloc_fill_byte, Byte(0x7f));
        assert_eq!(f.max_malloc_fill_size, 4096);
        assert_eq!(f.free_fill_byte, Byte(1));
        assert_eq!(f.max_free_fill_size, 10);
        assert_eq!(f.malloc_context_size, 5);
        assert_eq!(f.verbosity, 2);
        assert!(
            f.allocator_may_return_null
                && f.alloc_dealloc_mismatch
                && !f.print_tags
                && !f.symbolize
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_warn_and_keep_defaults() {
        let (f, w) = parse("foo=1:tag_bits=9:exitcode=x:halt_on_error");
        assert_eq!(
            w,
            "tagsan: warning: unknown option 'foo' in TAGSAN_OPTIONS, ignored\n\
             tagsan: warning: bad value '9' for option 'tag_bits' in TAGSAN_OPTIONS, using the default\n\
             tagsan: warning: bad value 'x' for option 'exitcode' in TAGSAN_OPTIONS, using the default\n\
             tagsan: warning: option 'halt_on_error' in TAGSAN_OPTIONS has no value, ignored\n"
        );
        assert_eq!(f.tag_bits, Flags::DEFAULT.tag_bits);
        assert_eq!(f.exitcode, Flags::DEFAULT.exitcode);
        assert!(f.halt_on_error);
    }

    #[test]
    fn separators_and_empty_items() {
        let (f, w) = parse("::verbosity=1, exitcode=7\ttag_bits=3:");
        assert_eq!(w, "");
        assert_eq!((f.verbosity, f.exitcode, f.tag_bits), (1, 7, 3));
    }

    #[test]
    fn exit_codes_outside_a_byte_are_bad_values() {
        for bad in ["256", "-1", "1000"] {
            let (f, w) = parse(&format!("exitcode={bad}"));
            assert_eq!(f.exitcode, 99);
            assert_eq!(
                w,
                format!("tagsan: warning: bad value '{bad}' for option 'exitcode' in TAGSAN_OPTIONS, using the default\n")
            );
        }
        assert_eq!(parse("exitcode=255").0.exitcode, 255);
        assert_eq!(parse("exitcode=0").0.exitcode, 0);
    }

    #[test]
    fn quoted_values_may_hold_separators() {
        let (f, w) = parse("log_path='/tmp/a b:c' verbosity=\"1\":exitcode=5");
        assert_eq!(w, "");
        assert_eq!(f.log_path(), b"/tmp/a b:c");
        assert_eq!((f.verbosity, f.exitcode), (1, 5));
        let (f, w) = parse("exitcode=5:log_path=\"/tmp/x");
        assert_eq!(f.exitcode, 5);
        assert_eq!(
            w,
            "tagsan: warning: unterminated quote in the value of option 'log_path' in TAGSAN_OPTIONS, ignored\n"
        );
    }

    #[test]
    fn warnings_name_their_source() {
        let mut f = Flags::DEFAULT;
        let mut w = Vec::new();
        parse_into(&mut f, b"nope=1", b"__tagsan_default_options()", &mut |b| {
            w.extend_from_slice(b)
        });
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "tagsan: warning: unknown option 'nope' in __tagsan_default_options(), ignored\n"
        );
    }

    #[test]
    fn rust_defaults_parse_cleanly() {
        let mut f = Flags::DEFAULT;
        let mut w = Vec::new();
        parse_into(&mut f, RUST_DEFAULT_OPTIONS.to_bytes(), b"x", &mut |b| {
            w.extend_from_slice(b)
        });
        assert!(w.is_empty() && f.allocator_may_return_null);
    }

    #[test]
    fn every_option_parses_its_own_default() {
        for flag in TABLE {
            let mut shown = Vec::new();
            (flag.show_default)(&mut |b| shown.extend_from_slice(b));
            let shown = String::from_utf8(shown).unwrap();
            if flag.name == "log_path" {
                assert_eq!(shown, "(stderr)");
                continue;
            }
            let (_, w) = parse(&format!("{}={shown}", flag.name));
            assert_eq!(w, "", "{}={shown} is rejected", flag.name);
        }
    }

    fn help_text() -> String {
        let mut out = Vec::new();
        print_help(&mut |b| out.extend_from_slice(b));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn help_lists_every_option_with_its_default() {
        let help = help_text();
        for flag in TABLE {
            assert!(
                help.contains(&format!("\t{}\n\t\t- {} (default: ", flag.name, flag.help)),
                "{} missing from help:\n{help}",
                flag.name
            );
        }
        assert!(help.contains("\ttag_bits\n") && help.contains("(default: 4)"));
        assert!(help.contains("(default: 0xbe)"));
    }

    /// The README's table of run-time options is this table: same names,
    /// same order, same defaults, same words.
    #[test]
    fn readme_table_matches_the_declaration() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md at the repository root");
        let section = readme
            .split("## Run-time options: `TAGSAN_OPTIONS`")
            .nth(1)
            .expect("README has the run-time options section");
        let rows: Vec<(String, String, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| option |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
                assert_eq!(cells.len(), 3, "README row {l:?}");
                let unquote = |s: &str| s.trim_matches('`').to_string();
                (unquote(cells[0]), unquote(cells[1]), cells[2].to_string())
            })
            .collect();
        let want: Vec<(String, String, String)> = TABLE
            .iter()
            .map(|f| {
                let mut d = Vec::new();
                (f.show_default)(&mut |b| d.extend_from_slice(b));
                (
                    f.name.to_string(),
                    String::from_utf8(d).unwrap(),
                    f.help.to_string(),
                )
            })
            .collect();
        assert_eq!(
            rows, want,
            "README.md's TAGSAN_OPTIONS table differs from runtime/src/flags.rs"
        );
    }
}
