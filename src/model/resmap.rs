//! Resources in order, indexed by identity.
//!
//! Every lookup by id goes through a hash index, so building stays linear in
//! the number of resources.

use crate::error::{Error, ErrorKind, Result};
use crate::model::resource::{ResId, Resource};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Default)]
pub struct ResMap {
    list: Vec<Resource>,
    index: HashMap<ResId, usize>,
    /// Earlier ids (keys) to the resources that had them; built when first
    /// needed after a change.
    prev_index: OnceLock<HashMap<ResId, Vec<usize>>>,
}

impl ResMap {
    pub fn new() -> ResMap {
        ResMap::default()
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn resources(&self) -> &[Resource] {
        &self.list
    }
    /// Mutable access; call `reindex` after changing identities.
    pub fn resources_mut(&mut self) -> &mut Vec<Resource> {
        self.prev_index.take();
        &mut self.list
    }
    pub fn into_vec(self) -> Vec<Resource> {
        self.list
    }
    pub fn get(&self, i: usize) -> &Resource {
        &self.list[i]
    }

    /// Add a resource; its id must not already be present.
    pub fn append(&mut self, r: Resource) -> Result<()> {
        let key = r.id().into_key();
        if let Some(&i) = self.index.get(&key) {
            let old = &self.list[i];
            let first = match &old.origin {
                Some(o) => format!("{}:{}", crate::error::shown(&o.file), o.line),
                None => "a generator".into(),
            };
            let here = match &r.origin {
                Some(_) => String::new(),
                None => " (by a generator)".into(),
            };
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "may not add resource with an already registered id: {} is defined twice{here}, first in {first}",
                    r.id()
                ),
            )
            .hint("each object may be defined once per build; remove one, or give them different names or namespaces")
            .object_at_of(&r, &[]));
        }
        crate::limits::check_objects(self.list.len() + 1)?;
        self.index.insert(key, self.list.len());
        self.prev_index.take();
        self.list.push(r);
        Ok(())
    }

    pub fn append_all(&mut self, other: ResMap) -> Result<()> {
        for r in other.list {
            self.append(r)?;
        }
        Ok(())
    }

    /// Index of the resource whose current id equals `id`.
    pub fn find(&self, id: &ResId) -> Option<usize> {
        self.index.get(&id.key()).copied()
    }

    /// Replace the resource at `i`.
    pub fn replace(&mut self, i: usize, r: Resource) {
        self.list[i] = r;
        self.reindex_lenient();
    }

    pub fn remove(&mut self, i: usize) -> Resource {
        let r = self.list.remove(i);
        self.reindex_lenient();
        r
    }

    /// Keep only the resources for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Resource) -> bool) {
        self.list.retain(|r| keep(r));
        self.reindex_lenient();
    }

    /// Rebuild the index after names or namespaces changed; two resources
    /// that now share an id are an error naming both.
    pub fn reindex(&mut self, what: &str) -> Result<()> {
        self.prev_index.take();
        self.index.clear();
        for (i, r) in self.list.iter().enumerate() {
            let key = r.id().into_key();
            if let Some(&j) = self.index.get(&key) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{what} produces an id conflict: {} is now defined twice",
                        r.id()
                    ),
                )
                .resource(format!("{} and {}", self.list[j].describe(), r.describe()))
                .hint("give the objects different names, or build them in separate overlays"));
            }
            self.index.insert(key, i);
        }
        Ok(())
    }

    fn reindex_lenient(&mut self) {
        self.prev_index.take();
        self.index.clear();
        for (i, r) in self.list.iter().enumerate() {
            self.index.entry(r.id().into_key()).or_insert(i);
        }
    }

    fn build_prev_index(&self) -> HashMap<ResId, Vec<usize>> {
        let mut prev: HashMap<ResId, Vec<usize>> = HashMap::new();
        for (i, r) in self.list.iter().enumerate() {
            for p in &r.prev_ids {
                let slot = prev.entry(p.key()).or_default();
                if slot.last() != Some(&i) {
                    slot.push(i);
                }
            }
        }
        prev
    }

    /// Indices (in order) of the resources whose current id or any earlier
    /// id equals `id`: kustomize's `GetMatchingResourcesByAnyId(id.Equals)`,
    /// through the indexes.
    pub fn matching_id_any(&self, id: &ResId) -> Vec<usize> {
        let key = id.key();
        let prev = self.prev_index.get_or_init(|| self.build_prev_index());
        let mut out: Vec<usize> = prev.get(&key).cloned().unwrap_or_default();
        // Current ids are unique (`append` and `reindex` refuse a second).
        if let Some(&i) = self.index.get(&key) {
            out.push(i);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Indices of resources whose current id or any earlier id satisfies `m`.
    pub fn matching_any_id(&self, mut m: impl FnMut(&ResId) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, r) in self.list.iter().enumerate() {
            if m(&r.id()) || r.prev_ids.iter().any(&mut m) {
                out.push(i);
            }
        }
        out
    }
}
