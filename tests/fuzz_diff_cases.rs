//! Disagreements the differential fuzzer (tests/fuzz_diff) found, kept as
//! regression cases: each folder in `tests/fuzz_diff/cases/` holds a tree
//! (`in/`), `case.json` (`build_dir`, `expect`: `output` or `error`) and, for
//! `output`, kubectl kustomize's exact output. Runs kcompile only, so it
//! holds without Go or kubectl.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;

#[test]
fn fuzz_diff_cases_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_diff/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the recorded cases in {}",
        root.display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
        let build_dir = meta["build_dir"].as_str().unwrap();
        let expect = meta["expect"].as_str().unwrap();
        let out = util::oracle::kcompile(&case.join("in").join(build_dir));
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        match expect {
            "output" => {
                let want = std::fs::read(case.join("expected.yaml")).unwrap();
                if !out.success() {
                    failures.push(format!(
                        "{name}: kcompile failed where kustomize succeeds: {}",
                        out.stderr
                    ));
                } else if out.stdout_bytes != want {
                    failures.push(format!(
                        "{name}: output differs from kubectl kustomize:\n--- kcompile\n{}\n--- kubectl\n{}",
                        out.stdout,
                        String::from_utf8_lossy(&want)
                    ));
                }
            }
            "error" => {
                if out.code != 2 || !out.stdout.is_empty() {
                    failures.push(format!(
                        "{name}: expected exit 2 with nothing on stdout, got {} and {} bytes",
                        out.code,
                        out.stdout.len()
                    ));
                }
            }
            other => failures.push(format!("{name}: unknown expectation {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
