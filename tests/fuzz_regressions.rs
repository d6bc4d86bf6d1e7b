//! Inputs the fuzzers (fuzz/) found, kept as regression tests: each file in
//! `tests/fuzz_regressions/<target>/` is run through the same code as the
//! fuzz target of that name and must not panic (errors are fine).
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

#[path = "../fuzz/harness.rs"]
mod harness;

use harness::*;
use std::path::{Path, PathBuf};

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
