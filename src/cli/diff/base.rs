//! `kcompile diff --base REF`: what a change does to the compiled output,
//! with no cluster: each cluster of `kcompile.yaml` (or each overlay
//! given) compiled as the tree is at REF, read from git's objects, and as
//! it is in the working tree, then compared object by object. A cluster or
//! overlay that exists on one side only has all its objects added or
//! removed, and says so.

use super::clusters::print;
use super::{DiffArgs, FormatArg, Reporter};
use crate::cli::report as out;
use crate::cli::workspace::require_config;
use crate::cli::ExitStatus;
use kcompile::compile::{self, Options};
use kcompile::diff::{self, pair, render, report, Mode};
use kcompile::input::disk::Disk;
use kcompile::input::git::Revision;
use kcompile::input::load::Loader;
use kcompile::input::remote::fetch::{self, GitFetcher};
use kcompile::input::remote::lock::Lock;
use kcompile::input::remote::{Layered, Remote};
use kcompile::input::source::Source;
use kcompile::workspace::{self, Config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One thing compared: where its overlay is on each side (`None`: absent).
struct Target {
    name: String,
    overlay: String,
    base: Option<PathBuf>,
    work: Option<PathBuf>,
}

pub(super) fn run(a: &DiffArgs, format: FormatArg) -> ExitStatus {
    let rev = a.base.as_deref().unwrap_or("HEAD");
    if a.overlays.len() > 1 {
        return Reporter::default().error("--base compares an overlay with itself at REF; give one overlay, or none for every cluster of kcompile.yaml");
    }
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            return Reporter::default().error(&format!("cannot determine the working folder: {e}"))
        }
    };
    let revision = match Revision::read(&cwd, rev) {
        Ok(r) => r,
        Err(e) => {
            out::error(&e);
            return ExitStatus::Error;
        }
    };
    // The base side reads the lock file as it is at REF, and its remote
    // bases from the cache's checkouts on disk (a layered source).
    let lock_file = crate::cli::remote::lock_path(a.config.as_deref());
    let base_lock = revision
        .canonicalize(&lock_file)
        .ok()
        .map(|p| revision.read(&p).and_then(|b| Lock::parse(&lock_file, &b)));
    let mut base_fetcher = GitFetcher::new(fetch::cache_root(), a.remote.offline);
    match base_lock {
        Some(Ok(l)) => base_fetcher = base_fetcher.with_lock(lock_file, l),
        Some(Err(e)) => {
            out::error(&e);
            return ExitStatus::Error;
        }
        None => {}
    }
    let base_fetcher: Arc<dyn Remote> = Arc::new(base_fetcher);
    let base = match fetch::checkouts_root() {
        Some(root) => Loader::new(Layered::new(revision, Disk, root)),
        None => Loader::new(revision),
    }
    .with_remote(base_fetcher);
    let work = match crate::cli::remote::fetcher(&a.remote, a.config.as_deref()) {
        Ok(f) => crate::cli::remote::disk_loader(&f),
        Err(s) => return s,
    };
    let targets = match &a.overlays[..] {
        [_] if !a.clusters.is_empty() => {
            return Reporter::default().error(
                "--cluster picks clusters of kcompile.yaml; it does not apply to an overlay path",
            );
        }
        [p] => {
            let abs = cwd.join(p);
            vec![Target {
                name: p.display().to_string(),
                overlay: p.display().to_string(),
                base: Some(abs.clone()),
                work: Some(abs),
            }]
        }
        _ => match cluster_targets(a, &base) {
            Ok(t) => t,
            Err(s) => return s,
        },
    };
    let opts = a.helm.options();
    let mut sides = Vec::new();
    for t in &targets {
        let before = side(&base, t.base.as_deref(), &format!("at {rev}"), &opts);
        let after = side(&work, t.work.as_deref(), "in the working tree", &opts);
        sides.push((before, after));
    }
    let secrets = diff::secret_values(
        sides
            .iter()
            .flat_map(|(b, w)| [b, w])
            .filter_map(|s| s.as_ref().ok())
            .flat_map(|(objs, _)| objs.iter()),
    );
    let mut sections = Vec::new();
    for (t, (before, after)) in targets.into_iter().zip(sides) {
        let outcome = match (before, after) {
            (Ok((b, mut notes)), Ok((w, more))) => {
                notes.extend(more);
                Ok(report::Compared {
                    diffs: pair::revision_diffs(b, w, a.show_secrets),
                    mode: Mode::Revisions,
                    sides: render::Sides {
                        before: rev.to_string(),
                        after: "working tree".into(),
                        mode: Mode::Revisions,
                    },
                    warnings: notes,
                })
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let outcome = match outcome {
            Ok(mut c) => {
                c.warnings = c
                    .warnings
                    .iter()
                    .map(|w| diff::redact(w, &secrets))
                    .collect();
                Ok(c)
            }
            Err(e) => Err(diff::redact(&e, &secrets)),
        };
        sections.push(report::Section {
            name: t.name,
            overlay: t.overlay,
            outcome,
        });
    }
    for s in &sections {
        if let Ok(c) = &s.outcome {
            for w in &c.warnings {
                out::say(&format!("[{}] {w}", s.name));
            }
        }
    }
    print(
        a,
        format,
        &format!("kcompile diff: `{rev}` → working tree"),
        &sections,
    )
}

/// Every cluster of kcompile.yaml in the working tree (in its order),
/// then those only REF's kcompile.yaml has.
fn cluster_targets(a: &DiffArgs, base: &Loader) -> Result<Vec<Target>, ExitStatus> {
    let work = require_config(a.config.as_deref(), "run `kcompile diff --base REF overlays/cluster-a`, or add a kcompile.yaml listing the clusters")?;
    let base_cfg = match base_config(base, &work.file) {
        Ok(c) => c,
        Err(e) => {
            out::error(&e);
            return Err(ExitStatus::Error);
        }
    };
    let wanted = |n: &str| a.clusters.is_empty() || a.clusters.iter().any(|c| c == n);
    for n in &a.clusters {
        let known = work
            .clusters
            .iter()
            .chain(base_cfg.iter().flat_map(|c| &c.clusters));
        if !known.clone().any(|c| &c.name == n) {
            return Err(Reporter::default().error(&format!(
                "--cluster {n}: no such cluster in kcompile.yaml, here or at the base"
            )));
        }
    }
    let mut out = Vec::new();
    for c in work.clusters.iter().filter(|c| wanted(&c.name)) {
        let b = base_cfg
            .as_ref()
            .and_then(|b| b.clusters.iter().find(|x| x.name == c.name));
        out.push(Target {
            name: c.name.clone(),
            overlay: c.overlay.clone(),
            base: b.map(|b| b.overlay_path.clone()),
            work: Some(c.overlay_path.clone()),
        });
    }
    for b in base_cfg.iter().flat_map(|b| &b.clusters) {
        if wanted(&b.name) && !work.clusters.iter().any(|c| c.name == b.name) {
            out.push(Target {
                name: b.name.clone(),
                overlay: b.overlay.clone(),
                base: Some(b.overlay_path.clone()),
                work: None,
            });
        }
    }
    Ok(out)
}

/// kcompile.yaml as it is at the base (`None` when it did not exist).
fn base_config(base: &Loader, file: &Path) -> kcompile::error::Result<Option<Config>> {
    let Ok(canon) = base.source().canonicalize(file) else {
        return Ok(None);
    };
    let bytes = base.read(&canon)?;
    workspace::from_bytes(file, bytes).map(Some)
}

/// One side's objects and notes: none when the cluster or its overlay does
/// not exist on this side; an error (naming the side) when it does not
/// compile.
fn side(
    loader: &Loader,
    dir: Option<&Path>,
    which: &str,
    opts: &Options,
) -> Result<(Vec<Value>, Vec<String>), String> {
    let Some(dir) = dir else {
        return Ok((
            vec![],
            vec![format!("note: the cluster is not in kcompile.yaml {which}")],
        ));
    };
    if loader.source().canonicalize(dir).is_err() {
        return Ok((
            vec![],
            vec![format!(
                "note: the overlay {} does not exist {which}",
                kcompile::error::shown(dir)
            )],
        ));
    }
    compile::build(loader, dir, opts)
        .map(|o| (o.resources.into_iter().map(|r| r.obj).collect(), vec![]))
        .map_err(|e| format!("{which}: {e}"))
}
