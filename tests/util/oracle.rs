//! The two compilers on a tree: kcompile (the real binary) and the oracle,
//! `kubectl kustomize` (kustomize v5.5), which CI requires.

use super::{Cmd, Out};
use std::path::Path;
use std::process::Command;

/// `kcompile DIR`.
pub fn kcompile(dir: &Path) -> Out {
    super::cmd().arg(dir).run()
}

/// `kubectl kustomize DIR`, or `None` where kubectl is missing (a failure
/// under CI).
pub fn kubectl(dir: &Path) -> Option<Out> {
    if !kubectl_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI requires kubectl (the kustomize oracle)"
        );
        return None;
    }
    Some(Cmd::new("kubectl").arg("kustomize").arg(dir).run())
}

/// `kubectl version --client` runs.
pub fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}
