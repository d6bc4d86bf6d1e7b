//! Schema validation and Spark lints: `kcompile validate` and validation
//! before `-o`, through the real binary; plus the bundled JSON Schemas.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::fs;
use std::path::Path;
use util::Tree;

/// base/<file> holding `docs`, overlay `spark-b` putting it in namespace spark-b.
fn tree(file: &str, docs: &str) -> Tree {
    let t = Tree::new();
    t.files(&[
        (
            "base/kustomization.yaml",
            &format!("resources:\n- {file}\n"),
        ),
        (&format!("base/{file}"), docs),
        (
            "overlays/spark-b/kustomization.yaml",
            "namespace: spark-b\nresources:\n- ../../base\n",
        ),
    ]);
    t
}

fn worker(container_extra: &str, spec_extra: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-worker
spec:
  selector:
    matchLabels:
      app: spark-worker
  template:
    metadata:
      labels:
        app: spark-worker
    spec:
{spec_extra}      containers:
      - name: worker
        image: spark:3.5
{container_extra}"
    )
}

#[test]
fn schema_error_names_object_path_value_and_file() {
    let t = tree(
        "worker.yaml",
        &worker("        ports:\n        - containerPort: 7077x\n", ""),
    );
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains(
            "base/worker.yaml:18:11: Deployment/spark-worker (spark-b): spec.template.spec.containers[0].ports[0].containerPort: \"7077x\" is not an integer\n"
        ),
        "{}",
        o.stderr
    );
    // The summary speaks of --strict only when it was given.
    assert!(
        o.stderr.contains("validation failed (1 schema error(s))")
            && !o.stderr.contains("--strict"),
        "{}",
        o.stderr
    );
}

#[test]
fn unknown_field_is_an_error_with_a_suggestion() {
    let t = tree(
        "worker.yaml",
        &worker("        imagePullPolcy: Always\n", "      replica: 2\n"),
    );
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    assert_eq!(o.code, 2);
    let e = o.stderr.clone();
    assert!(
        e.contains("spec.template.spec.containers[0].imagePullPolcy: unknown field"),
        "{e}"
    );
    assert!(e.contains("did you mean `imagePullPolicy`?"), "{e}");
    assert!(
        e.contains("spec.template.spec.replica: unknown field"),
        "{e}"
    );
}

#[test]
fn missing_required_field_wrong_enum_and_int_or_string() {
    let docs = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
  - name: alt
    port: 81
    targetPort: 8081
  - name: bad
    port: 82
    targetPort: [1]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      containers: []
";
    let t = tree("x.yaml", docs);
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    let e = o.stderr.clone();
    assert_eq!(o.code, 2, "{e}");
    assert!(
        e.contains("Deployment/d (spark-b): spec.selector: required field is missing"),
        "{e}"
    );
    assert!(
        e.contains("spec.ports[2].targetPort: a list is not a string or an integer"),
        "{e}"
    );
    assert!(!e.contains("ports[0]") && !e.contains("ports[1]"), "{e}");
}

#[test]
fn removed_api_version_and_misspelt_kind() {
    let docs = "apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: old
---
apiVersion: apps/v1
kind: Deploymnet
metadata:
  name: typo
";
    let t = tree("x.yaml", docs);
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    let e = o.stderr.clone();
    assert_eq!(o.code, 2, "{e}");
    assert!(
        e.contains("serves no kind Deployment in extensions/v1beta1"),
        "{e}"
    );
    assert!(e.contains("Deployment is served as apps/v1"), "{e}");
    assert!(e.contains("did you mean `Deployment`?"), "{e}");
}

#[test]
fn custom_resources_pass_with_a_note() {
    let docs = "apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: pi
spec:
  anything: [1, 2]
";
    let t = tree("x.yaml", docs);
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("no schema for SparkApplication (sparkoperator.k8s.io/v1beta2)"),
        "{}",
        o.stderr
    );
}

#[test]
fn kubernetes_version_choice_and_no_validate() {
    let t = tree(
        "worker.yaml",
        &worker("        ports:\n        - containerPort: 7077x\n", ""),
    );
    for v in ["1.35", "v1.36", "1.37"] {
        let o = t.kcompile(&["validate", "overlays/spark-b", "--kubernetes-version", v]);
        assert_eq!(o.code, 2, "{v}");
        assert!(o.stderr.contains("is not an integer"), "{v}");
    }
    let o = t.kcompile(&[
        "validate",
        "overlays/spark-b",
        "--kubernetes-version",
        "1.20",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("no bundled schemas for Kubernetes 1.20"),
        "{}",
        o.stderr
    );

    // -o validates by default; --no-validate skips it.
    let o = t.kcompile(&["overlays/spark-b", "-o", "out"]);
    assert_eq!(o.code, 2);
    assert!(!t.path().join("out").exists());
    let o = t.kcompile(&["overlays/spark-b", "-o", "out", "--no-validate"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Plain printing stays kubectl-kustomize compatible (no validation)…
    let o = t.kcompile(&["overlays/spark-b"]);
    assert_eq!(o.code, 0);
    // …unless asked.
    let o = t.kcompile(&["overlays/spark-b", "--validate"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
}

fn lint_case(docs: &str, lint: &str, expect: bool) {
    let t = tree("x.yaml", docs);
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    let e = o.stderr.clone();
    assert_eq!(o.code, 0, "{e}");
    assert_eq!(e.contains(&format!("[{lint}]")), expect, "{e}");
    let o = t.kcompile(&["validate", "overlays/spark-b", "--strict"]);
    assert_eq!(o.code, if expect { 2 } else { 0 }, "{}", o.stderr.clone());
    if expect {
        assert!(
            o.stderr.contains("lint finding(s) under --strict)"),
            "{}",
            o.stderr
        );
    }
}

const MASTER_SVC: &str = "apiVersion: v1
kind: Service
metadata:
  name: spark-master
spec:
  ports:
  - port: 7077
---
";

#[test]
fn lint_service_env_collision() {
    let docs = format!("{MASTER_SVC}{}", worker("", ""));
    lint_case(&docs, "service-env-collision", true);
    let t = tree("x.yaml", &docs);
    let e = t.kcompile(&["validate", "overlays/spark-b"]).stderr;
    assert!(e.contains("`SPARK_MASTER_PORT`"), "{e}");
    // enableServiceLinks: false turns it off.
    let docs = format!(
        "{MASTER_SVC}{}",
        worker("", "      enableServiceLinks: false\n")
    );
    lint_case(&docs, "service-env-collision", false);
    // A Service name that injects nothing Spark reads.
    let docs = format!(
        "{}{}",
        MASTER_SVC.replace("spark-master", "spark-master-svc"),
        worker("", "")
    );
    lint_case(&docs, "service-env-collision", false);
}

#[test]
fn lint_rwo_claim_with_replicas() {
    let pvc = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
";
    let dep = |replicas: u32| {
        worker(
            "",
            "      volumes:\n      - name: d\n        persistentVolumeClaim:\n          claimName: data\n",
        )
        .replace("spec:\n  selector", &format!("spec:\n  replicas: {replicas}\n  selector"))
    };
    lint_case(&format!("{pvc}{}", dep(2)), "rwo-claim-replicas", true);
    lint_case(&format!("{pvc}{}", dep(1)), "rwo-claim-replicas", false);
    lint_case(
        &format!(
            "{}{}",
            pvc.replace("ReadWriteOnce", "ReadWriteMany"),
            dep(3)
        ),
        "rwo-claim-replicas",
        false,
    );
}

#[test]
fn lint_master_url() {
    let svc = MASTER_SVC.replace("spark-master", "spark-master-svc");
    let w = |url: &str| {
        worker(
            &format!("        args: [\"--master\", \"{url}\"]\n"),
            "      enableServiceLinks: false\n",
        )
    };
    lint_case(
        &format!("{svc}{}", w("spark://spark-master-svc:7077")),
        "spark-master-url",
        false,
    );
    lint_case(
        &format!(
            "{svc}{}",
            w("spark://spark-master-svc.spark-b.svc.cluster.local:7077")
        ),
        "spark-master-url",
        false,
    );
    lint_case(
        &format!("{svc}{}", w("spark://spark-master:7077")),
        "spark-master-url",
        true,
    );
    lint_case(
        &format!("{svc}{}", w("spark://spark-master-svc:7078")),
        "spark-master-url",
        true,
    );
    // Another namespace the build does not define.
    lint_case(
        &format!("{svc}{}", w("spark://spark-master-svc.spark-a:7077")),
        "spark-master-url",
        true,
    );
    // Env values count too.
    let env = worker(
        "        env:\n        - name: SPARK_MASTER_URL\n          value: spark://nowhere:7077\n",
        "      enableServiceLinks: false\n",
    );
    lint_case(&format!("{svc}{env}"), "spark-master-url", true);
}

#[test]
fn kustomization_unknown_field_suggests() {
    let t = Tree::new();
    t.files(&[("o/kustomization.yaml", "resource:\n- a.yaml\n")]);
    let o = t.kcompile(&["o"]);
    assert_eq!(o.code, 2);
    let e = o.stderr.clone();
    assert!(e.contains("unknown field `resource`"), "{e}");
    assert!(e.contains("did you mean `resources`?"), "{e}");
}

fn repo_file(p: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

/// Walks `schemas/kustomization.schema.json` and the reader's type tables
/// (`kcompile::input::decode::shapes`) together: at every level the same fields,
/// each of the same type, in both directions.
#[test]
fn kustomization_schema_matches_the_reader_field_by_field() {
    use kcompile::input::decode::{shapes, Shape};
    use serde_json::Value;

    fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
        while let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            node = &root["$defs"][name];
            assert!(!node.is_null(), "dangling $ref {r}");
        }
        node
    }
    fn is_type(node: &Value, t: &str) -> bool {
        node.get("type").and_then(Value::as_str) == Some(t)
    }
    fn check(root: &Value, node: &Value, shape: &Shape, at: &str, errs: &mut Vec<String>) {
        let node = resolve(root, node);
        match shape {
            Shape::Ptr(inner) => check(root, node, inner, at, errs),
            Shape::Str => {
                let enum_of_strings = node
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().all(Value::is_string));
                if !is_type(node, "string") && !enum_of_strings {
                    errs.push(format!("{at}: expected a string schema, got {node}"));
                }
            }
            Shape::Bool if !is_type(node, "boolean") => {
                errs.push(format!("{at}: expected a boolean schema, got {node}"))
            }
            Shape::Int if !is_type(node, "integer") => {
                errs.push(format!("{at}: expected an integer schema, got {node}"))
            }
            Shape::Bool | Shape::Int | Shape::Any => {}
            Shape::List(item) => {
                if !is_type(node, "array") {
                    errs.push(format!("{at}: expected an array schema"));
                }
                match node.get("items") {
                    Some(items) => check(root, items, item, &format!("{at}[]"), errs),
                    None => errs.push(format!("{at}: array schema without items")),
                }
            }
            Shape::Map(elem) => {
                if !is_type(node, "object") {
                    errs.push(format!("{at}: expected an object schema"));
                }
                match (node.get("additionalProperties"), elem) {
                    (None, Shape::Any) => {}
                    (Some(Value::Bool(false)), _) => {
                        errs.push(format!("{at}: a map must accept any key"))
                    }
                    (Some(ap @ Value::Object(_)), _) => {
                        check(root, ap, elem, &format!("{at}.*"), errs)
                    }
                    (other, _) => errs.push(format!("{at}: map values undescribed ({other:?})")),
                }
                // Documented keys of a map must have the map's value type.
                for (k, v) in node
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    check(root, v, elem, &format!("{at}.{k}"), errs);
                }
            }
            Shape::Struct(s) => {
                if !is_type(node, "object") {
                    errs.push(format!("{at}: expected an object schema"));
                }
                if node.get("additionalProperties") != Some(&Value::Bool(false)) {
                    errs.push(format!(
                        "{at}: unknown fields must be refused (additionalProperties: false)"
                    ));
                }
                let empty = serde_json::Map::new();
                let props = node
                    .get("properties")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                let fields = s.all_fields();
                for (name, shape, _) in &fields {
                    match props.get(*name) {
                        Some(p) => check(root, p, shape, &format!("{at}.{name}"), errs),
                        None => errs.push(format!(
                            "{at}: the reader's field `{name}` is missing from the schema"
                        )),
                    }
                }
                for k in props.keys() {
                    if !fields.iter().any(|(n, _, _)| n == k) {
                        errs.push(format!(
                            "{at}: the schema's field `{k}` is unknown to the reader"
                        ));
                    }
                }
            }
        }
    }

    let s: Value = serde_json::from_str(&repo_file("schemas/kustomization.schema.json")).unwrap();
    let mut errs = Vec::new();
    check(
        &s,
        &s,
        &Shape::Struct(&shapes::KUSTOMIZATION),
        "kustomization",
        &mut errs,
    );
    assert!(
        errs.is_empty(),
        "schema and reader disagree:\n{}",
        errs.join("\n")
    );

    // The walk itself must be able to fail: a field dropped from the schema,
    // and one added to it, are both reported.
    let mut broken = s.clone();
    broken["$defs"]["image"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("newTag");
    broken["$defs"]["selector"]["properties"]["knd"] = serde_json::json!({"type": "string"});
    let mut errs = Vec::new();
    check(
        &broken,
        &broken,
        &Shape::Struct(&shapes::KUSTOMIZATION),
        "kustomization",
        &mut errs,
    );
    assert!(
        errs.iter().any(|e| e.contains("`newTag` is missing")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("`knd` is unknown")),
        "{errs:?}"
    );
}

#[test]
fn kcompile_schema_matches_the_config_reader() {
    let s: serde_json::Value =
        serde_json::from_str(&repo_file("schemas/kcompile.schema.json")).unwrap();
    let props = s["properties"].as_object().unwrap();
    assert!(props.contains_key("clusters") && props.contains_key("kubernetesVersion"));
    let c = &s["$defs"]["cluster"]["properties"];
    for f in ["name", "overlay", "context", "output"] {
        assert!(c.get(f).is_some(), "{f}");
    }
}

#[test]
fn bundled_schemas_decode_and_know_common_kinds() {
    for v in kcompile::validate::VERSIONS {
        let b = kcompile::validate::json_schema::bundle(v).unwrap();
        let ok = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "x"}},
            "data": {"a": "b"}
        });
        assert_eq!(
            b.validate(&ok),
            kcompile::validate::json_schema::Outcome::Checked(vec![])
        );
    }
}

#[test]
fn argocd_plugin_and_doc_examples_are_valid_yaml() {
    let cmp = repo_file("docs/argocd-cmp.yaml");
    let docs = kcompile::yaml::parse_stream(&cmp).unwrap();
    assert_eq!(docs.len(), 2);
    let cm = &docs[0].value;
    assert_eq!(cm["kind"], "ConfigMap");
    let sidecar = &docs[1].value;
    assert_eq!(sidecar["metadata"]["name"], "argocd-repo-server");
    let c = &sidecar["spec"]["template"]["spec"]["containers"][0];
    assert!(c["image"].as_str().unwrap().contains("kcompile"), "{c}");
    assert_eq!(c["command"][0], "/var/run/argocd/argocd-cmp-server");
    assert_eq!(c["securityContext"]["runAsUser"], 999);
    assert_eq!(
        sidecar["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    // The image runs as that user and has the shell the plugin commands use.
    let dockerfile = repo_file("images/kcompile/Dockerfile");
    assert!(dockerfile.contains("USER 999:999"), "{dockerfile}");
    assert!(dockerfile.contains("FROM debian:"), "{dockerfile}");
    let plugin = kcompile::yaml::parse_stream(cm["data"]["plugin.yaml"].as_str().unwrap()).unwrap();
    let p = &plugin[0].value;
    assert_eq!(p["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(p["kind"], "ConfigManagementPlugin");
    assert_eq!(p["metadata"]["name"], "kcompile");
    let gen = p["spec"]["generate"]["args"][0].as_str().unwrap();
    assert!(gen.starts_with("kcompile build ."), "{gen}");
    assert!(p["spec"]["init"]["command"].is_array());

    // Every ```yaml block of docs/gitops.md parses.
    let md = repo_file("docs/gitops.md");
    let mut blocks = 0;
    let mut rest = md.as_str();
    while let Some(i) = rest.find("```yaml\n") {
        // Fences inside list items are indented; strip the fence's indent.
        let indent = rest[..i].len() - rest[..i].trim_end_matches(' ').len();
        let pad = " ".repeat(indent);
        let body = &rest[i + 8..];
        let end = body.find("```").unwrap();
        let block: String = body[..end]
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix(pad.as_str()).unwrap_or(l)))
            .collect();
        kcompile::yaml::parse_stream(&block)
            .unwrap_or_else(|e| panic!("docs/gitops.md block {blocks}: {e}\n{block}"));
        blocks += 1;
        rest = &body[end + 3..];
    }
    assert!(blocks >= 5, "{blocks}");
}

#[test]
fn documented_kcompile_yaml_example_loads() {
    let md = repo_file("docs/gitops.md");
    let start = md
        .find("# yaml-language-server: $schema=schemas/kcompile.schema.json")
        .unwrap();
    let block = &md[start..start + md[start..].find("```").unwrap()];
    let t = Tree::new();
    fs::write(t.path().join("kcompile.yaml"), block).unwrap();
    let cfg = {
        let f = t.path().join("kcompile.yaml");
        kcompile::workspace::from_bytes(&f, std::fs::read(&f).unwrap())
    }
    .unwrap();
    assert_eq!(cfg.clusters.len(), 2);
    assert_eq!(cfg.kubernetes_version.as_deref(), Some("1.37"));
}

#[test]
fn secret_values_never_appear_in_findings() {
    let docs = "apiVersion: v1
kind: Secret
metadata:
  name: s
stringData:
  password: 12345678
  nested: {token: hunter2}
";
    let t = tree("x.yaml", docs);
    let o = t.kcompile(&["validate", "overlays/spark-b"]);
    let e = o.stderr.clone();
    assert_eq!(o.code, 2, "{e}");
    assert!(
        e.contains("Secret/s (spark-b): stringData.password:"),
        "{e}"
    );
    assert!(
        e.contains("stringData.nested: a mapping is not a string"),
        "{e}"
    );
    assert!(!e.contains("12345678") && !e.contains("hunter2"), "{e}");
}

#[test]
fn diff_validates_first_unless_told_not_to() {
    let t = tree(
        "worker.yaml",
        &worker("        ports:\n        - containerPort: 7077x\n", ""),
    );
    t.files(&[("live.yaml", "")]);
    let o = t.kcompile(&["diff", "overlays/spark-b", "--live-from", "live.yaml"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("is not an integer"), "{}", o.stderr);
    assert!(o.stdout.is_empty());
    let o = t.kcompile(&[
        "diff",
        "overlays/spark-b",
        "--live-from",
        "live.yaml",
        "--no-validate",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
}
