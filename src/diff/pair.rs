//! Pairing desired objects with what they are compared against, and the
//! comparisons that follow: the cluster's answer (live objects, dry runs,
//! objects to prune), live state read from files, or a second overlay.

use super::{compare, CompareOptions, Mode, ObjectDiff, ResId};
use crate::model::resource::effective_ns;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The label whose value names the overlay that owns an object: live
/// objects carrying it that no desired object matches are to be pruned.
pub const OWNER_LABEL: &str = "kcompile.io/overlay";

/// The ownership value of a compiled overlay: the one value of
/// `OWNER_LABEL` its objects carry. `Err` says why prune detection is off.
pub fn ownership(desired: &[Value]) -> Result<String, String> {
    let values: BTreeSet<&str> = desired
        .iter()
        .filter_map(|d| d.pointer("/metadata/labels")?.get(OWNER_LABEL)?.as_str())
        .collect();
    let mut it = values.iter();
    match (it.next(), it.next()) {
        (Some(v), None) => Ok(v.to_string()),
        (None, _) => Err(format!(
            "note: prune detection is off: the compiled objects carry no {OWNER_LABEL} label (add it with `labels:` in the overlay to find objects it no longer produces)"
        )),
        (Some(_), Some(_)) => Err(format!(
            "note: prune detection is off: the compiled objects carry several {OWNER_LABEL} values ({}), so none of them owns the set",
            values.iter().copied().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// A desired object with what the cluster says about it.
#[derive(Debug, Clone)]
pub struct Pair {
    pub id: ResId,
    /// The desired object, namespace filled in from the context if unset.
    pub desired: Value,
    pub live: Option<Value>,
    /// What the server would make of `desired` (server-side mode only).
    pub dry_run: Option<Value>,
}

#[derive(Debug, Default)]
pub struct LiveState {
    pub pairs: Vec<Pair>,
    /// Live objects with the ownership label that no desired object matches.
    pub prune: Vec<(ResId, Value)>,
    pub warnings: Vec<String>,
    /// False when client-side comparison is to be used (asked for, or the
    /// server refused the dry-run).
    pub server_side: bool,
}

/// Diffs of what the cluster answered: each pair as the apply would
/// change it (the dry run where the server made one), then the objects to
/// prune.
pub fn cluster_diffs(state: &LiveState, opts: CompareOptions) -> Vec<ObjectDiff> {
    let mut diffs: Vec<ObjectDiff> = state
        .pairs
        .iter()
        .map(|p| {
            let after = match (&p.live, &p.dry_run) {
                (Some(_), Some(dr)) => dr,
                _ => &p.desired,
            };
            // An object to be created is shown as desired, client-side.
            let o = if p.live.is_none() {
                CompareOptions {
                    mode: Mode::ClientSide,
                    ..opts
                }
            } else {
                opts
            };
            compare(p.id.clone(), p.live.as_ref(), Some(after), o)
        })
        .collect();
    diffs.extend(
        state
            .prune
            .iter()
            .map(|(id, v)| compare(id.clone(), Some(v), None, opts)),
    );
    diffs
}

/// (group, kind, effective namespace, name)
fn live_key(id: &ResId) -> (String, String, String, String) {
    (
        id.group().to_string(),
        id.gvk.kind.clone(),
        effective_ns(&id.namespace).to_string(),
        id.name.clone(),
    )
}

/// Diffs against live objects read from files (client-side): each desired
/// object with the live object of its identity, then the live objects
/// `owner` owns, of the desired set's kinds and namespaces, that no
/// desired object matches (to be pruned), in identity order.
pub fn live_diffs(
    desired: &[Value],
    live_objs: Vec<Value>,
    owner: Option<&str>,
    opts: CompareOptions,
) -> Vec<ObjectDiff> {
    let mut live: HashMap<_, (ResId, Value)> = HashMap::new();
    for v in live_objs {
        let id = ResId::of(&v);
        live.insert(live_key(&id), (id, v));
    }
    let kinds: BTreeSet<(String, String)> = desired
        .iter()
        .map(|d| {
            let id = ResId::of(d);
            (id.group().to_string(), id.gvk.kind)
        })
        .collect();
    let namespaces: BTreeSet<String> = desired
        .iter()
        .map(|d| effective_ns(&ResId::of(d).namespace).to_string())
        .collect();
    let mut diffs = Vec::new();
    for d in desired {
        let id = ResId::of(d);
        let l = live.remove(&live_key(&id));
        diffs.push(compare(id, l.as_ref().map(|x| &x.1), Some(d), opts));
    }
    let mut prune: Vec<(ResId, Value)> = live
        .into_values()
        .filter(|(id, v)| {
            v.pointer("/metadata/labels")
                .and_then(|l| l.get(OWNER_LABEL))
                .and_then(Value::as_str)
                .is_some_and(|v| Some(v) == owner)
                && kinds.contains(&(id.group().to_string(), id.gvk.kind.clone()))
                && (id.namespace.is_empty() || namespaces.contains(&id.namespace))
        })
        .collect();
    prune.sort_by(|x, y| x.0.report_order().cmp(&y.0.report_order()));
    for (id, v) in prune {
        diffs.push(compare(id, Some(&v), None, opts));
    }
    diffs
}

fn without_namespace(mut v: Value) -> Value {
    if let Some(md) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("namespace");
    }
    v
}

/// Two overlays: match objects by group, kind and name, ignoring the
/// namespace (each cluster's overlay usually sets its own).
pub fn overlay_diffs(before: Vec<Value>, after: Vec<Value>, show_secrets: bool) -> Vec<ObjectDiff> {
    let opts = CompareOptions {
        mode: Mode::Overlays,
        show_secrets,
        field_manager: None,
    };
    let k = |v: &Value| {
        let id = ResId::of(v);
        (id.group().to_string(), id.gvk.kind, id.name)
    };
    let mut pool: BTreeMap<_, Vec<Value>> = BTreeMap::new();
    for b in before.iter() {
        pool.entry(k(b)).or_default().push(b.clone());
    }
    let mut diffs = Vec::new();
    for a in &after {
        let id = ResId::of(a);
        let b = pool.get_mut(&k(a)).and_then(|bs| {
            // Prefer the same namespace when a name occurs more than once.
            let i = bs
                .iter()
                .position(|b| ResId::of(b).namespace == id.namespace)
                .unwrap_or(0);
            (!bs.is_empty()).then(|| bs.remove(i))
        });
        let b = b.map(without_namespace);
        diffs.push(compare(
            id,
            b.as_ref(),
            Some(&without_namespace(a.clone())),
            opts,
        ));
    }
    for bs in pool.into_values() {
        for b in bs {
            let id = ResId::of(&b);
            diffs.push(compare(id, Some(&without_namespace(b)), None, opts));
        }
    }
    diffs
}

/// One overlay at two revisions: objects matched by their full identity
/// (group, kind, namespace, name); what only the base has is removed, what
/// only the working tree has is added, in the working tree's order then
/// the base's.
pub fn revision_diffs(
    before: Vec<Value>,
    after: Vec<Value>,
    show_secrets: bool,
) -> Vec<ObjectDiff> {
    let opts = CompareOptions {
        mode: Mode::Revisions,
        show_secrets,
        field_manager: None,
    };
    let key = |v: &Value| {
        let id = ResId::of(v);
        (
            id.group().to_string(),
            id.gvk.kind,
            effective_ns(&id.namespace).to_string(),
            id.name,
        )
    };
    let mut pool: HashMap<_, Value> = HashMap::new();
    let mut order = Vec::new();
    for b in before {
        let k = key(&b);
        if pool.insert(k.clone(), b).is_none() {
            order.push(k);
        }
    }
    let mut diffs = Vec::new();
    for a in &after {
        let b = pool.remove(&key(a));
        diffs.push(compare(ResId::of(a), b.as_ref(), Some(a), opts));
    }
    for k in order {
        if let Some(b) = pool.remove(&k) {
            diffs.push(compare(ResId::of(&b), Some(&b), None, opts));
        }
    }
    diffs
}
