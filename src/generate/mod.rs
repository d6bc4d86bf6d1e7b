//! Generate: `configMapGenerator` / `secretGenerator` objects (pure, in
//! [`configmap`]) and their merging into the accumulated resources
//! ([`absorb`]); Helm charts inflated by the helm program ([`helm`]).

pub mod absorb;
pub mod configmap;
pub mod helm;
