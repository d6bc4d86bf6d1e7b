//! The `crds:` field: OpenAPI definitions of custom types whose
//! `x-kubernetes-*` extensions tell transformers which fields hold labels,
//! annotations, the object's identity, and references to other objects by
//! name (kustomize's LoadConfigFromCRDs).

use crate::transform::config::{NameBackRef, TransformerConfig};
use crate::transform::fieldspec::{FieldSpec, GvkSel};
use serde_json::{Map, Value};

/// Derive transformer configuration from one definitions document (a map of
/// type name to OpenAPI schema).
pub fn config_from_definitions(doc: &Value) -> Result<TransformerConfig, String> {
    let Some(types) = doc.as_object() else {
        return Err("a crds file must map type names to OpenAPI definitions".into());
    };
    let mut tc = TransformerConfig::default();
    for (name, def) in types {
        let Some(props) = schema_of(def).get("properties").and_then(Value::as_object) else {
            continue;
        };
        if !(props.contains_key("kind")
            && props.contains_key("apiVersion")
            && props.contains_key("metadata"))
        {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name).to_string();
        let mut path = Vec::new();
        walk(types, &kind, name, &mut path, &mut tc, 0)?;
    }
    Ok(tc)
}

/// kustomize reads these files as `OpenAPIDefinition`s, whose schema sits
/// under `Schema`; a bare schema is accepted too.
fn schema_of(def: &Value) -> &Value {
    def.get("Schema").unwrap_or(def)
}

fn fs(kind: &str, path: &[String]) -> FieldSpec {
    FieldSpec {
        kind: kind.to_string(),
        path: path.join("/"),
        ..Default::default()
    }
}

fn walk(
    types: &Map<String, Value>,
    kind: &str,
    type_name: &str,
    path: &mut Vec<String>,
    tc: &mut TransformerConfig,
    depth: usize,
) -> Result<(), String> {
    // Definitions may refer to each other in cycles.
    if depth > 64 {
        return Ok(());
    }
    let Some(props) = types
        .get(type_name)
        .and_then(|d| schema_of(d).get("properties"))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    for (prop, schema) in props {
        path.push(prop.clone());
        let has = |k: &str| schema.get(k).is_some();
        let add = |tc: &mut TransformerConfig, key: &str, spec: FieldSpec| -> Result<(), String> {
            let mut one = TransformerConfig::default();
            match key {
                "commonAnnotations" => one.common_annotations.push(spec),
                "commonLabels" => one.common_labels.push(spec),
                _ => one.name_prefix.push(spec),
            }
            tc.merge(&one)
        };
        if has("x-kubernetes-annotation") {
            add(tc, "commonAnnotations", fs(kind, path))?;
        }
        if has("x-kubernetes-label-selector") {
            add(tc, "commonLabels", fs(kind, path))?;
        }
        if has("x-kubernetes-identity") {
            add(tc, "namePrefix", fs(kind, path))?;
        }
        if let (Some(version), Some(ref_kind)) = (
            schema
                .get("x-kubernetes-object-ref-api-version")
                .and_then(Value::as_str),
            schema
                .get("x-kubernetes-object-ref-kind")
                .and_then(Value::as_str),
        ) {
            let key = schema
                .get("x-kubernetes-object-ref-name-key")
                .and_then(Value::as_str)
                .unwrap_or("name");
            let mut full = path.clone();
            full.push(key.to_string());
            let mut one = TransformerConfig::default();
            one.name_reference.push(NameBackRef {
                target: GvkSel {
                    kind: ref_kind.to_string(),
                    version: version.to_string(),
                    group: String::new(),
                },
                referrers: vec![fs(kind, &full)],
            });
            tc.merge(&one)?;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let target = if types.contains_key(r) {
                r
            } else {
                r.rsplit('/').next().unwrap_or(r)
            };
            walk(types, kind, target, path, tc, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn derives_name_references() {
        let doc = json!({
            "example.com/v1.Bee": {"properties": {
                "apiVersion": {}, "kind": {}, "metadata": {},
                "spec": {"$ref": "example.com/v1.BeeSpec"}}},
            "example.com/v1.BeeSpec": {"properties": {
                "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret"}}}
        });
        let tc = config_from_definitions(&doc).unwrap();
        let br = &tc.name_reference[0];
        assert_eq!(br.target.kind, "Secret");
        assert_eq!(br.referrers[0].path, "spec/secretRef/name");
        assert_eq!(br.referrers[0].kind, "Bee");
    }
}
