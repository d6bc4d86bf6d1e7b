//! The two compilers on a tree: kcompile (the real binary) and the oracle,
//! `kubectl kustomize` (kustomize v5.5), which CI requires.

use std::path::Path;
use std::process::{Command, Output};

/// `kcompile DIR`.
pub fn kcompile(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kcompile"))
        .arg(dir)
        .output()
        .expect("run kcompile")
}

/// `kubectl kustomize DIR`, or `None` where kubectl is missing (a failure
/// under CI).
pub fn kubectl(dir: &Path) -> Option<Output> {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI requires kubectl (the kustomize oracle)"
        );
        return None;
    }
    Some(
        Command::new("kubectl")
            .arg("kustomize")
            .arg(dir)
            .output()
            .expect("run kubectl"),
    )
}
