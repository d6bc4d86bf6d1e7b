//! `kcompile diff --base REF`: what a change does to every cluster's
//! compiled output, with real git repositories made in temporary folders.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;
use util::{Cmd, Out, Tree};

fn git(dir: &Path, args: &[&str]) -> Out {
    let out = Cmd::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .cwd(dir)
        .run();
    assert!(out.success(), "git {args:?}: {out}");
    out
}

fn git_available() -> bool {
    std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A repository: one base under two clusters (a, b), with a ConfigMap and
/// a Secret, committed.
fn repo() -> Tree {
    let t = Tree::with(&[
        ("base/kustomization.yaml", "resources:\n- cm.yaml\n- secret.yaml\n"),
        ("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: info\n"),
        ("base/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\nstringData:\n  password: first-s3cret\n"),
        ("overlays/a/kustomization.yaml", "namespace: a\nresources:\n- ../../base\n"),
        ("overlays/b/kustomization.yaml", "namespace: b\nresources:\n- ../../base\n"),
        ("kcompile.yaml", "clusters:\n- name: a\n  overlay: overlays/a\n- name: b\n  overlay: overlays/b\n"),
    ]);
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "one"]);
    t
}

macro_rules! need_git {
    () => {
        if !git_available() {
            eprintln!("SKIP: no git on PATH");
            assert!(std::env::var_os("CI").is_none(), "CI needs git");
            return;
        }
    };
}

#[test]
fn a_changed_shared_base_shows_in_every_cluster() {
    need_git!();
    let t = repo();
    t.file(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: debug\n",
    );
    let out = t.kcompile(&["diff", "--base", "main", "--format", "markdown"]);
    out.assert_code(1);
    out.assert_stdout_has("### kcompile diff: `main` → working tree");
    out.assert_stdout_has("| a | 1 | 1 | 0 | 0 |");
    out.assert_stdout_has("| b | 1 | 1 | 0 | 0 |");
    out.assert_stdout_has("<code>a</code> (overlays/a): 1 changed");
    out.assert_stdout_has("-  level: info\n+  level: debug");
    out.assert_stdout_has("=== ConfigMap/conf in namespace b (changed)");
    out.assert_stderr_has(
        "kcompile diff: all 2 clusters: 2 unchanged, 2 changed, 0 added, 0 removed",
    );
    // Text and JSON say the same.
    let text = t.kcompile(&["diff", "--base", "main"]);
    text.assert_code(1);
    text.assert_stdout_has("### cluster a (overlays/a)");
    let json = t.kcompile(&["diff", "--base", "main", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["a"]["mode"], "revisions");
    assert_eq!(v["b"]["summary"]["changed"], 1);
    assert_eq!(v["b"]["objects"][0]["changes"][0]["path"], "data.level");
}

#[test]
fn no_change_is_exit_0_and_the_working_tree_and_index_are_untouched() {
    need_git!();
    let t = repo();
    t.file("overlays/a/extra.txt", "untracked\n");
    git(t.path(), &["add", "overlays/a/extra.txt"]);
    let status = git(t.path(), &["status", "--porcelain"]).stdout;
    let index = std::fs::read(t.join(".git/index")).unwrap();
    let out = t.kcompile(&["diff", "--base", "HEAD"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "### cluster a (overlays/a)\n### cluster b (overlays/b)\n"
    );
    assert_eq!(git(t.path(), &["status", "--porcelain"]).stdout, status);
    assert_eq!(std::fs::read(t.join(".git/index")).unwrap(), index);
}

#[test]
fn clusters_added_and_removed_from_kcompile_yaml() {
    need_git!();
    let t = repo();
    t.files(&[
        (
            "overlays/c/kustomization.yaml",
            "namespace: c\nresources:\n- ../../base\n",
        ),
        (
            "kcompile.yaml",
            "clusters:\n- name: a\n  overlay: overlays/a\n- name: c\n  overlay: overlays/c\n",
        ),
    ]);
    let out = t.kcompile(&["diff", "--base", "HEAD", "--format", "markdown"]);
    out.assert_code(1);
    out.assert_stdout_has("| a | 2 | 0 | 0 | 0 |\n| c | 0 | 0 | 2 | 0 |\n| b | 0 | 0 | 0 | 2 |");
    out.assert_stderr_has("[c] note: the cluster is not in kcompile.yaml at HEAD");
    out.assert_stderr_has("[b] note: the cluster is not in kcompile.yaml in the working tree");
    // --cluster picks one.
    let one = t.kcompile(&["diff", "--base", "HEAD", "--cluster", "c"]);
    one.assert_code(1);
    assert!(!one.stdout.contains("cluster a"), "{one}");
    t.kcompile(&["diff", "--base", "HEAD", "--cluster", "zz"])
        .assert_error(&["--cluster zz"]);
}

#[test]
fn secret_changes_are_masked() {
    need_git!();
    let t = repo();
    t.file("base/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\nstringData:\n  password: second-s3cret\n");
    for format in ["text", "json", "markdown"] {
        let out = t.kcompile(&["diff", "--base", "HEAD", "--format", format]);
        out.assert_code(1);
        for secret in [
            "first-s3cret",
            "second-s3cret",
            "Zmlyc3QtczNjcmV0",
            "c2Vjb25kLXMzY3JldA",
        ] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{format}: {out}"
            );
        }
        out.assert_stdout_has("Secret");
    }
}

#[test]
fn an_overlay_new_in_the_working_tree_and_a_renamed_base() {
    need_git!();
    let t = repo();
    // The base moves; overlays follow. Only the paths changed: no object does.
    git(t.path(), &["mv", "base", "common"]);
    t.file(
        "overlays/a/kustomization.yaml",
        "namespace: a\nresources:\n- ../../common\n",
    );
    t.file(
        "overlays/b/kustomization.yaml",
        "namespace: b\nresources:\n- ../../common\n",
    );
    t.kcompile(&["diff", "--base", "HEAD"]).assert_code(0);
    // An overlay path that exists only now.
    t.file(
        "overlays/new/kustomization.yaml",
        "namespace: new-ns\nresources:\n- ../../common\n",
    );
    let out = t.kcompile(&["diff", "--base", "HEAD", "overlays/new"]);
    out.assert_code(1);
    out.assert_stderr_has("does not exist at HEAD");
    out.assert_stdout_has("=== ConfigMap/conf in namespace new-ns (added)");
}

#[test]
fn symlinks_in_git_resolve_as_on_disk_and_the_load_restriction_holds() {
    need_git!();
    let t = repo();
    std::os::unix::fs::symlink("cm.yaml", t.join("base/link.yaml")).unwrap();
    t.file(
        "base/kustomization.yaml",
        "resources:\n- link.yaml\n- secret.yaml\n",
    );
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "link"]);
    t.kcompile(&["diff", "--base", "HEAD"]).assert_code(0);
    // A symlink out of the kustomization's folder is refused at the base too.
    t.file(
        "outside.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n",
    );
    std::fs::remove_file(t.join("base/link.yaml")).unwrap();
    std::os::unix::fs::symlink("../outside.yaml", t.join("base/link.yaml")).unwrap();
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "outside"]);
    let out = t.kcompile(&["diff", "--base", "HEAD", "--cluster", "a"]);
    out.assert_code(2);
    out.assert_stderr_has("at HEAD: ");
    out.assert_stderr_has("is not in or below");
}

#[test]
fn a_submodule_is_named_not_read() {
    need_git!();
    let sub = Tree::with(&[("kustomization.yaml", "resources: []\n")]);
    git(sub.path(), &["init", "-q", "-b", "main"]);
    git(sub.path(), &["add", "-A"]);
    git(sub.path(), &["commit", "-q", "-m", "sub"]);
    let t = repo();
    git(
        t.path(),
        &[
            "submodule",
            "add",
            "-q",
            sub.path().to_str().unwrap(),
            "vendor/sub",
        ],
    );
    t.file(
        "overlays/a/kustomization.yaml",
        "namespace: a\nresources:\n- ../../base\n- ../../vendor/sub\n",
    );
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "sub"]);
    let out = t.kcompile(&["diff", "--base", "HEAD", "--cluster", "a"]);
    out.assert_code(2);
    out.assert_stderr_has("a git submodule in `HEAD`");
}

#[test]
fn a_revision_that_does_not_exist_is_an_error() {
    need_git!();
    let t = repo();
    t.kcompile(&["diff", "--base", "no-such-branch"])
        .assert_error(&["no commit `no-such-branch`", "git fetch"]);
    t.kcompile(&["diff", "--base", "--help-me"]).assert_code(2);
}

#[test]
fn the_old_output_flag_still_works_with_a_warning() {
    need_git!();
    let t = repo();
    let out = t.kcompile(&["diff", "--base", "HEAD", "-o", "json"]);
    out.assert_code(0);
    out.assert_stderr_has("`kcompile diff -o FORMAT` is deprecated");
    let _: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
}

#[test]
fn a_file_over_the_limit_at_the_base_is_refused_unread() {
    need_git!();
    let t = repo();
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: \"{}\"\n",
        "x".repeat(4096)
    );
    t.file("base/cm.yaml", &big);
    git(t.path(), &["commit", "-q", "-am", "big"]);
    let out = Cmd::new(env!("CARGO_BIN_EXE_kcompile"))
        .args(["diff", "--base", "HEAD", "--cluster", "a"])
        .cwd(t.path())
        .env("KCOMPILE_MAX_FILE_BYTES", "1024")
        .run();
    out.assert_code(2);
    out.assert_stderr_has("at HEAD: ");
    out.assert_stderr_has("file is too large");
}
