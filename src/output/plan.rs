//! The GitOps folder's plan (pure): compiled objects to the files of a
//! folder that Flux's kustomize-controller or an Argo CD Application can
//! point at, as relative path -> bytes.
//!
//! One file per object, `<namespace>/<kind>-<name>.yaml` (lowercase;
//! cluster-scoped objects under `_cluster/`, namespaced objects without a
//! namespace under `_default/`), or one `all.yaml`; plus a sorted
//! `kustomization.yaml` listing them and the marker file `.kcompile`.
//!
//! Safety: every path component is built by [`escape_component`], which
//! only lets `[a-z0-9.-]` through (anything else becomes `%XX`), never
//! starts with a dot, and caps the length; so no object name can reach
//! outside the target.

use crate::model::resource::{is_cluster_scoped, Resource};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Marker file: its presence says kcompile created (and owns) the folder.
pub const MARKER: &str = ".kcompile";
pub const MARKER_TEXT: &str = "# Written by kcompile (`kcompile build -o`). Do not edit files here:\n# the next build replaces this folder, removing files it did not write.\n";
/// The kustomization listing the rendered files.
pub const KUSTOMIZATION: &str = "kustomization.yaml";
/// The one file of `--layout single`.
pub const SINGLE: &str = "all.yaml";
/// Longest path component written (bytes), well below common 255-byte limits.
const MAX_COMPONENT: usize = 100;

/// How objects are laid out in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One file per object.
    #[default]
    PerObject,
    /// One `all.yaml` holding every object, in build order.
    Single,
}

/// A rendered folder's files: relative path (`/`-separated) -> bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Escape one path component: lowercase; `[a-z0-9.-]` kept; every other byte
/// (including `/`, `\`, NUL, control characters, `_`, `%`, non-ASCII) becomes
/// `%XX`; a leading `.` becomes `%2e` (so never `.`, `..` or a hidden file);
/// components longer than 100 bytes are cut and given a hash of the original.
pub fn escape_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        let c = b.to_ascii_lowercase();
        let keep =
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || (c == b'.' && i > 0);
        if keep {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    if out.len() > MAX_COMPONENT {
        let h = hex(&Sha256::digest(s.as_bytes()))[..16].to_string();
        out.truncate(MAX_COMPONENT - 17);
        // Do not cut an escape sequence in half.
        if let Some(p) = out.rfind('%') {
            if p + 3 > out.len() {
                out.truncate(p);
            }
        }
        out.push('-');
        out.push_str(&h);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The folder (relative to the target) an object's file goes in.
fn object_dir(r: &Resource) -> String {
    if is_cluster_scoped(&r.gvk().group, r.kind()) {
        "_cluster".to_string()
    } else if r.namespace().is_empty() {
        "_default".to_string()
    } else {
        escape_component(r.namespace())
    }
}

/// The files a build renders to.
pub fn plan(resources: &[Resource], layout: Layout) -> Files {
    let mut files = Files::new();
    let mut listed: Vec<String> = Vec::new();
    match layout {
        Layout::Single => {
            let docs: Vec<&Value> = resources.iter().map(|r| &r.obj).collect();
            files.insert(
                SINGLE.to_string(),
                crate::yaml::stream_to_string(&docs).into_bytes(),
            );
            listed.push(SINGLE.to_string());
        }
        Layout::PerObject => {
            let paths: Vec<String> = resources
                .iter()
                .map(|r| {
                    format!(
                        "{}/{}-{}.yaml",
                        object_dir(r),
                        escape_component(r.kind()),
                        escape_component(r.name())
                    )
                })
                .collect();
            let mut count: HashMap<&str, usize> = HashMap::new();
            for p in &paths {
                *count.entry(p.as_str()).or_default() += 1;
            }
            for (r, p) in resources.iter().zip(&paths) {
                let path = if count[p.as_str()] > 1 {
                    // Same file for two objects (names differing only in
                    // case, or the same kind in two API groups): every
                    // member gets a hash of its full identity.
                    let id = format!(
                        "{}/{}/{}/{}",
                        r.api_version(),
                        r.kind(),
                        r.namespace(),
                        r.name()
                    );
                    let h = &hex(&Sha256::digest(id.as_bytes()))[..8];
                    format!("{}-{h}.yaml", p.trim_end_matches(".yaml"))
                } else {
                    p.clone()
                };
                files.insert(path.clone(), crate::yaml::to_string(&r.obj).into_bytes());
                listed.push(path);
            }
        }
    }
    listed.sort();
    listed.dedup();
    let k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": listed,
    });
    let text = format!(
        "# Generated by kcompile; do not edit.\n{}",
        crate::yaml::to_string(&k)
    );
    files.insert(KUSTOMIZATION.to_string(), text.into_bytes());
    files.insert(MARKER.to_string(), MARKER_TEXT.as_bytes().to_vec());
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn escapes_components() {
        assert_eq!(escape_component("Deployment"), "deployment");
        assert_eq!(escape_component(".."), "%2e.");
        assert_eq!(escape_component("a/b"), "a%2fb");
        assert_eq!(escape_component("a\0b"), "a%00b");
        assert_eq!(escape_component("_cluster"), "%5fcluster");
        assert_eq!(escape_component(""), "%00");
        let long = escape_component(&"x".repeat(1000));
        assert!(long.len() <= MAX_COMPONENT, "{}", long.len());
        assert_ne!(long, escape_component(&"x".repeat(999)));
    }
}
