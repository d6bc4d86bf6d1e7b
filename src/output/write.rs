//! The GitOps folder writer: the file-system half of the output stage.
//!
//! - [`write`] swaps a planned folder ([`super::plan`]) in atomically:
//!   everything is written into a temporary folder beside the target, which
//!   is exchanged with the target (one `renameat2(RENAME_EXCHANGE)` on
//!   Linux; two renames elsewhere) only when all of it succeeded. Files of
//!   objects that no longer exist disappear with the old folder. An
//!   identical folder is not touched at all; files whose bytes did not
//!   change are hard-linked from the old folder, so their mtimes stay. The
//!   read-compare-swap runs under an exclusive advisory lock on the
//!   target's parent folder, so concurrent runs follow one another;
//!   [`check`] takes it shared.
//! - [`check`] compares without writing and returns a unified diff, Secret
//!   values masked as `kcompile diff` masks them.
//!
//! A target that is itself a symlink (also written `link/`) is refused. An
//! existing folder is only read when it has the marker file, and then only
//! where kcompile writes (two levels, `.yaml` files), without following
//! symlinks, through [`crate::input::disk::read_regular`], bounded in
//! entries and bytes; a folder without the marker is never read.
#![allow(clippy::disallowed_methods)] // the output edge: see clippy.toml

use super::plan::{Files, KUSTOMIZATION, MARKER, SINGLE};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Most entries (files, folders, links) read from an existing output folder.
pub const MAX_EXISTING_ENTRIES: usize = 100_000;
/// Most bytes read from an existing output folder, all files together.
pub const MAX_EXISTING_BYTES: u64 = 1024 * 1024 * 1024;

/// How [`write`] and [`check`] treat the target.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Replace (or, for `check`, compare against) a non-empty folder that
    /// has no marker file, without reading it.
    pub force: bool,
    /// Show Secret values in `check`'s diff instead of masking them.
    pub show_secrets: bool,
    /// Called (with the folder whose lock is taken) when another kcompile
    /// holds the lock, before waiting for it.
    pub on_wait: Option<&'a dyn Fn(&Path)>,
}

/// What the target holds, as far as kcompile looks.
enum State {
    Missing,
    /// An empty folder.
    Empty,
    /// A non-empty folder without the marker: not read.
    Foreign,
    /// A folder with the marker.
    Owned(Existing),
}

/// What is in a kcompile folder: only what kcompile writes is read.
#[derive(Debug, Default)]
struct Existing {
    /// Regular files where kcompile writes them (the marker, the
    /// kustomization, `all.yaml`, `<folder>/<file>.yaml`), read.
    files: Files,
    /// Relative paths of the folders below the target.
    dirs: BTreeSet<String>,
    /// Everything else (not read), with why kcompile would not have written it.
    other: BTreeMap<String, &'static str>,
}

fn io_err(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}")).file(path)
}

/// Whether kcompile writes a regular file at `rel` (split in components).
fn ours(rel: &[&str]) -> bool {
    match rel {
        [name] => [MARKER, KUSTOMIZATION, SINGLE].contains(name),
        [_, name] => name.ends_with(".yaml"),
        _ => false,
    }
}

/// Read a kcompile folder without following symlinks: its files down to
/// the depth kcompile writes, bounded in entries and bytes.
fn read_owned(root: &Path) -> Result<Existing> {
    let mut ex = Existing::default();
    let mut bytes = 0u64;
    let walk = walkdir::WalkDir::new(root)
        .min_depth(1)
        .max_depth(2)
        .follow_links(false)
        .sort_by_file_name();
    for (n, entry) in walk.into_iter().enumerate() {
        let entry = entry.map_err(|e| {
            let p = e.path().unwrap_or(root).to_path_buf();
            match e.io_error() {
                Some(io) => io_err("cannot read the output folder", &p, io),
                None => {
                    Error::new(ErrorKind::Io, format!("cannot read the output folder: {e}")).file(p)
                }
            }
        })?;
        if n >= MAX_EXISTING_ENTRIES {
            return Err(Error::new(
                ErrorKind::Io,
                format!("the output folder holds more than {MAX_EXISTING_ENTRIES} entries; kcompile reads at most that many"),
            )
            .file(root)
            .hint("this is not a folder kcompile wrote; choose another output folder"));
        }
        let rel_path = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let parts: Vec<&str> = rel_path
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect();
        let rel = printable(&rel_path.to_string_lossy());
        let ft = entry.file_type();
        if parts.len() != entry.depth() {
            ex.other.insert(rel, "a name that is not UTF-8");
        } else if ft.is_symlink() {
            ex.other.insert(rel, "a symlink");
        } else if ft.is_dir() {
            if entry.depth() == 1 {
                ex.dirs.insert(rel);
            } else {
                ex.other.insert(rel, "a folder kcompile does not write");
            }
        } else if !ft.is_file() {
            ex.other.insert(rel, "not a regular file");
        } else if !ours(&parts) {
            ex.other.insert(rel, "a file kcompile does not write");
        } else {
            let b =
                crate::input::disk::read_regular(entry.path(), crate::input::load::MAX_FILE_BYTES)?;
            bytes += b.len() as u64;
            if bytes > MAX_EXISTING_BYTES {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("the output folder holds more than {MAX_EXISTING_BYTES} bytes; kcompile reads at most that much"),
                )
                .file(root)
                .hint("choose another output folder, or remove this one"));
            }
            ex.files.insert(rel, b);
        }
    }
    Ok(ex)
}

/// A name from the folder as `check` prints it: control characters
/// escaped, so a file name cannot forge lines of the diff. Names kcompile
/// writes have none, so theirs compare equal to the plan's.
fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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

/// The target with `.` components and a trailing slash dropped: the
/// system follows a symlink named `link/`, so the checks below must see
/// `link`.
fn normalize(target: &Path) -> PathBuf {
    target.components().collect()
}

/// Inspect the target (refusing symlinks and non-folders): the marker file
/// first, and only a folder that has it is read.
fn existing(target: &Path) -> Result<State> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::Missing),
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
        Ok(_) => {
            let marked = fs::symlink_metadata(target.join(MARKER)).is_ok_and(|m| m.is_file());
            if marked {
                return read_owned(target).map(State::Owned);
            }
            let mut rd =
                fs::read_dir(target).map_err(|e| io_err("cannot read folder", target, &e))?;
            Ok(if rd.next().is_none() {
                State::Empty
            } else {
                State::Foreign
            })
        }
    }
}

fn foreign_error(target: &Path) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("output folder is not empty and was not created by kcompile (no {MARKER} file)"),
    )
    .file(target)
    .hint("kcompile replaces the whole folder; choose an empty or new folder, or pass --force to replace it")
}

/// An advisory lock on the target's parent folder, held for a whole
/// read-compare-swap (exclusive) or check (shared), so that two kcompile
/// runs on one folder follow each other instead of interleaving. The
/// parent is locked, not a file beside the target: no lock file is left in
/// the repository, and `--check` needs no write access.
struct Lock(#[allow(dead_code)] fs::File);

fn lock(parent: &Path, exclusive: bool, on_wait: Option<&dyn Fn(&Path)>) -> Result<Lock> {
    let f = fs::File::open(parent).map_err(|e| io_err("cannot open folder", parent, &e))?;
    let tried = if exclusive {
        f.try_lock()
    } else {
        f.try_lock_shared()
    };
    match tried {
        Ok(()) => return Ok(Lock(f)),
        Err(fs::TryLockError::WouldBlock) => {}
        Err(fs::TryLockError::Error(e)) => return Err(io_err("cannot lock folder", parent, &e)),
    }
    if let Some(w) = on_wait {
        w(parent);
    }
    let locked = if exclusive { f.lock() } else { f.lock_shared() };
    locked.map_err(|e| io_err("cannot lock folder", parent, &e))?;
    Ok(Lock(f))
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Compare the target with the planned files. `None` when identical, else a
/// unified diff (`a/` = the folder now, `b/` = what would be written), with
/// Secret values masked unless `opts.show_secrets`.
pub fn check(target: &Path, files: &Files, opts: &Options) -> Result<Option<String>> {
    let target = &normalize(target);
    let parent = parent_of(target);
    let _lock = match fs::metadata(&parent) {
        Ok(md) if md.is_dir() => Some(lock(&parent, false, opts.on_wait)?),
        _ => None,
    };
    let ex = match existing(target)? {
        State::Missing | State::Empty => Existing::default(),
        State::Foreign if !opts.force => return Err(foreign_error(target)),
        State::Foreign => {
            return Ok(Some(format!(
            "{} is not a kcompile folder (no {MARKER} file); it would be replaced by {} file(s)\n",
            target.display(),
            files.len()
        )))
        }
        State::Owned(ex) => ex,
    };
    if same(&ex, files) {
        return Ok(None);
    }
    let mut out = String::new();
    let paths: BTreeSet<&String> = ex.files.keys().chain(files.keys()).collect();
    for p in paths {
        let (old, new) = (ex.files.get(p), files.get(p));
        if old == new {
            continue;
        }
        let (o, n) = shown_texts(
            old.map(Vec::as_slice),
            new.map(Vec::as_slice),
            opts.show_secrets,
        );
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
        if o == n {
            out.push_str(&format!(
                "Files {a} and {b} differ (only in what is not shown: Secret values or formatting; --show-secrets shows them)\n"
            ));
            continue;
        }
        let diff = similar::TextDiff::from_lines(o.as_str(), n.as_str());
        out.push_str(&format!(
            "{}",
            diff.unified_diff().context_radius(3).header(&a, &b)
        ));
        if !out.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
    for (o, why) in &ex.other {
        out.push_str(&format!("Only in {}: {o} ({why})\n", target.display()));
    }
    let want = expected_dirs(files);
    for d in ex.dirs.difference(&want) {
        let prefix = format!("{d}/");
        let holds = ex.files.keys().any(|f| f.starts_with(&prefix))
            || ex.other.keys().any(|f| f.starts_with(&prefix));
        if !holds {
            out.push_str(&format!(
                "Only in {}: {d}/ (empty folder)\n",
                target.display()
            ));
        }
    }
    Ok(Some(out))
}

const HIDDEN: &str = "(content not shown: it is not valid YAML, so Secret values in it cannot be masked; --show-secrets shows it)\n";

/// The two sides of one file as `check` shows them: as they are when
/// neither holds a Secret (or `show`), else re-emitted with every Secret
/// value masked as `kcompile diff` masks it (`***`, `*** (before)`,
/// `*** (after)`). A side that does not parse cannot be masked, so it is
/// not shown.
fn shown_texts(old: Option<&[u8]>, new: Option<&[u8]>, show: bool) -> (String, String) {
    let raw = |b: Option<&[u8]>| {
        b.map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    if show {
        return (raw(old), raw(new));
    }
    let parse = |b: Option<&[u8]>| -> Option<Vec<Value>> {
        let Some(b) = b else {
            return Some(Vec::new());
        };
        let text = std::str::from_utf8(b).ok()?;
        let docs = crate::yaml::parse_stream(text).ok()?;
        Some(docs.into_iter().map(|d| d.value).collect())
    };
    let has_secret = |v: &[Value]| v.iter().any(crate::diff::normalize::is_secret);
    match (parse(old), parse(new)) {
        (Some(o), Some(n)) if !has_secret(&o) && !has_secret(&n) => (raw(old), raw(new)),
        (Some(mut o), Some(mut n)) => {
            let key = |v: &Value| {
                let s = |p: &str| {
                    v.pointer(p)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                (
                    s("/apiVersion"),
                    s("/kind"),
                    s("/metadata/namespace"),
                    s("/metadata/name"),
                )
            };
            let mut used = vec![false; o.len()];
            let single = o.len() == 1 && n.len() == 1;
            for nv in n.iter_mut() {
                let k = key(nv);
                let found = (0..o.len()).find(|&i| !used[i] && (single || key(&o[i]) == k));
                match found {
                    Some(i) => {
                        used[i] = true;
                        crate::diff::mask_secrets(Some(&mut o[i]), Some(nv));
                    }
                    None => crate::diff::mask_secrets(None, Some(nv)),
                }
            }
            for (i, ov) in o.iter_mut().enumerate() {
                if !used[i] {
                    crate::diff::mask_secrets(Some(ov), None);
                }
            }
            let emit = |docs: &[Value], present: bool| {
                if !present {
                    String::new()
                } else if docs.len() == 1 {
                    crate::yaml::to_string(&docs[0])
                } else {
                    let refs: Vec<&Value> = docs.iter().collect();
                    crate::yaml::stream_to_string(&refs)
                }
            };
            (emit(&o, old.is_some()), emit(&n, new.is_some()))
        }
        (po, pn) => {
            let side = |p: Option<Vec<Value>>, b: Option<&[u8]>| match p {
                None => HIDDEN.to_string(),
                Some(v) if !has_secret(&v) => raw(b),
                // The other side does not parse, so nothing pairs with this
                // one: mask it alone.
                Some(mut v) => {
                    for d in v.iter_mut() {
                        crate::diff::mask_secrets(Some(d), None);
                    }
                    let refs: Vec<&Value> = v.iter().collect();
                    if b.is_none() {
                        String::new()
                    } else if refs.len() == 1 {
                        crate::yaml::to_string(refs[0])
                    } else {
                        crate::yaml::stream_to_string(&refs)
                    }
                }
            };
            (side(po, old), side(pn, new))
        }
    }
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

/// Write the planned files to `target`, atomically, under the folder's
/// lock. Refuses a non-empty folder without the marker file unless
/// `opts.force` (and then replaces it without reading it).
pub fn write(target: &Path, files: &Files, opts: &Options) -> Result<WriteSummary> {
    let target = &normalize(target);
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
    let parent = parent_of(target);
    fs::create_dir_all(&parent).map_err(|e| io_err("cannot create folder", &parent, &e))?;
    let _lock = lock(&parent, true, opts.on_wait)?;
    let ex = match existing(target)? {
        State::Missing => None,
        State::Empty => Some(Existing::default()),
        State::Foreign if !opts.force => return Err(foreign_error(target)),
        // Replaced unread: nothing in it is kcompile's to compare or keep.
        State::Foreign => Some(Existing::default()),
        State::Owned(ex) => {
            if same(&ex, files) {
                return Ok(WriteSummary {
                    changed: false,
                    kept: files.len(),
                    ..Default::default()
                });
            }
            Some(ex)
        }
    };
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
        summary.removed =
            ex.files.keys().filter(|k| !files.contains_key(*k)).count() + ex.other.len();
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
