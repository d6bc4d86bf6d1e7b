//! The repository agrees with its docs: what they tell a user to do works.

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// docs/gitops.md and docs/spark-on-kubernetes.md say to commit the
/// rendered folders: git must not ignore them.
#[test]
fn rendered_folders_can_be_committed() {
    let docs = std::fs::read_to_string(repo().join("docs/gitops.md")).unwrap();
    assert!(docs.contains("Commit the rendered folders"));
    if !repo().join(".git").exists() {
        return; // an exported tree: nothing to ignore anything
    }
    for path in [
        "rendered/cluster-b/kustomization.yaml",
        "rendered/cluster-a/x.yaml",
    ] {
        let out = Command::new("git")
            .arg("-C")
            .arg(repo())
            .args(["check-ignore", "--no-index", "-q", path])
            .status()
            .expect("git");
        assert_eq!(
            out.code(),
            Some(1),
            "{path} is ignored by git, but the docs say to commit it"
        );
    }
}
