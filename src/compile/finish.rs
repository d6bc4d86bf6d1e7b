//! What happens once, at the top of a build: `buildMetadata` and
//! `sortOptions` of the top-level kustomization, then hash suffixes,
//! name-reference fixing, vars, local-config removal, build annotations,
//! order and the output bound.

use super::state::{Acc, Ctx, Kust};
use super::{Options, Reorder};
use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::SortOptions;
use crate::model::resmap::ResMap;
use crate::model::resource::Resource;
use crate::output::order;
use crate::transform;
use serde_json::Value;
use std::path::Path;

/// The top-level kustomization's `buildMetadata`, as the end of the build
/// uses it.
pub(super) struct Metadata {
    show_origin: bool,
    show_transformations: bool,
    managed_by: bool,
}

impl Metadata {
    /// Read the options, warn about unknown ones, and turn on the internal
    /// tracking any option implies.
    pub(super) fn read(ctx: &mut Ctx, kust: &Kust) -> Metadata {
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
                crate::error::shown(&kust.file)
            ));
            }
        }
        // Any buildMetadata option makes kustomize track origins and
        // transformers internally (annotations it removes at the end unless
        // asked to keep them), which changes how later steps see annotations.
        ctx.any_metadata = !meta.is_empty();
        ctx.origin = ctx.any_metadata;
        ctx.transformations = ctx.any_metadata;
        Metadata {
            show_origin: meta.iter().any(|m| m == "originAnnotations"),
            show_transformations: meta.iter().any(|m| m == "transformerAnnotations"),
            managed_by: meta.iter().any(|m| m == "managedByLabel"),
        }
    }
}

/// The top-level kustomization's `sortOptions`, checked.
pub(super) fn sort_options(kust: &Kust) -> Result<Option<SortOptions>> {
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
    Ok(sort)
}

/// The steps after accumulation, in kustomize's order; `file` is the
/// top-level kustomization (named by the output bound's error).
pub(super) fn finish(
    mut acc: Acc,
    meta: &Metadata,
    sort: Option<&SortOptions>,
    opts: &Options,
    file: &Path,
) -> Result<Vec<Resource>> {
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
        crate::model::provenance::finish_annotations(
            r,
            meta.show_origin,
            meta.show_transformations,
        )?;
        r.check_printable()?;
    }
    if meta.managed_by {
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
    let (first, last, legacy) = match (sort, opts.reorder) {
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
        .file(file)
        .hint(crate::limits::hint(crate::limits::OUTPUT_BYTES_ENV)));
    }
    Ok(resources)
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
