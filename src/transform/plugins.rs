//! Builtin transformer and generator configs listed under `transformers:` /
//! `generators:` (kustomize's `apiVersion: builtin` plugins). Plugins other
//! than the builtins are refused.

use crate::error::{Error, ErrorKind, Result};
use crate::input::decode;
use crate::input::kustomization::{Image, Replica, Selector};
use crate::transform::fieldspec::FieldSpec;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One configured builtin, decoded from its config object.
pub enum Builtin {
    Namespace {
        namespace: String,
        specs: Vec<FieldSpec>,
        unset_only: bool,
        subjects: crate::transform::Subjects,
    },
    Prefix {
        prefix: String,
        specs: Vec<FieldSpec>,
    },
    Suffix {
        suffix: String,
        specs: Vec<FieldSpec>,
    },
    Labels {
        labels: Map<String, Value>,
        specs: Vec<FieldSpec>,
    },
    Annotations {
        annotations: Map<String, Value>,
        specs: Vec<FieldSpec>,
    },
    Patch {
        path: String,
        patch: String,
        target: Option<Selector>,
        options: Map<String, Value>,
    },
    PatchSm {
        paths: Vec<String>,
        patches: String,
    },
    Json6902 {
        target: Option<Selector>,
        path: String,
        json_op: String,
    },
    Replicas {
        replica: Replica,
        specs: Vec<FieldSpec>,
    },
    Image {
        image: Image,
        specs: Vec<FieldSpec>,
    },
    Replacements {
        replacements: Vec<Value>,
    },
    /// ConfigMapGenerator / SecretGenerator with the entry's arguments.
    Generator {
        kind: crate::generate::absorb::Kind,
        args: Value,
    },
    /// An object a generator produced whole (IAMPolicyGenerator).
    Object(Value),
    /// HelmChartInflationGenerator: its config (helmGlobals' and a chart's
    /// fields side by side).
    Helm(Value),
}

/// Every field of every builtin's config (see [`shape_of`]); a config is
/// normalised to its builtin's fields before it is read into this.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Raw {
    metadata: Map<String, Value>,
    field_specs: Vec<Value>,
    prefix: String,
    suffix: String,
    labels: Map<String, Value>,
    annotations: Map<String, Value>,
    path: String,
    patch: String,
    paths: Vec<String>,
    patches: String,
    target: Option<Selector>,
    options: Map<String, Value>,
    json_op: String,
    replica: Replica,
    image_tag: Image,
    replacements: Vec<Value>,
    /// ReplacementTransformer's list tagged `json:"omitempty"`.
    omitempty: Vec<Value>,
    unset_only: bool,
    set_role_binding_subjects: String,
}

/// Builtins whose config is read from the (normalised) object, not [`Raw`].
const GENERATORS: &[&str] = &[
    "ConfigMapGenerator",
    "SecretGenerator",
    "IAMPolicyGenerator",
    "HelmChartInflationGenerator",
];

/// The Go struct a builtin's config is decoded into, and how.
fn shape_of(kind: &str) -> Option<(&'static decode::Struct, decode::Mode)> {
    use decode::shapes as s;
    let plugin = |st| Some((st, decode::PLUGIN));
    match kind {
        "AnnotationsTransformer" => plugin(&s::ANNOTATIONS_TRANSFORMER),
        "ConfigMapGenerator" => plugin(&s::CONFIG_MAP_GENERATOR),
        "SecretGenerator" => plugin(&s::SECRET_GENERATOR),
        "IAMPolicyGenerator" => plugin(&s::IAM_POLICY_GENERATOR),
        "HelmChartInflationGenerator" => plugin(&s::HELM_CHART_INFLATION_GENERATOR),
        "ImageTagTransformer" => plugin(&s::IMAGE_TAG_TRANSFORMER),
        "LabelTransformer" => plugin(&s::LABEL_TRANSFORMER),
        "NamespaceTransformer" => plugin(&s::NAMESPACE_TRANSFORMER),
        "PatchJson6902Transformer" => plugin(&s::PATCH_JSON6902_TRANSFORMER),
        "PatchStrategicMergeTransformer" => plugin(&s::PATCH_STRATEGIC_MERGE_TRANSFORMER),
        "PatchTransformer" => plugin(&s::PATCH_TRANSFORMER),
        "ReplacementTransformer" => plugin(&s::REPLACEMENT_TRANSFORMER),
        "ReplicaCountTransformer" => plugin(&s::REPLICA_COUNT_TRANSFORMER),
        "PrefixTransformer" => Some((&s::PREFIX_TRANSFORMER, decode::PLUGIN_YAML_V3)),
        "SuffixTransformer" => Some((&s::SUFFIX_TRANSFORMER, decode::PLUGIN_YAML_V3)),
        "PrefixSuffixTransformer" => Some((&s::PREFIX_SUFFIX_TRANSFORMER, decode::PLUGIN_YAML_V3)),
        _ => None,
    }
}

/// The config as the builtin's Go struct reads it: field names canonical,
/// fields it does not have dropped (each reported in `ignored`, except the
/// object's own apiVersion, kind and metadata).
fn normalize(cfg: &Value, kind: &str, ignored: &mut Vec<String>) -> Result<Value> {
    let Some((st, mode)) = shape_of(kind) else {
        return Ok(cfg.clone());
    };
    let d = decode::decode(cfg.clone(), &decode::Shape::Struct(st), mode).map_err(|p| {
        let at = crate::path::path_text(&p.source_path());
        match &p.kind {
            decode::ProblemKind::Type { expected, found } => Error::new(
                ErrorKind::Kustomization,
                format!("invalid {kind} config: `{at}` must be {expected}, not {found}"),
            ),
            decode::ProblemKind::Unknown { field, .. } => Error::new(
                ErrorKind::Kustomization,
                format!("invalid {kind} config: unknown field `{field}`"),
            ),
        }
    })?;
    for (at, key) in d.ignored {
        if at.is_empty() && ["apiVersion", "kind", "metadata"].contains(&key.as_str()) {
            continue;
        }
        let mut p = at;
        p.push(crate::path::Step::Key(key));
        ignored.push(format!(
            "unknown field `{}` in the {kind} config ignored, as kustomize does",
            crate::path::path_text(&p)
        ));
    }
    Ok(d.value)
}

/// Decode one builtin config; `ignored` collects the unknown fields it
/// held (kustomize ignores them).
pub fn decode(raw_cfg: &Value, ignored: &mut Vec<String>) -> Result<Builtin> {
    let api = raw_cfg
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = raw_cfg.get("kind").and_then(Value::as_str).unwrap_or("");
    if api != "builtin" && !api.starts_with("builtin/") {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("plugin {kind} (apiVersion {api}) is not a builtin; external plugins are not enabled in kcompile"),
        )
        .hint("kcompile runs kustomize's builtin transformers and generators only (apiVersion: builtin)"));
    }
    let cfg = &normalize(raw_cfg, kind, ignored)?;
    let raw: Raw = if shape_of(kind).is_none() || GENERATORS.contains(&kind) {
        // Refused below, or read from the config itself.
        Raw::default()
    } else {
        serde_json::from_value(cfg.clone()).map_err(|e| {
            Error::new(
                ErrorKind::Kustomization,
                format!("invalid {kind} config: {e}"),
            )
        })?
    };
    let specs: Vec<FieldSpec> = raw
        .field_specs
        .iter()
        .filter_map(FieldSpec::from_value)
        .collect();
    let md_str = |k: &str| crate::model::resource::str_at(cfg, &["metadata", k]).to_string();
    Ok(match kind {
        "NamespaceTransformer" => Builtin::Namespace {
            namespace: md_str("namespace"),
            specs,
            unset_only: raw.unset_only,
            subjects: crate::transform::Subjects::parse(&raw.set_role_binding_subjects)?,
        },
        "PrefixTransformer" => Builtin::Prefix { prefix: raw.prefix, specs },
        "SuffixTransformer" => Builtin::Suffix { suffix: raw.suffix, specs },
        // The legacy combined transformer; `decode_all` splits it when both
        // are set.
        "PrefixSuffixTransformer" if raw.prefix.is_empty() => Builtin::Suffix { suffix: raw.suffix, specs },
        "PrefixSuffixTransformer" => Builtin::Prefix { prefix: raw.prefix, specs },
        "LabelTransformer" => Builtin::Labels { labels: raw.labels, specs },
        "AnnotationsTransformer" => Builtin::Annotations { annotations: raw.annotations, specs },
        "PatchTransformer" => Builtin::Patch {
            path: raw.path,
            patch: raw.patch,
            target: raw.target,
            options: raw.options,
        },
        "PatchStrategicMergeTransformer" => Builtin::PatchSm { paths: raw.paths, patches: raw.patches },
        "PatchJson6902Transformer" => Builtin::Json6902 {
            target: raw.target,
            path: raw.path,
            json_op: raw.json_op,
        },
        "ReplicaCountTransformer" => Builtin::Replicas { replica: raw.replica, specs },
        "ImageTagTransformer" => Builtin::Image { image: raw.image_tag, specs },
        "ReplacementTransformer" => Builtin::Replacements {
            replacements: raw.omitempty.into_iter().chain(raw.replacements).collect(),
        },
        "HelmChartInflationGenerator" => Builtin::Helm(cfg.clone()),
        "SortOrderTransformer" | "HashTransformer" => {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!("unable to load builtin {kind}.builtin.[noGrp]: it cannot be configured under transformers:/generators:"),
            )
            .hint("use the kustomization's own field instead (sortOptions, generators' options)"))
        }
        "ConfigMapGenerator" | "SecretGenerator" => {
            // Decoded leniently, as kustomize does: only the generator's
            // own fields (and metadata) are left.
            let mut args = cfg.as_object().cloned().unwrap_or_default();
            args.remove("metadata");
            // The config's own `name`/`namespace` win over its metadata's.
            for k in ["name", "namespace"] {
                let empty = args.get(k).and_then(Value::as_str).is_none_or(str::is_empty);
                if empty && !md_str(k).is_empty() {
                    args.insert(k.into(), Value::String(md_str(k)));
                }
            }
            let kind = if kind == "ConfigMapGenerator" {
                crate::generate::absorb::Kind::ConfigMap
            } else {
                crate::generate::absorb::Kind::Secret
            };
            Builtin::Generator { kind, args: Value::Object(args) }
        }
        "IAMPolicyGenerator" => Builtin::Object(iam_policy(cfg)?),
        other => {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!("unknown builtin plugin kind `{other}`"),
            ))
        }
    })
}

/// The legacy PrefixSuffixTransformer with both set runs as two builtins.
pub fn decode_all(cfg: &Value, ignored: &mut Vec<String>) -> Result<Vec<Builtin>> {
    let kind = cfg.get("kind").and_then(Value::as_str).unwrap_or("");
    let api = cfg.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if kind == "PrefixSuffixTransformer" && (api == "builtin" || api.starts_with("builtin/")) {
        let mut notes = Vec::new();
        let norm = normalize(cfg, kind, &mut notes)?;
        let raw: Raw = serde_json::from_value(norm).unwrap_or_default();
        if !raw.prefix.is_empty() && !raw.suffix.is_empty() {
            ignored.extend(notes);
            let specs: Vec<FieldSpec> = raw
                .field_specs
                .iter()
                .filter_map(FieldSpec::from_value)
                .collect();
            return Ok(vec![
                Builtin::Prefix {
                    prefix: raw.prefix,
                    specs: specs.clone(),
                },
                Builtin::Suffix {
                    suffix: raw.suffix,
                    specs,
                },
            ]);
        }
    }
    decode(cfg, ignored).map(|b| vec![b])
}

/// kustomize's IAMPolicyGenerator (GKE workload identity): a ServiceAccount
/// annotated with the Google service account it acts as.
fn iam_policy(cfg: &Value) -> Result<Value> {
    let s = |p: &[&str]| crate::model::resource::str_at(cfg, p).to_string();
    let cloud = s(&["cloud"]);
    if cloud != "gke" {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("IAMPolicyGenerator: cloud `{cloud}` is not supported (only gke)"),
        ));
    }
    let (ksa, gsa, project) = (
        s(&["kubernetesService", "name"]),
        s(&["serviceAccount", "name"]),
        s(&["serviceAccount", "projectId"]),
    );
    if ksa.is_empty() || gsa.is_empty() || project.is_empty() {
        return Err(Error::new(
            ErrorKind::Kustomization,
            "IAMPolicyGenerator needs kubernetesService.name, serviceAccount.name and serviceAccount.projectId",
        ));
    }
    let mut md = Map::new();
    md.insert(
        "annotations".into(),
        serde_json::json!({ "iam.gke.io/gcp-service-account": format!("{gsa}@{project}.iam.gserviceaccount.com") }),
    );
    md.insert("name".into(), Value::String(ksa));
    let ns = s(&["kubernetesService", "namespace"]);
    if !ns.is_empty() {
        md.insert("namespace".into(), Value::String(ns));
    }
    Ok(serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decode::{sample, Shape};

    #[test]
    fn reads_every_field_of_the_tables() {
        for kind in [
            "AnnotationsTransformer",
            "ConfigMapGenerator",
            "SecretGenerator",
            "IAMPolicyGenerator",
            "ImageTagTransformer",
            "LabelTransformer",
            "NamespaceTransformer",
            "PatchJson6902Transformer",
            "PatchStrategicMergeTransformer",
            "PatchTransformer",
            "PrefixTransformer",
            "SuffixTransformer",
            "PrefixSuffixTransformer",
            "ReplacementTransformer",
            "ReplicaCountTransformer",
        ] {
            let (st, mode) = shape_of(kind).unwrap();
            let shape = Shape::Struct(st);
            let v = decode::decode(sample(&shape), &shape, mode).unwrap().value;
            if kind == "IAMPolicyGenerator" {
                continue; // read with str_at; see iam_policy_reads_folded_fields
            }
            if GENERATORS.contains(&kind) {
                // Read from the object: every field must reach the generator.
                let mut cfg = v.clone();
                cfg["apiVersion"] = "builtin".into();
                cfg["kind"] = kind.into();
                let Ok(Builtin::Generator { args, .. }) = decode(&cfg, &mut Vec::new()) else {
                    panic!("{kind}: not decoded as a generator");
                };
                let want = if kind == "SecretGenerator" { 9 } else { 8 };
                assert_eq!(args.as_object().unwrap().len(), want, "{kind}: {args}");
                continue;
            }
            // deny_unknown_fields: a listed field Raw lacks fails here.
            serde_json::from_value::<Raw>(v).unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }

    #[test]
    fn iam_policy_reads_folded_fields() {
        let cfg = serde_json::json!({
            "apiVersion": "builtin", "kind": "IAMPolicyGenerator",
            "Cloud": "gke",
            "KubernetesService": {"NAME": "ksa", "namespace": "ns"},
            "serviceAccount": {"name": "gsa", "projectid": "p"},
        });
        let Builtin::Object(sa) = decode(&cfg, &mut Vec::new()).unwrap() else {
            panic!("not an object");
        };
        assert_eq!(sa["metadata"]["name"], "ksa");
        assert_eq!(
            sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"],
            "gsa@p.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn configs_fold_case_and_ignore_unknown_fields() {
        let cfg = serde_json::json!({
            "apiVersion": "builtin", "kind": "ImageTagTransformer",
            "metadata": {"name": "x"},
            "ImageTag": {"name": "spark", "newtag": 9},
            "FieldSpecs": [{"Path": "spec/containers/image"}],
            "bogus": 1,
        });
        let mut ignored = Vec::new();
        let Builtin::Image { image, specs } = decode(&cfg, &mut ignored).unwrap() else {
            panic!("not an image builtin");
        };
        assert_eq!(
            (image.name.as_str(), image.new_tag.as_str()),
            ("spark", "9")
        );
        assert_eq!(specs[0].path, "spec/containers/image");
        assert_eq!(ignored.len(), 1, "{ignored:?}");
        assert!(ignored[0].contains("`bogus`"), "{ignored:?}");
    }
}
