//! Differential cases recorded from kustomize v5.5 (`scripts/smp-oracle.py`):
//! each `tests/smp_cases/<name>/` holds resource.json, patch.json, optional
//! openapi.json and expected.json (kustomize's result) or expected_error.txt.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

use kcompile::patch::merge_keys::Schema;
use kcompile::patch::smp::strategic_merge;
use serde_json::Value;
use std::path::Path;

fn read(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// JSON equality that also requires equal list order (serde_json already
/// does) and reports the first differing path.
fn diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => return Some(format!("{path}.{k}: extra in ours")),
                    Some(w) => {
                        if let Some(d) = diff(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k}: missing in ours"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| diff(v, w, &format!("{path}[{i}]"))),
        _ if a == b => None,
        // kustomize prints numbers-as-written; compare 1.0 and 1 alike.
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ => Some(format!("{path}: ours {a} kustomize {b}")),
    }
}

#[test]
fn smp_differential_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smp_cases");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .expect("cases dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    let (mut pass, mut fail) = (0, Vec::new());
    for dir in &names {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let schema = if dir.join("openapi.json").exists() {
            Schema::from_openapi(&read(&dir.join("openapi.json"))).expect("openapi")
        } else {
            Schema::with_builtin()
        };
        let mut target = read(&dir.join("resource.json"));
        let patch = read(&dir.join("patch.json"));
        let result = strategic_merge(&mut target, &patch, &schema);
        let verdict = if dir.join("expected_error.txt").exists() {
            match result {
                Err(_) => None,
                Ok(()) => Some(format!("expected an error, got {target}")),
            }
        } else {
            let expected = read(&dir.join("expected.json"));
            match result {
                Err(e) => Some(format!("error: {e}")),
                Ok(()) => diff(&target, &expected, ""),
            }
        };
        match verdict {
            None => pass += 1,
            Some(why) => fail.push(format!("{name}: {why}")),
        }
    }
    println!("smp differential: {pass}/{} pass", names.len());
    for f in &fail {
        println!("  FAIL {f}");
    }
    assert!(fail.is_empty(), "{} failing cases", fail.len());
}
