#!/usr/bin/env python3
"""Record kustomize's strategic-merge output for tests/smp_cases.

Each case is tests/smp_cases/<name>/ with resource.yaml and patch.yaml (and
optionally openapi.json). This runs `kubectl kustomize` on a temporary
kustomization (resources: [resource], patches: [{path: patch}]) and writes
resource.json, patch.json and expected.json (kustomize's output as JSON; null
when the resource was deleted) or expected_error.txt.

    python3 scripts/smp-oracle.py [case-name ...]
"""
import json, os, shutil, subprocess, sys, tempfile
import yaml

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "smp_cases")


def run(case):
    d = os.path.join(ROOT, case)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(d, "resource.yaml"), os.path.join(tmp, "r.yaml"))
        shutil.copy(os.path.join(d, "patch.yaml"), os.path.join(tmp, "p.yaml"))
        k = "resources: [r.yaml]\npatches: [{path: p.yaml}]\n"
        if os.path.exists(os.path.join(d, "openapi.json")):
            shutil.copy(os.path.join(d, "openapi.json"), os.path.join(tmp, "openapi.json"))
            k += "openapi: {path: openapi.json}\n"
        open(os.path.join(tmp, "kustomization.yaml"), "w").write(k)
        p = subprocess.run(["kubectl", "kustomize", tmp], capture_output=True, text=True)
    for f in ("expected.json", "expected_error.txt"):
        if os.path.exists(os.path.join(d, f)):
            os.remove(os.path.join(d, f))
    for src, dst in (("resource.yaml", "resource.json"), ("patch.yaml", "patch.json")):
        v = yaml.safe_load(open(os.path.join(d, src)))
        json.dump(v, open(os.path.join(d, dst), "w"), indent=1)
    if p.returncode != 0:
        open(os.path.join(d, "expected_error.txt"), "w").write(p.stderr)
        return "error"
    docs = [x for x in yaml.safe_load_all(p.stdout) if x is not None]
    out = docs[0] if docs else None
    json.dump(out, open(os.path.join(d, "expected.json"), "w"), indent=1)
    return "ok"


if __name__ == "__main__":
    cases = sys.argv[1:] or sorted(os.listdir(ROOT))
    for c in cases:
        print(c, run(c))
