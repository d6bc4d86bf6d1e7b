//! Patch: strategic merge (merge keys from the Kubernetes schemas), JSON
//! 6902, and applying a kustomization's patch entries to their targets.

pub mod apply;
pub mod merge_keys;
pub mod smp;
