//! An input tree held in memory: what tests compile without a temporary
//! folder, and the shape a tree read from git objects takes. Symlinks are
//! resolved as the kernel resolves them (relative to their folder, at most
//! 40 in one lookup).

use super::source::{Entry, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::limits;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone)]
enum Node {
    File(Vec<u8>),
    /// A file whose bytes another source reads (a git object id).
    Object(String),
    Dir,
    Symlink(PathBuf),
    /// Present, but not to be read (why: a git submodule).
    Unreadable(String),
}

/// Files, folders and symlinks by absolute path; parent folders exist
/// implicitly.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    nodes: BTreeMap<PathBuf, Node>,
}

const MAX_LINKS: usize = 40;

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

impl Memory {
    pub fn new() -> Memory {
        let mut m = Memory::default();
        m.nodes.insert(PathBuf::from("/"), Node::Dir);
        m
    }

    fn add_parents(&mut self, path: &Path) {
        for a in path.ancestors().skip(1) {
            self.nodes.entry(a.to_path_buf()).or_insert(Node::Dir);
        }
    }

    /// Add a file at the absolute `path` (parents created).
    pub fn file(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> &mut Memory {
        let path = path.into();
        self.add_parents(&path);
        self.nodes.insert(path, Node::File(bytes.into()));
        self
    }

    /// Add a file whose bytes are read elsewhere: [`Memory::object_id`]
    /// gives `id` back for its path.
    pub fn object(&mut self, path: impl Into<PathBuf>, id: String) -> &mut Memory {
        let path = path.into();
        self.add_parents(&path);
        self.nodes.insert(path, Node::Object(id));
        self
    }

    /// Add an entry that exists but cannot be read or entered; `why` says
    /// what it is.
    pub fn unreadable(&mut self, path: impl Into<PathBuf>, why: String) -> &mut Memory {
        let path = path.into();
        self.add_parents(&path);
        self.nodes.insert(path, Node::Unreadable(why));
        self
    }

    /// The object id of the file at the canonical `path`, if it is one.
    pub fn object_id(&self, path: &Path) -> Option<String> {
        match self.nodes.get(path) {
            Some(Node::Object(id)) => Some(id.clone()),
            _ => None,
        }
    }

    /// Add an empty folder.
    pub fn dir(&mut self, path: impl Into<PathBuf>) -> &mut Memory {
        let path = path.into();
        self.add_parents(&path);
        self.nodes.insert(path, Node::Dir);
        self
    }

    /// Add a symlink at `path` pointing at `target` (as `ln -s target path`).
    pub fn symlink(&mut self, path: impl Into<PathBuf>, target: impl Into<PathBuf>) -> &mut Memory {
        let path = path.into();
        self.add_parents(&path);
        self.nodes.insert(path, Node::Symlink(target.into()));
        self
    }

    /// Resolve `path` component by component, following symlinks.
    fn resolve(&self, path: &Path, links: &mut usize) -> io::Result<PathBuf> {
        if !path.is_absolute() {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let mut out = PathBuf::from("/");
        for c in path.components() {
            match c {
                Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(n) => {
                    match self.nodes.get(&out) {
                        Some(Node::Dir) => {}
                        Some(_) => return Err(io::Error::from_raw_os_error(20)), // ENOTDIR
                        None => return Err(not_found()),
                    }
                    let next = out.join(n);
                    match self.nodes.get(&next) {
                        None => return Err(not_found()),
                        Some(Node::Unreadable(why)) => return Err(io::Error::other(why.clone())),
                        Some(Node::Symlink(t)) => {
                            *links += 1;
                            if *links > MAX_LINKS {
                                return Err(io::Error::from_raw_os_error(40)); // ELOOP
                            }
                            out = self.resolve(&out.join(t), links)?;
                        }
                        Some(_) => out = next,
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Source for Memory {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let p = self.resolve(path, &mut 0)?;
        self.nodes.get(&p).map(|_| p.clone()).ok_or_else(not_found)
    }

    fn entry(&self, path: &Path) -> io::Result<Entry> {
        // The folder holding the last component is resolved; the last
        // component itself is not followed.
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(Entry::Dir);
        };
        let p = self.resolve(parent, &mut 0)?.join(name);
        match self.nodes.get(&p) {
            Some(Node::File(_) | Node::Object(_)) => Ok(Entry::File),
            Some(Node::Unreadable(_)) => Ok(Entry::Other),
            Some(Node::Dir) => Ok(Entry::Dir),
            Some(Node::Symlink(_)) => Ok(Entry::Symlink),
            None => Err(not_found()),
        }
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>> {
        match self.nodes.get(path) {
            Some(Node::File(b)) => {
                let limit = limits::file_bytes();
                if b.len() as u64 > limit {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "file is too large ({} bytes; the limit for one file is {limit}, {})",
                            b.len(),
                            limits::FILE_BYTES_ENV
                        ),
                    )
                    .file(path)
                    .hint(limits::hint(limits::FILE_BYTES_ENV)));
                }
                Ok(b.clone())
            }
            Some(Node::Dir) => {
                Err(Error::new(ErrorKind::Io, "is a folder, expected a file").file(path))
            }
            Some(Node::Unreadable(why)) => Err(Error::new(ErrorKind::Io, why.clone()).file(path)),
            _ => Err(
                Error::new(ErrorKind::Io, "cannot read file: no such file or directory").file(path),
            ),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        let dir = self.canonicalize(dir)?;
        if !matches!(self.nodes.get(&dir), Some(Node::Dir)) {
            return Err(io::Error::from_raw_os_error(20));
        }
        Ok(self
            .nodes
            .range(dir.clone()..)
            .skip(1)
            .take_while(|(p, _)| p.starts_with(&dir))
            .filter(|(p, _)| p.parent() == Some(dir.as_path()))
            .filter_map(|(p, _)| p.file_name().map(|n| n.to_os_string()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_symlinks_like_the_kernel() {
        let mut m = Memory::new();
        m.file("/r/base/a.yaml", "x")
            .symlink("/r/link", "base")
            .symlink("/r/base/up", "../other/b.yaml")
            .file("/r/other/b.yaml", "y")
            .symlink("/r/loop", "loop");
        assert_eq!(
            m.canonicalize(Path::new("/r/link/a.yaml")).unwrap(),
            Path::new("/r/base/a.yaml")
        );
        assert_eq!(
            m.canonicalize(Path::new("/r/link/up")).unwrap(),
            Path::new("/r/other/b.yaml")
        );
        assert_eq!(
            m.canonicalize(Path::new("/r/base/../link")).unwrap(),
            Path::new("/r/base")
        );
        assert_eq!(m.entry(Path::new("/r/link")).unwrap(), Entry::Symlink);
        assert_eq!(m.entry(Path::new("/r/link/a.yaml")).unwrap(), Entry::File);
        assert!(m.canonicalize(Path::new("/r/loop")).is_err());
        assert!(m.canonicalize(Path::new("/r/missing")).is_err());
        assert_eq!(
            m.list(Path::new("/r")).unwrap(),
            vec!["base", "link", "loop", "other"]
        );
        assert_eq!(m.read(Path::new("/r/other/b.yaml")).unwrap(), b"y");
        assert!(m.read(Path::new("/r/base")).is_err());
    }
}
