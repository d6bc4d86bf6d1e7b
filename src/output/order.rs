//! Output order: kustomize's "legacy" kind order, or input order ("fifo").

use crate::model::resource::{Gvk, ResId, Resource};

/// Kinds that come first, in this order.
pub const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds that come last, in this order.
pub const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Sort in kustomize's legacy order: by kind rank, then by gvk string, then
/// by namespace and name. Stable, so equal keys keep input order.
pub fn legacy_sort(resources: &mut [Resource], first: &[String], last: &[String]) {
    // As kustomize ranks: orderFirst then orderLast written into one map,
    // so a kind listed twice takes its last position, and orderLast wins.
    let mut ranks: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for (i, k) in first.iter().enumerate() {
        ranks.insert(k, i as i64 - first.len() as i64);
    }
    for (i, k) in last.iter().enumerate() {
        ranks.insert(k, 1 + i as i64);
    }
    let rank = |kind: &str| -> i64 { ranks.get(kind).copied().unwrap_or(0) };
    let mut keyed: Vec<(i64, String, String, usize)> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.id();
            let gvk = gvk_string(&id.gvk);
            let ids = legacy_id_string(&gvk, &id);
            (rank(&id.gvk.kind), gvk, ids, i)
        })
        .collect();
    keyed.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
    let order: Vec<usize> = keyed.into_iter().map(|k| k.3).collect();
    permute(resources, &order);
}

/// kustomize's Gvk.String(): empty parts are written `~G`, `~V`, `~K`.
fn gvk_string(g: &Gvk) -> String {
    let or = |s: &str, d: &'static str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}_{}_{}",
        or(&g.group, "~G"),
        or(&g.version, "~V"),
        or(&g.kind, "~K")
    )
}

fn legacy_id_string(gvk: &str, id: &ResId) -> String {
    let ns = if id.namespace.is_empty() {
        "~X"
    } else {
        id.namespace.as_str()
    };
    let name = if id.name.is_empty() {
        "~N"
    } else {
        id.name.as_str()
    };
    format!("{gvk}|{ns}|{name}")
}

/// Put `v[order[i]]` at `i`, in place by following the permutation's
/// cycles with swaps (no resource is copied).
fn permute(v: &mut [Resource], order: &[usize]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut j = start;
        loop {
            done[j] = true;
            let k = order[j];
            if k == start {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

pub fn default_first() -> Vec<String> {
    ORDER_FIRST.iter().map(|s| s.to_string()).collect()
}

pub fn default_last() -> Vec<String> {
    ORDER_LAST.iter().map(|s| s.to_string()).collect()
}
