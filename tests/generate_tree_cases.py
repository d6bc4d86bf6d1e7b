#!/usr/bin/env python3
"""Regenerates tests/tree_cases/: writes each case's kustomization tree under
<case>/in/, runs the oracle (`kubectl kustomize`, kustomize v5.5) on
in/<build_dir> and records its stdout as expected.yaml, or its stderr as
expected_error.txt when it fails. case.json holds build_dir, expect_error and,
for failures, a fragment kcompile's own message must contain (same cause).

Cases: name references across branches (sibling overlays of one base, each
with its own prefix/suffix/namespace; kustomize binds a referrer to the
candidate whose accumulated prefixes and suffixes fit) and buildMetadata
provenance (origin and transformer annotations, managed-by label).

Usage: python3 tests/generate_tree_cases.py [NAME...]"""
import json, os, shutil, subprocess, sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tree_cases")


def kust(**fields):
    """A kustomization.yaml from keyword fields given as YAML text."""
    return "".join(f"{k}:{v if v.startswith(chr(10)) else ' ' + v}\n" for k, v in fields.items())


def dep(name, body):
    """A Deployment whose pod spec is `body` (YAML indented 6 spaces)."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
{body}"""


CM_REFS = """      containers:
      - name: c
        image: nginx
        envFrom:
        - configMapRef:
            name: cfg
        env:
        - name: K
          valueFrom:
            configMapKeyRef:
              name: cfg
              key: K
      volumes:
      - name: v
        configMap:
          name: cfg
"""

SECRET_REFS = """      imagePullSecrets:
      - name: pull
      containers:
      - name: c
        image: nginx
        envFrom:
        - secretRef:
            name: sec
        env:
        - name: P
          valueFrom:
            secretKeyRef:
              name: sec
              key: P
      volumes:
      - name: s
        secret:
          secretName: sec
"""

COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


def gen(name="cfg", lit="K=1", kind="configMapGenerator", extra=""):
    return f"\n- name: {name}\n  literals: [{lit}]{extra}"


def siblings(base_k, base_files, ov_fields, names=("a", "b"), top_extra="", top_files=None):
    """base/ (shared), ov-<x>/ per branch (fields from ov_fields(x)), top/ of
    all branches."""
    files = {"base/kustomization.yaml": base_k}
    files.update({f"base/{k}": v for k, v in base_files.items()})
    for x in names:
        files[f"ov-{x}/kustomization.yaml"] = kust(resources="[../base]", **ov_fields(x))
    files["top/kustomization.yaml"] = (
        f"resources: [{', '.join('../ov-' + x for x in names)}"
        + ("" if not top_files else ", " + ", ".join(top_files))
        + "]\n"
        + top_extra
    )
    for f, v in (top_files or {}).items():
        files[f"top/{f}"] = v
    return files


CASES = {}


def case(name, files, build_dir="top", error=None):
    CASES[name] = {"files": files, "build_dir": build_dir, "error": error}


# --- name references across branches -------------------------------------

# The tree: the base names its Deployment with a suffix; each sibling
# overlay generates the ConfigMap and adds its own prefix.
case("ref_prefix_overlay_suffix_base", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")}))

# Mirror image: prefix in the base, suffix per overlay.
case("ref_suffix_overlay_prefix_base", siblings(
    kust(namePrefix="web-", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"nameSuffix": f"-{x}", "configMapGenerator": gen(lit=f"K={x}")}))

# Prefix at both levels, and suffix at both levels.
case("ref_prefix_both_levels", siblings(
    kust(namePrefix="base-", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")}))
case("ref_suffix_both_levels", siblings(
    kust(nameSuffix="-base", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"nameSuffix": f"-{x}", "configMapGenerator": gen(lit=f"K={x}")}))

# Prefix and suffix in the base and in each overlay, three branches.
case("ref_prefix_suffix_everywhere", siblings(
    kust(namePrefix="bp-", nameSuffix="-bs", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}p-", "nameSuffix": f"-{x}s",
               "configMapGenerator": gen(lit=f"K={x}")},
    names=("a", "b", "c")))

# Three levels: base (suffix) -> mid (generator, prefix) -> overlays (prefix).
case("ref_three_levels", {
    "base/kustomization.yaml": kust(nameSuffix="-s", resources="[deploy.yaml]"),
    "base/deploy.yaml": dep("app", CM_REFS),
    "mid/kustomization.yaml": kust(namePrefix="m-", resources="[../base]",
                                   configMapGenerator=gen()),
    "ov-a/kustomization.yaml": kust(namePrefix="a-", resources="[../mid]"),
    "ov-b/kustomization.yaml": kust(namePrefix="b-", resources="[../mid]",
                                    configMapGenerator=gen(lit="K=2", extra="\n  behavior: merge")),
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# The generator in the shared base: each branch renames both alike.
case("ref_generator_in_base", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]", configMapGenerator=gen()),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}-"}))

# The generator in the base, merged per overlay (different hashes).
case("ref_generator_merged_per_branch", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]", configMapGenerator=gen()),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}-",
               "configMapGenerator": gen(lit=f"X={x}", extra="\n  behavior: merge")}))

# One namespace per branch, no prefix: namespaces alone tell them apart.
case("ref_namespace_per_branch", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namespace": f"ns-{x}", "configMapGenerator": gen(lit=f"K={x}")}))

# Namespace and prefix per branch.
case("ref_namespace_and_prefix_per_branch", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namespace": f"ns-{x}", "namePrefix": f"{x}-",
               "configMapGenerator": gen(lit=f"K={x}")}))

# The generator comes from a component each overlay includes.
case("ref_component_generator", {
    **siblings(
        kust(nameSuffix="-web", resources="[deploy.yaml]"),
        {"deploy.yaml": dep("app", CM_REFS)},
        lambda x: {"namePrefix": f"{x}-", "components": "[../comp]"}),
    "comp/kustomization.yaml": COMPONENT + kust(configMapGenerator=gen()),
})

# A component with its own prefix, generator in the overlay.
case("ref_component_prefix", {
    **siblings(
        kust(nameSuffix="-web", resources="[deploy.yaml]"),
        {"deploy.yaml": dep("app", CM_REFS)},
        lambda x: {"namePrefix": f"{x}-", "components": "[../comp]",
                   "configMapGenerator": gen(lit=f"K={x}")}),
    "comp/kustomization.yaml": COMPONENT + kust(nameSuffix="-c"),
})

# Secrets: generated per overlay, referenced five ways.
case("ref_secrets", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", SECRET_REFS)},
    lambda x: {"namePrefix": f"{x}-",
               "secretGenerator": gen("sec", f"P={x}") + gen("pull", f"D={x}")}))

# An Ingress in the base (suffix) refers to Services each overlay defines.
INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
spec:
  defaultBackend:
    service:
      name: svc
      port:
        number: 80
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: svc
            port:
              number: 80
"""
SVC = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 80\n"
case("ref_ingress_service", {
    "base/kustomization.yaml": kust(nameSuffix="-ing", resources="[ingress.yaml]"),
    "base/ingress.yaml": INGRESS,
    **{f"ov-{x}/kustomization.yaml": kust(namePrefix=f"{x}-", resources="[../base, svc.yaml]")
       for x in "ab"},
    **{f"ov-{x}/svc.yaml": SVC for x in "ab"},
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# An HPA in the base scales the Deployment each overlay defines.
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: app
  minReplicas: 1
  maxReplicas: 3
"""
case("ref_hpa_deployment", {
    "base/kustomization.yaml": kust(nameSuffix="-h", resources="[hpa.yaml]"),
    "base/hpa.yaml": HPA,
    **{f"ov-{x}/kustomization.yaml": kust(namePrefix=f"{x}-", resources="[../base, deploy.yaml]")
       for x in "ab"},
    **{f"ov-{x}/deploy.yaml": dep("app", "      containers:\n      - name: c\n        image: nginx\n")
       for x in "ab"},
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# A RoleBinding in the base (suffix) names a ServiceAccount and a Role each
# overlay defines (ServiceAccounts are reachable across namespaces).
RB = """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
"""
ROLE_SA = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role
rules: []
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
"""
case("ref_rolebinding_serviceaccount", {
    "base/kustomization.yaml": kust(nameSuffix="-rb", resources="[rb.yaml]"),
    "base/rb.yaml": RB,
    **{f"ov-{x}/kustomization.yaml": kust(namePrefix=f"{x}-", namespace=f"ns-{x}",
                                          resources="[../base, role.yaml]") for x in "ab"},
    **{f"ov-{x}/role.yaml": ROLE_SA for x in "ab"},
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# A referrer with no prefix of its own next to prefixed branches: the
# lenient pass keeps all three ConfigMaps, the exact pass the unprefixed one.
case("ref_unprefixed_referrer_prefers_exact", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")},
    top_files={"top-deploy.yaml": dep("top", CM_REFS),
               "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"}))

# Generating `cfg` next to branches whose ConfigMaps were once named `cfg`:
# kustomize matches by any earlier id, so the new one collides with both.
case("ref_generator_collides_with_renamed", siblings(
    kust(resources="[]"),
    {},
    lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")},
    top_extra=kust(configMapGenerator=gen(lit="K=top"))),
    error="could accept merge")

# A referrer with no prefix and only prefixed candidates: nothing fits
# exactly, the reference stays as written.
case("ref_unprefixed_referrer_left_alone", siblings(
    kust(resources="[]"),
    {},
    lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")},
    top_files={"top-deploy.yaml": dep("top", CM_REFS)}))

# Branches with the same prefix: the referrer in each binds to its own
# namespace's ConfigMap.
case("ref_same_prefix_namespaces_differ", siblings(
    kust(nameSuffix="-web", resources="[deploy.yaml]"),
    {"deploy.yaml": dep("app", CM_REFS)},
    lambda x: {"namePrefix": "p-", "namespace": f"ns-{x}",
               "configMapGenerator": gen(lit=f"K={x}")}))

# Two candidates each fitting the referrer's prefixes or its suffixes (one
# side empty): both pass the lenient filter, neither the exact one, so the
# reference stays as written.
case("ref_lenient_tie_left_alone", {
    "base/kustomization.yaml": kust(nameSuffix="-web", resources="[deploy.yaml]"),
    "base/deploy.yaml": dep("app", CM_REFS),
    "ov-a/kustomization.yaml": kust(namePrefix="a-", resources="[../base]",
                                    configMapGenerator=gen(lit="K=a")),
    "ov-s/kustomization.yaml": kust(nameSuffix="-web", configMapGenerator=gen(lit="K=s")),
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-s]\n",
})

# A cluster-scoped referrer sees ConfigMaps of two namespaces whose names
# differ (hashes): kustomize reports the ambiguity.
CLUSTER_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [cfg]
  verbs: [get]
"""
case("ref_ambiguous_cluster_scoped", siblings(
    kust(resources="[]"),
    {},
    lambda x: {"namespace": f"ns-{x}", "configMapGenerator": gen(lit=f"K={x}")},
    top_files={"role.yaml": CLUSTER_ROLE}),
    error="multiple possible referrals")

# The same, with plain ConfigMaps of one name: identical names are no
# ambiguity (kustomize takes the first).
case("ref_identical_candidates", siblings(
    kust(resources="[cm.yaml]"),
    {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"},
    lambda x: {"namespace": f"ns-{x}"},
    top_files={"role.yaml": CLUSTER_ROLE}))

# A Deployment in each branch with the same prefix and suffix as two
# ConfigMaps of different kinds' groups: kustomize reports the ambiguity.
case("ref_ambiguous_same_affixes", {
    "top/kustomization.yaml": kust(namePrefix="p-", resources="[deploy.yaml, other.yaml]",
                                   configMapGenerator=gen()),
    "top/deploy.yaml": dep("app", CM_REFS),
    "top/other.yaml": "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
}, error="multiple possible referrals")

# RoleBinding subjects with namespaces (the one matching the base's becomes
# the branch's), roleRef to a ClusterRole each branch renames.
RB_NS = """apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cr
subjects:
- kind: ServiceAccount
  name: sa
  namespace: default
- kind: ServiceAccount
  name: sa
  namespace: other
"""
SA_CR = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cr
"""
case("ref_rolebinding_subject_namespaces", {
    "base/kustomization.yaml": kust(nameSuffix="-rb", resources="[rb.yaml]"),
    "base/rb.yaml": RB_NS,
    **{f"ov-{x}/kustomization.yaml": kust(namePrefix=f"{x}-", namespace=f"ns-{x}",
                                          resources="[../base, sa.yaml]") for x in "ab"},
    **{f"ov-{x}/sa.yaml": SA_CR for x in "ab"},
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# Cluster-scoped referrers in the base (ClusterRoleBinding, webhook with a
# namespaced service reference) and a CronJob's pod references, per branch.
CLUSTER_REFERRERS = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cr
subjects:
- kind: ServiceAccount
  name: sa
  namespace: default
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: w.example.com
  clientConfig:
    service:
      name: svc
      namespace: default
  admissionReviewVersions: [v1]
  sideEffects: None
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cj
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: sa
          priorityClassName: pc
          containers:
          - name: c
            image: busybox
            envFrom:
            - configMapRef: {name: cfg}
          volumes:
          - name: d
            persistentVolumeClaim:
              claimName: pvc
"""
BRANCH_TARGETS = SA_CR + """---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: pc
value: 10
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pvc
"""
case("ref_cluster_scoped_referrers", {
    "base/kustomization.yaml": kust(nameSuffix="-x", resources="[r.yaml]"),
    "base/r.yaml": CLUSTER_REFERRERS,
    **{f"ov-{x}/kustomization.yaml": kust(namePrefix=f"{x}-", namespace=f"ns-{x}",
                                          resources="[../base, r.yaml]",
                                          configMapGenerator=gen(lit=f"K={x}")) for x in "ab"},
    **{f"ov-{x}/r.yaml": BRANCH_TARGETS for x in "ab"},
    "top/kustomization.yaml": "resources: [../ov-a, ../ov-b]\n",
})

# A service reference with `namespace: ""` matches no namespace group (left
# as written); `namespace: default` finds the unnamespaced Service.
case("ref_mapping_empty_namespace", {
    "top/kustomization.yaml": kust(namePrefix="p-", resources="[r.yaml]"),
    "top/r.yaml": """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: w.example.com
  clientConfig:
    service:
      name: svc
      namespace: ""
- name: w2.example.com
  clientConfig:
    service:
      name: svc
      namespace: default
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: other
""",
})

# A service reference by namespace looks among resources first in that
# namespace if any is, else among those now in it.
NS_T = """
- |-
  apiVersion: builtin
  kind: NamespaceTransformer
  metadata:
    name: n
    namespace: ns-a
  fieldSpecs:
  - path: metadata/namespace
    create: true"""
WEBHOOK_SVC = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: w.example.com
  clientConfig:
    service:
      name: svc
      namespace: ns-a
---
apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: orig
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
"""
for name, other_ns in (("current", ""), ("original", "  namespace: ns-a\n")):
    case(f"ref_mapping_namespace_{name}_group", {
        "top/kustomization.yaml": kust(namePrefix="p-", resources="[r.yaml]", transformers=NS_T),
        "top/r.yaml": WEBHOOK_SVC + other_ns,
    })

# --- buildMetadata --------------------------------------------------------

BM_ALL = "[originAnnotations, transformerAnnotations, managedByLabel]"
PLAIN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  x: \"1\"\n"
LT_INLINE = """
- |-
  apiVersion: builtin
  kind: LabelTransformer
  metadata:
    name: lt
    namespace: some-ns
  labels:
    team: x
  fieldSpecs:
  - path: metadata/labels
    create: true
- |-
  apiVersion: builtin
  kind: AnnotationsTransformer
  metadata:
    name: at
  annotations:
    note: y
  fieldSpecs:
  - path: metadata/annotations
    create: true"""

# Generators merged / replaced in an overlay; a plain resource merged by a
# generator; inline transformers with and without metadata.namespace.
case("bm_merge_replace_overlay", {
    "base/kustomization.yaml": kust(resources="[cm.yaml]", configMapGenerator=gen(lit="A=1"),
                                    secretGenerator=gen("sec", "P=1")),
    "base/cm.yaml": PLAIN,
    "ov/kustomization.yaml": kust(
        buildMetadata=BM_ALL, resources="[../base]", namePrefix="p-",
        configMapGenerator=gen(lit="B=2", extra="\n  behavior: merge")
        + gen("plain", "y=2", extra="\n  behavior: merge"),
        secretGenerator=gen("sec", "Q=2", extra="\n  behavior: replace"),
        transformers=LT_INLINE),
}, build_dir="ov")

# Base transformers recorded before an overlay replaces/merges; a component
# merges and generates; a transformer config from a file with a namespace.
case("bm_component_and_file_transformer", {
    "base/kustomization.yaml": kust(namePrefix="b-", commonLabels="{app: x}",
                                    configMapGenerator=gen(lit="A=1"), resources="[cm.yaml]"),
    "base/cm.yaml": PLAIN,
    "comp/kustomization.yaml": COMPONENT + kust(
        configMapGenerator=gen(lit="C=3", extra="\n  behavior: merge") + gen("compcm", "Z=1"),
        namespace="comp-ns"),
    "ov/lt.yaml": """apiVersion: builtin
kind: LabelTransformer
metadata:
  name: lt-file
  namespace: file-ns
labels:
  team: x
fieldSpecs:
- path: metadata/labels
  create: true
""",
    "ov/kustomization.yaml": kust(
        buildMetadata="[originAnnotations, transformerAnnotations]", resources="[../base]",
        components="[../comp]", configMapGenerator=gen(lit="B=2", extra="\n  behavior: replace"),
        transformers="[lt.yaml]"),
}, build_dir="ov")

# Generator and transformer plugin configs inline, with namespaces (empty
# ones omitted); a PrefixSuffixTransformer with both is one transformation.
case("bm_inline_plugin_namespaces", {
    "top/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    "top/kustomization.yaml": kust(
        buildMetadata="[originAnnotations, transformerAnnotations]", resources="[cm.yaml]",
        generators="""
- |-
  apiVersion: builtin
  kind: ConfigMapGenerator
  metadata:
    name: gen
    namespace: gen-ns
  literals: [A=1]""",
        transformers="""
- |-
  apiVersion: builtin
  kind: NamespaceTransformer
  metadata:
    name: nst
    namespace: target
- |-
  apiVersion: builtin
  kind: PrefixSuffixTransformer
  metadata:
    name: ps
    namespace: ""
  prefix: pp-
  suffix: -ss
  fieldSpecs:
  - path: metadata/name"""),
})

# Only transformerAnnotations (generated objects still list every
# transformer), then only originAnnotations, then only managedByLabel.
for opt in ("transformerAnnotations", "originAnnotations", "managedByLabel"):
    case(f"bm_only_{opt}", {
        "base/kustomization.yaml": kust(namePrefix="b-", configMapGenerator=gen(lit="A=1"),
                                        resources="[cm.yaml]"),
        "base/cm.yaml": PLAIN,
        "ov/kustomization.yaml": kust(
            buildMetadata=f"[{opt}]", resources="[../base]", commonAnnotations="{a: b}",
            configMapGenerator=gen(lit="B=2", extra="\n  behavior: merge") + gen("newcm", "N=1"),
            transformers="""
- |-
  apiVersion: builtin
  kind: PrefixSuffixTransformer
  metadata:
    name: ps
    namespace: nsx
  prefix: pp-
  suffix: -ss
  fieldSpecs:
  - path: metadata/name"""),
    }, build_dir="ov")

# Generators from a file in the base (names and namespaces in configuredBy)
# merged and replaced by the overlay.
case("bm_generator_file_merged", {
    "base/kustomization.yaml": "generators: [gen.yaml]\n",
    "base/gen.yaml": """apiVersion: builtin
kind: ConfigMapGenerator
metadata:
  name: cfg
  namespace: gns
literals: [A=1]
---
apiVersion: builtin
kind: SecretGenerator
metadata:
  name: sec
literals: [A=1]
""",
    "ov/kustomization.yaml": kust(
        buildMetadata="[originAnnotations, transformerAnnotations]", resources="[../base]",
        configMapGenerator=gen(lit="B=2", extra="\n  namespace: gns\n  behavior: merge"),
        secretGenerator=gen("sec", "B=2", extra="\n  behavior: replace"), namePrefix="o-"),
}, build_dir="ov")

# Many transformers: patches, replicas, images (in a component), a
# multi-document transformer file and a transformer kustomization directory.
case("bm_transformer_sources", {
    "base/kustomization.yaml": kust(configMapGenerator=gen(lit="A=1"),
                                    secretGenerator=gen("sec", "S=1"), resources="[dep.yaml]"),
    "base/dep.yaml": dep("web", "      containers:\n      - name: c\n        image: nginx\n"),
    "comp/kustomization.yaml": COMPONENT + kust(
        configMapGenerator=gen(lit="C=3", extra="\n  behavior: merge"),
        secretGenerator=gen("sec", "T=2", extra="\n  behavior: replace"),
        images="\n- name: nginx\n  newTag: \"1.25\""),
    "ov/multi.yaml": """apiVersion: builtin
kind: LabelTransformer
metadata:
  name: l1
  namespace: n1
labels: {l1: v}
fieldSpecs:
- path: metadata/labels
  create: true
---
apiVersion: builtin
kind: AnnotationsTransformer
metadata:
  name: a1
annotations: {a1: v}
fieldSpecs:
- path: metadata/annotations
  create: true
""",
    "ov/tdir/kustomization.yaml": "resources: [rt.yaml]\n",
    "ov/tdir/rt.yaml": """apiVersion: builtin
kind: ReplicaCountTransformer
metadata:
  name: rc
  namespace: rcns
replica:
  name: web
  count: 3
fieldSpecs:
- path: spec/replicas
  create: true
  kind: Deployment
""",
    "ov/kustomization.yaml": kust(
        buildMetadata=BM_ALL, resources="[../base]", components="[../comp]", namespace="ovns",
        patches="""
- patch: |-
    - op: add
      path: /metadata/labels
      value: {p: q}
  target: {kind: Deployment}""",
        replicas="\n- name: web\n  count: 2",
        transformers="[multi.yaml, tdir]"),
}, build_dir="ov")

# Provenance already in the input (say, rendered output used as a base):
# removed unless asked for, appended to when transformerAnnotations is on;
# annotations are set again as strings (empty or scalar ones dropped, nested
# values "").
RENDERED = """apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    keep: me
    config.kubernetes.io/origin: "path: fake.yaml"
    alpha.config.kubernetes.io/transformations: |
      - configuredIn: elsewhere.yaml
        repo: r
        configuredBy:
          apiVersion: builtin
          kind: Foo
      - {}
      - path: x
        configuredBy: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: only-origin
  annotations:
    config.kubernetes.io/origin: |
      path: somewhere.yaml
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: empty
  annotations: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: null-annotations
  annotations: ~
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: nested
  annotations: {a: {b: c}, l: [x], s: text}
"""
for tag, bm in (("none", None), ("origin", "[originAnnotations]"), ("managed_by", "[managedByLabel]"),
                ("transformer", "[transformerAnnotations]"),
                ("both", "[transformerAnnotations, originAnnotations]")):
    fields = {"resources": "[cm.yaml]", "namePrefix": "p-"}
    if bm:
        fields = {"buildMetadata": bm, **fields}
    case(f"bm_input_provenance_{tag}", {
        "top/kustomization.yaml": kust(**fields),
        "top/cm.yaml": RENDERED,
    })

# Without buildMetadata a scalar `annotations` is dropped; with it, adding
# the origin annotation fails (kustomize annotates every file's resources).
SCALAR_ANN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: text\n"
case("bm_scalar_annotations_dropped", {
    "top/kustomization.yaml": kust(resources="[cm.yaml]"),
    "top/cm.yaml": SCALAR_ANN,
})
case("bm_scalar_annotations_refused", {
    "top/kustomization.yaml": kust(buildMetadata="[managedByLabel]", resources="[cm.yaml]"),
    "top/cm.yaml": SCALAR_ANN,
}, error="is not a map")

# Name references and provenance together across sibling branches.
case("bm_sibling_branches", {
    **siblings(
        kust(nameSuffix="-web", resources="[deploy.yaml]"),
        {"deploy.yaml": dep("app", CM_REFS)},
        lambda x: {"namePrefix": f"{x}-", "configMapGenerator": gen(lit=f"K={x}")}),
    "top/kustomization.yaml": kust(buildMetadata=BM_ALL, resources="[../ov-a, ../ov-b]"),
})


def run(name, c):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    for rel, text in c["files"].items():
        p = os.path.join(d, "in", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    build = os.path.join(d, "in", c["build_dir"])
    r = subprocess.run(["kubectl", "kustomize", build], capture_output=True, text=True)
    failed = r.returncode != 0
    if failed != bool(c["error"]):
        sys.exit(f"{name}: kubectl {'failed' if failed else 'succeeded'} unexpectedly:\n{r.stderr}")
    meta = {"build_dir": c["build_dir"], "expect_error": failed}
    if failed:
        meta["kcompile_error_contains"] = c["error"]
        # kubectl names the temporary path; keep the recording stable.
        with open(os.path.join(d, "expected_error.txt"), "w") as f:
            f.write(r.stderr.replace(os.path.join(d, "in"), "IN"))
    else:
        with open(os.path.join(d, "expected.yaml"), "w") as f:
            f.write(r.stdout)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def main():
    names = sys.argv[1:] or sorted(CASES)
    if not sys.argv[1:]:
        shutil.rmtree(HERE, ignore_errors=True)
    for n in names:
        run(n, CASES[n])
    print(f"recorded {len(names)} cases in {HERE}")


if __name__ == "__main__":
    main()
