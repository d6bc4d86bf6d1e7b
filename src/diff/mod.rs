//! Comparing live (or "before") objects with desired ("after") ones. Pure:
//! no I/O. `compare` normalises both sides, masks Secret values, decides the
//! action and lists the changed field paths; `render` turns the results into
//! unified-diff text or a JSON report.

pub mod normalize;
pub mod quantity;
pub mod render;

use normalize::{
    align_quantities, drop_nulls, fold_string_data, is_secret, key_text, last_applied, list_key,
    project, sort_keys, strip_server_fields, union,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// How the "before" side relates to the "after" side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Before: live object; after: what the server's apply dry-run returned.
    /// Both come from the server (defaults included), so only server-written
    /// bookkeeping is dropped.
    ServerSide,
    /// Before: live object restricted to the fields the desired object (and
    /// its last applied configuration) sets; after: the desired object.
    ClientSide,
    /// Two compiled overlays: both sides are desired objects.
    Overlays,
}

/// What applying the desired state would do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Unchanged,
    Changed,
    Create,
    Prune,
}

/// One changed field: `path` like `spec.template.spec.containers[name=app].image`.
/// A missing side is `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// Identity of a compared object, for headings and the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if !self.namespace.is_empty() {
            write!(f, " in namespace {}", self.namespace)?;
        }
        Ok(())
    }
}

/// The comparison of one object. `before`/`after` are the normalised,
/// masked objects as rendered (absent for create/prune).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectDiff {
    #[serde(flatten)]
    pub id: ObjectRef,
    pub action: Action,
    pub changes: Vec<Change>,
    #[serde(skip)]
    pub before: Option<Value>,
    #[serde(skip)]
    pub after: Option<Value>,
}

/// Options that affect every comparison.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions {
    pub mode: Mode,
    pub show_secrets: bool,
}

/// Compare one object. `before` is the live object (or the first overlay's),
/// `after` the desired one (or the dry-run result in server-side mode).
pub fn compare(
    id: ObjectRef,
    before: Option<&Value>,
    after: Option<&Value>,
    opts: CompareOptions,
) -> ObjectDiff {
    let mut b = before.cloned();
    let mut a = after.cloned();
    for v in [b.as_mut(), a.as_mut()].into_iter().flatten() {
        strip_server_fields(v);
        fold_string_data(v);
    }
    if let (Some(bv), Some(av)) = (b.as_mut(), a.as_ref()) {
        if opts.mode == Mode::ClientSide {
            let mask = match before.and_then(last_applied) {
                Some(mut applied) => {
                    fold_string_data(&mut applied);
                    union(av, &applied, "")
                }
                None => av.clone(),
            };
            *bv = project(bv, &mask, "");
        }
        if opts.mode != Mode::ServerSide {
            align_quantities(bv, av, &mut Vec::new());
        }
    }
    if !opts.show_secrets {
        mask_secrets(b.as_mut(), a.as_mut());
    }
    for v in [b.as_mut(), a.as_mut()].into_iter().flatten() {
        drop_nulls(v);
        sort_keys(v);
    }
    let (action, changes) = match (&b, &a) {
        (None, None) => (Action::Unchanged, Vec::new()),
        (None, Some(_)) => (Action::Create, Vec::new()),
        (Some(_), None) => (Action::Prune, Vec::new()),
        (Some(bv), Some(av)) => {
            let mut out = Vec::new();
            field_changes(bv, av, "", "", &mut out);
            if out.is_empty() {
                (Action::Unchanged, out)
            } else {
                (Action::Changed, out)
            }
        }
    };
    ObjectDiff {
        id,
        action,
        changes,
        before: b,
        after: a,
    }
}

pub const MASK: &str = "***";
pub const MASK_BEFORE: &str = "*** (before)";
pub const MASK_AFTER: &str = "*** (after)";

/// Replace every value under a Secret's `data`/`stringData` with a mask:
/// `***` where both sides agree, `*** (before)` / `*** (after)` where they
/// differ (or one side lacks the key).
pub fn mask_secrets(before: Option<&mut Value>, after: Option<&mut Value>) {
    let secret = before.as_deref().map(is_secret).unwrap_or(false)
        || after.as_deref().map(is_secret).unwrap_or(false);
    if !secret {
        return;
    }
    let mut before = before;
    let mut after = after;
    for field in ["data", "stringData"] {
        let bmap = before
            .as_deref()
            .and_then(|v| v.get(field))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let amap = after
            .as_deref()
            .and_then(|v| v.get(field))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let masked = |own: &Map<String, Value>, other: &Map<String, Value>, differ: &str| {
            own.iter()
                .map(|(k, v)| {
                    let m = if other.get(k) == Some(v) {
                        MASK
                    } else {
                        differ
                    };
                    (k.clone(), Value::String(m.to_string()))
                })
                .collect::<Map<String, Value>>()
        };
        if let Some(Value::Object(o)) = before.as_deref_mut() {
            if let Some(slot) = o.get_mut(field) {
                *slot = Value::Object(masked(&bmap, &amap, MASK_BEFORE));
            }
        }
        if let Some(Value::Object(o)) = after.as_deref_mut() {
            if let Some(slot) = o.get_mut(field) {
                *slot = Value::Object(masked(&amap, &bmap, MASK_AFTER));
            }
        }
    }
    // Tools may record the whole object, values included, in annotations.
    for v in [before, after].into_iter().flatten() {
        if let Some(Value::Object(a)) = v.pointer_mut("/metadata/annotations") {
            a.remove(normalize::LAST_APPLIED);
        }
    }
}

fn path_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!(
            "{parent}[{}]",
            serde_json::to_string(key).unwrap_or_default()
        ),
    }
}

/// The field paths where `b` and `a` differ.
pub fn field_changes(b: &Value, a: &Value, path: &str, field: &str, out: &mut Vec<Change>) {
    if b == a {
        return;
    }
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = path_key(path, k);
                match (bm.get(k), am.get(k)) {
                    (Some(x), Some(y)) => field_changes(x, y, &p, k, out),
                    (x, y) => out.push(Change {
                        path: p,
                        before: x.cloned().unwrap_or(Value::Null),
                        after: y.cloned().unwrap_or(Value::Null),
                    }),
                }
            }
        }
        (Value::Array(bl), Value::Array(al)) => {
            if let Some(key) = list_key(field, bl, al) {
                let mut seen = Vec::new();
                for item in bl.iter().chain(al.iter()) {
                    let Some(k) = key_text(item, key) else {
                        continue;
                    };
                    if seen.contains(&k) {
                        continue;
                    }
                    let p = format!("{path}[{key}={k}]");
                    let x = bl.iter().find(|i| key_text(i, key).as_ref() == Some(&k));
                    let y = al.iter().find(|i| key_text(i, key).as_ref() == Some(&k));
                    match (x, y) {
                        (Some(x), Some(y)) => field_changes(x, y, &p, field, out),
                        (x, y) => out.push(Change {
                            path: p,
                            before: x.cloned().unwrap_or(Value::Null),
                            after: y.cloned().unwrap_or(Value::Null),
                        }),
                    }
                    seen.push(k);
                }
            } else if bl.len() == al.len() {
                for (i, (x, y)) in bl.iter().zip(al.iter()).enumerate() {
                    field_changes(x, y, &format!("{path}[{i}]"), field, out);
                }
            } else {
                out.push(Change {
                    path: path.to_string(),
                    before: b.clone(),
                    after: a.clone(),
                });
            }
        }
        _ => out.push(Change {
            path: path.to_string(),
            before: b.clone(),
            after: a.clone(),
        }),
    }
}

/// Counts per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub unchanged: usize,
    pub changed: usize,
    pub create: usize,
    pub prune: usize,
}

impl Summary {
    pub fn of(diffs: &[ObjectDiff]) -> Summary {
        let mut s = Summary::default();
        for d in diffs {
            match d.action {
                Action::Unchanged => s.unchanged += 1,
                Action::Changed => s.changed += 1,
                Action::Create => s.create += 1,
                Action::Prune => s.prune += 1,
            }
        }
        s
    }
    pub fn has_differences(&self) -> bool {
        self.changed + self.create + self.prune > 0
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} unchanged, {} changed, {} to be created, {} to be pruned",
            self.unchanged, self.changed, self.create, self.prune
        )
    }
}

/// Replace occurrences of secret values (raw and base64-decoded) in a
/// message from the server, so that errors and warnings never carry them.
pub fn redact(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_string();
    for s in secrets {
        if s.len() >= 3 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// Every secret value in `objs` (Secret `data` as written and decoded,
/// `stringData`), for `redact`.
pub fn secret_values<'a>(objs: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for v in objs {
        if !is_secret(v) {
            continue;
        }
        for field in ["data", "stringData"] {
            if let Some(m) = v.get(field).and_then(Value::as_object) {
                for val in m.values() {
                    let Some(s) = val.as_str() else { continue };
                    out.push(s.to_string());
                    if field == "data" {
                        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
                            if let Ok(text) = String::from_utf8(bytes) {
                                out.push(text);
                            }
                        }
                    }
                }
            }
        }
    }
    // Longest first, so a value containing another is replaced whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id() -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: "a".into(),
            name: "s".into(),
        }
    }

    const OPTS: CompareOptions = CompareOptions {
        mode: Mode::ClientSide,
        show_secrets: false,
    };

    #[test]
    fn secrets_are_masked() {
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ==", "old": "b2xkdmFsdWU="}});
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ=="}, "stringData": {"old": "newvalue"}});
        let d = compare(id(), Some(&live), Some(&desired), OPTS);
        assert_eq!(d.action, Action::Changed);
        let text = serde_json::to_string(&d.before).unwrap()
            + &serde_json::to_string(&d.after).unwrap()
            + &serde_json::to_string(&d.changes).unwrap();
        for secret in ["c2FtZQ==", "b2xkdmFsdWU=", "newvalue", "bmV3dmFsdWU="] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(d.before.as_ref().unwrap()["data"]["same"], json!(MASK));
        assert_eq!(
            d.before.as_ref().unwrap()["data"]["old"],
            json!(MASK_BEFORE)
        );
        assert_eq!(d.after.as_ref().unwrap()["data"]["old"], json!(MASK_AFTER));
        assert_eq!(
            d.changes,
            vec![Change {
                path: "data.old".into(),
                before: json!(MASK_BEFORE),
                after: json!(MASK_AFTER)
            }]
        );
    }

    #[test]
    fn equal_secret_is_unchanged_and_show_secrets_reveals() {
        let s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"k": "dg=="}});
        let d = compare(id(), Some(&s), Some(&s), OPTS);
        assert_eq!(d.action, Action::Unchanged);
        let d = compare(
            id(),
            None,
            Some(&s),
            CompareOptions {
                show_secrets: true,
                ..OPTS
            },
        );
        assert_eq!(d.action, Action::Create);
        assert_eq!(d.after.unwrap()["data"]["k"], json!("dg=="));
    }

    #[test]
    fn changes_use_merge_keys() {
        let b = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]}});
        let a = json!({"spec": {"containers": [{"name": "b", "image": "y"}, {"name": "a", "image": "x:2"}]}});
        let mut out = Vec::new();
        field_changes(&b, &a, "", "", &mut out);
        assert_eq!(
            out,
            vec![Change {
                path: "spec.containers[name=a].image".into(),
                before: json!("x:1"),
                after: json!("x:2")
            }]
        );
    }

    #[test]
    fn paths_quote_odd_keys() {
        let b = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}});
        let a = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}});
        let mut out = Vec::new();
        field_changes(&b, &a, "", "", &mut out);
        assert_eq!(out[0].path, r#"metadata.labels["app.kubernetes.io/name"]"#);
    }

    #[test]
    fn server_side_drops_bookkeeping_only() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "generation": 1, "resourceVersion": "1", "managedFields": []},
            "spec": {"replicas": 1, "revisionHistoryLimit": 10}, "status": {"replicas": 1}});
        let mut dry = live.clone();
        dry["metadata"]["generation"] = json!(2);
        dry["metadata"]["resourceVersion"] = json!("2");
        let opts = CompareOptions {
            mode: Mode::ServerSide,
            show_secrets: false,
        };
        assert_eq!(
            compare(id(), Some(&live), Some(&dry), opts).action,
            Action::Unchanged
        );
        dry["spec"]["replicas"] = json!(3);
        let d = compare(id(), Some(&live), Some(&dry), opts);
        assert_eq!(d.action, Action::Changed);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].path, "spec.replicas");
    }

    #[test]
    fn redact_replaces_values() {
        let s = json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "aHVudGVyMg=="}});
        let vals = secret_values([&s]);
        assert_eq!(
            redact("bad value hunter2 / aHVudGVyMg==", &vals),
            "bad value *** / ***"
        );
    }
}
