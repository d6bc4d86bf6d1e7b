//! Places of an object that kustomize holds as one YAML node.
//!
//! kustomize's label and annotation setters (kyaml's `SetEntry`) make one
//! node per key and object and insert that same node at every field they
//! create: `commonLabels: {app: x}` on a Deployment puts one node at
//! `metadata.labels.app`, `spec.selector.matchLabels.app` and
//! `spec.template.metadata.labels.app`. Later writers that set an existing
//! field copy into its node in place (another label transformer, a
//! strategic-merge patch, a replacement, a var), so all its places change
//! together; a JSON 6902 patch rebuilds the object from JSON and ends the
//! sharing. kcompile keeps values, not nodes: it records the places of each
//! shared node and, after each writer, writes what it wrote to the others.

use crate::path::{get, get_mut, Place};
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Aliases {
    /// Each group: the places of one node, in kustomize's walk order.
    groups: Vec<Vec<Place>>,
}

/// The values at every place of every group before a writer ran.
pub struct Snapshot(Vec<Vec<Option<Value>>>);

impl Aliases {
    /// A node was created at these places.
    pub fn add(&mut self, mut places: Vec<Place>) {
        if places.len() > 1 {
            places.sort();
            self.groups.push(places);
        }
    }

    /// The object was rebuilt: no node is shared any more.
    pub fn clear(&mut self) {
        self.groups.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// What the places hold now; `None` when nothing is shared (no cost).
    pub fn snapshot(&self, obj: &Value) -> Option<Snapshot> {
        if self.groups.is_empty() {
            return None;
        }
        Some(Snapshot(
            self.groups
                .iter()
                .map(|g| g.iter().map(|p| get(obj, p).cloned()).collect())
                .collect(),
        ))
    }

    /// After a writer: where it changed a place of a shared node, the node's
    /// other places get the same value; the last place written in walk
    /// order wins, as the last in-place copy does in kustomize. `written`
    /// names the places a strategic-merge patch sets (it copies every scalar
    /// it holds, even an unchanged one); with it, a place that changed
    /// without being written was replaced by a new node (a list or map the
    /// patch replaced) and leaves the group. Writers that only copy in
    /// place (labels, replacements, vars) pass `None`. A place that is gone
    /// leaves the group too.
    pub fn sync(&mut self, obj: &mut Value, before: Option<Snapshot>, written: Option<&[Place]>) {
        let Some(Snapshot(before)) = before else {
            return;
        };
        for (g, old) in self.groups.iter_mut().zip(before) {
            let mut keep = Vec::new();
            let mut winner = None;
            for (p, o) in g.iter().zip(old) {
                let Some(n) = get(obj, p) else { continue };
                let changed = o.as_ref() != Some(n);
                let wrote = match written {
                    Some(w) => w.contains(p),
                    None => changed,
                };
                if changed && !wrote {
                    continue;
                }
                if wrote {
                    winner = Some(n.clone());
                }
                keep.push(p.clone());
            }
            if let Some(v) = winner {
                for p in &keep {
                    if let Some(slot) = get_mut(obj, p) {
                        *slot = v.clone();
                    }
                }
            }
            *g = keep;
        }
        self.groups.retain(|g| g.len() > 1);
    }
}

/// The shared places that a strategic-merge `patch` sets to a value:
/// kustomize's merge walks the patch and copies each scalar into the
/// object's existing node.
pub fn written_by_patch(aliases: &Aliases, patch: &Value) -> Vec<Place> {
    let mut out = Vec::new();
    for g in &aliases.groups {
        for p in g {
            if let Some(v) = get(patch, p) {
                if !v.is_null() && !v.is_object() && !v.is_array() {
                    out.push(p.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Step;
    use serde_json::json;

    fn place(s: &str) -> Place {
        s.split('.').map(|k| Step::Key(k.into())).collect()
    }

    #[test]
    fn a_write_reaches_every_place_of_the_node() {
        let mut obj = json!({"a": {"x": "1"}, "b": {"x": "1"}, "c": {"x": "1"}});
        let mut al = Aliases::default();
        al.add(vec![place("a.x"), place("b.x")]);
        let snap = al.snapshot(&obj);
        obj["b"]["x"] = json!("2");
        obj["c"]["x"] = json!("3");
        al.sync(&mut obj, snap, None);
        assert_eq!(
            obj,
            json!({"a": {"x": "2"}, "b": {"x": "2"}, "c": {"x": "3"}})
        );
    }

    #[test]
    fn the_last_place_written_wins_and_gone_places_leave() {
        let mut obj = json!({"a": {"x": "1"}, "b": {"x": "1"}, "c": {"x": "1"}});
        let mut al = Aliases::default();
        al.add(vec![place("c.x"), place("a.x"), place("b.x")]);
        let snap = al.snapshot(&obj);
        obj["a"]["x"] = json!("2");
        // b is written with the value it had: it comes later, so it wins.
        al.sync(&mut obj, snap, Some(&[place("a.x"), place("b.x")]));
        assert_eq!(
            obj,
            json!({"a": {"x": "1"}, "b": {"x": "1"}, "c": {"x": "1"}})
        );
        let snap = al.snapshot(&obj);
        obj["c"].as_object_mut().unwrap().remove("x");
        obj["a"]["x"] = json!("4");
        al.sync(&mut obj, snap, None);
        assert_eq!(obj, json!({"a": {"x": "4"}, "b": {"x": "4"}, "c": {}}));
        assert_eq!(al.groups, vec![vec![place("a.x"), place("b.x")]]);
    }
}
