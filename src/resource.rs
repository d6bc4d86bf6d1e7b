//! A resource (one Kubernetes object) and its identity.

use serde_json::{Map, Value};
use std::fmt;
use std::path::PathBuf;

/// Group, version, kind. `group` is empty for the core group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Identity of a resource: gvk, namespace ("" when none) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    pub gvk: Gvk,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.gvk.kind, self.name)?;
        if !self.namespace.is_empty() {
            write!(f, " in namespace {}", self.namespace)?;
        }
        Ok(())
    }
}

/// Where a resource came from, for errors and provenance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

/// One object being compiled.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Always a JSON object.
    pub obj: Value,
    pub origin: Option<Origin>,
}

impl Resource {
    pub fn new(obj: Value, origin: Option<Origin>) -> Resource {
        Resource { obj, origin }
    }
    pub fn map(&self) -> &Map<String, Value> {
        self.obj.as_object().expect("resource is an object")
    }
    fn str_at(&self, path: &[&str]) -> &str {
        let mut cur = &self.obj;
        for p in path {
            match cur.get(p) {
                Some(v) => cur = v,
                None => return "",
            }
        }
        cur.as_str().unwrap_or("")
    }
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }
    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }
    pub fn namespace(&self) -> &str {
        self.str_at(&["metadata", "namespace"])
    }
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }
    pub fn id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            namespace: self.namespace().to_string(),
            name: self.name().to_string(),
        }
    }
}
