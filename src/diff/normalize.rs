//! Normalising live and desired objects so that only the user's changes
//! remain: server-populated metadata and status go, Secret `stringData` is
//! folded into `data`, and in client-side mode the live object is restricted
//! to the fields the desired object (or its last applied configuration) sets.

use super::quantity;
use crate::patch::merge_keys::{Schema, SchemaRef};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Metadata fields the API server writes and a user never does.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations tools write on the user's behalf.
const TOOL_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drop `status`, server-populated metadata and tool annotations; drop
/// null-valued fields and empty label/annotation maps.
pub fn strip_server_fields(v: &mut Value) {
    drop_nulls(v);
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    obj.remove("status");
    if let Some(Value::Object(md)) = obj.get_mut("metadata") {
        for k in SERVER_METADATA {
            md.remove(*k);
        }
        for field in ["annotations", "labels"] {
            if let Some(Value::Object(m)) = md.get_mut(field) {
                for a in TOOL_ANNOTATIONS {
                    m.remove(*a);
                }
                if m.is_empty() {
                    md.remove(field);
                }
            }
        }
    }
}

/// Remove object fields whose value is null (the API server drops them).
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Whether `v` is a Secret of the core group, whatever its version field
/// says (exports may drop `apiVersion`): its values must never print.
/// The one test for "this object's values are secret": build errors,
/// `--check` and `kcompile diff` masking and validation findings all use
/// it. A version field that is missing, not a string or without a group
/// means the core group; `core/…` is read as the core group too.
pub fn is_secret(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Secret")
        && match v.get("apiVersion").and_then(Value::as_str) {
            Some(av) => matches!(av.split_once('/'), None | Some(("" | "core", _))),
            None => true,
        }
}

/// Fold a Secret's `stringData` into `data` (base64), as the API server does.
pub fn fold_string_data(v: &mut Value) {
    if !is_secret(v) {
        return;
    }
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    let Some(Value::Object(sd)) = obj.remove("stringData") else {
        return;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Value::Object(d) = data {
        for (k, val) in sd {
            let text = match val {
                Value::String(s) => s,
                other => other.to_string(),
            };
            d.insert(
                k,
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

/// The last applied configuration recorded by `kubectl apply`, if any.
pub fn last_applied(live: &Value) -> Option<Value> {
    let text = live
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    let mut v: Value = serde_json::from_str(text).ok()?;
    drop_nulls(&mut v);
    Some(v)
}

/// Where a value sits in its object, for choosing a list's merge key: the
/// merge-key schema of the object's type (the table strategic merge uses,
/// `patch::merge_keys`), or, for a type it does not know (a custom
/// resource), the name of the list's field.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    schema: Option<SchemaRef<'static>>,
    known: bool,
    field: &'a str,
}

impl<'a> At<'a> {
    /// The root of `obj`, typed by its `apiVersion` and `kind`.
    pub fn root(obj: &Value) -> At<'static> {
        let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("");
        let schema = Schema::builtin().for_type(s("apiVersion"), s("kind"));
        At {
            schema,
            known: schema.is_some(),
            field: "",
        }
    }

    /// The value of field `k` of this object.
    pub fn field(self, k: &'a str) -> At<'a> {
        At {
            schema: self.schema.and_then(|s| s.field(k)),
            known: self.known,
            field: k,
        }
    }

    /// An item of this list.
    pub fn item(self) -> At<'a> {
        At {
            schema: self.schema.and_then(|s| s.elements()),
            ..self
        }
    }

    /// The merge key of this list, given the items on both sides; `None`
    /// when the list is compared as a whole (or by index). A known type's
    /// keyed lists are its merge lists (the first of several keys, the one
    /// items are told apart by in practice: `containerPort`, `port`); a
    /// custom resource's lists are keyed by name where all items have one.
    fn merge_key(&self, items: &[&Value]) -> Option<&'static str> {
        let key = if self.known {
            let meta = self.schema.and_then(|s| s.list())?;
            if !meta.is_associative() {
                return None;
            }
            match meta.keys.first()? {
                Cow::Borrowed(k) => *k,
                Cow::Owned(_) => return None,
            }
        } else {
            match self.field {
                "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => {
                    "containerPort"
                }
                "ports" => "port",
                _ => "name",
            }
        };
        let all_keyed = !items.is_empty()
            && items.iter().all(|i| {
                i.get(key)
                    .map(|k| k.is_string() || k.is_number())
                    .unwrap_or(false)
            });
        all_keyed.then_some(key)
    }
}

/// The value of an item's merge key as text (`8080` and `"8080"` agree).
pub fn key_text(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn unique_keys(items: &[Value], key: &str) -> bool {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .all(|i| key_text(i, key).map(|k| seen.insert(k)).unwrap_or(false))
}

/// Resolve the merge key for two lists under `field`, if both are keyed
/// uniquely by it.
pub fn list_key(at: At, a: &[Value], b: &[Value]) -> Option<&'static str> {
    let items: Vec<&Value> = a.iter().chain(b.iter()).collect();
    let key = at.merge_key(&items)?;
    (unique_keys(a, key) && unique_keys(b, key)).then_some(key)
}

/// Union of two field sets (desired and last applied), used as a mask.
pub fn union(a: &Value, b: &Value, at: At) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (k, yv) in y {
                let merged = match x.get(k) {
                    Some(xv) => union(xv, yv, at.field(k)),
                    None => yv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(x), Value::Array(y)) => match list_key(at, x, y) {
            Some(key) => {
                let mut out = x.clone();
                for yi in y {
                    let yk = key_text(yi, key);
                    match out.iter_mut().find(|xi| key_text(xi, key) == yk) {
                        Some(xi) => *xi = union(xi, yi, at.item()),
                        None => out.push(yi.clone()),
                    }
                }
                Value::Array(out)
            }
            None => a.clone(),
        },
        _ => a.clone(),
    }
}

/// Restrict `live` to the fields present in `mask`: map keys the mask sets,
/// list items matched by merge key (or by index for lists of equal length).
/// Fields the server populated or defaulted thereby disappear.
pub fn project(live: &Value, mask: &Value, at: At) -> Value {
    match (live, mask) {
        (Value::Object(l), Value::Object(m)) => {
            let mut out = Map::new();
            for (k, mv) in m {
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), project(lv, mv, at.field(k)));
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(m)) => match list_key(at, l, m) {
            Some(key) => {
                // Live items the mask names, in live order (a reorder is a
                // change); items it does not name are outside the user's
                // fields and dropped.
                let out = l
                    .iter()
                    .filter_map(|li| {
                        let k = key_text(li, key);
                        m.iter()
                            .find(|mi| key_text(mi, key) == k)
                            .map(|mi| project(li, mi, at.item()))
                    })
                    .collect();
                Value::Array(out)
            }
            None if l.len() == m.len() => Value::Array(
                l.iter()
                    .zip(m.iter())
                    .map(|(li, mi)| project(li, mi, at.item()))
                    .collect(),
            ),
            None => live.clone(),
        },
        _ => live.clone(),
    }
}

/// Where `before` and `after` hold the same quantity in different spelling
/// (`1000m` / `1`, `1024Mi` / `1Gi`), give `before` the spelling of `after`.
pub fn align_quantities(before: &mut Value, after: &Value, path: &mut Vec<String>, at: At) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b.iter_mut() {
                if let Some(av) = a.get(k) {
                    path.push(k.clone());
                    align_quantities(bv, av, path, at.field(k));
                    path.pop();
                }
            }
        }
        (Value::Array(b), Value::Array(a)) => match list_key(at, b, a) {
            Some(key) => {
                for bi in b.iter_mut() {
                    let k = key_text(bi, key);
                    if let Some(ai) = a.iter().find(|ai| key_text(ai, key) == k) {
                        align_quantities(bi, ai, path, at.item());
                    }
                }
            }
            None => {
                for (bi, ai) in b.iter_mut().zip(a.iter()) {
                    align_quantities(bi, ai, path, at.item());
                }
            }
        },
        (b, a) => {
            if b != a && quantity::is_quantity_path(path) && quantity::same_quantity(b, a) {
                *b = a.clone();
            }
        }
    }
}

/// Sort map keys recursively, so that both sides render in the same order.
pub fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.sort_by(|x, y| x.0.cmp(&y.0));
            for (k, mut val) in entries {
                sort_keys(&mut val);
                m.insert(k, val);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment_desired() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "app", "image": "nginx:1",
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "A", "value": "1"}],
                        "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}
                    }]}
                }
            }
        })
    }

    fn deployment_live() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "a", "labels": {"app": "web", "extra": "x"},
                "uid": "u", "resourceVersion": "7", "generation": 3,
                "creationTimestamp": "2024-01-01T00:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "2"},
                "managedFields": [{"manager": "kubectl"}]
            },
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                    "spec": {
                        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                        "schedulerName": "default-scheduler", "securityContext": {},
                        "terminationGracePeriodSeconds": 30,
                        "containers": [{
                            "name": "app", "image": "nginx:1", "imagePullPolicy": "IfNotPresent",
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}],
                            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}
                        }]
                    }
                }
            },
            "status": {"replicas": 2}
        })
    }

    fn client_side(live: &Value, desired: &Value) -> Value {
        let mut live = live.clone();
        strip_server_fields(&mut live);
        let mut p = project(&live, desired, At::root(desired));
        align_quantities(&mut p, desired, &mut Vec::new(), At::root(desired));
        p
    }

    #[test]
    fn client_side_ignores_defaults_and_server_fields() {
        let d = deployment_desired();
        assert_eq!(client_side(&deployment_live(), &d), d);
    }

    #[test]
    fn client_side_keeps_real_change() {
        let mut d = deployment_desired();
        d["spec"]["replicas"] = json!(3);
        let p = client_side(&deployment_live(), &d);
        assert_eq!(p["spec"]["replicas"], json!(2));
        assert_eq!(p["spec"]["template"], d["spec"]["template"]);
    }

    #[test]
    fn service_defaults_ignored() {
        let desired = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s"},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "name": "http"}]}});
        let live = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "uid": "x"},
            "spec": {"type": "NodePort", "selector": {"app": "web"},
                "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "sessionAffinity": "None",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
                "externalTrafficPolicy": "Cluster",
                "ports": [{"port": 80, "name": "http", "protocol": "TCP", "targetPort": 80, "nodePort": 30080}]},
            "status": {"loadBalancer": {}}});
        assert_eq!(client_side(&live, &desired), desired);
    }

    #[test]
    fn keyed_lists_match_by_key_in_live_order() {
        let desired = json!({"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]});
        let live = json!({"env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}, {"name": "B", "value": "2"}]});
        assert_eq!(
            project(&live, &desired, At::root(&desired)),
            json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]})
        );
    }

    #[test]
    fn last_applied_fields_show_removals() {
        let desired = json!({"metadata": {"labels": {"a": "1"}}});
        let applied = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        let live = json!({"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}}});
        let mask = union(&desired, &applied, At::root(&desired));
        assert_eq!(
            project(&live, &mask, At::root(&desired)),
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}})
        );
    }

    #[test]
    fn strip_removes_server_metadata() {
        let mut live = deployment_live();
        live["metadata"]["annotations"][LAST_APPLIED] = json!("{}");
        strip_server_fields(&mut live);
        assert!(live.get("status").is_none());
        let md = &live["metadata"];
        for k in SERVER_METADATA {
            assert!(md.get(*k).is_none(), "{k}");
        }
        assert!(md["annotations"].get(LAST_APPLIED).is_none());
        assert!(live["spec"]["template"]["metadata"]
            .get("creationTimestamp")
            .is_none());
    }

    #[test]
    fn secrets_are_known_by_group_and_kind() {
        for av in [json!("v1"), json!("v2"), json!(""), Value::Null] {
            let mut s = json!({"kind": "Secret", "data": {}});
            if !av.is_null() {
                s["apiVersion"] = av;
            }
            assert!(is_secret(&s), "{s}");
        }
        for av in [json!("core/v1"), json!("/v1"), json!(1)] {
            assert!(is_secret(&json!({"apiVersion": av, "kind": "Secret"})));
        }
        assert!(!is_secret(
            &json!({"apiVersion": "example.com/v1", "kind": "Secret"})
        ));
        assert!(!is_secret(
            &json!({"apiVersion": "v1", "kind": "ConfigMap"})
        ));
    }

    #[test]
    fn string_data_folds_into_data() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "YQ=="}, "stringData": {"b": "hello"}});
        fold_string_data(&mut s);
        assert_eq!(s["data"], json!({"a": "YQ==", "b": "aGVsbG8="}));
        assert!(s.get("stringData").is_none());
    }

    #[test]
    fn quantities_align_only_where_equal() {
        let mut before = json!({"resources": {"limits": {"cpu": "1", "memory": "2Gi"}}});
        let after = json!({"resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}});
        align_quantities(&mut before, &after, &mut Vec::new(), At::root(&after));
        assert_eq!(before["resources"]["limits"]["cpu"], json!("1000m"));
        assert_eq!(before["resources"]["limits"]["memory"], json!("2Gi"));
    }

    #[test]
    fn sort_keys_recursively() {
        let mut v = json!({"b": {"z": 1, "a": 2}, "a": [{"y": 1, "x": 2}]});
        sort_keys(&mut v);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}"#
        );
    }
}
