//! Running a kustomization's transformers in kustomize's fixed order, and
//! builtin plugin configs listed under `transformers:` / `generators:`.

use super::accumulate::accumulate;
use super::patches::{inline, parse_patch, patch_text, patch_transformer_text};
use super::state::{load_kust, Acc, Ctx, Kust};
use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Patch;
use crate::input::load::{self, Target};
use crate::model::resource::Resource;
use crate::patch::apply::{self as patches, Source};
use crate::path::Step;
use crate::transform::{self, plugins};
use serde_json::Value;

/// A builtin plugin config's builtins; fields kustomize ignores become
/// warnings naming the kustomization.
pub(super) fn decode_plugins(
    ctx: &mut Ctx,
    kust: &Kust,
    cfg: &Value,
) -> Result<Vec<plugins::Builtin>> {
    let mut ignored = Vec::new();
    let builtins = plugins::decode_all(cfg, &mut ignored).map_err(|e| e.file(&kust.file))?;
    for w in ignored {
        ctx.warnings
            .push(format!("warning: {}: {w}", crate::error::shown(&kust.file)));
    }
    Ok(builtins)
}

pub(super) fn run_transformers(ctx: &mut Ctx, kust: &Kust, acc: &mut Acc) -> Result<()> {
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
    for (i, entry) in k.patches_strategic_merge.iter().enumerate() {
        let at = kust.at("patchesStrategicMerge", Some(i));
        let (text, src) = match ctx.loader.resolve(&kust.dir, entry) {
            Ok(Target::File(f)) => {
                ctx.loader.restrict(&kust.dir, &f, entry).map_err(&at)?;
                let bytes = ctx.loader.read(&f).map_err(&at)?;
                (
                    load::decode_text(&f, &bytes).map_err(&at)?.into_owned(),
                    Source {
                        file: f,
                        inline: false,
                    },
                )
            }
            _ if entry.contains('\n') || entry.contains(':') => (entry.clone(), inline(kust)),
            Ok(Target::Dir(d)) => {
                return Err(at(Error::new(
                    ErrorKind::Kustomization,
                    "patchesStrategicMerge entry is a directory",
                )
                .resource(crate::error::shown(&d).to_string())))
            }
            Err(e) => return Err(at(e)),
        };
        let parsed = parse_patch(&text, &src, &mut ctx.warnings).map_err(&at)?;
        if let patches::Parsed::Json(_) = parsed {
            return Err(at(src
                .error(
                    ErrorKind::Patch,
                    "patchesStrategicMerge entry holds a JSON 6902 patch",
                )
                .hint("move it to `patches:` with a `target:`")));
        }
        let opts = patches::Opts {
            annotations_rewritten: ctx.origin,
            record_transformations: ctx.transformations,
            string_meta: true,
            ..Default::default()
        };
        patches::apply(&mut acc.rm, &parsed, None, opts, &ctx.schema, &src).map_err(&at)?;
    }
    if !k.patches_strategic_merge.is_empty() {
        mark(acc, "PatchStrategicMergeTransformer")?;
    }
    for (i, p) in k.patches.iter().enumerate() {
        let at = kust.at("patches", Some(i));
        let (text, src) = patch_transformer_text(ctx, kust, p).map_err(&at)?;
        let parsed = parse_patch(&text, &src, &mut ctx.warnings).map_err(&at)?;
        let opts = patch_transformer_opts(ctx, p);
        apply_entry(ctx, acc, &parsed, p, opts, &src, &at)?;
        mark(acc, "PatchTransformer")?;
    }
    if !k.namespace.is_empty() {
        transform::namespace(
            &mut acc.rm,
            &k.namespace,
            &tc.namespace,
            false,
            transform::Subjects::DefaultOnly,
        )
        .map_err(kust.at("namespace", None))?;
        mark(acc, "NamespaceTransformer")?;
    }
    if !k.name_prefix.is_empty() {
        transform::prefix_suffix(&mut acc.rm, &k.name_prefix, true, &tc.name_prefix)
            .map_err(kust.at("namePrefix", None))?;
        mark(acc, "PrefixTransformer")?;
    }
    if !k.name_suffix.is_empty() {
        transform::prefix_suffix(&mut acc.rm, &k.name_suffix, false, &tc.name_suffix)
            .map_err(kust.at("nameSuffix", None))?;
        mark(acc, "SuffixTransformer")?;
    }
    for (i, l) in k.labels.iter().enumerate() {
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
        transform::add_entries(&mut acc.rm, &l.pairs, &specs)
            .map_err(kust.at("labels", Some(i)))?;
        mark(acc, "LabelTransformer")?;
    }
    if !k.labels.is_empty() || !k.common_labels.is_empty() {
        transform::add_entries(&mut acc.rm, &k.common_labels, &tc.common_labels)
            .map_err(kust.at("commonLabels", None))?;
        mark(acc, "LabelTransformer")?;
    }
    if !k.common_annotations.is_empty() {
        transform::add_entries(&mut acc.rm, &k.common_annotations, &tc.common_annotations)
            .map_err(kust.at("commonAnnotations", None))?;
        mark(acc, "AnnotationsTransformer")?;
    }
    for (i, p) in k.patches_json6902.iter().enumerate() {
        let at = kust.at("patchesJson6902", Some(i));
        let (text, src) = patch_text(ctx, kust, p).map_err(&at)?;
        let parsed = parse_patch(&text, &src, &mut ctx.warnings).map_err(&at)?;
        if let patches::Parsed::Smp(_) = parsed {
            return Err(at(src.error(
                ErrorKind::Patch,
                "patchesJson6902 entry is not a list of operations",
            )));
        }
        let opts = patches::Opts {
            annotations_rewritten: ctx.origin,
            record_transformations: ctx.transformations,
            legacy_json: true,
            ..Default::default()
        };
        apply_entry(ctx, acc, &parsed, p, opts, &src, &at)?;
        mark(acc, "PatchJson6902Transformer")?;
    }
    for (i, r) in k.replicas.iter().enumerate() {
        transform::replicas(&mut acc.rm, r, &tc.replicas).map_err(kust.at("replicas", Some(i)))?;
        mark(acc, "ReplicaCountTransformer")?;
    }
    for (i, img) in k.images.iter().enumerate() {
        transform::images(&mut acc.rm, img, &tc.images).map_err(kust.at("images", Some(i)))?;
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
        )
        .map_err(kust.at("replacements", None))?;
        mark(acc, "ReplacementTransformer")?;
    }
    for (cfg, from) in plugin_configs(ctx, kust, "transformers", &k.transformers)? {
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
pub(super) fn plugin_configs(
    ctx: &mut Ctx,
    kust: &Kust,
    field: &str,
    entries: &[String],
) -> Result<Vec<(Value, String)>> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let at = kust.at(field, Some(i));
        if e.contains('\n') {
            let docs = crate::yaml::parse_stream(e).map_err(|x| {
                Error::new(
                    ErrorKind::Yaml,
                    format!(
                        "invalid inline plugin config: {} (line {}, column {} of the config)",
                        x.message,
                        x.pos.map_or(1, |p| p.0),
                        x.pos.map_or(1, |p| p.1)
                    ),
                )
                .entry(
                    &kust.file,
                    kust.pos(&[Step::Key(field.into()), Step::Index(i)]),
                )
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
        match ctx.loader.resolve(&kust.dir, e).map_err(&at)? {
            Target::File(f) => {
                ctx.loader.restrict(&kust.dir, &f, e).map_err(&at)?;
                let here = crate::model::provenance::join(&kust.origin_path, e);
                let stream = ctx.loader.load_parsed(&f).map_err(&at)?;
                ctx.warnings.extend(load::stream_warnings(
                    &crate::error::shown(&f).to_string(),
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
                let mut sub = load_kust(ctx, &d).map_err(&at)?;
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
pub(super) fn run_builtin(
    ctx: &mut Ctx,
    kust: &Kust,
    acc: &mut Acc,
    b: plugins::Builtin,
    prov: Option<crate::model::provenance::Provenance>,
) -> Result<()> {
    use plugins::Builtin as B;
    let rm = &mut acc.rm;
    let src_patch = |ctx: &mut Ctx, p: &Patch, trim: bool| -> Result<(patches::Parsed, Source)> {
        let (text, src) = if trim {
            patch_transformer_text(ctx, kust, p)?
        } else {
            patch_text(ctx, kust, p)?
        };
        Ok((parse_patch(&text, &src, &mut ctx.warnings)?, src))
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
            let (parsed, src) = src_patch(ctx, &p, true)?;
            let opts = patch_transformer_opts(ctx, &p);
            patches::apply(rm, &parsed, p.target.as_ref(), opts, &ctx.schema, &src)
        }
        B::PatchSm {
            paths,
            patches: inline_text,
        } => {
            let mut texts: Vec<(String, Source)> = Vec::new();
            for p in &paths {
                let (f, bytes) = ctx.loader.read_restricted(&kust.dir, p)?;
                texts.push((
                    load::decode_text(&f, &bytes)?.into_owned(),
                    Source {
                        file: f,
                        inline: false,
                    },
                ));
            }
            if !inline_text.trim().is_empty() {
                texts.push((inline_text, inline(kust)));
            }
            for (text, src) in texts {
                let parsed = parse_patch(&text, &src, &mut ctx.warnings)?;
                let opts = patches::Opts {
                    annotations_rewritten: ctx.origin,
                    record_transformations: ctx.transformations,
                    string_meta: true,
                    ..Default::default()
                };
                patches::apply(rm, &parsed, None, opts, &ctx.schema, &src)?;
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
            let (parsed, src) = src_patch(ctx, &p, false)?;
            let opts = patches::Opts {
                annotations_rewritten: ctx.origin,
                record_transformations: ctx.transformations,
                legacy_json: true,
                ..Default::default()
            };
            patches::apply(rm, &parsed, p.target.as_ref(), opts, &ctx.schema, &src)
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
        B::Helm(cfg) => {
            let globals = crate::generate::helm::Globals::from_value(Some(&cfg));
            let chart = crate::generate::helm::Chart::from_value(&cfg);
            super::helm::inflate_one(ctx, kust, acc, &globals, &chart, prov)
        }
    }
}

/// Apply one `patches:` / `patchesJson6902:` entry to its target; an error
/// points at the entry (`at`).
fn apply_entry(
    ctx: &Ctx,
    acc: &mut Acc,
    parsed: &patches::Parsed,
    p: &Patch,
    opts: patches::Opts,
    src: &Source,
    at: &dyn Fn(Error) -> Error,
) -> Result<()> {
    patches::apply(
        &mut acc.rm,
        parsed,
        p.target.as_ref(),
        opts,
        &ctx.schema,
        src,
    )
    .map_err(at)
}

/// How kustomize's PatchTransformer applies a `patches:` entry (its
/// `options:` allow a name or kind change).
fn patch_transformer_opts(ctx: &Ctx, p: &Patch) -> patches::Opts {
    let opt = |n: &str| p.options.get(n).and_then(Value::as_bool).unwrap_or(false);
    patches::Opts {
        annotations_rewritten: ctx.origin,
        record_transformations: ctx.transformations,
        allow_name_change: opt("allowNameChange"),
        allow_kind_change: opt("allowKindChange"),
        string_meta: false,
        legacy_json: false,
    }
}
