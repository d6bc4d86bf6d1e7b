//! One build: a kustomization tree in, ordered resources out. Mirrors
//! kustomize's KustTarget: [`accumulate`] reads resources,
//! configurations, generators and components and runs each
//! kustomization's [`transformers`] (in kustomize's fixed order, patches
//! from [`patches`]); [`finish`] then does what happens once at the top:
//! hash suffixes, name-reference fixing, vars, local-config removal,
//! build annotations, sort. Everything is read through the [`Loader`]'s
//! source, so a tree need not be on disk.

mod accumulate;
mod finish;
mod helm;
mod patches;
mod state;
mod transformers;

use crate::error::{Error, ErrorKind, Result};
use crate::input::load::Loader;
use crate::input::source::Entry;
use crate::model::resource::Resource;
use crate::patch::merge_keys::Schema;
use state::{Acc, Ctx};
use std::path::{Path, PathBuf};

pub use accumulate::MAX_NESTING;

/// How to order the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reorder {
    /// What the kustomization's `sortOptions` says, else legacy (kubectl's default).
    #[default]
    Auto,
    Legacy,
    /// Input order (kubectl's `--reorder none`).
    None,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub reorder: Reorder,
    /// Inflate Helm charts with this helm (`--enable-helm`); without it a
    /// chart is an error, as in kustomize.
    pub helm: Option<crate::generate::helm::Helm>,
}

/// The result of a build.
#[derive(Debug)]
pub struct Output {
    pub resources: Vec<Resource>,
    pub warnings: Vec<String>,
}

/// Build several kustomizations (one per cluster) in parallel on rayon's
/// pool, sharing `loader`, so the files they have in common (a shared base)
/// are read and parsed once. Results come in the order of `dirs`; each is
/// what `build` gives for that directory.
pub fn build_many(loader: &Loader, dirs: &[PathBuf], opts: &Options) -> Vec<Result<Output>> {
    use rayon::prelude::*;
    dirs.par_iter().map(|d| build(loader, d, opts)).collect()
}

/// `build_many` that hands each result to `sink` (with the index of its
/// directory, in completion order) as soon as it is built, so only the
/// overlays in flight are held in memory, not all of them: for many
/// clusters over a large base (e.g. write each output to its file).
pub fn build_each<F>(loader: &Loader, dirs: &[PathBuf], opts: &Options, sink: F)
where
    F: Fn(usize, Result<Output>) + Sync,
{
    use rayon::prelude::*;
    dirs.par_iter()
        .enumerate()
        .for_each(|(i, d)| sink(i, build(loader, d, opts)));
}

/// Build the kustomization in `dir`.
pub fn build(loader: &Loader, dir: &Path, opts: &Options) -> Result<Output> {
    build_tree(loader, dir, opts).map_err(|e| locate_object(loader, e))
}

/// An error about an object's field gets the field's line and column:
/// values carry no positions, so the object's file is read again (on
/// error only) and the field looked up in its document.
fn locate_object(loader: &Loader, mut e: Error) -> Error {
    let Some(o) = e.object.clone() else {
        return e;
    };
    if e.pos.is_some() || e.file.as_ref().is_some_and(|f| *f != o.file) {
        return e;
    }
    let pos = loader.read(&o.file).ok().and_then(|bytes| {
        let text = crate::input::load::decode_text(&o.file, &bytes).ok()?;
        crate::yaml::locate_at_line(&text, o.line, &o.field)
    });
    e.file = Some(o.file);
    e.pos = pos.or(Some((o.line, 1)));
    e
}

fn build_tree(loader: &Loader, dir: &Path, opts: &Options) -> Result<Output> {
    let dir = loader.source().canonicalize(dir).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot open directory: {e}"))
            .file(dir)
            .hint("pass the directory that holds kustomization.yaml")
    })?;
    if loader.source().entry(&dir).ok() != Some(Entry::Dir) {
        return Err(Error::new(ErrorKind::Io, "not a directory")
            .file(&dir)
            .hint("pass the directory that holds kustomization.yaml, not the file"));
    }
    let mut ctx = Ctx {
        loader,
        helm: opts.helm.as_ref(),
        warnings: Vec::new(),
        stack: Vec::new(),
        schema: Schema::with_builtin(),
        schema_set: false,
        origin: false,
        transformations: false,
        any_metadata: false,
        kustomizations: 0,
    };
    let kust = state::load_kust(&mut ctx, &dir)?;
    let meta = finish::Metadata::read(&mut ctx, &kust);
    let sort = finish::sort_options(&kust)?;
    let acc = accumulate::accumulate(&mut ctx, &kust, Acc::new())?;
    let resources = finish::finish(acc, &meta, sort.as_ref(), opts, &kust.file)?;
    Ok(Output {
        resources,
        warnings: ctx.warnings,
    })
}
