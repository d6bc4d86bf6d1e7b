//! Kustomization parsing: YAML (lenient, as kustomization files are read)
//! into the `Kustomization` model. Errors are fine; panics and hangs are not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz/kustomization.yaml");
    if let Ok(docs) = kcompile::load::parse_kustomization(path, data) {
        for d in docs {
            let _ = kcompile::kustomization::Kustomization::from_value(d.value, path);
        }
    }
});
