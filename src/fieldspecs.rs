//! kustomize's builtin field specs (which fields each transformer touches),
//! embedded as data in kustomize's `configurations:` format.

use crate::transform::config::TransformerConfig;
use std::sync::OnceLock;

/// TEMPORARY minimal set until the full data lands.
const DATA: &[&str] = &[r#"
namePrefix:
- path: metadata/name
nameSuffix:
- path: metadata/name
namespace:
- path: metadata/namespace
  create: true
commonLabels:
- path: metadata/labels
  create: true
- path: spec/selector
  create: true
  version: v1
  kind: Service
- path: spec/selector/matchLabels
  create: true
  kind: Deployment
- path: spec/template/metadata/labels
  create: true
  kind: Deployment
commonAnnotations:
- path: metadata/annotations
  create: true
- path: spec/template/metadata/annotations
  create: true
  kind: Deployment
replicas:
- path: spec/replicas
  create: true
  kind: Deployment
nameReference:
- kind: ConfigMap
  version: v1
  fieldSpecs:
  - path: spec/template/spec/volumes/configMap/name
    kind: Deployment
  - path: spec/template/spec/containers/envFrom/configMapRef/name
    kind: Deployment
  - path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name
    kind: Deployment
"#];

pub fn default_config() -> &'static TransformerConfig {
    static CFG: OnceLock<TransformerConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut tc = TransformerConfig::default();
        for text in DATA {
            for d in crate::yaml::parse_stream(text).expect("embedded field specs are valid YAML") {
                let part = TransformerConfig::from_value(&d.value)
                    .expect("embedded field specs are valid");
                tc.merge(&part);
            }
        }
        tc
    })
}
