//! Remote bases: git URLs under `resources:` and `components:`.
//!
//! - [`url`] parses an entry as kustomize does (pure);
//! - [`Remote`] is what the pure [`super::load::Loader`] asks for a
//!   checkout; [`fetch::GitFetcher`] is the implementation, the IO edge that
//!   runs the system `git` and keeps the cache;
//! - [`lock`] reads and writes `kcompile.lock` (pure text);
//! - [`Layered`] lets a build whose tree is not on disk (`diff --base`,
//!   a git revision) read the checkouts, which are.
//!
//! A loader without a `Remote` (library users, in-memory trees) refuses
//! remote entries, as kcompile always did.

pub mod fetch;
pub mod lock;
pub mod url;

use super::source::{Entry, Source};
use crate::error::Result;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
pub use url::RemoteSpec;

/// A fetched remote base.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The checkout's top folder (the repository at `commit`).
    pub checkout: PathBuf,
    /// The commit checked out (full id).
    pub commit: String,
    /// What the build should say about it (a branch ref, a ref missing
    /// from the lock file), in the build's warnings.
    pub warnings: Vec<String>,
}

/// Where remote bases come from.
pub trait Remote: Send + Sync {
    /// The checkout of `spec`'s repository at its ref (fetched, or from
    /// the cache). The error names the URL (credentials redacted) and ref.
    fn fetch(&self, spec: &RemoteSpec) -> Result<Fetched>;
}

/// Whether a `resources:`/`components:` entry is a remote base: `Some`
/// with the parsed URL, or with kustomize's reason when it looks like a
/// URL (it has a scheme) but does not parse; `None` for a local path.
pub fn classify(rel: &str) -> Option<std::result::Result<RemoteSpec, String>> {
    match RemoteSpec::parse(rel) {
        Ok(s) => Some(Ok(s)),
        Err(e) if rel.contains("://") => Some(Err(e)),
        Err(_) => None,
    }
}

/// Whether an http(s) URL most likely names a single file (kustomize
/// downloads those over HTTP, which kcompile does not do): its last path
/// segment has a YAML or JSON extension and nothing marks a repository.
pub fn looks_like_http_file(spec: &RemoteSpec) -> bool {
    let lower = spec.raw.to_ascii_lowercase();
    let lower = lower.strip_prefix("git::").unwrap_or(&lower);
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return false;
    }
    let path = lower.split('?').next().unwrap_or("");
    let after_scheme = &path[path.find("://").map_or(0, |i| i + 3)..];
    if after_scheme.contains("//") || path.contains("_git/") || path.contains(".git/") {
        return false;
    }
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// A tree read through `upper` except below `lower_root`, which is read
/// through `lower`: a git revision (`diff --base`) whose remote bases are
/// checkouts in the cache on disk.
pub struct Layered {
    upper: Arc<dyn Source>,
    lower: Arc<dyn Source>,
    lower_root: PathBuf,
}

impl Layered {
    pub fn new(
        upper: impl Source + 'static,
        lower: impl Source + 'static,
        lower_root: PathBuf,
    ) -> Layered {
        Layered {
            upper: Arc::new(upper),
            lower: Arc::new(lower),
            lower_root,
        }
    }

    fn pick(&self, path: &Path) -> &dyn Source {
        if path.starts_with(&self.lower_root) {
            self.lower.as_ref()
        } else {
            self.upper.as_ref()
        }
    }
}

impl Source for Layered {
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        let canon = self.pick(path).canonicalize(path)?;
        // A symlink in a checkout may not lead back into the other tree.
        if path.starts_with(&self.lower_root) != canon.starts_with(&self.lower_root) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "leaves the remote checkout",
            ));
        }
        Ok(canon)
    }
    fn entry(&self, path: &Path) -> std::io::Result<Entry> {
        self.pick(path).entry(path)
    }
    fn read(&self, path: &Path) -> Result<Vec<u8>> {
        self.pick(path).read(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<OsString>> {
        self.pick(dir).list(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_entries() {
        assert!(classify("../base").is_none());
        assert!(classify("deploy.yaml").is_none());
        assert!(classify("github.com/org/repo").is_some_and(|r| r.is_ok()));
        assert!(classify("git@host:org/repo").is_some_and(|r| r.is_ok()));
        assert!(classify("htxxxtp://x/y").is_some_and(|r| r.is_err()));
        let file = RemoteSpec::parse("https://raw.example.com/org/repo/main/deploy.yaml").unwrap();
        assert!(looks_like_http_file(&file));
        let repo = RemoteSpec::parse("https://example.com/org/repo//deploy?ref=v1").unwrap();
        assert!(!looks_like_http_file(&repo));
    }
}
