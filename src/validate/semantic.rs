//! Checks the API server makes that a JSON Schema cannot express: name and
//! label syntax, port ranges, unique container and volume names, selectors
//! that match their template, and the like (k8s.io/kubernetes
//! `pkg/apis/*/validation`). Each rule here was checked against a real
//! kube-apiserver 1.37 (tests/validate_kube.rs); where the server is more
//! permissive for some kind, so is kcompile, so that validation never blocks
//! an object the server would take.

use super::json_schema::{push_key, show, Violation};
use super::syntax;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// How the server checks an object's `metadata.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameRule {
    /// DNS-1123 subdomain, at most this many characters (253 unless the
    /// name ends up in a label or a derived name).
    Subdomain(usize),
    /// DNS-1123 label.
    Label,
    /// Only what every name needs: usable as a URL path segment.
    PathSegment,
}

/// The name rule of a built-in kind (verified against kube-apiserver 1.37;
/// kinds not listed get the rule every object name obeys).
fn name_rule(group: &str, kind: &str) -> NameRule {
    use NameRule::*;
    match (group, kind) {
        ("", "Namespace") | ("", "Service") | ("apps", "StatefulSet") => Label,
        ("batch", "Job") => Subdomain(63),
        ("batch", "CronJob") => Subdomain(52),
        (
            "",
            "ConfigMap"
            | "Secret"
            | "ServiceAccount"
            | "PersistentVolumeClaim"
            | "PersistentVolume"
            | "Pod"
            | "PodTemplate"
            | "ReplicationController"
            | "LimitRange"
            | "ResourceQuota"
            | "Endpoints"
            | "Node",
        )
        | ("apps", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("autoscaling", "HorizontalPodAutoscaler")
        | ("networking.k8s.io", "Ingress" | "IngressClass" | "NetworkPolicy" | "ServiceCIDR")
        | ("storage.k8s.io", "StorageClass" | "CSIDriver" | "VolumeAttributesClass")
        | ("scheduling.k8s.io", "PriorityClass")
        | ("coordination.k8s.io", "Lease")
        | ("discovery.k8s.io", "EndpointSlice")
        | ("node.k8s.io", "RuntimeClass")
        | ("events.k8s.io", "Event")
        | ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration")
        | (
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding",
        ) => Subdomain(253),
        _ => PathSegment,
    }
}

struct Out<'a>(&'a mut Vec<Violation>);

impl Out<'_> {
    fn push(&mut self, path: &str, message: String, hint: Option<String>) {
        self.0.push(Violation {
            path: path.to_string(),
            message,
            hint,
        });
    }
}

fn child(path: &str, key: &str) -> String {
    let mut p = path.to_string();
    push_key(&mut p, key);
    p
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn get<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |cur, k| cur.get(k))
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|x| x.0).unwrap_or("")
}

/// Check an object of a kind with a bundled schema (`known`) or a custom
/// resource (only what every object's metadata must satisfy).
pub fn check(obj: &Value, known: bool, out: &mut Vec<Violation>) {
    let mut out = Out(out);
    let group = group_of(obj.get("apiVersion").and_then(Value::as_str).unwrap_or(""));
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let rule = if known {
        name_rule(group, kind)
    } else {
        NameRule::PathSegment
    };
    // The server clears the namespace of a cluster-scoped object; a custom
    // resource's scope is unknown here.
    let namespaced = known && !crate::model::resource::is_cluster_scoped(group, kind);
    metadata(obj, kind, rule, namespaced, &mut out);
    if !known {
        return;
    }
    if (group, kind) == ("apiextensions.k8s.io", "CustomResourceDefinition") {
        crd_name(obj, &mut out);
    }
    if let Some((at, restart)) = pod_template_at(group, kind) {
        let mut path = String::new();
        let mut t = Some(obj);
        for k in at {
            path = child(&path, k);
            t = t.and_then(|t| t.get(*k));
        }
        if let Some(t) = t.filter(|t| t.is_object()) {
            let mut extra = Vec::new();
            if kind == "StatefulSet" {
                extra = claim_template_names(obj);
            }
            pod_template(t, &path, kind != "Pod", restart, &extra, &mut out);
        }
    }
    match (group, kind) {
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            if kind != "DaemonSet" {
                replicas(obj, &mut out);
            }
            selector_matches_template(obj, kind, &mut out);
            if kind == "Deployment" {
                deployment_strategy(obj, &mut out);
            }
            if kind == "DaemonSet" {
                if let Some(ru) = get(obj, &["spec", "updateStrategy", "rollingUpdate"]) {
                    for f in ["maxUnavailable", "maxSurge"] {
                        int_or_percent(
                            ru.get(f),
                            &format!("spec.updateStrategy.rollingUpdate.{f}"),
                            true,
                            &mut out,
                        );
                    }
                }
            }
        }
        ("", "ReplicationController") => {
            replicas(obj, &mut out);
            if let Some(Value::Object(sel)) = get(obj, &["spec", "selector"]) {
                labels(sel, "spec.selector", &mut out);
            }
        }
        ("", "Service") => service(obj, &mut out),
        ("", "ConfigMap") => {
            let mut keys = HashSet::new();
            for field in ["data", "binaryData"] {
                if let Some(Value::Object(m)) = obj.get(field) {
                    for k in m.keys() {
                        let p = child(field, k);
                        config_key(k, &p, &mut out);
                        if !keys.insert(k.as_str()) {
                            out.push(&p, "key is in both data and binaryData".into(), None);
                        }
                    }
                }
            }
        }
        ("", "Secret") => {
            for field in ["data", "stringData"] {
                if let Some(Value::Object(m)) = obj.get(field) {
                    for k in m.keys() {
                        config_key(k, &child(field, k), &mut out);
                    }
                }
            }
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            let min = get(obj, &["spec", "minReplicas"]).and_then(Value::as_i64);
            if let Some(max) = get(obj, &["spec", "maxReplicas"]).and_then(Value::as_i64) {
                if max < 1 {
                    out.push(
                        "spec.maxReplicas",
                        format!("{max} must be at least 1"),
                        None,
                    );
                } else if let Some(min) = min.filter(|m| *m > max) {
                    out.push(
                        "spec.maxReplicas",
                        format!("{max} is below minReplicas ({min})"),
                        None,
                    );
                }
            }
        }
        ("networking.k8s.io", "Ingress") => ingress(obj, &mut out),
        ("policy", "PodDisruptionBudget") => {
            let spec = obj.get("spec");
            let min = spec
                .and_then(|s| s.get("minAvailable"))
                .filter(|v| !v.is_null());
            let max = spec
                .and_then(|s| s.get("maxUnavailable"))
                .filter(|v| !v.is_null());
            int_or_percent(min, "spec.minAvailable", true, &mut out);
            int_or_percent(max, "spec.maxUnavailable", true, &mut out);
            if min.is_some() && max.is_some() {
                out.push(
                    "spec",
                    "minAvailable and maxUnavailable cannot both be set".into(),
                    None,
                );
            }
        }
        ("", "PersistentVolumeClaim") => {
            let has = get(obj, &["spec", "resources", "requests", "storage"])
                .is_some_and(|v| !v.is_null());
            if !has {
                out.push(
                    "spec.resources.requests.storage",
                    "required field is missing".into(),
                    Some("a claim must request its size, e.g. `storage: 10Gi`".into()),
                );
            }
        }
        _ => {}
    }
}

fn metadata(obj: &Value, kind: &str, rule: NameRule, namespaced: bool, out: &mut Out) {
    let Some(Value::Object(m)) = obj.get("metadata") else {
        return;
    };
    if let Some(Value::String(name)) = m.get("name") {
        name_check(name, kind, rule, out);
    }
    if let Some(Value::String(ns)) = m.get("namespace").filter(|_| namespaced) {
        if !ns.is_empty() {
            if let Err(e) = syntax::dns1123_label(ns) {
                out.push(
                    "metadata.namespace",
                    format!(
                        "{} is not a valid namespace name: it {e}",
                        show(&Value::String(ns.clone()))
                    ),
                    None,
                );
            }
        }
    }
    if let Some(Value::Object(l)) = m.get("labels") {
        labels(l, "metadata.labels", out);
    }
    if let Some(Value::Object(a)) = m.get("annotations") {
        annotations(a, "metadata.annotations", out);
    }
    if let Some(Value::Array(fs)) = m.get("finalizers") {
        for (i, f) in fs.iter().enumerate() {
            if let Value::String(f) = f {
                if let Err(e) = syntax::label_key(f) {
                    out.push(
                        &index("metadata.finalizers", i),
                        format!("finalizer {} {e}", show(&Value::String(f.clone()))),
                        None,
                    );
                }
            }
        }
    }
}

fn name_check(name: &str, kind: &str, rule: NameRule, out: &mut Out) {
    let (res, what) = match rule {
        NameRule::Label => (
            syntax::dns1123_label(name),
            "a DNS-1123 label: at most 63 lowercase letters, digits and '-'".to_string(),
        ),
        NameRule::Subdomain(max) => {
            let r = syntax::dns1123_subdomain(name).and_then(|()| {
                if name.len() > max {
                    Err(format!("is {} characters long; at most {max}", name.len()))
                } else {
                    Ok(())
                }
            });
            (
                r,
                format!(
                    "a DNS-1123 subdomain: at most {max} lowercase letters, digits, '-' and '.'"
                ),
            )
        }
        NameRule::PathSegment => (syntax::path_segment(name), String::new()),
    };
    if let Err(e) = res {
        let hint = (!what.is_empty()).then(|| format!("a {kind} name is {what}"));
        out.push(
            "metadata.name",
            format!(
                "{} is not a valid {kind} name: it {e}",
                show(&Value::String(name.to_string()))
            ),
            hint,
        );
    }
}

/// Label keys and values (metadata.labels, selectors, nodeSelector).
fn labels(m: &Map<String, Value>, path: &str, out: &mut Out) {
    for (k, v) in m {
        let p = child(path, k);
        if let Err(e) = syntax::label_key(k) {
            out.push(
                &p,
                format!("label key {} {e}", show(&Value::String(k.clone()))),
                None,
            );
        }
        if let Value::String(s) = v {
            if let Err(e) = syntax::label_value(s) {
                out.push(&p, format!("label value {} {e}", show(v)), None);
            }
        }
    }
}

fn annotations(m: &Map<String, Value>, path: &str, out: &mut Out) {
    let mut size = 0;
    for (k, v) in m {
        size += k.len() + v.as_str().map_or(0, str::len);
        if let Err(e) = syntax::annotation_key(k) {
            out.push(
                &child(path, k),
                format!("annotation key {} {e}", show(&Value::String(k.clone()))),
                None,
            );
        }
    }
    if size > syntax::ANNOTATIONS_MAX {
        out.push(
            path,
            format!(
                "annotations total {size} bytes; the limit is {} (256 KiB)",
                syntax::ANNOTATIONS_MAX
            ),
            Some("keep large data in a ConfigMap".into()),
        );
    }
}

/// A LabelSelector (matchLabels, matchExpressions), wherever the schema
/// has one.
pub fn label_selector(v: &Value, path: &str, out: &mut Vec<Violation>) {
    let mut out = Out(out);
    if let Some(Value::Object(ml)) = v.get("matchLabels") {
        labels(ml, &child(path, "matchLabels"), &mut out);
    }
    let Some(Value::Array(exprs)) = v.get("matchExpressions") else {
        return;
    };
    for (i, e) in exprs.iter().enumerate() {
        let p = index(&child(path, "matchExpressions"), i);
        if let Some(Value::String(k)) = e.get("key") {
            if let Err(err) = syntax::label_key(k) {
                out.push(
                    &child(&p, "key"),
                    format!("label key {} {err}", show(&Value::String(k.clone()))),
                    None,
                );
            }
        }
        let values = match e.get("values") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        match e.get("operator").and_then(Value::as_str) {
            Some("In" | "NotIn") if values.is_empty() => out.push(
                &child(&p, "values"),
                "required when `operator` is In or NotIn".into(),
                None,
            ),
            Some("Exists" | "DoesNotExist") if !values.is_empty() => out.push(
                &child(&p, "values"),
                "must be empty when `operator` is Exists or DoesNotExist".into(),
                None,
            ),
            Some("In" | "NotIn" | "Exists" | "DoesNotExist") | None => {}
            Some(op) => out.push(
                &child(&p, "operator"),
                format!(
                    "{} is not one of In, NotIn, Exists, DoesNotExist",
                    show(&Value::String(op.into()))
                ),
                None,
            ),
        }
        for (j, val) in values.iter().enumerate() {
            if let Value::String(s) = val {
                if let Err(err) = syntax::label_value(s) {
                    out.push(
                        &index(&child(&p, "values"), j),
                        format!("label value {} {err}", show(val)),
                        None,
                    );
                }
            }
        }
    }
}

/// A Quantity: the server cannot even decode a malformed one.
pub fn quantity(v: &Value, path: &str, out: &mut Vec<Violation>) {
    if let Value::String(s) = v {
        if let Err(e) = syntax::quantity(s) {
            out.push(Violation {
                path: path.to_string(),
                message: format!("{} {e}", show(v)),
                hint: Some(syntax::QUANTITY_RULE.into()),
            });
        }
    }
}

fn is_negative_quantity(v: &Value) -> bool {
    match v {
        Value::String(s) => syntax::quantity(s).is_ok_and(|q| q.negative),
        Value::Number(n) => n.as_f64().is_some_and(|f| f < 0.0),
        _ => false,
    }
}

/// Which restartPolicy a kind's pods may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restart {
    /// Any (a bare Pod or PodTemplate): the schema's enum decides.
    Any,
    /// Controllers that keep pods running: Always (the default).
    Always,
    /// Jobs: OnFailure or Never, and it must be set.
    OnFailureOrNever,
}

/// Where a kind keeps its pod template (for a Pod: the object itself).
fn pod_template_at(group: &str, kind: &str) -> Option<(&'static [&'static str], Restart)> {
    match (group, kind) {
        ("", "Pod") => Some((&[], Restart::Any)),
        ("", "PodTemplate") => Some((&["template"], Restart::Any)),
        ("", "ReplicationController")
        | ("apps", "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet") => {
            Some((&["spec", "template"], Restart::Always))
        }
        ("batch", "Job") => Some((&["spec", "template"], Restart::OnFailureOrNever)),
        ("batch", "CronJob") => Some((
            &["spec", "jobTemplate", "spec", "template"],
            Restart::OnFailureOrNever,
        )),
        _ => None,
    }
}

fn claim_template_names(obj: &Value) -> Vec<String> {
    match get(obj, &["spec", "volumeClaimTemplates"]) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| get(t, &["metadata", "name"]).and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A pod template (`metadata` + `spec`), or a Pod (`template_meta` false:
/// its metadata is the object's, checked already).
fn pod_template(
    t: &Value,
    path: &str,
    template_meta: bool,
    restart: Restart,
    extra_volumes: &[String],
    out: &mut Out,
) {
    if template_meta {
        if let Some(Value::Object(l)) = get(t, &["metadata", "labels"]) {
            labels(l, &child(&child(path, "metadata"), "labels"), out);
        }
        if let Some(Value::Object(a)) = get(t, &["metadata", "annotations"]) {
            annotations(a, &child(&child(path, "metadata"), "annotations"), out);
        }
    }
    let Some(spec @ Value::Object(_)) = t.get("spec") else {
        return;
    };
    pod_spec(spec, &child(path, "spec"), restart, extra_volumes, out);
}

fn pod_spec(spec: &Value, path: &str, restart: Restart, extra_volumes: &[String], out: &mut Out) {
    if let Some(Value::Object(ns)) = spec.get("nodeSelector") {
        labels(ns, &child(path, "nodeSelector"), out);
    }
    let mut volumes: HashSet<String> = extra_volumes.iter().cloned().collect();
    if let Some(Value::Array(vs)) = spec.get("volumes") {
        let mut seen = HashSet::new();
        for (i, v) in vs.iter().enumerate() {
            let Some(name) = v.get("name").and_then(Value::as_str) else {
                continue;
            };
            let p = child(&index(&child(path, "volumes"), i), "name");
            if let Err(e) = syntax::dns1123_label(name) {
                out.push(
                    &p,
                    format!("volume name {} {e}", show(&Value::String(name.into()))),
                    None,
                );
            }
            if !seen.insert(name.to_string()) {
                out.push(
                    &p,
                    format!(
                        "duplicate volume name {}",
                        show(&Value::String(name.into()))
                    ),
                    None,
                );
            }
            volumes.insert(name.to_string());
        }
    }
    let mut names = HashSet::new();
    for list in ["initContainers", "containers"] {
        let Some(Value::Array(cs)) = spec.get(list) else {
            continue;
        };
        for (i, c) in cs.iter().enumerate() {
            let cp = index(&child(path, list), i);
            container(c, &cp, &volumes, &mut names, out);
        }
    }
    let rp = spec
        .get("restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("");
    let p = child(path, "restartPolicy");
    match restart {
        Restart::Any => {}
        Restart::Always if rp.is_empty() || rp == "Always" => {}
        Restart::Always => out.push(
            &p,
            format!(
                "{} is not allowed here: only Always",
                show(&Value::String(rp.into()))
            ),
            Some("controllers restart their pods; use a Job for run-to-completion pods".into()),
        ),
        Restart::OnFailureOrNever if rp == "OnFailure" || rp == "Never" => {}
        Restart::OnFailureOrNever if rp.is_empty() => out.push(
            &p,
            "required field is missing: OnFailure or Never".into(),
            None,
        ),
        Restart::OnFailureOrNever => out.push(
            &p,
            format!(
                "{} is not allowed here: OnFailure or Never",
                show(&Value::String(rp.into()))
            ),
            None,
        ),
    }
}

fn container(
    c: &Value,
    path: &str,
    volumes: &HashSet<String>,
    names: &mut HashSet<String>,
    out: &mut Out,
) {
    if let Some(Value::String(name)) = c.get("name") {
        let p = child(path, "name");
        if let Err(e) = syntax::dns1123_label(name) {
            out.push(
                &p,
                format!("container name {} {e}", show(&Value::String(name.clone()))),
                None,
            );
        }
        if !names.insert(name.clone()) {
            out.push(
                &p,
                format!(
                    "duplicate container name {}",
                    show(&Value::String(name.clone()))
                ),
                None,
            );
        }
    }
    match c.get("image") {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(Value::String(_)) | Some(Value::Null) | None => out.push(
            &child(path, "image"),
            "required field is missing".into(),
            None,
        ),
        Some(_) => {} // a type error, reported by the schema
    }
    if let Some(Value::Array(ports)) = c.get("ports") {
        let mut seen = HashSet::new();
        for (i, port) in ports.iter().enumerate() {
            let pp = index(&child(path, "ports"), i);
            if let Some(n) = port.get("containerPort").and_then(Value::as_i64) {
                if let Err(e) = syntax::port_number(n) {
                    out.push(&child(&pp, "containerPort"), format!("{n} {e}"), None);
                }
            }
            if let Some(n) = port.get("hostPort").and_then(Value::as_i64) {
                if n != 0 {
                    if let Err(e) = syntax::port_number(n) {
                        out.push(&child(&pp, "hostPort"), format!("{n} {e}"), None);
                    }
                }
            }
            if let Some(Value::String(name)) = port.get("name") {
                if !name.is_empty() {
                    let np = child(&pp, "name");
                    if let Err(e) = syntax::port_name(name) {
                        out.push(
                            &np,
                            format!("port name {} {e}", show(&Value::String(name.clone()))),
                            None,
                        );
                    } else if !seen.insert(name.clone()) {
                        out.push(
                            &np,
                            format!("duplicate port name {}", show(&Value::String(name.clone()))),
                            None,
                        );
                    }
                }
            }
        }
    }
    if let Some(Value::Array(env)) = c.get("env") {
        for (i, e) in env.iter().enumerate() {
            let ep = index(&child(path, "env"), i);
            if let Some(Value::String(name)) = e.get("name") {
                if name.contains('=') || !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    out.push(
                        &child(&ep, "name"),
                        format!(
                            "{} must be printable ASCII without '='",
                            show(&Value::String(name.clone()))
                        ),
                        None,
                    );
                }
            }
            let has_value = e
                .get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            if has_value && e.get("valueFrom").is_some_and(|v| !v.is_null()) {
                out.push(
                    &child(&ep, "valueFrom"),
                    "must not be set together with a non-empty `value`".into(),
                    None,
                );
            }
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        for action in ["httpGet", "tcpSocket"] {
            if let Some(port) = get(c, &[probe, action, "port"]) {
                port_num_or_name(port, &format!("{}.{probe}.{action}.port", path), false, out);
            }
        }
    }
    if let Some(res @ Value::Object(_)) = c.get("resources") {
        for k in ["requests", "limits"] {
            if let Some(Value::Object(m)) = res.get(k) {
                for (name, q) in m {
                    if is_negative_quantity(q) {
                        out.push(
                            &child(&child(&child(path, "resources"), k), name),
                            format!("{} must not be negative", show(q)),
                            None,
                        );
                    }
                }
            }
        }
    }
    if let Some(Value::Array(mounts)) = c.get("volumeMounts") {
        for (i, m) in mounts.iter().enumerate() {
            if let Some(name) = m.get("name").and_then(Value::as_str) {
                if !volumes.contains(name) {
                    out.push(
                        &child(&index(&child(path, "volumeMounts"), i), "name"),
                        format!(
                            "no volume named {} in this pod",
                            show(&Value::String(name.into()))
                        ),
                        Some(
                            "add it under `volumes` (or `volumeClaimTemplates` of a StatefulSet)"
                                .into(),
                        ),
                    );
                }
            }
        }
    }
}

/// A port given as a number (1–65535, or 0 where `zero_ok`: defaulted) or
/// as a named port (an IANA service name, or "" where `zero_ok`).
fn port_num_or_name(v: &Value, path: &str, zero_ok: bool, out: &mut Out) {
    match v {
        Value::Number(n) => {
            if let Some(n) = n.as_i64() {
                if !(zero_ok && n == 0) {
                    if let Err(e) = syntax::port_number(n) {
                        out.push(path, format!("{n} {e}"), None);
                    }
                }
            }
        }
        Value::String(s) if !(zero_ok && s.is_empty()) => {
            if let Err(e) = syntax::port_name(s) {
                out.push(path, format!("port name {} {e}", show(v)), None);
            }
        }
        _ => {}
    }
}

fn service(obj: &Value, out: &mut Out) {
    let Some(spec @ Value::Object(_)) = obj.get("spec") else {
        return;
    };
    if let Some(Value::Object(sel)) = spec.get("selector") {
        labels(sel, "spec.selector", out);
    }
    let Some(Value::Array(ports)) = spec.get("ports") else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = index("spec.ports", i);
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            if ports.len() > 1 {
                out.push(
                    &child(&pp, "name"),
                    "required field is missing: a Service with several ports names each".into(),
                    None,
                );
            }
        } else if let Err(e) = syntax::dns1123_label(name) {
            out.push(
                &child(&pp, "name"),
                format!("port name {} {e}", show(&Value::String(name.into()))),
                None,
            );
        } else if !seen.insert(name.to_string()) {
            out.push(
                &child(&pp, "name"),
                format!("duplicate port name {}", show(&Value::String(name.into()))),
                None,
            );
        }
        if let Some(n) = p.get("port").and_then(Value::as_i64) {
            if let Err(e) = syntax::port_number(n) {
                out.push(&child(&pp, "port"), format!("{n} {e}"), None);
            }
        }
        if let Some(t) = p.get("targetPort") {
            port_num_or_name(t, &child(&pp, "targetPort"), true, out);
        }
    }
}

/// A ConfigMap or Secret key: `[-._a-zA-Z0-9]+`, at most 253 characters,
/// not `.` and not starting with `..` (it becomes a file name).
fn config_key(k: &str, path: &str, out: &mut Out) {
    let why = if k.is_empty() || k.len() > 253 {
        Some("must be 1 to 253 characters long")
    } else if !k
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        Some("must be letters, digits, '-', '_' and '.'")
    } else if k == "." {
        Some("must not be '.'")
    } else if k.starts_with("..") {
        Some("must not start with '..'")
    } else {
        None
    };
    if let Some(why) = why {
        out.push(
            path,
            format!("key {} {why}", show(&Value::String(k.into()))),
            None,
        );
    }
}

/// A Secret's `data` values are base64 (the server cannot decode the Secret
/// otherwise). Takes the unmasked object; findings name the key, never the
/// value.
pub fn secret_data(obj: &Value, out: &mut Vec<Violation>) {
    let Some(Value::Object(m)) = obj.get("data") else {
        return;
    };
    for (k, v) in m {
        if let Value::String(s) = v {
            if crate::yaml::go::base64_decode(s).is_none() {
                out.push(Violation {
                    path: child("data", k),
                    message: "is not valid base64 (value hidden)".into(),
                    hint: Some(
                        "put plain text under `stringData`, or encode it with `base64 -w0`".into(),
                    ),
                });
            }
        }
    }
}

fn ingress(obj: &Value, out: &mut Out) {
    let Some(Value::Array(rules)) = get(obj, &["spec", "rules"]) else {
        return;
    };
    for (i, r) in rules.iter().enumerate() {
        let rp = index("spec.rules", i);
        if let Some(Value::String(host)) = r.get("host") {
            if !host.is_empty() {
                let res = if host.parse::<std::net::IpAddr>().is_ok() {
                    Err("must be a DNS name, not an IP address".to_string())
                } else if let Some(rest) = host.strip_prefix("*.") {
                    syntax::dns1123_subdomain(rest)
                } else {
                    syntax::dns1123_subdomain(host)
                };
                if let Err(e) = res {
                    out.push(
                        &child(&rp, "host"),
                        format!("{} {e}", show(&Value::String(host.clone()))),
                        None,
                    );
                }
            }
        }
        let Some(Value::Array(paths)) = get(r, &["http", "paths"]) else {
            continue;
        };
        for (j, p) in paths.iter().enumerate() {
            let path = p.get("path").and_then(Value::as_str).unwrap_or("");
            let at = child(&index(&child(&child(&rp, "http"), "paths"), j), "path");
            let v = || show(&Value::String(path.into()));
            match p.get("pathType").and_then(Value::as_str) {
                Some("Exact" | "Prefix") => {
                    if !path.starts_with('/') {
                        out.push(
                            &at,
                            format!("{} must be an absolute path (start with '/')", v()),
                            None,
                        );
                    }
                    for bad in ["//", "/./", "/../", "%2f", "%2F"] {
                        if path.contains(bad) {
                            out.push(&at, format!("{} must not contain '{bad}'", v()), None);
                        }
                    }
                    for bad in ["/..", "/."] {
                        if path.ends_with(bad) {
                            out.push(&at, format!("{} must not end with '{bad}'", v()), None);
                        }
                    }
                }
                Some("ImplementationSpecific") if !path.is_empty() && !path.starts_with('/') => {
                    out.push(
                        &at,
                        format!("{} must be an absolute path (start with '/')", v()),
                        None,
                    );
                }
                _ => {}
            }
        }
    }
}

fn replicas(obj: &Value, out: &mut Out) {
    if let Some(n) = get(obj, &["spec", "replicas"]).and_then(Value::as_i64) {
        if n < 0 {
            out.push("spec.replicas", format!("{n} must not be negative"), None);
        }
    }
}

/// Whether a LabelSelector selects a set of labels (as the server's
/// `LabelSelectorAsSelector(...).Matches`).
fn selects(sel: &Value, labels: &Map<String, Value>) -> bool {
    let has = |k: &str| labels.get(k).and_then(Value::as_str);
    if let Some(Value::Object(ml)) = sel.get("matchLabels") {
        if ml.iter().any(|(k, v)| has(k) != v.as_str()) {
            return false;
        }
    }
    if let Some(Value::Array(exprs)) = sel.get("matchExpressions") {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = match e.get("values") {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let ok = match e.get("operator").and_then(Value::as_str) {
                Some("In") => has(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => has(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => has(key).is_some(),
                Some("DoesNotExist") => has(key).is_none(),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

fn selector_matches_template(obj: &Value, kind: &str, out: &mut Out) {
    let Some(sel @ Value::Object(sm)) = get(obj, &["spec", "selector"]) else {
        return;
    };
    let count = |k: &str| match sm.get(k) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    if count("matchLabels") + count("matchExpressions") == 0 {
        out.push(
            "spec.selector",
            format!("an empty selector is not allowed for a {kind}"),
            Some("select the template's labels with `matchLabels`".into()),
        );
        return;
    }
    // Only a selector the checks above accept can be matched meaningfully.
    let mut scratch = Vec::new();
    label_selector(sel, "spec.selector", &mut scratch);
    if !scratch.is_empty() {
        return;
    }
    let empty = Map::new();
    let tl = match get(obj, &["spec", "template", "metadata", "labels"]) {
        Some(Value::Object(m)) => m,
        _ => &empty,
    };
    if !selects(sel, tl) {
        out.push(
            "spec.template.metadata.labels",
            "do not match `spec.selector`".into(),
            Some("the selector must select the pods the template makes; give the template the selector's labels".into()),
        );
    }
}

/// An int-or-percent field: an integer ≥ 0 or `N%` (≤ 100% where `cap`).
fn int_or_percent(v: Option<&Value>, path: &str, cap: bool, out: &mut Out) {
    match v {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n < 0) => {
            out.push(path, format!("{n} must not be negative"), None);
        }
        Some(s @ Value::String(p)) => match syntax::percent(p) {
            Err(e) => out.push(path, format!("{} {e}", show(s)), None),
            Ok(()) => {
                if cap && percent_value(p).is_some_and(|n| n > 100) {
                    out.push(
                        path,
                        format!("{} must not be more than 100%", show(s)),
                        None,
                    );
                }
            }
        },
        _ => {}
    }
}

fn percent_value(p: &str) -> Option<u64> {
    syntax::percent(p).ok()?;
    p.strip_suffix('%')?.parse().ok()
}

/// Zero, as the server reads an int-or-percent: `N%` is N, another string
/// its leading integer (0 when it has none).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_i64() == Some(0),
        Value::String(s) => match percent_value(s) {
            Some(n) => n == 0,
            None => s.parse::<i64>().map_or(true, |n| n == 0),
        },
        _ => false,
    }
}

fn deployment_strategy(obj: &Value, out: &mut Out) {
    let Some(st @ Value::Object(_)) = get(obj, &["spec", "strategy"]) else {
        return;
    };
    let ty = st
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate");
    let ru = st.get("rollingUpdate").filter(|v| v.is_object());
    if ty == "Recreate" {
        if ru.is_some() {
            out.push(
                "spec.strategy.rollingUpdate",
                "must not be set when the strategy type is Recreate".into(),
                None,
            );
        }
        return;
    }
    let Some(ru) = ru else {
        return;
    };
    let unavailable = ru.get("maxUnavailable").filter(|v| !v.is_null());
    let surge = ru.get("maxSurge").filter(|v| !v.is_null());
    int_or_percent(
        unavailable,
        "spec.strategy.rollingUpdate.maxUnavailable",
        true,
        out,
    );
    int_or_percent(surge, "spec.strategy.rollingUpdate.maxSurge", false, out);
    // Unset fields default to 25%.
    if unavailable.is_some_and(is_zero) && surge.is_some_and(is_zero) {
        out.push(
            "spec.strategy.rollingUpdate.maxUnavailable",
            "may not be 0 when maxSurge is 0".into(),
            None,
        );
    }
}

/// A CRD's name is `<spec.names.plural>.<spec.group>`.
fn crd_name(obj: &Value, out: &mut Out) {
    let name = get(obj, &["metadata", "name"]).and_then(Value::as_str);
    let plural = get(obj, &["spec", "names", "plural"]).and_then(Value::as_str);
    let group = get(obj, &["spec", "group"]).and_then(Value::as_str);
    if let (Some(name), Some(plural), Some(group)) = (name, plural, group) {
        let want = format!("{plural}.{group}");
        if name != want {
            out.push(
                "metadata.name",
                format!(
                    "{} must be spec.names.plural + \".\" + spec.group",
                    show(&Value::String(name.into()))
                ),
                Some(format!("name it `{want}`")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::json_schema::{bundle, Outcome};
    use serde_json::{json, Value};

    /// `path: message` of every finding for `obj` under Kubernetes 1.37.
    fn findings(obj: &Value) -> Vec<String> {
        let mut vs = match bundle("1.37").unwrap().validate(obj) {
            Outcome::Checked(vs) => vs,
            Outcome::NoSchema(_) => {
                let mut vs = Vec::new();
                super::check(obj, false, &mut vs);
                vs
            }
        };
        if crate::diff::normalize::is_secret(obj) {
            super::secret_data(obj, &mut vs);
        }
        vs.into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    fn paths(obj: &Value) -> Vec<String> {
        findings(obj)
            .into_iter()
            .map(|f| f.split(": ").next().unwrap().to_string())
            .collect()
    }

    fn named(api: &str, kind: &str, name: &str) -> Value {
        json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}})
    }

    fn deploy() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "spark"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx",
                        "ports": [{"name": "http", "containerPort": 80}]}]}
                }
            }
        })
    }

    /// `v` with `ptr` set (its parent must exist).
    fn with(mut v: Value, ptr: &str, to: Value) -> Value {
        let (parent, key) = ptr.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[key] = to;
        v
    }

    #[test]
    fn a_valid_deployment_has_no_findings() {
        assert_eq!(findings(&deploy()), Vec::<String>::new());
    }

    #[test]
    fn names_follow_each_kinds_rule() {
        fn ok(api: &str, kind: &str, name: &str) -> bool {
            !paths(&named(api, kind, name)).contains(&"metadata.name".to_string())
        }
        // Rejected where the server rejects.
        assert!(!ok("apps/v1", "Deployment", "Web"));
        assert!(!ok("v1", "ConfigMap", &"a".repeat(254)));
        assert!(!ok("v1", "Service", "web.v1"));
        assert!(!ok("v1", "Namespace", &"n".repeat(64)));
        assert!(!ok("apps/v1", "StatefulSet", "web.v1"));
        assert!(!ok("batch/v1", "CronJob", &"r".repeat(53)));
        assert!(!ok("batch/v1", "Job", &"j".repeat(64)));
        assert!(!ok("rbac.authorization.k8s.io/v1", "Role", "team/reader"));
        // Accepted where the server accepts.
        assert!(ok("v1", "ConfigMap", "app.settings.v1"));
        assert!(ok("v1", "Service", "1web"));
        assert!(ok("batch/v1", "CronJob", &"r".repeat(52)));
        assert!(ok(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "system:Team_Reader"
        ));
        assert!(ok("policy/v1", "PodDisruptionBudget", "Web_PDB"));
        assert!(ok("v1", "Event", "Any Name.1"));
        // Custom resources: only what every name obeys.
        assert!(ok("example.com/v1", "Widget", "Upper_Case"));
        assert!(!ok("example.com/v1", "Widget", "a/b"));
    }

    #[test]
    fn metadata_labels_annotations_namespace_finalizers() {
        let obj = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "c", "namespace": "Spark",
                "labels": {"ok": "", "bad": "front end", "a/b/c": "x", "app.kubernetes.io/name": "web"},
                "annotations": {"Example.com/Owner": "ok", "owner team": "x"},
                "finalizers": ["example.com/ok", "clean up"]
            }
        });
        assert_eq!(
            paths(&obj),
            [
                "metadata.namespace",
                "metadata.labels.bad",
                "metadata.labels[\"a/b/c\"]",
                "metadata.annotations[\"owner team\"]",
                "metadata.finalizers[1]"
            ]
        );
        let big = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {"blob": "x".repeat(256 * 1024)}}});
        assert_eq!(paths(&big), ["metadata.annotations"]);
        let at_limit = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {"blob": "x".repeat(256 * 1024 - 4)}}});
        assert!(findings(&at_limit).is_empty());
        // A custom resource's labels are checked too.
        let cr = json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "labels": {"k": "v v"}}});
        assert_eq!(paths(&cr), ["metadata.labels.k"]);
    }

    #[test]
    fn selectors_are_checked_except_in_autoscalers() {
        let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {"podSelector": {"matchLabels": {"app": "a b"},
            "matchExpressions": [
                {"key": "k k", "operator": "Exists"},
                {"key": "k", "operator": "In"},
                {"key": "k", "operator": "Exists", "values": ["v"]},
                {"key": "k", "operator": "Equals", "values": ["v"]},
                {"key": "k", "operator": "NotIn", "values": ["v v"]}
            ]}}});
        assert_eq!(
            paths(&np),
            [
                "spec.podSelector.matchLabels.app",
                "spec.podSelector.matchExpressions[0].key",
                "spec.podSelector.matchExpressions[1].values",
                "spec.podSelector.matchExpressions[2].values",
                "spec.podSelector.matchExpressions[3].operator",
                "spec.podSelector.matchExpressions[4].values[0]"
            ]
        );
        let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "maxReplicas": 3,
                "metrics": [{"type": "External", "external": {
                    "metric": {"name": "q", "selector": {"matchLabels": {"q": "a b"}}},
                    "target": {"type": "Value", "value": "1"}}}]}});
        assert!(findings(&hpa).is_empty(), "{:?}", findings(&hpa));
        assert_eq!(
            paths(&with(hpa, "/spec/maxReplicas", json!(0))),
            ["spec.maxReplicas"]
        );
    }

    #[test]
    fn the_selector_must_match_the_template() {
        let d = with(deploy(), "/spec/selector/matchLabels/app", json!("api"));
        assert_eq!(paths(&d), ["spec.template.metadata.labels"]);
        let d = with(
            deploy(),
            "/spec/selector",
            json!({"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["web", "api"]},
            {"key": "tier", "operator": "DoesNotExist"}]}),
        );
        assert!(findings(&d).is_empty(), "{:?}", findings(&d));
        let d = with(
            deploy(),
            "/spec/selector",
            json!({"matchExpressions": [
            {"key": "app", "operator": "NotIn", "values": ["web"]}]}),
        );
        assert_eq!(paths(&d), ["spec.template.metadata.labels"]);
        let d = with(deploy(), "/spec/selector", json!({}));
        assert_eq!(paths(&d), ["spec.selector"]);
    }

    #[test]
    fn pod_specs() {
        let c0 = "/spec/template/spec/containers/0";
        let mut d = deploy();
        let spec = d.pointer_mut("/spec/template/spec").unwrap();
        spec["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "web"}));
        spec["initContainers"] = json!([{"name": "Init", "image": "busybox"}]);
        spec["volumes"] = json!([{"name": "tmp", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]);
        spec["nodeSelector"] = json!({"disk": "fast ssd"});
        spec["restartPolicy"] = json!("Never");
        let c = d.pointer_mut(c0).unwrap();
        c["ports"] = json!([
            {"name": "HTTP", "containerPort": 70000},
            {"name": "metrics", "containerPort": 9090, "hostPort": 0},
            {"name": "metrics", "containerPort": 0}
        ]);
        c["env"] = json!([
            {"name": "A=B", "value": "x"},
            {"name": "spark.executor memory", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
        ]);
        c["readinessProbe"] = json!({"tcpSocket": {"port": "8080"}});
        c["livenessProbe"] = json!({"httpGet": {"port": 0}});
        c["resources"] =
            json!({"requests": {"cpu": "-1", "memory": "1GB"}, "limits": {"memory": -2}});
        c["volumeMounts"] =
            json!([{"name": "tmp", "mountPath": "/tmp"}, {"name": "data", "mountPath": "/data"}]);
        assert_eq!(
            paths(&d),
            [
                "spec.template.spec.containers[0].resources.requests.memory",
                "spec.template.spec.nodeSelector.disk",
                "spec.template.spec.volumes[1].name",
                "spec.template.spec.initContainers[0].name",
                "spec.template.spec.containers[0].ports[0].containerPort",
                "spec.template.spec.containers[0].ports[0].name",
                "spec.template.spec.containers[0].ports[2].containerPort",
                "spec.template.spec.containers[0].ports[2].name",
                "spec.template.spec.containers[0].env[0].name",
                "spec.template.spec.containers[0].env[1].valueFrom",
                "spec.template.spec.containers[0].livenessProbe.httpGet.port",
                "spec.template.spec.containers[0].readinessProbe.tcpSocket.port",
                "spec.template.spec.containers[0].resources.requests.cpu",
                "spec.template.spec.containers[0].resources.limits.memory",
                "spec.template.spec.containers[0].volumeMounts[1].name",
                "spec.template.spec.containers[1].name",
                "spec.template.spec.containers[1].image",
                "spec.template.spec.restartPolicy",
            ]
        );
    }

    #[test]
    fn restart_policies_and_claim_templates() {
        let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}});
        assert_eq!(paths(&job), ["spec.template.spec.restartPolicy"]);
        let job = with(job, "/spec/template/spec/restartPolicy", json!("Always"));
        assert_eq!(paths(&job), ["spec.template.spec.restartPolicy"]);
        let job = with(job, "/spec/template/spec/restartPolicy", json!("Never"));
        assert!(findings(&job).is_empty());
        let mut sts = deploy();
        sts["kind"] = json!("StatefulSet");
        sts["spec"]["serviceName"] = json!("web");
        sts["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "state", "labels": {"x": "not checked"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]);
        sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "state", "mountPath": "/s"}]);
        assert!(findings(&sts).is_empty(), "{:?}", findings(&sts));
    }

    #[test]
    fn strategies_replicas_and_budgets() {
        let d = with(deploy(), "/spec/replicas", json!(-1));
        assert_eq!(paths(&d), ["spec.replicas"]);
        let ru = |v: Value| {
            with(
                deploy(),
                "/spec/strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": v}),
            )
        };
        assert_eq!(
            paths(&ru(json!({"maxSurge": 0, "maxUnavailable": "0%"}))),
            ["spec.strategy.rollingUpdate.maxUnavailable"]
        );
        assert_eq!(
            paths(&ru(json!({"maxSurge": "25"}))),
            ["spec.strategy.rollingUpdate.maxSurge"]
        );
        assert_eq!(
            paths(&ru(json!({"maxUnavailable": "150%"}))),
            ["spec.strategy.rollingUpdate.maxUnavailable"]
        );
        assert!(
            findings(&ru(json!({"maxUnavailable": 0}))).is_empty(),
            "maxSurge defaults to 25%"
        );
        let recreate = with(
            deploy(),
            "/spec/strategy",
            json!({"type": "Recreate", "rollingUpdate": {}}),
        );
        assert_eq!(paths(&recreate), ["spec.strategy.rollingUpdate"]);
        let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
            "spec": {"minAvailable": "150%", "maxUnavailable": -1}});
        assert_eq!(
            paths(&pdb),
            ["spec.minAvailable", "spec.maxUnavailable", "spec"]
        );
    }

    #[test]
    fn services() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"selector": {"app tier": "web"}, "ports": [
            {"port": 80, "targetPort": 0},
            {"name": "HTTP", "port": 0, "targetPort": "http-metrics-port"},
            {"name": "b", "port": 81, "targetPort": ""},
            {"name": "b", "port": 82, "targetPort": 65536}
        ]}});
        assert_eq!(
            paths(&svc),
            [
                "spec.selector[\"app tier\"]",
                "spec.ports[0].name",
                "spec.ports[1].name",
                "spec.ports[1].port",
                "spec.ports[1].targetPort",
                "spec.ports[3].name",
                "spec.ports[3].targetPort"
            ]
        );
    }

    #[test]
    fn quantities_enums_and_status() {
        let c0 = "/spec/template/spec/containers/0";
        let d = with(
            deploy(),
            &format!("{c0}/resources"),
            json!({"requests": {"cpu": 0.5, "memory": "1.5Gi"}, "limits": {"cpu": "1e3"}}),
        );
        assert!(findings(&d).is_empty());
        let d = with(
            deploy(),
            &format!("{c0}/imagePullPolicy"),
            json!("IfNotPresnt"),
        );
        assert_eq!(
            paths(&d),
            ["spec.template.spec.containers[0].imagePullPolicy"]
        );
        let d = with(deploy(), &format!("{c0}/imagePullPolicy"), json!(""));
        assert!(
            findings(&d).is_empty(),
            "\"\" is unset: the server defaults it"
        );
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10 Gi"}}},
            "status": {"phase": "Whatever"}});
        assert_eq!(paths(&pvc), ["spec.resources.requests.storage"]);
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
            "spec": {"accessModes": ["ReadWriteAll"]}});
        assert_eq!(
            paths(&pvc),
            ["spec.accessModes[0]", "spec.resources.requests.storage"]
        );
    }

    #[test]
    fn config_keys_and_secret_data() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"a b": "x", "..a": "x", ".": "x", ".env": "ok", "k": "x"}, "binaryData": {"k": "eA=="}});
        assert_eq!(
            paths(&cm),
            [
                "data[\"a b\"]",
                "data[\"..a\"]",
                "data[\".\"]",
                "binaryData.k"
            ]
        );
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"bad": "hunter2!", "unpadded": "eA", "lines": "aHVudGVy\nMg==", "bits": "eB==", "empty": ""},
            "stringData": {"a b": "x"}});
        let f = findings(&secret);
        let mut got = paths(&secret);
        got.sort();
        assert_eq!(got, ["data.bad", "data.unpadded", "stringData[\"a b\"]"]);
        assert!(f.iter().all(|m| !m.contains("hunter2")), "{f:?}");
    }

    #[test]
    fn ingresses_and_crds() {
        let ing = |host: &str, path: &str, ty: &str| {
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "i"},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": path, "pathType": ty,
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
        };
        assert!(findings(&ing("*.example.com", "/", "Prefix")).is_empty());
        assert!(findings(&ing("web.example.com", "", "ImplementationSpecific")).is_empty());
        assert_eq!(
            paths(&ing("Web.example.com", "/", "Prefix")),
            ["spec.rules[0].host"]
        );
        assert_eq!(
            paths(&ing("10.0.0.1", "/", "Prefix")),
            ["spec.rules[0].host"]
        );
        assert_eq!(
            paths(&ing("a.b", "api", "Exact")),
            ["spec.rules[0].http.paths[0].path"]
        );
        assert_eq!(
            paths(&ing("a.b", "/a/../b", "Prefix")),
            ["spec.rules[0].http.paths[0].path"]
        );
        let crd = |name: &str| {
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [{"name": "v1", "served": true, "storage": true}]}})
        };
        assert!(
            findings(&crd("widgets.example.com")).is_empty(),
            "{:?}",
            findings(&crd("widgets.example.com"))
        );
        assert_eq!(paths(&crd("gadgets.example.com")), ["metadata.name"]);
    }
}
