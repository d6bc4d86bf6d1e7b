//! The disk behind [`Source`]: the only place the input tree is read from
//! the file system, plus the reads of files outside any tree
//! (`kcompile.yaml`, `--live-from` state, an existing output folder).
//!
//! Files of the tree ([`Disk`]'s `read`) are opened at their canonical path
//! with no symlink allowed anywhere on the way (`openat2`
//! `RESOLVE_NO_SYMLINKS`, else an `O_NOFOLLOW` walk), so the file read is
//! the file the load restriction checked, and without blocking.
//!
//! Files outside the tree ([`read_regular`]) are not under the load
//! restriction, so they may name anything (`/proc/kmsg`, a FIFO, a
//! device):
//! - Only regular files, checked before opening and again on the opened
//!   file (the path may be swapped in between); the open itself never
//!   blocks (`O_NONBLOCK`, so a FIFO swapped in cannot hold it).
//! - Kernel pseudo-files (procfs, sysfs and the like) are refused: they
//!   claim to be regular, empty files but may block on read (`/proc/kmsg`),
//!   consume what they hand out, or never end.
//! - At most `limit` bytes are read, whatever the metadata claimed.

#![allow(clippy::disallowed_methods)] // the input edge: see clippy.toml
use crate::error::{Error, ErrorKind, Result};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;

use super::source::{Entry, Source};
use crate::limits;

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::WouldBlock => "reading it would block".into(),
        _ => e.to_string(),
    }
}

fn err(path: &Path, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Io, msg).file(path)
}

fn not_regular(path: &Path) -> Error {
    err(
        path,
        "not a regular file (a FIFO, socket or device); refusing to read it",
    )
}

fn too_large(path: &Path, len: u64, limit: u64) -> Error {
    err(
        path,
        format!("file is too large ({len} bytes; the limit is {limit})"),
    )
}

/// Read a regular file of at most `limit` bytes, never blocking (see the
/// module comment). Symlinks are followed; what they reach is checked.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let md = fs::metadata(path)
        .map_err(|e| err(path, format!("cannot read file: {}", io_reason(&e))))?;
    if md.is_dir() {
        return Err(err(path, "is a folder, expected a file"));
    }
    if !md.is_file() {
        return Err(not_regular(path));
    }
    if md.len() > limit {
        return Err(too_large(path, md.len(), limit));
    }
    let f = open_nonblocking(path)
        .map_err(|e| err(path, format!("cannot read file: {}", io_reason(&e))))?;
    let md = f
        .metadata()
        .map_err(|e| err(path, format!("cannot read file: {}", io_reason(&e))))?;
    if !md.is_file() {
        return Err(not_regular(path));
    }
    if md.len() > limit {
        return Err(too_large(path, md.len(), limit));
    }
    if let Some(fs_name) = pseudo_filesystem(&f) {
        return Err(err(
            path,
            format!("a kernel pseudo-file ({fs_name}), not a file on disk; refusing to read it"),
        ));
    }
    let mut buf = Vec::with_capacity(md.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| err(path, format!("cannot read file: {}", io_reason(&e))))?;
    if buf.len() as u64 > limit {
        return Err(too_large(path, buf.len() as u64, limit));
    }
    Ok(buf)
}

#[cfg(target_os = "linux")]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    fs::File::open(path)
}

/// The name of the kernel pseudo-filesystem `f` lives on, if it does.
#[cfg(target_os = "linux")]
fn pseudo_filesystem(f: &fs::File) -> Option<&'static str> {
    use std::os::fd::AsRawFd;
    // SAFETY: `statfs` is plain data; fstatfs fills it for a valid open fd.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(f.as_raw_fd(), &mut st) } != 0 {
        return None;
    }
    // Magic numbers from linux/magic.h.
    const KNOWN: &[(i64, &str)] = &[
        (0x9fa0, "procfs"),
        (0x6265_6572, "sysfs"),
        (0x6462_6720, "debugfs"),
        (0x7472_6163, "tracefs"),
        (0x7363_6673, "securityfs"),
        (0x6265_6570, "configfs"),
        (0x0027_e0eb, "cgroupfs"),
        (0x6367_7270, "cgroup2fs"),
        (0xcafe_4a11, "bpffs"),
        (0xde5e_81e4, "efivarfs"),
        (0x6165_676c, "pstore"),
        (0x6573_5543, "fusectl"),
    ];
    #[allow(clippy::unnecessary_cast)]
    let t = st.f_type as i64;
    KNOWN.iter().find(|(m, _)| *m == t).map(|(_, n)| *n)
}

#[cfg(not(target_os = "linux"))]
fn pseudo_filesystem(_f: &fs::File) -> Option<&'static str> {
    None
}

/// The input tree on the local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disk;

impl Source for Disk {
    fn is_disk(&self) -> bool {
        true
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        fs::canonicalize(path)
    }

    fn entry(&self, path: &Path) -> std::io::Result<Entry> {
        let t = fs::symlink_metadata(path)?.file_type();
        Ok(if t.is_symlink() {
            Entry::Symlink
        } else if t.is_dir() {
            Entry::Dir
        } else if t.is_file() {
            Entry::File
        } else {
            Entry::Other
        })
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>> {
        read_file(path)
    }

    fn list(&self, dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
        let mut names = fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_limit() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.yaml");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(read_regular(&p, 3).unwrap(), b"abc");
        let e = read_regular(&p, 2).unwrap_err();
        assert!(e.message.contains("too large"), "{e}");
        let e = read_regular(t.path(), 10).unwrap_err();
        assert!(e.message.contains("is a folder"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");
        let e = read_regular(&t.path().join("missing"), 10).unwrap_err();
        assert!(e.message.contains("no such file"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuses_kernel_pseudo_files() {
        for p in ["/proc/self/status", "/proc/kmsg"] {
            let e = read_regular(Path::new(p), 1 << 20).unwrap_err();
            assert!(
                e.message.contains("procfs") || e.message.contains("permission"),
                "{p}: {e}"
            );
        }
    }
}
