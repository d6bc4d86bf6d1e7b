//! The bodies of the fuzz targets, one function each, shared by the targets
//! in `fuzz_targets/` and by `tests/fuzz_regressions.rs` (which runs kept
//! findings through exactly the same code). Errors are fine; a panic, a hang
//! or runaway memory is a finding.
// Each fuzz target uses one of these.
#![allow(dead_code)]

use kcompile::patch::apply as patches;
use std::path::Path;

/// Kustomization parsing: YAML (lenient, as kustomization files are read)
/// into the `Kustomization` model.
pub fn kustomization(data: &[u8]) {
    let path = Path::new("fuzz/kustomization.yaml");
    if let Ok(docs) = kcompile::input::load::parse_kustomization(path, data) {
        for d in docs {
            let _ = kcompile::input::kustomization::Kustomization::from_value(d.value, path);
        }
    }
}

/// YAML stream loading: parse, turn documents into resources, and emit what
/// parsed (the emitter must cope with every value the parser produces, and
/// what it prints must parse back).
pub fn yaml_stream(data: &[u8]) {
    let path = Path::new("fuzz/r.yaml");
    let Ok(docs) = kcompile::input::load::parse_bytes(path, data) else {
        return;
    };
    let values: Vec<&serde_json::Value> = docs.iter().map(|d| &d.value).collect();
    let text = kcompile::yaml::stream_to_string(&values);
    let _ = kcompile::input::load::resources_from_docs(path, docs);
    if let Err(e) = kcompile::yaml::parse_stream(&text) {
        panic!("emitted YAML does not parse back ({e}):\n{text}");
    }
}

/// The first two documents of a YAML stream.
fn two_docs(data: &[u8]) -> Option<(serde_json::Value, serde_json::Value)> {
    let text = std::str::from_utf8(data).ok()?;
    let docs = kcompile::yaml::parse_stream(text).ok()?;
    let mut docs = docs.into_iter().map(|d| d.value);
    Some((docs.next()?, docs.next()?))
}

/// Strategic merge: a target object `---` a patch, with the builtin schema.
pub fn strategic_merge(data: &[u8]) {
    let Some((mut target, patch)) = two_docs(data) else {
        return;
    };
    let schema = kcompile::patch::merge_keys::Schema::with_builtin();
    let _ = kcompile::patch::smp::strategic_merge(&mut target, &patch, &schema);
}

/// Patches as the `patches:` transformer applies them: an object `---` a
/// patch (a JSON 6902 op list, a strategic-merge mapping, or anything else
/// the classifier must reject).
pub fn json_patch(data: &[u8]) {
    let Some((mut obj, patch)) = two_docs(data) else {
        return;
    };
    let Some(m) = obj.as_object_mut() else {
        return;
    };
    m.insert("kind".into(), "ConfigMap".into());
    m.insert("apiVersion".into(), "v1".into());
    m.insert("metadata".into(), serde_json::json!({"name": "x"}));
    let mut rm = kcompile::model::resmap::ResMap::new();
    if rm
        .append(kcompile::model::resource::Resource::new(obj, None))
        .is_err()
    {
        return;
    }
    let src = patches::Source {
        file: "fuzz".into(),
        inline: false,
    };
    let Ok(parsed) = patches::classify(vec![patch], &src) else {
        return;
    };
    let target = kcompile::input::kustomization::Selector {
        kind: "ConfigMap".into(),
        ..Default::default()
    };
    let schema = kcompile::patch::merge_keys::Schema::with_builtin();
    let _ = patches::apply(
        &mut rm,
        &parsed,
        Some(&target),
        patches::Opts::default(),
        &schema,
        &src,
    );
}

/// A whole build of a small tree written to a temporary directory: the input
/// is split on NUL bytes into these files.
pub const TREE_FILES: [&str; 6] = [
    "kustomization.yaml",
    "a.yaml",
    "b.yaml",
    "patch.yaml",
    "base/kustomization.yaml",
    "base/c.yaml",
];

pub fn build_tree(data: &[u8]) {
    let Ok(tmp) = tempfile::tempdir() else {
        return;
    };
    let _ = std::fs::create_dir(tmp.path().join("base"));
    for (name, content) in TREE_FILES.iter().zip(data.split(|&b| b == 0)) {
        let _ = std::fs::write(tmp.path().join(name), content);
    }
    let loader = kcompile::input::load::Loader::new(kcompile::input::disk::Disk);
    if let Ok(out) = kcompile::compile::build(&loader, tmp.path(), &Default::default()) {
        let docs: Vec<&serde_json::Value> = out.resources.iter().map(|r| &r.obj).collect();
        let _ = kcompile::yaml::stream_to_string(&docs);
    }
}
