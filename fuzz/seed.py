#!/usr/bin/env python3
"""Fill fuzz/corpus/<target>/ with seeds from the repository and, when it is
beside the project, the shared kustomize corpus. Idempotent; the corpus is
not committed (libFuzzer grows it)."""
import pathlib

here = pathlib.Path(__file__).resolve().parent
root = here.parent
shared = root.parent / "shared" / "corpus" / "krusty"
out = here / "corpus"


def put(target, name, data: bytes):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


yamls = [p for sub in ("base", "overlays", "components", "examples")
         for p in (root / sub).rglob("*.yaml")]
for i, p in enumerate(sorted(yamls)):
    put("yaml_stream", f"repo{i}", p.read_bytes())
    if p.name == "kustomization.yaml":
        put("kustomization", f"repo{i}", p.read_bytes())

# Strategic merge and patch application: each recorded SMP case is an
# object `---` a patch.
for case in sorted((root / "tests" / "smp_cases").iterdir()):
    res, patch = case / "resource.yaml", case / "patch.yaml"
    if res.exists() and patch.exists():
        both = res.read_bytes().rstrip(b"\n") + b"\n---\n" + patch.read_bytes()
        put("strategic_merge", case.name, both)
        put("json_patch", case.name, both)
put("json_patch", "ops", b"data: {a: b, l: [1, 2]}\n---\n"
    b"- {op: add, path: /data/c, value: d}\n- {op: test, path: /data/a, value: b}\n"
    b"- {op: remove, path: /data/l/0}\n- {op: move, from: /data/a, path: /data/z}\n")

# Whole trees: NUL-separated files in harness::TREE_FILES order.
if shared.is_dir():
    for case in sorted(shared.iterdir()):
        ins = case / "in"
        k = ins / "kustomization.yaml"
        if not k.exists():
            continue
        put("kustomization", case.name, k.read_bytes())
        others = sorted(p for p in ins.iterdir() if p.is_file() and p.name != "kustomization.yaml")
        for j, p in enumerate(others):
            put("yaml_stream", f"{case.name}-{j}", p.read_bytes())
        files = [k.read_bytes()] + [p.read_bytes() for p in others[:3]]
        files += [b""] * (4 - len(files))
        base_k = ins / "base" / "kustomization.yaml"
        files.append(base_k.read_bytes() if base_k.exists() else b"resources: [c.yaml]\n")
        files.append(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n")
        put("build_tree", case.name, b"\0".join(files))

for t in sorted(out.iterdir()):
    print(t.name, len(list(t.iterdir())))
