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
    /// Bytes of freed memory held back from reuse.
    pub quarantine_size_mb: usize,
    /// Pointer tag width, 3..=6.
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
    /// Bytes of the heap region's `free_fill`... reserved for options yet to come.
    pub print_summary: bool,
}

impl Flags {
    pub const DEFAULT: Flags = Flags {
        halt_on_error: true,
        exitcode: 99,
        log_path: [0; 256],
        quarantine_size_mb: 4,
        tag_bits: 3,
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
    };
}

/// The options in force (defaults until `init` parsed the environment).
pub fn flags() -> &'static Flags {
    &Flags::DEFAULT
}
