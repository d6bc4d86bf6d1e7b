//! Differential fuzzing against kustomize, the CI slice: builds the
//! in-process kustomize oracle (tests/kustomize-oracle, Go), proves it prints
//! what `kubectl kustomize` prints on a sample, then runs a fixed seed range
//! of generated trees through kcompile and the oracle (tests/fuzz_diff/run.py).
//! Outside CI it skips, with a message, when Go, Python or kubectl is missing.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

use std::path::{Path, PathBuf};
use std::process::Command;

/// The CI seed range: about 90 s on the 2 shared cores.
const SEEDS: &str = "0:1200";

fn go() -> Option<PathBuf> {
    let ok = |p: &Path| {
        Command::new(p)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    [PathBuf::from("go"), PathBuf::from("/usr/local/go/bin/go")]
        .into_iter()
        .find(|p| ok(p))
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tools_or_skip() -> bool {
    let missing: Vec<&str> = [
        ("go", go().is_some()),
        ("python3", have("python3", "--version")),
        (
            "kubectl",
            have("kubectl", "version") || have("kubectl", "--help"),
        ),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(n, _)| n)
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI requires {} for the differential fuzz test",
        missing.join(", ")
    );
    eprintln!(
        "SKIP: {} not found; differential fuzz test not run",
        missing.join(", ")
    );
    false
}

fn python(args: &[&str]) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(go) = go() {
        if let Some(dir) = go.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut p = dir.as_os_str().to_owned();
            p.push(":");
            p.push(&path);
            path = p;
        }
    }
    Command::new("python3")
        .args(args)
        .current_dir(root)
        .env("PATH", path)
        .output()
        .unwrap()
}

#[test]
fn oracle_matches_kubectl_and_kcompile_matches_oracle() {
    if !tools_or_skip() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The oracle against kubectl: kustomize's own corpus (when present) and
    // generated trees.
    let corpus = root.join("../shared/corpus/krusty");
    let mut args = vec!["tests/fuzz_diff/equiv.py", "--seeds", "0:40"];
    let corpus_s = corpus.to_string_lossy().to_string();
    if corpus.is_dir() {
        args.extend(["--corpus", &corpus_s, "--limit", "60"]);
    }
    let out = python(&args);
    assert!(
        out.status.success(),
        "the oracle disagrees with kubectl kustomize:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // kcompile against the oracle on the fixed seed range.
    let out = python(&[
        "tests/fuzz_diff/run.py",
        "--seeds",
        SEEDS,
        "--kcompile",
        env!("CARGO_BIN_EXE_kcompile"),
        "--open",
        "tests/fuzz_diff/open/seeds.txt",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{}", stdout.lines().last().unwrap_or(""));
    assert!(
        out.status.success(),
        "kcompile disagrees with kustomize (reproduce: python3 tests/fuzz_diff/run.py --seeds A:B --findings DIR):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
