//! One build: a kustomization tree in, ordered resources out. Mirrors
//! kustomize's KustTarget: resources, configurations, generators,
//! components, transformers (in kustomize's fixed order), then at the top:
//! hash suffixes, name-reference fixing, vars, local-config removal, sort.

use crate::error::{Error, ErrorKind, Result};
use crate::input::decode;
use crate::input::kustomization::{Kustomization, Patch};
use crate::input::load::{self, Loader, Target};
use crate::input::source::Entry;
use crate::model::resmap::ResMap;
use crate::model::resource::Resource;
use crate::output::order;
use crate::patch::apply as patches;
use crate::patch::merge_keys::Schema;
use crate::transform::plugins;
use crate::transform::{self, config::TransformerConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};

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
}

/// The result of a build.
#[derive(Debug)]
pub struct Output {
    pub resources: Vec<Resource>,
    pub warnings: Vec<String>,
}

struct Ctx<'a> {
    loader: &'a Loader,
    warnings: Vec<String>,
    /// Kustomization roots being built (outermost first), for cycle detection.
    stack: Vec<PathBuf>,
    schema: Schema,
    /// Whether a kustomization already chose the schema (first one wins).
    schema_set: bool,
    /// `buildMetadata: [originAnnotations]` of the top-level kustomization
    /// (kustomize applies the top-level setting to the whole build).
    origin: bool,
    /// `buildMetadata: [transformerAnnotations]`.
    transformations: bool,
    /// Any `buildMetadata` at all: kustomize then annotates every resource
    /// read from a file with its origin (removed at the end unless asked
    /// for), which fails on `annotations` that are not a map.
    any_metadata: bool,
    /// Kustomizations read so far, against `limits::kustomizations()`.
    kustomizations: u64,
}

struct Acc {
    rm: ResMap,
    tc: TransformerConfig,
    vars: Vec<crate::input::kustomization::Var>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            rm: ResMap::new(),
            tc: crate::transform::fieldspecs::default_config().clone(),
            vars: Vec::new(),
        }
    }
}

/// A loaded kustomization and where it lives.
struct Kust {
    dir: PathBuf,
    file: PathBuf,
    k: Kustomization,
    /// This kustomization's directory as reached from the top-level one
    /// (`../base`), for origin annotations.
    origin_path: String,
}

impl Kust {
    fn site<'a>(&'a self, loader: &'a Loader) -> crate::generate::absorb::Site<'a> {
        crate::generate::absorb::Site {
            loader,
            dir: &self.dir,
            file: &self.file,
        }
    }
    /// The kustomization file as origin annotations name it.
    fn origin_file(&self) -> String {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        crate::model::provenance::join(&self.origin_path, &name)
    }
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
        warnings: Vec::new(),
        stack: Vec::new(),
        schema: Schema::with_builtin(),
        schema_set: false,
        origin: false,
        transformations: false,
        any_metadata: false,
        kustomizations: 0,
    };
    let kust = load_kust(&mut ctx, &dir)?;
    let meta = &kust.k.build_metadata;
    const OPTIONS: &[&str] = &[
        "originAnnotations",
        "transformerAnnotations",
        "managedByLabel",
    ];
    for m in meta {
        // kustomize ignores options it does not know; say so.
        if !OPTIONS.contains(&m.as_str()) {
            let hint = crate::input::kustomization::suggest(m, OPTIONS)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            ctx.warnings.push(format!(
                "warning: {}: unknown buildMetadata option `{m}` ignored, as kustomize does{hint}",
                kust.file.display()
            ));
        }
    }
    // Any buildMetadata option makes kustomize track origins and
    // transformers internally (annotations it removes at the end unless
    // asked to keep them), which changes how later steps see annotations.
    ctx.any_metadata = !meta.is_empty();
    ctx.origin = ctx.any_metadata;
    ctx.transformations = ctx.any_metadata;
    let show_origin = meta.iter().any(|m| m == "originAnnotations");
    let show_transformations = meta.iter().any(|m| m == "transformerAnnotations");
    let managed_by = meta.iter().any(|m| m == "managedByLabel");
    let sort = kust.k.sort_options.clone();
    if let Some(s) = &sort {
        let ok = match s.order.as_str() {
            "legacy" => true,
            "fifo" => s.legacy_sort_options.is_none(),
            _ => false,
        };
        if !ok {
            return Err(Error::new(
                ErrorKind::Kustomization,
                "the field 'sortOptions.order' must be one of [fifo, legacy]; legacySortOptions may only be given with order: legacy",
            )
            .file(&kust.file)
            .hint("write `sortOptions: {order: legacy}` (optionally with legacySortOptions) or `sortOptions: {order: fifo}`"));
        }
    }
    let mut acc = accumulate(&mut ctx, &kust, Acc::new())?;

    hash_names(&mut acc.rm)?;
    transform::nameref::fix(&mut acc.rm, &acc.tc.name_reference)?;
    crate::transform::vars::resolve(&mut acc.rm, &acc.vars, &acc.tc.var_reference)?;
    // kustomize drops an object marked local-config with any value but
    // "false" (as written: `true`, `True`, `""` and `~` all drop it).
    acc.rm.retain(|r| {
        r.annotation_strings()
            .and_then(|mut a| a.remove("config.kubernetes.io/local-config"))
            .is_none_or(|v| v.as_str() == Some("false"))
    });
    for r in acc.rm.resources_mut() {
        r.finish_annotations()?;
    }

    let mut resources = acc.rm.into_vec();
    for r in &mut resources {
        crate::model::provenance::finish_annotations(r, show_origin, show_transformations)?;
        r.check_printable()?;
    }
    if managed_by {
        for r in &mut resources {
            crate::model::provenance::set_meta_entry(
                &mut r.obj,
                "labels",
                crate::model::provenance::MANAGED_BY_LABEL,
                crate::model::provenance::MANAGED_BY_VALUE.to_string(),
            );
        }
    }
    // kustomize rewrites every object's annotations when it strips its
    // build annotations at the end; an empty or null map is dropped then.
    for r in &mut resources {
        if let Some(m) = r.obj.get_mut("metadata").and_then(Value::as_object_mut) {
            let empty = match m.get("annotations") {
                Some(Value::Null) => true,
                Some(Value::Object(a)) => a.is_empty(),
                _ => false,
            };
            if empty {
                m.remove("annotations");
            }
        }
    }
    // A kustomization's sortOptions decides over the command-line flag, as
    // in kustomize.
    let (first, last, legacy) = match (&sort, opts.reorder) {
        (Some(s), _) if s.order == "fifo" => (vec![], vec![], false),
        (Some(s), _) => match &s.legacy_sort_options {
            Some(l) => (l.order_first.clone(), l.order_last.clone(), true),
            None => (order::default_first(), order::default_last(), true),
        },
        (None, Reorder::None) => (vec![], vec![], false),
        (None, _) => (order::default_first(), order::default_last(), true),
    };
    if legacy {
        order::legacy_sort(&mut resources, &first, &last);
    }
    // Bound what is printed before printing it (the copies that could
    // make it huge were each bounded, but many of them add up).
    let size: u64 = resources
        .iter()
        .map(|r| crate::limits::size_of(&r.obj))
        .sum();
    if size > crate::limits::output_bytes() {
        return Err(Error::new(
            ErrorKind::Resource,
            format!(
                "the output would be about {size} bytes; the limit is {} bytes (the output limit)",
                crate::limits::output_bytes()
            ),
        )
        .file(&kust.file)
        .hint(crate::limits::hint(crate::limits::OUTPUT_BYTES_ENV)));
    }
    Ok(Output {
        resources,
        warnings: ctx.warnings,
    })
}

fn load_kust(ctx: &mut Ctx, dir: &Path) -> Result<Kust> {
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
    })
}

fn rel_label(kust: &Kust, rel: &str) -> String {
    kust.dir.join(rel).display().to_string()
}

/// How deeply kustomizations may include one another (bases of bases…).
/// Real trees stay in the tens; the bound keeps a generated or malicious
/// chain from exhausting the stack or taking quadratic time.
pub const MAX_NESTING: usize = 500;

fn accumulate(ctx: &mut Ctx, kust: &Kust, mut acc: Acc) -> Result<Acc> {
    if ctx.stack.len() >= MAX_NESTING {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("kustomizations are nested more than {MAX_NESTING} levels deep"),
        )
        .file(&kust.file)
        .hint("a base chain this deep is almost certainly generated by mistake; flatten it"));
    }
    if let Some(outer) = ctx
        .stack
        .iter()
        .find(|p| kust.dir.starts_with(p) || p.starts_with(&kust.dir))
    {
        if *outer == kust.dir || ctx.stack.contains(&kust.dir) {
            return Err(cycle_err(ctx, kust));
        }
    }
    ctx.stack.push(kust.dir.clone());
    let r = accumulate_inner(ctx, kust, &mut acc);
    ctx.stack.pop();
    r.map(|_| acc)
}

/// kustomize's `openapi:` field: a custom schema file (replacing the builtin
/// merge keys) or a builtin version. As in kustomize, the first kustomization
/// of the build that sets it wins (the top-level one, then bases in order).
fn set_openapi(ctx: &mut Ctx, kust: &Kust) -> Result<()> {
    let k = &kust.k;
    if k.openapi.is_empty() || ctx.schema_set {
        return Ok(());
    }
    let path = k.openapi.get("path").and_then(Value::as_str);
    let version = k.openapi.get("version").and_then(Value::as_str);
    let err = |m: String| Error::new(ErrorKind::Kustomization, m).file(&kust.file);
    match (path, version) {
        (Some(_), Some(_)) => {
            return Err(
                err("builtin version and custom schema provided, cannot use both".into())
                    .hint("give `openapi:` either `path:` or `version:`"),
            )
        }
        (Some(path), None) => {
            let (f, bytes) = ctx
                .loader
                .read_restricted(&kust.dir, path)
                .map_err(|e| e.listed_in(&kust.file))?;
            let docs = load::parse_bytes(&f, &bytes)?;
            let doc = docs
                .into_iter()
                .map(|d| d.value)
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null);
            ctx.schema = Schema::from_openapi(&doc).map_err(|m| {
                Error::new(
                    ErrorKind::Kustomization,
                    format!("invalid OpenAPI schema: {m}"),
                )
                .file(&f)
            })?;
        }
        (None, Some(v)) => {
            if v != "v1.21.2" {
                return Err(err(format!("the specified OpenAPI version {v} is not built in"))
                    .hint("the builtin schema is v1.21.2; give a custom schema with `openapi: {path: FILE}`"));
            }
        }
        (None, None) => {}
    }
    ctx.schema_set = true;
    Ok(())
}

fn cycle_err(ctx: &Ctx, kust: &Kust) -> Error {
    let mut chain: Vec<String> = ctx.stack.iter().map(|p| p.display().to_string()).collect();
    chain.push(kust.dir.display().to_string());
    Error::new(
        ErrorKind::Cycle,
        format!(
            "cycle detected between kustomizations: {}",
            chain.join(" -> ")
        ),
    )
    .file(&kust.file)
    .hint("a kustomization must not include itself, directly or through its bases")
}

fn accumulate_inner(ctx: &mut Ctx, kust: &Kust, acc: &mut Acc) -> Result<()> {
    let k = &kust.k;
    set_openapi(ctx, kust)?;
    // resources
    for rel in &k.resources {
        accumulate_path(ctx, kust, rel, acc, false)?;
    }
    // configurations
    for rel in &k.configurations {
        let (f, bytes) = ctx
            .loader
            .read_restricted(&kust.dir, rel)
            .map_err(|e| e.listed_in(&kust.file))?;
        // go-yaml v2 reads the first document only.
        let doc = load::parse_bytes(&f, &bytes)?
            .into_iter()
            .next()
            .map_or(Value::Null, |d| d.value);
        let doc = decode::decode(
            doc,
            &decode::Shape::Struct(&decode::shapes::TRANSFORMER_CONFIG),
            decode::TRANSFORMER_CONFIG,
        )
        .map_err(|p| {
            let text = std::str::from_utf8(&bytes).ok();
            p.to_error(&f, "transformer configuration", text.map(|t| (t, 0)))
        })?
        .value;
        let tc = TransformerConfig::from_value(&doc)
            .map_err(|m| Error::new(ErrorKind::Kustomization, m).file(&f))?;
        acc.tc
            .merge(&tc)
            .map_err(|m| Error::new(ErrorKind::Kustomization, m).file(&f))?;
    }
    for rel in &k.crds {
        let (f, bytes) = ctx
            .loader
            .read_restricted(&kust.dir, rel)
            .map_err(|e| e.listed_in(&kust.file))?;
        for d in load::parse_bytes(&f, &bytes)? {
            crate::transform::crds::config_from_definitions(&d.value)
                .and_then(|tc| acc.tc.merge(&tc))
                .map_err(|m| {
                    Error::new(
                        ErrorKind::Kustomization,
                        format!("unable to parse open API definition: {m}"),
                    )
                    .file(&f)
                })?;
        }
    }
    let configured_in = ctx.origin.then(|| kust.origin_file());
    crate::generate::absorb::run(
        kust.site(ctx.loader),
        k,
        configured_in.as_deref(),
        &mut acc.rm,
    )?;
    for (cfg, from) in plugin_configs(ctx, kust, &k.generators)? {
        let prov = ctx.origin.then(|| {
            crate::model::provenance::Provenance::configured(
                from,
                crate::model::provenance::ConfiguredBy::of_config(&cfg),
            )
        });
        let builtins = decode_plugins(ctx, kust, &cfg)?;
        for b in builtins {
            run_builtin(ctx, kust, acc, b, prov.clone())?;
        }
    }
    for rel in &k.components {
        accumulate_path(ctx, kust, rel, acc, true)?;
    }
    run_transformers(ctx, kust, acc)?;
    crate::transform::vars::bind(&mut acc.rm, &k.vars).map_err(|e| e.file(&kust.file))?;
    for v in &k.vars {
        if acc.vars.iter().any(|x| x.name == v.name) {
            return Err(Error::new(
                ErrorKind::Kustomization,
                format!("var '{}' already encountered", v.name),
            )
            .file(&kust.file)
            .hint("each var name may be declared once across a build"));
        }
        acc.vars.push(v.clone());
    }
    Ok(())
}

/// A `resources:` or `components:` entry: a file of objects or a directory
/// with its own kustomization.
fn accumulate_path(
    ctx: &mut Ctx,
    kust: &Kust,
    rel: &str,
    acc: &mut Acc,
    component: bool,
) -> Result<()> {
    let target = ctx
        .loader
        .resolve(&kust.dir, rel)
        .map_err(|e| e.listed_in(&kust.file))?;
    match target {
        Target::File(f) if !component => {
            ctx.loader
                .restrict(&kust.dir, &f, rel)
                .map_err(|e| e.listed_in(&kust.file))?;
            let mut stream = ctx.loader.load_docs(&f)?;
            let prov = ctx.origin.then(|| crate::model::provenance::Provenance {
                path: Some(crate::model::provenance::join(&kust.origin_path, rel)),
                ..Default::default()
            });
            let docs = std::mem::take(&mut stream.docs);
            let resources = load::resources_from_docs(&f, docs)?;
            ctx.warnings.extend(load::stream_warnings(
                &f.display().to_string(),
                &stream,
                Some(resources.len()),
            ));
            for mut r in resources {
                if ctx.any_metadata {
                    let ann = r.obj.get("metadata").and_then(|m| m.get("annotations"));
                    if ann.is_some_and(|a| !a.is_object() && !a.is_null()) {
                        return Err(Error::new(
                            ErrorKind::Resource,
                            "cannot add the origin annotation: `metadata.annotations` is not a map",
                        )
                        .resource(r.describe())
                        .hint("write annotations as a map of strings"));
                    }
                }
                if let Some(p) = &prov {
                    p.annotate(&mut r.obj);
                }
                acc.rm.append(r)?;
            }
            Ok(())
        }
        Target::File(f) => Err(Error::new(
            ErrorKind::Kustomization,
            format!(
                "component `{rel}` must be a directory holding a kustomization of kind Component"
            ),
        )
        .file(&kust.file)
        .resource(f.display().to_string())),
        Target::Dir(d) => {
            if ctx.stack.contains(&d) || kust.dir.starts_with(&d) {
                let mut chain: Vec<String> =
                    ctx.stack.iter().map(|p| p.display().to_string()).collect();
                chain.push(d.display().to_string());
                return Err(Error::new(
                    ErrorKind::Cycle,
                    format!(
                        "cycle detected: candidate root '{}' contains visited root '{}' ({})",
                        d.display(),
                        kust.dir.display(),
                        chain.join(" -> ")
                    ),
                )
                .file(&kust.file)
                .hint("a kustomization must not include itself or a directory above it"));
            }
            let mut sub = load_kust(ctx, &d).map_err(|e| e.listed_in(&kust.file))?;
            sub.origin_path = crate::model::provenance::join(&kust.origin_path, rel);
            if component && !sub.k.is_component() {
                return Err(Error::new(
                    ErrorKind::Kustomization,
                    format!(
                        "expected kind 'Component' for path '{}' but got '{}'",
                        d.display(),
                        sub.k.kind
                    ),
                )
                .file(&kust.file)
                .hint("list kustomizations under `resources:`, components under `components:`"));
            }
            if !component && sub.k.is_component() {
                return Err(Error::new(
                    ErrorKind::Kustomization,
                    format!("expected kind != 'Component' for path '{}'", d.display()),
                )
                .file(&kust.file)
                .hint("list components under `components:`, not `resources:`"));
            }
            if component {
                let taken = std::mem::replace(acc, Acc::new());
                *acc = accumulate(ctx, &sub, taken)?;
            } else {
                let sub_acc = accumulate(ctx, &sub, Acc::new())?;
                acc.rm.append_all(sub_acc.rm)?;
                acc.tc
                    .merge(&sub_acc.tc)
                    .map_err(|m| Error::new(ErrorKind::Kustomization, m).file(&sub.file))?;
                for v in sub_acc.vars {
                    if acc.vars.iter().any(|x| x.name == v.name) {
                        return Err(Error::new(
                            ErrorKind::Kustomization,
                            format!("var '{}' already encountered", v.name),
                        )
                        .file(&sub.file));
                    }
                    acc.vars.push(v);
                }
            }
            Ok(())
        }
    }
}

/// Load a patch's text: from `path` (restricted) or inline.
fn patch_text(ctx: &Ctx, kust: &Kust, p: &Patch) -> Result<(String, String)> {
    let has_path = !p.path.is_empty();
    let has_inline = !p.patch.trim().is_empty();
    match (has_path, has_inline) {
        (true, true) => Err(Error::new(
            ErrorKind::Kustomization,
            "patch and path can't be set at the same time",
        )
        .file(&kust.file)
        .hint("use either `path:` (a file) or `patch:` (inline text) in one patches entry")),
        (false, false) => Err(Error::new(
            ErrorKind::Kustomization,
            "must specify one of patch and path",
        )
        .file(&kust.file)),
        (true, false) => {
            let (f, bytes) = ctx
                .loader
                .read_restricted(&kust.dir, &p.path)
                .map_err(|e| e.listed_in(&kust.file))?;
            let text = load::decode_text(&f, &bytes)?.into_owned();
            Ok((text, f.display().to_string()))
        }
        (false, true) => Ok((
            p.patch.clone(),
            format!("{} (inline patch)", kust.file.display()),
        )),
    }
}

/// `patch_text` for a `patches` entry (kustomize's PatchTransformer), which
/// trims white space around inline text: a block scalar that ends the
/// patch loses its final line break.
fn patch_transformer_text(ctx: &Ctx, kust: &Kust, p: &Patch) -> Result<(String, String)> {
    let (mut text, label) = patch_text(ctx, kust, p)?;
    if p.path.is_empty() {
        text = text.trim().to_string();
    }
    // An empty list reads both as a JSON patch and as no strategic-merge
    // documents, which kustomize refuses.
    if text.starts_with('[')
        && serde_json::from_str::<Vec<Value>>(&text).is_ok_and(|ops| ops.is_empty())
    {
        return Err(Error::new(
            ErrorKind::Patch,
            "illegally qualifies as both an SM and JSON patch: the patch is an empty list",
        )
        .file(&label)
        .hint("remove the patch, or give it operations"));
    }
    Ok((text, label))
}

/// Parse a patch as kustomize does: strategic merge documents through the
/// kyaml reader; a JSON 6902 patch written in YAML through sigs.k8s.io/yaml
/// (go-yaml v2's scalar rules: `yes` is true, a date stays a string).
fn parse_patch(text: &str, label: &str, warnings: &mut Vec<String>) -> Result<patches::Parsed> {
    let err = |e: crate::yaml::YamlError| {
        Error::new(
            ErrorKind::Yaml,
            format!("invalid YAML in patch: {}", e.message),
        )
        .file(label)
        .pos(e.line, e.col)
    };
    let src = patches::Source { label };
    // kustomize reads a patch that starts with `[` as JSON only (its
    // jsonPatchFromBytes); YAML flow syntax there is an error, not a patch.
    if text.starts_with('[') {
        crate::yaml::check_printable(text).map_err(err)?;
        let ops: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Patch,
                format!("unable to parse SM or JSON patch: a patch that starts with `[` is read as JSON, and this is not valid JSON: {e}"),
            )
            .file(label)
            .pos(e.line(), e.column())
            .hint("write the operations as JSON (quoted keys and strings), or as a YAML list that does not start with `[`")
        })?;
        return patches::classify(vec![ops], &src);
    }
    let stream = crate::yaml::parse_kio(text, false).map_err(err)?;
    warnings.extend(load::stream_warnings(label, &stream, None));
    let parsed = patches::classify_docs(
        stream
            .docs
            .into_iter()
            .map(|d| patches::SmpDoc {
                value: d.value,
                raw: d
                    .raw
                    .into_iter()
                    .filter(|(item, _)| item.is_none())
                    .map(|(_, r)| r)
                    .collect(),
                notes: crate::model::notes::Notes::new(d.notes),
            })
            .collect(),
        &src,
    )?;
    if matches!(parsed, patches::Parsed::Json(_)) && !text.starts_with('[') {
        let ops = crate::yaml::parse_stream_v2(text)
            .map_err(err)?
            .into_iter()
            .map(|d| d.value)
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null);
        return patches::classify(vec![ops], &src);
    }
    Ok(parsed)
}

/// A builtin plugin config's builtins; fields kustomize ignores become
/// warnings naming the kustomization.
fn decode_plugins(ctx: &mut Ctx, kust: &Kust, cfg: &Value) -> Result<Vec<plugins::Builtin>> {
    let mut ignored = Vec::new();
    let builtins = plugins::decode_all(cfg, &mut ignored).map_err(|e| e.file(&kust.file))?;
    for w in ignored {
        ctx.warnings
            .push(format!("warning: {}: {w}", kust.file.display()));
    }
    Ok(builtins)
}

fn run_transformers(ctx: &mut Ctx, kust: &Kust, acc: &mut Acc) -> Result<()> {
    let k = &kust.k;
    let tc = acc.tc.clone();
    // Record a builtin transformer run on every object present now.
    let on = ctx.transformations;
    let origin = ctx.origin;
    let here = kust.origin_file();
    let mark = |acc: &mut Acc, kind: &str| -> Result<()> {
        let by = || {
            crate::model::provenance::Provenance::configured(
                here.clone(),
                crate::model::provenance::ConfiguredBy::builtin(kind),
            )
        };
        // An object that lost its origin annotation to this step (a patch
        // removing the annotations) takes the step as its origin.
        if origin {
            for r in acc.rm.resources_mut() {
                let has = r
                    .annotations()
                    .is_some_and(|a| a.contains_key(crate::model::provenance::ORIGIN_ANNOTATION));
                if !has {
                    by().annotate(&mut r.obj);
                }
            }
        }
        if on {
            for r in acc.rm.resources_mut() {
                if std::mem::take(&mut r.transformations_wiped) {
                    continue;
                }
                crate::model::provenance::record_transformation(
                    r,
                    crate::model::provenance::Provenance::configured(
                        here.clone(),
                        crate::model::provenance::ConfiguredBy::builtin(kind),
                    ),
                )?;
            }
        }
        Ok(())
    };
    // patchesStrategicMerge: each entry a file, or inline YAML.
    for entry in &k.patches_strategic_merge {
        let (text, label) = match ctx.loader.resolve(&kust.dir, entry) {
            Ok(Target::File(f)) => {
                ctx.loader
                    .restrict(&kust.dir, &f, entry)
                    .map_err(|e| e.listed_in(&kust.file))?;
                let bytes = ctx.loader.read(&f)?;
                (
                    load::decode_text(&f, &bytes)?.into_owned(),
                    f.display().to_string(),
                )
            }
            _ if entry.contains('\n') || entry.contains(':') => (
                entry.clone(),
                format!("{} (inline patch)", kust.file.display()),
            ),
            Ok(Target::Dir(d)) => {
                return Err(Error::new(
                    ErrorKind::Kustomization,
                    "patchesStrategicMerge entry is a directory",
                )
                .file(&kust.file)
                .resource(d.display().to_string()))
            }
            Err(e) => return Err(e.listed_in(&kust.file)),
        };
        let parsed = parse_patch(&text, &label, &mut ctx.warnings)?;
        if let patches::Parsed::Json(_) = parsed {
            return Err(Error::new(
                ErrorKind::Patch,
                "patchesStrategicMerge entry holds a JSON 6902 patch",
            )
            .file(&label)
            .hint("move it to `patches:` with a `target:`"));
        }
        let opts = patches::Opts {
            annotations_rewritten: ctx.origin,
            record_transformations: ctx.transformations,
            string_meta: true,
            ..Default::default()
        };
        patches::apply(
            &mut acc.rm,
            &parsed,
            None,
            opts,
            &ctx.schema,
            &patches::Source { label: &label },
        )?;
    }
    if !k.patches_strategic_merge.is_empty() {
        mark(acc, "PatchStrategicMergeTransformer")?;
    }
    for p in &k.patches {
        let (text, label) = patch_transformer_text(ctx, kust, p)?;
        let parsed = parse_patch(&text, &label, &mut ctx.warnings)?;
        let opt = |n: &str| p.options.get(n).and_then(Value::as_bool).unwrap_or(false);
        let opts = patches::Opts {
            annotations_rewritten: ctx.origin,
            record_transformations: ctx.transformations,
            allow_name_change: opt("allowNameChange"),
            allow_kind_change: opt("allowKindChange"),
            string_meta: false,
            legacy_json: false,
        };
        patches::apply(
            &mut acc.rm,
            &parsed,
            p.target.as_ref(),
            opts,
            &ctx.schema,
            &patches::Source { label: &label },
        )?;
        mark(acc, "PatchTransformer")?;
    }
    if !k.namespace.is_empty() {
        transform::namespace(
            &mut acc.rm,
            &k.namespace,
            &tc.namespace,
            false,
            transform::Subjects::DefaultOnly,
        )?;
        mark(acc, "NamespaceTransformer")?;
    }
    if !k.name_prefix.is_empty() {
        transform::prefix_suffix(&mut acc.rm, &k.name_prefix, true, &tc.name_prefix)?;
        mark(acc, "PrefixTransformer")?;
    }
    if !k.name_suffix.is_empty() {
        transform::prefix_suffix(&mut acc.rm, &k.name_suffix, false, &tc.name_suffix)?;
        mark(acc, "SuffixTransformer")?;
    }
    for l in &k.labels {
        let mut specs: Vec<transform::fieldspec::FieldSpec> = l
            .fields
            .iter()
            .filter_map(transform::fieldspec::FieldSpec::from_value)
            .collect();
        let add = |specs: &mut Vec<transform::fieldspec::FieldSpec>,
                   more: &[transform::fieldspec::FieldSpec]| {
            for fs in more {
                if !specs
                    .iter()
                    .any(|s| s.path == fs.path && s.gvk() == fs.gvk())
                {
                    specs.push(fs.clone());
                }
            }
        };
        if l.include_selectors {
            add(&mut specs, &tc.common_labels);
        } else {
            add(
                &mut specs,
                &[transform::fieldspec::FieldSpec {
                    path: "metadata/labels".into(),
                    create: true,
                    ..Default::default()
                }],
            );
            if l.include_templates {
                add(&mut specs, &tc.template_labels);
            }
        }
        add(&mut specs, &tc.labels);
        transform::add_entries(&mut acc.rm, &l.pairs, &specs)?;
        mark(acc, "LabelTransformer")?;
    }
    if !k.labels.is_empty() || !k.common_labels.is_empty() {
        transform::add_entries(&mut acc.rm, &k.common_labels, &tc.common_labels)?;
        mark(acc, "LabelTransformer")?;
    }
    if !k.common_annotations.is_empty() {
        transform::add_entries(&mut acc.rm, &k.common_annotations, &tc.common_annotations)?;
        mark(acc, "AnnotationsTransformer")?;
    }
    for p in &k.patches_json6902 {
        let (text, label) = patch_text(ctx, kust, p)?;
        let parsed = parse_patch(&text, &label, &mut ctx.warnings)?;
        if let patches::Parsed::Smp(_) = parsed {
            return Err(Error::new(
                ErrorKind::Patch,
                "patchesJson6902 entry is not a list of operations",
            )
            .file(&label));
        }
        let opts = patches::Opts {
            annotations_rewritten: ctx.origin,
            record_transformations: ctx.transformations,
            legacy_json: true,
            ..Default::default()
        };
        patches::apply(
            &mut acc.rm,
            &parsed,
            p.target.as_ref(),
            opts,
            &ctx.schema,
            &patches::Source { label: &label },
        )?;
        mark(acc, "PatchJson6902Transformer")?;
    }
    for r in &k.replicas {
        transform::replicas(&mut acc.rm, r, &tc.replicas).map_err(|e| e.listed_in(&kust.file))?;
        mark(acc, "ReplicaCountTransformer")?;
    }
    for img in &k.images {
        transform::images(&mut acc.rm, img, &tc.images)?;
        mark(acc, "ImageTagTransformer")?;
    }
    if !k.replacements.is_empty() {
        crate::transform::replacements::run(
            ctx.loader,
            &kust.dir,
            &kust.file,
            &k.replacements,
            &mut acc.rm,
            &mut ctx.warnings,
        )?;
        mark(acc, "ReplacementTransformer")?;
    }
    for (cfg, from) in plugin_configs(ctx, kust, &k.transformers)? {
        let by = crate::model::provenance::ConfiguredBy::of_config(&cfg);
        let builtins = decode_plugins(ctx, kust, &cfg)?;
        for b in builtins {
            run_builtin(ctx, kust, acc, b, None)?;
        }
        // One config is one transformer to kustomize, even when it runs here
        // as two builtins (PrefixSuffixTransformer).
        if ctx.transformations {
            for r in acc.rm.resources_mut() {
                crate::model::provenance::record_transformation(
                    r,
                    crate::model::provenance::Provenance::configured(from.clone(), by.clone()),
                )?;
            }
        }
    }
    Ok(())
}

/// The config objects named by `transformers:` / `generators:` entries:
/// inline YAML, files, or kustomization directories.
/// Each config comes with the path origin annotations name it by.
fn plugin_configs(ctx: &mut Ctx, kust: &Kust, entries: &[String]) -> Result<Vec<(Value, String)>> {
    let mut out = Vec::new();
    for e in entries {
        if e.contains('\n') {
            let docs = crate::yaml::parse_stream(e).map_err(|x| {
                Error::new(
                    ErrorKind::Yaml,
                    format!("invalid inline plugin config: {}", x.message),
                )
                .file(&kust.file)
            })?;
            let here = kust.origin_file();
            out.extend(
                docs.into_iter()
                    .map(|d| d.value)
                    .filter(|v| v.is_object())
                    .map(|v| (v, here.clone())),
            );
            continue;
        }
        match ctx
            .loader
            .resolve(&kust.dir, e)
            .map_err(|x| x.listed_in(&kust.file))?
        {
            Target::File(f) => {
                ctx.loader
                    .restrict(&kust.dir, &f, e)
                    .map_err(|x| x.listed_in(&kust.file))?;
                let here = crate::model::provenance::join(&kust.origin_path, e);
                let stream = ctx.loader.load_parsed(&f)?;
                ctx.warnings.extend(load::stream_warnings(
                    &f.display().to_string(),
                    &stream,
                    None,
                ));
                for d in stream.docs.iter() {
                    if d.value.is_object() {
                        out.push((d.value.clone(), here.clone()));
                    }
                }
            }
            Target::Dir(d) => {
                let mut sub = load_kust(ctx, &d)?;
                sub.origin_path = crate::model::provenance::join(&kust.origin_path, e);
                let sub_acc = accumulate(ctx, &sub, Acc::new())?;
                for r in sub_acc.rm.into_vec() {
                    let here = r
                        .origin
                        .as_ref()
                        .and_then(|o| o.file.strip_prefix(&d).ok())
                        .map(|p| {
                            crate::model::provenance::join(&sub.origin_path, &p.to_string_lossy())
                        })
                        .unwrap_or_else(|| sub.origin_file());
                    out.push((r.obj, here));
                }
            }
        }
    }
    Ok(out)
}

/// Run one builtin plugin configured under `transformers:`/`generators:`.
fn run_builtin(
    ctx: &mut Ctx,
    kust: &Kust,
    acc: &mut Acc,
    b: plugins::Builtin,
    prov: Option<crate::model::provenance::Provenance>,
) -> Result<()> {
    use plugins::Builtin as B;
    let rm = &mut acc.rm;
    let src_patch = |ctx: &mut Ctx, p: &Patch, trim: bool| -> Result<(patches::Parsed, String)> {
        let (text, label) = if trim {
            patch_transformer_text(ctx, kust, p)?
        } else {
            patch_text(ctx, kust, p)?
        };
        Ok((parse_patch(&text, &label, &mut ctx.warnings)?, label))
    };
    match b {
        B::Namespace {
            namespace,
            specs,
            unset_only,
            subjects,
        } => transform::namespace(rm, &namespace, &specs, unset_only, subjects),
        B::Prefix { prefix, specs } => transform::prefix_suffix(rm, &prefix, true, &specs),
        B::Suffix { suffix, specs } => transform::prefix_suffix(rm, &suffix, false, &specs),
        B::Labels { labels, specs } => transform::add_entries(rm, &labels, &specs),
        B::Annotations { annotations, specs } => transform::add_entries(rm, &annotations, &specs),
        B::Replicas { replica, specs } => transform::replicas(rm, &replica, &specs),
        B::Image { image, specs } => transform::images(rm, &image, &specs),
        B::Replacements { replacements } => crate::transform::replacements::run(
            ctx.loader,
            &kust.dir,
            &kust.file,
            &replacements,
            rm,
            &mut ctx.warnings,
        ),
        B::Patch {
            path,
            patch,
            target,
            options,
        } => {
            let p = Patch {
                path,
                patch,
                target,
                options,
            };
            let (parsed, label) = src_patch(ctx, &p, true)?;
            let opt = |n: &str| p.options.get(n).and_then(Value::as_bool).unwrap_or(false);
            let opts = patches::Opts {
                annotations_rewritten: ctx.origin,
                record_transformations: ctx.transformations,
                allow_name_change: opt("allowNameChange"),
                allow_kind_change: opt("allowKindChange"),
                string_meta: false,
                legacy_json: false,
            };
            patches::apply(
                rm,
                &parsed,
                p.target.as_ref(),
                opts,
                &ctx.schema,
                &patches::Source { label: &label },
            )
        }
        B::PatchSm {
            paths,
            patches: inline,
        } => {
            let mut texts: Vec<(String, String)> = Vec::new();
            for p in &paths {
                let (f, bytes) = ctx
                    .loader
                    .read_restricted(&kust.dir, p)
                    .map_err(|e| e.listed_in(&kust.file))?;
                texts.push((
                    load::decode_text(&f, &bytes)?.into_owned(),
                    f.display().to_string(),
                ));
            }
            if !inline.trim().is_empty() {
                texts.push((inline, format!("{} (inline patch)", kust.file.display())));
            }
            for (text, label) in texts {
                let parsed = parse_patch(&text, &label, &mut ctx.warnings)?;
                let opts = patches::Opts {
                    annotations_rewritten: ctx.origin,
                    record_transformations: ctx.transformations,
                    string_meta: true,
                    ..Default::default()
                };
                patches::apply(
                    rm,
                    &parsed,
                    None,
                    opts,
                    &ctx.schema,
                    &patches::Source { label: &label },
                )?;
            }
            Ok(())
        }
        B::Json6902 {
            target,
            path,
            json_op,
        } => {
            let p = Patch {
                path,
                patch: json_op,
                target,
                options: Default::default(),
            };
            let (parsed, label) = src_patch(ctx, &p, false)?;
            let opts = patches::Opts {
                annotations_rewritten: ctx.origin,
                record_transformations: ctx.transformations,
                legacy_json: true,
                ..Default::default()
            };
            patches::apply(
                rm,
                &parsed,
                p.target.as_ref(),
                opts,
                &ctx.schema,
                &patches::Source { label: &label },
            )
        }
        B::Object(mut obj) => {
            if let Some(p) = &prov {
                p.annotate(&mut obj);
            }
            rm.append(Resource::new(obj, None))
        }
        B::Generator { kind, args } => crate::generate::absorb::generate_one(
            kust.site(ctx.loader),
            kind,
            &args,
            None,
            prov,
            rm,
        ),
    }
}

/// Append content hashes to generated names (kustomize's HashTransformer).
fn hash_names(rm: &mut ResMap) -> Result<()> {
    for r in rm.resources_mut() {
        if r.needs_hash {
            let h = crate::generate::configmap::hash_suffix(&r.obj)?;
            r.store_prev_id();
            let n = format!("{}-{}", r.name(), h);
            r.set_name(&n);
        }
    }
    rm.reindex("the name hash suffix")
}

#[allow(dead_code)]
fn label_for(kust: &Kust, rel: &str) -> String {
    rel_label(kust, rel)
}
