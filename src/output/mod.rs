//! Output: the order objects are printed in, and the GitOps folder: its
//! plan (pure) and its writer (the only file-system writes).

pub mod order;
pub mod plan;
pub mod write;
