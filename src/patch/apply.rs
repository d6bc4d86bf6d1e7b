//! The patch transformers: `patches` (strategic merge or JSON 6902, with or
//! without a target), the deprecated `patchesStrategicMerge` and
//! `patchesJson6902`.

use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Selector;
use crate::model::resmap::ResMap;
use crate::model::resource::{Gvk, ResId, Resource};
use crate::patch::merge_keys::Schema;
use crate::patch::smp::{strategic_merge_noted, Styles};
use crate::transform::select::select;
use crate::yaml::RawScalar;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// A parsed patch: strategic-merge documents or one JSON 6902 op list.
pub enum Parsed {
    Smp(Vec<SmpDoc>),
    Json(json_patch::Patch),
}

/// A strategic merge patch document, with the source texts of its
/// annotation values (which it writes into its target as written).
pub struct SmpDoc {
    pub value: Value,
    pub raw: Vec<RawScalar>,
    pub notes: crate::model::notes::Notes,
}

/// Where the patch came from, for messages.
/// Where a patch was read: its file, or the kustomization that holds it
/// inline (errors then name the kustomization, whose entry gives the line).
#[derive(Debug, Clone)]
pub struct Source {
    pub file: PathBuf,
    pub inline: bool,
}

impl Source {
    /// The patch as warnings name it.
    pub fn label(&self) -> String {
        let f = crate::error::shown(&self.file);
        if self.inline {
            format!("{f} (inline patch)")
        } else {
            f
        }
    }

    /// An error about this patch.
    pub fn error(&self, kind: ErrorKind, msg: impl Into<String>) -> Error {
        let msg = msg.into();
        let msg = if self.inline {
            format!("inline patch: {msg}")
        } else {
            msg
        };
        Error::new(kind, msg).file(&self.file)
    }
}

fn perr(src: &Source, msg: impl Into<String>) -> Error {
    src.error(ErrorKind::Patch, msg)
}

/// Decide what kind of patch `docs` is, as kustomize does.
pub fn classify(docs: Vec<Value>, src: &Source) -> Result<Parsed> {
    classify_docs(
        docs.into_iter()
            .map(|value| SmpDoc {
                value,
                raw: Vec::new(),
                notes: Default::default(),
            })
            .collect(),
        src,
    )
}

/// `classify` for documents with the source texts of their string maps.
pub fn classify_docs(docs: Vec<SmpDoc>, src: &Source) -> Result<Parsed> {
    let docs: Vec<SmpDoc> = docs.into_iter().filter(|d| !d.value.is_null()).collect();
    if docs.len() == 1 && docs[0].value.is_array() {
        let ops: json_patch::Patch = serde_json::from_value(docs[0].value.clone()).map_err(|e| {
            perr(src, format!("invalid JSON 6902 patch: {e}"))
                .hint("each operation needs `op` (add, remove, replace, move, copy, test) and `path`, plus `value` or `from`")
        })?;
        return Ok(Parsed::Json(ops));
    }
    if docs.is_empty() {
        return Err(perr(src, "the patch is empty"));
    }
    if let Some(bad) = docs.iter().map(|d| &d.value).find(|d| !d.is_object()) {
        return Err(perr(
            src,
            format!(
                "unable to parse SM or JSON patch: found {}",
                crate::yaml::describe(bad)
            ),
        ));
    }
    // kustomize reads strategic-merge patches as objects: each needs a
    // kind and (unless a List) a name, even where a target selects.
    for d in &docs {
        let kind = d.value.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = d
            .value
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let missing = if kind.is_empty() {
            "kind"
        } else if name.is_empty() && !kind.ends_with("List") {
            "metadata.name"
        } else {
            continue;
        };
        return Err(perr(
            src,
            format!("unable to parse SM or JSON patch: the strategic-merge patch has no `{missing}`"),
        )
        .hint("a strategic-merge patch is written as the object it patches: give it `kind` and `metadata.name` (a `target:` selects the objects; the name in the patch is then ignored)"));
    }
    Ok(Parsed::Smp(docs))
}

/// Options of a `patches` entry.
#[derive(Default, Clone, Copy)]
pub struct Opts {
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
    /// kustomize's PatchStrategicMergeTransformer (`patchesStrategicMerge`)
    /// first copies the patch's labels and annotations as string maps: each
    /// value becomes its text as written (`~` too, so it sets rather than
    /// deletes).
    pub string_meta: bool,
    /// kustomize's PatchJson6902Transformer (`patchesJson6902`).
    pub legacy_json: bool,
    /// `buildMetadata: [originAnnotations]`: kustomize rewrote the
    /// annotations as strings when it recorded the origin.
    pub annotations_rewritten: bool,
    /// `buildMetadata: [transformerAnnotations]`: kustomize keeps the list
    /// in an annotation while it builds, where a patch can remove it.
    pub record_transformations: bool,
}

/// Apply a patch entry to the resources it targets.
pub fn apply(
    rm: &mut ResMap,
    parsed: &Parsed,
    target: Option<&Selector>,
    opts: Opts,
    schema: &Schema,
    src: &Source,
) -> Result<()> {
    match parsed {
        Parsed::Json(ops) => {
            let Some(t) = target else {
                return Err(perr(src, "a JSON 6902 patch must specify a target")
                    .hint("add `target:` with at least `kind` and `name`"));
            };
            for i in select(rm, t)? {
                json6902(&mut rm.resources_mut()[i], ops, opts, src)?;
            }
            rm.reindex("a JSON 6902 patch")
        }
        Parsed::Smp(docs) => {
            // With a target, kustomize sets the patch copy's name, namespace
            // and kind through its resource setters, which rewrite labels and
            // annotations as string maps.
            let opts = Opts {
                string_meta: opts.string_meta || target.is_some(),
                ..opts
            };
            for p in docs {
                let hits = match target {
                    Some(t) => select(rm, t)?,
                    None => vec![find_by_patch_id(rm, &p.value, src)?],
                };
                let mut deleted = Vec::new();
                for i in hits {
                    if smp_one(&mut rm.resources_mut()[i], p, opts, schema, src)? {
                        deleted.push(i);
                    }
                }
                for i in deleted.into_iter().rev() {
                    rm.remove(i);
                }
                rm.reindex("a strategic merge patch")?;
            }
            Ok(())
        }
    }
}

/// The one resource a target-less strategic merge patch names.
fn find_by_patch_id(rm: &ResMap, p: &Value, src: &Source) -> Result<usize> {
    let s = |path: &[&str]| crate::model::resource::str_at(p, path).to_string();
    let id = ResId {
        gvk: Gvk::from_api_version(&s(&["apiVersion"]), &s(&["kind"])),
        namespace: s(&["metadata", "namespace"]),
        name: s(&["metadata", "name"]),
    };
    // kustomize's GetById: the current or any earlier id of an object
    // counts, and more than one match is an error (not the exact one).
    let hits = rm.matching_id_any(&id);
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(perr(
            src,
            format!("no resource matches strategic merge patch for {id}: failed to find unique target for patch"),
        )
        .hint("the patch's apiVersion, kind, metadata.name (and namespace) must match an object of the build; or give the patch a `target:`")),
        _ => {
            let which: Vec<String> = hits
                .iter()
                .map(|&i| {
                    let r = rm.get(i);
                    if r.id().equals(&id) {
                        r.describe()
                    } else {
                        let from = r
                            .origin
                            .as_ref()
                            .map(|o| format!(" (from {}:{})", o.file.display(), o.line))
                            .unwrap_or_default();
                        format!("{}, formerly {id}{from}", r.id())
                    }
                })
                .collect();
            Err(perr(
                src,
                format!(
                    "multiple matches for {id}: failed to find unique target for patch; it matches {}",
                    which.join(", ")
                ),
            )
            .hint("objects match by their current name or any earlier one (before a namePrefix, nameSuffix or namespace); the same base included twice is a common cause. Give the patch a `target:`, or patch each copy in the kustomization that includes it"))
        }
    }
}

/// Merge one patch document into `r`; true when the patch deletes it.
fn smp_one(
    r: &mut Resource,
    doc: &SmpDoc,
    opts: Opts,
    schema: &Schema,
    src: &Source,
) -> Result<bool> {
    let p = &doc.value;
    match p.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(true),
        // kustomize's merge skips a top-level replace: the object stays.
        Some("replace") => return Ok(false),
        _ => {}
    }
    let (name, ns, kind) = (
        r.name().to_string(),
        r.namespace().to_string(),
        r.kind().to_string(),
    );
    if opts.allow_name_change || opts.allow_kind_change {
        r.store_prev_id();
    }
    let mut patch = p.clone();
    if opts.string_meta {
        stringify_meta(&mut patch, &doc.raw, &["labels", "annotations"]);
    } else if opts.allow_name_change || opts.allow_kind_change {
        // kustomize records these options as annotations of the patch,
        // rewriting its annotations as strings (`~` becomes "~").
        stringify_meta(&mut patch, &doc.raw, &["annotations"]);
    }
    if let Some(m) = patch.as_object_mut() {
        // The patch takes the object's apiVersion; an object without one
        // keeps none.
        if r.api_version().is_empty() {
            m.remove("apiVersion");
        } else {
            m.insert(
                "apiVersion".into(),
                Value::String(r.api_version().to_string()),
            );
        }
    }
    let desc = r.describe();
    let before = r.aliases.snapshot(&r.obj);
    let written = crate::model::aliases::written_by_patch(&r.aliases, &patch);
    let noted = (!r.notes.is_empty()).then(|| r.obj.clone());
    let styles = Styles {
        notes: &r.notes,
        before: noted.as_ref(),
        patch_notes: &doc.notes,
    };
    strategic_merge_noted(&mut r.obj, &patch, schema, Some(styles)).map_err(|e| {
        perr(src, format!("strategic merge patch failed: {e}")).resource(r.describe())
    })?;
    r.aliases.sync(&mut r.obj, before, Some(&written));
    r.notes.retain_valid(&r.obj);
    // Values the patch writes into string maps are its own, as written.
    r.take_raw_texts_from_patch(p, &doc.raw);
    if r.obj.as_object().is_none_or(|m| m.is_empty()) {
        return Ok(true);
    }
    if !opts.allow_kind_change {
        r.map_mut().insert("kind".into(), Value::String(kind));
    }
    if !opts.allow_name_change {
        r.set_name(&name);
    }
    r.set_namespace(&ns);
    r.check_identity("a strategic merge patch", &desc)
        .map_err(|e| e.file(&src.file))?;
    Ok(false)
}

/// kustomize reads the patched object back from JSON into Go's
/// `interface{}`, where every number is a float64: an integer beyond 2^53
/// comes out rounded (9007199254740993 prints as 9007199254740992).
fn round_through_float64(v: &mut Value) {
    match v {
        Value::Number(n) if n.as_f64().is_some() && (n.is_i64() || n.is_u64()) => {
            let exact = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
            let f = n.as_f64().expect("checked");
            if exact.is_some_and(|e| e.unsigned_abs() > 1 << 53) {
                // Go writes the float64 as its shortest digits padded with
                // zeros; read back, that text is an integer when it fits 64
                // bits, else a float.
                let text = crate::yaml::go::json_float(f);
                let int = text
                    .parse::<i64>()
                    .map(serde_json::Number::from)
                    .or_else(|_| text.parse::<u64>().map(serde_json::Number::from))
                    .ok();
                if let Some(n) = int.or_else(|| serde_json::Number::from_f64(f)) {
                    *v = Value::Number(n);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(round_through_float64),
        Value::Object(m) => m.values_mut().for_each(round_through_float64),
        _ => {}
    }
}

fn stringify_meta(patch: &mut Value, raw: &[RawScalar], maps: &[&str]) {
    let Some(md) = patch.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for (key, field) in [
        ("labels", crate::yaml::RawField::Label),
        ("annotations", crate::yaml::RawField::Annotation),
    ] {
        if !maps.contains(&key) {
            continue;
        }
        let Some(m) = md.get_mut(key).and_then(Value::as_object_mut) else {
            continue;
        };
        for (k, v) in m.iter_mut() {
            if v.is_object() || v.is_array() {
                continue;
            }
            let text = raw
                .iter()
                .find(|r| r.field == field && &r.key == k)
                .map(|r| r.text.clone())
                .unwrap_or_else(|| crate::transform::scalar_string(v));
            *v = Value::String(text);
        }
    }
}

fn json6902(r: &mut Resource, ops: &json_patch::Patch, opts: Opts, src: &Source) -> Result<()> {
    // `patches` records the previous id (rewriting the annotations as
    // strings on the way); `patchesJson6902` records nothing, so an object
    // it renames is not found under its old name afterwards.
    let old = r.describe();
    if !opts.legacy_json {
        r.store_prev_id();
    }
    // Where kustomize has rewritten the annotations as strings (recording
    // an earlier transformer, with buildMetadata on), they keep their texts
    // through the JSON round trip; recording an origin sets one entry only.
    if !r.transformations.is_empty() {
        r.stringify_annotations();
    }
    // Internal annotations (a previous name, a generated object's hash
    // marker) exist already where `patchesJson6902` runs.
    let keeps_annotations = !opts.legacy_json || !r.prev_ids.is_empty() || r.needs_hash;
    // `patches` records the previous id in internal annotations first, so
    // `metadata.annotations` always exists for the patch (adding
    // `/metadata/annotations/x` works on an object without annotations);
    // an empty map is dropped at the end of the build. `patchesJson6902`
    // records nothing: there the annotations may be missing.
    if let Some(md) = r
        .map_mut()
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .filter(|_| keeps_annotations)
    {
        let a = md
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if a.is_null() {
            *a = Value::Object(Map::new());
        }
    }
    // The object goes through JSON: values lose their source text, and
    // no node is shared any more.
    r.forget_raw_texts();
    r.aliases.clear();
    // `patch_unsafe`, not `patch`: `patch` undoes the applied operations
    // when one fails, and its undo panics ("unable to undo applied
    // patches") when a failed `move` has already removed its source (found
    // by fuzzing). A failed patch fails the build, so the half-patched
    // object is never used; errors name it by the identity stored above.
    let named = |_: &Resource| old.clone();
    // While kustomize patches, every object carries its build annotations,
    // so `metadata.annotations` always exists there (and an empty map is
    // dropped from the output): paths under it resolve as on that map.
    let added_annotations = match r.obj.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(m) if !m.contains_key("annotations") && keeps_annotations => {
            m.insert("annotations".into(), Value::Object(Default::default()));
            true
        }
        _ => false,
    };
    // The transformations annotation as kustomize holds it here (with this
    // step's entry): a patch that removes it wipes the list.
    let tracked =
        opts.record_transformations && r.obj.get("metadata").is_some_and(Value::is_object);
    if tracked {
        crate::model::provenance::set_meta_entry(
            &mut r.obj,
            "annotations",
            crate::model::provenance::TRANSFORMATIONS_ANNOTATION,
            String::new(),
        );
    }
    r.notes.reprint(&mut r.obj);
    apply_json6902(&mut r.obj, ops).map_err(|e| {
        perr(src, format!("JSON 6902 patch failed: {e}"))
            .resource(named(r))
            .hint("check the operation's path against the object (list items are addressed by index, e.g. /spec/template/spec/containers/0/image)")
    })?;
    if !r.obj.is_object() {
        return Err(perr(
            src,
            "JSON 6902 patch replaced the whole object with a non-object",
        )
        .resource(named(r)));
    }
    if tracked {
        let kept = r
            .obj
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
            .and_then(|a| a.remove(crate::model::provenance::TRANSFORMATIONS_ANNOTATION));
        if kept.is_none() {
            r.transformations.clear();
            r.transformations_wiped = true;
        }
    }
    round_through_float64(&mut r.obj);
    r.notes.rebuilt(&r.obj);
    r.check_identity("a JSON 6902 patch", &old)
        .map_err(|e| e.file(&src.file))?;
    if let Some(m) = r.obj.get_mut("metadata").and_then(Value::as_object_mut) {
        // kustomize reads a number or boolean there as its text for ids and
        // prefixes but prints it unquoted: neither is a valid object name.
        for field in ["name", "namespace"] {
            if let Some(v) = m.get(field).filter(|v| !v.is_string()) {
                let what = crate::yaml::describe(v);
                return Err(perr(
                    src,
                    format!("JSON 6902 patch set metadata.{field} to {what}, not a string"),
                )
                .resource(named(r))
                .hint("quote the value in the patch"));
            }
        }
        match m.get("annotations") {
            Some(Value::Object(a)) if a.is_empty() && added_annotations => {
                m.remove("annotations");
            }
            None | Some(Value::Object(_)) | Some(Value::Null) => {}
            // kustomize drops a scalar there without a word and crashes on a
            // list; neither is a valid object.
            Some(other) => {
                let what = crate::yaml::describe(other);
                return Err(perr(
                    src,
                    format!("JSON 6902 patch left metadata.annotations {what}, not a mapping"),
                )
                .resource(named(r))
                .hint("annotations are a mapping of string keys to string values"));
            }
        }
    }
    Ok(())
}

/// Applies the operations with the semantics of the JSON patch library
/// kustomize uses (evanphx/json-patch v4): `replace` of a missing key in an
/// existing object sets it, where RFC 6902 wants the key to exist.
fn apply_json6902(
    obj: &mut Value,
    ops: &json_patch::Patch,
) -> std::result::Result<(), json_patch::PatchError> {
    for (i, op) in ops.0.iter().enumerate() {
        let add;
        let op = match op {
            json_patch::PatchOperation::Replace(rep)
                if replaces_missing_key(obj, rep.path.as_str()) =>
            {
                add = json_patch::PatchOperation::Add(json_patch::AddOperation {
                    path: rep.path.clone(),
                    value: rep.value.clone(),
                });
                &add
            }
            _ => op,
        };
        json_patch::patch_unsafe(obj, std::slice::from_ref(op)).map_err(|mut e| {
            e.operation = i;
            e
        })?;
    }
    Ok(())
}

fn replaces_missing_key(obj: &Value, path: &str) -> bool {
    let Some((parent, key)) = path.rsplit_once('/') else {
        return false;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    matches!(obj.pointer(parent), Some(Value::Object(m)) if !m.contains_key(&key))
}
