//! Applying compiled trees to the real API server the way people do, and
//! diffing them: shared by the real-server test files.

use super::kube::{self, Run, Server};
use serde_json::Value;
use std::path::Path;

pub use super::repo;

#[derive(Clone, Copy, Debug)]
pub enum Apply {
    ServerSide,
    ClientSide,
    Create,
}

/// Compile `dir` with kcompile (validated, as the GitOps steps do).
pub fn compile(dir: &Path) -> String {
    let r = kube::kcompile_with(&[dir.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "kcompile {}: {r}", dir.display());
    r.stdout
}

pub fn docs(yaml: &str) -> Vec<String> {
    yaml.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n").to_string())
        .filter(|d| !d.trim().is_empty())
        .collect()
}

/// Apply a compiled stream the way `how` says. CRDs go first and are waited
/// for, as a person (or Argo CD's sync waves) would do.
pub fn apply(s: &Server, yaml: &str, how: Apply) {
    let (crds, rest): (Vec<String>, Vec<String>) = docs(yaml)
        .into_iter()
        .partition(|d| d.contains("\nkind: CustomResourceDefinition\n"));
    for part in [crds.join("\n---\n"), rest.join("\n---\n")] {
        if part.trim().is_empty() {
            continue;
        }
        let args: &[&str] = match how {
            Apply::ServerSide => &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            Apply::ClientSide => &["apply", "-f", "-"],
            Apply::Create => &["create", "-f", "-"],
        };
        s.kubectl(args, Some(&part));
        if part.contains("\nkind: CustomResourceDefinition\n") {
            s.kubectl(
                &[
                    "wait",
                    "--for=condition=Established",
                    "--timeout=60s",
                    "-f",
                    "-",
                ],
                Some(&part),
            );
        }
    }
}

/// Remove every object of a compiled stream, finalizers included (no
/// controller manager runs to finish deletions).
pub fn wipe(s: &Server, yaml: &str) {
    for d in docs(yaml) {
        let v: Value = serde_yaml_value(&d);
        let kind = v["kind"].as_str().unwrap_or("");
        let name = v["metadata"]["name"].as_str().unwrap_or("");
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("");
        let res = format!("{kind}.{}", group(&v));
        let mut args = vec!["patch", res.as_str(), name, "--type=merge"];
        if !ns.is_empty() {
            args.extend(["-n", ns]);
        }
        args.extend(["-p", r#"{"metadata":{"finalizers":null}}"#]);
        let _ = s.kubectl_run(&args, None);
    }
    s.kubectl_run(
        &["delete", "--ignore-not-found", "--wait=false", "-f", "-"],
        Some(yaml),
    );
    for d in docs(yaml) {
        let v = serde_yaml_value(&d);
        if v["kind"] == "Namespace" {
            let ns = v["metadata"]["name"].as_str().unwrap();
            let body = format!(
                r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}},"spec":{{"finalizers":[]}}}}"#
            );
            let _ = s.kubectl_run(
                &[
                    "replace",
                    "--raw",
                    &format!("/api/v1/namespaces/{ns}/finalize"),
                    "-f",
                    "-",
                ],
                Some(&body),
            );
            for _ in 0..100 {
                if s.kubectl_run(&["get", "namespace", ns], None).code != 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

pub fn group(v: &Value) -> String {
    v["apiVersion"]
        .as_str()
        .and_then(|a| a.rsplit_once('/'))
        .map(|(g, _)| g.to_string())
        .unwrap_or_default()
}

/// YAML to JSON through kubectl-free means: kcompile's output is plain
/// block YAML, which serde_json cannot read, so go through the library.
pub fn serde_yaml_value(doc: &str) -> Value {
    let docs = kcompile::yaml::parse_stream(doc).unwrap();
    docs.into_iter().next().unwrap().value
}

pub fn diff(s: &Server, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["diff", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    s.kcompile(&args)
}

pub fn assert_no_diff(s: &Server, dir: &Path, what: &str) {
    for mode in [&[][..], &["--client-side"][..]] {
        let r = diff(s, dir, mode);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, ""),
            "{what}: `kcompile diff {} {mode:?}` after applying should print nothing: {r}",
            dir.display()
        );
        assert!(
            r.stderr
                .contains(" 0 changed, 0 to be created, 0 to be pruned"),
            "{what}: {r}"
        );
    }
}
