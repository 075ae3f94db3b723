//! Memory that does not exist (issue 13, item 4): requests the machine
//! cannot back fail at once (NULL with `allocator_may_return_null=1`, an
//! `out-of-memory` report otherwise), `RLIMIT_AS`/`RLIMIT_DATA` bound the
//! heap, `max_allocation_size_mb` caps one allocation, `ulimit -f` does not
//! break start-up, and a heap page the kernel cannot back is reported.
//! Every case fails by the accounting, not by filling the memory: the
//! program stops itself if its heap ever holds more than 1 GiB.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The program, built for test `name` (tests run in parallel: each builds
/// its own copy).
fn grow_exe(name: &str) -> PathBuf {
    build_c(name, &[&program("limits", "grow.c")], "1", &["-lpthread"])
}

/// Runs `exe mode` through `bash -c 'ulimit ...; exec ...'` (so the limits
/// are the program's own from its first instruction).
fn run_limited(exe: &PathBuf, ulimit: &str, mode: &str, options: &str) -> Run {
    run_within(
        Command::new("bash")
            .arg("-c")
            .arg(format!("{ulimit} && exec \"$0\" \"$1\""))
            .arg(exe)
            .arg(mode)
            .env("TAGSAN_OPTIONS", options),
        Duration::from_secs(120),
    )
}

#[test]
fn one_request_larger_than_ram_and_swap_fails_at_once() {
    let exe = grow_exe("limits_machine");
    let r = run(
        &exe,
        &["machine"],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    assert!(r.stdout.contains("= NULL, errno ENOMEM"), "{}", r.stdout);
    let r = run(&exe, &["machine"], &[]);
    assert_eq!(r.code, Some(99), "{}{}", r.stdout, r.stderr);
    r.assert_stderr_in_order(&[
        "ERROR: TagSanitizer: out-of-memory",
        "out of memory: one request for more than this machine's RAM + swap",
        "in main",
        "HINT: if you would rather have the allocator return NULL",
        "SUMMARY: TagSanitizer: out-of-memory",
    ]);
}

#[test]
fn a_buffer_doubled_past_the_ram_stops_quickly_without_eating_memory() {
    let exe = grow_exe("limits_doubling");
    let start = Instant::now();
    let r = run(
        &exe,
        &["doubling"],
        &[("TAGSAN_OPTIONS", "allocator_may_return_null=1")],
    );
    r.assert_clean();
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("doubling stopped"))
        .unwrap_or_else(|| panic!("{}{}", r.stdout, r.stderr));
    let field = |name: &str| -> u64 {
        let rest = &line[line.find(name).unwrap() + name.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (kept, refused, held) = (field(":"), field("kept,"), field("holds"));
    let machine = machine_bytes();
    // Refused at the first request beyond RAM + swap, not before.
    assert!(
        refused > machine && kept <= machine,
        "{line} (RAM + swap {machine})"
    );
    assert!(line.contains("errno ENOMEM"), "{line}");
    assert!(held < 64 << 20, "the heap really held {held} bytes: {line}");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

/// RAM + swap, as the kernel counts them.
fn machine_bytes() -> u64 {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib = |key: &str| -> u64 {
        info.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap()
            .parse()
            .unwrap()
    };
    (kib("MemTotal:") + kib("SwapTotal:")) * 1024
}

#[test]
fn max_allocation_size_mb_caps_one_allocation() {
    let exe = grow_exe("limits_max_mb");
    let r = run(
        &exe,
        &["doubling"],
        &[(
            "TAGSAN_OPTIONS",
            "allocator_may_return_null=1:max_allocation_size_mb=64",
        )],
    );
    r.assert_clean();
    assert!(
        r.stdout
            .contains("doubling stopped: 67108864 bytes kept, 134217728 refused, errno ENOMEM"),
        "{}",
        r.stdout
    );
    let r = run(
        &exe,
        &["doubling"],
        &[("TAGSAN_OPTIONS", "max_allocation_size_mb=64")],
    );
    assert_eq!(r.code, Some(99), "{}", r.stderr);
    r.assert_stderr_in_order(&[
        "ERROR: TagSanitizer: allocation-size-too-big",
        "requested allocation size exceeds max_allocation_size_mb (0x4000000 bytes) (size 0x8000000)",
        "in main",
    ]);
}

/// A soft `ulimit -v` / `ulimit -d` is the heap's budget, as it is glibc's;
/// the program's own mappings (a thread's stack) still work after the heap
/// was refused, and freed memory can be allocated again.
#[test]
fn soft_address_space_and_data_limits_bound_the_heap() {
    let exe = grow_exe("limits_rlimits");
    for limit in ["ulimit -S -v 1048576", "ulimit -S -d 1048576"] {
        let r = run_limited(&exe, limit, "doubling", "allocator_may_return_null=1");
        r.assert_clean();
        assert!(
            r.stdout.contains(
                "doubling stopped: 536870912 bytes kept, 1073741824 refused, errno ENOMEM"
            ) || r.stdout.contains(
                "doubling stopped: 268435456 bytes kept, 536870912 refused, errno ENOMEM"
            ),
            "{limit}: {}",
            r.stdout
        );
        let r = run_limited(&exe, limit, "small", "allocator_may_return_null=1");
        r.assert_clean();
        let mib: u64 = r
            .stdout
            .split("KiB (")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{limit}: {}", r.stdout));
        assert!((700..=1024).contains(&mib), "{limit}: {}", r.stdout);
        assert!(
            r.stdout
                .contains("before refused; thread ok; malloc after free ok"),
            "{limit}: {}",
            r.stdout
        );
        // Without allocator_may_return_null: a report naming the limit.
        let r = run_limited(&exe, limit, "doubling", "");
        assert_eq!(r.code, Some(99), "{}", r.stderr);
        r.assert_stderr_in_order(&[
            "ERROR: TagSanitizer: out-of-memory",
            "out of memory: the heap would pass RLIMIT_",
            "in main",
        ]);
    }
}

/// A soft `ulimit -f` limits the files a program writes; the heap's memory
/// file is not one (it used to kill the program with SIGXFSZ at start-up).
#[test]
fn a_file_size_limit_does_not_apply_to_the_heap() {
    let exe = grow_exe("limits_fsize");
    let r = run_limited(&exe, "ulimit -S -f 1000", "fsize", "");
    r.assert_clean();
    assert!(r.stdout.contains("fsize soft 1024000"), "{}", r.stdout);
}

/// A page of the heap the kernel cannot back (simulated by truncating the
/// heap's memory file; for real: the commit limit of
/// vm.overcommit_memory=2, a full memory cgroup) is an `out-of-memory`
/// report at the access, not a bare "Bus error".
#[test]
fn an_unbacked_heap_page_is_reported() {
    let src = program("limits", "grow.c");
    let exe = grow_exe("limits_unbacked");
    let r = run(&exe, &["unbacked"], &[]);
    assert_eq!(r.code, Some(99), "{}{}", r.stdout, r.stderr);
    r.assert_report("out-of-memory");
    r.assert_stderr_in_order(&[
        "the kernel could not give the tagged heap's memory file a page",
        "in main ",
        &marked_location(&src, "// BUG:"),
        "SUMMARY: TagSanitizer: out-of-memory",
    ]);
    assert!(!r.stdout.contains("write went through"));
}
