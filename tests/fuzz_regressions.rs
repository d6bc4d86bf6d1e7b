//! Inputs the fuzzers (fuzz/) found, kept as regression tests: each file in
//! `tests/fuzz_regressions/<target>/` is run through the same code as the
//! fuzz target of that name and must not panic (errors are fine).

use kcompile::transform::patches;
use std::path::{Path, PathBuf};

fn kustomization(data: &[u8]) {
    let path = Path::new("fuzz/kustomization.yaml");
    if let Ok(docs) = kcompile::load::parse_kustomization(path, data) {
        for d in docs {
            let _ = kcompile::kustomization::Kustomization::from_value(d.value, path);
        }
    }
}

fn yaml_stream(data: &[u8]) {
    let path = Path::new("fuzz/r.yaml");
    let Ok(docs) = kcompile::load::parse_bytes(path, data) else {
        return;
    };
    let _ = kcompile::load::resources_from_docs(path, &docs);
    let values: Vec<&serde_json::Value> = docs.iter().map(|d| &d.value).collect();
    let text = kcompile::yaml::stream_to_string(&values);
    assert!(
        kcompile::yaml::parse_stream(&text).is_ok(),
        "emitted YAML does not parse back:\n{text}"
    );
}

fn two_docs(data: &[u8]) -> Option<(serde_json::Value, serde_json::Value)> {
    let text = std::str::from_utf8(data).ok()?;
    let docs = kcompile::yaml::parse_stream(text).ok()?;
    let mut docs = docs.into_iter().map(|d| d.value);
    Some((docs.next()?, docs.next()?))
}

fn strategic_merge(data: &[u8]) {
    let Some((mut target, patch)) = two_docs(data) else {
        return;
    };
    let schema = kcompile::patch::schema::Schema::with_builtin();
    let _ = kcompile::patch::smp::strategic_merge(&mut target, &patch, &schema);
}

fn json_patch(data: &[u8]) {
    let Some((mut obj, patch)) = two_docs(data) else {
        return;
    };
    let Some(m) = obj.as_object_mut() else {
        return;
    };
    m.insert("kind".into(), "ConfigMap".into());
    m.insert("apiVersion".into(), "v1".into());
    m.insert("metadata".into(), serde_json::json!({"name": "x"}));
    let mut rm = kcompile::resmap::ResMap::new();
    if rm
        .append(kcompile::resource::Resource::new(obj, None))
        .is_err()
    {
        return;
    }
    let src = patches::Source { label: "fuzz" };
    let Ok(parsed) = patches::classify(vec![patch], &src) else {
        return;
    };
    let target = kcompile::kustomization::Selector {
        kind: "ConfigMap".into(),
        ..Default::default()
    };
    let schema = kcompile::patch::schema::Schema::with_builtin();
    let _ = patches::apply(
        &mut rm,
        &parsed,
        Some(&target),
        patches::Opts::default(),
        &schema,
        &src,
    );
}

fn build_tree(data: &[u8]) {
    const FILES: [&str; 6] = [
        "kustomization.yaml",
        "a.yaml",
        "b.yaml",
        "patch.yaml",
        "base/kustomization.yaml",
        "base/c.yaml",
    ];
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("base")).unwrap();
    for (name, content) in FILES.iter().zip(data.split(|&b| b == 0)) {
        std::fs::write(tmp.path().join(name), content).unwrap();
    }
    let loader = kcompile::load::Loader::new();
    if let Ok(out) = kcompile::build::build(&loader, tmp.path(), &Default::default()) {
        let docs: Vec<&serde_json::Value> = out.resources.iter().map(|r| &r.obj).collect();
        let _ = kcompile::yaml::stream_to_string(&docs);
    }
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn run(target: &str, f: fn(&[u8])) {
    for p in inputs(target) {
        let data = std::fs::read(&p).unwrap();
        eprintln!("{}", p.display());
        // Fuzz inputs may recurse deeply: give them the binary's stack.
        std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn(move || f(&data))
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{} panicked", p.display()));
    }
}

#[test]
fn kustomization_regressions() {
    run("kustomization", kustomization);
}

#[test]
fn yaml_stream_regressions() {
    run("yaml_stream", yaml_stream);
}

#[test]
fn strategic_merge_regressions() {
    run("strategic_merge", strategic_merge);
}

#[test]
fn json_patch_regressions() {
    run("json_patch", json_patch);
}

#[test]
fn build_tree_regressions() {
    run("build_tree", build_tree);
}
