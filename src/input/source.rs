//! What the compile core reads its input through. The core (loader,
//! stages) never touches the file system itself: the disk is one
//! implementation ([`super::disk::Disk`]), an in-memory tree another
//! ([`super::memory::Memory`], for tests and for trees read from git).

use crate::error::Result;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

/// What a path names, a final symlink not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device: never read.
    Other,
}

/// A tree of files. Paths are absolute; implementations are shared by
/// parallel builds, so they are `Send + Sync`.
pub trait Source: Send + Sync {
    /// `path` with `.`, `..` and every symlink resolved; an error if any
    /// part of it does not exist.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// What is at `path` (a final symlink not followed).
    fn entry(&self, path: &Path) -> io::Result<Entry>;
    /// The bytes of the regular file at the canonical `path`, within
    /// `limits::file_bytes()`; the error names the file.
    fn read(&self, path: &Path) -> Result<Vec<u8>>;
    /// The names in the folder `dir`, sorted.
    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>>;
    /// Whether the paths name files on this machine's disk, so another
    /// program (helm) can read them there.
    fn is_disk(&self) -> bool {
        false
    }
}
