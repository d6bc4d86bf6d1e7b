//! Inputs the fuzzers (fuzz/) found, kept as regression tests: each file in
//! `tests/fuzz_regressions/<target>/` is run through the same code as the
//! fuzz target of that name and must not panic (errors are fine).
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

#[path = "../fuzz/harness.rs"]
mod harness;

use harness::*;
use std::path::{Path, PathBuf};

/// The files of `tests/fuzz_regressions/<target>/`; a missing or empty
/// folder fails the test (a loop over nothing would pass having checked
/// nothing).
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no inputs in {}", dir.display());
    v
}

fn run(target: &str, f: fn(&[u8])) {
    let inputs = inputs(target);
    for p in &inputs {
        let data = std::fs::read(p).unwrap();
        eprintln!("{}", p.display());
        // Fuzz inputs may recurse deeply: give them the binary's stack.
        std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn(move || f(&data))
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{} panicked", p.display()));
    }
    eprintln!("{target}: {} inputs ran", inputs.len());
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
