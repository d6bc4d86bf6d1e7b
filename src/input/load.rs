//! Reading the input tree: kustomization files and the files they name,
//! through a [`Source`] (pure: no file system here). It enforces kustomize's
//! default load restriction ("root only"): a file named by a kustomization
//! must lie in or below that kustomization's directory, after symlinks are
//! resolved. Directories (bases, components) may lie elsewhere; each becomes
//! a new root. Only regular files are read, so a FIFO or device named in a
//! kustomization is refused rather than blocking the build.

use super::remote::{self, Fetched, Remote, RemoteSpec};
use super::source::{Entry, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::model::resource::{Origin, Resource};
use crate::yaml;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// File names kustomize recognises, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Largest file of live state or of an existing output folder kcompile
/// reads; files of the input tree have their own bound
/// (`limits::file_bytes`).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A parsed file, or the error reading or parsing it.
type Parsed = Result<Arc<yaml::Stream>>;

/// Reads files with a cache, so a base shared by many overlays is read and
/// parsed once per process, also when overlays are built in parallel
/// (`compile::build_many`): each path has its own slot, locked while it is
/// filled, so a second thread waits for the first one's parse instead of
/// repeating it. `Loader` is `Sync`.
pub struct Loader {
    source: Arc<dyn Source>,
    /// Where remote bases come from (`None`: they are refused).
    remote: Option<Arc<dyn Remote>>,
    /// The checkouts of remote bases used so far: (canonical top folder,
    /// URL as shown). Nothing resolved from inside one may leave it.
    checkouts: Mutex<Vec<(PathBuf, String)>>,
    parsed: Mutex<HashMap<PathBuf, Arc<Mutex<Option<Parsed>>>>>,
    /// How many files were actually parsed (cache misses), for tests and
    /// benchmarks.
    parses: AtomicUsize,
    /// Keep no parsed resource files: for one build, where nothing is
    /// shared, handing the parsed documents over saves copying them all.
    single_use: bool,
}

/// Where a path named in a kustomization points.
pub enum Target {
    File(PathBuf),
    Dir(PathBuf),
}

impl Loader {
    pub fn new(source: impl Source + 'static) -> Loader {
        Loader {
            source: Arc::new(source),
            remote: None,
            checkouts: Mutex::default(),
            parsed: Mutex::default(),
            parses: AtomicUsize::new(0),
            single_use: false,
        }
    }

    /// A loader for a single build: resource files are parsed on each
    /// request and their documents handed over, not cached.
    pub fn single_use(source: impl Source + 'static) -> Loader {
        Loader {
            single_use: true,
            ..Loader::new(source)
        }
    }

    /// Fetch remote bases (git URLs under `resources:`/`components:`)
    /// through `remote`; without one they are refused.
    pub fn with_remote(mut self, remote: Arc<dyn Remote>) -> Loader {
        self.remote = Some(remote);
        self
    }

    /// The remote base `spec` as a directory to build: its checkout's
    /// subpath (canonical), checked to lie in the checkout and to hold a
    /// kustomization; and what the fetch reported.
    pub fn resolve_remote(&self, spec: &RemoteSpec) -> Result<(PathBuf, Fetched)> {
        let Some(remote) = &self.remote else {
            return Err(refused(&spec.shown_raw()));
        };
        let fetched = remote.fetch(spec)?;
        let about = |m: String| {
            Error::new(
                ErrorKind::Kustomization,
                format!(
                    "remote base {} (ref {}, commit {}): {m}",
                    spec.shown_url(),
                    if spec.reference.is_empty() {
                        "(none: the default branch)".to_string()
                    } else {
                        format!("`{}`", spec.reference)
                    },
                    fetched.commit
                ),
            )
        };
        let top = self
            .source
            .canonicalize(&fetched.checkout)
            .map_err(|e| about(format!("cannot open the checkout: {}", io_reason(&e))))?;
        {
            let mut c = self.checkouts.lock().unwrap_or_else(|e| e.into_inner());
            if !c.iter().any(|(p, _)| *p == top) {
                c.push((top.clone(), spec.shown_url()));
            }
        }
        let joined = top.join(&spec.subpath);
        let dir = self.source.canonicalize(&joined).map_err(|e| {
            about(format!(
                "path `{}` in the repository: {}",
                spec.subpath,
                io_reason(&e)
            ))
            .hint("the part after `//` (or after ORG/REPO) names a folder of the repository at that ref")
        })?;
        if !dir.starts_with(&top) {
            return Err(Error::new(
                ErrorKind::Restriction,
                format!(
                    "security; remote base {}: path `{}` refers to directory outside of repo",
                    spec.shown_url(),
                    spec.subpath
                ),
            )
            .hint("a symlink in the repository leads out of it; kcompile (like kustomize) reads only inside a fetched repository"));
        }
        if self.source.entry(&dir).ok() != Some(Entry::Dir) {
            return Err(about(format!(
                "`{}` refers to a file; expecting a directory",
                spec.subpath
            ))
            .hint("a remote base names a folder holding a kustomization"));
        }
        let has_kustomization = KUSTOMIZATION_FILE_NAMES
            .iter()
            .any(|n| self.source.entry(&dir.join(n)).is_ok());
        if !has_kustomization {
            return Err(about(format!(
                "no kustomization.yaml, kustomization.yml or Kustomization in `{}`",
                if spec.subpath.is_empty() {
                    "/"
                } else {
                    &spec.subpath
                }
            ))
            .hint(
                "name the folder of the repository that holds the kustomization: URL//path?ref=…",
            ));
        }
        Ok((dir, fetched))
    }

    /// The fetched repository `dir` lies in, if any: its top folder and URL.
    pub fn checkout_of(&self, dir: &Path) -> Option<(PathBuf, String)> {
        self.checkouts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(p, _)| dir.starts_with(p))
            .cloned()
    }

    /// Whether remote bases are fetched (else refused).
    pub fn has_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// The tree this loader reads.
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// Read the file at a canonical path (no restriction check: the
    /// caller did it).
    pub fn read(&self, path: &Path) -> Result<Vec<u8>> {
        self.source.read(path)
    }

    /// Resolve `rel` (as written in the kustomization in `root`) to a
    /// canonical path, without applying the restriction.
    pub fn resolve(&self, root: &Path, rel: &str) -> Result<Target> {
        if rel.contains("://") || rel.starts_with("git@") || rel.starts_with("github.com/") {
            let shown = RemoteSpec::parse(rel)
                .map_or_else(|_| remote::url::redact_url(rel), |s| s.shown_raw());
            return Err(refused(&shown));
        }
        let joined = root.join(rel);
        let canon = self.source.canonicalize(&joined).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read `{rel}`: {}", io_reason(&e)),
            )
            .file(clean(&joined))
            .hint("check the path in the kustomization; paths are relative to the kustomization's directory")
        })?;
        let entry = self.source.entry(&canon).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read `{rel}`: {}", io_reason(&e)),
            )
            .file(&canon)
        })?;
        // Inside a fetched repository nothing may lead out of it (`../`, a
        // symlink committed in it), as in kustomize.
        if let Some((top, url)) = self.checkout_of(root) {
            if !canon.starts_with(&top) {
                return Err(Error::new(
                    ErrorKind::Restriction,
                    format!(
                        "security; `{rel}` refers to '{}', outside of the fetched repository {url}",
                        crate::error::shown(&canon)
                    ),
                )
                .hint("a kustomization in a remote base may only read files and bases inside its repository"));
            }
        }
        if entry == Entry::Dir {
            Ok(Target::Dir(canon))
        } else {
            Ok(Target::File(canon))
        }
    }

    /// Check kustomize's root-only restriction for a file.
    pub fn restrict(&self, root: &Path, file: &Path, rel: &str) -> Result<()> {
        if !file.starts_with(root) {
            return Err(Error::new(
                ErrorKind::Restriction,
                format!(
                    "security; file '{}' is not in or below '{}' (named as `{rel}`)",
                    crate::error::shown(file),
                    crate::error::shown(root)
                ),
            )
            .hint("kustomize's load restriction: a kustomization may only read files in or below its own directory; move the file, or make its directory a base with its own kustomization"));
        }
        Ok(())
    }

    /// Read a file named `rel` in the kustomization rooted at `root`, under the
    /// load restriction.
    pub fn read_restricted(&self, root: &Path, rel: &str) -> Result<(PathBuf, Vec<u8>)> {
        match self.resolve(root, rel)? {
            Target::Dir(d) => Err(Error::new(
                ErrorKind::Io,
                format!("`{rel}` is a directory, expected a file"),
            )
            .file(d)),
            Target::File(f) => {
                self.restrict(root, &f, rel)?;
                let bytes = self.source.read(&f)?;
                Ok((f, bytes))
            }
        }
    }

    /// Find and read the kustomization file of a directory.
    pub fn kustomization_file(&self, dir: &Path) -> Result<(PathBuf, Vec<u8>)> {
        // Any entry by one of the names counts (a FIFO, a device, a dangling
        // or outside symlink), so it is refused by name below instead of
        // being reported as missing.
        let found: Vec<PathBuf> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| self.source.entry(p).is_ok_and(|e| e != Entry::Dir))
            .collect();
        match found.len() {
            0 => Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                    crate::error::shown(dir)
                ),
            )
            .hint("a directory listed under `resources:` or `components:` must hold a kustomization file")),
            1 => {
                // The kustomization file is under the root-only restriction
                // like any file it names: a symlink out of its directory is
                // refused (kustomize's loader does the same).
                let name = found[0]
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let canon = self.source.canonicalize(&found[0]).map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("cannot read kustomization file: {}", io_reason(&e)),
                    )
                    .file(&found[0])
                })?;
                self.restrict(dir, &canon, &name)
                    .map_err(|e| e.file(&found[0]))?;
                let bytes = self.source.read(&canon).map_err(|e| {
                    let mut e = e;
                    e.file = Some(found[0].clone());
                    e
                })?;
                Ok((found[0].clone(), bytes))
            }
            _ => Err(Error::new(
                ErrorKind::Kustomization,
                format!("found multiple kustomization files under: {}", crate::error::shown(dir)),
            )
            .hint("keep exactly one of kustomization.yaml, kustomization.yml, Kustomization")),
        }
    }

    /// Read and parse a file of resources (a canonical path), both only on
    /// the first request for it in this `Loader`.
    pub fn load_parsed(&self, path: &Path) -> Result<Arc<yaml::Stream>> {
        self.cached(path, || self.source.read(path))
    }

    /// The documents of a file of resources, owned: parsed now for a
    /// single-use loader, else copied out of the cache.
    pub fn load_docs(&self, path: &Path) -> Result<yaml::Stream> {
        if self.single_use {
            self.parses.fetch_add(1, Ordering::Relaxed);
            return parse_resources(path, &self.source.read(path)?);
        }
        Ok(self.load_parsed(path)?.as_ref().clone())
    }

    /// Check an overlay folder named on the command line or in `kcompile.yaml`
    /// before it is built, so that an unreadable folder or a path the system
    /// cannot resolve is reported as what it is (not as a missing
    /// kustomization file or "not a directory").
    pub fn check_dir(&self, dir: &Path) -> Result<()> {
        let canon = match self.source.canonicalize(dir) {
            Ok(c) => c,
            // The build reports a missing folder in its own words.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(dir_err(dir, &e)),
        };
        if self.source.entry(&canon).map_err(|e| dir_err(dir, &e))? != Entry::Dir {
            return Ok(());
        }
        for name in KUSTOMIZATION_FILE_NAMES {
            match self.source.entry(&canon.join(name)) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(dir_err(dir, &e)),
            }
        }
        Ok(())
    }

    /// Files parsed so far (cache misses).
    pub fn parse_count(&self) -> usize {
        self.parses.load(Ordering::Relaxed)
    }

    fn cached(
        &self,
        path: &Path,
        bytes: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<Arc<yaml::Stream>> {
        let slot = {
            let mut m = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
            m.entry(path.to_path_buf()).or_default().clone()
        };
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = slot.as_ref() {
            return done.clone();
        }
        self.parses.fetch_add(1, Ordering::Relaxed);
        let res = bytes().and_then(|b| parse_resources(path, &b).map(Arc::new));
        *slot = Some(res.clone());
        res
    }
}

fn refused(shown: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("remote resource `{shown}` is not supported here"),
    )
    .hint("remote bases (git URLs) are supported under `resources:` and `components:` of a build from disk; elsewhere vendor the file into the repository and refer to it by a local path")
}

/// Parse bytes as a YAML stream, reporting errors against `path`.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<yaml::Document>> {
    let text = decode_text(path, bytes)?;
    yaml::parse_stream(&text).map_err(|e| yaml_error(path, e))
}

/// Parse a kustomization file: repeated keys are allowed, the last one
/// wins, as kustomize reads it.
pub fn parse_kustomization(path: &Path, bytes: &[u8]) -> Result<Vec<yaml::Document>> {
    let text = decode_text(path, bytes)?;
    yaml::parse_stream_lenient(&text).map_err(|e| yaml_error(path, e))
}

/// Parse a file of resources (or of strategic merge patches, or plugin
/// configs) the way kustomize's kyaml reader does: split at `---` lines,
/// one document from each piece. A UTF-16 file is one piece.
pub fn parse_resources(path: &Path, bytes: &[u8]) -> Result<yaml::Stream> {
    let d = yaml::decode(bytes).map_err(|e| decode_error(path, e))?;
    yaml::parse_kio(&d.text, d.utf16).map_err(|e| yaml_error(path, e))
}

/// A YAML file's text, decoded as go-yaml decodes it (UTF-8, or UTF-16
/// after a byte order mark).
pub fn decode_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, str>> {
    yaml::decode(bytes)
        .map(|d| d.text)
        .map_err(|e| decode_error(path, e))
}

fn decode_error(path: &Path, e: Error) -> Error {
    e.file(path)
        .hint("YAML files must be UTF-8 (or UTF-16 with a byte order mark); binary files belong in a generator's `files:`")
}

fn yaml_error(path: &Path, mut e: Error) -> Error {
    e.message = format!("invalid YAML: {}", e.message);
    e.file(path)
}

/// What a YAML stream holds that kustomize drops without a word, as
/// warnings naming the file: documents it never reads, and (for a file of
/// resources, given the number of `objects` it yielded) a file that holds
/// text but no object.
pub fn stream_warnings(name: &str, stream: &yaml::Stream, objects: Option<usize>) -> Vec<String> {
    let why = if stream.whole {
        "of a UTF-16 file it reads only the first document; convert the file to UTF-8"
    } else {
        "it reads one document between `---` lines, and drops one that follows a `...` end marker; put a `---` line before it"
    };
    let mut out: Vec<String> = stream
        .ignored
        .iter()
        .map(|line| format!("warning: {name}:{line}: kustomize ignores this document: {why}"))
        .collect();
    if objects == Some(0) && !stream.blank {
        out.push(format!(
            "warning: {name}: the file yields no object (its documents are empty, null, or Lists without items); kustomize skips it without a word"
        ));
    }
    out
}

/// Turn parsed documents into resources: skip empty documents, expand
/// `List` objects, require kind and name.
pub fn resources_from_docs(path: &Path, docs: Vec<yaml::Document>) -> Result<Vec<Resource>> {
    let mut out = Vec::new();
    for d in docs {
        let origin = Origin {
            file: path.to_path_buf(),
            line: d.line,
        };
        let notes = crate::model::notes::Notes::new(d.notes);
        push_object(&mut out, d.value, &origin, &d.raw, &notes, Some(None))?;
    }
    Ok(out)
}

/// Add the object `v` (or a List's items) to `out`. `slot` says which
/// source texts of annotation values belong to it: those of the document
/// (`Some(None)`), of its `items[i]` (`Some(Some(i))`), or none.
fn push_object(
    out: &mut Vec<Resource>,
    v: Value,
    origin: &Origin,
    raw: &[(Option<usize>, yaml::RawScalar)],
    notes: &crate::model::notes::Notes,
    slot: Option<Option<usize>>,
) -> Result<()> {
    let err = |msg: String| {
        Error::new(ErrorKind::Resource, msg)
            .file(&origin.file)
            .pos(origin.line, 1)
    };
    match v {
        Value::Null => Ok(()),
        // kustomize drops an empty list as it drops an empty map.
        Value::Array(ref a) if a.is_empty() => Ok(()),
        Value::Object(ref m) => {
            let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
            if is_list_kind(kind) && m.get("items").is_some() {
                match m.get("items") {
                    Some(Value::Array(_) | Value::Null) => {}
                    Some(other) => {
                        return Err(err(format!(
                            "the `items` of this {kind} are {}, not a list; kustomize fails here too (missing Resource metadata)",
                            crate::yaml::describe(other)
                        ))
                        .hint("write `items:` as a list of objects (each line starting with `- `)"))
                    }
                    None => {}
                }
                if let Some(Value::Array(items)) = m.get("items") {
                    // Only kyaml's own unwrapping (of `List` and
                    // `ResourceList`) keeps the items' source texts; other
                    // lists are expanded through JSON.
                    let own = matches!(kind, "List" | "ResourceList");
                    for (i, item) in items.clone().into_iter().enumerate() {
                        let item_slot = (own && slot == Some(None)).then_some(Some(i));
                        push_object(out, item, origin, raw, notes, item_slot)?;
                    }
                }
                return Ok(());
            }
            if m.is_empty() {
                return Ok(());
            }
            if kind.is_empty() {
                return Err(err("resource has no `kind`".into()).hint(
                    "every Kubernetes object needs `apiVersion`, `kind` and `metadata.name`",
                ));
            }
            let name = m
                .get("metadata")
                .and_then(|md| md.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if name.is_empty()
                && m.get("metadata")
                    .and_then(|md| md.get("generateName"))
                    .is_none()
            {
                if let Some(n) = m
                    .get("metadata")
                    .and_then(|md| md.get("name"))
                    .filter(|n| !n.is_null())
                {
                    // kustomize takes the number and prints it unquoted,
                    // which no API server accepts (README, compatibility).
                    return Err(err(format!(
                        "{kind} has `metadata.name` {}, not a string",
                        crate::yaml::describe(n)
                    ))
                    .hint("quote the name (e.g. name: \"12345\"): object names are strings"));
                }
                return Err(err(format!("{kind} has no `metadata.name`"))
                    .hint("give the object a name under `metadata:`"));
            }
            let mut r = Resource::new(v, Some(origin.clone()));
            if let Some(slot) = slot {
                r.raw = raw
                    .iter()
                    .filter(|(item, _)| *item == slot)
                    .map(|(_, s)| s.clone())
                    .collect();
                r.notes = match slot {
                    None => notes.clone(),
                    Some(i) => notes.under(&[
                        crate::path::Step::Key("items".into()),
                        crate::path::Step::Index(i),
                    ]),
                };
            }
            out.push(r);
            Ok(())
        }
        other => Err(err(format!(
            "expected a Kubernetes object (a mapping), found {}",
            crate::yaml::describe(&other)
        ))),
    }
}

fn is_list_kind(kind: &str) -> bool {
    kind == "List" || (kind.ends_with("List") && kind.len() > 4)
}

/// Lexically clean a path (for messages about paths that do not exist).
pub fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn dir_err(dir: &Path, e: &std::io::Error) -> Error {
    let base = Error::new(
        ErrorKind::Io,
        format!("cannot open the folder: {}", io_reason(e)),
    )
    .file(dir);
    match e.raw_os_error() {
        Some(code) if code == name_too_long() => base.hint(
            "its absolute path is longer than the system allows (PATH_MAX); run kcompile from a shallower folder or shorten the path",
        ),
        _ if e.kind() == std::io::ErrorKind::PermissionDenied => {
            base.hint("kcompile needs read and search (x) permission on the overlay's folder")
        }
        _ => base,
    }
}

#[cfg(target_os = "linux")]
fn name_too_long() -> i32 {
    libc::ENAMETOOLONG
}

#[cfg(not(target_os = "linux"))]
fn name_too_long() -> i32 {
    63
}
