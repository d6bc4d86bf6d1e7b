#!/usr/bin/env python3
"""Differential fuzzing: random kustomization trees built by kcompile and by
kustomize (the in-process oracle, same code as `kubectl kustomize`).

    python3 tests/fuzz_diff/run.py --seeds 0:1000 [--include-known] [--findings DIR]

Each seed's tree (gen.py) is built by both. They must agree: the same bytes
on success; where kustomize fails, kcompile fails (exit 2, nothing on
stdout); kcompile failing where kustomize succeeds is a disagreement too.
Every disagreement is delta-reduced and written to the findings folder as a
case (in/ tree, expected.yaml or an `error` expectation, case.json), the
shape tests/fuzz_diff/cases/ keeps for regression.

The known classes (gen.KNOWN, being fixed elsewhere) are left out of the
trees unless --include-known; with it, disagreements in trees tagged with a
known class are counted apart from new ones.

Exit status: 0 when no new disagreement was found, 1 otherwise.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import minimise  # noqa: E402
import oracle  # noqa: E402


# Deliberate divergences (README, compatibility; a case in cases/ each):
# disagreements of this verdict whose kcompile message matches are counted
# apart, not as findings.
DIVERGENCES = [
    ("kcompile-fails", re.compile(r"JSON 6902 patch produces an id conflict"),
     "a JSON 6902 patch gives two objects one id: kustomize prints both, kcompile refuses"),
]


def divergence(verdict, kc):
    err = kc[2].decode("utf-8", "replace")
    for v, pattern, why in DIVERGENCES:
        if v == verdict and pattern.search(err):
            return why
    return None


def write_case(folder, name, files, build_dir, res, meta):
    """A regression case: in/ tree, case.json and expected.yaml (or none, when
    kustomize fails)."""
    case = os.path.join(folder, name)
    if os.path.exists(case):
        shutil.rmtree(case)
    oracle.write_tree(os.path.join(case, "in"), files)
    meta = dict(meta)
    meta["build_dir"] = build_dir
    meta["expect"] = "output" if res["ok"] else "error"
    if not res["ok"]:
        meta["kustomize_error"] = res.get("err", "")
    with open(os.path.join(case, "case.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    if res["ok"]:
        with open(os.path.join(case, "expected.yaml"), "wb") as f:
            f.write(oracle.oracle_output(res))
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", help="seed range A:B (B excluded)")
    ap.add_argument("--seed-file", help="seeds to run, one a line (e.g. earlier disagreements, to re-check)")
    ap.add_argument("--include-known", action="store_true", help="also generate the known classes (gen.KNOWN)")
    ap.add_argument("--exclude", default="", help="comma-separated classes to leave out (with --include-known)")
    ap.add_argument("--findings", default=None, help="folder for minimised disagreements")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("--batch", type=int, default=64, help="trees in flight to the oracle")
    ap.add_argument("--oracle", default=None, help="oracle binary (default: build it under target/)")
    ap.add_argument("--kcompile", default=oracle.KCOMPILE_BIN)
    ap.add_argument("--open", default=None,
                    help="file of seeds with open (documented) disagreements: counted apart, not failures")
    ap.add_argument("--gomaxprocs", type=int, default=None)
    ap.add_argument("--stats", default=None, help="write a JSON summary here")
    ap.add_argument("--progress", type=int, default=0, help="print a line every N trees")
    args = ap.parse_args()

    if args.seed_file:
        with open(args.seed_file) as f:
            seeds = [int(x) for x in f.read().split()]
        label = args.seed_file
    elif args.seeds:
        a, b = (int(x) for x in args.seeds.split(":"))
        seeds = list(range(a, b))
        label = args.seeds
    else:
        ap.error("give --seeds or --seed-file")
    if args.include_known:
        exclude = [x for x in args.exclude.split(",") if x]
    else:
        exclude = sorted(gen.KNOWN)
    open_seeds = set()
    if args.open:
        with open(args.open) as f:
            open_seeds = {int(ln.split()[0]) for ln in f if ln.strip() and not ln.startswith("#")}
    path = args.oracle or oracle.build_oracle()
    orc = oracle.Oracle(path, gomaxprocs=args.gomaxprocs)
    # Minimising asks the oracle one tree at a time while the main process has
    # a batch in flight: it gets a process of its own.
    side = []

    def side_oracle():
        if not side:
            side.append(oracle.Oracle(path, gomaxprocs=args.gomaxprocs))
        return side[0]

    counts = {"trees": 0, "agree_ok": 0, "agree_error": 0, "new": 0, "known": 0, "open": 0, "divergence": 0, "oracle_crash": 0}
    findings = []
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="kfz-")
    try:
        for at in range(0, len(seeds), args.batch):
            batch = []
            for s in seeds[at:at + args.batch]:
                t = gen.generate(s, exclude)
                orc.submit(str(s), t.files, t.build_dir)
                batch.append((s, t))
            single = False  # after a crash, the rest of the batch goes one by one
            for s, t in batch:
                root = os.path.join(tmp, str(s))
                oracle.write_tree(root, t.files)
                kc = oracle.run_kcompile(root, t.build_dir, args.kcompile)
                shutil.rmtree(root, ignore_errors=True)
                try:
                    res = orc.run(t.files, t.build_dir) if single else orc.result()
                except RuntimeError:
                    # kustomize itself died on this tree (a Go fatal error
                    # no recover catches), or on one before it in the batch.
                    orc.close()
                    orc = oracle.Oracle(path, gomaxprocs=args.gomaxprocs)
                    single = True
                    try:
                        res = orc.run(t.files, t.build_dir)
                    except RuntimeError:
                        orc.close()
                        orc = oracle.Oracle(path, gomaxprocs=args.gomaxprocs)
                        counts["trees"] += 1
                        counts["oracle_crash"] += 1
                        print("ORACLE-CRASH seed=%d kcompile exit %d" % (s, kc[0]), flush=True)
                        continue
                if not single:
                    assert res["id"] == str(s), (res["id"], s)
                counts["trees"] += 1
                v = oracle.verdict(kc, res)
                if v is None:
                    counts["agree_ok" if res["ok"] else "agree_error"] += 1
                    if s in open_seeds:
                        print("NOW AGREES seed=%d (listed open; take it off the list)" % s, flush=True)
                    continue
                known = [x for x in t.tags if x in gen.KNOWN]
                if divergence(v, kc):
                    counts["divergence"] += 1
                    continue
                if s in open_seeds:
                    counts["open"] += 1
                    print("OPEN seed=%d %s" % (s, oracle.signature(kc, res)), flush=True)
                    continue
                counts["known" if known else "new"] += 1
                sig = oracle.signature(kc, res)
                entry = {"seed": s, "verdict": v, "signature": sig, "tags": t.tags, "known": known,
                         "kustomize": "ok" if res["ok"] else res.get("err", "")[:400],
                         "kcompile_stderr": kc[2].decode("utf-8", "replace")[:400]}
                print("DISAGREE seed=%d %s%s" % (s, sig, " (known: %s)" % ",".join(known) if known else ""),
                      flush=True)
                if args.findings:
                    files, build_dir = t.files, t.build_dir
                    if not args.no_minimise:
                        files, build_dir = minimise.minimise(files, build_dir, sig, side_oracle(), args.kcompile,
                                                             tmp)
                    res2 = side_oracle().run(files, build_dir)
                    name = "seed-%d-%s" % (s, v)
                    entry["case"] = write_case(args.findings, name, files, build_dir, res2,
                                               {"seed": s, "verdict": v, "signature": sig, "tags": t.tags,
                                                "known": known})
                findings.append(entry)
            if args.progress and counts["trees"] % args.progress < args.batch:
                el = time.time() - t0
                print("progress: %d trees, %.1f s, %.1f ms/tree, new=%d known=%d" % (
                    counts["trees"], el, 1000 * el / max(1, counts["trees"]), counts["new"], counts["known"]),
                    flush=True)
    finally:
        orc.close()
        for o in side:
            o.close()
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.time() - t0
    summary = dict(counts, seeds=label, seconds=round(elapsed, 1),
                   excluded=exclude, findings=findings)
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print("fuzz_diff: seeds %s, %d trees (%d built by both, %d failed in both), %d new disagreements, "
          "%d in known classes, %d listed open, %d documented divergences, %d kustomize crashes, %.1f s" % (
              label, counts["trees"], counts["agree_ok"], counts["agree_error"], counts["new"], counts["known"],
              counts["open"], counts["divergence"], counts["oracle_crash"], elapsed))
    return 1 if counts["new"] else 0


if __name__ == "__main__":
    sys.exit(main())
