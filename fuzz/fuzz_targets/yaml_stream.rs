//! YAML stream loading: parse, turn documents into resources, and emit what
//! parsed (the emitter must cope with every value the parser produces).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/r.yaml");
    let Ok(docs) = kcompile::load::parse_bytes(path, data) else {
        return;
    };
    let _ = kcompile::load::resources_from_docs(path, &docs);
    let values: Vec<&serde_json::Value> = docs.iter().map(|d| &d.value).collect();
    let text = kcompile::yaml::stream_to_string(&values);
    // What we print must parse back.
    if kcompile::yaml::parse_stream(&text).is_err() {
        panic!("emitted YAML does not parse back:\n{text}");
    }
});
