//! Reading the input tree: kustomization files and the files they name.
//!
//! The only module that touches the input filesystem. It enforces kustomize's
//! default load restriction ("root only"): a file named by a kustomization
//! must lie in or below that kustomization's directory, after symlinks are
//! resolved. Directories (bases, components) may lie elsewhere; each becomes
//! a new root. Only regular files are read, so a FIFO or device named in a
//! kustomization is refused rather than blocking the build.

use crate::error::{Error, ErrorKind, Result};
use crate::limits;
use crate::model::resource::{Origin, Resource};
use crate::yaml;
use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::io::Read;
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
#[derive(Default)]
pub struct Loader {
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
    pub fn new() -> Loader {
        Loader::default()
    }

    /// A loader for a single build: resource files are parsed on each
    /// request and their documents handed over, not cached.
    pub fn single_use() -> Loader {
        Loader {
            single_use: true,
            ..Loader::default()
        }
    }

    /// Resolve `rel` (as written in the kustomization in `root`) to a
    /// canonical path, without applying the restriction.
    pub fn resolve(&self, root: &Path, rel: &str) -> Result<Target> {
        if rel.contains("://") || rel.starts_with("git@") || rel.starts_with("github.com/") {
            return Err(Error::new(
                ErrorKind::Io,
                format!("remote resource `{rel}` is not supported"),
            )
            .hint("vendor the remote base into the repository and refer to it by a local path"));
        }
        let joined = root.join(rel);
        let canon = fs::canonicalize(&joined).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read `{rel}`: {}", io_reason(&e)),
            )
            .file(clean(&joined))
            .hint("check the path in the kustomization; paths are relative to the kustomization's directory")
        })?;
        let md = fs::metadata(&canon).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read `{rel}`: {}", io_reason(&e)),
            )
            .file(&canon)
        })?;
        if md.is_dir() {
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
                    file.display(),
                    root.display()
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
                let bytes = read_file(&f)?;
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
            .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()))
            .collect();
        match found.len() {
            0 => Err(Error::new(
                ErrorKind::Kustomization,
                format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                    dir.display()
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
                let canon = fs::canonicalize(&found[0]).map_err(|e| {
                    Error::new(
                        ErrorKind::Io,
                        format!("cannot read kustomization file: {}", io_reason(&e)),
                    )
                    .file(&found[0])
                })?;
                self.restrict(dir, &canon, &name)
                    .map_err(|e| e.file(&found[0]))?;
                let bytes = read_file(&canon).map_err(|e| {
                    let mut e = e;
                    e.file = Some(found[0].clone());
                    e
                })?;
                Ok((found[0].clone(), bytes))
            }
            _ => Err(Error::new(
                ErrorKind::Kustomization,
                format!("found multiple kustomization files under: {}", dir.display()),
            )
            .hint("keep exactly one of kustomization.yaml, kustomization.yml, Kustomization")),
        }
    }

    /// Read and parse a file of resources (a canonical path), both only on
    /// the first request for it in this `Loader`.
    pub fn load_parsed(&self, path: &Path) -> Result<Arc<yaml::Stream>> {
        self.cached(path, || read_file(path))
    }

    /// The documents of a file of resources, owned: parsed now for a
    /// single-use loader, else copied out of the cache.
    pub fn load_docs(&self, path: &Path) -> Result<yaml::Stream> {
        if self.single_use {
            self.parses.fetch_add(1, Ordering::Relaxed);
            return parse_resources(path, &read_file(path)?);
        }
        Ok(self.load_parsed(path)?.as_ref().clone())
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

fn decode_error(path: &Path, e: yaml::YamlError) -> Error {
    Error::new(ErrorKind::Yaml, e.message)
        .file(path)
        .pos(e.line, e.col)
        .hint("YAML files must be UTF-8 (or UTF-16 with a byte order mark); binary files belong in a generator's `files:`")
}

fn yaml_error(path: &Path, e: yaml::YamlError) -> Error {
    Error::new(ErrorKind::Yaml, format!("invalid YAML: {}", e.message))
        .file(path)
        .pos(e.line, e.col)
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

/// Read a regular file, refusing FIFOs, devices and oversized files.
///
/// `path` is the canonical path the load restriction checked. It is opened
/// with no symlink allowed anywhere on the way (`open_checked`), so the
/// file read is the file checked: a folder swapped for a symlink after the
/// check makes the open fail instead of reaching outside the root. The
/// type and size are checked on the opened file, which is opened without
/// blocking (a FIFO swapped in cannot hold the build).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let cannot = |e: &std::io::Error| {
        Error::new(ErrorKind::Io, format!("cannot read file: {}", io_reason(e))).file(path)
    };
    let f = open_checked(path).map_err(|e| {
        if is_swapped(&e) {
            Error::new(
                ErrorKind::Restriction,
                "security; the path changed after the load restriction checked it (a symlink appeared on it); refusing to follow it",
            )
            .file(path)
            .hint("something is modifying the tree while kcompile reads it; build from a tree that does not change")
        } else {
            cannot(&e)
        }
    })?;
    let md = f.metadata().map_err(|e| cannot(&e))?;
    if !md.is_file() {
        return Err(Error::new(
            ErrorKind::Io,
            "not a regular file (a FIFO, socket or device); refusing to read it",
        )
        .file(path));
    }
    let limit = limits::file_bytes();
    let too_large = |len: u64| {
        Error::new(
            ErrorKind::Io,
            format!(
                "file is too large ({len} bytes; the limit for one file is {limit}, {})",
                limits::FILE_BYTES_ENV
            ),
        )
        .file(path)
        .hint(limits::hint(limits::FILE_BYTES_ENV))
    };
    if md.len() > limit {
        return Err(too_large(md.len()));
    }
    let mut buf = Vec::with_capacity(md.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| cannot(&e))?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64));
    }
    Ok(buf)
}

/// An open that failed because a symlink (or a non-folder) appeared where
/// the restriction's check found a plain path.
fn is_swapped(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        matches!(
            e.raw_os_error(),
            Some(libc::ELOOP) | Some(libc::ENOTDIR) | Some(libc::EXDEV)
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = e;
        false
    }
}

/// Open the canonical `path` for reading, following no symlink on the way.
/// `openat2(RESOLVE_NO_SYMLINKS)` where the kernel has it (Linux 5.6+);
/// else a walk from `/` opening each component with `O_NOFOLLOW`, which
/// gives the same guarantee one component at a time.
#[cfg(target_os = "linux")]
fn open_checked(path: &Path) -> std::io::Result<fs::File> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::sync::atomic::AtomicBool;
    // Set once openat2 answered ENOSYS (an old kernel, or a seccomp filter
    // that does not know it), so the fallback is not re-probed per file.
    static NO_OPENAT2: AtomicBool = AtomicBool::new(false);
    let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        // SAFETY: open_how is plain data; zeroed then filled.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = flags as u64;
        how.resolve = libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: valid C string and open_how of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                libc::AT_FDCWD,
                c.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: a fresh fd owned by nobody else.
            return Ok(unsafe { fs::File::from_raw_fd(fd as i32) });
        }
        let e = std::io::Error::last_os_error();
        // EAGAIN: the kernel asks to retry (a concurrent rename); the walk
        // below is as strict and does not need it.
        if !matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EAGAIN)) {
            return Err(e);
        }
        if e.raw_os_error() == Some(libc::ENOSYS) {
            NO_OPENAT2.store(true, Ordering::Relaxed);
        }
    }
    open_walk(path, flags)
}

/// The fallback of `open_checked`: every component opened relative to the
/// one before, with `O_NOFOLLOW`.
#[cfg(target_os = "linux")]
fn open_walk(path: &Path, flags: i32) -> std::io::Result<fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let open_at = |dir: i32, name: &std::ffi::OsStr, flags: i32| -> std::io::Result<OwnedFd> {
        let c = std::ffi::CString::new(name.as_bytes())
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: valid C string; the fd returned is owned by the result.
        let fd =
            unsafe { libc::openat(dir, c.as_ptr(), flags | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
        if fd < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    };
    let names: Vec<&std::ffi::OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(Ok(n)),
            Component::RootDir => None,
            // A canonical path has neither; refuse rather than interpret.
            _ => Some(Err(())),
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    if !path.is_absolute() || names.is_empty() {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut dir = open_at(
        libc::AT_FDCWD,
        std::ffi::OsStr::new("/"),
        libc::O_PATH | libc::O_DIRECTORY,
    )?;
    for n in &names[..names.len() - 1] {
        dir = open_at(dir.as_raw_fd(), n, libc::O_PATH | libc::O_DIRECTORY)?;
    }
    let f = open_at(dir.as_raw_fd(), names[names.len() - 1], flags)?;
    Ok(fs::File::from(f))
}

#[cfg(not(target_os = "linux"))]
fn open_checked(path: &Path) -> std::io::Result<fs::File> {
    fs::File::open(path)
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
                            crate::input::kustomization::describe(other)
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
                        crate::input::kustomization::describe(n)
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
                        crate::model::aliases::Step::Key("items".into()),
                        crate::model::aliases::Step::Index(i),
                    ]),
                };
            }
            out.push(r);
            Ok(())
        }
        other => Err(err(format!(
            "expected a Kubernetes object (a mapping), found {}",
            crate::input::kustomization::describe(&other)
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
