//! kcompile: compiles kustomize-style overlays into final Kubernetes manifests.
//!
//! The folders follow the pipeline: `input` (the kustomization model and
//! the [`input::Source`] everything is read through) → `model` (resources
//! and their identity) → `generate` → `transform` → `patch` → `output`
//! (order, the GitOps folder); `compile` wires those stages for one tree,
//! `workspace` for every cluster of `kcompile.yaml`; `validate` checks the
//! result; `diff` compares it with what `cluster` (the only network code)
//! reads. `yaml` is the text layer under all of them. The binary (`main.rs`,
//! `cli/`) parses flags, prints and maps outcomes to exit codes.

// Unit tests build their fixtures on disk.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod cluster;
pub mod compile;
pub mod diff;
pub mod error;
pub mod generate;
pub mod input;
pub mod limits;
pub mod model;
pub mod output;
pub mod patch;
pub mod path;
pub mod transform;
pub mod validate;
pub mod workspace;
pub mod yaml;

pub use error::Error;
pub use serde_json::Value;
