//! tagsan runtime: a tagged heap on any x86_64 CPU, shadow memory, the
//! allocator that tags it, the checks instrumented code calls, and reports.
//!
//! Split by concern, as compiler-rt's `lib/hwasan` is:
//!
//! | module          | what lives there                                          |
//! |-----------------|-----------------------------------------------------------|
//! | `layout`        | where tags sit in pointers, heap/shadow addresses, encoding |
//! | `mapping`       | creating the heap aliases and the shadow                  |
//! | `shadow`        | reading and writing memory tags, short granules           |
//! | `tags`          | choosing tags (random, never equal to a neighbour's)       |
//! | `allocator`     | size classes, chunk metadata, thread caches, quarantine   |
//! | `cache`         | object caches (constructors, TYPESAFE_BY_RCU) and RCU     |
//! | `interceptors`  | malloc/free/... and C++ operator new/delete               |
//! | `checks`        | `__hwasan_{load,store}*`, `__hwasan_mem*`                 |
//! | `abi`           | the rest of the `__hwasan_*` interface, `__hwasan_tls`    |
//! | `flags`         | `TAGSAN_OPTIONS`                                          |
//! | `init`          | start-up (lazy, works before `__hwasan_init`)             |
//! | `bootstrap`     | malloc re-entered during start-up (a static arena)        |
//! | `environ`       | reading `TAGSAN_OPTIONS` without `getenv`                 |
//! | `heap_limits`   | what the heap may grow to (RAM + swap, rlimits, options)  |
//! | `startup_summary`| what `verbosity=1` prints                                |
//! | `sys`           | raw system calls nothing can interpose                    |
//! | `thread`        | thread ids and per-thread state                          |
//! | `fork`          | giving a forked child its own heap                        |
//! | `internal_alloc`| the runtime's own memory, never the user's malloc         |
//! | `sync`          | locks usable before init, in reports and across fork      |
//! | `stack_depot`   | deduplicated stack traces taken at malloc and free        |
//! | `history`       | each thread's recent frees, for stale-pointer reports     |
//! | `unwind`        | the fast frame-pointer unwinder                          |
//! | `symbolize`     | in-process DWARF symbolization                            |
//! | `report`        | classifying and printing errors                           |
//! | `preload`       | the shared runtime (`LD_PRELOAD`): its link-order check |
//! | `output`        | stderr / `log_path`, without allocating from the user heap|

pub mod layout;

pub mod abi;
pub mod allocator;
pub mod bootstrap;
pub mod cache;
pub mod checks;
pub mod environ;
pub mod flags;
pub mod fork;
pub mod heap_limits;
pub mod history;
pub mod init;
pub mod interceptors;
pub mod internal_alloc;
pub mod mapping;
pub mod output;
pub mod preload;
pub mod report;
pub mod shadow;
pub mod stack_depot;
pub mod startup_summary;
pub mod symbolize;
pub mod sync;
pub mod sys;
pub mod tags;
pub mod thread;
pub mod unwind;
