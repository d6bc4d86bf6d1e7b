//! Input: the kustomization model and the files it names, read through a
//! [`source::Source`] under kustomize's load restriction.

pub mod decode;
pub mod disk;
pub mod git;
pub mod kustomization;
pub mod live_state;
pub mod load;
pub mod memory;
pub mod remote;
pub mod source;
