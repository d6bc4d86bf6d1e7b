//! The real binary on temporary trees: stdout, stderr and exit status.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::fs;
use std::path::Path;
use std::process::Command;
use util::{kcompile_in, Cmd, Tree, DEPLOY};

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
    let t = Tree::new();
    t.file("base/kustomization.yaml", "resources:\n- deploy.yaml\n");
    t.file("base/deploy.yaml", DEPLOY);
    t.file("overlay/kustomization.yaml",
        "resources:\n- ../base\nnamespace: spark-b\nnamePrefix: b-\nreplicas:\n- name: web\n  count: 3\nimages:\n- name: nginx\n  newTag: \"2.0\"\n",
    );
    let out = t.kcompile(&["overlay"]);
    out.assert_ok();
    let s = out.stdout.as_str();
    assert!(s.contains("name: b-web"), "{s}");
    assert!(s.contains("namespace: spark-b"));
    assert!(s.contains("replicas: 3"));
    assert!(s.contains("image: nginx:2.0"));
    assert_reparses(&out.stdout_bytes);
    // `build` is the same command.
    let again = t.kcompile(&["build", "overlay"]);
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn missing_resource_file() {
    let t = Tree::new();
    t.file("k/kustomization.yaml", "resources:\n- nope.yaml\n");
    let out = t.kcompile(&["k"]);
    out.assert_error(&["kustomization.yaml", "nope.yaml", "no such file"]);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let t = Tree::new();
    t.file("k/kustomization.yaml", "resources:\n- bad.yaml\n");
    t.file(
        "k/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n",
    );
    let out = t.kcompile(&["k"]);
    out.assert_error(&["bad.yaml:", "invalid YAML"]);
}

#[test]
fn unknown_field_suggests() {
    let t = Tree::new();
    t.file(
        "k/kustomization.yaml",
        "replica:\n- name: web\n  count: 2\n",
    );
    let out = t.kcompile(&["k"]);
    out.assert_error(&[
        "kustomization.yaml",
        "unknown field `replica`",
        "did you mean `replicas`?",
    ]);
}

#[test]
fn patch_without_target_match() {
    let t = Tree::new();
    t.file(
        "k/kustomization.yaml",
        "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
    );
    t.file("k/d.yaml", DEPLOY);
    t.file(
        "k/p.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  replicas: 2\n",
    );
    let out = t.kcompile(&["k"]);
    out.assert_error(&[
        "p.yaml",
        "Deployment/other",
        "failed to find unique target for patch",
    ]);
}

#[test]
fn duplicate_resource_id() {
    let t = Tree::new();
    t.file("k/kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n");
    t.file("k/a.yaml", DEPLOY);
    t.file("k/b.yaml", DEPLOY);
    let out = t.kcompile(&["k"]);
    out.assert_error(&[
        "Deployment/web",
        "a.yaml",
        "b.yaml",
        "already registered id",
    ]);
}

#[test]
fn kustomization_cycle() {
    let t = Tree::new();
    t.file("a/kustomization.yaml", "resources:\n- ../b\n");
    t.file("b/kustomization.yaml", "resources:\n- ../a\n");
    let out = t.kcompile(&["a"]);
    out.assert_error(&["cycle detected"]);
}

#[test]
fn file_outside_root_is_refused() {
    let t = Tree::new();
    t.file("secret.yaml", DEPLOY);
    t.file("k/kustomization.yaml", "resources:\n- ../secret.yaml\n");
    let out = t.kcompile(&["k"]);
    out.assert_error(&["security", "is not in or below", "kustomization.yaml"]);
}

#[test]
fn no_kustomization_in_directory() {
    let t = Tree::new();
    fs::create_dir_all(t.path().join("empty")).unwrap();
    let out = t.kcompile(&["empty"]);
    out.assert_error(&["unable to find one of 'kustomization.yaml'"]);
}

#[test]
fn deprecated_fields_warn_on_stderr() {
    let t = Tree::new();
    t.file(
        "k/kustomization.yaml",
        "resources:\n- d.yaml\npatchesStrategicMerge:\n- p.yaml\n",
    );
    t.file("k/d.yaml", DEPLOY);
    t.file(
        "k/p.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n",
    );
    let out = t.kcompile(&["k"]);
    assert!(out.success());
    assert!(out.stderr.contains("'patchesStrategicMerge' is deprecated"));
    assert!(out.stdout.contains("replicas: 4"));
}

#[test]
fn crds_field_adds_name_references_and_label_fields() {
    let t = Tree::new();
    t.file("k/kustomization.yaml",
        "crds:\n- crd.json\nresources:\n- r.yaml\nnamePrefix: p-\nlabels:\n- pairs: {app: x}\n  includeSelectors: true\n",
    );
    t.file("k/crd.json",
        r#"{"example.com/v1.Bee": {"Schema": {"properties": {"apiVersion": {}, "kind": {}, "metadata": {},
             "spec": {"$ref": "example.com/v1.BeeSpec"}}}},
            "example.com/v1.BeeSpec": {"Schema": {"properties": {
             "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret"},
             "selector": {"x-kubernetes-label-selector": ""}}}}}"#,
    );
    t.file("k/r.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\napiVersion: example.com/v1\nkind: Bee\nmetadata:\n  name: b\nspec:\n  secretRef:\n    name: s\n  selector: {}\n",
    );
    let out = t.kcompile(&["k"]);
    out.assert_ok();
    let s = out.stdout.as_str();
    assert!(s.contains("  secretRef:\n    name: p-s\n"), "{s}");
    assert!(s.contains("  selector:\n    app: x\n"), "{s}");
    assert_reparses(&out.stdout_bytes);
}

/// `kcompile --version` names the commit it was built from.
#[test]
fn version_names_the_commit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = kcompile_in(&["--version"], root);
    assert!(out.success());
    let text = out.stdout.clone();
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
    let script = kcompile_in(&["completions", "bash"], root);
    assert!(script.success());
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
    let out = Cmd::new("bash").args(["-c", &probe]).run();
    let text = out.stdout.as_str();
    assert!(out.success(), "{text}{}", out.stderr);
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
        let o = kcompile_in(&["completions", shell], root);
        assert!(o.success() && !o.stdout.is_empty(), "{shell}");
    }
    let man = kcompile_in(&["man"], root);
    let roff = man.stdout.as_str();
    assert!(roff.contains(".TH kcompile 1"), "{roff}");
    for sub in ["diff", "validate", "completions"] {
        assert!(roff.contains(sub), "man page lacks {sub}");
    }
}

/// Paths in messages are relative to the working folder when they lie
/// below it (issue 18, point 6).
#[test]
fn paths_below_the_working_folder_are_shown_relative() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Tree::new_in(root.join("target/tmp"));
    tmp.file("kustomization.yaml", "resources: [r.yaml]\n");
    tmp.file("r.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
    let out = kcompile_in(&[tmp.path()], root);
    let stderr = out.stderr.as_str();
    let rel = tmp.path().strip_prefix(root).unwrap().join("r.yaml");
    assert_eq!(out.code, 2, "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: {}:", rel.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(root.to_str().unwrap()), "{stderr}");
}

/// The release binary carries no debug info (it was 88 MB with it): the
/// profile the test command and the docs share stays lean.
#[test]
fn the_release_binary_is_lean() {
    if cfg!(debug_assertions) {
        eprintln!("SKIP: not a release build");
        return;
    }
    let size = fs::metadata(env!("CARGO_BIN_EXE_kcompile")).unwrap().len();
    assert!(size < 40 * 1024 * 1024, "kcompile is {size} bytes");
}
