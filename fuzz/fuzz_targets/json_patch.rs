//! JSON 6902 patches as the `patches:` transformer applies them: the input is
//! a YAML stream whose first document is the object and whose second is the
//! patch (an op list, or anything else the classifier must reject).
#![no_main]
use kcompile::transform::patches;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = kcompile::yaml::parse_stream(text) else {
        return;
    };
    let mut docs = docs.into_iter().map(|d| d.value);
    let (Some(obj), Some(patch)) = (docs.next(), docs.next()) else {
        return;
    };
    let mut rm = kcompile::resmap::ResMap::new();
    let mut obj = obj;
    if let Some(m) = obj.as_object_mut() {
        m.insert("kind".into(), "ConfigMap".into());
        m.insert("apiVersion".into(), "v1".into());
        m.insert("metadata".into(), serde_json::json!({"name": "x"}));
    } else {
        return;
    }
    if rm.append(kcompile::resource::Resource::new(obj, None)).is_err() {
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
});
