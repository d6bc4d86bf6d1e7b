//! `kcompile validate` against a real kube-apiserver 1.37 (see
//! tests/util/kube.rs): (a) every object of the bundled overlays and of the
//! 50-application fleet that kcompile accepts, the server accepts too
//! (`kubectl create --dry-run=server --validate=strict`); (b) a suite of
//! broken objects, plus valid near-misses, judged by both sides. Every case
//! where they disagree is listed below and in docs/validation.md, with its
//! reason, so a new disagreement fails the test.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use util::fleet;
use util::kube::{self, say, Run, Server};

/// The Kubernetes release of the test server (tests/kube/go.mod).
const RELEASE: &str = "1.37";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Which side rejects when kcompile and the server disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Only {
    /// kcompile accepts, the server rejects: the manifest fails at apply time.
    ServerRejects,
    /// kcompile rejects what the server accepts: blocks valid output.
    KcompileRejects,
}

/// Every case where kcompile and kube-apiserver 1.37 disagree, with the
/// reason. docs/validation.md lists the same cases.
const DISAGREEMENTS: &[(&str, Only, &str)] = &[
    (
        "requests-above-limits",
        Only::ServerRejects,
        "comparing requests with limits needs exact quantity arithmetic (1 = 1000m = 0.001k); not implemented",
    ),
    (
        "resource-name-unqualified",
        Only::ServerRejects,
        "the standard resource names (cpu, memory, hugepages-<size>, …) change with releases and feature gates; kcompile does not keep the list",
    ),
    (
        "cronjob-schedule-four-fields",
        Only::ServerRejects,
        "kcompile does not parse cron schedules (the server accepts macros such as @hourly and TZ= prefixes)",
    ),
];

// ---------------------------------------------------------------------------
// (a) Valid trees: whatever kcompile accepts, the server accepts.

fn docs(yaml: &str) -> Vec<String> {
    yaml.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n").to_string())
        .filter(|d| !d.trim().is_empty())
        .collect()
}

fn value(doc: &str) -> Value {
    let docs = kcompile::yaml::parse_stream(doc).unwrap();
    docs.into_iter().next().unwrap().value
}

fn dry_run(s: &Server, yaml: &str) -> Run {
    s.kubectl_run(
        &[
            "create",
            "--dry-run=server",
            "--validate=strict",
            "-o",
            "name",
            "-f",
            "-",
        ],
        Some(yaml),
    )
}

/// Objects this test created for real (namespaces, CRDs), removed on drop,
/// even when an assertion fails, so later tests find the server as it was.
struct Created<'a> {
    s: &'a Server,
    namespaces: Vec<String>,
    crds: Vec<String>,
}

impl<'a> Created<'a> {
    fn new(s: &'a Server) -> Self {
        Created {
            s,
            namespaces: Vec::new(),
            crds: Vec::new(),
        }
    }

    fn namespace(&mut self, name: &str) {
        self.s.kubectl(&["create", "namespace", name], None);
        self.namespaces.push(name.to_string());
    }
}

impl Drop for Created<'_> {
    fn drop(&mut self) {
        for crd in &self.crds {
            let _ = self.s.kubectl_run(
                &["delete", "crd", crd, "--ignore-not-found", "--wait=false"],
                None,
            );
        }
        for ns in &self.namespaces {
            let _ = self
                .s
                .kubectl_run(&["delete", "namespace", ns, "--wait=false"], None);
            // No controller manager runs: finish the deletion by hand.
            let body = format!(
                r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}},"spec":{{"finalizers":[]}}}}"#
            );
            let _ = self.s.kubectl_run(
                &[
                    "replace",
                    "--raw",
                    &format!("/api/v1/namespaces/{ns}/finalize"),
                    "-f",
                    "-",
                ],
                Some(&body),
            );
            for _ in 0..100 {
                if self.s.kubectl_run(&["get", "namespace", ns], None).code != 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

/// `kcompile validate DIR` must pass; then every compiled object must pass
/// the server's dry-run create. Namespaces and CRDs are dry-run first, then
/// created for real (objects in a namespace need it to exist; custom
/// resources need their CRD). Returns the number of objects checked.
fn check_tree(s: &Server, dir: &Path, created: &mut Created) -> usize {
    let d = dir.to_str().unwrap();
    let r = kube::kcompile_with(&["validate", d, "--kubernetes-version", RELEASE], None);
    assert_eq!(r.code, 0, "`kcompile validate {d}` should accept it: {r}");
    let r = kube::kcompile_with(&[d], None);
    assert_eq!(r.code, 0, "kcompile {d}: {r}");
    let all = docs(&r.stdout);
    let mut rest = Vec::new();
    let mut checked = 0;
    for doc in &all {
        let v = value(doc);
        let kind = v["kind"].as_str().unwrap_or("");
        let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
        match kind {
            "Namespace" => {
                if s.kubectl_run(&["get", "namespace", &name], None).code == 0 {
                    say(&format!(
                        "note: namespace {name} exists already; not dry-run created"
                    ));
                } else {
                    let r = dry_run(s, doc);
                    assert_eq!(r.code, 0, "{d}: the server refuses Namespace/{name}: {r}");
                    created.namespace(&name);
                    checked += 1;
                }
            }
            "CustomResourceDefinition" => {
                let r = dry_run(s, doc);
                assert_eq!(r.code, 0, "{d}: the server refuses CRD {name}: {r}");
                s.kubectl(&["create", "-f", "-"], Some(doc));
                created.crds.push(name.clone());
                s.kubectl(
                    &[
                        "wait",
                        "--for=condition=Established",
                        "--timeout=60s",
                        &format!("crd/{name}"),
                    ],
                    None,
                );
                checked += 1;
            }
            _ => rest.push(doc.clone()),
        }
    }
    let r = dry_run(s, &rest.join("\n---\n"));
    assert_eq!(
        r.code, 0,
        "{d}: kube-apiserver {RELEASE} refuses objects `kcompile validate` accepted: {r}"
    );
    assert_eq!(
        r.stdout.lines().count(),
        rest.len(),
        "{d}: one line per object created: {r}"
    );
    checked + rest.len()
}

#[test]
fn objects_kcompile_accepts_the_server_accepts() {
    let Some(s) = kube::server() else { return };
    let mut created = Created::new(s);
    let mut total = 0;
    for o in ["overlays/cluster-a", "overlays/cluster-b"] {
        total += check_tree(s, &repo().join(o), &mut created);
    }
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("vfleet");
    fleet::write(tmp.path(), &ns, &ns, 50);
    let fleet_objects = check_tree(s, tmp.path(), &mut created);
    assert!(fleet_objects > 500, "the fleet has hundreds of objects");
    total += fleet_objects;
    say(&format!(
        "kube-apiserver {RELEASE} accepts all {total} objects `kcompile validate` accepts \
         (bundled overlays and the 50-application fleet)"
    ));
}

// ---------------------------------------------------------------------------
// (b) Broken objects and valid near-misses.

struct Case {
    name: &'static str,
    obj: Value,
    /// Text the message of each side that rejects must contain, so a case
    /// fails for the reason it was written for ("a|b": either).
    key: &'static str,
}

/// Set `ptr` (JSON pointer, `-` appends) in `v`, creating mappings on the way.
fn set(mut v: Value, ptr: &str, to: Value) -> Value {
    {
        let mut cur = &mut v;
        let parts: Vec<&str> = ptr.split('/').skip(1).collect();
        for (i, p) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let p = p.replace("~1", "/").replace("~0", "~");
            cur = match cur {
                Value::Array(a) => {
                    if p == "-" {
                        a.push(Value::Null);
                        a.last_mut().unwrap()
                    } else {
                        let n: usize = p.parse().unwrap();
                        &mut a[n]
                    }
                }
                _ => {
                    if !cur.is_object() {
                        *cur = json!({});
                    }
                    let m = cur.as_object_mut().unwrap();
                    if last {
                        m.insert(p.clone(), Value::Null);
                    }
                    m.entry(p).or_insert_with(|| json!({}))
                }
            };
            if last {
                *cur = to.clone();
            }
        }
    }
    v
}

/// Remove `ptr` from `v`.
fn del(mut v: Value, ptr: &str) -> Value {
    let (parent, key) = ptr.rsplit_once('/').unwrap();
    match v.pointer_mut(parent).unwrap() {
        Value::Object(m) => {
            m.shift_remove(key).unwrap();
        }
        Value::Array(a) => {
            a.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{ptr}"),
    }
    v
}

fn long(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

fn deploy(ns: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web",
                    "image": "nginx:1.27",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
                }]}
            }
        }
    })
}

fn service(ns: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    })
}

fn config_map(ns: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": ns},
        "data": {"mode": "production"}
    })
}

fn pdb(ns: &str) -> Value {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}
    })
}

fn role(ns: &str) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader", "namespace": ns},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
    })
}

fn pvc(ns: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": ns},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    })
}

fn cron_job(ns: &str) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report", "namespace": ns},
        "spec": {
            "schedule": "*/15 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "report", "image": "busybox:1.36"}]
            }}}}
        }
    })
}

fn stateful_set(ns: &str) -> Value {
    let d = deploy(ns);
    let d = set(d, "/kind", json!("StatefulSet"));
    let d = set(d, "/spec/serviceName", json!("web"));
    set(
        d,
        "/spec/volumeClaimTemplates",
        json!([{
            "metadata": {"name": "state"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
        }]),
    )
}

fn ingress(ns: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}
        }]}}]}
    })
}

fn hpa(ns: &str) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 5
        }
    })
}

fn secret(ns: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "credentials", "namespace": ns},
        "type": "Opaque",
        "data": data
    })
}

fn crd(name: &str, plural: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": plural, "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    })
}

const C0: &str = "/spec/template/spec/containers/0";

#[rustfmt::skip]
fn cases(ns: &str) -> Vec<Case> {
    let c = |name, obj, key| Case { name, obj, key };
    let d = || deploy(ns);
    let container = |field: &str, v: Value| set(deploy(ns), &format!("{C0}/{field}"), v);
    vec![
        // Wrong types.
        c("type-replicas-word", set(d(), "/spec/replicas", json!("two")), "spec.replicas"),
        c("type-replicas-quoted-number", set(d(), "/spec/replicas", json!("2")), "spec.replicas"),
        c("type-container-port-string", container("ports/0/containerPort", json!("8080x")), "containerPort"),
        c("type-label-value-number", set(d(), "/metadata/labels/tier", json!(1)), "metadata.labels"),
        c("type-env-value-number", container("env", json!([{"name": "THREADS", "value": 4}])), "env"),
        c("type-containers-mapping", set(d(), "/spec/template/spec/containers", json!({"name": "web", "image": "nginx"})), "containers"),
        c("type-command-string", container("command", json!("sleep 10")), "command"),
        c("type-host-network-string", set(d(), "/spec/template/spec/hostNetwork", json!("true")), "hostNetwork"),
        c("type-configmap-data-number", set(config_map(ns), "/data/threads", json!(4)), "data"),
        c("intstr-float-target-port", set(service(ns), "/spec/ports/0/targetPort", json!(80.5)), "targetPort"),
        c("intstr-bool-min-available", set(pdb(ns), "/spec/minAvailable", json!(true)), "minAvailable"),
        // Unknown fields at several depths.
        c("unknown-top-level", set(d(), "/specs", json!({})), "specs"),
        c("unknown-metadata", set(d(), "/metadata/label", json!({"a": "b"})), "metadata.label"),
        c("unknown-spec", set(d(), "/spec/replica", json!(3)), "spec.replica"),
        c("unknown-container", container("imagePullPolcy", json!("Always")), "imagePullPolcy"),
        c("unknown-probe", container("readinessProbe", json!({"httpGet": {"path": "/", "portt": 8080}})), "portt"),
        c("unknown-service-port", set(service(ns), "/spec/ports/0/target", json!(8080)), "ports[0].target"),
        // Missing required fields.
        c("required-selector", del(d(), "/spec/selector"), "spec.selector"),
        c("required-container-name", del(d(), &format!("{C0}/name")), "containers[0].name"),
        c("required-container-image", del(d(), &format!("{C0}/image")), "containers[0].image"),
        c("required-service-port", del(service(ns), "/spec/ports/0/port"), "ports[0].port"),
        c("required-role-verbs", del(role(ns), "/rules/0/verbs"), "verbs"),
        c("required-pvc-storage", del(pvc(ns), "/spec/resources/requests/storage"), "spec.resources"),
        c("required-metadata-name", del(config_map(ns), "/metadata/name"), "name"),
        c("job-restart-policy-missing", del(cron_job(ns), "/spec/jobTemplate/spec/template/spec/restartPolicy"), "restartPolicy"),
        // Values outside an enum ("" means unset; a field behind a disabled feature gate is dropped).
        c("enum-image-pull-policy", container("imagePullPolicy", json!("Sometimes")), "imagePullPolicy"),
        c("enum-service-type", set(service(ns), "/spec/type", json!("LoadBalancers")), "spec.type"),
        c("enum-restart-policy", set(d(), "/spec/template/spec/restartPolicy", json!("Sometimes")), "restartPolicy"),
        c("enum-port-protocol", container("ports/0/protocol", json!("HTTP")), "protocol"),
        c("enum-strategy-type", set(d(), "/spec/strategy", json!({"type": "Rolling"})), "spec.strategy"),
        c("enum-pvc-access-mode", set(pvc(ns), "/spec/accessModes/0", json!("ReadWriteAll")), "accessModes"),
        c("enum-toleration-effect", set(d(), "/spec/template/spec/tolerations", json!([{"key": "dedicated", "operator": "Equal", "value": "spark", "effect": "NoScheduled"}])), "effect"),
        c("enum-ingress-path-type", set(ingress(ns), "/spec/rules/0/http/paths/0/pathType", json!("Prefixed")), "pathType"),
        c("ok-empty-enum-values", set(set(d(), &format!("{C0}/imagePullPolicy"), json!("")), "/spec/template/spec/restartPolicy", json!("")), "spec"),
        c("ok-gated-field-stop-signal", container("lifecycle", json!({"stopSignal": "SIGFOO"})), "stopSignal"),
        // apiVersions Kubernetes removed.
        c("removed-extensions-v1beta1-deployment", set(d(), "/apiVersion", json!("extensions/v1beta1")), "extensions/v1beta1"),
        c("removed-policy-v1beta1-pdb", set(pdb(ns), "/apiVersion", json!("policy/v1beta1")), "policy/v1beta1"),
        c("removed-batch-v1beta1-cronjob", set(cron_job(ns), "/apiVersion", json!("batch/v1beta1")), "batch/v1beta1"),
        c("removed-networking-v1beta1-ingress", set(ingress(ns), "/apiVersion", json!("networking.k8s.io/v1beta1")), "networking.k8s.io/v1beta1"),
        c("removed-autoscaling-v2beta2-hpa", set(hpa(ns), "/apiVersion", json!("autoscaling/v2beta2")), "autoscaling/v2beta2"),
        c("removed-rbac-v1beta1-role", set(role(ns), "/apiVersion", json!("rbac.authorization.k8s.io/v1beta1")), "rbac.authorization.k8s.io/v1beta1"),
        // Names and namespaces.
        c("name-uppercase", set(d(), "/metadata/name", json!("Web")), "metadata.name"),
        c("name-underscore", set(d(), "/metadata/name", json!("web_app")), "metadata.name"),
        c("name-trailing-dash", set(config_map(ns), "/metadata/name", json!("settings-")), "metadata.name"),
        c("name-too-long", set(config_map(ns), "/metadata/name", json!(long('a', 254))), "metadata.name"),
        c("name-service-dot", set(service(ns), "/metadata/name", json!("web.v1")), "metadata.name"),
        c("name-statefulset-dot", set(stateful_set(ns), "/metadata/name", json!("web.v1")), "metadata.name"),
        c("name-namespace-too-long", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": long('n', 64)}}), "metadata.name"),
        c("name-cronjob-53", set(cron_job(ns), "/metadata/name", json!(long('r', 53))), "metadata.name"),
        c("name-role-slash", set(role(ns), "/metadata/name", json!("team/reader")), "name"),
        c("namespace-uppercase", set(config_map(ns), "/metadata/namespace", json!("Spark")), "Spark"),
        c("container-name-uppercase", container("name", json!("Web")), "containers[0].name"),
        c("crd-name-not-plural-group", crd("widgets.example.com", "gadgets"), "metadata.name"),
        c("ok-name-dots", set(config_map(ns), "/metadata/name", json!("app.settings.v1")), "metadata.name"),
        c("ok-name-253", set(config_map(ns), "/metadata/name", json!(long('a', 253))), "metadata.name"),
        c("ok-name-service-digit-first", set(service(ns), "/metadata/name", json!("1web")), "metadata.name"),
        c("ok-name-rbac-colon-uppercase", set(role(ns), "/metadata/name", json!("system:Team_Reader")), "metadata.name"),
        c("ok-name-pdb-uppercase", set(pdb(ns), "/metadata/name", json!("Web_PDB")), "metadata.name"),
        c("ok-crd-name", crd("widgets.example.com", "widgets"), "metadata.name"),
        c("ok-cluster-scoped-namespace-ignored", json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader", "namespace": "Not_A_Namespace"}, "rules": []}), "namespace"),
        // Labels, annotations, finalizers, selectors.
        c("label-value-space", set(d(), "/metadata/labels/tier", json!("front end")), "metadata.labels"),
        c("label-value-too-long", set(d(), "/metadata/labels/tier", json!(long('v', 64))), "metadata.labels"),
        c("label-key-uppercase-prefix", set(d(), "/metadata/labels/Example.com~1tier", json!("web")), "metadata.labels"),
        c("label-key-two-slashes", set(d(), "/metadata/labels/a~1b~1c", json!("web")), "metadata.labels"),
        c("label-key-name-too-long", set(d(), &format!("/metadata/labels/example.com~1{}", long('k', 64)), json!("x")), "metadata.labels"),
        c("label-template-value", set(d(), "/spec/template/metadata/labels/tier", json!("front end")), "template"),
        c("label-selector-value", set(set(d(), "/spec/selector/matchLabels/tier", json!("front end")), "/spec/template/metadata/labels/tier", json!("front end")), "spec.selector"),
        c("label-service-selector-key", set(service(ns), "/spec/selector/app tier", json!("web")), "spec.selector"),
        c("label-node-selector-value", set(d(), "/spec/template/spec/nodeSelector/disk", json!("fast ssd")), "nodeSelector"),
        c("label-expression-key", set(pdb(ns), "/spec/selector/matchExpressions", json!([{"key": "app tier", "operator": "Exists"}])), "matchExpressions"),
        c("annotation-key-space", set(d(), "/metadata/annotations/owner team", json!("spark")), "metadata.annotations"),
        c("annotation-key-two-slashes", set(d(), "/metadata/annotations/a~1b~1c", json!("x")), "metadata.annotations"),
        c("annotation-too-large", set(config_map(ns), "/metadata/annotations/blob", json!(long('x', 256 * 1024))), "metadata.annotations"),
        c("selector-does-not-match-template", set(d(), "/spec/selector/matchLabels/app", json!("api")), "selector"),
        c("selector-empty", set(d(), "/spec/selector", json!({})), "spec.selector"),
        c("selector-bad-operator", set(pdb(ns), "/spec/selector/matchExpressions", json!([{"key": "tier", "operator": "Equals", "values": ["web"]}])), "operator"),
        c("finalizer-space", set(config_map(ns), "/metadata/finalizers", json!(["example.com/clean up"])), "finalizers"),
        c("ok-label-empty-value", set(d(), "/metadata/labels/tier", json!("")), "metadata.labels"),
        c("ok-label-prefixed-key", set(d(), "/metadata/labels/app.kubernetes.io~1name", json!("web")), "metadata.labels"),
        c("ok-label-value-63", set(d(), "/metadata/labels/tier", json!(long('v', 63))), "metadata.labels"),
        c("ok-label-value-mixed", set(d(), "/metadata/labels/tier", json!("Front_End.v-1")), "metadata.labels"),
        c("ok-claim-template-label", set(stateful_set(ns), "/spec/volumeClaimTemplates/0/metadata/labels", json!({"tier": "front end"})), "volumeClaimTemplates"),
        c("ok-hpa-metric-selector", set(hpa(ns), "/spec/metrics", json!([{"type": "External", "external": {"metric": {"name": "queue", "selector": {"matchLabels": {"queue": "jobs waiting"}}}, "target": {"type": "Value", "value": "10"}}}])), "selector"),
        c("ok-annotation-uppercase-key", set(d(), "/metadata/annotations/Example.com~1Owner", json!("Team A")), "metadata.annotations"),
        c("ok-annotation-at-limit", set(config_map(ns), "/metadata/annotations/blob", json!(long('x', 256 * 1024 - 4))), "metadata.annotations"),
        // Numbers out of range.
        c("replicas-negative", set(d(), "/spec/replicas", json!(-1)), "spec.replicas"),
        c("container-port-too-big", container("ports/0/containerPort", json!(70000)), "containerPort"),
        c("container-port-zero", container("ports/0/containerPort", json!(0)), "containerPort"),
        c("service-port-zero", set(service(ns), "/spec/ports/0/port", json!(0)), "ports[0].port"),
        c("service-target-port-too-big", set(service(ns), "/spec/ports/0/targetPort", json!(65536)), "targetPort"),
        c("pdb-percent-over-100", set(pdb(ns), "/spec/minAvailable", json!("150%")), "minAvailable"),
        c("hpa-min-above-max", set(hpa(ns), "/spec/minReplicas", json!(6)), "maxReplicas"),
        // Quantities.
        c("quantity-bad-suffix", container("resources/requests/memory", json!("1GB")), "memory|quantities"),
        c("quantity-word", container("resources/requests/cpu", json!("one")), "cpu|quantities"),
        c("quantity-space-inside", set(pvc(ns), "/spec/resources/requests/storage", json!("10 Gi")), "storage|quantities"),
        c("quantity-negative-request", container("resources/requests/memory", json!("-128Mi")), "memory"),
        c("ok-quantity-forms", container("resources", json!({"requests": {"cpu": 0.5, "memory": "1.5Gi"}, "limits": {"cpu": "1e3", "memory": "+2Gi"}})), "resources"),
        // int-or-string and named ports.
        c("intstr-max-surge-not-percent", set(d(), "/spec/strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25"}})), "maxSurge"),
        c("intstr-target-port-name-too-long", set(service(ns), "/spec/ports/0/targetPort", json!("http-metrics-port")), "targetPort"),
        c("container-port-name-uppercase", container("ports/0/name", json!("HTTP")), "ports[0].name"),
        c("probe-port-name-digits", container("livenessProbe", json!({"tcpSocket": {"port": "8080"}})), "livenessProbe"),
        c("max-unavailable-and-surge-zero", set(d(), "/spec/strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})), "maxUnavailable"),
        c("pdb-min-and-max", set(pdb(ns), "/spec/maxUnavailable", json!(1)), "spec"),
        c("recreate-with-rolling-update", set(d(), "/spec/strategy", json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}})), "rollingUpdate"),
        c("ok-intstr-percent", set(d(), "/spec/strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}})), "strategy"),
        c("ok-service-target-port-zero", set(service(ns), "/spec/ports/0/targetPort", json!(0)), "targetPort"),
        // Duplicates, references and pod rules.
        c("duplicate-container-names", set(d(), "/spec/template/spec/containers/-", json!({"name": "web", "image": "busybox:1.36"})), "containers[1].name"),
        c("duplicate-volume-names", set(d(), "/spec/template/spec/volumes", json!([{"name": "tmp", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}])), "volumes[1].name"),
        c("volume-mount-without-volume", container("volumeMounts", json!([{"name": "data", "mountPath": "/data"}])), "volumeMounts[0].name"),
        c("duplicate-port-names", container("ports/-", json!({"name": "http", "containerPort": 9090})), "ports[1].name"),
        c("service-ports-unnamed", set(service(ns), "/spec/ports", json!([{"port": 80}, {"port": 443}])), "name"),
        c("deployment-restart-policy-never", set(d(), "/spec/template/spec/restartPolicy", json!("Never")), "restartPolicy"),
        c("env-value-and-value-from", container("env", json!([{"name": "POD_IP", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}])), "valueFrom"),
        c("env-name-equals", container("env", json!([{"name": "A=B", "value": "x"}])), "env[0].name"),
        c("job-restart-policy-always", set(cron_job(ns), "/spec/jobTemplate/spec/template/spec/restartPolicy", json!("Always")), "restartPolicy"),
        c("ok-statefulset-mounts-claim", set(stateful_set(ns), &format!("{C0}/volumeMounts"), json!([{"name": "state", "mountPath": "/state"}])), "volumeMounts"),
        c("ok-env-name-dots-spaces", container("env", json!([{"name": "spark.executor memory", "value": "2g"}])), "env"),
        // ConfigMaps, Secrets, Ingresses.
        c("configmap-key-space", set(config_map(ns), "/data/app config", json!("x")), "data"),
        c("configmap-key-dot-dot", set(config_map(ns), "/data/..env", json!("x")), "data"),
        c("secret-data-not-base64", secret(ns, json!({"password": "hunter2!"})), "data|base64"),
        c("secret-data-unpadded", secret(ns, json!({"password": "eA"})), "data|base64"),
        c("ingress-host-uppercase", set(ingress(ns), "/spec/rules/0/host", json!("Web.Example.com")), "host"),
        c("ingress-host-ip", set(ingress(ns), "/spec/rules/0/host", json!("10.0.0.1")), "host"),
        c("ingress-path-relative", set(ingress(ns), "/spec/rules/0/http/paths/0/path", json!("api")), "path"),
        c("ok-configmap-key-leading-dot", set(config_map(ns), "/data/.env", json!("A=1")), "data"),
        c("ok-secret-data-line-break", secret(ns, json!({"password": "aHVudGVy\nMg=="})), "data"),
        c("ok-secret-data-stray-bits", secret(ns, json!({"password": "eB=="})), "data"),
        c("ok-ingress-wildcard-host", set(ingress(ns), "/spec/rules/0/host", json!("*.example.com")), "host"),
        // Known gaps (see DISAGREEMENTS).
        c("requests-above-limits", container("resources", json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1"}})), "requests"),
        c("resource-name-unqualified", container("resources", json!({"requests": {"gpu": "1"}})), "gpu"),
        c("cronjob-schedule-four-fields", set(cron_job(ns), "/spec/schedule", json!("*/15 * * *")), "schedule"),
    ]
}

struct Verdict {
    accepted: bool,
    message: String,
}

/// A message on one line, shortened: enough to see why in the table.
fn summary(s: &str) -> String {
    let one: Vec<&str> = s.split_whitespace().collect();
    let one = one.join(" ");
    match one.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

fn kcompile_verdict(dir: &Path) -> Verdict {
    let r = kube::kcompile_with(
        &[
            "validate",
            dir.to_str().unwrap(),
            "--kubernetes-version",
            RELEASE,
        ],
        None,
    );
    assert!(r.code == 0 || r.code == 2, "kcompile validate: {r}");
    Verdict {
        accepted: r.code == 0,
        message: r.stderr,
    }
}

fn server_verdict(s: &Server, dir: &Path, obj: &Value) -> Verdict {
    // What a pipeline would apply: kcompile's output, or the object as
    // written where kustomize itself cannot build it.
    let built = kube::kcompile_with(&[dir.to_str().unwrap()], None);
    let text = if built.code == 0 {
        built.stdout
    } else {
        serde_json::to_string_pretty(obj).unwrap()
    };
    let r = dry_run(s, &text);
    Verdict {
        accepted: r.code == 0,
        message: r.stderr,
    }
}

fn contains_key(message: &str, key: &str) -> bool {
    key.split('|').any(|k| message.contains(k))
}

fn docs_text(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn validation_agrees_with_the_server_on_broken_objects() {
    let Some(s) = kube::server() else { return };
    let mut created = Created::new(s);
    let ns = kube::unique("vcases");
    created.namespace(&ns);
    let cases = cases(&ns);
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let broken = cases.iter().filter(|c| !c.name.starts_with("ok-")).count();
    assert!(broken >= 30, "at least 30 broken objects, not {broken}");

    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut disagree = Vec::new();
    let mut table = String::new();
    for case in &cases {
        let dir = tmp.path().join(case.name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("kustomization.yaml"),
            "resources:\n- object.yaml\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("object.yaml"),
            serde_json::to_string_pretty(&case.obj).unwrap(),
        )
        .unwrap();
        let kc = kcompile_verdict(&dir);
        let sv = server_verdict(s, &dir, &case.obj);
        for (who, v) in [("kcompile", &kc), ("kube-apiserver", &sv)] {
            if !v.accepted && !contains_key(&v.message, case.key) {
                problems.push(format!(
                    "{}: {who} rejects it without naming `{}`:\n{}",
                    case.name, case.key, v.message
                ));
            }
        }
        let word = |a: bool| if a { "accept" } else { "reject" };
        table.push_str(&format!(
            "  {:<40} kcompile {}  server {}{}\n",
            case.name,
            word(kc.accepted),
            word(sv.accepted),
            if kc.accepted == sv.accepted {
                ""
            } else {
                "  DISAGREE"
            }
        ));
        if kc.accepted != sv.accepted {
            let only = if kc.accepted {
                Only::ServerRejects
            } else {
                Only::KcompileRejects
            };
            let why = if kc.accepted { &sv } else { &kc };
            table.push_str(&format!("      {}\n", summary(&why.message)));
            disagree.push((case.name, only));
        }
    }
    let agree = cases.len() - disagree.len();
    say(&format!(
        "kcompile validate vs kube-apiserver {RELEASE}:\n{table}"
    ));
    say(&format!(
        "validation agrees with kube-apiserver {RELEASE} on {agree}/{} objects",
        cases.len()
    ));

    let found: BTreeSet<(&str, Only)> = disagree.iter().copied().collect();
    let listed: BTreeSet<(&str, Only)> = DISAGREEMENTS.iter().map(|(n, o, _)| (*n, *o)).collect();
    for (n, o) in found.difference(&listed) {
        problems.push(format!(
            "{n}: new disagreement ({o:?}); fix kcompile's validation or list it, with its reason, in DISAGREEMENTS and docs/validation.md"
        ));
    }
    for (n, o) in listed.difference(&found) {
        problems.push(format!("{n}: listed as a disagreement ({o:?}) but both sides now agree; remove it from DISAGREEMENTS and docs/validation.md"));
    }
    let doc = docs_text("docs/validation.md");
    for (n, _, why) in DISAGREEMENTS {
        assert!(!why.is_empty(), "{n}: a disagreement needs its reason");
        if !doc.contains(&format!("`{n}`")) {
            problems.push(format!("{n}: not listed in docs/validation.md"));
        }
    }
    let figure = format!("{agree}/{}", cases.len());
    for rel in ["docs/validation.md", "README.md"] {
        if !docs_text(rel).contains(&figure) {
            problems.push(format!(
                "{rel} does not state the agreement figure {figure}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
