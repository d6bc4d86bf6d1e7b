//! Patching: strategic merge (merge keys from the Kubernetes schemas) and
//! JSON 6902.

pub mod schema;
pub mod smp;
