//! `replacements`: copy a field of one source object into fields of target
//! objects (kustomize's ReplacementTransformer).

use crate::error::{Error, ErrorKind, Result};
use crate::input::decode::{self, shapes};
use crate::input::load::{self, Loader};
use crate::model::resmap::ResMap;
use crate::model::resource::{ResId, Resource};
use crate::transform::fieldpath::{self, scalar_text};
use crate::transform::select::LabelSelector;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct IdSel {
    group: String,
    version: String,
    kind: String,
    name: String,
    namespace: String,
    label_selector: String,
    annotation_selector: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Source {
    group: String,
    version: String,
    kind: String,
    name: String,
    namespace: String,
    field_path: String,
    options: Option<Options>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Options {
    delimiter: String,
    index: i64,
    /// Accepted and unused, as in kustomize.
    #[allow(dead_code)]
    encoding: String,
    create: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Target {
    select: Option<IdSel>,
    reject: Vec<IdSel>,
    field_paths: Vec<String>,
    options: Option<Options>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Replacement {
    path: String,
    source: Option<Source>,
    targets: Vec<Target>,
}

fn err(file: &Path, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Kustomization, msg).file(file)
}

/// Does id match the selector (empty fields match anything)?
fn id_selected(id: &ResId, group: &str, version: &str, kind: &str, name: &str, ns: &str) -> bool {
    (name.is_empty() || name == id.name)
        && (ns.is_empty()
            || crate::model::resource::effective_ns(ns)
                == crate::model::resource::effective_ns(&id.namespace))
        && (group.is_empty() || group == id.gvk.group)
        && (version.is_empty() || version == id.gvk.version)
        && (kind.is_empty() || kind == id.gvk.kind)
}

fn all_ids(r: &Resource) -> Vec<ResId> {
    let mut ids = vec![r.id()];
    ids.extend(r.prev_ids.iter().cloned());
    ids
}

impl IdSel {
    fn selects(&self, r: &Resource) -> Result<bool> {
        for (sel, labels) in [
            (&self.label_selector, r.labels()),
            (&self.annotation_selector, r.annotations()),
        ] {
            if let Some(ls) = LabelSelector::parse_opt(sel)? {
                if !ls.matches(labels) {
                    return Ok(false);
                }
            }
        }
        Ok(all_ids(r).iter().any(|id| {
            id_selected(
                id,
                &self.group,
                &self.version,
                &self.kind,
                &self.name,
                &self.namespace,
            )
        }))
    }
}

/// Run the replacements of a kustomization (or of a ReplacementTransformer
/// config): inline entries, already decoded with the kustomization, and
/// files named by `path:`, read as kustomize reads them (the first YAML
/// document, one replacement or a list, unknown fields ignored: a warning
/// names each).
pub fn run(
    loader: &Loader,
    dir: &Path,
    file: &Path,
    entries: &[Value],
    rm: &mut ResMap,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut all: Vec<Replacement> = Vec::new();
    for e in entries {
        let r: Replacement = serde_json::from_value(e.clone())
            .map_err(|x| err(file, format!("invalid replacement: {x}")))?;
        if r.path.is_empty() {
            all.push(r);
            continue;
        }
        if r.source.is_some() || !r.targets.is_empty() {
            return Err(err(file, "cannot specify both path and inline replacement")
                .hint("move the source and targets into the file, or drop `path:`"));
        }
        let (f, bytes) = loader
            .read_restricted(dir, &r.path)
            .map_err(|e| e.entry(file, None))?;
        // go-yaml v2: the first document, repeated keys allowed.
        let doc = load::parse_kustomization(&f, &bytes)?
            .into_iter()
            .next()
            .map_or(Value::Null, |d| d.value);
        let shape = match &doc {
            Value::Array(_) => &shapes::REPLACEMENT_LIST,
            Value::Object(_) => &shapes::REPLACEMENT_SHAPE,
            other => {
                return Err(err(
                    &f,
                    format!(
                        "unsupported replacement type encountered within replacement path: {}",
                        crate::yaml::describe(other)
                    ),
                )
                .hint("the file must hold one replacement (a mapping) or a list of them"))
            }
        };
        let d = decode::decode(doc, shape, decode::REPLACEMENT_FILE).map_err(|p| {
            let text = std::str::from_utf8(&bytes).ok();
            p.to_error(&f, "replacement", text.map(|t| (t, 0)))
        })?;
        for (at, key) in &d.ignored {
            let at = if at.is_empty() {
                "replacement".to_string()
            } else {
                crate::path::path_text(at)
            };
            warnings.push(format!(
                "warning: {}: unknown field `{key}` in {at} ignored, as kustomize does",
                crate::error::shown(&f)
            ));
        }
        let items = match d.value {
            Value::Array(a) => a,
            v => vec![v],
        };
        for it in items {
            all.push(
                serde_json::from_value(it)
                    .map_err(|x| err(&f, format!("invalid replacement: {x}")))?,
            );
        }
    }
    // One budget for every replacement of this kustomization: a value
    // copied into `*` over many list items adds up.
    let mut budget = crate::limits::Budget::default();
    for r in &all {
        apply(r, rm, file, &mut budget)?;
    }
    Ok(())
}

fn apply(
    r: &Replacement,
    rm: &mut ResMap,
    file: &Path,
    budget: &mut crate::limits::Budget,
) -> Result<()> {
    let Some(src) = &r.source else {
        return Err(err(
            file,
            "replacements must specify a source and at least one target",
        ));
    };
    if r.targets.is_empty() {
        return Err(err(
            file,
            "replacements must specify a source and at least one target",
        ));
    }
    let sel_text = format!("{}/{}", src.kind, src.name);
    let mut found: Option<usize> = None;
    for (i, res) in rm.resources().iter().enumerate() {
        if all_ids(res).iter().any(|id| {
            id_selected(
                id,
                &src.group,
                &src.version,
                &src.kind,
                &src.name,
                &src.namespace,
            )
        }) {
            if found.is_some() {
                return Err(err(
                    file,
                    format!("multiple matches for replacement source selector {sel_text}"),
                )
                .hint("add `namespace`, `group` or `version` to the source to pick one object"));
            }
            found = Some(i);
        }
    }
    let Some(si) = found else {
        return Err(err(
            file,
            format!("nothing selected by replacement source {sel_text}"),
        ));
    };
    let fp = if src.field_path.is_empty() {
        "metadata.name"
    } else {
        &src.field_path
    };
    let source_res = rm.get(si);
    let src_segs = fieldpath::parse(fp);
    check_segments(file, src_segs.len())?;
    let found = fieldpath::find(&source_res.obj, &src_segs);
    // kustomize copies the source node's text: `0x1F` stays `0x1F`.
    let mut src_text = found
        .as_ref()
        .and_then(|(at, _)| source_res.notes.text(&source_res.obj, at));
    let mut value = found
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            err(
                file,
                format!("fieldPath `{fp}` is missing for replacement source {sel_text}"),
            )
            .resource(source_res.describe())
        })?;
    if let Some(o) = src.options.as_ref().filter(|o| !o.delimiter.is_empty()) {
        let text = scalar_text(&value)
            .ok_or_else(|| err(file, "delimiter option can only be used with scalar nodes"))?;
        let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
        if o.index < 0 || o.index as usize >= parts.len() {
            return Err(err(
                file,
                // The value may be a Secret's: its size is told, not its text.
                format!(
                    "options.index {} is out of bounds: the source value splits into {} part(s) at {:?}",
                    o.index,
                    parts.len(),
                    o.delimiter
                ),
            )
            .resource(source_res.describe()));
        }
        value = Value::String(parts[o.index as usize].to_string());
        src_text = None;
    }
    let mut src_text = src_text.or_else(|| scalar_text(&value));
    // Without a delimiter kustomize copies from the source node itself: a
    // target that is the source field sees what earlier targets wrote there.
    let live = src.options.as_ref().is_none_or(|o| o.delimiter.is_empty());
    for t in &r.targets {
        let Some(select) = &t.select else {
            return Err(err(file, "target must specify resources to select"));
        };
        let paths: Vec<String> = if t.field_paths.is_empty() {
            vec!["metadata.name".into()]
        } else {
            t.field_paths.clone()
        };
        let opts = t.options.clone().unwrap_or_default();
        for i in 0..rm.len() {
            let res = rm.get(i);
            if !select.selects(res)? {
                continue;
            }
            let mut rejected = false;
            for rj in &t.reject {
                if rj.selects(res)? {
                    rejected = true;
                }
            }
            if rejected {
                continue;
            }
            let desc = res.describe();
            if live {
                let s = rm.get(si);
                if let Some((at, v)) =
                    fieldpath::find(&s.obj, &src_segs).filter(|(_, v)| !v.is_null())
                {
                    src_text = s.notes.text(&s.obj, &at).or_else(|| scalar_text(v));
                    value = v.clone();
                }
            }
            let res = &mut rm.resources_mut()[i];
            let before = res.aliases.snapshot(&res.obj);
            for p in &paths {
                let segs = fieldpath::parse(p);
                check_segments(file, segs.len())?;
                if segs.is_empty() {
                    return Err(err(
                        file,
                        format!("unable to find field {p:?} in replacement target: the path names no field"),
                    )
                    .resource(desc));
                }
                if live && i == si {
                    if let Some((at, v)) = fieldpath::find(&res.obj, &src_segs) {
                        if !v.is_null() {
                            src_text = res.notes.text(&res.obj, &at).or_else(|| scalar_text(v));
                            value = v.clone();
                        }
                    }
                }
                let create = opts.create.then_some(&value);
                let notes = &mut res.notes;
                let n = fieldpath::visit(&mut res.obj, &segs, create, &mut |t, created, at| {
                    set_value(t, &value, src_text.as_deref(), &opts, created, at, notes)?;
                    budget.spend(crate::limits::size_of(t), "this replacement")
                })
                .map_err(|m| err(file, m).resource(desc.clone()))?;
                if n == 0 {
                    let what = if opts.create {
                        "find or create"
                    } else {
                        "find"
                    };
                    return Err(err(
                        file,
                        format!("unable to {what} field \"{p}\" in replacement target"),
                    )
                    .resource(desc)
                    .hint("check the fieldPath, or set `options: {create: true}` on the target"));
                }
            }
            res.aliases.sync(&mut res.obj, before, None);
            res.check_identity("a replacement", &desc)
                .map_err(|e| e.file(file))?;
        }
    }
    rm.reindex("a replacement")
}

/// A field path longer than an object may nest (`create:` would build an
/// object deeper than any document may be; printing it is quadratic).
fn check_segments(file: &Path, n: usize) -> Result<()> {
    if n > crate::limits::MAX_PATH_SEGMENTS {
        return Err(err(
            file,
            format!(
                "a replacement fieldPath has {n} segments; objects nest at most {} levels (the nesting limit)",
                crate::limits::MAX_PATH_SEGMENTS
            ),
        ));
    }
    Ok(())
}

fn set_value(
    t: &mut Value,
    value: &Value,
    text: Option<&str>,
    o: &Options,
    created: bool,
    at: &crate::path::Place,
    notes: &mut crate::model::notes::Notes,
) -> Result<(), String> {
    let mut value = value.clone();
    let mut text = text.map(str::to_string);
    if !o.delimiter.is_empty() {
        let cur = scalar_text(t).ok_or("delimiter option can only be used with scalar nodes")?;
        let mut parts: Vec<String> = cur.split(o.delimiter.as_str()).map(String::from).collect();
        let v = scalar_text(&value).unwrap_or_default();
        if o.index < 0 {
            parts.insert(0, v);
        } else if o.index as usize >= parts.len() {
            parts.push(v);
        } else {
            parts[o.index as usize] = v;
        }
        let len = parts
            .iter()
            .map(|p| p.len() + o.delimiter.len())
            .sum::<usize>();
        crate::limits::check_value("the value with the replacement's part set", len as u64)?;
        value = Value::String(parts.join(&o.delimiter));
        text = scalar_text(&value);
    }
    // A node kustomize created, or an untagged one (kyaml's `SetScalar`
    // wrote it), takes the text without a tag: it prints as what the text
    // resolves to, and stays untagged (`notes`).
    let untagged = if created {
        Some(())
    } else {
        notes.untagged_text_of(at, t).map(|_| ())
    };
    if let (Some(()), Some(text)) = (
        untagged,
        text.as_ref()
            .filter(|_| !value.is_object() && !value.is_array()),
    ) {
        let v = crate::yaml::resolve_plain(text);
        notes.remove_at(at);
        // Untagged even when it reads as a string: a number copied into
        // it later becomes a number.
        notes.set(
            at.clone(),
            crate::model::notes::Note::Untagged {
                text: text.clone(),
                value: v.clone(),
            },
        );
        *t = v;
        return Ok(());
    }
    if created {
        *t = value;
        return Ok(());
    }
    notes.remove_at(at);
    // A scalar target keeps its type: only the text is copied.
    let scalar = scalar_text(&value).map(|v| text.unwrap_or(v));
    match (&*t, scalar) {
        // kustomize keeps the null tag, then fails to decode the value.
        (Value::Null, Some(_)) => {
            return Err(
                "cannot set a value into a field that is null (kustomize fails here too); \
                 give the field a value or remove it"
                    .into(),
            )
        }
        (Value::String(_), Some(text)) => *t = Value::String(text),
        (Value::Number(_) | Value::Bool(_), Some(text)) => {
            *t = crate::yaml::retag(&text, t)?;
        }
        _ => *t = value,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decode::{sample, Shape};

    #[test]
    fn reads_every_field_of_the_tables() {
        for shape in [
            Shape::Struct(&shapes::REPLACEMENT_FIELD),
            shapes::REPLACEMENT_SHAPE,
        ] {
            let r: Replacement = serde_json::from_value(sample(&shape)).unwrap();
            let src = r.source.unwrap();
            assert_eq!((src.kind.as_str(), src.field_path.as_str()), ("x", "x"));
            let t = &r.targets[0];
            assert_eq!(t.reject[0].label_selector, "x");
            assert!(t.options.as_ref().unwrap().create);
        }
    }
}
