//! kcompile against the oracle, `kubectl kustomize` (kustomize v5.5), on the
//! bundled Spark overlays: the same bytes, in kubectl's default order.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;
use util::oracle::{kcompile, kubectl_available};
use util::Cmd;

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
        let ours = kcompile(&dir);
        let theirs = Cmd::new("kubectl").arg("kustomize").arg(&dir).run();
        ours.assert_ok();
        theirs.assert_ok();
        assert_eq!(
            ours.stdout,
            theirs.stdout,
            "{} differs from kubectl kustomize",
            dir.display()
        );
    }
}
