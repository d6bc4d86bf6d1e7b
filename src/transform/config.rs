//! Transformer configuration: the field specs each builtin transformer uses,
//! kept as data (kustomize's `configurations:` format) and merged with the
//! user's `configurations:` files.

use super::fieldspec::{FieldSpec, GvkSel};
use serde_json::Value;

/// "These fields of these kinds refer to objects of kind `target` by name."
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NameBackRef {
    pub target: GvkSel,
    pub referrers: Vec<FieldSpec>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransformerConfig {
    pub name_prefix: Vec<FieldSpec>,
    pub name_suffix: Vec<FieldSpec>,
    pub namespace: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    /// Extra fields for every `labels:` entry (kustomize's `labels` config).
    pub labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub images: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
    pub var_reference: Vec<FieldSpec>,
    pub name_reference: Vec<NameBackRef>,
}

/// The field names of the configurations format and the list each fills.
const LISTS: &[&str] = &[
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "templateLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "varReference",
];

impl TransformerConfig {
    fn list_mut(&mut self, key: &str) -> Option<&mut Vec<FieldSpec>> {
        Some(match key {
            "namePrefix" => &mut self.name_prefix,
            "nameSuffix" => &mut self.name_suffix,
            "namespace" => &mut self.namespace,
            "commonLabels" => &mut self.common_labels,
            "labels" => &mut self.labels,
            "templateLabels" => &mut self.template_labels,
            "commonAnnotations" => &mut self.common_annotations,
            "images" => &mut self.images,
            "replicas" => &mut self.replicas,
            "varReference" => &mut self.var_reference,
            _ => return None,
        })
    }

    /// Read one document in the configurations format. Unknown top-level
    /// keys are reported as errors (message returned).
    pub fn from_value(v: &Value) -> Result<TransformerConfig, String> {
        let mut tc = TransformerConfig::default();
        let Some(m) = v.as_object() else {
            if v.is_null() {
                return Ok(tc);
            }
            return Err("a transformer configuration must be a mapping".into());
        };
        for (k, val) in m {
            if k == "nameReference" {
                for br in val.as_array().into_iter().flatten() {
                    let target = GvkSel::from_value(br);
                    let referrers = br
                        .get("fieldSpecs")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(FieldSpec::from_value)
                        .collect();
                    tc.merge_backref(NameBackRef { target, referrers })?;
                }
            } else if let Some(list) = tc.list_mut(k) {
                for fs in val.as_array().into_iter().flatten() {
                    if let Some(fs) = FieldSpec::from_value(fs) {
                        push_unique(list, fs)?;
                    }
                }
            } else {
                return Err(format!(
                    "unknown transformer configuration field `{k}` (known: nameReference, {})",
                    LISTS.join(", ")
                ));
            }
        }
        Ok(tc)
    }

    fn merge_backref(&mut self, br: NameBackRef) -> Result<(), String> {
        if let Some(existing) = self
            .name_reference
            .iter_mut()
            .find(|e| e.target == br.target)
        {
            for fs in br.referrers {
                push_unique(&mut existing.referrers, fs)?;
            }
        } else {
            self.name_reference.push(br);
        }
        Ok(())
    }

    fn list(&self, key: &str) -> &[FieldSpec] {
        match key {
            "namePrefix" => &self.name_prefix,
            "nameSuffix" => &self.name_suffix,
            "namespace" => &self.namespace,
            "commonLabels" => &self.common_labels,
            "labels" => &self.labels,
            "templateLabels" => &self.template_labels,
            "commonAnnotations" => &self.common_annotations,
            "images" => &self.images,
            "replicas" => &self.replicas,
            "varReference" => &self.var_reference,
            _ => &[],
        }
    }

    /// Merge a newly read configuration into the accumulated one, as
    /// kustomize's MergeConfig does: the new field specs come first, and an
    /// accumulated spec is dropped when a new one for the same path already
    /// covers it (so a custom `namePrefix: [{kind: ConfigMap, path:
    /// metadata/name}]` narrows the default to ConfigMaps). A covered spec
    /// that differs in `create` is a conflict.
    pub fn merge(&mut self, incoming: &TransformerConfig) -> Result<(), String> {
        // Merging a configuration into an equal one (a base's default config
        // into its overlay's, the common case) changes nothing: skip the
        // quadratic dedup below.
        if *self == *incoming {
            return Ok(());
        }
        let mut result = incoming.clone();
        for key in LISTS {
            let existing = self.list(key).to_vec();
            let Some(list) = result.list_mut(key) else {
                continue;
            };
            if *list == existing {
                continue;
            }
            for fs in existing {
                push_unique(list, fs)
                    .map_err(|m| format!("failed to merge {key} field spec: {m}"))?;
            }
        }
        for br in std::mem::take(&mut self.name_reference) {
            result.merge_backref(br)?;
        }
        *self = result;
        Ok(())
    }
}

/// `x` is selected by `sel` (empty parts of `sel` match anything).
fn selected_by(x: &GvkSel, sel: &GvkSel) -> bool {
    (sel.group.is_empty() || sel.group == x.group)
        && (sel.version.is_empty() || sel.version == x.version)
        && (sel.kind.is_empty() || sel.kind == x.kind)
}

/// Add `fs` unless a spec for the same path already covers it.
fn push_unique(list: &mut Vec<FieldSpec>, fs: FieldSpec) -> Result<(), String> {
    match list
        .iter()
        .find(|e| e.path == fs.path && selected_by(&e.gvk(), &fs.gvk()))
    {
        Some(e) if e.create != fs.create => Err(format!(
            "conflicting fieldspecs for `{}` (create: {} and create: {})",
            fs.path, e.create, fs.create
        )),
        Some(_) => Ok(()),
        None => {
            list.push(fs);
            Ok(())
        }
    }
}
