//! kustomize's builtin field specs (which fields each transformer touches),
//! embedded as data in kustomize's `configurations:` format.

use crate::transform::config::TransformerConfig;
use std::sync::OnceLock;

/// One file per transformer, in kustomize's configurations format.
const DATA: &[&str] = &[
    include_str!("fieldspecs/nameprefix.yaml"),
    include_str!("fieldspecs/namesuffix.yaml"),
    include_str!("fieldspecs/namespace.yaml"),
    include_str!("fieldspecs/commonlabels.yaml"),
    include_str!("fieldspecs/templatelabels.yaml"),
    include_str!("fieldspecs/commonannotations.yaml"),
    include_str!("fieldspecs/images.yaml"),
    include_str!("fieldspecs/replicas.yaml"),
    include_str!("fieldspecs/varreference.yaml"),
    include_str!("fieldspecs/namereference.yaml"),
];

pub fn default_config() -> &'static TransformerConfig {
    static CFG: OnceLock<TransformerConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut tc = TransformerConfig::default();
        for text in DATA {
            for d in crate::yaml::parse_stream(text).expect("embedded field specs are valid YAML") {
                let part = TransformerConfig::from_value(&d.value)
                    .expect("embedded field specs are valid");
                tc.merge(&part).expect("embedded field specs merge");
            }
        }
        tc
    })
}
