//! Strategic merge patch with kustomize (kyaml merge2) semantics.
