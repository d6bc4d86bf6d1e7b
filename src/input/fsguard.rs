//! Reading the files kcompile reads besides the kustomization tree
//! (`kcompile.yaml`, `--live-from` state, an existing output folder) with
//! the guarantees the tree has, and then some: these paths are not under the
//! load restriction, so they may name anything (`/proc/kmsg`, a FIFO, a
//! device).
//!
//! - Only regular files, checked before opening and again on the opened
//!   file (the path may be swapped in between); the open itself never
//!   blocks (`O_NONBLOCK`, so a FIFO swapped in cannot hold it).
//! - Kernel pseudo-files (procfs, sysfs and the like) are refused: they
//!   claim to be regular, empty files but may block on read (`/proc/kmsg`),
//!   consume what they hand out, or never end.
//! - At most `limit` bytes are read, whatever the metadata claimed.

use crate::error::{Error, ErrorKind, Result};
use std::fs;
use std::io::Read;
use std::path::Path;

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

/// Check an overlay folder named on the command line or in `kcompile.yaml`
/// before it is built, so that an unreadable folder or a path the system
/// cannot resolve is reported as what it is (not as a missing
/// kustomization file or "not a directory").
pub fn check_overlay_dir(dir: &Path) -> Result<()> {
    let canon = match fs::canonicalize(dir) {
        Ok(c) => c,
        // The build reports a missing folder in its own words.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(dir_err(dir, &e)),
    };
    let md = fs::metadata(&canon).map_err(|e| dir_err(dir, &e))?;
    if !md.is_dir() {
        return Ok(());
    }
    for name in crate::input::load::KUSTOMIZATION_FILE_NAMES {
        match fs::symlink_metadata(canon.join(name)) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(dir_err(dir, &e)),
        }
    }
    Ok(())
}

fn dir_err(dir: &Path, e: &std::io::Error) -> Error {
    let base = err(dir, format!("cannot open the folder: {}", io_reason(e)));
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
