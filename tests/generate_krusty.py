#!/usr/bin/env python3
"""Collects hashed ConfigMaps/Secrets from the kustomize krusty corpus
(../shared/corpus/krusty/*/expected.yaml beside the repository) into
generate_krusty.json."""
import json, os, re, yaml
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus", "krusty")
out = []
for case in sorted(os.listdir(ROOT)):
    p = os.path.join(ROOT, case, "expected.yaml")
    if not os.path.exists(p):
        continue
    try:
        docs = list(yaml.safe_load_all(open(p)))
    except Exception:
        continue
    for d in docs:
        if not isinstance(d, dict) or d.get("kind") not in ("ConfigMap", "Secret"):
            continue
        name = (d.get("metadata") or {}).get("name", "")
        if re.search(r"-[a-z0-9]{10}$", name):
            out.append({"case": case, "obj": d})
json.dump(out, open(os.path.join(os.path.dirname(__file__), "generate_krusty.json"), "w"), indent=1, ensure_ascii=False)
print(len(out))
