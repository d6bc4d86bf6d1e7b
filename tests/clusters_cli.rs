//! kcompile.yaml: every cluster at once (parallel = serial), and the
//! cross-cluster collision checks.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use kcompile::input::load::Loader;
use kcompile::workspace::{self, Claim, Deployed};
use std::fs;
use std::path::Path;
use util::{kcompile_in, Tree};

const BASE: &str = "apiVersion: v1
kind: Service
metadata:
  name: spark-master-svc
spec:
  ports:
  - port: 7077
---
apiVersion: apps/v1
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
      enableServiceLinks: false
      containers:
      - name: worker
        image: spark:3.5
        args: [--master, \"spark://spark-master-svc:7077\"]
";

/// `n` clusters, each its own namespace and context, sharing one base.
fn many(n: usize) -> Tree {
    let t = Tree::new();
    t.files(&[
        ("base/kustomization.yaml", "resources:\n- spark.yaml\n"),
        ("base/spark.yaml", BASE),
    ]);
    let mut cfg =
        String::from("# yaml-language-server: $schema=schemas/kcompile.schema.json\nclusters:\n");
    for i in 0..n {
        t.files(&[(
                &format!("overlays/c{i}/kustomization.yaml"),
                &format!(
                    "namespace: spark-{i}\nnamePrefix: p{i}-\nresources:\n- ../../base\nreplicas:\n- name: spark-worker\n  count: {}\n",
                    i % 4 + 1
                ),
            )],
        );
        cfg.push_str(&format!(
            "- name: c{i}\n  overlay: overlays/c{i}\n  context: ctx-{i}\n  output: rendered/c{i}\n"
        ));
    }
    t.files(&[("kcompile.yaml", &cfg)]);
    t
}

fn tree_text(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push((
                    e.path().strip_prefix(dir).unwrap().display().to_string(),
                    fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn parallel_build_of_many_clusters_equals_serial() {
    let t = many(24);
    // Printed, grouped by cluster (no outputs written with --config of a copy without outputs).
    let cfg_text = fs::read_to_string(t.path().join("kcompile.yaml")).unwrap();
    let printing: String = cfg_text
        .lines()
        .filter(|l| !l.contains("output:"))
        .map(|l| format!("{l}\n"))
        .collect();
    t.files(&[("print.yaml", &printing)]);
    let serial = t.kcompile(&["build", "--config", "print.yaml", "--jobs", "1"]);
    let parallel = t.kcompile(&["build", "--config", "print.yaml", "--jobs", "0"]);
    assert_eq!(serial.code, 0, "{}", serial.stderr);
    assert_eq!(parallel.code, 0, "{}", parallel.stderr);
    assert_eq!(serial.stdout, parallel.stdout);
    let out = String::from_utf8(parallel.stdout_bytes).unwrap();
    assert_eq!(out.matches("# cluster: c").count(), 24);
    assert!(out.find("# cluster: c3 ").unwrap() < out.find("# cluster: c10 ").unwrap());

    // Written folders, found via kcompile.yaml from a subfolder (cwd upward).
    let sub = t.path().join("overlays/c0");
    let o = kcompile_in(&["build", "--jobs", "1"], &sub);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let serial_tree = tree_text(&t.path().join("rendered"));
    fs::remove_dir_all(t.path().join("rendered")).unwrap();
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(tree_text(&t.path().join("rendered")), serial_tree);
    assert_eq!(fs::read_dir(t.path().join("rendered")).unwrap().count(), 24);

    // --check over all clusters: up to date.
    let o = t.kcompile(&["build", "--check"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn library_parallel_equals_serial() {
    let t = many(16);
    let cfg = {
        let f = t.path().join("kcompile.yaml");
        workspace::from_bytes(&f, std::fs::read(&f).unwrap())
    }
    .unwrap();
    let loader = Loader::new(kcompile::input::disk::Disk);
    let vo = kcompile::validate::Options::default();
    let render = |jobs| -> Vec<String> {
        workspace::compile_all(
            &loader,
            &cfg,
            &Default::default(),
            Some(&vo),
            jobs,
            &|_, _| {},
        )
        .into_iter()
        .map(|r| {
            let c = r.unwrap();
            assert!(c.report.unwrap().errors.is_empty());
            let docs: Vec<&serde_json::Value> = c.output.resources.iter().map(|r| &r.obj).collect();
            kcompile::yaml::stream_to_string(&docs)
        })
        .collect()
    };
    let serial = render(1);
    assert_eq!(render(0), serial);
    assert_eq!(render(3), serial);
    assert!(serial[5].contains("p5-spark-worker"));
}

#[test]
fn exit_status_is_the_worst_and_good_clusters_are_still_written() {
    let t = many(3);
    t.files(&[(
        "overlays/c1/kustomization.yaml",
        "resources:\n- missing.yaml\n",
    )]);
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("[c1] error:"), "{}", o.stderr);
    assert!(t.path().join("rendered/c0/kustomization.yaml").exists());
    assert!(t.path().join("rendered/c2/kustomization.yaml").exists());
    assert!(!t.path().join("rendered/c1").exists());
}

fn objs(yaml: &str) -> Vec<kcompile::model::resource::Resource> {
    kcompile::yaml::parse_stream(yaml)
        .unwrap()
        .into_iter()
        .map(|d| kcompile::model::resource::Resource::new(d.value, None))
        .collect()
}

#[test]
fn collisions_on_a_shared_context() {
    let a = objs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: spark\n---
apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ceph\nprovisioner: p\n---
apiVersion: v1\nkind: Service\nmetadata:\n  name: ui\n  namespace: spark\nspec:\n  type: NodePort\n  ports:\n  - port: 8080\n    nodePort: 30080\n",
    );
    let b = objs(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: spark\n---
apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ceph\nprovisioner: p\n---
apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: only-b\n---
apiVersion: v1\nkind: Service\nmetadata:\n  name: ui2\n  namespace: other\nspec:\n  type: NodePort\n  ports:\n  - port: 8080\n    nodePort: 30080\n",
    );
    let d = |name, overlay, ctx, r| Deployed {
        name,
        overlay,
        context: Some(ctx),
        resources: r,
    };
    let cols = workspace::collisions(&[
        d("a", "overlays/a", "lab", &a),
        d("b", "overlays/b", "lab", &b),
    ]);
    let claims: Vec<&Claim> = cols.iter().map(|c| &c.claim).collect();
    assert_eq!(
        claims,
        vec![
            &Claim::Namespace("spark".into()),
            &Claim::ClusterObject("StorageClass".into(), "ceph".into()),
            &Claim::NodePort(30080, "spark/ui".into(), "other/ui2".into()),
        ]
    );
    let text = cols[0].to_string();
    assert!(
        text.contains("overlays/a") && text.contains("overlays/b"),
        "{text}"
    );
    assert!(text.contains("context `lab`"), "{text}");
    // Different contexts (or none) never collide.
    assert!(workspace::collisions(&[
        d("a", "overlays/a", "lab-1", &a),
        d("b", "overlays/b", "lab-2", &b)
    ])
    .is_empty());
    let mut nb = d("b", "overlays/b", "lab", &b);
    nb.context = None;
    assert!(workspace::collisions(&[d("a", "overlays/a", "lab", &a), nb]).is_empty());
}

#[test]
fn colliding_clusters_fail_the_build_and_write_nothing() {
    let t = many(2);
    let cfg = fs::read_to_string(t.path().join("kcompile.yaml"))
        .unwrap()
        .replace("ctx-1", "ctx-0");
    t.files(&[
        ("kcompile.yaml", &cfg),
        (
            "overlays/c1/kustomization.yaml",
            "namespace: spark-0\nnamePrefix: p1-\nresources:\n- ../../base\n",
        ),
    ]);
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 2);
    let e = o.stderr.clone();
    assert!(
        e.contains("clusters `c0` (overlays/c0) and `c1` (overlays/c1) share context `ctx-0` and both use namespace `spark-0`"),
        "{e}"
    );
    assert!(!t.path().join("rendered").exists());
}

#[test]
fn config_errors_suggest_fields() {
    let t = Tree::new();
    t.files(&[(
        "kcompile.yaml",
        "clusters:\n- name: a\n  overlay: o\n  contxt: x\n",
    )]);
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("unknown field `contxt`"), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean `context`?"), "{}", o.stderr);

    let t = Tree::new();
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no kcompile.yaml found"), "{}", o.stderr);
}

#[test]
fn repository_clusters_compile_side_by_side_without_collisions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The committed rendered folders are what the overlays compile to
    // (`--check` reads, never writes, inside the repository).
    let o = kcompile_in(
        &["build", "--config", "kcompile.yaml", "--strict", "--check"],
        root,
    );
    assert_eq!(
        o.code, 0,
        "rendered/ is stale: run `kcompile build`\n{}{}",
        o.stderr, o.stdout
    );
    let e = o.stderr.clone();
    assert!(e.contains("rendered/cluster-a: up to date"), "{e}");
    assert!(e.contains("rendered/cluster-b: up to date"), "{e}");
    // The same overlay twice on one context collides everywhere.
    let t = Tree::new();
    let cfg = format!(
        "clusters:\n- name: a\n  overlay: {0}/overlays/cluster-a\n  context: m\n- name: a2\n  overlay: {0}/overlays/cluster-a\n  context: m\n",
        root.display()
    );
    t.files(&[("kcompile.yaml", &cfg)]);
    let o = t.kcompile(&["build"]);
    assert_eq!(o.code, 2);
    let e = o.stderr.clone();
    assert!(e.contains("both use namespace `spark-a`"), "{e}");
    assert!(e.contains("both pin nodePort 30077"), "{e}");
}
