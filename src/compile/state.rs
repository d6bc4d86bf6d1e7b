//! What one build carries while it reads the tree: the loader and
//! warnings ([`Ctx`]), what has been accumulated ([`Acc`]), and each
//! kustomization as loaded ([`Kust`]).

use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Kustomization;
use crate::input::load::{self, Loader};
use crate::model::resmap::ResMap;
use crate::patch::merge_keys::Schema;
use crate::path::Step;
use crate::transform::config::TransformerConfig;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub(super) struct Ctx<'a> {
    pub(super) loader: &'a Loader,
    pub(super) helm: Option<&'a crate::generate::helm::Helm>,
    pub(super) warnings: Vec<String>,
    /// Kustomization roots being built (outermost first), for cycle detection.
    pub(super) stack: Vec<PathBuf>,
    pub(super) schema: Schema,
    /// Whether a kustomization already chose the schema (first one wins).
    pub(super) schema_set: bool,
    /// `buildMetadata: [originAnnotations]` of the top-level kustomization
    /// (kustomize applies the top-level setting to the whole build).
    pub(super) origin: bool,
    /// `buildMetadata: [transformerAnnotations]`.
    pub(super) transformations: bool,
    /// Any `buildMetadata` at all: kustomize then annotates every resource
    /// read from a file with its origin (removed at the end unless asked
    /// for), which fails on `annotations` that are not a map.
    pub(super) any_metadata: bool,
    /// Kustomizations read so far, against `limits::kustomizations()`.
    pub(super) kustomizations: u64,
}

pub(super) struct Acc {
    pub(super) rm: ResMap,
    pub(super) tc: TransformerConfig,
    pub(super) vars: Vec<crate::input::kustomization::Var>,
}

impl Acc {
    pub(super) fn new() -> Acc {
        Acc {
            rm: ResMap::new(),
            tc: crate::transform::fieldspecs::default_config().clone(),
            vars: Vec::new(),
        }
    }
}

/// A loaded kustomization and where it lives.
pub(super) struct Kust {
    pub(super) dir: PathBuf,
    pub(super) file: PathBuf,
    pub(super) k: Kustomization,
    /// This kustomization's directory as reached from the top-level one
    /// (`../base`), for origin annotations.
    pub(super) origin_path: String,
    /// The remote base this kustomization was fetched from (URL as shown,
    /// ref), for the `repo:` and `ref:` of origin annotations.
    pub(super) origin_repo: Option<(String, String)>,
    /// The kustomization's text, to find an entry's line when an error is
    /// about it.
    pub(super) text: Option<String>,
}

impl Kust {
    pub(super) fn site<'a>(&'a self, loader: &'a Loader) -> crate::generate::absorb::Site<'a> {
        crate::generate::absorb::Site {
            loader,
            dir: &self.dir,
            file: &self.file,
            text: self.text.as_deref(),
        }
    }
    /// Where the node at `path` (e.g. `resources[2]`) is in this
    /// kustomization's text.
    pub(super) fn pos(&self, path: &[Step]) -> Option<(usize, usize)> {
        crate::yaml::locate(self.text.as_deref()?, 0, path)
    }

    /// Point an error at item `index` of the list `field` (or at `field`
    /// itself, for `None`): see [`Error::entry`].
    pub(super) fn at(&self, field: &str, index: Option<usize>) -> impl Fn(Error) -> Error + '_ {
        let mut path = vec![Step::Key(field.to_string())];
        path.extend(index.map(Step::Index));
        move |e| e.entry(&self.file, self.pos(&path))
    }

    /// The kustomization file as origin annotations name it.
    pub(super) fn origin_file(&self) -> String {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        crate::model::provenance::join(&self.origin_path, &name)
    }
}

pub(super) fn load_kust(ctx: &mut Ctx, dir: &Path) -> Result<Kust> {
    ctx.kustomizations += 1;
    crate::limits::check_kustomizations(ctx.kustomizations).map_err(|e| e.file(dir))?;
    let (file, bytes) = ctx.loader.kustomization_file(dir)?;
    let docs = load::parse_kustomization(&file, &bytes)?;
    let mut docs: Vec<Value> = docs.into_iter().map(|d| d.value).collect();
    // kustomize reads the first document only. Empty documents after it
    // (a trailing `---`) lose nothing and are accepted; content after it
    // would be silently dropped, so it is refused.
    while docs.len() > 1 && docs.last().is_some_and(Value::is_null) {
        docs.pop();
    }
    if docs.len() > 1 {
        return Err(Error::new(
            ErrorKind::Kustomization,
            "a kustomization file must hold one YAML document",
        )
        .file(&file)
        .hint("remove the `---` separated documents after the first"));
    }
    let v = docs.pop().unwrap_or(Value::Null);
    let text = std::str::from_utf8(&bytes).ok();
    let (k, warnings) = Kustomization::from_doc(v, &file, text)?;
    ctx.warnings.extend(warnings);
    Ok(Kust {
        dir: dir.to_path_buf(),
        file,
        k,
        origin_path: String::new(),
        origin_repo: None,
        text: text.map(str::to_string),
    })
}
