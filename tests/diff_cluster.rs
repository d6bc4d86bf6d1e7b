//! `kcompile diff` under faults a real API server does not produce on
//! request: a closed port, a server that never answers, 5xx answers to be
//! retried, malformed JSON. Every behaviour of `kcompile diff` is tested
//! against the real kube-apiserver in tests/diff_kube.rs.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::{Path, PathBuf};
use util::fake_api::*;

const PASSWORD: &str = "SUPERSECRET-OLD-42";

struct App<'a> {
    replicas: u32,
    image: &'a str,
    password: &'a str,
    namespace: &'a str,
}

const APP: App = App {
    replicas: 2,
    image: "spark:3.5.0",
    password: PASSWORD,
    namespace: "spark-b",
};

fn app_yaml(a: &App) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-worker
  namespace: {ns}
  labels:
    app: spark-worker
    kcompile.io/overlay: cluster-b
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: spark-worker
  template:
    metadata:
      labels:
        app: spark-worker
    spec:
      containers:
      - name: worker
        image: {image}
        ports:
        - containerPort: 7078
        env:
        - name: SPARK_MODE
          value: worker
        resources:
          limits:
            cpu: 1000m
            memory: 1024Mi
          requests:
            cpu: 500m
            memory: 512Mi
---
apiVersion: v1
kind: Service
metadata:
  name: spark-worker
  namespace: {ns}
  labels:
    kcompile.io/overlay: cluster-b
spec:
  type: NodePort
  selector:
    app: spark-worker
  ports:
  - name: web
    port: 8081
---
apiVersion: v1
kind: Secret
metadata:
  name: spark-creds
  namespace: {ns}
  labels:
    kcompile.io/overlay: cluster-b
stringData:
  password: {password}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: spark-conf
  namespace: {ns}
  labels:
    kcompile.io/overlay: cluster-b
data:
  spark.executor.memory: 2g
",
        ns = a.namespace,
        replicas = a.replicas,
        image = a.image,
        password = a.password,
    )
}

/// Write overlay `cluster-b` under `root` with the given app.
fn overlay(root: &Path, a: &App) -> PathBuf {
    let dir = root.join("cluster-b");
    write_tree(
        &dir,
        &[
            ("kustomization.yaml", "resources:\n- app.yaml\n"),
            ("app.yaml", &app_yaml(a)),
        ],
    );
    dir
}

struct Setup {
    _tmp: tempfile::TempDir,
    api: FakeApi,
    kubeconfig: PathBuf,
    dir: PathBuf,
}

/// A server where APP has been applied, and the overlay written with `a`.
fn setup(a: &App) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::start();
    let kubeconfig = api.kubeconfig(tmp.path(), TOKEN);
    let applied = tmp.path().join("applied");
    for obj in compile(&overlay(&applied, &APP)) {
        api.apply(&obj);
    }
    let dir = overlay(tmp.path(), a);
    Setup {
        _tmp: tmp,
        api,
        kubeconfig,
        dir,
    }
}

fn diff(s: &Setup, extra: &[&str]) -> Run {
    let mut args = vec!["diff", s.dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    kcompile(&args, Some(&s.kubeconfig), &[])
}

#[test]
fn unreachable_server_names_server_and_context() {
    let tmp = tempfile::tempdir().unwrap();
    let port = closed_port();
    let server = format!("https://127.0.0.1:{port}");
    let kc = write_kubeconfig(tmp.path(), &server, "not a real CA", TOKEN);
    let dir = overlay(tmp.path(), &APP);
    let r = kcompile(&["diff", dir.to_str().unwrap()], Some(&kc), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&server), "{}", r.stderr);
    assert!(r.stderr.contains(CONTEXT), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn server_that_never_answers_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::start(); // only for its CA
    let port = silent_server();
    let server = format!("https://127.0.0.1:{port}");
    let kc = write_kubeconfig(tmp.path(), &server, &api.ca_pem, TOKEN);
    let dir = overlay(tmp.path(), &APP);
    let r = kcompile(
        &["diff", dir.to_str().unwrap(), "--request-timeout", "1s"],
        Some(&kc),
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.elapsed.as_secs() < 15, "took {:?}", r.elapsed);
    assert!(
        r.stderr.contains(&server) && r.stderr.contains(CONTEXT),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("1s") || r.stderr.contains("timed out"),
        "{}",
        r.stderr
    );
}

#[test]
fn server_errors_are_retried() {
    let s = setup(&APP);
    // The LIST by ownership label that finds the Deployment.
    let path = "/apis/apps/v1/namespaces/spark-b/deployments";
    s.api
        .state
        .lock()
        .unwrap()
        .fail_first
        .insert(path.to_string(), 2);
    let r = diff(&s, &["--client-side"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gets = s
        .api
        .requests()
        .iter()
        .filter(|q| q.starts_with(&format!("GET {path}?")))
        .count();
    assert_eq!(gets, 3);

    // A server that keeps failing: an error naming the object, not a hang.
    s.api
        .state
        .lock()
        .unwrap()
        .fail_first
        .insert(path.to_string(), 100);
    let r = diff(&s, &["--client-side"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("deployments.apps in namespace spark-b"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("after 4 attempts"), "{}", r.stderr);
    assert!(
        r.stderr.contains("500") && r.stderr.contains("etcdserver: request timed out"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_json_is_an_error() {
    let s = setup(&APP);
    s.api
        .state
        .lock()
        .unwrap()
        .malformed
        .push("/apis/apps/v1/namespaces/spark-b/deployments/spark-worker".into());
    let r = diff(&s, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("malformed response"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Deployment/spark-worker in namespace spark-b"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&s.api.server()), "{}", r.stderr);
}
