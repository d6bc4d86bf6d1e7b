//! The GitOps folder writer: compiled objects to a folder that Flux's
//! kustomize-controller or an Argo CD Application can point at.
//!
//! - [`plan`] turns objects into the folder's files (relative path -> bytes):
//!   one file per object, `<namespace>/<kind>-<name>.yaml` (lowercase;
//!   cluster-scoped objects under `_cluster/`, namespaced objects without a
//!   namespace under `_default/`), or one `all.yaml`; plus a sorted
//!   `kustomization.yaml` listing them and the marker file `.kcompile`.
//! - [`write`] swaps the planned files in atomically: everything is written
//!   into a temporary folder beside the target, which is exchanged with the
//!   target (one `renameat2(RENAME_EXCHANGE)` on Linux; two renames
//!   elsewhere) only when all of it succeeded. Files of objects that no longer
//!   exist disappear with the old folder. An identical folder is not touched
//!   at all; files whose bytes did not change are hard-linked from the old
//!   folder, so their mtimes stay.
//! - [`check`] compares without writing and returns a unified diff.
//!
//! Safety: every path component is built by [`escape_component`], which
//! only lets `[a-z0-9.-]` through (anything else becomes `%XX`), never starts
//! with a dot, and caps the length; so no object name can reach outside the
//! target. Existing folders are read without following symlinks, and a
//! target that is itself a symlink is refused.

use crate::error::{Error, ErrorKind, Result};
use crate::resource::{is_cluster_scoped, Resource};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Marker file: its presence says kcompile created (and owns) the folder.
pub const MARKER: &str = ".kcompile";
const MARKER_TEXT: &str = "# Written by kcompile (`kcompile build -o`). Do not edit files here:\n# the next build replaces this folder, removing files it did not write.\n";
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

/// What is in an existing folder, read without following symlinks.
#[derive(Debug, Default)]
struct Existing {
    files: Files,
    /// Relative paths of directories.
    dirs: BTreeSet<String>,
    /// Symlinks and special files (never part of a rendered folder).
    other: BTreeSet<String>,
}

fn io_err(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).file(path)
}

fn read_tree(root: &Path) -> Result<Existing> {
    let mut ex = Existing::default();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| io_err("cannot read folder", &dir, &e))?;
        for entry in rd {
            let entry = entry.map_err(|e| io_err("cannot read folder", &dir, &e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let md = fs::symlink_metadata(entry.path())
                .map_err(|e| io_err("cannot stat", &entry.path(), &e))?;
            if md.file_type().is_symlink() {
                ex.other.insert(r);
            } else if md.is_dir() {
                ex.dirs.insert(r.clone());
                if depth < 8 {
                    stack.push((entry.path(), r, depth + 1));
                } else {
                    ex.other.insert(format!("{r}/…"));
                }
            } else if md.is_file() {
                let bytes =
                    fs::read(entry.path()).map_err(|e| io_err("cannot read", &entry.path(), &e))?;
                ex.files.insert(r, bytes);
            } else {
                ex.other.insert(r);
            }
        }
    }
    Ok(ex)
}

fn expected_dirs(files: &Files) -> BTreeSet<String> {
    let mut d = BTreeSet::new();
    for p in files.keys() {
        let mut cur = p.as_str();
        while let Some((parent, _)) = cur.rsplit_once('/') {
            d.insert(parent.to_string());
            cur = parent;
        }
    }
    d
}

fn same(ex: &Existing, files: &Files) -> bool {
    ex.other.is_empty() && ex.files == *files && ex.dirs == expected_dirs(files)
}

/// Inspect the target: `None` when it does not exist; refuses symlinks and
/// non-folders.
fn existing(target: &Path) -> Result<Option<Existing>> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("cannot open output folder", target, &e)),
        Ok(md) if md.file_type().is_symlink() => Err(Error::new(
            ErrorKind::Io,
            "output folder is a symlink; kcompile does not follow symlinks",
        )
        .file(target)
        .hint("pass the folder the link points to")),
        Ok(md) if !md.is_dir() => {
            Err(Error::new(ErrorKind::Io, "output path exists and is not a folder").file(target))
        }
        Ok(_) => read_tree(target).map(Some),
    }
}

/// Compare the target with the planned files. `None` when identical, else a
/// unified diff (`a/` = the folder now, `b/` = what would be written).
pub fn check(target: &Path, files: &Files) -> Result<Option<String>> {
    let ex = existing(target)?.unwrap_or_default();
    if same(&ex, files) {
        return Ok(None);
    }
    let mut out = String::new();
    let paths: BTreeSet<&String> = ex.files.keys().chain(files.keys()).collect();
    for p in paths {
        let old = ex.files.get(p).map(|b| String::from_utf8_lossy(b));
        let new = files.get(p).map(|b| String::from_utf8_lossy(b));
        if old == new {
            continue;
        }
        let a = if old.is_some() {
            format!("a/{p}")
        } else {
            "/dev/null".to_string()
        };
        let b = if new.is_some() {
            format!("b/{p}")
        } else {
            "/dev/null".to_string()
        };
        let (o, n) = (old.unwrap_or_default(), new.unwrap_or_default());
        let diff = similar::TextDiff::from_lines(o.as_ref(), n.as_ref());
        out.push_str(&format!(
            "{}",
            diff.unified_diff().context_radius(3).header(&a, &b)
        ));
        if !out.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
    for o in &ex.other {
        out.push_str(&format!(
            "Only in {}: {o} (not a regular file)\n",
            target.display()
        ));
    }
    let want = expected_dirs(files);
    for d in ex.dirs.difference(&want) {
        if !ex.files.keys().any(|f| f.starts_with(&format!("{d}/"))) {
            out.push_str(&format!(
                "Only in {}: {d}/ (empty folder)\n",
                target.display()
            ));
        }
    }
    Ok(Some(out))
}

/// What [`write`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// False when the folder already held exactly these files (nothing touched).
    pub changed: bool,
    /// Files written with new content.
    pub written: usize,
    /// Files carried over unchanged (hard links: same bytes, same mtime).
    pub kept: usize,
    /// Files of the old folder that are gone.
    pub removed: usize,
}

/// Write the planned files to `target`, atomically. Refuses a non-empty
/// folder without the marker file unless `force`.
pub fn write(target: &Path, files: &Files, force: bool) -> Result<WriteSummary> {
    let name = match target.file_name() {
        Some(n)
            if target
                .components()
                .next_back()
                .is_some_and(|c| matches!(c, std::path::Component::Normal(_))) =>
        {
            n.to_os_string()
        }
        _ => {
            return Err(Error::new(ErrorKind::Io, "output must name a folder")
                .file(target)
                .hint("pass a folder path such as `rendered/cluster-b`"))
        }
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io_err("cannot create folder", &parent, &e))?;
    let ex = existing(target)?;
    if let Some(ex) = &ex {
        let ours = ex.files.contains_key(MARKER);
        let empty = ex.files.is_empty() && ex.dirs.is_empty() && ex.other.is_empty();
        if !ours && !empty && !force {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "output folder is not empty and was not created by kcompile (no {MARKER} file)"
                ),
            )
            .file(target)
            .hint("kcompile replaces the whole folder; choose an empty or new folder, or pass --force to replace it"));
        }
        if same(ex, files) {
            return Ok(WriteSummary {
                changed: false,
                kept: files.len(),
                ..Default::default()
            });
        }
    }
    remove_stale_temp_dirs(&parent, &name.to_string_lossy());
    let tmp = make_temp_dir(&parent, &name.to_string_lossy(), "tmp")?;
    let mut summary = WriteSummary {
        changed: true,
        ..Default::default()
    };
    let filled = fill(&tmp, target, files, ex.as_ref(), &mut summary);
    if let Err(e) = filled {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Some(ex) = &ex {
        summary.removed = ex.files.keys().filter(|k| !files.contains_key(*k)).count();
        if exchange(&tmp, target) {
            // `tmp` now holds the old folder.
            let _ = fs::remove_dir_all(&tmp);
            sync_dir(&parent);
            return Ok(summary);
        }
        let old = make_temp_name(&parent, &name.to_string_lossy(), "old");
        if let Err(e) = fs::rename(target, &old) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(io_err(
                "cannot move the old output folder aside",
                target,
                &e,
            ));
        }
        if let Err(e) = fs::rename(&tmp, target) {
            let _ = fs::rename(&old, target);
            let _ = fs::remove_dir_all(&tmp);
            return Err(io_err(
                "cannot move the new output folder in place",
                target,
                &e,
            ));
        }
        let _ = fs::remove_dir_all(&old);
    } else if let Err(e) = fs::rename(&tmp, target) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(io_err(
            "cannot move the new output folder in place",
            target,
            &e,
        ));
    }
    sync_dir(&parent);
    Ok(summary)
}

fn fill(
    tmp: &Path,
    target: &Path,
    files: &Files,
    ex: Option<&Existing>,
    summary: &mut WriteSummary,
) -> Result<()> {
    for (rel, bytes) in files {
        let dest = tmp.join(rel);
        if let Some(d) = dest.parent() {
            fs::create_dir_all(d).map_err(|e| io_err("cannot create folder", d, &e))?;
        }
        if ex.and_then(|ex| ex.files.get(rel)) == Some(bytes)
            && fs::hard_link(target.join(rel), &dest).is_ok()
        {
            summary.kept += 1;
            continue;
        }
        let mut f = fs::File::create(&dest).map_err(|e| io_err("cannot write", &dest, &e))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| io_err("cannot write", &dest, &e))?;
        summary.written += 1;
    }
    Ok(())
}

fn make_temp_name(parent: &Path, name: &str, what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    parent.join(format!(
        ".{name}.kcompile-{what}-{}-{nanos}",
        std::process::id()
    ))
}

/// Remove `.NAME.kcompile-{tmp,old}-PID-…` folders left by a kcompile that
/// died mid-write (its PID no longer running; Linux only, where /proc says).
fn remove_stale_temp_dirs(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(rd) = fs::read_dir(parent) else {
        return;
    };
    for e in rd.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = f
            .strip_prefix(&format!(".{name}.kcompile-tmp-"))
            .or_else(|| f.strip_prefix(&format!(".{name}.kcompile-old-")))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let is_dir = fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir());
        if is_dir && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn make_temp_dir(parent: &Path, name: &str, what: &str) -> Result<PathBuf> {
    for _ in 0..16 {
        let p = make_temp_name(parent, name, what);
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err("cannot create a temporary folder", &p, &e)),
        }
    }
    Err(Error::new(ErrorKind::Io, "cannot create a temporary folder").file(parent))
}

/// Swap two folders in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`).
/// False when the system or file system cannot; the caller then falls back
/// to two renames (a moment in which the target is absent).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both pointers are valid NUL-terminated paths for the call's
    // duration; the syscall neither retains nor writes through them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
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

    #[cfg(target_os = "linux")]
    #[test]
    fn exchanges_folders_atomically() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "a").unwrap();
        fs::write(b.join("x"), "b").unwrap();
        assert!(exchange(&a, &b));
        assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "b");
        assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "a");
        assert!(!exchange(&a, &t.path().join("missing")));
    }
}
