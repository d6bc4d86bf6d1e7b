//! Field ownership from a live object's `metadata.managedFields`: who
//! applies the object (so the dry-run and the client-side comparison
//! preview the apply its owner would make), what that applier set last time
//! (so a field dropped from the overlay shows as a removal), and who owns a
//! changed field now (so the report names whom an apply would overwrite).
//!
//! `fieldsV1` is a trie: `f:<field>` for map keys, `k:<json>` for list
//! items by their key fields, `v:<json>` for set items, `i:<n>` for
//! positions; `.` marks the node itself. A leaf (`{}`) under a field owns
//! everything below it (atomic maps and lists).

use super::normalize::{key_text, list_key, At};
use serde_json::{Map, Value};

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    /// A list item named by its merge key field and that field's value.
    Item(String, Value),
    Index(usize),
}

fn entries(live: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn text<'a>(e: &'a Map<String, Value>, k: &str) -> &'a str {
    e.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Who applies an object: a server-side apply manager, or kubectl's
/// client-side apply (which records the last applied configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applier {
    pub manager: String,
    /// Server-side apply (operation `Apply`); false for client-side apply.
    pub apply: bool,
}

/// The manager kubectl's client-side apply records.
pub const CLIENT_SIDE_APPLY: &str = "kubectl-client-side-apply";
/// kcompile's own manager, for objects nobody has applied yet.
pub const KCOMPILE: &str = "kcompile";

impl Applier {
    /// `--field-manager` when given; else the object's server-side apply
    /// manager; else kubectl's client-side apply when the object carries a
    /// last applied configuration; else kcompile.
    pub fn of(live: &Value, field_manager: Option<&str>) -> Applier {
        if let Some(m) = field_manager {
            return Applier {
                manager: m.to_string(),
                apply: true,
            };
        }
        if let Some(m) = applier(live) {
            return Applier {
                manager: m,
                apply: true,
            };
        }
        if super::normalize::last_applied(live).is_some() {
            return Applier {
                manager: CLIENT_SIDE_APPLY.to_string(),
                apply: false,
            };
        }
        Applier {
            manager: KCOMPILE.to_string(),
            apply: true,
        }
    }

    /// The field manager a server-side apply dry-run should use.
    pub fn dry_run_manager(&self) -> &str {
        if self.apply {
            &self.manager
        } else {
            KCOMPILE
        }
    }

    fn is(&self, e: &Map<String, Value>) -> bool {
        text(e, "manager") == self.manager
            && (text(e, "operation") == "Apply") == self.apply
            && text(e, "subresource").is_empty()
    }
}

/// The manager that last server-side applied the object (operation
/// `Apply`, main resource), if any: the GitOps tool or person who owns its
/// configuration.
pub fn applier(live: &Value) -> Option<String> {
    entries(live)
        .filter(|e| text(e, "operation") == "Apply" && text(e, "subresource").is_empty())
        .max_by(|a, b| {
            (text(a, "time"), text(b, "manager")).cmp(&(text(b, "time"), text(a, "manager")))
        })
        .map(|e| text(e, "manager").to_string())
        .filter(|m| !m.is_empty())
}

fn apply_fields<'a>(live: &'a Value, manager: &str) -> Option<&'a Value> {
    entries(live)
        .find(|e| {
            text(e, "manager") == manager
                && text(e, "operation") == "Apply"
                && text(e, "subresource").is_empty()
        })
        .and_then(|e| e.get("fieldsV1"))
}

/// The client-side comparison mask: `desired`, plus what `manager`'s last
/// server-side apply set in `live` that `desired` no longer sets (which
/// that manager's next apply would remove). Where `desired` sets a field,
/// its own shape wins, so server defaults inside an atomic field the
/// manager owns whole stay out.
pub fn mask_with_applied(desired: &Value, live: &Value, manager: &str) -> Value {
    match apply_fields(live, manager) {
        Some(fields) => with_owned(desired, live, fields, At::root(desired)),
        None => desired.clone(),
    }
}

fn with_owned(desired: &Value, live: &Value, fields: &Value, at: At) -> Value {
    if is_leaf(fields) {
        return desired.clone();
    }
    let Some(fm) = fields.as_object() else {
        return desired.clone();
    };
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            let mut out = d.clone();
            for (k, sub) in fm {
                let Some(name) = k.strip_prefix("f:") else {
                    continue;
                };
                let Some(lv) = l.get(name) else { continue };
                let merged = match d.get(name) {
                    Some(dv) => with_owned(dv, lv, sub, at.field(name)),
                    None => restrict(lv, sub),
                };
                out.insert(name.to_string(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(d), Value::Array(l)) => {
            let Some(key) = list_key(at, d, l) else {
                return desired.clone();
            };
            let mut out = d.clone();
            for li in l {
                let Some(sub) = fm
                    .iter()
                    .find(|(k, _)| item_matches(k, li, l))
                    .map(|(_, s)| s)
                else {
                    continue;
                };
                let k = key_text(li, key);
                match out.iter_mut().find(|di| key_text(di, key) == k) {
                    Some(di) => *di = with_owned(di, li, sub, at.item()),
                    None => out.push(restrict(li, sub)),
                }
            }
            Value::Array(out)
        }
        _ => desired.clone(),
    }
}

fn is_leaf(fields: &Value) -> bool {
    fields
        .as_object()
        .is_none_or(|m| m.keys().all(|k| k == "."))
}

/// `v` restricted to the fields of a `fieldsV1` trie.
fn restrict(v: &Value, fields: &Value) -> Value {
    if is_leaf(fields) {
        return v.clone();
    }
    let Some(fm) = fields.as_object() else {
        return v.clone();
    };
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, sub) in fm {
                if let Some(name) = k.strip_prefix("f:") {
                    if let Some(x) = m.get(name) {
                        out.insert(name.to_string(), restrict(x, sub));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                if let Some(sub) = fm
                    .iter()
                    .find(|(k, _)| item_matches(k, item, items))
                    .map(|(_, s)| s)
                {
                    out.push(restrict(item, sub));
                }
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

/// Whether a `fieldsV1` list key (`k:{…}`, `v:…`, `i:n`) names `item`.
fn item_matches(key: &str, item: &Value, all: &[Value]) -> bool {
    if let Some(json) = key.strip_prefix("k:") {
        let Ok(Value::Object(want)) = serde_json::from_str::<Value>(json) else {
            return false;
        };
        return want
            .iter()
            .all(|(f, w)| item.get(f).is_some_and(|x| same(x, w)));
    }
    if let Some(json) = key.strip_prefix("v:") {
        return serde_json::from_str::<Value>(json).is_ok_and(|w| same(item, &w));
    }
    if let Some(n) = key.strip_prefix("i:") {
        return n
            .parse::<usize>()
            .is_ok_and(|n| all.get(n).is_some_and(|x| std::ptr::eq(x, item)));
    }
    false
}

/// Key values compare as text: `8080` and `"8080"` name the same item.
fn same(a: &Value, b: &Value) -> bool {
    a == b || (scalar_text(a).is_some() && scalar_text(a) == scalar_text(b))
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a `fieldsV1` trie owns the node at `path`.
fn owns(fields: &Value, path: &[Seg], root: bool) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    if !root && is_leaf(fields) {
        return true;
    }
    let Some(fm) = fields.as_object() else {
        return false;
    };
    let child = match first {
        Seg::Key(k) => fm.get(&format!("f:{k}")),
        Seg::Item(field, value) => fm.iter().find_map(|(k, sub)| {
            let json = k.strip_prefix("k:")?;
            let want: Value = serde_json::from_str(json).ok()?;
            want.get(field)
                .is_some_and(|w| same(w, value))
                .then_some(sub)
        }),
        Seg::Index(i) => fm.get(&format!("i:{i}")),
    };
    child.is_some_and(|c| owns(c, rest, false))
}

/// The managers that own the field at `path` in `live` now, other than
/// the applier: `hpa-controller`, `kubectl (scale)` for a subresource.
/// Sorted, without duplicates.
pub fn owners(live: &Value, path: &[Seg], applier: &Applier) -> Vec<String> {
    let mut out: Vec<String> = entries(live)
        .filter(|e| !applier.is(e))
        .filter(|e| e.get("fieldsV1").is_some_and(|f| owns(f, path, true)))
        .map(|e| {
            let sub = text(e, "subresource");
            if sub.is_empty() {
                text(e, "manager").to_string()
            } else {
                format!("{} ({sub})", text(e, "manager"))
            }
        })
        .filter(|m| !m.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Remove from `result` what a client-side `kubectl apply` would delete:
/// fields of the last applied configuration that `desired` no longer sets
/// (lists of keyed items by item, other lists whole).
pub fn drop_removed(result: &mut Value, applied: &Value, desired: &Value, at: At) {
    match (result, applied) {
        (Value::Object(r), Value::Object(a)) => {
            let d = desired.as_object();
            for (k, av) in a {
                match d.and_then(|d| d.get(k)) {
                    None => {
                        r.remove(k);
                    }
                    Some(dv) => {
                        if let Some(rv) = r.get_mut(k) {
                            drop_removed(rv, av, dv, at.field(k));
                        }
                    }
                }
            }
        }
        (Value::Array(r), Value::Array(a)) => {
            let d: &[Value] = desired.as_array().map(Vec::as_slice).unwrap_or(&[]);
            let Some(key) = list_key(at, a, d) else {
                return;
            };
            for ai in a {
                let k = key_text(ai, key);
                match d.iter().find(|di| key_text(di, key) == k) {
                    None => r.retain(|ri| key_text(ri, key) != k),
                    Some(di) => {
                        if let Some(ri) = r.iter_mut().find(|ri| key_text(ri, key) == k) {
                            drop_removed(ri, ai, di, at.item());
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({
            "metadata": {"name": "d", "managedFields": [
                {"manager": "kubectl", "operation": "Apply", "time": "2026-01-01T00:00:00Z",
                 "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:template": {"f:spec": {"f:containers": {
                        "k:{\"name\":\"main\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {},
                            "f:env": {"k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}}}}}}}}},
                {"manager": "hpa-controller", "operation": "Update", "time": "2026-01-02T00:00:00Z",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                {"manager": "kubectl", "operation": "Update", "subresource": "scale",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}}
            ], "labels": {"app": "x", "other": "y"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "main", "image": "i:1", "args": ["a", "b"], "imagePullPolicy": "Always",
                 "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}}}
        })
    }

    #[test]
    fn the_applier_is_the_apply_manager() {
        assert_eq!(applier(&live()).as_deref(), Some("kubectl"));
        assert_eq!(applier(&json!({"metadata": {}})), None);
    }

    #[test]
    fn the_mask_adds_what_the_applier_set_and_desired_dropped() {
        // The overlay dropped env A and the label; it sets args itself.
        let desired = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "main", "image": "i:2", "args": ["c"]}]}}}});
        assert_eq!(
            mask_with_applied(&desired, &live(), "kubectl"),
            json!({"metadata": {"labels": {"app": "x"}},
                "spec": {"template": {"spec": {"containers": [
                    {"name": "main", "image": "i:2", "args": ["c"],
                     "env": [{"name": "A", "value": "1"}]}]}}}})
        );
        assert_eq!(mask_with_applied(&desired, &live(), "nobody"), desired);
    }

    fn kubectl() -> Applier {
        Applier::of(&live(), None)
    }

    fn other(name: &str) -> Applier {
        Applier::of(&live(), Some(name))
    }

    #[test]
    fn owners_of_a_path() {
        assert_eq!(
            kubectl(),
            Applier {
                manager: "kubectl".into(),
                apply: true
            }
        );
        let replicas = [Seg::Key("spec".into()), Seg::Key("replicas".into())];
        assert_eq!(
            owners(&live(), &replicas, &kubectl()),
            vec!["hpa-controller", "kubectl (scale)"]
        );
        let arg = [
            Seg::Key("spec".into()),
            Seg::Key("template".into()),
            Seg::Key("spec".into()),
            Seg::Key("containers".into()),
            Seg::Item("name".into(), json!("main")),
            Seg::Key("args".into()),
            Seg::Index(1),
        ];
        assert_eq!(
            owners(&live(), &arg, &other("someone-else")),
            vec!["kubectl"]
        );
        assert!(owners(&live(), &arg, &kubectl()).is_empty());
        let pull = [
            Seg::Key("spec".into()),
            Seg::Key("template".into()),
            Seg::Key("spec".into()),
            Seg::Key("containers".into()),
            Seg::Item("name".into(), json!("main")),
            Seg::Key("imagePullPolicy".into()),
        ];
        assert!(owners(&live(), &pull, &other("x")).is_empty());
    }

    #[test]
    fn removed_fields_go() {
        let mut result = json!({"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}},
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let applied = json!({"metadata": {"labels": {"a": "1", "b": "2"}},
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let desired =
            json!({"metadata": {"labels": {"a": "1"}}, "env": [{"name": "A", "value": "1"}]});
        drop_removed(&mut result, &applied, &desired, At::root(&desired));
        assert_eq!(
            result,
            json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "env": [{"name": "A", "value": "1"}]})
        );
    }
}
