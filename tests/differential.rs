//! kcompile against the oracle, `kubectl kustomize` (kustomize v5.5), on the
//! bundled Spark overlays: the same bytes, in kubectl's default order.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

use std::path::Path;
use std::process::Command;

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn spark_overlays_match_kubectl_kustomize() {
    if !kubectl_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI requires kubectl (the kustomize oracle)"
        );
        eprintln!("SKIP: kubectl not found; differential test not run");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut overlays: Vec<_> = std::fs::read_dir(root.join("overlays"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("kustomization.yaml").is_file())
        .collect();
    overlays.sort();
    assert!(overlays.len() >= 2, "expected the bundled overlays");
    for dir in overlays {
        let ours = Command::new(env!("CARGO_BIN_EXE_kcompile"))
            .arg(&dir)
            .output()
            .unwrap();
        let theirs = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            ours.status.success(),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert!(
            theirs.status.success(),
            "{}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{} differs from kubectl kustomize",
            dir.display()
        );
    }
}
