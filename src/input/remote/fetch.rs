//! Fetching remote bases with the system `git`, into a cache on disk: the
//! IO edge of remote bases (see clippy.toml), as `input::disk` is for the
//! tree and `output::write` for the GitOps folder.
//!
//! Why the `git` command and not a library: it is the git the user already
//! has working for these URLs — credential helpers, `~/.ssh/config` and
//! agents, `insteadOf` rewrites, proxies, custom CAs, LFS — so a URL that
//! `git clone` can fetch, kcompile can fetch, with nothing to configure
//! twice. kubectl/kustomize, Argo CD and Flux shell out for the same reason.
//!
//! A fetch is kustomize's (`api/internal/git/cloner.go`): `git init`,
//! `git fetch --depth=1 URL REF` (no ref: the remote's HEAD), `git checkout
//! FETCH_HEAD`, `git submodule update --init --recursive` (unless
//! `submodules=false`). Every command runs under the URL's timeout (killed,
//! with its process group, when it expires), with `GIT_TERMINAL_PROMPT=0`
//! and no stdin, so nothing waits for a password.
//!
//! Cache (`$XDG_CACHE_HOME/kcompile`, else `~/.cache/kcompile`):
//!
//! ```text
//! git/<sha256(URL)[..16]>/url                  the URL, credentials redacted
//! git/<sha256(URL)[..16]>/<commit>/            the checkout (without .git)
//! git/<sha256(URL)[..16]>/<commit>-nosubmodules/
//! git/<sha256(URL)[..16]>/refs/<sha256(ref)[..16]>   "commit kind ref" of the
//!                                              last online resolution
//! ```
//!
//! A checkout is fetched into a temporary folder beside it and renamed into
//! place when complete, so a concurrent kcompile sees a whole tree or none;
//! a commit already in the cache is used without the network. In one
//! process each URL, ref and submodules setting is resolved once (one slot
//! each, filled by the first build that asks while the others wait), also
//! when clusters build in parallel.

#![allow(clippy::disallowed_methods)] // the remote-base IO edge: see clippy.toml

use super::lock::Lock;
use super::url::{is_full_commit, redact_text, RemoteSpec};
use super::{Fetched, Remote};
use crate::error::{Error, ErrorKind, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The cache's top folder: `$XDG_CACHE_HOME/kcompile` (an absolute
/// `XDG_CACHE_HOME` only, as the XDG spec says), else
/// `$HOME/.cache/kcompile`.
pub fn cache_root() -> Option<PathBuf> {
    let abs = |v: Option<std::ffi::OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    abs(std::env::var_os("XDG_CACHE_HOME"))
        .map(|p| p.join("kcompile"))
        .or_else(|| abs(std::env::var_os("HOME")).map(|h| h.join(".cache").join("kcompile")))
}

/// The folder below which every checkout lies (for [`super::Layered`]),
/// created if need be.
pub fn checkouts_root() -> Option<PathBuf> {
    let root = cache_root()?.join("git");
    let _ = fs::create_dir_all(&root);
    // The cache may be reached through a symlink; checkouts are named by
    // their canonical paths.
    Some(fs::canonicalize(&root).unwrap_or(root))
}

/// How a ref was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tag,
    Branch,
    /// No ref: the remote's HEAD (its default branch).
    Default,
    /// A full commit id, or a pin of the lock file.
    Commit,
    /// Another ref (`refs/pull/1/head`…).
    Other,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::Branch => "branch",
            Kind::Default => "default",
            Kind::Commit => "commit",
            Kind::Other => "other",
        }
    }
    fn from_name(s: &str) -> Kind {
        match s {
            "tag" => Kind::Tag,
            "branch" => Kind::Branch,
            "default" => Kind::Default,
            "commit" => Kind::Commit,
            _ => Kind::Other,
        }
    }
}

type Slot = Arc<OnceLock<Result<Fetched>>>;

/// Remote bases through the system `git` and the cache.
pub struct GitFetcher {
    cache: Option<PathBuf>,
    offline: bool,
    /// The lock file (its path, for messages) and its pins.
    lock: Option<(PathBuf, Lock)>,
    /// `kcompile lock`: resolve every ref afresh, ignoring the pins.
    relock: bool,
    slots: Mutex<HashMap<(String, String, bool), Slot>>,
    resolved: Mutex<Lock>,
    fetches: AtomicUsize,
}

impl GitFetcher {
    /// A fetcher using the cache at `cache` (`None`: no cache folder could
    /// be found; every remote base is then an error saying so).
    pub fn new(cache: Option<PathBuf>, offline: bool) -> GitFetcher {
        GitFetcher {
            cache,
            offline,
            lock: None,
            relock: false,
            slots: Mutex::default(),
            resolved: Mutex::default(),
            fetches: AtomicUsize::new(0),
        }
    }

    /// Use the pins of the lock file at `path`.
    pub fn with_lock(mut self, path: PathBuf, lock: Lock) -> GitFetcher {
        self.lock = Some((path, lock));
        self
    }

    /// Ignore the lock file's pins and resolve every ref (`kcompile lock`).
    pub fn relocking(mut self) -> GitFetcher {
        self.relock = true;
        self
    }

    /// Every remote base resolved so far, as lock file pins.
    pub fn resolved(&self) -> Lock {
        self.resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many `git fetch` runs this fetcher made.
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    fn resolve(&self, spec: &RemoteSpec) -> Result<Fetched> {
        let cache = self.cache.clone().ok_or_else(|| {
            spec_err(
                spec,
                "no cache folder: neither XDG_CACHE_HOME nor HOME is set to an absolute path",
            )
            .hint("set XDG_CACHE_HOME (or HOME) so kcompile can keep fetched repositories")
        })?;
        let shown = spec.shown_url();
        let repo_dir = cache.join("git").join(short_hash(&shown));
        let suffix = if spec.submodules { "" } else { "-nosubmodules" };
        let mut warnings = Vec::new();
        let pinned = match &self.lock {
            Some((_, lock)) if !self.relock => {
                let p = lock.get(spec).map(str::to_string);
                if p.is_none() {
                    warnings.push(format!(
                        "warning: remote base {} (ref {}) is not in {}; its ref is resolved on each build\n  hint: run `kcompile lock` to pin it",
                        spec.shown_raw(),
                        shown_ref(spec),
                        crate::error::shown(&self.lock.as_ref().map(|l| l.0.clone()).unwrap_or_default())
                    ));
                }
                p
            }
            _ => None,
        };
        let record = repo_dir.join("refs").join(short_hash(&spec.reference));
        // The commit wanted and how the ref resolved to it; `None`: only a
        // fetch will tell (a branch resolved online).
        let (want, kind): (Option<String>, Kind) = if let Some(c) = pinned {
            (Some(c), Kind::Commit)
        } else if spec.ref_is_commit() {
            (Some(spec.reference.to_ascii_lowercase()), Kind::Commit)
        } else if self.offline {
            match read_record(&record) {
                Some((c, k)) => (Some(c), k),
                None => {
                    return Err(spec_err(
                        spec,
                        "--offline: this remote base was never fetched, so its ref cannot be resolved from the cache",
                    )
                    .hint("run once without --offline (or run `kcompile lock`) to fetch it into the cache"))
                }
            }
        } else {
            let (c, k) = self.ls_remote(spec)?;
            (Some(c), k)
        };
        let checkout = match want
            .as_deref()
            .map(|c| repo_dir.join(format!("{c}{suffix}")))
        {
            Some(dir) if dir.is_dir() => dir,
            _ if self.offline => return Err(spec_err(
                spec,
                &format!(
                    "--offline: commit {} is not in the cache",
                    want.as_deref().unwrap_or("?")
                ),
            )
            .hint(
                "run once without --offline (or run `kcompile lock`) to fetch it into the cache",
            )),
            _ => self.fetch_into_cache(spec, &repo_dir, want.as_deref(), kind, suffix)?,
        };
        let commit = checkout
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(suffix).to_string())
            .unwrap_or_default();
        if !self.offline && !matches!(kind, Kind::Commit) {
            write_record(&record, &commit, kind, &spec.reference);
        }
        match kind {
            Kind::Branch => warnings.push(format!(
                "warning: remote base {}: ref `{}` is a branch; it resolved to commit {commit}{}; pin a tag or commit (or run `kcompile lock`)",
                spec.shown_raw(),
                spec.reference,
                if self.offline { " (when last fetched; --offline)" } else { "" }
            )),
            Kind::Default => warnings.push(format!(
                "warning: remote base {}: no ref given, so the default branch is used; it resolved to commit {commit}{}; pin a tag or commit (or run `kcompile lock`)",
                spec.shown_raw(),
                if self.offline { " (when last fetched; --offline)" } else { "" }
            )),
            _ => {}
        }
        self.resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec, &commit);
        let checkout = fs::canonicalize(&checkout).unwrap_or(checkout);
        Ok(Fetched {
            checkout,
            commit,
            warnings,
        })
    }

    /// The commit `spec`'s ref names on the remote, and what kind of ref it
    /// is (`git ls-remote`; git's own precedence: `refs/REF`, then tags,
    /// then branches).
    fn ls_remote(&self, spec: &RemoteSpec) -> Result<(String, Kind)> {
        let url = spec.url();
        let out = if spec.reference.is_empty() {
            run_git(
                None,
                &["ls-remote", "--symref", &url, "HEAD"],
                spec,
                "git ls-remote",
            )?
        } else {
            run_git(
                None,
                &["ls-remote", &url, &spec.reference],
                spec,
                "git ls-remote",
            )?
        };
        let refs: Vec<(&str, &str)> = out
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter(|(oid, _)| is_full_commit(oid))
            .collect();
        let find = |name: &str| {
            let peeled = format!("{name}^{{}}");
            refs.iter()
                .find(|(_, r)| *r == peeled)
                .or_else(|| refs.iter().find(|(_, r)| *r == name))
                .map(|(o, _)| o.to_string())
        };
        if spec.reference.is_empty() {
            return find("HEAD").map(|c| (c, Kind::Default)).ok_or_else(|| {
                spec_err(spec, "the repository has no HEAD (an empty repository?)")
            });
        }
        let r = &spec.reference;
        let candidates = [
            (
                r.clone(),
                if r.starts_with("refs/tags/") {
                    Kind::Tag
                } else if r.starts_with("refs/heads/") {
                    Kind::Branch
                } else {
                    Kind::Other
                },
            ),
            (
                format!("refs/{r}"),
                if r.starts_with("tags/") {
                    Kind::Tag
                } else if r.starts_with("heads/") {
                    Kind::Branch
                } else {
                    Kind::Other
                },
            ),
            (format!("refs/tags/{r}"), Kind::Tag),
            (format!("refs/heads/{r}"), Kind::Branch),
        ];
        for (name, kind) in candidates {
            if name.starts_with("refs/") {
                if let Some(c) = find(&name) {
                    return Ok((c, kind));
                }
            }
        }
        Err(
            spec_err(spec, "no branch or tag of that name on the remote").hint(
                "check the `ref=` of the URL; a commit must be given as its full 40-digit id",
            ),
        )
    }

    /// Fetch `spec` (at `want`, a commit, when known; else its ref) into a
    /// temporary folder, then move it into the cache as `<commit><suffix>`.
    fn fetch_into_cache(
        &self,
        spec: &RemoteSpec,
        repo_dir: &Path,
        want: Option<&str>,
        kind: Kind,
        suffix: &str,
    ) -> Result<PathBuf> {
        fs::create_dir_all(repo_dir).map_err(|e| {
            spec_err(
                spec,
                &format!("cannot create the cache folder {}: {e}", repo_dir.display()),
            )
        })?;
        let _ = fs::write(repo_dir.join("url"), format!("{}\n", spec.shown_url()));
        remove_stale_temp_dirs(repo_dir);
        let tmp = temp_dir(repo_dir).map_err(|e| {
            spec_err(
                spec,
                &format!(
                    "cannot create a folder in the cache {}: {e}",
                    repo_dir.display()
                ),
            )
        })?;
        let done = self.fetch_checkout(spec, &tmp, want, kind);
        let commit = match done {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        let dest = repo_dir.join(format!("{commit}{suffix}"));
        if let Err(e) = fs::rename(&tmp, &dest) {
            let _ = fs::remove_dir_all(&tmp);
            // Another kcompile put the same commit in place first.
            if !dest.is_dir() {
                return Err(spec_err(
                    spec,
                    &format!(
                        "cannot move the checkout into the cache {}: {e}",
                        dest.display()
                    ),
                ));
            }
        }
        if let Ok(d) = fs::File::open(repo_dir) {
            let _ = d.sync_all();
        }
        Ok(dest)
    }

    /// kustomize's clone, in `dir`; returns the commit checked out.
    fn fetch_checkout(
        &self,
        spec: &RemoteSpec,
        dir: &Path,
        want: Option<&str>,
        kind: Kind,
    ) -> Result<String> {
        let url = spec.url();
        run_git(Some(dir), &["init", "-q"], spec, "git init")?;
        // A pin or a full commit id is fetched by id (git's protocol v2
        // allows any commit); a ref by its name, as kustomize does.
        let what: &str = match (kind, want) {
            (Kind::Commit, Some(c)) => c,
            _ if spec.reference.is_empty() => "HEAD",
            _ => &spec.reference,
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        run_git(
            Some(dir),
            &["fetch", "--depth=1", "--no-tags", "-q", &url, what],
            spec,
            "git fetch",
        )?;
        let commit = run_git(
            Some(dir),
            &["rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}"],
            spec,
            "git rev-parse",
        )?
        .trim()
        .to_string();
        if !is_full_commit(&commit) {
            return Err(spec_err(spec, "git fetch gave no commit"));
        }
        run_git(
            Some(dir),
            &[
                "-c",
                "advice.detachedHead=false",
                "checkout",
                "-q",
                "FETCH_HEAD",
            ],
            spec,
            "git checkout",
        )?;
        if spec.submodules {
            run_git(
                Some(dir),
                &["submodule", "update", "--init", "--recursive", "--depth=1"],
                spec,
                "git submodule update",
            )?;
        }
        // The checkout is the tree at the commit; git's own folder is not
        // part of it (nor kept: a fetch is one commit, never updated).
        let _ = fs::remove_dir_all(dir.join(".git"));
        Ok(commit)
    }
}

impl Remote for GitFetcher {
    fn fetch(&self, spec: &RemoteSpec) -> Result<Fetched> {
        let slot = {
            let mut m = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            m.entry((spec.url(), spec.reference.clone(), spec.submodules))
                .or_default()
                .clone()
        };
        slot.get_or_init(|| self.resolve(spec)).clone()
    }
}

fn shown_ref(spec: &RemoteSpec) -> String {
    if spec.reference.is_empty() {
        "(none: the default branch)".into()
    } else {
        format!("`{}`", spec.reference)
    }
}

/// An error about the remote base `spec`: names its URL (redacted) and ref.
fn spec_err(spec: &RemoteSpec, msg: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "remote base {} (ref {}): {}",
            spec.shown_url(),
            shown_ref(spec),
            redact_text(msg, &spec.secrets())
        ),
    )
}

fn short_hash(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn read_record(path: &Path) -> Option<(String, Kind)> {
    let text = crate::input::disk::read_regular(path, 4096).ok()?;
    let text = String::from_utf8(text).ok()?;
    let mut parts = text.split_whitespace();
    let commit = parts.next().filter(|c| is_full_commit(c))?.to_string();
    let kind = Kind::from_name(parts.next().unwrap_or(""));
    Some((commit, kind))
}

/// Write the record of a ref's resolution, atomically (a temporary file
/// renamed over it). Best effort: a failure only costs `--offline` later.
fn write_record(path: &Path, commit: &str, kind: Kind, reference: &str) {
    let Some(dir) = path.parent() else { return };
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let _ = write_atomic(
        path,
        format!("{commit} {} {reference}\n", kind.name()).as_bytes(),
    );
}

/// Write `bytes` to `path` atomically: a temporary file beside it,
/// flushed, renamed over it, the folder synced (as `output::write` does
/// for folders).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.kcompile-tmp-{}-{}",
        std::process::id(),
        nanos()
    ));
    let res = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    res
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn temp_dir(parent: &Path) -> std::io::Result<PathBuf> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = parent.join(format!(
        ".tmp-{}-{}-{}",
        std::process::id(),
        nanos(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&p)?;
    Ok(p)
}

/// Remove `.tmp-PID-…` folders left by a kcompile that died mid-fetch (its
/// PID no longer running; Linux only, where /proc says).
fn remove_stale_temp_dirs(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(rd) = fs::read_dir(parent) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(".tmp-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Run git (in `dir`, or nowhere in particular) under `spec`'s timeout;
/// its stdout on success, else an error with its stderr, redacted.
fn run_git(dir: Option<&Path>, args: &[&str], spec: &RemoteSpec, what: &str) -> Result<String> {
    let mut c = Command::new("git");
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so a timeout kills what git started too
        // (ssh, git-remote-https), and a prompt on the terminal stops it
        // instead of waiting for the user.
        use std::os::unix::process::CommandExt;
        c.process_group(0);
    }
    let mut child = c.spawn().map_err(|e| {
        spec_err(spec, &format!("cannot run `git`: {e}"))
            .hint("remote bases are fetched with the `git` command; install git, or vendor the base into the repository")
    })?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(o) = stdout.as_mut() {
            let _ = o.take(64 << 20).read_to_end(&mut s);
        }
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.take(1 << 20).read_to_end(&mut s);
        }
        s
    });
    let deadline = Instant::now() + spec.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err);
    let err = err
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("hint:"))
        .collect::<Vec<_>>()
        .join("\n");
    match status {
        None => Err(spec_err(
            spec,
            &format!(
                "{what} did not finish within {}s and was stopped",
                spec.timeout.as_secs_f64()
            ),
        )
        .hint("a slow remote can be given more time with `?timeout=` in the URL (seconds or a Go duration, e.g. 2m)")),
        Some(s) if s.success() => Ok(String::from_utf8_lossy(&out).into_owned()),
        Some(_) => Err(spec_err(
            spec,
            &format!("{what} failed: {}", err.trim()),
        )
        .hint("the URL is fetched with your git (its credentials, ssh config, proxies); check that `git ls-remote URL` works")),
    }
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: signalling the process group this fetch created.
        unsafe {
            libc::kill(-(child.id() as i32), libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_hashes_stably() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("kcompile.lock");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
        assert_eq!(short_hash("x").len(), 16);
        let r = t.path().join("refs").join("r");
        write_record(&r, &"b".repeat(40), Kind::Branch, "main");
        assert_eq!(read_record(&r), Some(("b".repeat(40), Kind::Branch)));
    }
}
