//! Remote bases for the commands that build: `--offline`, the lock file
//! (`kcompile.lock`, found beside `kcompile.yaml`, else in the current
//! folder), loaders that fetch through the cache, and `kcompile lock`.

use super::report;
use super::workspace::require_config;
use super::ExitStatus;
use clap::Args;
use kcompile::compile;
use kcompile::input::disk::{read_regular, Disk};
use kcompile::input::load::Loader;
use kcompile::input::remote::fetch::{self, GitFetcher};
use kcompile::input::remote::lock::{Lock, LOCK_FILE};
use kcompile::input::source::Source;
use kcompile::workspace;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest lock file read.
const MAX_LOCK_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Args, Debug, Clone, Default)]
pub struct RemoteArgs {
    /// Remote bases (git URLs) from the cache only, no network: a ref must
    /// be pinned in kcompile.lock or have been fetched before.
    #[arg(long)]
    pub offline: bool,
}

/// Where the lock file is: beside `kcompile.yaml` (`--config`, else found
/// from the current folder upward), else in the current folder.
pub fn lock_path(config: Option<&Path>) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let cfg = match config {
        Some(c) => Some(cwd.join(c)),
        None => workspace::find_config(&Disk, &cwd).ok().flatten(),
    };
    match cfg.as_deref().and_then(Path::parent) {
        Some(dir) => dir.join(LOCK_FILE),
        None => cwd.join(LOCK_FILE),
    }
}

/// The lock file at `path`, if there is one.
pub fn read_lock(path: &Path) -> kcompile::error::Result<Option<Lock>> {
    if Disk.entry(path).is_err() {
        return Ok(None);
    }
    let bytes = read_regular(path, MAX_LOCK_BYTES)?;
    Lock::parse(path, &bytes).map(Some)
}

/// The fetcher of a build: the cache, `--offline`, the lock file's pins.
pub fn fetcher(r: &RemoteArgs, config: Option<&Path>) -> Result<Arc<GitFetcher>, ExitStatus> {
    let f = GitFetcher::new(fetch::cache_root(), r.offline);
    let path = lock_path(config);
    match read_lock(&path) {
        Ok(Some(lock)) => Ok(Arc::new(f.with_lock(path, lock))),
        Ok(None) => Ok(Arc::new(f)),
        Err(e) => {
            report::error(&e);
            Err(ExitStatus::Error)
        }
    }
}

/// A loader of the tree on disk that fetches remote bases through `f`.
pub fn disk_loader(f: &Arc<GitFetcher>) -> Loader {
    Loader::new(Disk).with_remote(f.clone())
}

#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// Overlay directories (default: every cluster of kcompile.yaml).
    pub paths: Vec<PathBuf>,
    /// kcompile.yaml to use (default: found from the current folder upward);
    /// the lock file is written beside it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write nothing; exit 1 when kcompile.lock is missing or not what the
    /// refs resolve to now.
    #[arg(long)]
    pub check: bool,
    /// Remote bases may hold Helm charts: build them as `build` would.
    #[command(flatten)]
    pub helm: super::helm::HelmArgs,
}

/// `kcompile lock [OVERLAY…] [--check]`: resolve every remote base the
/// overlays reach and pin it in the lock file.
pub fn run(a: &LockArgs) -> ExitStatus {
    let overlays: Vec<PathBuf> =
        if a.paths.is_empty() {
            match require_config(
            a.config.as_deref(),
            "run `kcompile lock overlays/cluster-a`, or add a kcompile.yaml listing the clusters",
        ) {
            Ok(cfg) => cfg.clusters.iter().map(|c| c.overlay_path.clone()).collect(),
            Err(s) => return s,
        }
        } else {
            a.paths.clone()
        };
    let f = Arc::new(GitFetcher::new(fetch::cache_root(), false).relocking());
    let loader = disk_loader(&f);
    let mut failed = false;
    for o in &overlays {
        if let Err(e) = loader
            .check_dir(o)
            .and_then(|_| compile::build(&loader, o, &a.helm.options()))
        {
            report::error(&e);
            failed = true;
        }
    }
    if failed {
        report::say("error: an overlay did not build; the lock file is not written");
        return ExitStatus::Error;
    }
    let lock = f.resolved();
    let text = lock.to_text();
    let path = lock_path(a.config.as_deref());
    let shown = kcompile::error::shown(&path);
    if a.check {
        let current = read_regular(&path, MAX_LOCK_BYTES).ok();
        return if current.as_deref() == Some(text.as_bytes()) {
            report::say(&format!("{shown}: up to date"));
            ExitStatus::Success
        } else {
            report::say(&format!(
                "{shown}: out of date (the remote bases' refs resolve to other commits, or the set of remote bases changed)\n  hint: run `kcompile lock` to update it"
            ));
            ExitStatus::Failure
        };
    }
    if let Err(e) = fetch::write_atomic(&path, text.as_bytes()) {
        report::say(&format!("error: cannot write {shown}: {e}"));
        return ExitStatus::Error;
    }
    if lock.pins.is_empty() {
        report::say(&format!(
            "{shown}: no remote bases in the overlays; wrote an empty lock file"
        ));
    } else {
        report::say(&format!(
            "{shown}: {} remote base(s) pinned",
            lock.pins.len()
        ));
    }
    ExitStatus::Success
}
