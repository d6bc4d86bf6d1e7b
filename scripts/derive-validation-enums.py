#!/usr/bin/env python3
"""Extract the allowed values of enum fields from a running kube-apiserver.

The schemas kcompile bundles (scripts/derive-validation-schemas.py, from the
PyPI package kubernetes-validate) carry no field enums: the OpenAPI v2
document they come from has none. The API server's OpenAPI v3 documents do
(`enum` on fields whose Go type is marked `+enum`), and the server enforces
them. This script reads every group-version document from
`/openapi/v3` and writes, sorted and deterministic,

    {"source": "kube-apiserver v1.37.2 /openapi/v3",
     "enums": {"io.k8s.api.core.v1.Container": {"imagePullPolicy": ["Always", ...]}, ...}}

which derive-validation-schemas.py merges into the bundles (`--enums`).

Usage (a real server: scripts/kube-apiserver.sh start DIR):
    python3 scripts/derive-validation-enums.py --kubeconfig DIR/kubeconfig \\
        [--out schemas/k8s/enums-1.37.json]
"""

import argparse
import json
import os
import subprocess

# Fields whose enum the server does not enforce: behind feature gates that
# are off by default in 1.37, so the server drops the field (checked with
# kubectl create --dry-run=server), and the dynamic-resource-allocation
# group, whose many gated fields were not checked one by one. kcompile must
# never reject what the server takes.
EXCLUDE_FIELDS = {
    ("io.k8s.api.core.v1.Lifecycle", "stopSignal"),
    ("io.k8s.api.core.v1.HTTPGetAction", "protocol"),
    ("io.k8s.api.core.v1.GRPCAction", "mode"),
}
EXCLUDE_PREFIXES = ("io.k8s.api.resource.",)


def kubectl_raw(kubeconfig, path):
    out = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "get", "--raw", path],
        check=True,
        capture_output=True,
    ).stdout
    return json.loads(out)


def enums_of(schemas):
    found = {}
    for name, schema in schemas.items():
        if name.startswith(EXCLUDE_PREFIXES):
            continue
        for prop, ps in (schema.get("properties") or {}).items():
            if (name, prop) in EXCLUDE_FIELDS:
                continue
            values = ps.get("enum")
            if values is None and isinstance(ps.get("items"), dict):
                values = ps["items"].get("enum")
            if values:
                found.setdefault(name, {})[prop] = sorted(values)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "schemas", "k8s", "enums-1.37.json"))
    args = ap.parse_args()
    version = kubectl_raw(args.kubeconfig, "/version")["gitVersion"]
    index = kubectl_raw(args.kubeconfig, "/openapi/v3")["paths"]
    enums = {}
    for path in sorted(index):
        doc = kubectl_raw(args.kubeconfig, "/openapi/v3/" + path)
        for name, props in enums_of(doc.get("components", {}).get("schemas", {})).items():
            enums.setdefault(name, {}).update(props)
    out = {"source": f"kube-apiserver {version} /openapi/v3", "enums": enums}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    count = sum(len(p) for p in enums.values())
    print(f"{args.out}: {count} enum fields in {len(enums)} types")


if __name__ == "__main__":
    main()
