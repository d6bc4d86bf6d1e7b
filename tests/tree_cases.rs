//! Kustomization trees recorded from `kubectl kustomize` (kustomize v5.5) by
//! tests/generate_tree_cases.py: name references across sibling branches and
//! buildMetadata provenance. Each `tests/tree_cases/<name>/` holds the tree
//! under `in/`, case.json (build_dir, expect_error, kcompile_error_contains)
//! and expected.yaml, or expected_error.txt for a build that must fail.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::Value;
use std::path::{Path, PathBuf};
use util::oracle::{kcompile, kubectl_available};
use util::{Cmd, Out, Tree};

struct Case {
    name: String,
    build: PathBuf,
    meta: Value,
    dir: PathBuf,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tree_cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/tree_cases")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "expected the recorded tree cases");
    dirs.into_iter()
        .map(|dir| {
            let meta: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                    .unwrap();
            let build = dir.join("in").join(meta["build_dir"].as_str().unwrap());
            Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                build,
                meta,
                dir,
            }
        })
        .collect()
}

/// Why kcompile's result is not the recorded one, if it is not.
fn verdict(c: &Case, out: &Out) -> Option<String> {
    let stdout = out.stdout.as_str();
    let stderr = out.stderr.as_str();
    if stderr.contains("panicked") {
        return Some(format!("panicked:\n{stderr}"));
    }
    if c.meta["expect_error"].as_bool() == Some(true) {
        let want = c.meta["kcompile_error_contains"].as_str().unwrap();
        if out.code != 2 || !stdout.is_empty() {
            return Some(format!(
                "expected exit 2 and no output, got {} with:\n{stdout}",
                out.code
            ));
        }
        if !stderr.contains(want) {
            return Some(format!("error lacks `{want}`:\n{stderr}"));
        }
        return None;
    }
    let expected = std::fs::read_to_string(c.dir.join("expected.yaml")).unwrap();
    if !out.success() {
        return Some(format!("failed:\n{stderr}"));
    }
    if stdout != expected {
        let line = stdout
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| stdout.lines().count().min(expected.lines().count()) + 1);
        return Some(format!(
            "output differs from kubectl's from line {line}:\n--- kcompile\n{stdout}--- kubectl\n{expected}"
        ));
    }
    None
}

/// Cases where kubectl silently loses what was written (a nested
/// annotation value printed as "", annotations that are not a mapping
/// dropped) and kcompile deliberately refuses instead: the error it gives.
const REFUSED: &[(&str, &str)] = &[
    ("bm_input_provenance_both", "has a map as its value"),
    ("bm_input_provenance_managed_by", "has a map as its value"),
    ("bm_input_provenance_none", "has a map as its value"),
    ("bm_input_provenance_origin", "has a map as its value"),
    ("bm_input_provenance_transformer", "has a map as its value"),
    (
        "bm_scalar_annotations_dropped",
        "is a string, not a mapping",
    ),
];

fn refused(name: &str) -> Option<&'static str> {
    REFUSED.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}

#[test]
fn tree_cases_match_recorded_kubectl_output() {
    let all = cases();
    let fails: Vec<String> = all
        .iter()
        .filter_map(|c| {
            let out = kcompile(&c.build);
            let why = match refused(&c.name) {
                Some(want) => {
                    let stderr = out.stderr.as_str();
                    (out.code != 2 || !out.stdout.is_empty() || !stderr.contains(want))
                        .then(|| format!("expected a refusal naming `{want}`:\n{stderr}"))
                }
                None => verdict(c, &out),
            };
            why.map(|w| format!("{}: {w}", c.name))
        })
        .collect();
    println!("tree cases: {}/{} pass", all.len() - fails.len(), all.len());
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}

/// The recordings are still what kubectl prints (so kcompile, which matches
/// them, matches the live oracle).
#[test]
fn tree_cases_recordings_match_live_kubectl() {
    if !kubectl_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI requires kubectl (the kustomize oracle)"
        );
        eprintln!("SKIP: kubectl not found; live tree cases not run");
        return;
    }
    let mut fails = Vec::new();
    for c in cases() {
        let theirs = Cmd::new("kubectl").arg("kustomize").arg(&c.build).run();
        let ours = kcompile(&c.build);
        if refused(&c.name).is_some() {
            // kubectl succeeds by losing data; kcompile refuses (above).
            continue;
        }
        if c.meta["expect_error"].as_bool() == Some(true) {
            if theirs.success() {
                fails.push(format!("{}: kubectl no longer fails", c.name));
            }
        } else if !theirs.success() {
            fails.push(format!("{}: kubectl failed:\n{}", c.name, theirs.stderr));
        } else if theirs.stdout_bytes != ours.stdout_bytes {
            fails.push(format!(
                "{}: kcompile differs from live kubectl:\n--- kcompile\n{}--- kubectl\n{}",
                c.name, ours.stdout, theirs.stdout
            ));
        }
    }
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}

/// kubectl prints a non-string annotation value as the YAML text it was
/// written with (`1.50` as "1.50"); so does kcompile, which keeps that text.
#[test]
fn non_string_annotation_values_print_as_written() {
    let t = Tree::new();
    t.file("kustomization.yaml", "resources: [cm.yaml]\n");
    for value in ["1.50", "true", "0x1F"] {
        t.file(
            "cm.yaml",
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    ok: text\n    bad: {value}\n"
            ),
        );
        let out = kcompile(t.path());
        let stdout = out.stdout.as_str();
        assert_eq!(out.code, 0, "{value}: {}", out.stderr);
        assert!(
            stdout.contains(&format!("bad: \"{value}\"")),
            "{value}: {stdout}"
        );
    }
}
