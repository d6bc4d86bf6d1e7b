//! The bundled overlays against a real kube-apiserver 1.37: applied
//! server-side, client-side and by create, and through the GitOps folder,
//! `kcompile diff` prints nothing. They pin nodePorts, so they run in their
//! own test binary, before the tests that let the server pick random ones
//! (cargo runs test binaries in name order), and one at a time.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::PathBuf;
use std::sync::Mutex;
use util::apply::*;
use util::kube;

/// Tests that apply the bundled overlays (fixed namespaces and nodePorts)
/// take turns.
static BUNDLED: Mutex<()> = Mutex::new(());

fn bundled() -> Vec<PathBuf> {
    ["overlays/cluster-a", "overlays/cluster-b"]
        .iter()
        .map(|o| repo().join(o))
        .collect()
}

#[test]
fn bundled_overlays_applied_three_ways_have_no_diff() {
    let Some(s) = kube::server() else { return };
    let _turn = BUNDLED.lock().unwrap_or_else(|e| e.into_inner());
    for how in [Apply::ServerSide, Apply::ClientSide, Apply::Create] {
        let yamls: Vec<String> = bundled().iter().map(|o| compile(o)).collect();
        for y in &yamls {
            wipe(s, y);
        }
        for y in &yamls {
            apply(s, y, how);
        }
        for o in bundled() {
            assert_no_diff(s, &o, &format!("bundled overlay applied with {how:?}"));
        }
        for y in &yamls {
            wipe(s, y);
        }
    }
}

/// `kcompile O -o rendered/O`, `kubectl apply --server-side -k rendered/O`,
/// then `kcompile diff O`: nothing.
#[test]
fn gitops_round_trip_has_no_diff() {
    let Some(s) = kube::server() else { return };
    let _turn = BUNDLED.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut yamls = Vec::new();
    for o in bundled() {
        let name = o.file_name().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join("rendered").join(&name);
        let r = kube::kcompile_with(&[o.to_str().unwrap(), "-o", out.to_str().unwrap()], None);
        assert_eq!(r.code, 0, "{r}");
        yamls.push(compile(&o));
        wipe(s, yamls.last().unwrap());
        s.kubectl(
            &["apply", "--server-side", "-k", out.to_str().unwrap()],
            None,
        );
    }
    for o in bundled() {
        assert_no_diff(s, &o, "rendered folder applied with kubectl apply -k");
    }
    for y in &yamls {
        wipe(s, y);
    }
}

/// The bundled repository (its kcompile.yaml, base and both overlays) with
/// the clusters' `minikube` context pointed at the test server: `kcompile
/// diff` answers per cluster; then, as a pull request would, a commit that
/// changes the shared base shows in both clusters' Markdown report.
#[test]
fn bundled_repository_per_cluster_and_per_commit() {
    let Some(s) = kube::server() else { return };
    let _turn = BUNDLED.lock().unwrap_or_else(|e| e.into_inner());
    let t = util::Tree::new();
    for d in ["base", "components", "overlays"] {
        util::copy_repo_dir(d, t.path());
    }
    std::fs::copy(repo().join("kcompile.yaml"), t.join("kcompile.yaml")).unwrap();
    // The clusters' context, `minikube`, names the test server.
    let kc = s.kubeconfig_in(t.path(), Some("minikube"));
    let run = |args: &[&str]| kube::kcompile_in(t.path(), &kc, args);
    // cluster-a is live as compiled, cluster-b is not there.
    let yamls: Vec<String> = bundled().iter().map(|o| compile(o)).collect();
    for y in &yamls {
        wipe(s, y);
    }
    apply(s, &yamls[0], Apply::ServerSide);
    let out = run(&["diff", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["cluster-a"]["summary"]["changed"], 0, "{out}");
    assert_eq!(v["cluster-a"]["summary"]["create"], 0, "{out}");
    assert!(
        v["cluster-b"]["summary"]["create"].as_u64().unwrap() > 0,
        "{out}"
    );
    for y in &yamls {
        wipe(s, y);
    }

    let git = |args: &[&str]| {
        let out = util::Cmd::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .cwd(t.path())
            .run();
        assert!(out.success(), "git {args:?}: {out}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "base", "components", "overlays", "kcompile.yaml"]);
    git(&["commit", "-q", "-m", "bundled"]);
    let worker = t.read("base/worker-deployment.yaml");
    let daemon = "            - name: SPARK_DAEMON_MEMORY\n              value: 512m\n";
    assert!(worker.contains(daemon), "the worker's daemon heap");
    t.file(
        "base/worker-deployment.yaml",
        worker.replace(daemon, &daemon.replace("512m", "768m")),
    );
    git(&[
        "commit",
        "-q",
        "-am",
        "a larger worker daemon heap in the shared base",
    ]);
    let out = run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{out}");
    let md = &out.stdout;
    assert!(
        md.contains("### kcompile diff: `HEAD~1` → working tree"),
        "{md}"
    );
    for c in ["cluster-a", "cluster-b"] {
        assert!(
            md.contains(&format!("<code>{c}</code> (overlays/{c}): 1 changed")),
            "{md}"
        );
    }
    assert!(
        md.contains("-          value: 512m\n+          value: 768m"),
        "{md}"
    );
    assert!(
        md.contains("=== Deployment/spark-worker in namespace spark-a (changed)"),
        "{md}"
    );
}
