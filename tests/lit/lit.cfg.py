# lit configuration for the tagsan pass plugin (LLVM's lit + FileCheck).
#
#   cargo build --release -p tagsan-pass && lit -v tests/lit
#
# Substitutions:
#   %plugin    the plugin .so (env TAGSAN_PLUGIN, default
#              <repo>/target/release/libtagsan_pass.so)
#   %opt       opt-N -load-pass-plugin=%plugin   (also: opt -> opt-N)
#   %clang     clang-N -fpass-plugin=%plugin     (also: clang -> clang-N)
#   %llvm_major  N, the LLVM major version (abi/src/llvm.rs)
#   FileCheck, not, count, opt, clang -> the LLVM N tools
import os
import re
import shutil

import lit.formats

config.name = "tagsan-pass"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ll", ".c", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)

repo = os.path.abspath(os.path.join(config.test_source_root, "..", ".."))


def llvm_major():
    """The LLVM major version: one source, the tagsan-abi crate."""
    with open(os.path.join(repo, "abi", "src", "llvm.rs")) as f:
        m = re.search(r'^pub const LLVM_MAJOR_STR: &str = "(\d+)";$', f.read(), re.M)
    if not m:
        lit_config.fatal("cannot read LLVM_MAJOR_STR from abi/src/llvm.rs")
    return m.group(1)


LLVM = llvm_major()
llvm_bin = "/usr/lib/llvm-%s/bin" % LLVM
config.substitutions.append(("%llvm_major", LLVM))


def tool(name):
    path = os.path.join(llvm_bin, name)
    if os.path.exists(path):
        return path
    found = shutil.which(name + "-" + LLVM) or shutil.which(name)
    if not found:
        lit_config.fatal("cannot find %s (install LLVM %s)" % (name, LLVM))
    return found


plugin = os.environ.get(
    "TAGSAN_PLUGIN", os.path.join(repo, "target", "release", "libtagsan_pass.so")
)
if not os.path.exists(plugin):
    lit_config.fatal(
        "plugin not found: %s (cargo build --release -p tagsan-pass, or set TAGSAN_PLUGIN)"
        % plugin
    )

opt = tool("opt")
clang = tool("clang")
config.substitutions.append(("%plugin", plugin))
config.substitutions.append(("%opt", "%s -load-pass-plugin=%s" % (opt, plugin)))
config.substitutions.append(("%clang", "%s -fpass-plugin=%s" % (clang, plugin)))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
# Bare tool names only: not "%opt", "-C opt-level", "foo.opt" or "opt-22".
def word(name):
    return r"(?<![\w%%./-])%s(?![\w./-])" % name


config.substitutions.append((word("FileCheck"), tool("FileCheck")))
config.substitutions.append((word("not"), tool("not")))
config.substitutions.append((word("count"), tool("count")))
config.substitutions.append((word("opt"), opt))
config.substitutions.append((word("clang"), clang))

rustc = shutil.which("rustc")
if rustc:
    config.available_features.add("rustc")
    config.substitutions.append(("%rustc", "%s -Z llvm-plugins=%s" % (rustc, plugin)))
    # -Z llvm-plugins is unstable; stable rustc accepts it with this.
    config.environment["RUSTC_BOOTSTRAP"] = "1"
    for var in ("HOME", "RUSTUP_HOME", "CARGO_HOME", "RUSTUP_TOOLCHAIN", "PATH"):
        if var in os.environ:
            config.environment[var] = os.environ[var]

# The pass reads TAGSAN_PASS_OPTIONS in clang/rustc: never inherit it.
config.environment.pop("TAGSAN_PASS_OPTIONS", None)
