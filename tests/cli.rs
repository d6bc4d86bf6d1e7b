//! The real binary on temporary trees: stdout, stderr and exit status.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn kcompile(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kcompile"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run kcompile")
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.0
";

/// Expect exit 2, empty stdout and every fragment on stderr.
fn assert_error(out: &Output, fragments: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "stdout must be empty on error");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "stderr lacks {f:?}:\n{stderr}");
    }
}

/// Render, re-parse, re-render: the text must be identical.
fn assert_reparses(stdout: &[u8]) {
    let text = std::str::from_utf8(stdout).unwrap();
    let docs: Vec<serde_json::Value> = kcompile::yaml::parse_stream(text)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .filter(|v| !v.is_null())
        .collect();
    let refs: Vec<&serde_json::Value> = docs.iter().collect();
    assert_eq!(kcompile::yaml::stream_to_string(&refs), text);
}

#[test]
fn builds_and_applies_overlay_fields() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "base/kustomization.yaml",
        "resources:\n- deploy.yaml\n",
    );
    write(t.path(), "base/deploy.yaml", DEPLOY);
    write(
        t.path(),
        "overlay/kustomization.yaml",
        "resources:\n- ../base\nnamespace: spark-b\nnamePrefix: b-\nreplicas:\n- name: web\n  count: 3\nimages:\n- name: nginx\n  newTag: \"2.0\"\n",
    );
    let out = kcompile(&["overlay"], t.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("name: b-web"), "{s}");
    assert!(s.contains("namespace: spark-b"));
    assert!(s.contains("replicas: 3"));
    assert!(s.contains("image: nginx:2.0"));
    assert_reparses(&out.stdout);
    // `build` is the same command.
    let again = kcompile(&["build", "overlay"], t.path());
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn missing_resource_file() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "resources:\n- nope.yaml\n",
    );
    let out = kcompile(&["k"], t.path());
    assert_error(&out, &["kustomization.yaml", "nope.yaml", "no such file"]);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "k/kustomization.yaml", "resources:\n- bad.yaml\n");
    write(
        t.path(),
        "k/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n",
    );
    let out = kcompile(&["k"], t.path());
    assert_error(&out, &["bad.yaml:", "invalid YAML"]);
}

#[test]
fn unknown_field_suggests() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "replica:\n- name: web\n  count: 2\n",
    );
    let out = kcompile(&["k"], t.path());
    assert_error(
        &out,
        &[
            "kustomization.yaml",
            "unknown field `replica`",
            "did you mean `replicas`?",
        ],
    );
}

#[test]
fn patch_without_target_match() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
    );
    write(t.path(), "k/d.yaml", DEPLOY);
    write(
        t.path(),
        "k/p.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  replicas: 2\n",
    );
    let out = kcompile(&["k"], t.path());
    assert_error(
        &out,
        &[
            "p.yaml",
            "Deployment/other",
            "failed to find unique target for patch",
        ],
    );
}

#[test]
fn duplicate_resource_id() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "resources:\n- a.yaml\n- b.yaml\n",
    );
    write(t.path(), "k/a.yaml", DEPLOY);
    write(t.path(), "k/b.yaml", DEPLOY);
    let out = kcompile(&["k"], t.path());
    assert_error(
        &out,
        &[
            "Deployment/web",
            "a.yaml",
            "b.yaml",
            "already registered id",
        ],
    );
}

#[test]
fn kustomization_cycle() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a/kustomization.yaml", "resources:\n- ../b\n");
    write(t.path(), "b/kustomization.yaml", "resources:\n- ../a\n");
    let out = kcompile(&["a"], t.path());
    assert_error(&out, &["cycle detected"]);
}

#[test]
fn file_outside_root_is_refused() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "secret.yaml", DEPLOY);
    write(
        t.path(),
        "k/kustomization.yaml",
        "resources:\n- ../secret.yaml\n",
    );
    let out = kcompile(&["k"], t.path());
    assert_error(
        &out,
        &["security", "is not in or below", "kustomization.yaml"],
    );
}

#[test]
fn no_kustomization_in_directory() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join("empty")).unwrap();
    let out = kcompile(&["empty"], t.path());
    assert_error(&out, &["unable to find one of 'kustomization.yaml'"]);
}

#[test]
fn deprecated_fields_warn_on_stderr() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "resources:\n- d.yaml\npatchesStrategicMerge:\n- p.yaml\n",
    );
    write(t.path(), "k/d.yaml", DEPLOY);
    write(
        t.path(),
        "k/p.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n",
    );
    let out = kcompile(&["k"], t.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'patchesStrategicMerge' is deprecated"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("replicas: 4"));
}

#[test]
fn crds_field_adds_name_references_and_label_fields() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "k/kustomization.yaml",
        "crds:\n- crd.json\nresources:\n- r.yaml\nnamePrefix: p-\nlabels:\n- pairs: {app: x}\n  includeSelectors: true\n",
    );
    write(
        t.path(),
        "k/crd.json",
        r#"{"example.com/v1.Bee": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {},
             "spec": {"$ref": "example.com/v1.BeeSpec"}}}},
            "example.com/v1.BeeSpec": {"Schema": {"properties": {
             "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret"},
             "selector": {"x-kubernetes-label-selector": ""}}}}}"#,
    );
    write(
        t.path(),
        "k/r.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\napiVersion: example.com/v1\nkind: Bee\nmetadata:\n  name: b\nspec:\n  secretRef:\n    name: s\n  selector: {}\n",
    );
    let out = kcompile(&["k"], t.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("  secretRef:\n    name: p-s\n"), "{s}");
    assert!(s.contains("  selector:\n    app: x\n"), "{s}");
    assert_reparses(&out.stdout);
}

/// `kcompile --version` names the commit it was built from.
#[test]
fn version_names_the_commit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = kcompile(&["--version"], root);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.starts_with(&format!("kcompile {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output();
    if let Some(h) = head.ok().filter(|h| h.status.success()) {
        let head = String::from_utf8_lossy(&h.stdout).trim().to_string();
        assert!(
            text.contains(&format!("(commit {head}")),
            "{text} vs HEAD {head}"
        );
    }
}

/// Completions load in bash and complete the real subcommands and flags;
/// the man page is roff naming them too.
#[test]
fn completions_load_in_bash_and_the_man_page_renders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = kcompile(&["completions", "bash"], root);
    assert!(script.status.success());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("kcompile.bash");
    fs::write(&file, &script.stdout).unwrap();
    // Load it, then ask the completion function for `kcompile di<TAB>` and
    // `kcompile diff --cont<TAB>`.
    let probe = format!(
        "set -e; source {f}; complete -p kcompile >/dev/null
         COMP_WORDS=(kcompile di); COMP_CWORD=1; _kcompile kcompile di kcompile; echo \"${{COMPREPLY[@]}}\"
         COMP_WORDS=(kcompile diff --cont); COMP_CWORD=2; _kcompile kcompile --cont diff; echo \"${{COMPREPLY[@]}}\"",
        f = file.display()
    );
    let out = Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["diff"],
        "{text}"
    );
    assert!(
        lines[1].split_whitespace().any(|w| w == "--context"),
        "{text}"
    );
    for shell in ["zsh", "fish"] {
        let o = kcompile(&["completions", shell], root);
        assert!(o.status.success() && !o.stdout.is_empty(), "{shell}");
    }
    let man = kcompile(&["man"], root);
    let roff = String::from_utf8_lossy(&man.stdout);
    assert!(roff.contains(".TH kcompile 1"), "{roff}");
    for sub in ["diff", "validate", "completions"] {
        assert!(roff.contains(sub), "man page lacks {sub}");
    }
}

/// Paths in messages are relative to the working folder when they lie
/// below it (issue 18, point 6).
#[test]
fn paths_below_the_working_folder_are_shown_relative() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = root.join("target/tmp");
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::tempdir_in(&base).unwrap();
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        "resources: [r.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("r.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kcompile"))
        .arg(tmp.path())
        .current_dir(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rel = tmp.path().strip_prefix(root).unwrap().join("r.yaml");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: {}:", rel.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(root.to_str().unwrap()), "{stderr}");
}
