//! Output: the order objects are printed in, and the GitOps folder writer.

pub mod gitops;
pub mod order;
