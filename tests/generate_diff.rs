//! Differential tests: generator cases recorded from `kubectl kustomize`
//! (kustomize v5.5) by tests/generate_cases.py.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk
#![allow(clippy::result_large_err)]

use kcompile::error::{Error, ErrorKind};
use kcompile::generate::configmap::{
    apply_hash_suffix, generate_configmap, generate_secret, GeneratorArgs, GeneratorOptions,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn run_case(dir: &Path) -> Result<Vec<Value>, Error> {
    let k: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kustomization.json")).unwrap())
            .unwrap();
    let global = match k.get("generatorOptions") {
        None | Some(Value::Null) => None,
        Some(v) => Some(GeneratorOptions::from_value(v)?),
    };
    let mut read = |p: &str| -> Result<Vec<u8>, Error> {
        let full = dir.join(p);
        if !full.is_file() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("{p}: must resolve to a file"),
            ));
        }
        std::fs::read(full).map_err(|e| Error::new(ErrorKind::Io, e.to_string()))
    };
    let mut out = Vec::new();
    for (field, secret) in [("configMapGenerator", false), ("secretGenerator", true)] {
        let Some(list) = k.get(field).and_then(Value::as_array) else {
            continue;
        };
        for entry in list {
            let g = if secret {
                generate_secret(
                    &GeneratorArgs::secret_from_value(entry)?,
                    global.as_ref(),
                    &mut read,
                )?
            } else {
                let a = GeneratorArgs::configmap_from_value(entry)?;
                generate_configmap(&a, global.as_ref(), &mut read)?
            };
            let mut obj = g.obj;
            if g.needs_hash {
                apply_hash_suffix(&mut obj)?;
            }
            out.push(obj);
        }
    }
    Ok(out)
}

fn key(v: &Value) -> (String, String) {
    (
        v["kind"].as_str().unwrap_or("").to_string(),
        v["metadata"]["name"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn differential_cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generate_cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let got = run_case(dir);
        match (expected.get("error"), got) {
            (Some(_), Err(_)) => {}
            (Some(e), Ok(objs)) => {
                failures.push(format!("{name}: expected error {e}, got {objs:?}"))
            }
            (None, Err(e)) => failures.push(format!("{name}: unexpected error: {e}")),
            (None, Ok(mut objs)) => {
                let mut exp = expected["objects"].as_array().unwrap().clone();
                exp.sort_by_key(key);
                objs.sort_by_key(key);
                let (a, b) = (
                    serde_json::to_string(&exp).unwrap(),
                    serde_json::to_string(&objs).unwrap(),
                );
                if a != b {
                    failures.push(format!("{name}:\n  expected {a}\n  got      {b}"));
                }
            }
        }
    }
    println!("{} cases, {} failures", dirs.len(), failures.len());
    assert!(dirs.len() >= 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Hashed ConfigMaps/Secrets from kustomize's own test corpus
/// (collected by tests/generate_krusty.py): the suffix must be reproducible.
#[test]
fn krusty_corpus_hashes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generate_krusty.json");
    let items: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut bad = Vec::new();
    for it in &items {
        let obj = &it["obj"];
        let name = obj["metadata"]["name"].as_str().unwrap();
        let (_, suffix) = name.rsplit_once('-').unwrap();
        let h = kcompile::generate::configmap::hash_suffix(obj).unwrap();
        if h != suffix {
            bad.push(format!("{}: {name} -> {h}", it["case"]));
        }
    }
    println!("{} corpus objects, {} mismatches", items.len(), bad.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
