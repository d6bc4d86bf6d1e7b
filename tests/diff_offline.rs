//! `kcompile diff` without a cluster: `--live-from` files and two overlays.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::{json, Value};
use std::path::Path;
use util::fake_api::*;

fn app(ns: &str, replicas: u32, cpu: &str, password: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
  labels:
    kcompile.io/overlay: prod
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: {cpu}
            memory: 1024Mi
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {ns}
  labels:
    kcompile.io/overlay: prod
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {ns}
  labels:
    kcompile.io/overlay: prod
stringData:
  token: {password}
"
    )
}

fn overlay(root: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let dir = root.join(name);
    write_tree(
        &dir,
        &[
            ("kustomization.yaml", "resources:\n- app.yaml\n"),
            ("app.yaml", body),
        ],
    );
    dir
}

/// Live objects as `kubectl get -o yaml` prints them: defaults and server
/// metadata included. Written as JSON, which is YAML.
fn live_objects(objs: &[Value]) -> Vec<Value> {
    objs.iter()
        .map(|o| {
            let mut l = server_defaults(o);
            let md = l["metadata"].as_object_mut().unwrap();
            md.insert("uid".into(), json!("1234"));
            md.insert("resourceVersion".into(), json!("99"));
            md.insert("creationTimestamp".into(), json!("2024-01-01T00:00:00Z"));
            md.insert(
                "managedFields".into(),
                json!([{"manager": "kubectl", "operation": "Update"}]),
            );
            l.as_object_mut()
                .unwrap()
                .insert("status".into(), json!({"observedGeneration": 1}));
            l
        })
        .collect()
}

#[test]
fn live_from_list_file_no_change_then_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = overlay(tmp.path(), "prod", &app("web", 2, "1000m", "tok-ABCDEF-1"));
    let live = live_objects(&compile(&dir));
    // A `List`, as `kubectl get deploy,svc,secret -o yaml` writes.
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": live});
    let live_file = tmp.path().join("live.yaml");
    std::fs::write(&live_file, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    let lf = live_file.to_str().unwrap();

    let r = kcompile(
        &["diff", dir.to_str().unwrap(), "--live-from", lf],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("3 unchanged, 0 changed"), "{}", r.stderr);

    // Change replicas and cpu (in another spelling, plus a real change).
    overlay(tmp.path(), "prod", &app("web", 4, "2", "tok-ABCDEF-2"));
    let r = kcompile(
        &[
            "diff",
            dir.to_str().unwrap(),
            "--live-from",
            lf,
            "-o",
            "json",
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("tok-ABCDEF"), "{}", r.stdout);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["mode"], "client-side");
    let dep = j["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    let paths: Vec<&str> = dep["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "spec.replicas",
            "spec.template.spec.containers[name=app].resources.limits.cpu"
        ]
    );
    let secret = j["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Secret")
        .unwrap();
    assert_eq!(
        secret["changes"],
        json!([{"path": "data.token", "before": "*** (before)", "after": "*** (after)"}])
    );
}

#[test]
fn live_from_directory_of_multi_doc_yaml_with_prune_and_create() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = overlay(tmp.path(), "prod", &app("web", 2, "500m", "x-secret-value"));
    let mut live = live_objects(&compile(&dir));
    // The Service is not live yet; an old labelled ConfigMap is.
    live.retain(|o| o["kind"] != "Service");
    live.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "old", "namespace": "web", "labels": {"kcompile.io/overlay": "prod"}},
        "data": {"a": "b"}}));
    // Ours, and no longer in the overlay: to be pruned.
    live.push(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "old-creds", "namespace": "web", "labels": {"kcompile.io/overlay": "prod"}},
        "data": {"k": "b2xkLXZhbHVl"}}));
    // Not ours (another overlay's label): never pruned.
    live.push(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "other", "namespace": "web", "labels": {"kcompile.io/overlay": "staging"}}}));
    let live_dir = tmp.path().join("live");
    std::fs::create_dir_all(&live_dir).unwrap();
    let stream: Vec<String> = live
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    std::fs::write(live_dir.join("a.yaml"), stream.join("\n---\n")).unwrap();
    let r = kcompile(
        &[
            "diff",
            dir.to_str().unwrap(),
            "--live-from",
            live_dir.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // ConfigMap is not a kind the overlay has: not listed for pruning.
    assert!(!r.stdout.contains("ConfigMap/old"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("=== Service/web in namespace web (to be created)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Secret/other"));
    assert!(
        r.stderr
            .contains("2 unchanged, 0 changed, 1 to be created, 1 to be pruned"),
        "{}",
        r.stderr
    );

    assert!(
        r.stdout
            .contains("=== Secret/old-creds in namespace web (to be pruned)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("*** (before)"), "{}", r.stdout);
    assert!(!r.stdout.contains("b2xkLXZhbHVl"), "{}", r.stdout);
}

#[test]
fn live_from_rejects_server_side() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = overlay(tmp.path(), "prod", &app("web", 2, "1", "p"));
    let r = kcompile(
        &[
            "diff",
            dir.to_str().unwrap(),
            "--live-from",
            "x.yaml",
            "--server-side",
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 2);
    let r = kcompile(
        &[
            "diff",
            dir.to_str().unwrap(),
            "--live-from",
            "/nonexistent.yaml",
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/nonexistent.yaml"), "{}", r.stderr);
}

#[test]
fn two_overlays_match_by_kind_and_name_ignoring_namespace() {
    let tmp = tempfile::tempdir().unwrap();
    let a = overlay(tmp.path(), "cluster-a", &app("spark-a", 2, "1", "pw-aaaa"));
    let b = overlay(
        tmp.path(),
        "cluster-b",
        &app("spark-b", 2, "1000m", "pw-aaaa"),
    );
    let r = kcompile(
        &["diff", a.to_str().unwrap(), b.to_str().unwrap()],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");

    let b = overlay(tmp.path(), "cluster-b", &app("spark-b", 3, "1", "pw-bbbb"));
    let r = kcompile(
        &["diff", a.to_str().unwrap(), b.to_str().unwrap()],
        None,
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("=== Deployment/web in namespace spark-b (changed)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("--- {}", a.display())),
        "{}",
        r.stdout
    );
    let lines = changed_lines(&r.stdout);
    assert!(
        lines.contains(&"-replicas: 2".to_string()) && lines.contains(&"+replicas: 3".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"-token: *** (before)".to_string()),
        "{lines:?}"
    );
    assert!(!r.stdout.contains("pw-") && !r.stderr.contains("pw-"));
    assert_eq!(lines.len(), 4, "{lines:?}");

    let r = kcompile(
        &[
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "-o",
            "json",
        ],
        None,
        &[],
    );
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["mode"], "overlays");
    assert_eq!(
        j["summary"],
        json!({"unchanged": 1, "changed": 2, "create": 0, "prune": 0})
    );
}

#[test]
fn build_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let r = kcompile(
        &[
            "diff",
            tmp.path().join("missing").to_str().unwrap(),
            "--live-from",
            "x",
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
}
