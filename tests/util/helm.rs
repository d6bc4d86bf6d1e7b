//! The real helm programs for the Helm chart tests, built from Go modules
//! by `scripts/helm.sh build` (cached under target/helm; `scripts/test.sh`
//! builds them beside the API server). Where Go is missing the tests skip
//! with a reason, except under CI (`CI` set), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn built() -> &'static Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("KCOMPILE_HELM_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target/helm"));
        let out = Command::new(root().join("scripts/helm.sh"))
            .arg("build")
            .output()
            .map_err(|e| format!("cannot run scripts/helm.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/helm.sh build failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(dir)
    })
}

/// The helm program of this major version (3 or 4), or `None` (skip)
/// outside CI when it cannot be built.
pub fn helm(major: u32) -> Option<PathBuf> {
    match built() {
        Ok(dir) => Some(dir.join(format!("v{major}")).join("helm")),
        Err(why) => {
            if std::env::var_os("CI").is_some() {
                panic!("CI needs helm built from Go modules: {why}");
            }
            super::kube::say(&format!("SKIP (helm tests): {why}"));
            None
        }
    }
}
