//! Reading a kustomization's patches: from files or inline text, as
//! strategic merge or JSON 6902, with the warnings kustomize would not give.

use super::state::{Ctx, Kust};
use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Patch;
use crate::input::load;
use crate::patch::apply::{self as patches, Source};
use serde_json::Value;

/// Load a patch's text: from `path` (restricted) or inline.
pub(super) fn patch_text(ctx: &Ctx, kust: &Kust, p: &Patch) -> Result<(String, Source)> {
    let has_path = !p.path.is_empty();
    let has_inline = !p.patch.trim().is_empty();
    match (has_path, has_inline) {
        (true, true) => Err(Error::new(
            ErrorKind::Kustomization,
            "patch and path can't be set at the same time",
        )
        .hint("use either `path:` (a file) or `patch:` (inline text) in one patches entry")),
        (false, false) => Err(Error::new(
            ErrorKind::Kustomization,
            "must specify one of patch and path",
        )),
        (true, false) => {
            let (f, bytes) = ctx.loader.read_restricted(&kust.dir, &p.path)?;
            let text = load::decode_text(&f, &bytes)?.into_owned();
            Ok((
                text,
                Source {
                    file: f,
                    inline: false,
                },
            ))
        }
        (false, true) => Ok((p.patch.clone(), inline(kust))),
    }
}

/// `patch_text` for a `patches` entry (kustomize's PatchTransformer), which
/// trims white space around inline text: a block scalar that ends the
/// patch loses its final line break.
pub(super) fn patch_transformer_text(
    ctx: &Ctx,
    kust: &Kust,
    p: &Patch,
) -> Result<(String, Source)> {
    let (mut text, src) = patch_text(ctx, kust, p)?;
    if p.path.is_empty() {
        text = text.trim().to_string();
    }
    // An empty list reads both as a JSON patch and as no strategic-merge
    // documents, which kustomize refuses.
    if text.starts_with('[')
        && serde_json::from_str::<Vec<Value>>(&text).is_ok_and(|ops| ops.is_empty())
    {
        return Err(src
            .error(
                ErrorKind::Patch,
                "illegally qualifies as both an SM and JSON patch: the patch is an empty list",
            )
            .hint("remove the patch, or give it operations"));
    }
    Ok((text, src))
}

/// Parse a patch as kustomize does: strategic merge documents through the
/// kyaml reader; a JSON 6902 patch written in YAML through sigs.k8s.io/yaml
/// (go-yaml v2's scalar rules: `yes` is true, a date stays a string).
pub(super) fn parse_patch(
    text: &str,
    src: &Source,
    warnings: &mut Vec<String>,
) -> Result<patches::Parsed> {
    // A position inside inline text is not one of the kustomization's: it
    // is said in words, and the entry gives the kustomization's line.
    let at = |e: Error, line: usize, col: usize| {
        if src.inline {
            let m = format!("{} (line {line}, column {col} of the patch)", e.message);
            Error::new(e.kind.clone(), m).file(&src.file)
        } else {
            e.pos(line, col)
        }
    };
    let err = |e: Error| {
        let (line, col) = e.pos.unwrap_or((1, 1));
        at(
            src.error(
                ErrorKind::Yaml,
                format!("invalid YAML in patch: {}", e.message),
            ),
            line,
            col,
        )
    };
    // kustomize reads a patch that starts with `[` as JSON only (its
    // jsonPatchFromBytes); YAML flow syntax there is an error, not a patch.
    if text.starts_with('[') {
        crate::yaml::check_printable(text).map_err(err)?;
        let ops: Value = serde_json::from_str(text).map_err(|e| {
            at(src.error(
                ErrorKind::Patch,
                format!("unable to parse SM or JSON patch: a patch that starts with `[` is read as JSON, and this is not valid JSON: {e}"),
            ), e.line(), e.column())
            .hint("write the operations as JSON (quoted keys and strings), or as a YAML list that does not start with `[`")
        })?;
        return patches::classify(vec![ops], src);
    }
    let stream = crate::yaml::parse_kio(text, false).map_err(err)?;
    warnings.extend(load::stream_warnings(&src.label(), &stream, None));
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
        src,
    )?;
    if matches!(parsed, patches::Parsed::Json(_)) && !text.starts_with('[') {
        let ops = crate::yaml::parse_stream_v2(text)
            .map_err(err)?
            .into_iter()
            .map(|d| d.value)
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null);
        return patches::classify(vec![ops], src);
    }
    Ok(parsed)
}

/// The source of a patch written inline in `kust`.
pub(super) fn inline(kust: &Kust) -> Source {
    Source {
        file: kust.file.clone(),
        inline: true,
    }
}
