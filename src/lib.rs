//! kcompile: compiles kustomize-style overlays into final Kubernetes manifests.
//!
//! Layering: `yaml` (text <-> values), `load` (the only module reading the
//! input tree), pure stages (`generate`, `transform`, `patch`, `order`),
//! `build` wiring them; the binary (`main.rs`, `cli`) reports errors and maps
//! outcomes to exit codes.

pub mod aliases;
pub mod build;
pub mod cluster;
pub mod clusters;
pub mod crds;
pub mod decode;
pub mod diff;
pub mod error;
pub mod fieldpath;
pub mod fieldspecs;
pub mod fsguard;
pub mod generate;
pub mod generators;
pub mod kustomization;
pub mod limits;
pub mod load;
pub mod notes;
pub mod order;
pub mod patch;
pub mod plugins;
pub mod provenance;
pub mod render;
pub mod replacements;
pub mod resmap;
pub mod resource;
pub mod transform;
pub mod validate;
pub mod vars;
pub mod yaml;

pub use error::Error;
pub use serde_json::Value;
