//! Reading the live state for a set of desired objects: discovery, the
//! ownership-label LIST per kind and namespace (for pruning), GET (or one
//! LIST where cheaper) for the rest, and server-side apply dry-run.

use super::{bounded, Cluster, ClusterError, Failure, Kind};
use crate::diff::managed::{self, Applier};
use crate::diff::normalize::{last_applied, At};
use crate::diff::pair::{LiveState, Pair, OWNER_LABEL};
use crate::diff::ResId;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// From this many objects of one kind in one namespace on, one LIST is
/// used instead of a GET each.
const LIST_THRESHOLD: usize = 3;

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// Kinds defined by CustomResourceDefinitions in the desired set: their
/// objects cannot exist before the CRD is applied, so they are "to be
/// created" rather than an unknown-kind error.
fn crd_kinds(desired: &[Value]) -> HashMap<(String, String), Kind> {
    let mut out = HashMap::new();
    for d in desired {
        if str_at(d, "/kind") != "CustomResourceDefinition" {
            continue;
        }
        let group = str_at(d, "/spec/group");
        let kind = str_at(d, "/spec/names/kind");
        let plural = str_at(d, "/spec/names/plural");
        let namespaced = str_at(d, "/spec/scope") != "Cluster";
        let versions = d
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for v in versions {
            let version = str_at(&v, "/name");
            out.insert(
                (format!("{group}/{version}"), kind.to_string()),
                Kind {
                    group: group.to_string(),
                    version: version.to_string(),
                    kind: kind.to_string(),
                    plural: plural.to_string(),
                    namespaced,
                    verbs: Vec::new(),
                },
            );
        }
    }
    out
}

type Key = (String, String, String, String); // apiVersion, kind, namespace, name

fn key(v: &Value) -> Key {
    (
        str_at(v, "/apiVersion").to_string(),
        str_at(v, "/kind").to_string(),
        str_at(v, "/metadata/namespace").to_string(),
        str_at(v, "/metadata/name").to_string(),
    )
}

/// What `kubectl apply` (client-side) would send as the new object: the
/// live object with the desired fields merged in (strategic merge, list
/// items by merge key) and the fields of the last applied configuration
/// that the desired object dropped removed; the new configuration becomes
/// the last applied one.
fn client_side_apply(live: &Value, applied: &Value, desired: &Value) -> Value {
    let mut merged = live.clone();
    if let Some(o) = merged.as_object_mut() {
        o.remove("status");
    }
    // A desired object kcompile compiled always merges; should the schema
    // refuse it, the plain desired object still shows the change.
    if crate::patch::smp::strategic_merge(
        &mut merged,
        desired,
        crate::patch::merge_keys::Schema::builtin(),
    )
    .is_err()
    {
        merged = desired.clone();
    }
    managed::drop_removed(&mut merged, applied, desired, At::root(desired));
    if let Some(a) = merged
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        if let Ok(text) = serde_json::to_string(desired) {
            a.insert(
                crate::diff::normalize::LAST_APPLIED.to_string(),
                Value::String(text + "\n"),
            );
        }
    }
    merged
}

/// Read everything `kcompile diff` needs from the cluster.
/// `owner`: the ownership label value (`None`: prune detection off).
/// `field_manager`: who will apply (`None`: each object's own applier).
pub async fn fetch(
    cluster: &Cluster,
    desired: Vec<Value>,
    owner: Option<&str>,
    server_side: bool,
    field_manager: Option<&str>,
) -> Result<LiveState, ClusterError> {
    let mut state = LiveState {
        server_side,
        ..Default::default()
    };
    // Discovery.
    let wanted: BTreeSet<(String, String)> = desired
        .iter()
        .map(|d| {
            (
                str_at(d, "/apiVersion").to_string(),
                str_at(d, "/kind").to_string(),
            )
        })
        .collect();
    let mut kinds = cluster.discover(&wanted).await?;
    let crds = crd_kinds(&desired);
    let mut pending: BTreeSet<(String, String)> = BTreeSet::new();
    for w in &wanted {
        if kinds.contains_key(w) {
            continue;
        }
        if let Some(k) = crds.get(w) {
            kinds.insert(w.clone(), k.clone());
            pending.insert(w.clone());
            continue;
        }
        let example = desired
            .iter()
            .find(|d| str_at(d, "/apiVersion") == w.0 && str_at(d, "/kind") == w.1)
            .map(|d| ResId::of(d).to_string())
            .unwrap_or_default();
        return Err(ClusterError {
            failure: Failure::Other("unknown kind".into()),
            message: format!(
                "{example}: unknown kind {} (apiVersion {}): the API server {} has no such resource",
                w.1,
                w.0,
                cluster.describe()
            ),
            hint: Some(
                "check apiVersion and kind, or install the CustomResourceDefinition first".into(),
            ),
        });
    }

    // Fill in namespaces as the server would.
    let mut desired: Vec<(Kind, Value)> = desired
        .into_iter()
        .filter_map(|mut d| {
            let k = kinds
                .get(&(
                    str_at(&d, "/apiVersion").to_string(),
                    str_at(&d, "/kind").to_string(),
                ))?
                .clone();
            if let Some(md) = d.get_mut("metadata").and_then(Value::as_object_mut) {
                if k.namespaced {
                    let ns = md.get("namespace").and_then(Value::as_str).unwrap_or("");
                    if ns.is_empty() {
                        md.insert(
                            "namespace".into(),
                            Value::String(cluster.default_namespace.clone()),
                        );
                    }
                } else {
                    md.remove("namespace");
                }
            }
            Some((k, d))
        })
        .collect();
    desired.sort_by_key(|(_, d)| key(d));

    // Scopes: (kind, namespace) pairs present in the desired set.
    let mut scopes: BTreeMap<(String, String, String), (Kind, usize)> = BTreeMap::new();
    for (k, d) in &desired {
        if pending.contains(&(k.api_version(), k.kind.clone())) {
            continue;
        }
        let e = scopes
            .entry((
                k.api_version(),
                k.kind.clone(),
                str_at(d, "/metadata/namespace").into(),
            ))
            .or_insert((k.clone(), 0));
        e.1 += 1;
    }

    // Objects carrying the ownership label, per kind and namespace.
    let selector = owner.map(|o| format!("{OWNER_LABEL}={o}"));
    let labelled = bounded(scopes.iter().filter(|_| selector.is_some()).map(
        |((_, _, ns), (k, _))| {
            let selector = selector.as_deref();
            async move {
                let ns = (!ns.is_empty()).then_some(ns.as_str());
                (k, cluster.list(k, ns, selector).await)
            }
        },
    ))
    .await;
    let mut live: HashMap<Key, Value> = HashMap::new();
    let mut owned: Vec<Value> = Vec::new();
    for (k, r) in labelled {
        match r {
            Ok(items) => owned.extend(items),
            Err(e) if e.failure.status_code() == Some(403) => state.warnings.push(format!(
                "warning: cannot list {} to find objects to prune ({}); pruning is not checked for this kind",
                k.resource_name(),
                e.message
            )),
            Err(e) => return Err(e),
        }
    }
    for o in &owned {
        live.insert(key(o), o.clone());
    }

    // The rest: one LIST per kind+namespace where cheaper, else GETs.
    type Scope = (String, String, String);
    let mut missing: BTreeMap<Scope, Vec<&(Kind, Value)>> = BTreeMap::new();
    for kd in &desired {
        let (k, d) = kd;
        if pending.contains(&(k.api_version(), k.kind.clone())) || live.contains_key(&key(d)) {
            continue;
        }
        missing
            .entry((
                k.api_version(),
                k.kind.clone(),
                str_at(d, "/metadata/namespace").into(),
            ))
            .or_default()
            .push(kd);
    }
    let mut lists = Vec::new();
    let mut gets = Vec::new();
    for ((_, _, ns), objs) in &missing {
        if objs.len() >= LIST_THRESHOLD {
            lists.push((objs[0].0.clone(), ns.clone()));
        } else {
            gets.extend(objs.iter().copied());
        }
    }
    let listed = bounded(lists.iter().map(|(k, ns)| async move {
        let ns = (!ns.is_empty()).then_some(ns.as_str());
        cluster.list(k, ns, None).await
    }))
    .await;
    for r in listed {
        for o in r? {
            live.insert(key(&o), o);
        }
    }
    let got = bounded(gets.iter().map(|(k, d)| async move {
        let ns = str_at(d, "/metadata/namespace");
        let ns = (!ns.is_empty()).then_some(ns);
        let name = str_at(d, "/metadata/name");
        cluster
            .get(k, ns, name, &ResId::of(d).to_string())
            .await
            .map(|v| (key(d), v))
    }))
    .await;
    for r in got {
        if let (k, Some(v)) = r? {
            live.insert(k, v);
        }
    }

    // Server-side apply dry-run for objects that exist.
    let mut dry: HashMap<Key, Value> = HashMap::new();
    if server_side {
        let existing: Vec<&(Kind, Value)> = desired
            .iter()
            .filter(|(_, d)| live.contains_key(&key(d)))
            .collect();
        let live = &live;
        let results = bounded(existing.iter().map(|(k, d)| async move {
            let ns = str_at(d, "/metadata/namespace");
            let ns = (!ns.is_empty()).then_some(ns);
            // Preview the apply its owner would make: the same field
            // manager, so fields it set and the overlay dropped go away.
            let l = live.get(&key(d));
            let applier = l.map(|l| Applier::of(l, field_manager));
            let name = str_at(d, "/metadata/name");
            let what = ResId::of(d).to_string();
            let r = match (&applier, l.and_then(last_applied)) {
                // Applied client-side by kubectl: its three-way merge
                // (live, last applied, desired), as a dry-run update.
                (Some(ap), Some(applied)) if !ap.apply => {
                    let merged = client_side_apply(l.unwrap_or(d), &applied, d);
                    cluster
                        .dry_run_update(k, ns, name, &merged, &what, &ap.manager)
                        .await
                }
                _ => {
                    let manager = applier
                        .as_ref()
                        .map_or(managed::KCOMPILE, |a| a.dry_run_manager());
                    cluster.dry_run_apply(k, ns, name, d, &what, manager).await
                }
            };
            (key(d), r)
        }))
        .await;
        let mut refused: Option<ClusterError> = None;
        for (k, r) in results {
            match r {
                Ok(v) => {
                    dry.insert(k, v);
                }
                Err(e) if e.failure.refuses_dry_run() => {
                    refused.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(e) = refused {
            state.server_side = false;
            dry.clear();
            state.warnings.push(format!(
                "warning: server-side apply dry-run was refused ({}); falling back to client-side comparison (--client-side)",
                e.message
            ));
        }
    }

    let desired_keys: BTreeSet<Key> = desired.iter().map(|(_, d)| key(d)).collect();
    for (_, d) in desired {
        let k = key(&d);
        state.pairs.push(Pair {
            id: ResId::of(&d),
            live: live.get(&k).cloned(),
            dry_run: dry.remove(&k),
            desired: d,
        });
    }
    owned.sort_by_key(key);
    owned.dedup_by_key(|o| key(o));
    for o in owned {
        if !desired_keys.contains(&key(&o)) {
            state.prune.push((ResId::of(&o), o));
        }
    }
    Ok(state)
}
