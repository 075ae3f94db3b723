//! Builds the C++ shim (pass/shim/*.cpp): the only part of the plugin the
//! LLVM C API cannot express, i.e. registering with the new PassBuilder.
//! It is compiled against the headers of the LLVM the host must be (22);
//! libLLVM itself is never linked: the host process provides it.

use std::process::Command;

fn llvm_config(arg: &str) -> String {
    let exe = std::env::var("LLVM_CONFIG")
        .unwrap_or_else(|_| format!("llvm-config{}", tagsan_abi::llvm::TOOL_SUFFIX));
    let out = Command::new(&exe).arg(arg).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{exe} {arg}`: {e} (install llvm{}-dev)",
            tagsan_abi::llvm::TOOL_SUFFIX
        )
    });
    assert!(out.status.success(), "`{exe} {arg}` failed");
    String::from_utf8(out.stdout).expect("llvm-config output is not UTF-8")
}

fn main() {
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-env-changed=LLVM_CONFIG");
    let mut build = cc::Build::new();
    // LLVM's headers are noisy under -Wextra; warnings stay at the compiler default.
    build.cpp(true).file("shim/register.cpp").warnings(false);
    for flag in llvm_config("--cxxflags").split_whitespace() {
        build.flag(flag);
    }
    // LLVM is built without RTTI; our pass class must not need typeinfo of
    // LLVM classes that the host does not export.
    build.flag_if_supported("-fno-rtti");
    build.compile("tagsan_shim");

    // Bind LLVM symbols lazily (rustc links cdylibs with -z now). With
    // immediate binding, a host whose LLVM lacks any symbol we use (another
    // major version) refuses the plugin inside dlopen, before our entry
    // point can say why; lazily bound, llvmGetPassPluginInfo runs, checks
    // the host's version and refuses with a clear message.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,lazy");
}
