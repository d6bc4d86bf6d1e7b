//! Comparing live (or "before") objects with desired ("after") ones. Pure:
//! no I/O. `compare` normalises both sides, masks Secret values, decides the
//! action and lists the changed field paths; `render` turns the results into
//! unified-diff text or a JSON report.

pub mod managed;
pub mod normalize;
pub mod pair;
pub mod quantity;
pub mod render;
pub mod report;

use managed::Seg;

pub use crate::model::resource::ResId;
use normalize::{
    align_quantities, drop_nulls, fold_string_data, is_secret, key_text, last_applied, list_key,
    project, sort_keys, strip_server_fields, union, At,
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
    /// One overlay compiled at two revisions (`--base REF` and the working
    /// tree): both sides are desired objects.
    Revisions,
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
/// A missing side is `null`. `owner`: the field managers that own the live
/// field now, other than the one applying (whom the apply would overwrite).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub before: Value,
    pub after: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip)]
    pub segs: Vec<Seg>,
}

impl Change {
    fn new(path: String, segs: &[Seg], before: Value, after: Value) -> Change {
        Change {
            path,
            before,
            after,
            owner: None,
            segs: segs.to_vec(),
        }
    }
}

/// The comparison of one object. `before`/`after` are the normalised,
/// masked objects as rendered (absent for create/prune).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectDiff {
    #[serde(flatten)]
    pub id: ResId,
    pub action: Action,
    pub changes: Vec<Change>,
    #[serde(skip)]
    pub before: Option<Value>,
    #[serde(skip)]
    pub after: Option<Value>,
}

/// Options that affect every comparison.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions<'a> {
    pub mode: Mode,
    pub show_secrets: bool,
    /// Who applies: `--field-manager`, else found in the live object's
    /// managed fields (`managed::Applier::of`).
    pub field_manager: Option<&'a str>,
}

/// Compare one object. `before` is the live object (or the first overlay's),
/// `after` the desired one (or the dry-run result in server-side mode).
pub fn compare(
    id: ResId,
    before: Option<&Value>,
    after: Option<&Value>,
    opts: CompareOptions,
) -> ObjectDiff {
    let applier = before.map(|live| managed::Applier::of(live, opts.field_manager));
    let at = At::root(after.or(before).unwrap_or(&Value::Null));
    // The live object before normalising (managed fields still there), with
    // Secret stringData folded as the mask is.
    let b_raw = before.cloned().map(|mut v| {
        fold_string_data(&mut v);
        v
    });
    let mut b = before.cloned();
    let mut a = after.cloned();
    for v in [b.as_mut(), a.as_mut()].into_iter().flatten() {
        strip_server_fields(v);
        fold_string_data(v);
    }
    if let (Some(bv), Some(av)) = (b.as_mut(), a.as_ref()) {
        if opts.mode == Mode::ClientSide {
            // What the user set (desired), and what the applier set last
            // time (last applied configuration, or its managed fields), so
            // that a field dropped from the overlay shows as a removal.
            let mut mask = av.clone();
            if let Some(mut applied) = before.and_then(last_applied) {
                fold_string_data(&mut applied);
                mask = union(&mask, &applied, at);
            }
            if let (Some(ap), Some(live)) = (applier.as_ref().filter(|ap| ap.apply), b_raw.as_ref())
            {
                mask = managed::mask_with_applied(&mask, live, &ap.manager);
            }
            *bv = project(bv, &mask, at);
        }
        if opts.mode != Mode::ServerSide {
            align_quantities(bv, av, &mut Vec::new(), at);
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
            field_changes(bv, av, "", at, &mut Vec::new(), &mut out);
            if let (Some(live), Some(ap)) = (before, applier.as_ref()) {
                for c in &mut out {
                    let owners = managed::owners(live, &c.segs, ap);
                    if !owners.is_empty() {
                        c.owner = Some(owners.join(", "));
                    }
                }
            }
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

fn push_seg<R>(segs: &mut Vec<Seg>, seg: Seg, f: impl FnOnce(&mut Vec<Seg>) -> R) -> R {
    segs.push(seg);
    let r = f(segs);
    segs.pop();
    r
}

fn scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

/// The field paths where `b` and `a` differ. `segs` is `path` as steps
/// (for field ownership).
pub fn field_changes(
    b: &Value,
    a: &Value,
    path: &str,
    at: At,
    segs: &mut Vec<Seg>,
    out: &mut Vec<Change>,
) {
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
                push_seg(segs, Seg::Key(k.clone()), |segs| {
                    match (bm.get(k), am.get(k)) {
                        (Some(x), Some(y)) => field_changes(x, y, &p, at.field(k), segs, out),
                        (x, y) => out.push(Change::new(
                            p,
                            segs,
                            x.cloned().unwrap_or(Value::Null),
                            y.cloned().unwrap_or(Value::Null),
                        )),
                    }
                });
            }
        }
        (Value::Array(bl), Value::Array(al)) => {
            if let Some(key) = list_key(at, bl, al) {
                let mut seen = Vec::new();
                let before_len = out.len();
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
                    let kv = item.get(key).cloned().unwrap_or(Value::Null);
                    push_seg(segs, Seg::Item(key.to_string(), kv), |segs| match (x, y) {
                        (Some(x), Some(y)) => field_changes(x, y, &p, at.item(), segs, out),
                        (x, y) => out.push(Change::new(
                            p,
                            segs,
                            x.cloned().unwrap_or(Value::Null),
                            y.cloned().unwrap_or(Value::Null),
                        )),
                    });
                    seen.push(k);
                }
                // Same items in another order: order matters to the API
                // server (env references, container order), so it is a
                // change of the list.
                let both = |l: &[Value], other: &[Value]| -> Vec<String> {
                    l.iter()
                        .filter_map(|i| key_text(i, key))
                        .filter(|k| other.iter().any(|o| key_text(o, key).as_ref() == Some(k)))
                        .collect()
                };
                if both(bl, al) != both(al, bl) {
                    out.insert(
                        before_len,
                        Change::new(path.to_string(), segs, b.clone(), a.clone()),
                    );
                }
            } else if bl.len() == al.len() && !(bl.iter().all(scalar) && al.iter().all(scalar)) {
                for (i, (x, y)) in bl.iter().zip(al.iter()).enumerate() {
                    push_seg(segs, Seg::Index(i), |segs| {
                        field_changes(x, y, &format!("{path}[{i}]"), at.item(), segs, out)
                    });
                }
            } else {
                out.push(Change::new(path.to_string(), segs, b.clone(), a.clone()));
            }
        }
        _ => out.push(Change::new(path.to_string(), segs, b.clone(), a.clone())),
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
    /// The counts in the words of `mode` ("added" between revisions, "to
    /// be created" against a cluster).
    pub fn in_words(&self, mode: Mode) -> String {
        match mode {
            Mode::Revisions => format!(
                "{} unchanged, {} changed, {} added, {} removed",
                self.unchanged, self.changed, self.create, self.prune
            ),
            _ => self.to_string(),
        }
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

    fn id() -> ResId {
        ResId::of(&json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "a"}}))
    }

    const OPTS: CompareOptions<'static> = CompareOptions {
        mode: Mode::ClientSide,
        show_secrets: false,
        field_manager: None,
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
                after: json!(MASK_AFTER),
                owner: None,
                segs: vec![Seg::Key("data".into()), Seg::Key("old".into())],
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
        let a = json!({"spec": {"containers": [{"name": "a", "image": "x:2"}, {"name": "b", "image": "y"}]}});
        let mut out = Vec::new();
        field_changes(&b, &a, "", At::root(&a), &mut Vec::new(), &mut out);
        assert_eq!(
            out,
            vec![Change {
                path: "spec.containers[name=a].image".into(),
                before: json!("x:1"),
                after: json!("x:2"),
                owner: None,
                segs: vec![
                    Seg::Key("spec".into()),
                    Seg::Key("containers".into()),
                    Seg::Item("name".into(), json!("a")),
                    Seg::Key("image".into())
                ],
            }]
        );
    }

    #[test]
    fn known_types_key_lists_by_their_schema() {
        let paths = |b: &Value, a: &Value| {
            let mut out = Vec::new();
            field_changes(b, a, "", At::root(a), &mut Vec::new(), &mut out);
            out.into_iter().map(|c| c.path).collect::<Vec<_>>()
        };
        // A Deployment's containers are a merge list keyed by name, as
        // strategic merge keys them.
        let d = |img: &str| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
                "containers": [{"name": "a", "image": img}]}}}})
        };
        assert_eq!(
            paths(&d("x:1"), &d("x:2")),
            vec!["spec.template.spec.containers[name=a].image"]
        );
        // A RoleBinding's subjects have names but are an atomic list: by
        // index, not by name.
        let rb = |n: &str| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "subjects": [{"kind": "User", "name": n}]})
        };
        assert_eq!(paths(&rb("a"), &rb("b")), vec!["subjects[0].name"]);
        // A custom resource's lists are keyed by name where every item has one.
        let cr = |n: &str| json!({"apiVersion": "x.io/v1", "kind": "Thing", "items": [{"name": "a", "v": n}]});
        assert_eq!(paths(&cr("1"), &cr("2")), vec!["items[name=a].v"]);
    }

    #[test]
    fn reorders_are_changes_of_the_list() {
        let b = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "args": ["x", "y"]});
        let a = json!({"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}], "args": ["y", "x"]});
        let mut out = Vec::new();
        field_changes(&b, &a, "", At::root(&a), &mut Vec::new(), &mut out);
        let paths: Vec<&str> = out.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["args", "env"]);
        assert_eq!(out[0].before, json!(["x", "y"]));
    }

    #[test]
    fn paths_quote_odd_keys() {
        let b = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}});
        let a = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}});
        let mut out = Vec::new();
        field_changes(&b, &a, "", At::root(&a), &mut Vec::new(), &mut out);
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
            field_manager: None,
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
