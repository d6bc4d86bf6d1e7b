//! A whole build of a small tree written to a temporary directory: the input
//! is split on NUL bytes into `kustomization.yaml`, `a.yaml`, `b.yaml`,
//! `patch.yaml`, `base/kustomization.yaml` and `base/c.yaml`.
#![no_main]
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 6] = [
    "kustomization.yaml",
    "a.yaml",
    "b.yaml",
    "patch.yaml",
    "base/kustomization.yaml",
    "base/c.yaml",
];

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else {
        return;
    };
    let _ = std::fs::create_dir(tmp.path().join("base"));
    for (name, content) in FILES.iter().zip(data.split(|&b| b == 0)) {
        let _ = std::fs::write(tmp.path().join(name), content);
    }
    let loader = kcompile::load::Loader::new();
    if let Ok(out) = kcompile::build::build(&loader, tmp.path(), &Default::default()) {
        let docs: Vec<&serde_json::Value> = out.resources.iter().map(|r| &r.obj).collect();
        let _ = kcompile::yaml::stream_to_string(&docs);
    }
});
