#!/usr/bin/env python3
"""Whole-process and in-process benchmark of kcompile against kubectl kustomize.

    python3 benches/compare.py [--skip-kubectl-2000] [--sizes 10,250,2000] [--reps K]

Generates trees with benches/gen.py (1 base of N apps, M overlays), then for
each size, in the same run:

- kcompile and `kubectl kustomize` as whole processes on the first overlay:
  min and median wall time over repeated runs (kubectl once at N = 2000),
  their ratio, and each one's max RSS (os.wait4 rusage of that child);
  outputs are compared byte for byte;
- in process (benches/kbench.rs, library calls): compile time (build +
  serialise) against the "limit", `yaml::parse_stream` + `stream_to_string`
  over the same input bytes;
- M = 50: all overlays through `build::build_each` (`build_many` that
  hands each output over when done) in one process (wall,
  CPU utilisation = user+sys / wall, files parsed, max RSS), against
  kubectl run once per overlay, two at a time (both cores), at N <= 250.

With `--baseline BIN` (a kcompile built from another commit, e.g. before a
refactor), that binary runs on the same overlay, interleaved with this
one, and a table gives this build's time as a ratio of the baseline's.

The machine may be shared: read the ratios, not the absolute times.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen  # noqa: E402


def run(cmd, cwd, out_path=None):
    """Run cmd; return (wall seconds, max RSS KiB, user+sys seconds)."""
    out = open(out_path, "wb") if out_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if out_path:
        out.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed in {cwd}: {err}")
    return wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime


def cargo_build():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    msgs = subprocess.run(
        ["cargo", "bench", "--no-run", "--bench", "kbench", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    kbench = None
    for line in msgs.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "kbench" and m.get("executable"):
            kbench = m["executable"]
    if not kbench:
        raise SystemExit("could not find the kbench executable")
    return os.path.join(ROOT, "target", "release", "kcompile"), kbench


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, {platform.system()} {platform.release()}"


def fmt_ms(s):
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,250,2000")
    ap.add_argument("--overlays", default="1,50", help="values of M")
    ap.add_argument("--reps", type=int, default=0, help="repetitions (default: by size)")
    ap.add_argument("--skip-kubectl-2000", action="store_true",
                    help="do not run kubectl kustomize at N >= 2000 (it takes minutes)")
    ap.add_argument("--keep", help="generate trees into this directory and keep them")
    ap.add_argument("--baseline", help="another kcompile binary to time against this one, interleaved")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ms = [int(m) for m in args.overlays.split(",")]
    kubectl = shutil.which("kubectl")
    kcompile, kbench = cargo_build()
    work = args.keep or tempfile.mkdtemp(prefix="kcompile-bench-")
    print(f"machine: {machine()}")
    print(f"kubectl: {subprocess.run([kubectl, 'version', '--client'], capture_output=True, text=True).stdout.strip().replace(chr(10), '; ') if kubectl else 'not found'}")
    print()
    rows = []
    many_rows = []
    for n in sizes:
        reps = args.reps or (15 if n <= 10 else 7 if n <= 250 else 5)
        tree = os.path.join(work, f"n{n}-m1")
        if not os.path.isdir(tree):
            gen.generate(tree, n, 1)
        overlay = os.path.join(tree, "overlays", "o00")
        kc, base = [], []
        for _ in range(reps):
            kc.append(run([kcompile, overlay], tree, os.path.join(work, f"kc{n}.yaml")))
            if args.baseline:
                base.append(run([args.baseline, overlay], tree, os.path.join(work, f"base{n}.yaml")))
        kk = None
        same = "-"
        if kubectl and not (n >= 2000 and args.skip_kubectl_2000):
            k_reps = reps if n <= 10 else 3 if n <= 250 else 1
            kk = [run([kubectl, "kustomize", overlay], tree, os.path.join(work, f"kk{n}.yaml")) for _ in range(k_reps)]
            same = "yes" if open(os.path.join(work, f"kc{n}.yaml"), "rb").read() == open(os.path.join(work, f"kk{n}.yaml"), "rb").read() else "NO"
        inproc = json.loads(subprocess.run([kbench, "single", tree, str(reps)], capture_output=True, text=True, check=True).stdout)
        kc_min = min(w for w, _, _ in kc)
        kc_med = statistics.median(w for w, _, _ in kc)
        row = {
            "N": n, "M": 1, "kc_min": kc_min, "kc_med": kc_med,
            "kc_rss": max(r for _, r, _ in kc) / 1024,
            "kk_min": min(w for w, _, _ in kk) if kk else None,
            "kk_rss": max(r for _, r, _ in kk) / 1024 if kk else None,
            "kk_runs": len(kk) if kk else 0,
            "same": same,
            "build_ms": inproc["build_ms_min"], "limit_ms": inproc["limit_ms_min"],
            "input_kb": inproc["input_bytes"] / 1024,
            "base_min": min(w for w, _, _ in base) if base else None,
            "base_med": statistics.median(w for w, _, _ in base) if base else None,
            "base_rss": max(r for _, r, _ in base) / 1024 if base else None,
            "base_same": (open(os.path.join(work, f"kc{n}.yaml"), "rb").read()
                          == open(os.path.join(work, f"base{n}.yaml"), "rb").read()) if base else None,
        }
        rows.append(row)
        print(f"N={n} M=1: {json.dumps(row)}", file=sys.stderr)
        if 50 in ms:
            tree50 = os.path.join(work, f"n{n}-m50")
            if not os.path.isdir(tree50):
                gen.generate(tree50, n, 50)
            many_reps = 3 if n <= 250 else 1
            wall, rss, _ = run([kbench, "many", tree50, str(many_reps)], tree50, os.path.join(work, "many.json"))
            res = json.load(open(os.path.join(work, "many.json")))
            kk50 = None
            if kubectl and n <= 250:
                ovs = sorted(os.listdir(os.path.join(tree50, "overlays")))
                t0 = time.perf_counter()
                procs = []
                for o in ovs:  # two at a time: both cores
                    procs.append(subprocess.Popen([kubectl, "kustomize", os.path.join(tree50, "overlays", o)],
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                    if len(procs) == 2:
                        procs.pop(0).wait()
                for p in procs:
                    p.wait()
                kk50 = time.perf_counter() - t0
            mr = {"N": n, "M": 50, "wall_ms": res["wall_ms_min"], "cpu_util": res["cpu_util"],
                  "files_parsed": res["files_parsed"], "rss_mb": rss / 1024,
                  "kk_s": kk50}
            many_rows.append(mr)
            print(f"N={n} M=50: {json.dumps(mr)}", file=sys.stderr)

    print("One overlay (M = 1), whole process; in-process compile vs limit:")
    print()
    print("| N apps | input | kcompile (min / median) | kubectl kustomize (min) | speed-up | max RSS kcompile | max RSS kubectl | same bytes | compile / limit (in-process) |")
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|---:|")
    for r in rows:
        kk = f"{fmt_ms(r['kk_min'])} ({r['kk_runs']} run{'s' if r['kk_runs'] != 1 else ''})" if r["kk_min"] else "skipped"
        ratio = f"**{r['kk_min'] / r['kc_min']:.0f}×**" if r["kk_min"] else "-"
        kkrss = f"{r['kk_rss']:.0f} MB" if r["kk_rss"] else "-"
        print(f"| {r['N']} | {r['input_kb']:.0f} KiB | {fmt_ms(r['kc_min'])} / {fmt_ms(r['kc_med'])} | {kk} | {ratio} | "
              f"{r['kc_rss']:.0f} MB | {kkrss} | {r['same']} | {r['build_ms']:.1f} / {r['limit_ms']:.1f} ms = **{r['build_ms'] / r['limit_ms']:.2f}×** |")
    if args.baseline:
        print()
        print(f"Against the baseline {args.baseline} (same overlay, runs interleaved):")
        print()
        print("| N apps | this build (min / median) | baseline (min / median) | this / baseline (min) | max RSS this / baseline | same bytes |")
        print("|---:|---:|---:|---:|---:|:---:|")
        for r in rows:
            print(f"| {r['N']} | {fmt_ms(r['kc_min'])} / {fmt_ms(r['kc_med'])} | {fmt_ms(r['base_min'])} / {fmt_ms(r['base_med'])} | "
                  f"**{r['kc_min'] / r['base_min']:.3f}** | {r['kc_rss']:.0f} / {r['base_rss']:.0f} MB | {'yes' if r['base_same'] else 'NO'} |")
    by_n = {r["N"]: r for r in rows}
    if 250 in by_n and 2000 in by_n:
        a, b = by_n[250], by_n[2000]
        print()
        print(f"Linearity, time(N=2000) / time(N=250): whole process {b['kc_min'] / a['kc_min']:.1f}, "
              f"in-process compile {b['build_ms'] / a['build_ms']:.1f} (8× the input)")
    if many_rows:
        print()
        print("Many clusters (M = 50 overlays of one base), in one process through build::build_each (build_many streaming each output):")
        print()
        print("| N apps | kcompile build_many (wall, min) | CPU use (user+sys / wall) | files parsed | max RSS | kubectl kustomize × 50 (2 parallel) | speed-up |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for r in many_rows:
            kk = fmt_ms(r["kk_s"]) if r["kk_s"] else "not run"
            sp = f"**{r['kk_s'] * 1e3 / r['wall_ms']:.0f}×**" if r["kk_s"] else "-"
            print(f"| {r['N']} | {fmt_ms(r['wall_ms'] / 1e3)} | {r['cpu_util']:.2f} cores | {r['files_parsed']} (base: {r['N']} files) | "
                  f"{r['rss_mb']:.0f} MB | {kk} | {sp} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
