//! `kcompile diff` with no overlay: every cluster of kcompile.yaml against
//! its own context, against the real kube-apiserver (tests/util/kube.rs).
//! Two contexts reach the server; a third points where nothing listens and
//! is an error for that cluster alone.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::Value;
use util::kube;
use util::Tree;

#[test]
fn every_cluster_answers_in_its_own_section() {
    let Some(s) = kube::server() else { return };
    let a_ns = kube::unique("clu-a");
    let b_ns = kube::unique("clu-b");
    let t = Tree::with(&[
        ("base/kustomization.yaml", "resources:\n- cm.yaml\n"),
        (
            "base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: info\n",
        ),
        (
            "overlays/a/kustomization.yaml",
            &format!("namespace: {a_ns}\nresources:\n- ns.yaml\n- ../../base\n"),
        ),
        (
            "overlays/a/ns.yaml",
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {a_ns}\n"),
        ),
        (
            "overlays/b/kustomization.yaml",
            &format!("namespace: {b_ns}\nresources:\n- ns.yaml\n- ../../base\n"),
        ),
        (
            "overlays/b/ns.yaml",
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {b_ns}\n"),
        ),
    ]);
    // A kubeconfig with the server's context and one that reaches nothing.
    let kc = s.kubeconfig_in(t.path(), None);
    let k = |args: &[&str]| kube::kubectl_with(&kc, args);
    let ctx = k(&["config", "current-context"]).trim().to_string();
    let user = k(&[
        "config",
        "view",
        "-o",
        "jsonpath={.contexts[0].context.user}",
    ]);
    k(&[
        "config",
        "set-cluster",
        "down",
        "--server=https://127.0.0.1:1",
        "--insecure-skip-tls-verify=true",
    ]);
    k(&[
        "config",
        "set-context",
        "down",
        "--cluster=down",
        &format!("--user={user}"),
    ]);
    t.file(
        "kcompile.yaml",
        format!("clusters:\n- name: a\n  overlay: overlays/a\n  context: {ctx}\n- name: b\n  overlay: overlays/b\n  context: {ctx}\n- name: c\n  overlay: overlays/a\n  context: down\n"),
    );
    // Cluster a is applied as compiled; b is not there yet.
    k(&[
        "apply",
        "--server-side",
        "-k",
        t.join("overlays/a").to_str().unwrap(),
    ]);

    let run = |args: &[&str]| kube::kcompile_in(t.path(), &kc, args);
    let out = run(&["diff", "--format", "json", "--request-timeout", "5s"]);
    assert_eq!(out.code, 2, "a cluster failed: worst status\n{out}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["a"]["summary"]["changed"], 0, "{out}");
    assert_eq!(v["a"]["summary"]["create"], 0, "{out}");
    assert_eq!(v["b"]["summary"]["create"], 2, "{out}");
    assert!(v["c"]["error"].as_str().is_some(), "{out}");
    assert!(out.stderr.contains("error: [c] "), "{out}");
    assert!(
        out.stderr
            .contains("kcompile diff: [b] 0 unchanged, 0 changed, 2 to be created"),
        "{out}"
    );

    // --cluster picks; without the broken one the status is 1 (b differs).
    let out = run(&["diff", "--cluster", "a", "--cluster", "b"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("### cluster a (overlays/a)\n### cluster b (overlays/b)\n"),
        "{out}"
    );
    assert!(
        out.stdout.contains(&format!(
            "=== ConfigMap/conf in namespace {b_ns} (to be created)"
        )),
        "{out}"
    );
    let out = run(&["diff", "--cluster", "a"]);
    assert_eq!(out.code, 0, "{out}");

    // `build --diff`: each cluster's diff, then its folder; the unreachable
    // cluster's folder is not written.
    t.file(
        "kcompile.yaml",
        format!("clusters:\n- name: a\n  overlay: overlays/a\n  context: {ctx}\n  output: rendered/a\n- name: b\n  overlay: overlays/b\n  context: {ctx}\n  output: rendered/b\n- name: c\n  overlay: overlays/a\n  context: down\n  output: rendered/c\n"),
    );
    let out = run(&["build", "--diff"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stdout
            .contains("### cluster a (overlays/a)\n### cluster b (overlays/b)\n"),
        "{out}"
    );
    assert!(
        out.stderr.contains("error: [c] ") && out.stderr.contains("its folder is not written"),
        "{out}"
    );
    assert!(t.join("rendered/a/kustomization.yaml").exists());
    assert!(t.join("rendered/b/kustomization.yaml").exists());
    assert!(!t.join("rendered/c").exists());
    // With --check nothing is written, and the diff still shows.
    std::fs::remove_dir_all(t.join("rendered/b")).unwrap();
    t.file(
        "kcompile.yaml",
        format!("clusters:\n- name: a\n  overlay: overlays/a\n  context: {ctx}\n  output: rendered/a\n- name: b\n  overlay: overlays/b\n  context: {ctx}\n  output: rendered/b\n"),
    );
    let out = run(&["build", "--diff", "--check"]);
    assert_eq!(out.code, 1, "b is out of date\n{out}");
    assert!(
        out.stdout.contains(&format!(
            "=== ConfigMap/conf in namespace {b_ns} (to be created)"
        )),
        "{out}"
    );
    assert!(!t.join("rendered/b").exists());
}
