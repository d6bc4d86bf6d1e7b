//! Conformance against kustomize's own test corpus (`../shared/corpus/krusty`).
//!
//! Every case listed in `tests/corpus-passing.txt` must still pass byte for
//! byte (the ratchet); the run prints byte-exact and semantic pass rates and
//! writes the current passing list to `target/corpus-passing.txt` so the
//! ratchet can be raised. Error cases must fail with exit 2 and a message.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/krusty");
    d.is_dir().then_some(d)
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &t);
        } else if ft.is_symlink() {
            let target = fs::read_link(e.path()).unwrap();
            std::os::unix::fs::symlink(target, &t).unwrap();
        } else {
            fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn docs(text: &str) -> Option<Vec<Value>> {
    kcompile::yaml::parse_stream(text).ok().map(|d| {
        d.into_iter()
            .map(|d| d.value)
            .filter(|v| !v.is_null())
            .collect()
    })
}

#[derive(Default)]
struct Score {
    exact: BTreeSet<String>,
    semantic: usize,
    errors_ok: usize,
    errors_total: usize,
    total: usize,
    failures: Vec<String>,
}

fn run_case(case: &Path, score: &mut Score) {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let meta: Value =
        serde_json::from_str(&fs::read_to_string(case.join("case.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&case.join("in"), tmp.path());
    for d in meta["empty_dirs"].as_array().into_iter().flatten() {
        fs::create_dir_all(tmp.path().join(d.as_str().unwrap().trim_start_matches('/'))).unwrap();
    }
    let dir = tmp.path().join(meta["build_dir"].as_str().unwrap_or("."));
    let out = util::cmd().args(["--reorder", "none"]).arg(&dir).run();
    score.total += 1;
    let (stdout, stderr) = (out.stdout.as_str(), out.stderr.as_str());
    assert!(
        !stderr.contains("panicked"),
        "{name}: kcompile panicked:\n{stderr}"
    );
    if meta["expect_error"].as_bool() == Some(true) {
        score.errors_total += 1;
        if out.code == 2 && stdout.is_empty() && stderr.contains("error:") {
            score.errors_ok += 1;
            score.exact.insert(name);
        } else {
            score
                .failures
                .push(format!("{name}: expected an error, got exit {}", out.code));
        }
        return;
    }
    let expected = fs::read_to_string(case.join("expected.yaml")).unwrap();
    if out.success() && stdout == expected {
        // What kcompile prints must read back to the same text.
        let docs = docs(stdout).expect("printed output parses");
        let refs: Vec<&Value> = docs.iter().collect();
        assert_eq!(
            kcompile::yaml::stream_to_string(&refs),
            stdout,
            "{name}: render -> parse -> render differs"
        );
        score.exact.insert(name);
        score.semantic += 1;
        return;
    }
    let why = if !out.success() {
        format!("exit {}: {}", out.code, stderr.lines().next().unwrap_or(""))
    } else if docs(stdout).is_some() && docs(stdout) == docs(&expected) {
        score.semantic += 1;
        "text differs (same data)".to_string()
    } else {
        "data differs".to_string()
    };
    score.failures.push(format!("{name}: {why}"));
}

#[test]
fn corpus_ratchet() {
    // The corpus is shared data beside the repository, not part of it: a
    // checkout without it skips (loudly) rather than fails.
    let Some(corpus) = corpus_dir() else {
        let why = "../shared/corpus/krusty (kustomize's own test cases, shared beside the repository) not found; corpus ratchet not checked";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the corpus: {why}"
        );
        // Straight to stderr: the harness captures eprintln! of passing tests.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIP: {why}");
        return;
    };
    let mut cases: Vec<PathBuf> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 100,
        "{} holds only {} cases: not the kustomize corpus",
        corpus.display(),
        cases.len()
    );
    let mut score = Score::default();
    for c in &cases {
        run_case(c, &mut score);
    }
    let n = score.total - score.errors_total;
    eprintln!(
        "corpus: {}/{} byte-exact, {}/{} success cases semantic, {}/{} error cases",
        score.exact.len(),
        score.total,
        score.semantic,
        n,
        score.errors_ok,
        score.errors_total
    );
    for f in &score.failures {
        eprintln!("  FAIL {f}");
    }
    let listed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-passing.txt");
    let now: String = score.exact.iter().map(|s| format!("{s}\n")).collect();
    let _ = fs::write(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus-passing.txt"),
        &now,
    );
    let ratchet: Vec<String> = fs::read_to_string(&listed)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let regressed: Vec<&String> = ratchet
        .iter()
        .filter(|c| !score.exact.contains(*c))
        .collect();
    assert!(
        regressed.is_empty(),
        "corpus cases that passed before now fail: {regressed:?}"
    );
}
