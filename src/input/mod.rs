//! Input: the kustomization model and the files it names, read from disk
//! under kustomize's load restriction.

pub mod decode;
pub mod fsguard;
pub mod kustomization;
pub mod load;
