//! The kustomization file (`kustomization.yaml`), as kustomize v5 reads it.

use crate::error::{Error, ErrorKind, Result};
use crate::input::decode::{self, shapes, Shape};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Kustomization {
    pub api_version: String,
    pub kind: String,
    pub metadata: Option<Value>,
    pub openapi: Map<String, Value>,
    pub name_prefix: String,
    pub name_suffix: String,
    pub namespace: String,
    pub common_labels: Map<String, Value>,
    pub labels: Vec<Label>,
    pub common_annotations: Map<String, Value>,
    pub patches_strategic_merge: Vec<String>,
    pub patches_json6902: Vec<Patch>,
    pub patches: Vec<Patch>,
    pub images: Vec<Image>,
    pub image_tags: Vec<Image>,
    pub replacements: Vec<Value>,
    pub replicas: Vec<Replica>,
    pub vars: Vec<Var>,
    pub sort_options: Option<SortOptions>,
    pub resources: Vec<String>,
    pub components: Vec<String>,
    pub crds: Vec<String>,
    pub bases: Vec<String>,
    pub config_map_generator: Vec<Value>,
    pub secret_generator: Vec<Value>,
    pub helm_globals: Option<Value>,
    pub helm_charts: Vec<Value>,
    pub helm_chart_inflation_generator: Vec<Value>,
    pub generator_options: Option<Value>,
    pub configurations: Vec<String>,
    pub generators: Vec<String>,
    pub transformers: Vec<String>,
    pub validators: Vec<String>,
    pub build_metadata: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Label {
    pub pairs: Map<String, Value>,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Patch {
    pub path: String,
    pub patch: String,
    pub target: Option<Selector>,
    pub options: Map<String, Value>,
}

/// A resource selector (`target:` of a patch, replacement, …). Name and
/// namespace are regular expressions, as in kustomize.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Selector {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub label_selector: String,
    pub annotation_selector: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Image {
    pub name: String,
    pub new_name: String,
    pub new_tag: String,
    pub tag_suffix: String,
    pub digest: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Replica {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Var {
    pub name: String,
    pub objref: VarRef,
    pub fieldref: FieldRef,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct VarRef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub api_version: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FieldRef {
    pub field_path: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SortOptions {
    pub order: String,
    pub legacy_sort_options: Option<LegacySortOptions>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LegacySortOptions {
    pub order_first: Vec<String>,
    pub order_last: Vec<String>,
}

pub const KIND_KUSTOMIZATION: &str = "Kustomization";
pub const KIND_COMPONENT: &str = "Component";

impl Kustomization {
    /// Decode a parsed kustomization document, rejecting unknown fields with
    /// a suggestion, and applying kustomize's fix-ups (deprecated fields).
    /// Returns the kustomization and the deprecation warnings to print.
    pub fn from_value(v: Value, file: &Path) -> Result<(Kustomization, Vec<String>)> {
        Self::from_doc(v, file, None)
    }

    /// As [`Kustomization::from_value`], with the file's text so that errors
    /// give the line and column of the offending field.
    pub fn from_doc(
        v: Value,
        file: &Path,
        text: Option<&str>,
    ) -> Result<(Kustomization, Vec<String>)> {
        if !matches!(v, Value::Object(_) | Value::Null) {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "a kustomization must be a mapping of fields, found {}",
                    crate::yaml::describe(&v)
                ),
            )
            .file(file)
            .hint("start the file with fields such as `resources:` or `namespace:`"));
        }
        let decoded = decode::decode(
            v,
            &Shape::Struct(&shapes::KUSTOMIZATION),
            decode::KUSTOMIZATION,
        )
        .map_err(|p| p.to_error(file, "kustomization", text.map(|t| (t, 0))))?;
        let value = match decoded.value {
            Value::Null => Value::Object(Map::new()),
            v => v,
        };
        let mut k: Kustomization = serde_json::from_value(value).map_err(|e| {
            Error::new(
                ErrorKind::Kustomization,
                format!("invalid kustomization: {e}"),
            )
            .file(file)
            .hint("check the field's type against the kustomize documentation")
        })?;
        let mut warnings = Vec::new();
        // kustomize's warnings, word for word and in its order.
        let deprecated = [
            (!k.bases.is_empty(), "bases", "resources", ""),
            (!k.common_labels.is_empty(), "commonLabels", "labels", ""),
            (!k.image_tags.is_empty(), "imageTags", "images", ""),
            (
                !k.patches_json6902.is_empty(),
                "patchesJson6902",
                "patches",
                "",
            ),
            (
                !k.patches_strategic_merge.is_empty(),
                "patchesStrategicMerge",
                "patches",
                "",
            ),
            (
                !k.vars.is_empty(),
                "vars",
                "replacements",
                "[EXPERIMENTAL] ",
            ),
        ];
        for (on, old, new, note) in deprecated {
            if on {
                warnings.push(format!(
                    "# Warning: '{old}' is deprecated. Please use '{new}' instead. {note}Run 'kustomize edit fix' to update your Kustomization automatically."
                ));
            }
        }
        // kustomize's FixKustomization: bases are resources; imageTags are images.
        let bases = std::mem::take(&mut k.bases);
        k.resources.extend(bases);
        let tags = std::mem::take(&mut k.image_tags);
        k.images.extend(tags);
        if k.kind.is_empty() {
            k.kind = KIND_KUSTOMIZATION.to_string();
        }
        if k.kind != KIND_KUSTOMIZATION && k.kind != KIND_COMPONENT {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!("kind `{}` is not `Kustomization` or `Component`", k.kind),
            )
            .file(file));
        }
        if k.kind == KIND_COMPONENT
            && !k.api_version.is_empty()
            && k.api_version != "kustomize.config.k8s.io/v1alpha1"
        {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1, not {}",
                    k.api_version
                ),
            )
            .file(file));
        }
        if k.kind == KIND_KUSTOMIZATION
            && !k.api_version.is_empty()
            && k.api_version != "kustomize.config.k8s.io/v1beta1"
        {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1, not {}",
                    k.api_version
                ),
            )
            .file(file));
        }
        check_string_maps(&k, file)?;
        Ok((k, warnings))
    }

    pub fn is_component(&self) -> bool {
        self.kind == KIND_COMPONENT
    }
}

/// kustomize decodes `commonLabels`, `commonAnnotations` and
/// `labels[].pairs` into string maps: a number, boolean, list or map as a
/// value fails there (null reads as ""), so it fails here too rather than
/// being turned into a string.
fn check_string_maps(k: &Kustomization, file: &Path) -> Result<()> {
    let mut maps = vec![
        ("commonLabels".to_string(), &k.common_labels),
        ("commonAnnotations".to_string(), &k.common_annotations),
    ];
    for (i, l) in k.labels.iter().enumerate() {
        maps.push((format!("labels[{i}].pairs"), &l.pairs));
    }
    for (field, map) in maps {
        if let Some((key, v)) = map.iter().find(|(_, v)| !(v.is_string() || v.is_null())) {
            let shown = match v {
                Value::Array(_) | Value::Object(_) => String::new(),
                other => format!(" `{}`", crate::yaml::to_string(other).trim_end()),
            };
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "{field}: the value of `{key}` is {}{shown}, but label and annotation values are strings",
                    crate::yaml::describe(v)
                ),
            )
            .file(file)
            .hint(format!("quote it, e.g. `{key}: \"...\"` (YAML reads unquoted 8080, true, yes or on as a number or a boolean)")));
        }
    }
    Ok(())
}

/// The known word nearest to `word` (edit distance ≤ 3, or a prefix match).
pub fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let lw = word.to_lowercase();
    known
        .iter()
        .map(|k| (levenshtein(&lw, &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= 3.min(k.len() / 2 + 1) || k.to_lowercase().starts_with(&lw))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn serde_model_reads_every_field_of_the_tables() {
        let shape = Shape::Struct(&shapes::KUSTOMIZATION);
        let v = decode::decode(decode::sample(&shape), &shape, decode::KUSTOMIZATION)
            .unwrap()
            .value;
        // deny_unknown_fields: a field the tables list and serde lacks fails.
        let k: Kustomization = serde_json::from_value(v).unwrap();
        assert_eq!(k.images[0].new_tag, "x");
        assert_eq!(k.vars[0].objref.api_version, "x");
        assert_eq!(
            k.sort_options
                .unwrap()
                .legacy_sort_options
                .unwrap()
                .order_last,
            ["x"]
        );
        let mut bad = decode::sample(&shape);
        bad["images"][0]["newTg"] = "x".into();
        assert!(serde_json::from_value::<Kustomization>(bad).is_err());
    }

    #[test]
    fn suggests_nearest_field() {
        let known = shapes::KUSTOMIZATION.field_names();
        assert_eq!(suggest("replica", &known), Some("replicas"));
        assert_eq!(suggest("namprefix", &known), Some("namePrefix"));
        assert_eq!(suggest("zzzzzzzzzz", &known), None);
    }
}
