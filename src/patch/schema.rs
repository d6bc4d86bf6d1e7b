//! Merge keys and strategies per type (derived from the Kubernetes schemas).
