//! Demangling of Rust (legacy and v0) and C++ (Itanium) names, as
//! llvm-symbolizer prints them: Rust without the trailing hash.

use std::fmt::Write as _;

/// The demangled form of `name`, or `name` itself when it is not mangled.
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        // `{:#}` leaves out the `::h0123...` hash.
        let mut s = String::new();
        let _ = write!(s, "{d:#}");
        return s;
    }
    if name.starts_with("_Z") {
        if let Ok(sym) = cpp_demangle::Symbol::new(name.as_bytes()) {
            if let Ok(s) = sym.demangle() {
                return s;
            }
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn rust_legacy_and_v0_without_hash() {
        assert_eq!(demangle("_ZN3foo3bar17h05af221e174051e9E"), "foo::bar");
        assert_eq!(demangle("_RNvCs1234_7mycrate4main"), "mycrate::main");
    }

    #[test]
    fn cxx_and_plain_names() {
        assert_eq!(demangle("_Z3fooi"), "foo(int)");
        assert_eq!(demangle("_ZN2ns1S6methodEv"), "ns::S::method()");
        assert_eq!(demangle("main"), "main");
    }
}
