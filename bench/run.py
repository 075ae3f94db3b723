#!/usr/bin/env python3
"""tagsan benchmark harness: compile time, runtime CPU, allocator.

Every part runs the same programs four ways, side by side, in one run:

  plain   clang-22 -O2
  tagsan  clang-22 -O2 -fpass-plugin=target/release/libtagsan_pass.so,
          linked with libtagsan_rt.a -Wl,--dynamic-list=libtagsan_rt.syms
  hwasan  clang-22 -O2 -fsanitize=hwaddress
          -fsanitize-hwaddress-experimental-aliasing   (LLVM's HWASan, x86_64)
  asan    clang-22 -O2 -fsanitize=address

Runs of different configurations are interleaved (round robin) so that load
from other processes on the machine spreads over all columns; we report the
median. Results go to bench/results/<part>.json and bench/RESULTS.md is
regenerated from all parts present.

Entry point: scripts/bench [compile|cpu|alloc|all] [options]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SRC = os.path.join(BENCH, "src")
RESULTS_DIR = os.path.join(BENCH, "results")
RESULTS_MD = os.path.join(BENCH, "RESULTS.md")
def _llvm_major():
    """The LLVM major version: one source, the tagsan-abi crate."""
    with open(os.path.join(ROOT, "abi", "src", "llvm.rs")) as f:
        return re.search(r'^pub const LLVM_MAJOR_STR: &str = "(\d+)";$', f.read(), re.M).group(1)


LLVM = _llvm_major()
CC = os.environ.get("BENCH_CC", "clang-" + LLVM)
PASS = os.path.join(ROOT, "target/release/libtagsan_pass.so")
RT = os.path.join(ROOT, "target/release/libtagsan_rt.a")
SYMS = os.path.join(ROOT, "target/release/libtagsan_rt.syms")
ALL_CONFIGS = ["plain", "tagsan", "hwasan", "asan"]
EXTRA_CFLAGS = os.environ.get("BENCH_CFLAGS", "").split()

# Leak checking is a report at exit, not a cost of checking accesses; tagsan
# has none, so it is off for the baselines too (ASan enables it by default).
RUN_ENV = dict(os.environ)
RUN_ENV["ASAN_OPTIONS"] = "detect_leaks=0:" + os.environ.get("ASAN_OPTIONS", "")
RUN_ENV["HWASAN_OPTIONS"] = "detect_leaks=0:" + os.environ.get("HWASAN_OPTIONS", "")


def cflags(cfg):
    base = ["-O2"] + EXTRA_CFLAGS
    return base + {
        "plain": [],
        "tagsan": ["-fpass-plugin=" + PASS],
        "hwasan": ["-fsanitize=hwaddress", "-fsanitize-hwaddress-experimental-aliasing"],
        "asan": ["-fsanitize=address"],
    }[cfg]


def ldflags(cfg):
    return {
        "plain": [],
        "tagsan": [RT, "-Wl,--dynamic-list=" + SYMS],
        "hwasan": ["-fsanitize=hwaddress", "-fsanitize-hwaddress-experimental-aliasing"],
        "asan": ["-fsanitize=address"],
    }[cfg] + ["-lpthread", "-ldl", "-lm"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    print("bench: error: " + msg, file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------
# Sources (fetched by cargo from crates.io; nothing is vendored in git)

def fetch_sources():
    manifest = os.path.join(BENCH, "fetch", "Cargo.toml")
    r = subprocess.run(["cargo", "fetch", "--manifest-path", manifest],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("cargo fetch of the bundled C sources failed:\n" + r.stderr)
    r = subprocess.run(["cargo", "metadata", "--format-version", "1",
                        "--manifest-path", manifest], capture_output=True, text=True)
    if r.returncode != 0:
        die("cargo metadata failed:\n" + r.stderr)
    dirs = {}
    for p in json.loads(r.stdout)["packages"]:
        dirs[p["name"]] = os.path.dirname(p["manifest_path"])
    src = {
        "sqlite": os.path.join(dirs["libsqlite3-sys"], "sqlite3"),
        "zstd": os.path.join(dirs["zstd-sys"], "zstd", "lib"),
        "lua": os.path.join(dirs["lua-src"], "lua-5.4.7"),
        "versions": {n: dirs[n].rsplit("-", 1)[-1] for n in ("libsqlite3-sys", "zstd-sys", "lua-src")},
    }
    for k in ("sqlite", "zstd", "lua"):
        if not os.path.isdir(src[k]):
            die("expected source directory missing: " + src[k])
    return src


# Workload sizes at --scale 1: about 1-1.5 s uninstrumented on a 2-core EPYC.
BASE_SCALE = {"sqlite": 3, "lua": 10, "zstd": 4}

SQLITE_DEFS = ["-DSQLITE_THREADSAFE=1", "-DSQLITE_OMIT_LOAD_EXTENSION"]


# --------------------------------------------------------------------------
# Process running with resource usage

def run_measured(argv, env=None, cwd=None, sample_pss=False, poll=0.002):
    """Run argv; return dict(rc, wall, cpu (user+sys), out, err, peak_pss_kb,
    peak_rss_kb (from smaps_rollup samples), maxrss_kb (rusage))."""
    outf = open(os.path.join(BENCH, "build", ".out"), "w+")
    errf = open(os.path.join(BENCH, "build", ".err"), "w+")
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=outf, stderr=errf, env=env or RUN_ENV, cwd=cwd)
    peak_pss = peak_rss = 0
    path = "/proc/%d/smaps_rollup" % p.pid
    while True:
        if sample_pss:
            try:
                with open(path) as f:
                    txt = f.read()
                m = re.search(r"^Pss:\s+(\d+) kB", txt, re.M)
                if m:
                    peak_pss = max(peak_pss, int(m.group(1)))
                m = re.search(r"^Rss:\s+(\d+) kB", txt, re.M)
                if m:
                    peak_rss = max(peak_rss, int(m.group(1)))
            except OSError:
                pass
        pid, status, ru = os.wait4(p.pid, os.WNOHANG if sample_pss else 0)
        if pid == p.pid:
            break
        time.sleep(poll)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    outf.seek(0)
    errf.seek(0)
    res = dict(rc=p.returncode, wall=wall, cpu=ru.ru_utime + ru.ru_stime,
               out=outf.read(), err=errf.read(), maxrss_kb=ru.ru_maxrss,
               peak_pss_kb=peak_pss, peak_rss_kb=peak_rss)
    outf.close()
    errf.close()
    return res


def check_call(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError("%s failed (exit %d):\n$ %s\n%s" % (what, r.returncode, " ".join(argv),
                                                           (r.stdout + r.stderr)[-6000:]))


class BuildError(Exception):
    pass


# --------------------------------------------------------------------------
# Artifacts

def check_artifacts(configs, parts):
    if shutil.which(CC) is None:
        die(CC + " not found on PATH (LLVM %s is required)" % LLVM)
    if "tagsan" not in configs:
        return
    need = [PASS] + ([RT, SYMS] if set(parts) & {"cpu", "alloc"} else [])
    missing = [p for p in need if not os.path.exists(p)]
    if missing:
        die("tagsan artifacts missing:\n  " + "\n  ".join(missing) +
            "\nBuild them with `cargo build --release --workspace` in " + ROOT +
            "\n(or run only the baselines with --configs plain,hwasan,asan).")


def smoke_test(configs):
    """Build and run a tiny clean program with tagsan before spending time."""
    if "tagsan" not in configs:
        return None
    d = os.path.join(BENCH, "build", "tagsan")
    os.makedirs(d, exist_ok=True)
    c = os.path.join(d, "smoke.c")
    with open(c, "w") as f:
        f.write("#include <stdlib.h>\n#include <stdio.h>\n"
                "int main(void){int *p=malloc(64*sizeof(int)); for(int i=0;i<64;i++)p[i]=i;"
                "long s=0; for(int i=0;i<64;i++)s+=p[i]; free(p); printf(\"%ld\\n\",s); return s!=2016;}\n")
    exe = os.path.join(d, "smoke")
    try:
        check_call([CC] + cflags("tagsan") + ["-c", c, "-o", exe + ".o"], "tagsan smoke compile")
        check_call([CC, exe + ".o", "-o", exe] + ldflags("tagsan"), "tagsan smoke link")
    except BuildError as e:
        die("tagsan cannot build a trivial program:\n" + str(e))
    r = run_measured([exe])
    if r["rc"] != 0 or r["out"].strip() != "2016":
        die("tagsan smoke program failed (exit %d):\nstdout: %s\nstderr:\n%s" % (r["rc"], r["out"], r["err"]))
    return True


# --------------------------------------------------------------------------
# Building the benchmark programs

def compile_one(cfg, src, obj, extra):
    if os.path.exists(obj) and os.path.getmtime(obj) >= os.path.getmtime(src) and \
            stamp_ok(cfg, obj):
        return
    check_call([CC] + cflags(cfg) + extra + ["-c", src, "-o", obj], "compile %s [%s]" % (os.path.basename(src), cfg))


def artifact_stamp(cfg):
    """Objects built with tagsan are stale when the plugin changes."""
    if cfg != "tagsan":
        return "-"
    st = os.stat(PASS)
    return "%d-%d" % (st.st_mtime_ns, st.st_size)


def stamp_ok(cfg, obj):
    try:
        with open(obj + ".stamp") as f:
            return f.read() == artifact_stamp(cfg) + " ".join(cflags(cfg))
    except OSError:
        return False


def write_stamp(cfg, obj):
    with open(obj + ".stamp", "w") as f:
        f.write(artifact_stamp(cfg) + " ".join(cflags(cfg)))


def build_program(cfg, name, sources, includes, defs, pool):
    d = os.path.join(BENCH, "build", cfg, name)
    os.makedirs(d, exist_ok=True)
    objs = []
    jobs = []
    for s in sources:
        o = os.path.join(d, os.path.basename(s) + ".o")
        objs.append(o)
        extra = ["-I" + i for i in includes] + defs

        def job(s=s, o=o, extra=extra):
            compile_one(cfg, s, o, extra)
            write_stamp(cfg, o)
        jobs.append(pool.submit(job))
    for j in jobs:
        j.result()
    exe = os.path.join(d, name)
    check_call([CC] + objs + ["-o", exe] + ldflags(cfg), "link %s [%s]" % (name, cfg))
    return exe


def program_specs(src):
    zl = src["zstd"]
    zsrcs = []
    for sub in ("common", "compress", "decompress"):
        for f in sorted(os.listdir(os.path.join(zl, sub))):
            if f.endswith(".c"):
                zsrcs.append(os.path.join(zl, sub, f))
    lsrcs = [os.path.join(src["lua"], f) for f in sorted(os.listdir(src["lua"]))
             if f.endswith(".c") and f not in ("lua.c", "luac.c", "onelua.c")]
    return {
        "sqlite": ([os.path.join(src["sqlite"], "sqlite3.c"), os.path.join(SRC, "sqlite_bench.c")],
                   [src["sqlite"]], SQLITE_DEFS),
        "lua": (lsrcs + [os.path.join(SRC, "lua_bench.c")], [src["lua"]], ["-DLUA_USE_LINUX"]),
        "zstd": (zsrcs + [os.path.join(SRC, "zstd_bench.c")], [zl, os.path.join(zl, "common")],
                 ["-DZSTD_DISABLE_ASM", "-DZSTD_MULTITHREAD=0"]),
        "alloc_bench": ([os.path.join(SRC, "alloc_bench.c")], [], []),
        "alloc_heavy": ([os.path.join(SRC, "alloc_heavy.c")], [], []),
    }


def build_all(configs, names, src, jobs):
    specs = program_specs(src)
    exes, errors = {}, {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for cfg in configs:
            for n in names:
                log("  build %-12s [%s]" % (n, cfg))
                try:
                    exes[(cfg, n)] = build_program(cfg, n, *specs[n], pool=pool)
                except BuildError as e:
                    errors[(cfg, n)] = str(e)
                    log("    BUILD FAILED: " + str(e).splitlines()[0])
    return exes, errors


# --------------------------------------------------------------------------
# Parts

def median(xs):
    return statistics.median(xs) if xs else None


def part_compile(configs, src, runs):
    """Compile time of the SQLite amalgamation at -O2 -c."""
    c = os.path.join(src["sqlite"], "sqlite3.c")
    d = os.path.join(BENCH, "build", "compile")
    os.makedirs(d, exist_ok=True)
    samples = {cfg: {"wall": [], "cpu": []} for cfg in configs}
    failures = {}
    for i in range(runs):
        for cfg in configs:
            if cfg in failures:
                continue
            argv = [CC] + cflags(cfg) + SQLITE_DEFS + ["-c", c, "-o", os.path.join(d, cfg + ".o")]
            r = run_measured(argv)
            if r["rc"] != 0:
                failures[cfg] = "$ %s\n%s" % (" ".join(argv), r["err"][-4000:])
                log("  compile [%s] FAILED" % cfg)
                continue
            samples[cfg]["wall"].append(r["wall"])
            samples[cfg]["cpu"].append(r["cpu"])
            # The cpu part links this same object (same flags and defines).
            od = os.path.join(BENCH, "build", cfg, "sqlite")
            os.makedirs(od, exist_ok=True)
            shutil.copyfile(os.path.join(d, cfg + ".o"), os.path.join(od, "sqlite3.c.o"))
            write_stamp(cfg, os.path.join(od, "sqlite3.c.o"))
            log("  compile run %d/%d [%-6s] cpu %.2fs wall %.2fs" % (i + 1, runs, cfg, r["cpu"], r["wall"]))
    sites, text = {}, {}
    for cfg in configs:
        o = os.path.join(d, cfg + ".o")
        if cfg in failures or not os.path.exists(o):
            continue
        r = subprocess.run(["llvm-objdump-" + LLVM, "-r", o], capture_output=True, text=True)
        sites[cfg] = len(re.findall(r"__(?:hw)?asan_(?:report_)?(?:load|store)", r.stdout))
        r = subprocess.run(["size", o], capture_output=True, text=True)
        try:
            text[cfg] = int(r.stdout.splitlines()[1].split()[0])
        except (IndexError, ValueError):
            pass
    res = {"runs": runs, "samples": samples, "failures": failures, "sites": sites, "text": text,
           "command": "%s -O2 %s -c sqlite3.c  (+ per-config flags)" % (CC, " ".join(SQLITE_DEFS)),
           "source": "libsqlite3-sys " + src["versions"]["libsqlite3-sys"]}
    return res


ICOUNT_FILES = ["lvm.c", "lparser.c", "lcode.c", "ltable.c", "lstrlib.c"]


def part_icount(configs, src, jobs):
    """Deterministic compile cost: instructions executed by clang (valgrind
    callgrind) compiling hot Lua files at -O2 -c. ASan is left out (it is
    ~2x slower to compile and not the comparison the target is about)."""
    if shutil.which("valgrind") is None:
        die("valgrind not found (needed for the icount part)")
    cfgs = [c for c in configs if c != "asan"]
    d = os.path.join(BENCH, "build", "icount")
    os.makedirs(d, exist_ok=True)
    counts = {c: {} for c in cfgs}
    failures = {}

    def one(cfg, f):
        out = os.path.join(d, "%s-%s.cg" % (cfg, f))
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                CC] + cflags(cfg) + ["-DLUA_USE_LINUX", "-c", os.path.join(src["lua"], f),
                                     "-o", os.path.join(d, "%s-%s.o" % (cfg, f))]
        r = subprocess.run(argv, capture_output=True, text=True)
        m = re.search(r"Collected : (\d+)", r.stderr)
        if r.returncode != 0 or not m:
            return cfg, f, None, "$ %s\n%s" % (" ".join(argv), r.stderr[-3000:])
        return cfg, f, int(m.group(1)), None

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = [pool.submit(one, c, f) for f in ICOUNT_FILES for c in cfgs]
        for fu in futs:
            cfg, f, n, err = fu.result()
            if err:
                failures["%s/%s" % (cfg, f)] = err
                log("  icount %s [%s] FAILED" % (f, cfg))
            else:
                counts[cfg][f] = n
                log("  icount %-10s [%-6s] %.3f G instructions" % (f, cfg, n / 1e9))
    return {"files": ICOUNT_FILES, "counts": counts, "failures": failures,
            "source": "lua-src " + src["versions"]["lua-src"]}


def part_cpu(configs, src, runs, jobs, scale):
    names = ["sqlite", "lua", "zstd"]
    exes, build_errors = build_all(configs, names, src, jobs)
    samples = {n: {cfg: {"wall": [], "cpu": []} for cfg in configs} for n in names}
    failures = {"%s/%s" % k: v for k, v in build_errors.items()}
    checksums = {}
    for i in range(runs):
        for n in names:
            for cfg in configs:
                key = "%s/%s" % (cfg, n)
                if (cfg, n) not in exes or key in failures:
                    continue
                r = run_measured([exes[(cfg, n)], str(scale * BASE_SCALE[n])])
                ck = r["out"].strip().splitlines()[-1:] if r["out"].strip() else []
                if r["rc"] != 0:
                    failures[key] = "exit %d\nstdout:\n%s\nstderr:\n%s" % (r["rc"], r["out"][-2000:], r["err"][-8000:])
                    log("  run %s [%s] FAILED (exit %d)" % (n, cfg, r["rc"]))
                    continue
                checksums.setdefault(n, {})[cfg] = ck[0] if ck else ""
                samples[n][cfg]["wall"].append(r["wall"])
                samples[n][cfg]["cpu"].append(r["cpu"])
                log("  run %d/%d %-7s [%-6s] cpu %.2fs wall %.2fs" % (i + 1, runs, n, cfg, r["cpu"], r["wall"]))
    mismatch = {n: c for n, c in checksums.items() if len(set(c.values())) > 1}
    return {"runs": runs, "scale": scale, "samples": samples, "failures": failures,
            "checksum_mismatch": mismatch, "versions": src["versions"]}


# alloc_bench variants: threads x (mixed = with 1/128 large blocks, small = 16 B..4 KiB only)
TPUT_KEYS = ["1t-mixed", "2t-mixed", "1t-small", "2t-small"]


def part_alloc(configs, src, runs, jobs, ops):
    names = ["alloc_bench", "alloc_heavy"]
    exes, build_errors = build_all(configs, names, src, jobs)
    failures = {"%s/%s" % k: v for k, v in build_errors.items()}
    tput = {t: {cfg: [] for cfg in configs} for t in TPUT_KEYS}
    mem = {cfg: {"pss": [], "rss": [], "maxrss": [], "wall": []} for cfg in configs}
    for i in range(runs):
        for cfg in configs:
            if (cfg, "alloc_bench") in exes:
                for t in TPUT_KEYS:
                    threads, large = t.split("-")
                    key = "%s/alloc_bench-%s" % (cfg, t)
                    if key in failures:
                        continue
                    r = run_measured([exes[(cfg, "alloc_bench")], threads[0], str(ops),
                                      "1" if large == "mixed" else "0"])
                    m = re.search(r"ops_per_sec=(\d+)", r["out"])
                    if r["rc"] != 0 or not m:
                        failures[key] = "exit %d\nstdout:\n%s\nstderr:\n%s" % (r["rc"], r["out"][-2000:], r["err"][-8000:])
                        log("  alloc_bench %s [%s] FAILED" % (t, cfg))
                        continue
                    tput[t][cfg].append(int(m.group(1)))
                    log("  run %d/%d alloc_bench %-9s [%-6s] %.2f Mops/s" % (i + 1, runs, t, cfg, int(m.group(1)) / 1e6))
            if (cfg, "alloc_heavy") in exes:
                key = "%s/alloc_heavy" % cfg
                if key in failures:
                    continue
                r = run_measured([exes[(cfg, "alloc_heavy")]], sample_pss=True)
                if r["rc"] != 0:
                    failures[key] = "exit %d\nstdout:\n%s\nstderr:\n%s" % (r["rc"], r["out"][-2000:], r["err"][-8000:])
                    log("  alloc_heavy [%s] FAILED" % cfg)
                    continue
                mem[cfg]["pss"].append(r["peak_pss_kb"])
                mem[cfg]["rss"].append(r["peak_rss_kb"])
                mem[cfg]["maxrss"].append(r["maxrss_kb"])
                mem[cfg]["wall"].append(r["wall"])
                log("  run %d/%d alloc_heavy [%-6s] peak PSS %d MiB, peak RSS %d MiB, wall %.2fs" % (
                    i + 1, runs, cfg, r["peak_pss_kb"] >> 10, r["peak_rss_kb"] >> 10, r["wall"]))
    return {"runs": runs, "ops_per_thread": ops, "throughput": tput,
            "memory": mem, "failures": failures}


# --------------------------------------------------------------------------
# Reporting

def fmt_ratio(x):
    return "—" if x is None else "%.2fx" % x


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def geomean(xs):
    xs = [x for x in xs if x]
    if not xs:
        return None
    p = 1.0
    for x in xs:
        p *= x
    return p ** (1.0 / len(xs))


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def report_compile(res):
    cfgs = list(res["samples"].keys())
    med = {c: median(res["samples"][c]["cpu"]) for c in cfgs}
    medw = {c: median(res["samples"][c]["wall"]) for c in cfgs}
    plain = med.get("plain")
    rows = []
    sites, text = res.get("sites", {}), res.get("text", {})
    for c in cfgs:
        if med[c] is None:
            rows.append([c, "FAILED", "", "", "", "", ""])
            continue
        rows.append([c, "%.2f" % med[c], "%.2f" % medw[c], fmt_ratio(ratio(med[c], plain)),
                     "%+.2f" % (med[c] - plain) if plain is not None else "—",
                     str(sites.get(c, "—")), "%.2f" % (text[c] / 1e6) if c in text else "—"])
    s = ["### Compile time: SQLite amalgamation (%s), -O2 -c" % res["source"], "",
         "Median of %d runs; CPU = user+sys of the clang process (less sensitive than wall time to "
         "other load on the machine)." % res["runs"], "",
         table(["config", "CPU s", "wall s", "vs plain", "overhead s", "check call sites", ".text MB"], rows), "",
         "Check call sites = relocations to `__hwasan_{load,store}*` (tagsan, hwasan: outlined checks) or "
         "`__asan_report_{load,store}*` (asan: inline checks, one report call each) in the object.", ""]
    if all(med.get(c) is not None for c in ("plain", "tagsan", "hwasan")):
        ours, llvm = med["tagsan"] - plain, med["hwasan"] - plain
        r = ours / llvm if llvm > 0 else None
        s.append("Overhead ratio (tagsan − plain) / (hwasan − plain) = %.2f / %.2f = **%s** "
                 "(target ≤ 1.10: **%s**)." % (ours, llvm, "%.2f" % r if r is not None else "n/a",
                                              "met" if r is not None and r <= 1.10 else "MISSED"))
        s.append("")
    for c, f in res["failures"].items():
        s += ["Compile FAILED for %s:" % c, "```", f.strip(), "```", ""]
    return "\n".join(s)


def report_cpu(res):
    names = list(res["samples"].keys())
    cfgs = list(next(iter(res["samples"].values())).keys())
    rows = []
    ratios = {c: [] for c in cfgs}
    for n in names:
        med = {c: median(res["samples"][n][c]["cpu"]) for c in cfgs}
        row = [n]
        for c in cfgs:
            if med[c] is None:
                row.append("FAILED")
                ratios[c].append(None)
                continue
            rr = ratio(med[c], med.get("plain"))
            ratios[c].append(rr)
            row.append("%.2f s (%s)" % (med[c], fmt_ratio(rr)) if c != "plain" else "%.2f s" % med[c])
        rows.append(row)
    g = ["**geomean**"]
    for c in cfgs:
        if c == "plain":
            g.append("1.00x")
        elif any(x is None for x in ratios[c]):
            gm = geomean([x for x in ratios[c] if x])
            g.append("%s (partial)" % fmt_ratio(gm) if gm else "—")
        else:
            g.append("**%s**" % fmt_ratio(geomean(ratios[c])))
    rows.append(g)
    s = ["### Runtime CPU (-O2, workload scale %d)" % res["scale"], "",
         "Median CPU time (user+sys) of %d runs; ratio to plain in parentheses. Sources: %s." % (
             res["runs"], ", ".join("%s %s" % kv for kv in res["versions"].items())), "",
         table(["benchmark"] + cfgs, rows), ""]
    if res.get("checksum_mismatch"):
        s += ["**Checksum mismatch** (a configuration computed something different): `%s`" %
              json.dumps(res["checksum_mismatch"]), ""]
    for k, f in res["failures"].items():
        s += ["FAILED %s:" % k, "```", f.strip()[-5000:], "```", ""]
    return "\n".join(s)


def report_alloc(res):
    cfgs = list(res["memory"].keys())
    rows = []
    for t in TPUT_KEYS:
        med = {c: median(res["throughput"][t][c]) for c in cfgs}
        row = ["malloc+free Mops/s, %s thread%s, %s" % (t[0], "s" if t[0] == "2" else "",
                                                     "mixed (with large)" if "mixed" in t else "small only")]
        for c in cfgs:
            if med[c] is None:
                row.append("FAILED")
            else:
                row.append("%.2f (%s)" % (med[c] / 1e6, fmt_ratio(ratio(med[c], med.get("plain")))))
        rows.append(row)
    pss = {c: median(res["memory"][c]["pss"]) for c in cfgs}
    rss = {c: median(res["memory"][c]["rss"]) for c in cfgs}
    mrss = {c: median(res["memory"][c]["maxrss"]) for c in cfgs}
    for label, d in (("alloc_heavy peak PSS (MiB)", pss), ("alloc_heavy peak RSS (MiB, for contrast)", rss),
                     ("alloc_heavy ru_maxrss (MiB, for contrast)", mrss)):
        row = [label]
        for c in cfgs:
            row.append("FAILED" if d[c] is None else "%.0f (%s)" % (d[c] / 1024, fmt_ratio(ratio(d[c], d.get("plain")))))
        rows.append(row)
    s = ["### Allocator", "",
         "Throughput: `alloc_bench` (sizes 16 B–4 KiB log-uniform, \"mixed\" adds 1/128 of 64 KiB–1 MiB; 8192 live "
         "slots per thread, %d malloc+free per thread); median of %d runs; ratio to plain in parentheses. "
         "Peak memory: `alloc_heavy` (~200 MiB live at peak, mixed sizes, realloc churn); peak PSS "
         "sampled from /proc/PID/smaps_rollup every 2 ms, median of %d runs." % (
             res["ops_per_thread"], res["runs"], res["runs"]), "",
         table(["metric"] + cfgs, rows), ""]
    if all(x in cfgs for x in ("tagsan", "hwasan")):
        for t in TPUT_KEYS:
            a, b = median(res["throughput"][t]["tagsan"]), median(res["throughput"][t]["hwasan"])
            if a and b:
                s.append("- %s: tagsan / hwasan throughput = %.2f (target ≥ 1.00: **%s**)" % (
                    t, a / b, "met" if a >= b else "MISSED"))
        if pss.get("tagsan") and pss.get("plain"):
            r = pss["tagsan"] / pss["plain"]
            s.append("- peak PSS tagsan / plain = %.2f (target ≤ 1.30: **%s**)" % (r, "met" if r <= 1.3 else "MISSED"))
        s.append("")
    for k, f in res["failures"].items():
        s += ["FAILED %s:" % k, "```", f.strip()[-5000:], "```", ""]
    return "\n".join(s)


def report_icount(res):
    cfgs = list(res["counts"].keys())
    tot = {c: (sum(res["counts"][c].values()) if len(res["counts"][c]) == len(res["files"]) else None) for c in cfgs}
    plain = tot.get("plain")
    rows = []
    for c in cfgs:
        if tot[c] is None:
            rows.append([c, "FAILED", "", ""])
            continue
        rows.append([c, "%.3f" % (tot[c] / 1e9), fmt_ratio(ratio(tot[c], plain)),
                     "%+.3f" % ((tot[c] - plain) / 1e9) if plain else "—"])
    s = ["### Compile cost in instructions (deterministic): Lua %s at -O2 -c" % ", ".join(res["files"]), "",
         "Instructions executed by clang-%s under `valgrind --tool=callgrind` (%s); one run suffices." % (LLVM, res["source"]), "",
         table(["config", "G instructions", "vs plain", "overhead G"], rows), ""]
    if all(tot.get(c) for c in ("plain", "tagsan", "hwasan")):
        ours, llvm = tot["tagsan"] - plain, tot["hwasan"] - plain
        r = ours / llvm if llvm > 0 else None
        s.append("Overhead ratio (tagsan − plain) / (hwasan − plain) = **%s** (target ≤ 1.10: **%s**)." % (
            "%.2f" % r if r is not None else "n/a", "met" if r is not None and r <= 1.10 else "MISSED"))
        s.append("")
    for k, f in res["failures"].items():
        s += ["FAILED %s:" % k, "```", f.strip(), "```", ""]
    return "\n".join(s)


REPORTERS = {"compile": report_compile, "icount": report_icount, "cpu": report_cpu, "alloc": report_alloc}


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    cc = subprocess.run([CC, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    arts = {}
    for a in (PASS, RT):
        if os.path.exists(a):
            arts[os.path.basename(a)] = datetime.datetime.fromtimestamp(
                os.path.getmtime(a), datetime.timezone.utc).strftime("%H:%M:%S UTC")
    return {"artifacts": arts, "cpu": cpu, "ncpu": os.cpu_count(), "kernel": platform.release(),
            "cc": cc[0] if cc else CC, "git": rev,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def write_results_md():
    parts = {}
    for p in ("compile", "icount", "cpu", "alloc"):
        f = os.path.join(RESULTS_DIR, p + ".json")
        if os.path.exists(f):
            with open(f) as fh:
                parts[p] = json.load(fh)
    lines = ["# tagsan benchmark results", "",
             "Generated by `scripts/bench` (bench/run.py); raw samples are in bench/results/*.json.", "",
             "## Reproduce", "", "```",
             "cargo build --release --workspace   # tagsan plugin + runtime",
             "scripts/bench                       # all parts (compile, icount, cpu, alloc)",
             "scripts/bench compile --runs 5      # one part; see scripts/bench --help",
             "```", "",
             "Configurations (all `clang-" + LLVM + " -O2`, same sources and defines): **plain**; **tagsan** "
             "(`-fpass-plugin=target/release/libtagsan_pass.so`, linked with `target/release/libtagsan_rt.a "
             "-Wl,--dynamic-list=target/release/libtagsan_rt.syms -lpthread`); **hwasan** (LLVM's "
             "`-fsanitize=hwaddress -fsanitize-hwaddress-experimental-aliasing`); **asan** "
             "(`-fsanitize=address`). Leak detection is off for asan/hwasan (`detect_leaks=0`). "
             "C sources come from crates.io (fetched by `cargo fetch` via bench/fetch/Cargo.toml): "
             "the SQLite amalgamation of `libsqlite3-sys` (bundled), zstd from `zstd-sys`, Lua 5.4 from `lua-src`.", ""]
    for p, res in parts.items():
        mi = res.get("machine", {})
        lines += ["## %s" % p, "",
                  "_Run %s at git %s (artifacts built %s) on %s × %s, %s, kernel %s. Configs: %s._" % (
                      mi.get("date"), mi.get("git"),
                      ", ".join("%s %s" % kv for kv in mi.get("artifacts", {}).items()) or "?",
                      mi.get("ncpu"), mi.get("cpu"), mi.get("cc"), mi.get("kernel"),
                      ", ".join(res.get("configs", []))), "",
                  REPORTERS[p](res), ""]
    if os.path.exists(os.path.join(BENCH, "NOTES.md")):
        with open(os.path.join(BENCH, "NOTES.md")) as f:
            lines += [f.read()]
    with open(RESULTS_MD, "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", default="all", choices=["all", "compile", "icount", "cpu", "alloc", "report"],
                    help="which part to run (report: only regenerate bench/RESULTS.md)")
    ap.add_argument("--configs", default=",".join(ALL_CONFIGS),
                    help="comma-separated subset of %s" % ",".join(ALL_CONFIGS))
    ap.add_argument("--runs", type=int, default=5, help="runs per configuration (median is reported)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel compile jobs when building programs")
    ap.add_argument("--scale", type=int, default=1, help="CPU workload scale")
    ap.add_argument("--ops", type=int, default=2000000, help="alloc_bench malloc+free per thread")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results or RESULTS.md")
    a = ap.parse_args()
    configs = [c for c in a.configs.split(",") if c]
    for c in configs:
        if c not in ALL_CONFIGS:
            die("unknown config %r (choose from %s)" % (c, ", ".join(ALL_CONFIGS)))
    if "plain" not in configs:
        configs.insert(0, "plain")
    if a.part == "report":
        write_results_md()
        print(open(RESULTS_MD).read())
        return
    parts = ["compile", "icount", "cpu", "alloc"] if a.part == "all" else [a.part]
    check_artifacts(configs, parts)
    os.makedirs(os.path.join(BENCH, "build"), exist_ok=True)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    log("bench: fetching sources with cargo")
    src = fetch_sources()
    mi = machine_info()
    failed = []
    smoked = False
    for p in parts:
        log("bench: part %s (configs %s, %d runs)" % (p, ",".join(configs), a.runs))
        if p in ("cpu", "alloc") and not smoked:
            smoked = smoke_test(configs)
        if p == "compile":
            res = part_compile(configs, src, a.runs)
        elif p == "icount":
            res = part_icount(configs, src, a.jobs)
        elif p == "cpu":
            res = part_cpu(configs, src, a.runs, a.jobs, a.scale)
        else:
            res = part_alloc(configs, src, a.runs, a.jobs, a.ops)
        res["machine"] = mi
        res["configs"] = configs
        print()
        print(REPORTERS[p](res))
        sys.stdout.flush()
        if not a.no_write:
            with open(os.path.join(RESULTS_DIR, p + ".json"), "w") as f:
                json.dump(res, f, indent=1)
            write_results_md()
    if not a.no_write:
        log("bench: wrote %s" % os.path.relpath(RESULTS_MD, ROOT))
        if res.get("failures"):
            failed.append(p)
    if failed:
        log("bench: some configurations FAILED in: %s (details in the tables above)" % ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
