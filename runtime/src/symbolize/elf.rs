//! One module's file, mapped read-only, with its DWARF (through addr2line)
//! and its symbol table. The mapping is never unmapped: parsed data borrows
//! from it for the life of the process, and modules are few.

use addr2line::gimli;
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

type Reader = gimli::EndianSlice<'static, gimli::LittleEndian>;

/// A symbol-table entry, in file addresses.
#[derive(Clone, Copy, Debug)]
pub struct Symbol {
    pub addr: u64,
    pub size: u64,
    pub name: &'static str,
    pub is_function: bool,
}

/// One frame of a symbolized pc (several when inlined, innermost first).
#[derive(Clone, Debug, Default)]
pub struct SourceFrame {
    pub function: Option<String>,
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
}

pub struct ElfModule {
    dwarf: Option<addr2line::Context<Reader>>,
    /// Sorted by address.
    symbols: Vec<Symbol>,
}

impl ElfModule {
    /// Maps and parses `path`; `None` if it cannot be read or is not ELF.
    /// A module without DWARF borrows what its separate debug file (found
    /// by build id or debuglink under /usr/lib/debug, as distributions ship
    /// them) has: symbols and DWARF.
    pub fn open(path: &str) -> Option<ElfModule> {
        let data = map_file(path)?;
        let file = object::File::parse(data).ok()?;
        let mut dwarf = load_dwarf(&file);
        // .symtab has the local functions too; .dynsym is what stripped
        // libraries keep.
        let mut symbols = collect_symbols(file.symbols());
        if dwarf.is_none() {
            if let Some(debug) = debug_file(&file, path) {
                dwarf = load_dwarf(&debug);
                let more = collect_symbols(debug.symbols());
                if more.len() > symbols.len() {
                    symbols = more;
                }
            }
        }
        if symbols.is_empty() {
            symbols = collect_symbols(file.dynamic_symbols());
        }
        symbols.sort_by_key(|s| (s.addr, core::cmp::Reverse(s.size)));
        Some(ElfModule { dwarf, symbols })
    }

    /// Source frames of file address `addr`, innermost first; empty if the
    /// module has no line information for it.
    pub fn source_frames(&self, addr: u64) -> Vec<SourceFrame> {
        let mut out = Vec::new();
        let Some(ctx) = &self.dwarf else { return out };
        let Ok(mut frames) = ctx.find_frames(addr).skip_all_loads() else {
            return out;
        };
        while let Ok(Some(f)) = frames.next() {
            let function = f
                .function
                .as_ref()
                .and_then(|n| n.raw_name().ok())
                .map(|n| super::demangle::demangle(&n));
            let (file, line, column) = match &f.location {
                Some(l) => (
                    l.file.map(str::to_string),
                    l.line.unwrap_or(0),
                    l.column.unwrap_or(0),
                ),
                None => (None, 0, 0),
            };
            out.push(SourceFrame {
                function,
                file,
                line,
                column,
            });
        }
        out
    }

    /// The symbol covering file address `addr` (of the given kind).
    pub fn symbol_at(&self, addr: u64, function: bool) -> Option<Symbol> {
        let i = self.symbols.partition_point(|s| s.addr <= addr);
        // Walk back over symbols starting at or below addr: the nearest one
        // that covers it (size 0 symbols cover up to the next symbol).
        let mut j = i;
        while j > 0 {
            j -= 1;
            let s = self.symbols[j];
            if s.is_function != function {
                continue;
            }
            let end = if s.size != 0 {
                s.addr + s.size
            } else {
                self.symbols.get(i).map_or(u64::MAX, |n| n.addr)
            };
            if addr < end {
                return Some(s);
            }
            // Functions do not nest: the nearest one decides.
            if s.size != 0 || function {
                return None;
            }
        }
        None
    }
}

fn collect_symbols<'f>(syms: impl Iterator<Item = object::Symbol<'static, 'f>>) -> Vec<Symbol> {
    let mut out = Vec::new();
    for s in syms {
        let is_function = s.kind() == SymbolKind::Text;
        if !(is_function || s.kind() == SymbolKind::Data) || s.address() == 0 || !s.is_definition()
        {
            continue;
        }
        if let Ok(name) = s.name() {
            if !name.is_empty() {
                out.push(Symbol {
                    addr: s.address(),
                    size: s.size(),
                    name,
                    is_function,
                });
            }
        }
    }
    out
}

/// The separate debug file of `file`: `/usr/lib/debug/.build-id/xx/rest.debug`
/// by build id, else `/usr/lib/debug<dir>/<debuglink>`.
fn debug_file(
    file: &object::File<'static, &'static [u8]>,
    path: &str,
) -> Option<object::File<'static, &'static [u8]>> {
    let mut candidates: Vec<String> = Vec::new();
    if let Ok(Some(id)) = file.build_id() {
        if id.len() > 1 {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            candidates.push(format!(
                "/usr/lib/debug/.build-id/{}/{}.debug",
                &hex[..2],
                &hex[2..]
            ));
        }
    }
    if let Ok(Some((name, _crc))) = file.gnu_debuglink() {
        if let (Ok(name), Some((dir, _))) = (core::str::from_utf8(name), path.rsplit_once('/')) {
            candidates.push(format!("/usr/lib/debug{dir}/{name}"));
            candidates.push(format!("{dir}/.debug/{name}"));
        }
    }
    candidates
        .iter()
        .find_map(|c| object::File::parse(map_file(c)?).ok())
}

fn load_dwarf(file: &object::File<'static, &'static [u8]>) -> Option<addr2line::Context<Reader>> {
    file.section_by_name(".debug_info")?;
    let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| section_bytes(&s))
            .unwrap_or(&[]);
        Ok(gimli::EndianSlice::new(data, gimli::LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    addr2line::Context::from_dwarf(dwarf).ok()
}

/// A section's contents, inflated if zlib-compressed (as distributions'
/// separate debug files are). Inflated data lives as long as the module,
/// which is the life of the process.
fn section_bytes(s: &object::Section<'static, '_, &'static [u8]>) -> Option<&'static [u8]> {
    let c = s.compressed_data().ok()?;
    match c.format {
        object::CompressionFormat::None => Some(c.data),
        object::CompressionFormat::Zlib => {
            let out = miniz_oxide::inflate::decompress_to_vec_zlib(c.data).ok()?;
            (out.len() as u64 == c.uncompressed_size).then(|| &*Box::leak(out.into_boxed_slice()))
        }
        _ => None,
    }
}

/// Maps a whole file read-only (never through the user's heap).
fn map_file(path: &str) -> Option<&'static [u8]> {
    let mut cpath = [0u8; 4097];
    if path.len() >= cpath.len() || path.is_empty() {
        return None;
    }
    cpath[..path.len()].copy_from_slice(path.as_bytes());
    unsafe {
        let fd = libc::open(cpath.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let mut st: libc::stat = core::mem::zeroed();
        let ok = libc::fstat(fd, &mut st) == 0 && st.st_size > 0;
        let p = if ok {
            libc::mmap(
                core::ptr::null_mut(),
                st.st_size as usize,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                fd,
                0,
            )
        } else {
            libc::MAP_FAILED
        };
        libc::close(fd);
        if p == libc::MAP_FAILED {
            return None;
        }
        Some(core::slice::from_raw_parts(
            p as *const u8,
            st.st_size as usize,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ElfModule;

    #[test]
    fn separate_debug_files_name_local_functions() {
        // Only meaningful where the distribution's libc debug file is installed.
        let libc = "/lib/x86_64-linux-gnu/libc.so.6";
        let Some(m) = ElfModule::open(libc) else {
            return;
        };
        let with_debug = m.symbols.iter().any(|s| s.name == "__libc_start_call_main");
        let installed = std::path::Path::new("/usr/lib/debug/.build-id").exists();
        if installed {
            assert!(with_debug, "{} symbols", m.symbols.len());
        }
    }
}
