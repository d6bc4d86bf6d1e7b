"""Random kustomization trees for differential fuzzing (kcompile against kustomize).

`generate(seed, exclude)` returns a `Tree`: files (relative path -> text), the
directory to build, and tags naming the feature classes the tree uses. The
same seed gives the same tree on every machine (only `random.Random(seed)` is
used, never hash order or the clock).

Layout: `bases/bN` (resources and generators) shared by several
`overlays/oN` (which may stack on each other), `components/cN`
(`kind: Component`), and sometimes `all/`, an aggregate of overlays. Every
kustomization field family appears: namespace, prefixes and suffixes,
labels and annotations, images, replicas, generators with merge and replace,
strategic-merge and JSON 6902 patches with targets, replacements, vars,
sortOptions, components. Resource YAML is written by `yamlgen` in random
style (quoting, block scalars, anchors, unicode, numbers that look like
strings and the reverse).

Known classes, excluded with `exclude` (see KNOWN): the generator only emits
them when not excluded, and tags every tree that contains one.
"""

import json
import random

try:
    from . import yamlgen
except ImportError:  # run as a script from this folder
    import yamlgen

Raw = yamlgen.Raw

# Classes being fixed elsewhere, which a run can leave out so that it
# reports new disagreements only (none now).
KNOWN = {}
# Classes this fuzzer found that stay apart from the rest: deliberate
# divergences (README, compatibility).
FOUND = {
    "annotations-scalar": "a JSON 6902 patch makes metadata.annotations a scalar (kcompile refuses; kustomize drops it)",
    "nonstring-name": "a JSON 6902 patch sets metadata.name to a number (kcompile refuses)",
}
KNOWN.update(FOUND)

WORDS = ["web", "api", "db", "cache", "worker", "front", "queue", "auth", "spark", "meta", "log", "edge"]
UNICODE = ["café", "naïve", "日本語", "Ωmega", "emoji 🚀", "Straße", "ñandú", "Ünïcødé", "中文 字", "ʕ•ᴥ•ʔ"]
# Strings that a plain scalar would turn into numbers, booleans or null.
AMBIGUOUS = [
    "123", "0123", "0x1F", "0o17", "1e3", "1.0", "-1", "+1", ".5", "1_000", "true", "False", "yes", "No",
    "on", "OFF", "y", "n", "null", "Null", "~", "", " ", ".inf", "-.Inf", ".nan", "2001-12-14", "12:30:45",
    "1:20", "=", "<<", "0b101", "1,000", "0.", "3.14e-2", "TRUE",
]
# Unquoted scalars the other way round: the text a person typed, read as numbers etc.
RAW_NONSTRINGS = ["123", "0x1F", "1e3", "1.5", "-7", "true", "false", "null", "~", "0777", "2.0", "0", "yes", "on"]
ODD = [
    "a: b", "- x", "key=value", "'quoted'", '"dq"', "tab\there", "trailing ", " leading", "#hash", "!important",
    "%percent", "@at", "`tick`", "a #b", "x: ", "{brace}", "[bracket]", "back\\slash", "*star", "&amp", "|pipe",
    ">gt", "?q", "a,b", "colon:end:", "multi\nline\n", "x\n\ny", "two\nlines", "ends\n\n", " lead\nmore\n",
    "line with trailing space \nnext",
]
LONG = [
    "this is a rather long value that goes on and on past the eighty column mark so that writers may fold it",
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutanyspacesatallreally",
    "short words " * 9,
    "--flag=value --another-flag=another-value --third-flag=third-value --fourth=4 --fifth=five --sixth=6",
]
CONTROL = ["bell\x07", "nul\x00x", "esc\x1b[0m", "del\x7f", "vt\x0bx", "ff\x0cx", "cr\rx"]
IMAGES = ["nginx", "nginx:1.25", "redis:7-alpine", "registry.example.com/team/app:v1.2.3",
          "ghcr.io/org/tool@sha256:" + "a" * 64, "busybox", "localhost:5000/img:dev", "postgres:16"]


class Tree:
    def __init__(self, files, build_dir, tags):
        self.files = files
        self.build_dir = build_dir
        self.tags = tags


class Res:
    """A resource the generator made, for later references (patches, targets)."""

    def __init__(self, kind, api, name, namespaced=True, labels=None, containers=(), obj=None):
        self.kind = kind
        self.api = api
        self.name = name
        self.namespaced = namespaced
        self.labels = labels or {}
        self.containers = list(containers)
        self.obj = obj

    @property
    def group(self):
        return self.api.split("/")[0] if "/" in self.api else ""

    @property
    def version(self):
        return self.api.split("/")[-1]


class Gen:
    def __init__(self, seed, exclude=()):
        self.r = random.Random(seed)
        self.seed = seed
        self.ex = set(exclude)
        self.files = {}
        self.tags = set()
        self.gen_names = {}  # dir -> names of ConfigMaps/Secrets generated there
        # Most trees steer clear of choices kustomize rejects (a missing patch
        # path, a number as newTag, ...), so that most trees build and their
        # bytes get compared; a risky tree makes them freely, to compare errors.
        self.risky = self.r.random() < 0.25

    def risk(self, x):
        """A choice kustomize may reject: only in risky trees."""
        return self.risky and self.p(x)

    # -- small helpers ------------------------------------------------------
    def p(self, x):
        return self.r.random() < x

    def allowed(self, cls):
        return cls not in self.ex

    def word(self):
        return self.r.choice(WORDS)

    def text_value(self, rich=True):
        """A string value, sometimes odd, unicode, long or number-like."""
        r = self.r
        roll = r.random()
        if not rich or roll < 0.45:
            return r.choice(WORDS) + ("-" + str(r.randrange(100)) if r.random() < 0.3 else "")
        if roll < 0.55:
            return r.choice(UNICODE)
        if roll < 0.70:
            return r.choice(AMBIGUOUS)
        if roll < 0.88:
            return r.choice(ODD)
        if roll < 0.96:
            return r.choice(LONG)
        if self.allowed("control-bytes") and self.risk(0.5):
            self.tags.add("control-bytes")
            return r.choice(CONTROL)
        return r.choice(WORDS)

    def any_value(self, depth=0):
        """Any YAML value, for fields kustomize passes through (CRD specs, ConfigMap data)."""
        r = self.r
        roll = r.random()
        if depth < 2 and roll < 0.12:
            return {self.word() + str(i): self.any_value(depth + 1) for i in range(r.randrange(0, 4))}
        if depth < 2 and roll < 0.22:
            return [self.any_value(depth + 1) for _ in range(r.randrange(0, 4))]
        if roll < 0.32:
            return Raw(r.choice(RAW_NONSTRINGS))
        if roll < 0.38:
            return r.choice([0, 1, -5, 42, 2**31, 2**53 + 1, 3.5, 1e21, True, False, None])
        return self.text_value()

    def label_value(self):
        r = self.r
        if self.p(0.85):
            return r.choice(WORDS) + r.choice(["", "-v1", "-2", "_x", ".io"])
        return r.choice(["123", "true", "1.0", "", "v1.2.3", "x" * 63])

    def annotation_value(self):
        r = self.r
        if self.allowed("nonstring-annotations") and self.p(0.08):
            self.tags.add("nonstring-annotations")
            return Raw(r.choice(RAW_NONSTRINGS))
        return self.text_value()

    def dump(self, docs):
        return yamlgen.dump_docs(self.r, docs, folded_keep=self.folded_keep)

    def label_key(self, keys):
        """A label key for commonLabels/labels: from a small set (so layers
        collide) when labels-same-key is allowed, else unique in the tree."""
        key = self.r.choice(keys)
        if self.allowed("labels-same-key"):
            self.tags.add("labels-same-key")
            return key
        self.label_n = getattr(self, "label_n", 0) + 1
        return "%s%d" % (key, self.label_n)

    def folded_keep(self):
        """Whether the writer may use `>+`; tags the tree when it does."""
        if self.allowed("folded-keep"):
            self.tags.add("folded-keep")
            return True
        return False

    # -- resources ---------------------------------------------------------
    def container(self, name, refs):
        r = self.r
        c = {"name": name, "image": r.choice(IMAGES)}
        if self.p(0.4):
            c["args"] = [self.text_value() for _ in range(r.randrange(1, 4))]
            if refs.get("vars") and self.p(0.5):
                c["args"].append("--ref=$(" + r.choice(refs["vars"]) + ")")
        if self.p(0.3):
            c["command"] = ["/bin/sh", "-c", r.choice(["echo hi", "exec app --port=8080", "sleep 3600\n"])]
        env = []
        for i in range(r.randrange(0, 3)):
            e = {"name": "E%d_%s" % (i, self.word().upper())}
            if refs.get("cm") and self.p(0.3):
                e["valueFrom"] = {"configMapKeyRef": {"name": r.choice(refs["cm"]), "key": self.word()}}
            elif refs.get("vars") and self.p(0.3):
                e["value"] = "$(" + r.choice(refs["vars"]) + ")"
            else:
                e["value"] = self.text_value() if self.p(0.7) else Raw(r.choice(RAW_NONSTRINGS))
            env.append(e)
        if env:
            c["env"] = env
        if refs.get("cm") and self.p(0.35):
            c["envFrom"] = [{"configMapRef": {"name": r.choice(refs["cm"])}}]
            if refs.get("secret") and self.p(0.5):
                c["envFrom"].append({"secretRef": {"name": r.choice(refs["secret"])}})
        if self.p(0.5):
            c["ports"] = [{"containerPort": r.choice([80, 8080, 7077, 443]), "name": r.choice(["http", "web", "rpc"])}]
            if self.p(0.3):
                c["ports"][0]["protocol"] = "TCP"
        if self.p(0.2):
            c["resources"] = {"limits": {"cpu": Raw(r.choice(["1", "500m", "0.5"])), "memory": r.choice(["1Gi", "512Mi"])}}
        return c

    def pod_spec(self, app, refs):
        r = self.r
        names = ["app", "sidecar", "helper"][: r.randrange(1, 3)]
        spec = {"containers": [self.container(n, refs) for n in names]}
        if self.p(0.2):
            spec["initContainers"] = [self.container("init", refs)]
        vols = []
        if refs.get("cm") and self.p(0.4):
            vols.append({"name": "config", "configMap": {"name": r.choice(refs["cm"])}})
        if refs.get("secret") and self.p(0.3):
            vols.append({"name": "creds", "secret": {"secretName": r.choice(refs["secret"])}})
        if refs.get("pvc") and self.p(0.3):
            vols.append({"name": "data", "persistentVolumeClaim": {"claimName": r.choice(refs["pvc"])}})
        if vols:
            spec["volumes"] = vols
        if refs.get("sa") and self.p(0.4):
            spec["serviceAccountName"] = r.choice(refs["sa"])
        return spec, names

    def workload(self, kind, name, refs):
        r = self.r
        app = name
        labels = {"app": app}
        if self.p(0.3):
            labels["tier"] = self.label_value()
        meta = {"name": name, "labels": dict(labels)}
        if self.p(0.3):
            meta["annotations"] = {"note.example.com/" + self.word(): self.annotation_value()}
        spec_pod, cnames = self.pod_spec(app, refs)
        template = {"metadata": {"labels": dict(labels)}, "spec": spec_pod}
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            spec = {}
            if kind != "DaemonSet" and self.p(0.7):
                spec["replicas"] = r.randrange(0, 5)
            spec["selector"] = {"matchLabels": {"app": app}}
            if kind == "StatefulSet":
                spec["serviceName"] = refs["svc"][0] if refs.get("svc") else name
            spec["template"] = template
            api = "apps/v1"
        elif kind == "Job":
            template["spec"]["restartPolicy"] = "Never"
            spec = {"template": template}
            api = "batch/v1"
        else:  # CronJob
            template["spec"]["restartPolicy"] = "OnFailure"
            spec = {"schedule": r.choice(["*/5 * * * *", "@daily", "0 0 * * 0"]),
                    "jobTemplate": {"spec": {"template": template}}}
            api = "batch/v1"
        obj = {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}
        return Res(kind, api, name, labels=labels, containers=cnames, obj=obj)

    def simple(self, kind, name, refs):
        r = self.r
        labels = {"app": name} if self.p(0.7) else {}
        meta = {"name": name}
        if labels:
            meta["labels"] = dict(labels)
        if self.p(0.2):
            meta["annotations"] = {self.word() + ".example.com/x": self.annotation_value()}
        if kind == "Service":
            ports = [{"port": r.choice([80, 7077, 8080]), "targetPort": r.choice([80, "http", 8080])}]
            if self.p(0.4):
                ports[0]["name"] = "http"
            spec = {"selector": {"app": r.choice(refs.get("apps") or [name])}, "ports": ports}
            if self.p(0.3):
                spec["type"] = r.choice(["ClusterIP", "NodePort"])
            obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}
            return Res(kind, "v1", name, labels=labels, obj=obj)
        if kind == "ConfigMap":
            data = {}
            for _ in range(r.randrange(0, 4)):
                data[r.choice([self.word(), self.word() + ".properties", "KEY_" + self.word().upper()])] = (
                    self.text_value() if self.p(0.85) else Raw(r.choice(RAW_NONSTRINGS)))
            obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, "data": data}
            return Res(kind, "v1", name, labels=labels, obj=obj)
        if kind == "Secret":
            obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, "type": "Opaque"}
            if self.p(0.5):
                obj["data"] = {"password": r.choice(["cGFzc3dvcmQ=", "c2VjcmV0", ""])}
            else:
                obj["stringData"] = {"token": self.text_value()}
            return Res(kind, "v1", name, labels=labels, obj=obj)
        if kind == "ServiceAccount":
            return Res(kind, "v1", name, labels=labels, obj={"apiVersion": "v1", "kind": kind, "metadata": meta})
        if kind == "PersistentVolumeClaim":
            obj = {"apiVersion": "v1", "kind": kind, "metadata": meta,
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": r.choice(["1Gi", "10Gi"])}}}}
            return Res(kind, "v1", name, labels=labels, obj=obj)
        if kind == "Role":
            obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
                   "rules": [{"apiGroups": [""], "resources": ["configmaps", "pods"], "verbs": ["get", "list"]}]}
            return Res(kind, obj["apiVersion"], name, labels=labels, obj=obj)
        if kind == "RoleBinding":
            obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                               "name": r.choice(refs.get("role") or [name])},
                   "subjects": [{"kind": "ServiceAccount", "name": r.choice(refs.get("sa") or [name])}]}
            if self.p(0.3):
                obj["subjects"][0]["namespace"] = r.choice(["default", "other"])
            return Res(kind, obj["apiVersion"], name, labels=labels, obj=obj)
        if kind == "ClusterRole":
            obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
                   "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]}]}
            return Res(kind, obj["apiVersion"], name, namespaced=False, labels=labels, obj=obj)
        if kind == "Namespace":
            return Res(kind, "v1", name, namespaced=False, labels=labels,
                       obj={"apiVersion": "v1", "kind": kind, "metadata": meta})
        if kind == "Ingress":
            svc = r.choice(refs.get("svc") or [name])
            obj = {"apiVersion": "networking.k8s.io/v1", "kind": kind, "metadata": meta,
                   "spec": {"rules": [{"host": r.choice(["a.example.com", "b.example.com"]), "http": {"paths": [
                       {"path": "/", "pathType": "Prefix",
                        "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}]}}
            return Res(kind, obj["apiVersion"], name, labels=labels, obj=obj)
        if kind == "HorizontalPodAutoscaler":
            tgt = r.choice(refs.get("deploy") or [name])
            obj = {"apiVersion": "autoscaling/v2", "kind": kind, "metadata": meta,
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": tgt},
                            "minReplicas": 1, "maxReplicas": r.randrange(2, 9)}}
            return Res(kind, obj["apiVersion"], name, labels=labels, obj=obj)
        if kind == "PodDisruptionBudget":
            obj = {"apiVersion": "policy/v1", "kind": kind, "metadata": meta,
                   "spec": {"minAvailable": r.choice([1, Raw('"50%"')]), "selector": {"matchLabels": {"app": name}}}}
            return Res(kind, obj["apiVersion"], name, labels=labels, obj=obj)
        # A custom resource: the place for any YAML at all.
        spec = {self.word(): self.any_value() for _ in range(r.randrange(1, 5))}
        if self.p(0.3):
            spec["image"] = r.choice(IMAGES)
        if self.p(0.2):
            spec["replicas"] = r.randrange(1, 4)
        obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta, "spec": spec}
        return Res("Widget", "example.com/v1", name, labels=labels, obj=obj)

    # -- kustomizations ------------------------------------------------------
    def base(self, d, idx):
        r = self.r
        pre = "b%d-" % idx if self.p(0.85) else ""
        refs = {"cm": [], "secret": [], "sa": [], "pvc": [], "svc": [], "deploy": [], "role": [], "apps": [], "vars": []}
        resources = []
        # Referenced objects first so workloads can name them.
        for kind, key in (("ConfigMap", "cm"), ("Secret", "secret"), ("ServiceAccount", "sa"),
                          ("PersistentVolumeClaim", "pvc"), ("Role", "role")):
            if self.p(0.35):
                n = pre + self.word()
                if any(x.kind == kind and x.name == n for x in resources):
                    continue
                resources.append(self.simple(kind, n, refs))
                refs[key].append(n)
        k = {}
        gens = []
        if self.p(0.4):
            gname = pre + "gen-" + self.word()
            refs["cm"].append(gname)
            gens.append(("configMapGenerator", gname))
        if self.p(0.2):
            gname = pre + "sgen-" + self.word()
            refs["secret"].append(gname)
            gens.append(("secretGenerator", gname))
        nw = r.randrange(1, 3)
        for i in range(nw):
            kind = r.choice(["Deployment", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"])
            n = pre + self.word() + ("-%d" % i if i else "")
            if any(x.kind == kind and x.name == n for x in resources):
                continue
            w = self.workload(kind, n, refs)
            resources.append(w)
            refs["apps"].append(n)
            if kind == "Deployment":
                refs["deploy"].append(n)
            if self.p(0.5):
                sn = n + "-svc"
                resources.append(self.simple("Service", sn, {"apps": [n]}))
                refs["svc"].append(sn)
        for kind in ("Ingress", "HorizontalPodAutoscaler", "RoleBinding", "PodDisruptionBudget", "Widget",
                     "ClusterRole", "Namespace"):
            if self.p(0.15 if kind not in ("Widget",) else 0.45):
                n = pre + self.word()
                if any(x.kind == kind and x.name == n for x in resources):
                    continue
                resources.append(self.simple(kind, n, refs))
        # Files: one or several documents each, sometimes a List.
        files = []
        i = 0
        rest = list(resources)
        r.shuffle(rest) if self.p(0.3) else None
        while rest:
            take = r.randrange(1, min(3, len(rest)) + 1)
            chunk, rest = rest[:take], rest[take:]
            fname = "res%d.yaml" % i if self.p(0.8) else "res%d.yml" % i
            i += 1
            if len(chunk) > 1 and self.p(0.1):
                text = self.dump([{"apiVersion": "v1", "kind": "List", "items": [c.obj for c in chunk]}])
            else:
                text = self.dump([c.obj for c in chunk])
            self.files[d + "/" + fname] = text
            files.append(fname)
        k["resources"] = files
        for field, gname in gens:
            k[field] = [self.generator(d, gname, field, behavior=None)]
        self.common_fields(d, k, refs, resources, in_base=True)
        self.write_kustomization(d, k)
        return {"dir": d, "resources": resources, "refs": refs, "gens": gens}

    def generator(self, d, name, field, behavior):
        r = self.r
        g = {"name": name}
        if behavior:
            g["behavior"] = behavior
        if self.p(0.7):
            g["literals"] = []
            seen = set()
            for _ in range(r.randrange(1, 4)):
                val = r.choice([self.word(), "with space", "a=b", "日本", "123", "true", "", "'quoted'", "x:y",
                                '"dq"', "multi word value"])
                key = r.choice(["K_", "key", "k."]) + self.word()
                if key in seen and not self.risky:
                    continue  # a repeated key is an error
                seen.add(key)
                g["literals"].append(key + "=" + val)
        if self.p(0.3):
            fname = self.word() + r.choice([".txt", ".properties", ".json"])
            content = r.choice(["plain text\n", "a=b\nc=d\n", '{"k": 1}\n', "no newline", "ünïcode ✓\n", "",
                                "line1\n\nline3\n", "  indented\n"])
            self.files[d + "/" + fname] = content
            g["files"] = [fname if self.p(0.6) else "f-" + self.word() + "=" + fname]
        if self.p(0.25):
            ename = self.word() + ".env"
            lines = []
            keys = ["A", "B_C", "d.e", "X1"]
            for _ in range(r.randrange(1, 4)):
                key = r.choice(keys)
                if not self.risky:
                    keys.remove(key)  # a repeated key is an error
                lines.append(key + "=" + r.choice(["1", "v", "with space", "", "a=b"]))
            if self.p(0.2):
                lines.insert(0, "# comment")
            self.files[d + "/" + ename] = "\n".join(lines) + ("\n" if self.p(0.8) else "")
            g["envs"] = [ename]
        if field == "secretGenerator" and self.p(0.2):
            g["type"] = r.choice(["Opaque", "kubernetes.io/basic-auth"])
        if self.p(0.25):
            opts = {}
            if self.p(0.5):
                opts["disableNameSuffixHash"] = True
            if self.p(0.4):
                opts["labels"] = {"gen": self.label_value()}
            if self.p(0.3):
                opts["annotations"] = {"gen.example.com/a": self.text_value(rich=False)}
            if self.p(0.1):
                opts["immutable"] = True
            g["options"] = opts
        return g

    def common_fields(self, d, k, refs, resources, in_base=False):
        """The transformer fields: namespace, prefix/suffix, labels, annotations, images, replicas."""
        r = self.r
        scale = 0.3 if in_base else 1.0
        if self.p(0.4 * scale):
            k["namespace"] = r.choice(["ns-" + self.word(), "default", "prod", "team-a"])
        if self.p(0.35 * scale):
            k["namePrefix"] = r.choice(["p-", "pre-", "x" + self.word() + "-", "a."])
        if self.p(0.25 * scale):
            k["nameSuffix"] = r.choice(["-s", "-v2", "-" + self.word()])
        if self.p(0.3 * scale):
            k["commonLabels"] = {self.label_key(["env", "team", "app.kubernetes.io/part-of"]): self.label_value()}
        if self.p(0.3 * scale):
            lab = {"pairs": {self.label_key(["owner", "tier", "env"]): self.label_value()}}
            if self.p(0.5):
                lab["includeSelectors"] = self.p(0.5)
            if self.p(0.4):
                lab["includeTemplates"] = self.p(0.6)
            if self.p(0.15):
                lab["fields"] = [{"path": "spec/selector/matchLabels", "kind": "Widget", "create": True}]
            k["labels"] = [lab]
        if self.p(0.3 * scale):
            k["commonAnnotations"] = {r.choice(["note", "example.com/owner", "a/b"]):
                                      self.annotation_value() if self.risky else self.text_value()}
        if self.p(0.35 * scale):
            imgs = []
            for _ in range(r.randrange(1, 3)):
                src = r.choice(IMAGES).split("@")[0]
                name = src.rsplit(":", 1)[0] if ":" in src.split("/")[-1] else src
                e = {"name": name if self.p(0.85) else self.word()}
                if self.p(0.5):
                    e["newName"] = r.choice(["mirror.example.com/" + name.split("/")[-1], "other", name])
                if self.p(0.6):
                    e["newTag"] = Raw(r.choice(["\"1.2\"", "v2", "latest", "\"1.10\"", "\"007\""]))
                    if self.risk(0.15):
                        e["newTag"] = Raw(r.choice(["1.2", "1.10", "7"]))
                if self.p(0.15):
                    e["digest"] = "sha256:" + "b" * 64
                if self.allowed("misspelt-fields") and self.risk(0.1):
                    self.tags.add("misspelt-fields")
                    e[r.choice(["newtag", "NewName", "new_tag"])] = "v9"
                imgs.append(e)
            k["images"] = imgs
        deps = [x for x in resources if x.kind in ("Deployment", "StatefulSet", "ReplicaSet")]
        if self.p(0.3 * scale) and (deps or self.p(0.05)):
            name = r.choice(deps).name if deps else "missing"
            k["replicas"] = [{"name": name, "count": r.choice([0, 1, 3, 10])}]

    def patch_target(self, res):
        r = self.r
        t = {}
        roll = r.random()
        if roll < 0.4:
            t["kind"] = res.kind
            t["name"] = res.name
        elif roll < 0.55:
            t["kind"] = res.kind
        elif roll < 0.65:
            t["name"] = res.name[:2] + ".*"
            t["kind"] = res.kind
        elif roll < 0.8 and res.labels:
            k = r.choice(sorted(res.labels))
            t["labelSelector"] = "%s=%s" % (k, res.labels[k])
        elif roll < 0.87:
            t["kind"] = res.kind
            t["annotationSelector"] = "note!=x"
        else:
            t["group"] = res.group
            t["version"] = res.version
            t["kind"] = res.kind
            t["name"] = res.name
        if self.allowed("misspelt-fields") and self.risk(0.06):
            self.tags.add("misspelt-fields")
            t[r.choice(["knd", "Kind", "nmae"])] = res.kind
        return t

    def smp_body(self, res, name=None):
        r = self.r
        body = {"apiVersion": res.api, "kind": res.kind, "metadata": {"name": name or res.name}}
        roll = r.random()
        if res.kind in ("Deployment", "StatefulSet", "DaemonSet") and roll < 0.6:
            spec = {}
            if self.p(0.4) and res.kind != "DaemonSet":
                spec["replicas"] = r.randrange(0, 7)
            if self.p(0.7) and res.containers:
                c = {"name": r.choice(res.containers + ["new"])}
                sub = r.random()
                if sub < 0.3:
                    c["image"] = r.choice(IMAGES)
                elif sub < 0.55:
                    c["env"] = [{"name": "PATCHED", "value": self.text_value()}]
                elif sub < 0.65:
                    c["$patch"] = "delete"
                elif sub < 0.8:
                    c["args"] = [self.text_value()]
                else:
                    c["resources"] = None
                spec["template"] = {"spec": {"containers": [c]}}
            if self.p(0.2):
                spec.setdefault("template", {})["metadata"] = {"labels": {"patched": "yes-" + self.word()}}
            body["spec"] = spec
        elif roll < 0.7:
            body["metadata"]["labels"] = {"patched": self.label_value()}
            if self.p(0.5):
                body["metadata"]["annotations"] = {"patched.example.com/at": self.annotation_value()}
        elif roll < 0.78:
            body["$patch"] = "delete"
        elif roll < 0.86 and res.kind == "ConfigMap":
            body["data"] = {self.word(): self.text_value(), "gone": None}
        elif roll < 0.93 and res.kind == "Widget":
            body["spec"] = {self.word(): self.any_value(), "$patch": "replace"} if self.p(0.3) else {
                self.word(): self.any_value()}
        else:
            body["metadata"]["annotations"] = {"p.example.com/" + self.word(): self.annotation_value()}
        return body

    def json6902_ops(self, res):
        """JSON 6902 operations on res. Outside risky trees an op whose path may
        be missing comes after one that makes it (kustomize rejects ops on
        missing paths, and kcompile must too: risky trees test that)."""
        r = self.r
        ops = []
        safe = not self.risky
        labels = bool(res.labels)
        spec = isinstance(res.obj, dict) and isinstance(res.obj.get("spec"), dict)

        def ensure_labels():
            nonlocal labels
            if safe and not labels:
                ops.append({"op": "add", "path": "/metadata/labels", "value": {"made": self.label_value()}})
                labels = True

        for _ in range(r.randrange(1, 4)):
            roll = r.random()
            if roll < 0.25:
                ensure_labels()
                ops.append({"op": "add", "path": "/metadata/labels/" + r.choice(["j", "added", "a~1b"]),
                            "value": self.label_value()})
            elif roll < 0.4:
                paths = ["/metadata/name", "/metadata/namespace"] + (["/spec/replicas"] if spec or not safe else [])
                path = r.choice(paths)
                value = r.choice([res.name + "-r", 3, "ns-j"])
                if path.startswith("/metadata/") and not isinstance(value, str):
                    if not self.allowed("nonstring-name"):
                        # A name that reads as a number is a divergence (cases/
                        # nameref-to-numeric-name-stays-a-string).
                        value = res.name + "-" + str(value)
                    else:
                        self.tags.add("nonstring-name")
                if safe and path != "/metadata/name":
                    ops.append({"op": "add", "path": path, "value": value})
                ops.append({"op": "replace", "path": path, "value": value})
            elif roll < 0.5 and res.containers:
                ops.append({"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": r.choice(IMAGES)})
            elif roll < 0.6:
                paths = ["/metadata/labels", "/metadata/annotations"] + (["/spec/replicas"] if spec or not safe else [])
                path = r.choice(paths)
                if path == "/metadata/labels":
                    ensure_labels()
                    labels = False
                elif safe:
                    ops.append({"op": "add", "path": path,
                                "value": 2 if path == "/spec/replicas" else {"gone": "soon"}})
                ops.append({"op": "remove", "path": path})
            elif roll < 0.7:
                ops.append({"op": "test", "path": "/kind", "value": "Other" if self.risk(0.3) else res.kind})
            elif roll < 0.8:
                whole = self.p(0.3) and self.allowed("annotations-scalar")
                if whole:
                    self.tags.add("annotations-scalar")
                else:
                    ensure_labels()
                ops.append({"op": "copy", "from": "/metadata/name",
                            "path": "/metadata/annotations" if whole else "/metadata/labels/copied"})
            elif roll < 0.87:
                ensure_labels()
                labels = False
                ops.append({"op": "move", "from": "/metadata/labels", "path": "/metadata/annotations"})
            elif spec or not safe:
                paths = ["/spec/extra"] + (["/spec/template/spec/containers/-"] if res.containers or not safe else [])
                ops.append({"op": "add", "path": r.choice(paths),
                            "value": self.any_value() if self.p(0.5) else {"name": "x", "image": "busybox"}})
        return ops

    def patches(self, d, k, targets):
        r = self.r
        if not targets:
            return
        plist = []
        for _ in range(r.randrange(1, 4)):
            res = r.choice(targets)
            roll = r.random()
            entry = {}
            if roll < 0.35:  # strategic merge, inline or file, no target
                body = self.smp_body(res)
                text = self.dump([body])
                if self.p(0.5):
                    entry["patch"] = text
                else:
                    fn = "smp-%d.yaml" % len(plist)
                    self.files[d + "/" + fn] = text
                    entry["path"] = fn
            elif roll < 0.55:  # strategic merge with a target
                body = self.smp_body(res, name=r.choice(["not-used", res.name]))
                entry["patch"] = self.dump([body])
                entry["target"] = self.patch_target(res)
            else:  # JSON 6902
                ops = self.json6902_ops(res)
                if self.p(0.4):
                    entry["patch"] = json.dumps(ops, ensure_ascii=self.p(0.5), default=raw_json)
                elif self.p(0.6):
                    entry["patch"] = self.dump_list(ops)
                else:
                    fn = "json-%d.yaml" % len(plist)
                    self.files[d + "/" + fn] = self.dump_list(ops)
                    entry["path"] = fn
                entry["target"] = self.patch_target(res)
            if self.p(0.05):
                entry["options"] = {"allowNameChange": True}
            plist.append(entry)
        if self.p(0.15):
            # The deprecated fields, which kustomize still reads.
            res = r.choice(targets)
            fn = "legacy-smp.yaml"
            self.files[d + "/" + fn] = self.dump([self.smp_body(res)])
            k["patchesStrategicMerge"] = [fn]
        if self.p(0.1):
            res = r.choice(targets)
            fn = "legacy-json.yaml"
            self.files[d + "/" + fn] = self.dump_list(self.json6902_ops(res))
            k["patchesJson6902"] = [{"target": {"group": res.group, "version": res.version, "kind": res.kind,
                                                "name": res.name}, "path": fn}]
        k["patches"] = plist

    def dump_list(self, items):
        w = yamlgen.Writer(self.r)
        w.indent = 2
        return w.sequence(items, 0) + "\n"

    def replacements(self, k, targets):
        r = self.r
        srcs = [t for t in targets if t.kind in ("ConfigMap", "Service", "Deployment", "Secret", "Widget")]
        if not srcs:
            return
        src = r.choice(srcs)
        fp = {"ConfigMap": ["metadata.name", "data." + self.word()], "Service": ["metadata.name", "spec.ports.0.port"],
              "Deployment": ["metadata.name", "spec.template.spec.containers.0.image", "spec.replicas"],
              "Secret": ["metadata.name", "type"], "Widget": ["metadata.name", "spec.image"]}[src.kind]
        sfp = r.choice(fp)
        if not self.risky and sfp not in ("metadata.name", "spec.template.spec.containers.0.image"):
            # The other source paths may be missing from the object.
            found = src.obj
            for part in sfp.split("."):
                found = found.get(part) if isinstance(found, dict) else None
            if found is None:
                sfp = "metadata.name"
        tgt = r.choice(targets)
        tfp = r.choice(["metadata.annotations.copied", "metadata.labels.src", "spec.template.spec.containers.[name=app].image",
                        "spec.template.spec.containers.0.env.[name=E0_WEB].value", "data.copied", "spec.extra"])
        if sfp in ("spec.ports.0.port", "spec.replicas") and tfp.startswith("metadata."):
            # A number copied into a label or annotation: kustomize quotes it.
            if self.allowed("nonstring-annotations"):
                self.tags.add("nonstring-annotations")
            else:
                tfp = "spec.extra"
        t = {"select": {"kind": tgt.kind}, "fieldPaths": [tfp]}
        if self.p(0.3):
            t["select"]["name"] = tgt.name
        if self.p(0.3) or not self.risky:
            if ".0." in tfp or "[" in tfp:
                if self.allowed("replacement-create-list"):
                    self.tags.add("replacement-create-list")
                    t["options"] = {"create": True}
                elif not self.risky:
                    tfp = "spec.extra"
                    t["fieldPaths"] = [tfp]
                    t["options"] = {"create": True}
            else:
                t["options"] = {"create": True}
        if self.p(0.15):
            t["options"] = {"delimiter": r.choice(["/", ":", "-"]), "index": r.choice([0, 1, -1])}
        if self.p(0.1):
            t["reject"] = [{"name": "nothing"}]
        k["replacements"] = [{"source": {"kind": src.kind, "name": src.name, "fieldPath": sfp},
                              "targets": [t]}]

    def vars(self, k, targets, refs):
        r = self.r
        svcs = [t for t in targets if t.kind in ("Service", "ConfigMap", "Deployment")]
        if not svcs:
            return
        vs = []
        for i, s in enumerate(r.sample(svcs, min(len(svcs), r.randrange(1, 3)))):
            name = "V%d_%s" % (i, s.kind.upper())
            v = {"name": name, "objref": {"kind": s.kind, "name": s.name, "apiVersion": s.api}}
            if self.p(0.6):
                v["fieldref"] = {"fieldpath": r.choice(["metadata.name", "metadata.namespace", "kind"])}
            vs.append(v)
            refs.setdefault("vars", []).append(name)
        k["vars"] = vs

    def sort_options(self, k):
        r = self.r
        if self.p(0.5):
            k["sortOptions"] = {"order": "fifo"}
        else:
            so = {"order": "legacy"}
            if self.p(0.7):
                kinds = ["Service", "Deployment", "ConfigMap", "Widget", "Namespace", "Secret"]
                so["legacySortOptions"] = {"orderFirst": r.sample(kinds, 2), "orderLast": r.sample(kinds, 1)}
            k["sortOptions"] = so

    def write_kustomization(self, d, k, component=False):
        r = self.r
        head = {}
        if component:
            head = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}
        elif self.p(0.6):
            head = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
        doc = dict(head)
        items = list(k.items())
        if self.p(0.3):
            r.shuffle(items)
        doc.update(items)
        name = "kustomization.yaml"
        if self.p(0.07):
            name = "kustomization.yml"
        elif self.p(0.04):
            name = "Kustomization"
        self.files[d + "/" + name] = self.dump([doc])

    def component(self, d, bases):
        r = self.r
        k = {}
        targets = [x for b in bases for x in b["resources"]]
        if self.p(0.3):
            n = "comp-" + self.word()
            k["resources"] = ["extra.yaml"]
            self.files[d + "/extra.yaml"] = self.dump([self.simple(r.choice(["ConfigMap", "Widget"]), n, {}).obj])
        gens = [g for b in bases for g in b["gens"]]
        # An overlay may leave out the base a component's generator merges into.
        if gens and (len(bases) == 1 or self.risky) and self.p(0.5):
            field, gname = r.choice(gens)
            k[field] = [self.generator(d, gname, field, behavior="merge")]
        if self.p(0.6):
            self.patches(d, k, targets)
        self.common_fields(d, k, {}, targets, in_base=True)
        if not k:
            k["commonAnnotations"] = {"component": d.split("/")[-1]}
        self.write_kustomization(d, k, component=True)
        return {"dir": d}

    def overlay(self, d, bases, comps, lower):
        """An overlay over some bases (and maybe a lower overlay), with components."""
        r = self.r
        k = {}
        chosen = []
        res_entries = []
        if lower and self.p(0.5):
            res_entries.append(rel(d, lower["dir"]))
            chosen.extend(lower["bases"])
        else:
            nb = 1 if len(bases) == 1 or self.p(0.7) else 2
            for b in r.sample(bases, nb):
                res_entries.append(rel(d, b["dir"]))
                chosen.append(b)
        if self.p(0.3):
            n = "local-" + self.word()
            self.files[d + "/local.yaml"] = self.dump([self.simple(r.choice(["ConfigMap", "Service", "Widget"]), n, {}).obj])
            res_entries.append("local.yaml")
        if self.p(0.15):
            k["bases"] = res_entries[:1]
            res_entries = res_entries[1:]
        if res_entries:
            k["resources"] = res_entries
        if comps and self.p(0.4):
            k["components"] = [rel(d, c["dir"]) for c in r.sample(comps, r.randrange(1, len(comps) + 1))]
        targets = [x for b in chosen for x in b["resources"]]
        refs = {}
        gens = [g for b in chosen for g in b["gens"]]
        if gens and self.p(0.5):
            field, gname = r.choice(gens)
            behaviors = ["merge", "replace", "merge"] + (["create"] if self.risky else [])
            k[field] = [self.generator(d, gname, field, behavior=r.choice(behaviors))]
        elif self.p(0.3):
            k["configMapGenerator"] = [self.generator(d, "ov-" + self.word(), "configMapGenerator", None)]
        if self.p(0.15):
            k["generatorOptions"] = {"disableNameSuffixHash": self.p(0.5), "labels": {"generated": "yes"}}
        self.common_fields(d, k, refs, targets)
        if self.p(0.6):
            self.patches(d, k, targets)
        if self.p(0.2):
            self.replacements(k, targets)
        if self.p(0.15):
            self.vars(k, targets, refs)
        if self.p(0.15):
            self.sort_options(k)
        if self.allowed("build-metadata") and self.p(0.05):
            self.tags.add("build-metadata")
            k["buildMetadata"] = r.sample(["originAnnotations", "transformerAnnotations", "managedByLabel"], r.randrange(1, 3))
        if self.allowed("misspelt-fields") and self.risk(0.04) and "patches" in k and k["patches"]:
            self.tags.add("misspelt-fields")
            k["patches"][0]["Path" if self.p(0.5) else "taget"] = "x"
        self.write_kustomization(d, k)
        prefixed = any(f in k for f in ("namePrefix", "nameSuffix"))
        return {"dir": d, "bases": chosen, "prefixed": prefixed or (lower and lower.get("prefixed")),
                "patched": "patches" in k or "patchesStrategicMerge" in k or "patchesJson6902" in k
                or bool(lower and lower.get("patched"))}

    def tree(self):
        r = self.r
        bases = [self.base("bases/b%d" % i, i) for i in range(r.randrange(1, 4))]
        comps = [self.component("components/c%d" % i, bases) for i in range(r.choice([0, 0, 1, 2]))]
        overlays = []
        for i in range(r.randrange(1, 4)):
            lower = overlays[-1] if overlays and self.p(0.4) else None
            overlays.append(self.overlay("overlays/o%d" % i, bases, comps, lower))
        build_dir = r.choice(overlays)["dir"]
        if len(overlays) >= 2 and self.p(0.25):
            picked = r.sample(overlays, 2)
            shared = set(b["dir"] for b in picked[0]["bases"]) & set(b["dir"] for b in picked[1]["bases"])
            patched = any(o["patched"] for o in picked)
            prefixed = any(o["prefixed"] for o in picked)
            bad = (shared and patched and not self.allowed("base-twice-patch")) or (
                prefixed and not self.allowed("sibling-namerefs"))
            if not bad:
                if shared and patched:
                    self.tags.add("base-twice-patch")
                if prefixed:
                    self.tags.add("sibling-namerefs")
                k = {"resources": [rel("all", o["dir"]) for o in picked]}
                if self.p(0.5):
                    k["namespace"] = "all-ns"
                self.write_kustomization("all", k)
                build_dir = "all"
        return Tree(dict(sorted(self.files.items())), build_dir, sorted(self.tags))


def raw_json(v):
    """A Raw scalar as JSON would carry it: a number, boolean or null where
    the text reads as one (as JSON spells them), else the text as a string."""
    t = v.text.strip('"')
    if t in ("true", "false"):
        return t == "true"
    if t in ("null", "~"):
        return None
    try:
        return int(t) if t.lstrip("-").isdigit() and not t.lstrip("-").startswith("0") or t == "0" else float(t)
    except ValueError:
        return t


def rel(frm, to):
    """Path of directory `to` relative to directory `frm` (both relative to the tree root)."""
    a = frm.split("/")
    b = to.split("/")
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return "/".join([".."] * (len(a) - i) + b[i:])


def generate(seed, exclude=()):
    return Gen(seed, exclude).tree()


if __name__ == "__main__":
    import sys

    t = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0, exclude=sys.argv[2].split(",") if len(sys.argv) > 2 else ())
    print("# build:", t.build_dir, "tags:", t.tags)
    for path, text in t.files.items():
        print("=== " + path)
        print(text, end="" if text.endswith("\n") else "\n")
