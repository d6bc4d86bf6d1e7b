//! Generate: `configMapGenerator` / `secretGenerator` objects (pure, in
//! [`configmap`]) and their merging into the accumulated resources
//! ([`absorb`]).

pub mod absorb;
pub mod configmap;
