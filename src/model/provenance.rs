//! `buildMetadata`: where each object came from (kustomize's
//! `config.kubernetes.io/origin` annotation) and the managed-by label.

use crate::error::{Error, ErrorKind, Result};
use crate::model::resource::Resource;
use serde_json::{Map, Value};

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
/// kustomization's directory, as kustomize writes them. `repo` and `ref`
/// only come from annotations already in the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub path: Option<String>,
    pub repo: Option<String>,
    pub reference: Option<String>,
    pub configured_in: Option<String>,
    /// The builtin that made (or changed) the object.
    pub configured_by: Option<ConfiguredBy>,
}

/// kustomize's `configuredBy`: the builtin kind and, for a plugin config
/// under `generators:`/`transformers:`, that config's name and namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredBy {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl ConfiguredBy {
    /// A builtin run for a kustomization field (no config object).
    pub fn builtin(kind: &str) -> ConfiguredBy {
        ConfiguredBy {
            api_version: "builtin".into(),
            kind: kind.to_string(),
            name: None,
            namespace: None,
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
            name: meta("name"),
            namespace: meta("namespace"),
            ..ConfiguredBy::builtin(cfg.get("kind").and_then(Value::as_str).unwrap_or(""))
        }
    }
}

impl Provenance {
    /// The annotation text: as kustomize marshals its Origin, fields in
    /// struct order (the emitter would sort them), empty ones and an
    /// all-empty configuredBy left out, an all-empty origin as `{}`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        put(&mut s, "", "path", &self.path);
        put(&mut s, "", "repo", &self.repo);
        put(&mut s, "", "ref", &self.reference);
        put(&mut s, "", "configuredIn", &self.configured_in);
        if let Some(by) = &self.configured_by {
            let mut b = String::new();
            put(&mut b, "  ", "apiVersion", &Some(by.api_version.clone()));
            put(&mut b, "  ", "kind", &Some(by.kind.clone()));
            put(&mut b, "  ", "name", &by.name);
            put(&mut b, "  ", "namespace", &by.namespace);
            if !b.is_empty() {
                s.push_str("configuredBy:\n");
                s.push_str(&b);
            }
        }
        if s.is_empty() {
            s.push_str("{}\n");
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

/// One `key: value` line (or block) of a provenance, indented; a one-key
/// map renders the scalar with kustomize's quoting and folding.
fn put(out: &mut String, indent: &str, key: &str, v: &Option<String>) {
    let Some(v) = v.as_ref().filter(|v| !v.is_empty()) else {
        return;
    };
    let mut m = Map::new();
    m.insert(key.to_string(), Value::String(v.clone()));
    for line in crate::yaml::to_string(&Value::Object(m)).lines() {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
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

/// Record that a builtin transformer ran over `r`. A transformations
/// annotation already in the input is the start of the list, as kustomize
/// appends to it.
pub fn record_transformation(r: &mut Resource, p: Provenance) -> Result<()> {
    if r.transformations.is_empty() {
        if let Some(v) = r
            .annotations()
            .and_then(|a| a.get(TRANSFORMATIONS_ANNOTATION))
        {
            r.transformations = parse_transformations(v).map_err(|m| {
                Error::new(
                    ErrorKind::Resource,
                    format!("annotation `{TRANSFORMATIONS_ANNOTATION}`: {m}"),
                )
                .resource(r.describe())
                .hint(
                    "remove the annotation, or write it as kustomize does: a YAML list of origins",
                )
            })?;
        }
    }
    r.transformations.push(p);
    Ok(())
}

/// Read a transformations annotation written by kustomize. Values must be
/// strings: kustomize would print another scalar's text, which is not kept.
fn parse_transformations(v: &Value) -> std::result::Result<Vec<Provenance>, String> {
    let text = v.as_str().ok_or("the value is not a string")?;
    let docs =
        crate::yaml::parse_stream(text).map_err(|e| format!("invalid YAML: {}", e.message))?;
    let list = match docs.into_iter().map(|d| d.value).next() {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(l)) => l,
        Some(_) => return Err("not a list".into()),
    };
    let field = |m: &Map<String, Value>, k: &str| -> std::result::Result<Option<String>, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{k}` is not a string")),
        }
    };
    list.iter()
        .map(|item| {
            let m = match item {
                Value::Object(m) => m,
                Value::Null => return Ok(Provenance::default()),
                _ => return Err("an entry is not a map".to_string()),
            };
            let configured_by = match m.get("configuredBy") {
                None | Some(Value::Null) => None,
                Some(Value::Object(b)) => Some(ConfiguredBy {
                    api_version: field(b, "apiVersion")?.unwrap_or_default(),
                    kind: field(b, "kind")?.unwrap_or_default(),
                    name: field(b, "name")?,
                    namespace: field(b, "namespace")?,
                }),
                Some(_) => return Err("`configuredBy` is not a map".into()),
            };
            Ok(Provenance {
                path: field(m, "path")?,
                repo: field(m, "repo")?,
                reference: field(m, "ref")?,
                configured_in: field(m, "configuredIn")?,
                configured_by,
            })
        })
        .collect()
}

/// kustomize's last pass over annotations: provenance it was not asked for
/// is removed (also when the input carried it), and the annotations are set
/// again as a map of strings, which drops an empty, null or scalar
/// `annotations` and turns a nested value into "".
pub fn finish_annotations(r: &mut Resource, origin: bool, transformations: bool) -> Result<()> {
    if transformations && !r.transformations.is_empty() {
        let text = transformations_text(&r.transformations);
        set_meta_entry(&mut r.obj, "annotations", TRANSFORMATIONS_ANNOTATION, text);
    }
    let problem = {
        let Some(md) = r.obj.get_mut("metadata").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let (drop, problem) = match md.get_mut("annotations") {
            None => return Ok(()),
            Some(Value::Object(a)) => {
                if !transformations {
                    a.remove(TRANSFORMATIONS_ANNOTATION);
                }
                if !origin {
                    a.remove(ORIGIN_ANNOTATION);
                }
                let mut problem = None;
                for (k, v) in a.iter_mut() {
                    match v {
                        Value::String(_) => {}
                        Value::Object(_) | Value::Array(_) => *v = Value::String(String::new()),
                        _ => {
                            problem =
                                Some(format!("annotation `{k}` has the non-string value {v}"));
                            break;
                        }
                    }
                }
                (a.is_empty(), problem)
            }
            Some(Value::Array(_)) => (false, Some("`metadata.annotations` is a list".to_string())),
            Some(_) => (true, None),
        };
        if drop {
            md.remove("annotations");
        }
        problem
    };
    match problem {
        None => Ok(()),
        Some(m) => Err(Error::new(ErrorKind::Resource, m)
            .resource(r.describe())
            .hint("write annotations as a map of strings; quote a value that is not (kustomize prints its YAML text as written, which kcompile does not keep)")),
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
            configured_by: Some(ConfiguredBy::builtin("ConfigMapGenerator")),
            ..Default::default()
        };
        assert_eq!(
            p.text(),
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
        );
    }

    fn resource(annotations: Value) -> Resource {
        Resource::new(
            serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "c", "annotations": annotations}}),
            None,
        )
    }

    #[test]
    fn input_transformations_are_extended_in_kustomize_field_order() {
        let mut r = resource(serde_json::json!({
            TRANSFORMATIONS_ANNOTATION: "- configuredBy: {kind: Foo, namespace: ns}\n  ref: v1\n  path: p\n  x: ignored\n- {}\n"
        }));
        let p = Provenance::configured("k.yaml".into(), ConfiguredBy::builtin("PrefixTransformer"));
        record_transformation(&mut r, p.clone()).unwrap();
        record_transformation(&mut r, p).unwrap();
        finish_annotations(&mut r, false, true).unwrap();
        assert_eq!(
            r.annotations().unwrap()[TRANSFORMATIONS_ANNOTATION],
            "- path: p\n  ref: v1\n  configuredBy:\n    kind: Foo\n    namespace: ns\n- {}\n\
             - configuredIn: k.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PrefixTransformer\n\
             - configuredIn: k.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PrefixTransformer\n"
        );
    }

    #[test]
    fn unreadable_input_transformations_are_an_error() {
        for bad in ["not a list", "- path: 1\n", "- [x]\n", "{"] {
            let mut r = resource(serde_json::json!({ TRANSFORMATIONS_ANNOTATION: bad }));
            let p = Provenance::configured("k.yaml".into(), ConfiguredBy::builtin("X"));
            assert!(record_transformation(&mut r, p).is_err(), "{bad}");
        }
    }

    #[test]
    fn provenance_not_asked_for_is_removed_and_empty_annotations_dropped() {
        let mut r = resource(serde_json::json!({
            ORIGIN_ANNOTATION: "path: x\n",
            TRANSFORMATIONS_ANNOTATION: "- path: y\n",
        }));
        finish_annotations(&mut r, false, false).unwrap();
        assert!(r.obj["metadata"].get("annotations").is_none());

        let mut r = resource(serde_json::json!({ORIGIN_ANNOTATION: "path: x\n", "a": {"b": 1}}));
        finish_annotations(&mut r, true, false).unwrap();
        assert_eq!(
            r.obj["metadata"]["annotations"],
            serde_json::json!({ORIGIN_ANNOTATION: "path: x\n", "a": ""})
        );

        for v in [
            serde_json::json!(null),
            serde_json::json!("text"),
            serde_json::json!({}),
        ] {
            let mut r = resource(v);
            finish_annotations(&mut r, true, true).unwrap();
            assert!(r.obj["metadata"].get("annotations").is_none());
        }
        for v in [
            serde_json::json!(["a"]),
            serde_json::json!({"a": 1}),
            serde_json::json!({"a": null}),
        ] {
            assert!(
                finish_annotations(&mut resource(v.clone()), false, false).is_err(),
                "{v}"
            );
        }
    }
}
