//! Builds the runtime archive users link: `target/<profile>/libtagsan_rt.a`.
//!
//! Why a build script and not a plain `staticlib` output:
//! - The runtime must be built the same way whatever the user's RUSTFLAGS
//!   say: never with the tagsan plugin (it would instrument its own checks
//!   and recurse), always optimized, always with frame pointers (the fast
//!   unwinder walks them through the runtime's own frames). So it is built by
//!   a nested `cargo build` with its own target dir and flags.
//! - A Rust staticlib carries a copy of `std`. Linked into a Rust program
//!   (the `rustc -Z llvm-plugins` host), that copy's symbols would clash with
//!   the program's own `std`. So the archive is repackaged as one relocatable
//!   object in which every symbol is local except the runtime's C ABI
//!   (`__hwasan_*`, malloc and friends, `operator new`/`delete`, the
//!   `tagsan_*` API): it links into C, C++ and Rust programs alike.
//!
//! Alongside the archive it writes `libtagsan_rt.syms`, a linker dynamic
//! list of those symbols, so the executable exports its malloc and shared
//! libraries (libc included) use it.
//!
//! The same object, linked with `-shared`, is `libtagsan_rt.so`: the
//! runtime for programs tagsan did not build, loaded with `LD_PRELOAD`
//! (`tagsan run`). Its `DT_INIT` is `__tagsan_preload_init`, the link-order
//! check (`runtime/src/preload.rs`). The runtime is built with the
//! initial-exec TLS model for both: a preloaded object's TLS is in the
//! static block, and the default (general-dynamic) model would call
//! `__tls_get_addr` from malloc, which may allocate (in an executable the
//! linker turns either model into local-exec anyway).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Symbols that must stay global although they are std's: they live in
/// COMDAT groups, so the linker keeps one copy for the program's std and
/// ours, and a local copy would point into a discarded section.
const COMDAT_GLOBALS: &[&str] = &["DW.ref.rust_eh_personality"];

/// The shared runtime's file name (also its soname).
const SHARED_RUNTIME: &str = "libtagsan_rt.so";

/// The shared runtime's `DT_INIT` (runtime/src/preload.rs).
const SHARED_INIT: &str = tagsan_abi::symbols::PRELOAD_INIT;

/// Prefix of the archive members that hold the runtime crate's own code.
const RUNTIME_MEMBER_PREFIX: &str = "tagsan_runtime-";

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/tagsan-<hash>/out.
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .expect("OUT_DIR has the usual shape")
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .expect("profile dir has a parent")
        .to_path_buf();

    println!("cargo:rerun-if-changed=runtime");
    println!("cargo:rerun-if-changed=abi");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");

    let raw = build_runtime(&root, &target_dir.join("runtime-build"));
    let exports = runtime_exports(&raw);
    let combined = out_dir.join("tagsan_rt.o");
    link_relocatable(&raw, &exports, &out_dir, &combined);
    let mut keep_global = exports.clone();
    keep_global.extend(COMDAT_GLOBALS.iter().map(|s| s.to_string()));
    localize_internal_symbols(&combined, &out_dir.join("keep-global.txt"), &keep_global);

    let archive = profile_dir.join("libtagsan_rt.a");
    let _ = fs::remove_file(&archive);
    run(
        Command::new("ar").arg("rcs").arg(&archive).arg(&combined),
        "ar",
    );
    write_dynamic_list(&profile_dir.join("libtagsan_rt.syms"), &exports);
    assert!(
        exports.iter().any(|s| s == SHARED_INIT),
        "tagsan build: the runtime does not export {SHARED_INIT}"
    );
    link_shared(&combined, &profile_dir.join(SHARED_RUNTIME));
    install_headers(&root.join("runtime/include"), &profile_dir.join("include"));
}

/// Installs the runtime's public headers (`tagsan.h`, and `tagsan.rs` for
/// Rust programs) beside the archive, where `tagsan cc` adds them to the
/// include path.
fn install_headers(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create include dir");
    for entry in fs::read_dir(from).expect("runtime/include exists") {
        let path = entry.expect("read runtime/include").path();
        if let Some(name) = path.file_name() {
            fs::copy(&path, to.join(name)).expect("copy a runtime header");
        }
    }
}

/// Builds the runtime crate's staticlib in `target_dir`, without the user's
/// RUSTFLAGS, and returns the path of the raw archive.
fn build_runtime(root: &Path, target_dir: &Path) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--release",
            "--lib",
            "-p",
            "tagsan-runtime",
            "--target-dir",
        ])
        .arg(target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        // No shrink-wrapping: it may move the frame set-up below the
        // `Origin::of_caller()` read of rbp at the top of an entry point.
        // Initial-exec TLS: see the module comment (`-Z`, hence
        // RUSTC_BOOTSTRAP on a stable toolchain).
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            "-Cforce-frame-pointers=yes\x1f-Cllvm-args=-enable-shrink-wrap=false\x1f-Ztls-model=initial-exec",
        )
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "line-tables-only")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    run(&mut cmd, "cargo build of the runtime");
    target_dir.join("release/libtagsan_runtime.a")
}

/// The runtime's C ABI: globally defined, unmangled symbols of the runtime
/// crate's own archive members (Rust-mangled names and std's are internal).
fn runtime_exports(raw: &Path) -> Vec<String> {
    let out = output(
        Command::new("nm")
            .args(["-g", "--defined-only", "--format=posix"])
            .arg(raw),
        "nm",
    );
    let mut exports = Vec::new();
    let mut in_runtime_member = false;
    for line in out.lines() {
        // Member headers look like `path/libtagsan_runtime.a[member.o]:`.
        if let Some(member) = line
            .strip_suffix("]:")
            .and_then(|l| l.rsplit_once('['))
            .map(|(_, m)| m)
        {
            in_runtime_member = member.starts_with(RUNTIME_MEMBER_PREFIX);
            continue;
        }
        // Symbol lines are `name type value size`; anything else (a warning
        // from a bfd plugin, say) is not a symbol.
        let mut fields = line.split_whitespace();
        let (name, kind) = match (fields.next(), fields.next()) {
            (Some(n), Some(k)) if in_runtime_member && k.len() == 1 => (n, k),
            _ => continue,
        };
        if !kind.chars().all(|c| c.is_ascii_uppercase()) {
            continue;
        }
        if !is_rust_internal(name) {
            exports.push(name.to_string());
        }
    }
    exports.sort();
    exports.dedup();
    // Every entry point the pass may call must be there (tagsan-abi's list).
    let missing: Vec<&str> = tagsan_abi::symbols::all()
        .filter(|name| !exports.iter().any(|s| s == name))
        .collect();
    assert!(
        missing.is_empty(),
        "tagsan build: the runtime archive does not export {missing:?}; found {exports:?}"
    );
    exports
}

/// Whether a symbol is Rust-internal (mangled Rust, or std's runtime hooks).
fn is_rust_internal(name: &str) -> bool {
    let legacy_rust = name.starts_with("_ZN") && name.ends_with('E') && name.contains("17h");
    legacy_rust || name.starts_with("_R") || name.starts_with("rust_") || name.starts_with("__rust")
}

/// Links the archive members the exports need into one relocatable object.
fn link_relocatable(raw: &Path, exports: &[String], out_dir: &Path, combined: &Path) {
    let mut cmd = Command::new("ld");
    cmd.arg("-r").arg("-o").arg(combined);
    for sym in exports {
        cmd.arg("-u").arg(sym);
    }
    cmd.arg(raw).current_dir(out_dir);
    run(&mut cmd, "ld -r");
}

/// Makes every global symbol of `object` local except `keep_global`, and drops
/// debug info and std's embedded bitcode (`.llvmbc`, `.llvmcmd`): together
/// they make the object ~6x larger, and binutils' LTO plugin (LLVMgold from
/// the LLVM packages) aborts on the bitcode inside `ar`.
fn localize_internal_symbols(object: &Path, list: &Path, keep_global: &[String]) {
    fs::write(list, keep_global.join("\n") + "\n").expect("write export list");
    let mut cmd = Command::new("objcopy");
    cmd.args([
        "--strip-debug",
        "--remove-section=.llvmbc",
        "--remove-section=.llvmcmd",
    ])
    .arg("--keep-global-symbols")
    .arg(list)
    .arg(object);
    run(&mut cmd, "objcopy");
}

/// Links the runtime object into `libtagsan_rt.so`. `-z defs`: every
/// symbol it needs must come from libc, libpthread or libgcc_s, so a
/// missing one fails here and not in a user's program.
fn link_shared(object: &Path, out: &Path) {
    let tmp = out.with_extension("so.tmp");
    let mut cmd = Command::new("cc");
    cmd.arg("-shared")
        .arg("-o")
        .arg(&tmp)
        .arg(object)
        .arg(format!("-Wl,-soname,{SHARED_RUNTIME}"))
        .arg(format!("-Wl,-init,{SHARED_INIT}"))
        .args([
            "-Wl,-z,defs",
            "-Wl,-z,nodelete",
            "-lpthread",
            "-ldl",
            "-lgcc_s",
        ]);
    run(&mut cmd, "cc -shared (libtagsan_rt.so)");
    // Replaced in one step: a program running under the old one keeps it.
    fs::rename(&tmp, out).expect("install libtagsan_rt.so");
}

/// A linker `--dynamic-list` naming the exports.
fn write_dynamic_list(path: &Path, exports: &[String]) {
    let mut text = String::from("{\n");
    for sym in exports {
        text.push_str("  ");
        text.push_str(sym);
        text.push_str(";\n");
    }
    text.push_str("};\n");
    fs::write(path, text).expect("write dynamic list");
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| {
        panic!("tagsan build: cannot run {what} ({e}); building the runtime needs cargo and binutils (ld, objcopy, ar, nm)")
    });
    assert!(status.success(), "tagsan build: {what} failed ({status})");
}

fn output(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("tagsan build: cannot run {what} ({e}); building the runtime needs binutils (ld, objcopy, ar, nm)")
    });
    assert!(
        out.status.success(),
        "tagsan build: {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
