//! `kcompile diff` against a real kube-apiserver 1.37 with etcd (see
//! tests/util/kube.rs): objects applied by kubectl (server-side, client-side
//! and `create`), then diffed in both modes.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use serde_json::Value;
use std::path::{Path, PathBuf};
use util::apply::*;
use util::kube::{self, Run, Server};
use util::{fleet, write_tree};

fn fleet_round(how: Apply) {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("fleet");
    fleet::write(tmp.path(), &ns, &ns, 50);
    let yaml = compile(tmp.path());
    assert!(docs(&yaml).len() > 500, "the fleet has hundreds of objects");
    // Before anything is applied, everything is to be created.
    let r = diff(s, tmp.path(), &[]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains(" 0 unchanged, 0 changed, "), "{r}");
    apply(s, &yaml, how);
    assert_no_diff(s, tmp.path(), &format!("fleet applied with {how:?}"));
    // Its random nodePorts go back to the server's pool.
    wipe(s, &yaml);
}

#[test]
fn fleet_applied_server_side_has_no_diff() {
    fleet_round(Apply::ServerSide);
}

#[test]
fn fleet_applied_client_side_has_no_diff() {
    fleet_round(Apply::ClientSide);
}

#[test]
fn fleet_created_has_no_diff() {
    fleet_round(Apply::Create);
}

/// A small tree for the change tests: the fleet's first three apps.
fn small_tree(dir: &Path, ns: &str) {
    fleet::write(dir, ns, ns, 3);
}

fn json_report(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("JSON report: {e}\n{r}"))
}

/// (kind/name, [paths]) of the changed objects in a JSON report.
fn changed(report: &Value) -> Vec<(String, Vec<String>)> {
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] != "unchanged")
        .map(|o| {
            (
                format!(
                    "{}/{} {}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap(),
                    o["action"].as_str().unwrap()
                ),
                o["changes"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .map(|c| c["path"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

struct Mutation {
    what: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    object: &'static str,
    paths: &'static [&'static str],
    /// A line the text diff must show (after the sign, trimmed).
    line: &'static str,
}

const MUTATIONS: &[Mutation] = &[
    Mutation {
        what: "replicas",
        file: "apps/app-00/workload.yaml",
        from: "  replicas: 1\n",
        to: "  replicas: 4\n",
        object: "Deployment/app-00 changed",
        paths: &["spec.replicas"],
        line: "+  replicas: 4",
    },
    Mutation {
        what: "image",
        file: "apps/app-00/workload.yaml",
        from: "image: registry.example.com/team/app-00:1.0.0",
        to: "image: registry.example.com/team/app-00:1.0.1",
        object: "Deployment/app-00 changed",
        paths: &["spec.template.spec.containers[name=main].image"],
        line: "+        image: registry.example.com/team/app-00:1.0.1",
    },
    Mutation {
        what: "env var removed",
        file: "apps/app-00/workload.yaml",
        from: "          - name: APP_NAME\n            value: app-00\n",
        to: "",
        object: "Deployment/app-00 changed",
        paths: &["spec.template.spec.containers[name=main].env[name=APP_NAME]"],
        line: "-        - name: APP_NAME",
    },
    Mutation {
        what: "label added",
        file: "apps/app-01/service.yaml",
        from: "  name: app-01\nspec:",
        to: "  name: app-01\n  labels:\n    tier: web\nspec:",
        object: "Service/app-01 changed",
        paths: &["metadata.labels.tier"],
        line: "+    tier: web",
    },
    Mutation {
        what: "port changed",
        file: "apps/app-02/service.yaml",
        from: "  - port: 8080\n      targetPort: 8080\n",
        to: "  - port: 8081\n      targetPort: 8080\n",
        object: "Service/app-02 changed",
        paths: &["spec.ports[port=8080]", "spec.ports[port=8081]"],
        line: "+  - port: 8081",
    },
    Mutation {
        what: "container added",
        file: "apps/app-00/workload.yaml",
        from: "      volumes:\n",
        to:
            "      - name: sidecar\n        image: registry.example.com/sidecar:1\n      volumes:\n",
        object: "Deployment/app-00 changed",
        paths: &["spec.template.spec.containers[name=sidecar]"],
        line: "+      - image: registry.example.com/sidecar:1",
    },
    Mutation {
        what: "annotation removed",
        file: "apps/app-01/extras.yaml",
        from: "  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /\n",
        to: "",
        object: "Ingress/app-01 changed",
        paths: &["metadata.annotations[\"nginx.ingress.kubernetes.io/rewrite-target\"]"],
        line: "-    nginx.ingress.kubernetes.io/rewrite-target: /",
    },
    Mutation {
        what: "list item reordered",
        file: "apps/app-00/workload.yaml",
        from: "        args: [\"--port=8080\", \"--name=app-00\"]",
        to: "        args: [\"--name=app-00\", \"--port=8080\"]",
        object: "Deployment/app-00 changed",
        paths: &["spec.template.spec.containers[name=main].args"],
        line: "+        - --name=app-00",
    },
];

fn changes_round(how: Apply) {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("change");
    small_tree(tmp.path(), &ns);
    apply(s, &compile(tmp.path()), how);
    assert_no_diff(s, tmp.path(), "before the change");
    for m in MUTATIONS {
        let work = tempfile::tempdir().unwrap();
        small_tree(work.path(), &ns);
        edit(&work.path().join(m.file), m.from, m.to);
        let mut per_mode = Vec::new();
        for mode in [&[][..], &["--client-side"][..]] {
            let mut args = vec!["--format", "json"];
            args.extend_from_slice(mode);
            let r = diff(s, work.path(), &args);
            assert_eq!(r.code, 1, "{} ({how:?}, {mode:?}): {r}", m.what);
            let c = changed(&json_report(&r));
            assert_eq!(
                c,
                vec![(
                    m.object.to_string(),
                    m.paths.iter().map(|p| p.to_string()).collect::<Vec<_>>()
                )],
                "{} ({how:?}, {mode:?}): exactly one field should change: {r}",
                m.what
            );
            per_mode.push(c);
            let t = diff(s, work.path(), mode);
            assert_eq!(t.code, 1, "{t}");
            let lines: Vec<&str> = t
                .stdout
                .lines()
                .filter(|l| {
                    (l.starts_with('+') || l.starts_with('-'))
                        && !l.starts_with("+++")
                        && !l.starts_with("---")
                })
                .collect();
            assert!(
                lines.contains(&m.line),
                "{} ({how:?}, {mode:?}): the diff should show {:?}: {t}",
                m.what,
                m.line
            );
            assert!(
                lines.len() <= 6,
                "{} ({how:?}, {mode:?}): the diff should show that change only: {t}",
                m.what
            );
        }
        assert_eq!(per_mode[0], per_mode[1], "{}: modes disagree", m.what);
    }
    wipe(s, &compile(tmp.path()));
}

#[test]
fn one_change_shows_exactly_that_field_after_server_side_apply() {
    changes_round(Apply::ServerSide);
}

#[test]
fn one_change_shows_exactly_that_field_after_client_side_apply() {
    changes_round(Apply::ClientSide);
}

/// The read-only user cannot dry-run: a warning, then client-side, with the
/// same result as the admin's client-side run.
#[test]
fn read_only_user_falls_back_to_client_side() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("viewer");
    fleet::write(&tmp.path().join("all"), &ns, &ns, 3);
    // `view` reads workloads, Services and ConfigMaps, not Secrets or RBAC.
    let mut k = format!("namespace: {ns}\nresources:\n- all/namespace.yaml\n");
    for i in 0..3 {
        for f in ["workload.yaml", "service.yaml"] {
            k.push_str(&format!("- all/apps/app-{i:02}/{f}\n"));
        }
    }
    k.push_str("labels:\n- pairs:\n    kcompile.io/overlay: viewer-test\n");
    write_tree(tmp.path(), &[("kustomization.yaml", &k)]);
    apply(s, &compile(tmp.path()), Apply::ServerSide);
    edit(
        &tmp.path().join("all/apps/app-00/workload.yaml"),
        "  replicas: 1\n",
        "  replicas: 2\n",
    );
    let dir = tmp.path().to_str().unwrap();
    let admin = s.kcompile(&["diff", dir, "--client-side", "--format", "json"]);
    let viewer = s.kcompile(&["diff", dir, "--context", "viewer", "--format", "json"]);
    assert_eq!(admin.code, 1, "{admin}");
    assert_eq!(viewer.code, 1, "{viewer}");
    assert!(
        viewer
            .stderr
            .contains("warning: server-side apply dry-run was refused")
            && viewer.stderr.contains("forbidden"),
        "{viewer}"
    );
    let (a, v) = (json_report(&admin), json_report(&viewer));
    assert_eq!(v["mode"], "client-side");
    assert_eq!(a["objects"], v["objects"]);
    assert_eq!(a["summary"], v["summary"]);
    let text_a = s.kcompile(&["diff", dir, "--client-side"]);
    let text_v = s.kcompile(&["diff", dir, "--context", "viewer"]);
    assert_eq!(text_a.stdout, text_v.stdout);
}

/// Objects applied from an earlier version and no longer produced are to be
/// pruned; another overlay's and unlabelled ones never are. Ownership is the
/// label value the compiled objects carry, not the folder name.
#[test]
fn pruning_follows_the_ownership_label() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("prune");
    let cm = |name: &str, owner: Option<&str>| {
        let label = owner
            .map(|o| format!("  labels:\n    kcompile.io/overlay: {o}\n"))
            .unwrap_or_default();
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n{label}data:\n  k: v\n")
    };
    s.kubectl(&["create", "namespace", &ns], None);
    // Live: the overlay's earlier objects, another overlay's, an unlabelled one.
    for (name, owner) in [
        ("kept", Some("cluster-b")),
        ("stale", Some("cluster-b")),
        ("other", Some("cluster-a")),
        ("manual", None),
    ] {
        s.kubectl(
            &["apply", "--server-side", "-f", "-"],
            Some(&cm(name, owner)),
        );
    }
    // The overlay lives in a folder named `prod` and includes a base overlay
    // whose label says cluster-b.
    write_tree(
        tmp.path(),
        &[
            ("b/cm.yaml", &cm("kept", None)),
            (
                "b/kustomization.yaml",
                "resources: [cm.yaml]\nlabels:\n- pairs:\n    kcompile.io/overlay: cluster-b\n",
            ),
            ("prod/kustomization.yaml", "resources: [../b]\n"),
        ],
    );
    let prod = tmp.path().join("prod");
    let r = s.kcompile(&["diff", prod.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 1, "{r}");
    let c = changed(&json_report(&r));
    assert_eq!(
        c,
        vec![("ConfigMap/stale prune".to_string(), vec![])],
        "{r}"
    );

    // Same folder name, different owners: eu/spark and us/spark.
    for region in ["eu", "us"] {
        write_tree(
            tmp.path(),
            &[
                (&format!("{region}/spark/cm.yaml"), &cm(&format!("{region}-cm"), None)),
                (
                    &format!("{region}/spark/kustomization.yaml"),
                    &format!("resources: [cm.yaml]\nlabels:\n- pairs:\n    kcompile.io/overlay: {region}-spark\n"),
                ),
            ],
        );
    }
    let eu = tmp.path().join("eu/spark");
    let us = tmp.path().join("us/spark");
    s.kubectl(
        &["apply", "--server-side", "-k", eu.to_str().unwrap()],
        None,
    );
    s.kubectl(
        &["apply", "--server-side", "-k", us.to_str().unwrap()],
        None,
    );
    for d in [&eu, &us] {
        let r = s.kcompile(&["diff", d.to_str().unwrap()]);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");
    }

    // No label: a note that prune detection is off, and why.
    write_tree(
        tmp.path(),
        &[
            ("bare/cm.yaml", &cm("kept", None)),
            ("bare/kustomization.yaml", "resources: [cm.yaml]\n"),
        ],
    );
    let r = s.kcompile(&["diff", tmp.path().join("bare").to_str().unwrap()]);
    assert!(
        r.stderr.contains("prune detection is off") && r.stderr.contains("kcompile.io/overlay"),
        "{r}"
    );
    // Several values: also off.
    write_tree(
        tmp.path(),
        &[
            ("mixed/a.yaml", &cm("kept", Some("cluster-b"))),
            ("mixed/b.yaml", &cm("other", Some("cluster-a"))),
            ("mixed/kustomization.yaml", "resources: [a.yaml, b.yaml]\n"),
        ],
    );
    let r = s.kcompile(&["diff", tmp.path().join("mixed").to_str().unwrap()]);
    assert!(
        r.stderr.contains("prune detection is off")
            && r.stderr.contains("cluster-a")
            && r.stderr.contains("cluster-b"),
        "{r}"
    );
}

const OLD_PW: &str = "Old-Pa55word-Value";
const NEW_PW: &str = "New-Pa55word-Value";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn leaks(text: &str) -> Vec<String> {
    [OLD_PW, NEW_PW, &b64(OLD_PW), &b64(NEW_PW), "stringval-9"]
        .iter()
        .filter(|v| text.contains(*v))
        .map(|v| v.to_string())
        .collect()
}

/// Real Secrets with `data` and `stringData`: no value in text, JSON,
/// warnings or errors; `--show-secrets` prints them.
#[test]
fn secret_values_never_print() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("secret");
    let tree = |pw: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {ns}\ndata:\n  password: {}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: {ns}\nstringData:\n  token: {pw}\n  fixed: stringval-9\n",
            b64(pw)
        )
    };
    write_tree(
        tmp.path(),
        &[
            ("s.yaml", &tree(OLD_PW)),
            ("kustomization.yaml", "resources: [s.yaml]\n"),
        ],
    );
    s.kubectl(&["apply", "-f", "-"], Some(&tree(OLD_PW)));
    write_tree(tmp.path(), &[("s.yaml", &tree(NEW_PW))]);
    let dir = tmp.path().to_str().unwrap();
    for args in [
        vec!["diff", dir],
        vec!["diff", dir, "--client-side"],
        vec!["diff", dir, "--format", "json"],
        vec!["diff", dir, "--client-side", "--format", "json"],
        vec!["diff", dir, "--context", "viewer"],
    ] {
        let r = s.kcompile(&args);
        assert!(r.code == 1 || r.code == 2, "{args:?}: {r}");
        let l = leaks(&(r.stdout.clone() + &r.stderr));
        assert!(l.is_empty(), "{args:?} leaked {l:?}: {r}");
    }
    // A server error about a Secret (an invalid key) names no value either.
    write_tree(
        tmp.path(),
        &[(
            "s.yaml",
            &tree(NEW_PW).replace("  token: ", "  \"bad key!\": "),
        )],
    );
    let r = s.kcompile(&["diff", dir]);
    let l = leaks(&(r.stdout.clone() + &r.stderr));
    assert!(l.is_empty(), "leaked {l:?}: {r}");
    // Opt in.
    write_tree(tmp.path(), &[("s.yaml", &tree(NEW_PW))]);
    let r = s.kcompile(&["diff", dir, "--show-secrets"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains(&b64(NEW_PW)), "{r}");
}

/// A field another manager changed shows as the change kcompile's apply
/// would make, and the JSON report names that manager.
#[test]
fn other_field_managers_are_named() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("owner");
    small_tree(tmp.path(), &ns);
    apply(s, &compile(tmp.path()), Apply::ServerSide);
    let dir = tmp.path().to_str().unwrap();
    let cases: &[(&[&str], &str, &str, Value, Value)] = &[
        (
            &[
                "patch",
                "deployment",
                "app-00",
                "--type=merge",
                "--field-manager=hpa-controller",
                "-p",
                r#"{"spec":{"replicas":7}}"#,
            ],
            "spec.replicas",
            "hpa-controller",
            Value::from(7),
            Value::from(1),
        ),
        (
            &["scale", "statefulset", "app-01", "--replicas=5"],
            "spec.replicas",
            "kubectl",
            Value::from(5),
            Value::from(2),
        ),
        (
            // What `kubectl edit` sends, under its field manager.
            &[
                "patch",
                "service",
                "app-00",
                "--type=merge",
                "--field-manager=kubectl-edit",
                "-p",
                r#"{"spec":{"selector":{"app":"canary"}}}"#,
            ],
            "spec.selector.app",
            "kubectl-edit",
            Value::from("canary"),
            Value::from("app-00"),
        ),
    ];
    for (cmd, path, owner, before, after) in cases {
        let mut args = cmd.to_vec();
        args.extend(["-n", &ns]);
        s.kubectl(&args, None);
        let r = s.kcompile(&["diff", dir, "--format", "json"]);
        assert_eq!(r.code, 1, "after {cmd:?}: {r}");
        let report = json_report(&r);
        let change = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o["changes"].as_array().cloned().unwrap_or_default())
            .find(|c| c["path"] == *path && c["before"] == *before)
            .unwrap_or_else(|| panic!("no change of {path} from {before}: {r}"));
        if !after.is_null() {
            assert_eq!(change["after"], *after, "{r}");
        }
        assert!(
            change["owner"]
                .as_str()
                .is_some_and(|o| o.starts_with(owner)),
            "{path} should name {owner}: {r}"
        );
        let text = s.kcompile(&["diff", dir]);
        assert!(
            text.stdout.contains(owner),
            "the text diff names {owner}: {text}"
        );
        // Put it back, so the next case starts clean.
        apply(s, &compile(tmp.path()), Apply::ServerSide);
    }
}

/// Before the CRD exists, the CRD and its custom resource are to be
/// created; after, the custom resource is diffed like any object.
#[test]
fn custom_resources_before_and_after_their_crd() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("crd");
    let g = fleet::crd_group(&ns);
    fleet::write(&tmp.path().join("all"), &ns, &ns, 1);
    write_tree(
        tmp.path(),
        &[(
            "kustomization.yaml",
            &format!(
                "namespace: {ns}\nresources:\n- all/namespace.yaml\n- all/crd.yaml\n- all/widget.yaml\n"
            ),
        )],
    );
    let dir = tmp.path().to_str().unwrap();
    let r = s.kcompile(&["diff", dir, "--format", "json"]);
    assert_eq!(r.code, 1, "{r}");
    let mut c = changed(&json_report(&r));
    c.sort();
    assert_eq!(
        c,
        vec![
            (
                "CustomResourceDefinition/widgets.".to_string() + &g + " create",
                vec![]
            ),
            ("Namespace/".to_string() + &ns + " create", vec![]),
            ("Widget/first create".to_string(), vec![]),
        ],
        "{r}"
    );
    apply(s, &compile(tmp.path()), Apply::ServerSide);
    assert_no_diff(s, tmp.path(), "CRD and custom resource applied");
    edit(&tmp.path().join("all/widget.yaml"), "size: 3", "size: 4");
    for mode in [&[][..], &["--client-side"][..]] {
        let mut args = vec!["diff", dir, "--format", "json"];
        args.extend_from_slice(mode);
        let r = s.kcompile(&args);
        assert_eq!(r.code, 1, "{r}");
        assert_eq!(
            changed(&json_report(&r)),
            vec![(
                "Widget/first changed".to_string(),
                vec!["spec.size".to_string()]
            )],
            "{mode:?}: {r}"
        );
    }
}

/// A kubeconfig like the server's, with one line changed.
fn altered_kubeconfig(s: &Server, dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(&s.kubeconfig).unwrap();
    assert!(text.contains(from));
    let p = dir.join("kubeconfig");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    p
}

fn one_configmap(dir: &Path, ns: &str) {
    write_tree(
        dir,
        &[
            (
                "cm.yaml",
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: {ns}\ndata:\n  k: v\n"),
            ),
            ("kustomization.yaml", "resources: [cm.yaml]\n"),
        ],
    );
}

/// Credentials the server rejects, and a server whose certificate the
/// kubeconfig's CA did not sign: errors naming the server and context.
#[test]
fn authentication_and_tls_failures() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    one_configmap(tmp.path(), "default");
    let dir = tmp.path().to_str().unwrap();
    let text = std::fs::read_to_string(&s.kubeconfig).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .unwrap()
        .to_string();
    let kc = altered_kubeconfig(s, tmp.path(), &token, "not-a-valid-token");
    let r = kube::kcompile_with(&["diff", dir], Some(&kc));
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("unauthorized (401)") && r.stderr.contains("context admin"),
        "{r}"
    );
    assert_eq!(r.stdout, "");

    // Another CA: the server's certificate does not verify.
    let other = rcgen::generate_simple_self_signed(vec!["other-ca".to_string()]).unwrap();
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(other.cert.pem());
    let current_ca = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
        .unwrap()
        .to_string();
    let kc = altered_kubeconfig(s, tmp.path(), &current_ca, &ca);
    let r = kube::kcompile_with(&["diff", dir], Some(&kc));
    assert_eq!(r.code, 2, "{r}");
    let server = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap();
    assert!(
        r.stderr.contains("TLS error") && r.stderr.contains(server),
        "{r}"
    );
}

/// A kind the server does not serve, and an object the server refuses:
/// exit 2, naming the object and what the server said.
#[test]
fn unknown_kinds_and_refused_objects() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("refuse");
    s.kubectl(&["create", "namespace", &ns], None);
    write_tree(
        tmp.path(),
        &[
            (
                "w.yaml",
                &format!("apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: w\n  namespace: {ns}\n"),
            ),
            ("kustomization.yaml", "resources: [w.yaml]\n"),
        ],
    );
    let r = s.kcompile(&["diff", tmp.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr
            .contains("unknown kind Gadget (apiVersion example.com/v1)")
            && r.stderr.contains(&format!("Gadget/w in namespace {ns}")),
        "{r}"
    );
    // The server validates what kcompile's schemas do not: a Service port
    // out of range is refused by the dry run (--no-validate lets it through).
    let svc = |port: u32| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: {ns}\nspec:\n  ports:\n  - port: {port}\n")
    };
    s.kubectl(&["apply", "--server-side", "-f", "-"], Some(&svc(80)));
    write_tree(
        tmp.path(),
        &[
            ("w.yaml", &svc(70000)),
            ("kustomization.yaml", "resources: [w.yaml]\n"),
        ],
    );
    let r = s.kcompile(&["diff", tmp.path().to_str().unwrap(), "--no-validate"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("422 Invalid")
            && r.stderr.contains(&format!("Service/s in namespace {ns}"))
            && r.stderr.contains("spec.ports[0].port"),
        "{r}"
    );
}

/// `--color`, `NO_COLOR`, `--kubeconfig` and `--context`.
#[test]
fn colour_kubeconfig_and_context_flags() {
    let Some(s) = kube::server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ns = kube::unique("flags");
    s.kubectl(&["create", "namespace", &ns], None);
    one_configmap(tmp.path(), &ns);
    let dir = tmp.path().to_str().unwrap();
    s.kubectl(&["apply", "-k", dir], None);
    edit(&tmp.path().join("cm.yaml"), "k: v", "k: w");
    let r = s.kcompile(&["diff", dir, "--color", "always"]);
    assert!(
        r.stdout.contains("\x1b[31m-") && r.stdout.contains("\x1b[32m+"),
        "{r}"
    );
    let out = util::cmd()
        .args(["diff", dir])
        .env("KUBECONFIG", &s.kubeconfig)
        .env("NO_COLOR", "1")
        .run();
    assert_eq!(out.code, 1, "{out}");
    assert!(!out.stdout.contains('\x1b'));

    let kc = s.kubeconfig.to_str().unwrap();
    let r = kube::kcompile_with(
        &["diff", dir, "--kubeconfig", kc, "--context", "admin"],
        None,
    );
    assert_eq!(r.code, 1, "{r}");
    let r = kube::kcompile_with(
        &["diff", dir, "--kubeconfig", kc, "--context", "nope"],
        None,
    );
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr
            .contains("context \"nope\" is not in the kubeconfig (it has: admin, viewer)"),
        "{r}"
    );
    let r = kube::kcompile_with(&["diff", dir], None);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("no kubeconfig found"), "{r}");
}
