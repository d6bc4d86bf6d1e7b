//! `kcompile diff` against a fake Kubernetes API server over HTTPS.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

const PASSWORD: &str = "SUPERSECRET-OLD-42";
const NEW_PASSWORD: &str = "SUPERSECRET-NEW-77";

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

fn assert_no_secret(r: &Run) {
    use base64::Engine as _;
    for secret in [PASSWORD, NEW_PASSWORD] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(!text.contains(secret), "{secret} leaked on {what}:\n{text}");
            assert!(!text.contains(&b64), "{b64} leaked on {what}:\n{text}");
        }
    }
}

#[test]
fn no_change_server_side_prints_nothing() {
    let s = setup(&APP);
    let r = diff(&s, &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("4 unchanged, 0 changed, 0 to be created, 0 to be pruned"),
        "{}",
        r.stderr
    );
    let reqs = s.api.requests();
    let patches: Vec<&String> = reqs.iter().filter(|r| r.starts_with("PATCH")).collect();
    assert_eq!(patches.len(), 4, "{reqs:#?}");
    for p in patches {
        assert!(
            p.contains("dryRun=All")
                && p.contains("fieldManager=kcompile")
                && p.contains("force=true"),
            "{p}"
        );
    }
    // The bearer token from the kubeconfig arrived with every request.
    let auth = s.api.state.lock().unwrap().auth.clone();
    assert!(!auth.is_empty());
    assert!(auth
        .iter()
        .all(|a| a.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
    assert_no_secret(&r);
}

#[test]
fn no_change_client_side_prints_nothing_and_never_patches() {
    let s = setup(&APP);
    let r = diff(&s, &["--client-side"]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(!s.api.requests().iter().any(|r| r.starts_with("PATCH")));
}

#[test]
fn replica_change_shows_exactly_that_field() {
    for mode in [&[][..], &["--client-side"][..]] {
        let s = setup(&App { replicas: 5, ..APP });
        let r = diff(&s, mode);
        assert_eq!(
            r.code, 1,
            "{mode:?}\nstdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        );
        assert_eq!(
            changed_lines(&r.stdout),
            vec!["-replicas: 2", "+replicas: 5"],
            "{mode:?}\n{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("=== Deployment/spark-worker in namespace spark-b (changed)"),
            "{}",
            r.stdout
        );
        assert!(
            r.stderr
                .contains("3 unchanged, 1 changed, 0 to be created, 0 to be pruned"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn image_change_json_report() {
    let s = setup(&App {
        image: "spark:3.5.1",
        ..APP
    });
    let r = diff(&s, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        changed_lines(&r.stdout),
        vec!["-image: spark:3.5.0", "+image: spark:3.5.1"],
        "{}",
        r.stdout
    );

    let r = diff(&s, &["--output", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(j["mode"], "server-side");
    assert_eq!(
        j["summary"],
        serde_json::json!({"unchanged": 3, "changed": 1, "create": 0, "prune": 0})
    );
    let objs = j["objects"].as_array().unwrap();
    assert_eq!(objs.len(), 4);
    let dep = objs.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(dep["apiVersion"], "apps/v1");
    assert_eq!(dep["namespace"], "spark-b");
    assert_eq!(dep["name"], "spark-worker");
    assert_eq!(dep["action"], "changed");
    assert_eq!(
        dep["changes"],
        serde_json::json!([{"path": "spec.template.spec.containers[name=worker].image",
                            "before": "spark:3.5.0", "after": "spark:3.5.1"}])
    );
    for o in objs.iter().filter(|o| o["kind"] != "Deployment") {
        assert_eq!(o["action"], "unchanged");
        assert_eq!(o["changes"], serde_json::json!([]));
    }
}

#[test]
fn objects_in_a_missing_namespace_are_to_be_created() {
    let s = setup(&App {
        namespace: "spark-new",
        ..APP
    });
    let r = diff(&s, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout
            .matches("in namespace spark-new (to be created)")
            .count(),
        4
    );
    for kind in ["Deployment", "Service", "Secret", "ConfigMap"] {
        assert!(r.stdout.contains(&format!("=== {kind}/")), "{}", r.stdout);
        assert!(
            r.stdout.contains(&format!("+kind: {kind}")),
            "{kind}\n{}",
            r.stdout
        );
    }
    // Pruning looks only in the namespaces the overlay uses.
    assert!(
        r.stderr
            .contains("0 unchanged, 0 changed, 4 to be created, 0 to be pruned"),
        "{}",
        r.stderr
    );
    assert_no_secret(&r);
    assert!(r.stdout.contains("*** (after)"), "{}", r.stdout);
}

#[test]
fn labelled_objects_missing_from_the_overlay_are_to_be_pruned() {
    let s = setup(&APP);
    let mut extra = compile(&s.dir)
        .into_iter()
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    extra["metadata"]["name"] = "old-conf".into();
    s.api.apply(&extra);
    // Same kind and namespace but not ours: never pruned.
    let mut foreign = extra.clone();
    foreign["metadata"]["name"] = "someone-elses".into();
    foreign["metadata"]["labels"]["kcompile.io/overlay"] = "cluster-a".into();
    s.api.apply(&foreign);
    let r = diff(&s, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("=== ConfigMap/old-conf in namespace spark-b (to be pruned)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("-kind: ConfigMap"));
    assert!(!r.stdout.contains("someone-elses"));
    assert!(
        r.stderr
            .contains("4 unchanged, 0 changed, 0 to be created, 1 to be pruned"),
        "{}",
        r.stderr
    );
    assert!(s.api.requests().iter().any(|q| q
        .contains("labelSelector=kcompile.io%2Foverlay%3Dcluster-b")
        || q.contains("labelSelector=kcompile.io/overlay%3Dcluster-b")));
}

#[test]
fn secret_values_are_masked() {
    let s = setup(&App {
        password: NEW_PASSWORD,
        ..APP
    });
    for extra in [&[][..], &["--client-side"][..], &["--output", "json"][..]] {
        let r = diff(&s, extra);
        assert_eq!(r.code, 1, "{extra:?} {}", r.stderr);
        assert_no_secret(&r);
        assert!(
            r.stdout.contains("*** (before)") && r.stdout.contains("*** (after)"),
            "{}",
            r.stdout
        );
    }
    let r = diff(&s, &["--show-secrets", "--client-side"]);
    use base64::Engine as _;
    assert!(r
        .stdout
        .contains(&base64::engine::general_purpose::STANDARD.encode(NEW_PASSWORD)));
}

#[test]
fn refused_dry_run_falls_back_to_client_side() {
    let s = setup(&App { replicas: 3, ..APP });
    s.api.state.lock().unwrap().dry_run_error = Some(403);
    let r = diff(&s, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: server-side apply dry-run was refused"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("falling back to client-side"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("forbidden (403)"), "{}", r.stderr);
    assert_eq!(
        changed_lines(&r.stdout),
        vec!["-replicas: 2", "+replicas: 3"]
    );
    assert_no_secret(&r);

    s.api.state.lock().unwrap().dry_run_error = Some(415);
    let r = diff(&s, &["-o", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["mode"], "client-side");
    assert_eq!(j["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn other_dry_run_errors_report_the_status() {
    let s = setup(&APP);
    s.api.state.lock().unwrap().dry_run_error = Some(409);
    let r = diff(&s, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("409 Conflict"), "{}", r.stderr);
    assert!(
        r.stderr.contains("conflict with \"helm\": .spec.replicas"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" in namespace spark-b"), "{}", r.stderr);
    assert!(r.stderr.contains(CONTEXT), "{}", r.stderr);
    assert_no_secret(&r);
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

#[test]
fn wrong_token_is_unauthorized() {
    let s = setup(&APP);
    let kc = write_kubeconfig(s._tmp.path(), &s.api.server(), &s.api.ca_pem, "wrong-token");
    let r = kcompile(&["diff", s.dir.to_str().unwrap()], Some(&kc), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unauthorized (401)"), "{}", r.stderr);
}

#[test]
fn unknown_kind_is_an_error_naming_it() {
    let s = setup(&APP);
    write_tree(
        &s.dir,
        &[
            ("kustomization.yaml", "resources:\n- app.yaml\n- widget.yaml\n"),
            (
                "widget.yaml",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: spark-b\n",
            ),
        ],
    );
    let r = diff(&s, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unknown kind Widget (apiVersion example.com/v1)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Widget/w in namespace spark-b"),
        "{}",
        r.stderr
    );
}

#[test]
fn wrong_ca_is_a_tls_error() {
    let s = setup(&APP);
    let other = FakeApi::start();
    let kc = write_kubeconfig(s._tmp.path(), &s.api.server(), &other.ca_pem, TOKEN);
    let r = kcompile(&["diff", s.dir.to_str().unwrap()], Some(&kc), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("TLS error"), "{}", r.stderr);
    assert!(r.stderr.contains(&s.api.server()), "{}", r.stderr);
}

#[test]
fn colour_follows_flag_and_no_color() {
    let s = setup(&App { replicas: 4, ..APP });
    let args = ["diff", s.dir.to_str().unwrap(), "--color", "always"];
    let r = kcompile(&args, Some(&s.kubeconfig), &[]);
    assert!(r.stdout.contains("\x1b[31m-"), "{}", r.stdout);
    // auto: stdout is a pipe here, and NO_COLOR is set: no colour either way.
    let args = ["diff", s.dir.to_str().unwrap()];
    let r = kcompile(&args, Some(&s.kubeconfig), &[("NO_COLOR", "1")]);
    assert!(!r.stdout.contains('\x1b'));
    assert_eq!(r.code, 1);
}

#[test]
fn kubeconfig_flag_and_context_flag() {
    let s = setup(&APP);
    let dir = s.dir.to_str().unwrap();
    let kc = s.kubeconfig.to_str().unwrap();
    let r = kcompile(
        &["diff", dir, "--kubeconfig", kc, "--context", CONTEXT],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = kcompile(
        &["diff", dir, "--kubeconfig", kc, "--context", "nope"],
        None,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("context \"nope\" is not in the kubeconfig"),
        "{}",
        r.stderr
    );
    // No kubeconfig anywhere and not in a cluster.
    let r = kcompile(&["diff", dir], None, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no kubeconfig found"), "{}", r.stderr);
}
