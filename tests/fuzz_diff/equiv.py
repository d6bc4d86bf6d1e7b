#!/usr/bin/env python3
"""Proves the in-process oracle prints what `kubectl kustomize` prints.

For each tree (the kustomize conformance corpus, and generated trees for a
seed range) it builds with the oracle (in memory) and with `kubectl
kustomize` (on disk, kubectl's defaults) and requires the same outcome:
both succeed with the same bytes, or both fail. Exit 0 when all agree.

    python3 tests/fuzz_diff/equiv.py [--corpus DIR] [--seeds A:B] [--limit N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import oracle  # noqa: E402


def corpus_trees(corpus, limit):
    cases = sorted(os.listdir(corpus))
    if limit:
        cases = cases[:limit]
    for name in cases:
        case = os.path.join(corpus, name)
        with open(os.path.join(case, "case.json")) as f:
            meta = json.load(f)
        files = {}
        base = os.path.join(case, "in")
        for dirpath, _, names in os.walk(base):
            for n in names:
                p = os.path.join(dirpath, n)
                with open(p, "rb") as f:
                    data = f.read()
                try:
                    files[os.path.relpath(p, base)] = data.decode("utf-8")
                except UnicodeDecodeError:
                    files[os.path.relpath(p, base)] = data
        yield "corpus/" + name, files, meta.get("build_dir", "."), meta.get("empty_dirs", [])


def seed_trees(a, b):
    for s in range(a, b):
        t = gen.generate(s)
        yield "seed/%d" % s, t.files, t.build_dir, []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="kustomize corpus folder (krusty/)")
    ap.add_argument("--seeds", help="generated trees for seeds A:B")
    ap.add_argument("--limit", type=int, default=0, help="at most N corpus cases")
    ap.add_argument("--oracle", default=None)
    args = ap.parse_args()
    path = args.oracle or oracle.build_oracle()
    orc = oracle.Oracle(path)
    trees = []
    if args.corpus:
        trees.extend(corpus_trees(args.corpus, args.limit))
    if args.seeds:
        a, b = (int(x) for x in args.seeds.split(":"))
        trees.extend(seed_trees(a, b))
    for tid, files, build_dir, dirs in trees:
        orc.submit(tid, files, build_dir, dirs)
    same = differ = 0
    with tempfile.TemporaryDirectory(prefix="kfz-equiv-") as tmp:
        for i, (tid, files, build_dir, dirs) in enumerate(trees):
            root = os.path.join(tmp, str(i))
            oracle.write_tree(root, files, dirs)
            p = subprocess.run(["kubectl", "kustomize", os.path.join(root, build_dir)], capture_output=True)
            res = orc.result()
            assert res["id"] == tid, (res["id"], tid)
            ok = p.returncode == 0
            agree = ok == res["ok"] and (not ok or p.stdout == oracle.oracle_output(res))
            if agree:
                same += 1
            else:
                differ += 1
                print("DIFFERS %s: kubectl %s, oracle %s" % (tid, "ok" if ok else "error: " + p.stderr.decode(errors="replace")[:300],
                                                            "ok" if res["ok"] else "error: " + res["err"][:300]))
    orc.close()
    print("equiv: %d passed, %d failed" % (same, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
