//! Strategic merge: the input is two YAML documents, a target object and a
//! patch, merged with the builtin schema.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = kcompile::yaml::parse_stream(text) else {
        return;
    };
    let mut docs = docs.into_iter().map(|d| d.value);
    let (Some(mut target), Some(patch)) = (docs.next(), docs.next()) else {
        return;
    };
    let schema = kcompile::patch::schema::Schema::with_builtin();
    let _ = kcompile::patch::smp::strategic_merge(&mut target, &patch, &schema);
});
