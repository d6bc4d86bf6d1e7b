//! `buildMetadata`: where each object came from (kustomize's
//! `config.kubernetes.io/origin` annotation) and the managed-by label.

use serde_json::{json, Map, Value};

pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
pub const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// What `kubectl kustomize` writes for `managedByLabel`: kustomize takes its
/// version from the build info of the binary it is linked into, which in
/// kubectl is a release dependency, not a "devel" build, so the version stays
/// kustomize's placeholder (a standalone kustomize v5.5.0 writes
/// `kustomize-v5.5.0`; kubectl is the oracle).
pub const MANAGED_BY_VALUE: &str = "kustomize-(devel)";

/// An object's origin: the file it was read from, or the kustomization and
/// builtin generator that made it. Paths are relative to the top-level
/// kustomization's directory, as kustomize writes them.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub path: Option<String>,
    pub configured_in: Option<String>,
    /// The builtin that made (or changed) the object.
    pub configured_by: Option<ConfiguredBy>,
}

/// kustomize's `configuredBy`: the builtin kind and, for a plugin config
/// under `generators:`/`transformers:`, that config's name and namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredBy {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl ConfiguredBy {
    /// A builtin run for a kustomization field (no config object).
    pub fn builtin(kind: &str) -> ConfiguredBy {
        ConfiguredBy {
            kind: kind.to_string(),
            ..Default::default()
        }
    }
    /// From a plugin config object; empty strings are omitted, as
    /// kustomize's `omitempty` fields.
    pub fn of_config(cfg: &Value) -> ConfiguredBy {
        let meta = |k: &str| {
            cfg.get("metadata")
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        ConfiguredBy {
            kind: cfg
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            name: meta("name"),
            namespace: meta("namespace"),
        }
    }
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
        if let Some(by) = &self.configured_by {
            s.push_str("configuredBy:\n");
            s.push_str(&line("apiVersion", "builtin", "  "));
            s.push_str(&line("kind", &by.kind, "  "));
            if let Some(n) = &by.name {
                s.push_str(&line("name", n, "  "));
            }
            if let Some(n) = &by.namespace {
                s.push_str(&line("namespace", n, "  "));
            }
        }
        s
    }

    /// A builtin generator or transformer configured in a kustomization
    /// file (`configured_in`).
    pub fn configured(configured_in: String, by: ConfiguredBy) -> Provenance {
        Provenance {
            configured_in: Some(configured_in),
            configured_by: Some(by),
            ..Default::default()
        }
    }

    /// Set the origin annotation on an object.
    pub fn annotate(&self, obj: &mut Value) {
        set_meta_entry(obj, "annotations", ORIGIN_ANNOTATION, self.text());
    }
}

/// The transformations annotation: a YAML list of provenances.
pub fn transformations_text(list: &[Provenance]) -> String {
    let mut s = String::new();
    for p in list {
        for (i, line) in p.text().lines().enumerate() {
            s.push_str(if i == 0 { "- " } else { "  " });
            s.push_str(line);
            s.push('\n');
        }
    }
    s
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
            configured_by: Some(ConfiguredBy::builtin("ConfigMapGenerator")),
            ..Default::default()
        };
        assert_eq!(
            p.text(),
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
        );
    }
}
