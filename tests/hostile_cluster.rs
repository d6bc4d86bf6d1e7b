//! `kcompile diff` against a misbehaving API server: down, resetting
//! connections, too slow, refusing (401/403/429/500), answering garbage or a
//! huge LIST. Each case ends with a clear error (exit 2) naming the server
//! and the object, or succeeds after a safe retry; none hangs or panics, and
//! no Secret value from the overlay or the server appears in the output.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::{Path, PathBuf};
use std::time::Duration;
use util::fake_api::*;

const PASSWORD: &str = "LIVESECRET-pw-0b7e";
const NEW_PASSWORD: &str = "DESIREDSECRET-pw-44d1";
const NS: &str = "spark-b";
const DEPLOY: &str = "/apis/apps/v1/namespaces/spark-b/deployments/web";
const DEPLOY_LIST: &str = "/apis/apps/v1/namespaces/spark-b/deployments";
const SECRET: &str = "/api/v1/namespaces/spark-b/secrets/creds";
const SECRET_LIST: &str = "/api/v1/namespaces/spark-b/secrets";
// `--client-side` LISTs each kind by the overlay label; the default
// (server-side) mode also PATCHes each object with a dry-run apply.

fn app(password: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {NS}
  labels:
    kcompile.io/overlay: cluster-b
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {NS}
  labels:
    kcompile.io/overlay: cluster-b
stringData:
  password: {password}
"
    )
}

fn overlay(root: &Path, password: &str) -> PathBuf {
    let dir = root.join("cluster-b");
    write_tree(
        &dir,
        &[
            ("kustomization.yaml", "resources:\n- app.yaml\n"),
            ("app.yaml", &app(password)),
        ],
    );
    dir
}

struct Setup {
    tmp: tempfile::TempDir,
    api: FakeApi,
    kubeconfig: PathBuf,
    dir: PathBuf,
}

/// The live cluster holds the app with PASSWORD; the overlay wants NEW_PASSWORD.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::start();
    let kubeconfig = api.kubeconfig(tmp.path(), TOKEN);
    for obj in compile(&overlay(&tmp.path().join("applied"), PASSWORD)) {
        api.apply(&obj);
    }
    let dir = overlay(tmp.path(), NEW_PASSWORD);
    Setup {
        tmp,
        api,
        kubeconfig,
        dir,
    }
}

impl Setup {
    fn fault(&self, path: &str, f: Fault) {
        self.api
            .state
            .lock()
            .unwrap()
            .faults
            .insert(path.to_string(), f);
    }
    fn diff(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "diff",
            self.dir.to_str().unwrap(),
            "--request-timeout",
            "2s",
        ];
        args.extend_from_slice(extra);
        let r = kcompile(&args, Some(&self.kubeconfig), &[]);
        assert_sane(&r);
        r
    }
    fn count(&self, prefix: &str) -> usize {
        self.api
            .requests()
            .iter()
            .filter(|q| q.starts_with(prefix))
            .count()
    }
}

/// No panic, no hang, no Secret value (plain or base64) anywhere.
#[track_caller]
fn assert_sane(r: &Run) {
    use base64::Engine as _;
    assert!(
        r.elapsed < Duration::from_secs(20),
        "took {:?} (hang guard)",
        r.elapsed
    );
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains("panicked"), "{text}");
        for secret in [PASSWORD, NEW_PASSWORD] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
            assert!(!text.contains(&b64), "{b64} leaked:\n{text}");
        }
    }
}

#[track_caller]
fn assert_error(r: &Run, s: &Setup, needles: &[&str]) {
    assert_eq!(r.code, 2, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(&s.api.server()), "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "expected {n:?} in:\n{}", r.stderr);
    }
}

#[test]
fn baseline_diff_masks_the_secret() {
    let s = setup();
    for extra in [&[][..], &["--client-side"][..], &["--format", "json"][..]] {
        let r = s.diff(extra);
        assert_eq!(r.code, 1, "{extra:?}: {}", r.stderr);
    }
}

#[test]
fn server_down() {
    let s = setup();
    let port = closed_port();
    let server = format!("https://127.0.0.1:{port}");
    let kc = write_kubeconfig(s.tmp.path(), &server, &s.api.ca_pem, TOKEN);
    let r = kcompile(&["diff", s.dir.to_str().unwrap()], Some(&kc), &[]);
    assert_sane(&r);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&server) && r.stderr.contains(CONTEXT),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

/// Server-side dry-run apply (no side effects): a broken connection is
/// retried, then reported against the object.
#[test]
fn connection_reset_mid_response() {
    let s = setup();
    s.fault(DEPLOY, Fault::Reset);
    let r = s.diff(&[]);
    assert_error(
        &r,
        &s,
        &[
            "Deployment/web in namespace spark-b",
            "connection",
            "after 4 attempts",
        ],
    );
    assert!(
        !r.stderr.contains("certificate"),
        "not a TLS problem: {}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    assert_eq!(s.count(&format!("PATCH {DEPLOY}?")), 4);
}

#[test]
fn connection_reset_on_a_list_of_secrets() {
    let s = setup();
    s.fault(SECRET_LIST, Fault::Reset);
    let r = s.diff(&["--client-side"]);
    assert_error(&r, &s, &["secrets in namespace spark-b", "connection"]);
    assert_eq!(r.stdout, "");
}

#[test]
fn slow_response_past_the_timeout() {
    let s = setup();
    s.fault(DEPLOY_LIST, Fault::Delay(Duration::from_secs(30)));
    let r = s.diff(&["--client-side"]);
    assert_error(&r, &s, &["deployments.apps in namespace spark-b", "2s"]);
    // One timeout, not one per retry.
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

#[test]
fn slow_dry_run_past_the_timeout() {
    let s = setup();
    s.fault(SECRET, Fault::Delay(Duration::from_secs(30)));
    let r = s.diff(&[]);
    assert_error(&r, &s, &["Secret/creds in namespace spark-b", "2s"]);
}

#[test]
fn unauthorized_401() {
    let s = setup();
    s.fault(DEPLOY_LIST, Fault::Status(401));
    let r = s.diff(&["--client-side"]);
    assert_error(
        &r,
        &s,
        &[
            "unauthorized (401)",
            "deployments.apps in namespace spark-b",
        ],
    );
    // Not retried: credentials do not get better.
    assert_eq!(s.count(&format!("GET {DEPLOY_LIST}?")), 1);
}

/// A forbidden LIST only costs the prune check (a warning), then the object
/// is fetched by GET; a forbidden GET is an error naming the object.
#[test]
fn forbidden_403() {
    let s = setup();
    s.fault(SECRET_LIST, Fault::Status(403));
    let r = s.diff(&["--client-side"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot list secrets") && r.stderr.contains("403"),
        "{}",
        r.stderr
    );
    s.fault(SECRET, Fault::Status(403));
    let r = s.diff(&["--client-side"]);
    assert_error(
        &r,
        &s,
        &["forbidden (403)", "Secret/creds in namespace spark-b"],
    );
    // One GET per run (the first run's succeeded): a 403 is not retried.
    assert_eq!(s.count(&format!("GET {SECRET}")), 2);
}

#[test]
fn throttled_429_is_retried_then_reported() {
    let s = setup();
    s.fault(DEPLOY_LIST, Fault::Status(429));
    let r = s.diff(&["--client-side"]);
    assert_error(&r, &s, &["429", "after 4 attempts"]);
    assert_eq!(s.count(&format!("GET {DEPLOY_LIST}?")), 4);
}

#[test]
fn internal_error_500_on_the_dry_run_is_retried_then_reported() {
    let s = setup();
    s.fault(SECRET, Fault::Status(500));
    let r = s.diff(&[]);
    assert_error(
        &r,
        &s,
        &[
            "500",
            "after 4 attempts",
            "Secret/creds in namespace spark-b",
        ],
    );
    assert_eq!(s.count(&format!("PATCH {SECRET}?")), 4);
}

#[test]
fn malformed_json_answers() {
    let s = setup();
    s.api.state.lock().unwrap().malformed.push(SECRET.into());
    let r = s.diff(&[]);
    assert_error(
        &r,
        &s,
        &["malformed response", "Secret/creds in namespace spark-b"],
    );

    let s = setup();
    s.fault(SECRET_LIST, Fault::NotAnObject);
    let r = s.diff(&["--client-side"]);
    assert_error(
        &r,
        &s,
        &["malformed response", "secrets in namespace spark-b"],
    );
}

/// A LIST with 20 000 items: handled (the extra objects are to be pruned),
/// within the hang guard.
#[test]
fn huge_list() {
    let s = setup();
    s.fault(DEPLOY_LIST, Fault::HugeList(20_000));
    let r = s.diff(&["--client-side", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("extra-19999"),
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
}
