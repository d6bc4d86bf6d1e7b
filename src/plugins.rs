//! Builtin transformer and generator configs listed under `transformers:` /
//! `generators:` (kustomize's `apiVersion: builtin` plugins). Plugins other
//! than the builtins are refused.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomization::{Image, Replica, Selector};
use crate::transform::fieldspec::FieldSpec;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One configured builtin, decoded from its config object.
pub enum Builtin {
    Namespace {
        namespace: String,
        specs: Vec<FieldSpec>,
        unset_only: bool,
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
    ConfigMap {
        args: Value,
    },
    /// An object a generator produced whole (IAMPolicyGenerator).
    Object(Value),
    Secret {
        args: Value,
    },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
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
    unset_only: bool,
}

pub fn decode(cfg: &Value) -> Result<Builtin> {
    let api = cfg.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = cfg.get("kind").and_then(Value::as_str).unwrap_or("");
    if api != "builtin" && !api.starts_with("builtin/") {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("plugin {kind} (apiVersion {api}) is not a builtin; external plugins are not enabled in kcompile"),
        )
        .hint("kcompile runs kustomize's builtin transformers and generators only (apiVersion: builtin)"));
    }
    let raw: Raw = serde_json::from_value(cfg.clone()).map_err(|e| {
        Error::new(
            ErrorKind::Kustomization,
            format!("invalid {kind} config: {e}"),
        )
    })?;
    let specs: Vec<FieldSpec> = raw
        .field_specs
        .iter()
        .filter_map(FieldSpec::from_value)
        .collect();
    let md_str = |k: &str| {
        raw.metadata
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Ok(match kind {
        "NamespaceTransformer" => Builtin::Namespace {
            namespace: md_str("namespace"),
            specs,
            unset_only: raw.unset_only,
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
        "ReplacementTransformer" => Builtin::Replacements { replacements: raw.replacements },
        "SortOrderTransformer" | "HashTransformer" | "HelmChartInflationGenerator" => {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!("unable to load builtin {kind}.builtin.[noGrp]: it cannot be configured under transformers:/generators:"),
            )
            .hint("use the kustomization's own field instead (sortOptions, generators' options)"))
        }
        "ConfigMapGenerator" | "SecretGenerator" => {
            let mut args = cfg.as_object().cloned().unwrap_or_default();
            for k in ["apiVersion", "kind", "metadata"] {
                args.remove(k);
            }
            // Plugin configs are read leniently (as kustomize does): keep
            // only the generator's own fields.
            let known = ["name", "namespace", "behavior", "literals", "files", "envs", "env", "options", "type"];
            args.retain(|k, _| known.contains(&k.as_str()) && (k != "type" || kind == "SecretGenerator"));
            // The config's own `name`/`namespace` win over its metadata's.
            for k in ["name", "namespace"] {
                let empty = args.get(k).and_then(Value::as_str).is_none_or(str::is_empty);
                if empty && !md_str(k).is_empty() {
                    args.insert(k.into(), Value::String(md_str(k)));
                }
            }
            if kind == "ConfigMapGenerator" {
                Builtin::ConfigMap { args: Value::Object(args) }
            } else {
                Builtin::Secret { args: Value::Object(args) }
            }
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
pub fn decode_all(cfg: &Value) -> Result<Vec<Builtin>> {
    let kind = cfg.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "PrefixSuffixTransformer" {
        let raw: Raw = serde_json::from_value(cfg.clone()).unwrap_or_default();
        if !raw.prefix.is_empty() && !raw.suffix.is_empty() {
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
    decode(cfg).map(|b| vec![b])
}

/// kustomize's IAMPolicyGenerator (GKE workload identity): a ServiceAccount
/// annotated with the Google service account it acts as.
fn iam_policy(cfg: &Value) -> Result<Value> {
    let s = |p: &[&str]| {
        let mut c = cfg;
        for k in p {
            c = match c.get(k) {
                Some(v) => v,
                None => return String::new(),
            };
        }
        c.as_str().unwrap_or("").to_string()
    };
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
