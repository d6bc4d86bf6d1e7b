//! A git revision as an input tree, for `kcompile diff --base REF`: the
//! revision's tree is listed once (`git ls-tree`) and files are read from
//! git's objects on demand (one `git cat-file --batch` process), so it
//! compiles like the working tree without checking anything out: the
//! working tree and the index are never touched.
//!
//! The git command rather than a library: it reads every object format and
//! extension the user's repository uses (packs, partial clones, alternates,
//! SHA-256) exactly as the user's git does, it is on every machine that
//! has the repository, and it adds no crate to keep up to date.
//!
//! Paths are those of the working tree (the repository's top folder), so
//! both sides of a comparison name files alike. A symlink stored in git is
//! a symlink here (resolved as on disk, under the same load restriction);
//! a submodule is named, not read.

use super::memory::Memory;
use super::source::{Entry, Source};
use crate::error::{Error, ErrorKind, Result};
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

/// One revision's tree.
pub struct Revision {
    /// The commit REF names.
    pub commit: String,
    /// The repository's top folder (paths below it are the tree's).
    pub root: PathBuf,
    tree: Memory,
    reader: Mutex<Option<CatFile>>,
}

struct CatFile {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    // Never prompt, never run a pager, never read a replaced object list.
    c.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

fn git_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, msg).hint("--base needs the `git` command and a repository that holds the revision (in CI, fetch it: `git fetch origin main`)")
}

fn output(mut c: Command, what: &str) -> Result<Vec<u8>> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| git_err(format!("cannot run git to {what}: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(git_err(format!("git could not {what}: {}", err.trim())));
    }
    Ok(out.stdout)
}

/// The top folder of the repository holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf> {
    let mut c = git(dir);
    c.args(["rev-parse", "--show-toplevel"]);
    let out = output(c, "find the repository")?;
    let s = String::from_utf8_lossy(&out);
    Ok(PathBuf::from(s.trim_end_matches(['\n', '\r'])))
}

impl Revision {
    /// Read the tree of `rev` (a branch, tag, commit, `HEAD~1`…) of the
    /// repository holding `dir`.
    pub fn read(dir: &Path, rev: &str) -> Result<Revision> {
        if rev.starts_with('-') || rev.is_empty() || rev.contains(['\0', '\n']) {
            return Err(git_err(format!("`{rev}` is not a revision")));
        }
        let root = toplevel(dir)?;
        let mut c = git(&root);
        c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"));
        let commit = output(c, &format!("find the revision `{rev}`"))
            .ok()
            .map(|o| String::from_utf8_lossy(&o).trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                git_err(format!(
                    "no commit `{rev}` in the repository at {}",
                    crate::error::shown(&root)
                ))
            })?;
        let mut c = git(&root);
        c.args(["ls-tree", "-r", "-z", "--full-tree"]).arg(&commit);
        let listing = output(c, &format!("list the files of `{rev}`"))?;
        let mut tree = Memory::new();
        tree.dir(&root);
        for rec in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let Some(tab) = rec.iter().position(|b| *b == b'\t') else {
                continue;
            };
            let head = String::from_utf8_lossy(&rec[..tab]);
            let rel = path_of(&rec[tab + 1..]);
            let mut parts = head.split(' ');
            let (mode, kind, oid) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("").to_string(),
            );
            let path = root.join(rel);
            match (mode, kind) {
                ("120000", "blob") => {
                    let target = read_blob(&root, &oid)?;
                    tree.symlink(path, path_of(&target));
                }
                (_, "blob") => {
                    tree.object(path, oid);
                }
                (_, "commit") => {
                    tree.unreadable(
                        path,
                        format!("a git submodule in `{rev}`; --base reads the superproject's objects only (compare a submodule's content from its own repository)"),
                    );
                }
                _ => {}
            }
        }
        Ok(Revision {
            commit,
            root,
            tree,
            reader: Mutex::new(None),
        })
    }

    fn blob(&self, oid: &str, path: &Path) -> Result<Vec<u8>> {
        let mut guard = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let mut c = git(&self.root);
            c.args(["cat-file", "--batch"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            let mut child = c
                .spawn()
                .map_err(|e| git_err(format!("cannot run git to read objects: {e}")))?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(git_err("cannot talk to git cat-file"));
            };
            *guard = Some(CatFile {
                child,
                stdin,
                stdout: BufReader::new(stdout),
            });
        }
        let Some(cat) = guard.as_mut() else {
            return Err(git_err("cannot talk to git cat-file"));
        };
        let fail = |e: io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read the file from git's objects: {e}"),
            )
            .file(path)
        };
        writeln!(cat.stdin, "{oid}")
            .and_then(|_| cat.stdin.flush())
            .map_err(fail)?;
        let mut head = String::new();
        cat.stdout.read_line(&mut head).map_err(fail)?;
        let size: u64 = head
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|_| !head.ends_with(" missing\n"))
            .ok_or_else(|| fail(io::Error::other(format!("git answered {:?}", head.trim()))))?;
        let limit = crate::limits::file_bytes();
        let mut buf = Vec::new();
        if size > limit {
            // Skipped unread, so the process's answers stay in step.
            io::copy(&mut (&mut cat.stdout).take(size), &mut io::sink()).map_err(fail)?;
        } else {
            buf.reserve(size as usize);
            (&mut cat.stdout)
                .take(size)
                .read_to_end(&mut buf)
                .map_err(fail)?;
        }
        let mut nl = [0u8; 1];
        cat.stdout.read_exact(&mut nl).map_err(fail)?;
        if size > limit {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "file is too large ({size} bytes; the limit for one file is {limit}, {})",
                    crate::limits::FILE_BYTES_ENV
                ),
            )
            .file(path)
            .hint(crate::limits::hint(crate::limits::FILE_BYTES_ENV)));
        }
        Ok(buf)
    }
}

impl Drop for Revision {
    fn drop(&mut self) {
        if let Some(mut cat) = self.reader.get_mut().ok().and_then(Option::take) {
            drop(cat.stdin);
            let _ = cat.child.wait();
        }
    }
}

/// A blob read once, outside the batch process (symlink targets, at load).
fn read_blob(root: &Path, oid: &str) -> Result<Vec<u8>> {
    let mut c = git(root);
    c.args(["cat-file", "blob", oid]);
    output(c, "read a symlink's target")
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

impl Source for Revision {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.tree.canonicalize(path)
    }

    fn entry(&self, path: &Path) -> io::Result<Entry> {
        self.tree.entry(path)
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>> {
        match self.tree.object_id(path) {
            Some(oid) => self.blob(&oid, path),
            None => self.tree.read(path),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        self.tree.list(dir)
    }
}
