//! `buildMetadata`: where each object came from (kustomize's
//! `config.kubernetes.io/origin` annotation) and the managed-by label.

use serde_json::{json, Map, Value};

pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value kustomize v5.5 writes for `managedByLabel`, kept for output
/// compatibility with `kubectl kustomize`.
pub const MANAGED_BY_VALUE: &str = "kustomize-v5.5.0";

/// An object's origin: the file it was read from, or the kustomization and
/// builtin generator that made it. Paths are relative to the top-level
/// kustomization's directory, as kustomize writes them.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub path: Option<String>,
    pub configured_in: Option<String>,
    /// Builtin kind and config name of the generator.
    pub configured_by: Option<(String, Option<String>)>,
}

impl Provenance {
    /// The annotation text (YAML, fields in kustomize's order).
    pub fn text(&self) -> String {
        let line = |k: &str, v: &str, indent: &str| {
            // A one-key map renders the scalar with kustomize's quoting.
            format!("{indent}{}", crate::yaml::to_string(&json!({ k: v })))
        };
        let mut s = String::new();
        if let Some(p) = &self.path {
            s.push_str(&line("path", p, ""));
        }
        if let Some(c) = &self.configured_in {
            s.push_str(&line("configuredIn", c, ""));
        }
        if let Some((kind, name)) = &self.configured_by {
            s.push_str("configuredBy:\n");
            s.push_str(&line("apiVersion", "builtin", "  "));
            s.push_str(&line("kind", kind, "  "));
            if let Some(n) = name {
                s.push_str(&line("name", n, "  "));
            }
        }
        s
    }

    /// Set the origin annotation on an object.
    pub fn annotate(&self, obj: &mut Value) {
        set_meta_entry(obj, "annotations", ORIGIN_ANNOTATION, self.text());
    }
}

/// Set `metadata.<field>.<key>` to a string, creating maps as needed.
pub fn set_meta_entry(obj: &mut Value, field: &str, key: &str, value: String) {
    let Some(m) = obj.as_object_mut() else { return };
    let md = m
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    let Some(md) = md.as_object_mut() else { return };
    let f = md.entry(field).or_insert_with(|| Value::Object(Map::new()));
    if !f.is_object() {
        *f = Value::Object(Map::new());
    }
    if let Some(f) = f.as_object_mut() {
        f.insert(key.to_string(), Value::String(value));
    }
}

/// Join a path as written in a kustomization onto the origin path of the
/// kustomization that wrote it, cleaned as Go's filepath.Join cleans.
pub fn join(base: &str, rel: &str) -> String {
    let joined = if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    };
    let mut out: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn joins_like_go() {
        assert_eq!(join("", "service.yaml"), "service.yaml");
        assert_eq!(join("../base", "a.yaml"), "../base/a.yaml");
        assert_eq!(join("overlay", "../base"), "base");
        assert_eq!(join("", "./x/../y.yaml"), "y.yaml");
    }
    #[test]
    fn annotation_text() {
        let p = Provenance {
            configured_in: Some("kustomization.yaml".into()),
            configured_by: Some(("ConfigMapGenerator".into(), None)),
            ..Default::default()
        };
        assert_eq!(
            p.text(),
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
        );
    }
}
