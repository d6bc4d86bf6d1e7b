//! kcompile: compiles kustomize-style overlays into final Kubernetes manifests.
//!
//! Layering: `yaml` (text <-> values), `load` (the only module reading the
//! input tree), pure stages (`generate`, `transform`, `patch`, `order`),
//! `build` wiring them; the binary in `main.rs`/`cli` reports errors and maps
//! outcomes to exit codes.

pub mod error;
pub mod generate;
pub mod patch;
pub mod resource;
pub mod yaml;

pub use error::Error;
pub use serde_json::Value;
