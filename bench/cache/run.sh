#!/bin/sh
# Builds bench/cache/cache_bench.c through the tagsan plugin (-O2) with the
# release runtime and runs it: object caches next to malloc/free, one run.
#   bench/cache/run.sh [pairs per measurement]   (after: cargo build --release)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
rel="$root/target/release"
out="${TMPDIR:-/tmp}/tagsan_cache_bench"
clang-22 -fpass-plugin="$rel/libtagsan_pass.so" -O2 -g -fno-omit-frame-pointer \
    -I"$root/runtime/include" "$root/bench/cache/cache_bench.c" -o "$out" \
    "$rel/libtagsan_rt.a" -Wl,--dynamic-list="$rel/libtagsan_rt.syms" -lpthread
exec "$out" "$@"
