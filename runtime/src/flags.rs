//! Run-time options from `TAGSAN_OPTIONS` (`key=value:key=value`, also `,`
//! or whitespace separated, as the sanitizers accept). A malformed value or
//! unknown key gets a one-line warning that names it, and the default.

/// All options, with their defaults in `Flags::DEFAULT`.
#[derive(Clone, Debug)]
pub struct Flags {
    /// Stop at the first error (else report and continue).
    pub halt_on_error: bool,
    /// Exit code after a report when halting.
    pub exitcode: i32,
    /// Write reports to `<log_path>.<pid>` instead of stderr ("" = stderr).
    pub log_path: [u8; 256],
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
    pub quarantine_size_mb: usize,
    /// Pointer tag width, 3..=6 (number of heap aliases is `2^tag_bits`; see `mapping.rs`).
    pub tag_bits: u32,
    /// Fill new allocations with `malloc_fill_byte` (up to `max_malloc_fill_size`).
    pub malloc_fill_byte: u8,
    pub max_malloc_fill_size: usize,
    /// Fill freed memory with `free_fill_byte` (up to `max_free_fill_size`).
    pub free_fill_byte: u8,
    pub max_free_fill_size: usize,
    /// Frames kept for allocation and free stacks.
    pub malloc_context_size: usize,
    /// 0 quiet, 1 start-up summary, 2 debugging.
    pub verbosity: u32,
    /// Return NULL (with errno) on impossible allocations instead of reporting.
    pub allocator_may_return_null: bool,
    /// Report malloc/delete, new[]/delete and similar mismatches.
    pub alloc_dealloc_mismatch: bool,
    /// Print the memory tags around a bad address.
    pub print_tags: bool,
    /// Symbolize frames in-process (file:line from DWARF).
    pub symbolize: bool,
    /// Tag heap allocations (`__hwasan_disable_allocator_tagging` turns it off at run time).
    pub tag_allocations: bool,
    /// Print the `SUMMARY:` line at the end of a report.
    pub print_summary: bool,
    /// Object caches (`cache`): delay the retag of a freed TYPESAFE_BY_RCU
    /// object until a grace period has passed (Linux's SLUB_RCU_DEBUG).
    pub slab_rcu_debug: bool,
    /// Object caches: warn when a TYPESAFE_BY_RCU cache has no constructor.
    pub warn_rcu_without_ctor: bool,
}

impl Flags {
    pub const DEFAULT: Flags = Flags {
        halt_on_error: true,
        exitcode: 99,
        log_path: [0; 256],
        quarantine_size_mb: 1,
        tag_bits: crate::mapping::DEFAULT_TAG_BITS,
        malloc_fill_byte: 0xbe,
        max_malloc_fill_size: 0,
        free_fill_byte: 0x55,
        max_free_fill_size: 0,
        malloc_context_size: 30,
        verbosity: 0,
        allocator_may_return_null: false,
        alloc_dealloc_mismatch: false,
        print_tags: true,
        symbolize: true,
        tag_allocations: true,
        print_summary: true,
        slab_rcu_debug: false,
        warn_rcu_without_ctor: true,
    };
}

/// Where the parsed options live: written once by `init` (before any other
/// thread can exist or the heap is handed out), read-only afterwards.
struct FlagsCell(core::cell::UnsafeCell<Flags>);
unsafe impl Sync for FlagsCell {}
static FLAGS: FlagsCell = FlagsCell(core::cell::UnsafeCell::new(Flags::DEFAULT));

/// The options in force (defaults until `init` parsed the environment).
#[inline]
pub fn flags() -> &'static Flags {
    unsafe { &*FLAGS.0.get() }
}

/// Parses `TAGSAN_OPTIONS` into the flags in force. Called once by `init`.
pub fn init_from_env() {
    let mut f = Flags::DEFAULT;
    let env = unsafe { libc::getenv(c"TAGSAN_OPTIONS".as_ptr()) };
    if !env.is_null() {
        let bytes = unsafe { core::ffi::CStr::from_ptr(env) }.to_bytes();
        parse_into(&mut f, bytes, &mut |w| crate::output::write_all(w));
    }
    unsafe { *FLAGS.0.get() = f };
}

/// Parses `text` into `f`, calling `warn` with each one-line warning (the
/// pieces of one line, then `\n`). Allocates nothing.
pub fn parse_into(f: &mut Flags, text: &[u8], warn: &mut dyn FnMut(&[u8])) {
    for item in text.split(|&c| c == b':' || c == b',' || c == b' ' || c == b'\t' || c == b'\n') {
        if item.is_empty() {
            continue;
        }
        let (key, value) = match item.iter().position(|&c| c == b'=') {
            Some(i) => (&item[..i], &item[i + 1..]),
            None => {
                warn(b"tagsan: warning: option '");
                warn(item);
                warn(b"' in TAGSAN_OPTIONS has no value, ignored\n");
                continue;
            }
        };
        match set(f, key, value) {
            SetResult::Ok => {}
            SetResult::UnknownKey => {
                warn(b"tagsan: warning: unknown option '");
                warn(key);
                warn(b"' in TAGSAN_OPTIONS, ignored\n");
            }
            SetResult::BadValue => {
                warn(b"tagsan: warning: bad value '");
                warn(value);
                warn(b"' for option '");
                warn(key);
                warn(b"' in TAGSAN_OPTIONS, using the default\n");
            }
        }
    }
}

enum SetResult {
    Ok,
    UnknownKey,
    BadValue,
}

fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"1" | b"true" | b"yes" => Some(true),
        b"0" | b"false" | b"no" => Some(false),
        _ => None,
    }
}

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

fn parse_int(v: &[u8]) -> Option<i64> {
    match v {
        [b'-', rest @ ..] => parse_uint(rest)
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| -n),
        _ => parse_uint(v).and_then(|n| i64::try_from(n).ok()),
    }
}

fn set(f: &mut Flags, key: &[u8], v: &[u8]) -> SetResult {
    macro_rules! val {
        ($e:expr) => {
            match $e {
                Some(x) => x,
                None => return SetResult::BadValue,
            }
        };
    }
    let byte = |v: &[u8]| parse_uint(v).and_then(|n| u8::try_from(n).ok());
    let size = |v: &[u8]| parse_uint(v).and_then(|n| usize::try_from(n).ok());
    match key {
        b"halt_on_error" => f.halt_on_error = val!(parse_bool(v)),
        b"exitcode" => f.exitcode = val!(parse_int(v).and_then(|n| i32::try_from(n).ok())),
        b"log_path" => {
            if v.len() >= f.log_path.len() {
                return SetResult::BadValue;
            }
            f.log_path = [0; 256];
            f.log_path[..v.len()].copy_from_slice(v);
        }
        b"quarantine_size_mb" => f.quarantine_size_mb = val!(size(v).filter(|&n| n <= 1 << 20)),
        b"tag_bits" => {
            f.tag_bits = val!(parse_uint(v)
                .filter(|n| (crate::layout::MIN_TAG_BITS as u64
                    ..=crate::layout::MAX_TAG_BITS as u64)
                    .contains(n))
                .map(|n| n as u32))
        }
        b"malloc_fill_byte" => f.malloc_fill_byte = val!(byte(v)),
        b"max_malloc_fill_size" => f.max_malloc_fill_size = val!(size(v)),
        b"free_fill_byte" => f.free_fill_byte = val!(byte(v)),
        b"max_free_fill_size" => f.max_free_fill_size = val!(size(v)),
        b"malloc_context_size" => f.malloc_context_size = val!(size(v).filter(|&n| n <= 256)),
        b"verbosity" => f.verbosity = val!(parse_uint(v).and_then(|n| u32::try_from(n).ok())),
        b"allocator_may_return_null" => f.allocator_may_return_null = val!(parse_bool(v)),
        b"alloc_dealloc_mismatch" => f.alloc_dealloc_mismatch = val!(parse_bool(v)),
        b"print_tags" => f.print_tags = val!(parse_bool(v)),
        b"symbolize" => f.symbolize = val!(parse_bool(v)),
        b"tag_allocations" => f.tag_allocations = val!(parse_bool(v)),
        b"print_summary" => f.print_summary = val!(parse_bool(v)),
        b"slab_rcu_debug" => f.slab_rcu_debug = val!(parse_bool(v)),
        b"warn_rcu_without_ctor" => f.warn_rcu_without_ctor = val!(parse_bool(v)),
        _ => return SetResult::UnknownKey,
    }
    SetResult::Ok
}

impl Flags {
    /// `log_path` as bytes (empty = stderr).
    pub fn log_path(&self) -> &[u8] {
        let n = self
            .log_path
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.log_path.len());
        &self.log_path[..n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Flags, String) {
        let mut f = Flags::DEFAULT;
        let mut w = Vec::new();
        parse_into(&mut f, text.as_bytes(), &mut |b| w.extend_from_slice(b));
        (f, String::from_utf8(w).unwrap())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let (f, w) = parse("halt_on_error=0:exitcode=-3:log_path=/tmp/x:quarantine_size_mb=0:tag_bits=5:malloc_fill_byte=0x7f:max_malloc_fill_size=4096:free_fill_byte=1:max_free_fill_size=10:malloc_context_size=5:verbosity=2:allocator_may_return_null=true:alloc_dealloc_mismatch=1:print_tags=no:symbolize=0");
        assert_eq!(w, "");
        assert!(!f.halt_on_error);
        assert_eq!(f.exitcode, -3);
        assert_eq!(f.log_path(), b"/tmp/x");
        assert_eq!(f.quarantine_size_mb, 0);
        assert_eq!(f.tag_bits, 5);
        assert_eq!(f.malloc_fill_byte, 0x7f);
        assert_eq!(f.max_malloc_fill_size, 4096);
        assert_eq!(f.free_fill_byte, 1);
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
}
