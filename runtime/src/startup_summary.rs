//! What `verbosity=1` prints at start-up, as HWASan prints its mapping and
//! options: the options in effect (from every source, see `flags`), the
//! heap layout and tag bits, and the memory limits (`heap_limits`).

use crate::layout::*;
use core::fmt::Write;

/// Prints the start-up summary on the report stream.
pub fn print(flags: &crate::flags::Flags) {
    let mut out = crate::report::format::Out::new();
    let _ = writeln!(
        out,
        "=={}==TagSanitizer: initialized (verbosity={})",
        crate::sys::getpid(),
        flags.verbosity
    );
    let _ = write!(out, "options in effect:");
    for flag in crate::flags::TABLE {
        let mut value = [0u8; 260];
        let mut len = 0;
        (flag.show_value)(flags, &mut |b: &[u8]| {
            let n = b.len().min(value.len() - len);
            value[len..len + n].copy_from_slice(&b[..n]);
            len += n;
        });
        let _ = write!(
            out,
            " {}={}",
            flag.name,
            core::str::from_utf8(&value[..len]).unwrap_or("?")
        );
    }
    let _ = writeln!(out);
    let bits = crate::mapping::tag_bits();
    let aliases = crate::mapping::alias_count();
    let _ = writeln!(
        out,
        "heap: {aliases} aliases of {HEAP_SIZE:#x} bytes at [{HEAP_BASE:#x}, {:#x}), one per tag; \
         memfd fd {}",
        HEAP_BASE + (aliases << TAG_SHIFT),
        crate::mapping::heap_fd()
    );
    let _ = writeln!(
        out,
        "tags: {bits} bits in pointer bits {TAG_SHIFT}..{}, heap tags 1..{} (a far-away bug is missed 1 time in {})",
        TAG_SHIFT + bits - 1,
        aliases - 1,
        aliases - 1
    );
    let _ = writeln!(
        out,
        "shadow: [{SHADOW_BASE:#x}, {:#x}), 1 byte per {GRANULE_SIZE}-byte granule",
        SHADOW_BASE + SHADOW_SIZE
    );
    crate::heap_limits::summary(&mut out);
    out.flush();
}
