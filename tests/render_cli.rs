//! `kcompile OVERLAY -o DIR`: the GitOps folder writer, through the real binary.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use util::Tree;

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: spark-master-svc
spec:
  selector:
    app: spark-master
  ports:
  - port: 7077
    name: spark
";

const MASTER: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-master
spec:
  selector:
    matchLabels:
      app: spark-master
  template:
    metadata:
      labels:
        app: spark-master
    spec:
      enableServiceLinks: false
      containers:
      - name: master
        image: spark:3.5
        ports:
        - containerPort: 7077
";

const WORKER: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-worker
spec:
  replicas: 2
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
        args: [\"--master\", \"spark://spark-master-svc:7077\"]
";

const STORAGE: &str = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ceph-rbd
provisioner: rbd.csi.ceph.com
";

/// A Spark lab tree: base (service, master, worker, storage class) and overlay `b`.
fn lab() -> Tree {
    let t = Tree::new();
    t.files(&[
        (
            "base/kustomization.yaml",
            "resources:\n- service.yaml\n- master.yaml\n- worker.yaml\n- storage.yaml\n",
        ),
        ("base/service.yaml", SERVICE),
        ("base/master.yaml", MASTER),
        ("base/worker.yaml", WORKER),
        ("base/storage.yaml", STORAGE),
        (
            "overlays/b/kustomization.yaml",
            "namespace: spark-b\nresources:\n- ../../base\n",
        ),
    ]);
    t
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    bytes: Option<Vec<u8>>,
    mtime: SystemTime,
    symlink: bool,
}

/// Every entry below `dir` (not following symlinks) with bytes and mtime.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let md = fs::symlink_metadata(e.path()).unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            let bytes = if md.is_file() {
                Some(fs::read(e.path()).unwrap())
            } else {
                None
            };
            if md.is_dir() {
                stack.push(e.path());
            }
            out.insert(
                rel,
                Entry {
                    bytes,
                    mtime: md.modified().unwrap(),
                    symlink: md.file_type().is_symlink(),
                },
            );
        }
    }
    out
}

fn files(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_iter()
        .filter(|(_, e)| e.bytes.is_some())
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn writes_one_file_per_object_and_a_sorted_kustomization() {
    let t = lab();
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    o.assert_ok();
    assert_eq!(
        files(&t.path().join("rendered/b")),
        vec![
            ".kcompile",
            "_cluster/storageclass-ceph-rbd.yaml",
            "kustomization.yaml",
            "spark-b/deployment-spark-master.yaml",
            "spark-b/deployment-spark-worker.yaml",
            "spark-b/service-spark-master-svc.yaml",
        ]
    );
    let k = fs::read_to_string(t.path().join("rendered/b/kustomization.yaml")).unwrap();
    let docs = kcompile::yaml::parse_stream(&k).unwrap();
    let res: Vec<&str> = docs[0].value["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut sorted = res.clone();
    sorted.sort();
    assert_eq!(res, sorted);
    assert_eq!(res.len(), 4);
    // Each file holds exactly its object, as the emitter renders it.
    let w = fs::read_to_string(
        t.path()
            .join("rendered/b/spark-b/deployment-spark-worker.yaml"),
    )
    .unwrap();
    let v = &kcompile::yaml::parse_stream(&w).unwrap()[0].value;
    assert_eq!(v["metadata"]["namespace"], "spark-b");
    assert_eq!(kcompile::yaml::to_string(v), w);
    // No temporary folders are left beside the target.
    let siblings: Vec<_> = fs::read_dir(t.path().join("rendered"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("b")]);
}

#[test]
fn failed_compile_or_validation_leaves_the_folder_byte_identical() {
    let t = lab();
    let out = t.path().join("rendered/b");
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    let before = snapshot(&out);

    // A compile error midway (a resource that does not exist).
    t.files(&[(
        "base/kustomization.yaml",
        "resources:\n- service.yaml\n- master.yaml\n- missing.yaml\n",
    )]);
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(snapshot(&out), before);

    // A validation error.
    t.files(&[
        (
            "base/kustomization.yaml",
            "resources:\n- service.yaml\n- master.yaml\n- worker.yaml\n",
        ),
        (
            "base/master.yaml",
            &MASTER.replace("containerPort: 7077", "containerPort: 7077x"),
        ),
    ]);
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("is not an integer"));
    assert_eq!(snapshot(&out), before);
    let siblings = fs::read_dir(t.path().join("rendered")).unwrap().count();
    assert_eq!(siblings, 1, "no temporary folder left behind");
}

#[test]
fn removes_temporary_folders_left_by_a_dead_run() {
    let t = lab();
    // PID 0x7fffffff is never a running process.
    let stale = t.path().join("rendered/.b.kcompile-tmp-2147483647-1");
    t.files(&[("rendered/.b.kcompile-tmp-2147483647-1/x.yaml", "x")]);
    let unrelated = t.path().join("rendered/.other");
    fs::create_dir_all(&unrelated).unwrap();
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    assert!(!stale.exists());
    assert!(unrelated.exists());
}

#[test]
fn removes_files_of_objects_that_no_longer_exist() {
    let t = lab();
    let out = t.path().join("rendered/b");
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    assert!(out.join("_cluster/storageclass-ceph-rbd.yaml").exists());
    t.files(&[(
        "base/kustomization.yaml",
        "resources:\n- service.yaml\n- master.yaml\n- worker.yaml\n",
    )]);
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    o.assert_ok();
    assert!(!out.join("_cluster").exists());
    assert!(!fs::read_to_string(out.join("kustomization.yaml"))
        .unwrap()
        .contains("storageclass"));
}

#[test]
fn rerun_changes_nothing_and_unchanged_files_keep_their_mtime() {
    let t = lab();
    let out = t.path().join("rendered/b");
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    let before = snapshot(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    assert!(o.success());
    assert!(o.stderr.contains("unchanged"), "{}", o.stderr);
    assert_eq!(snapshot(&out), before, "bytes and mtimes identical");

    // One object changes: only its file gets a new mtime.
    t.files(&[(
        "base/worker.yaml",
        &WORKER.replace("replicas: 2", "replicas: 3"),
    )]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    let after = snapshot(&out);
    let master = Path::new("spark-b/deployment-spark-master.yaml");
    let worker = Path::new("spark-b/deployment-spark-worker.yaml");
    assert_eq!(after[master], before[master]);
    assert_ne!(after[worker].bytes, before[worker].bytes);
}

#[test]
fn check_reports_differences_and_writes_nothing() {
    let t = lab();
    let out = t.path().join("rendered/b");
    // Folder missing: out of date.
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--check"]);
    assert_eq!(o.code, 1);
    assert!(!out.exists());
    assert!(o
        .stdout
        .contains("+++ b/spark-b/deployment-spark-worker.yaml"));

    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--check"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.is_empty());

    t.files(&[(
        "base/worker.yaml",
        &WORKER.replace("replicas: 2", "replicas: 3"),
    )]);
    let before = snapshot(&out);
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--check"]);
    assert_eq!(o.code, 1);
    let diff = o.stdout.clone();
    assert!(
        diff.contains("--- a/spark-b/deployment-spark-worker.yaml"),
        "{diff}"
    );
    assert!(
        diff.contains("+++ b/spark-b/deployment-spark-worker.yaml"),
        "{diff}"
    );
    assert!(
        diff.contains("-  replicas: 2") && diff.contains("+  replicas: 3"),
        "{diff}"
    );
    assert!(!diff.contains("deployment-spark-master"), "{diff}");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn refuses_a_foreign_non_empty_folder_unless_forced() {
    let t = lab();
    let out = t.path().join("rendered/b");
    t.files(&[("rendered/b/README.md", "mine\n")]);
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b"]);
    assert_eq!(o.code, 2);
    let err = o.stderr.clone();
    assert!(
        err.contains("not created by kcompile") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(files(&out), vec!["README.md"]);

    // An empty folder is fine.
    fs::create_dir_all(t.path().join("rendered/empty")).unwrap();
    t.kcompile(&["overlays/b", "-o", "rendered/empty"])
        .assert_ok();

    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--force"]);
    o.assert_ok();
    assert!(!out.join("README.md").exists());
    assert!(out.join(".kcompile").exists());
}

#[test]
fn escapes_hostile_names_and_never_writes_outside() {
    let t = Tree::new();
    let names = ["../../escape", "a/b", "..", "UPPER", &"x".repeat(400)];
    let mut docs = String::new();
    for n in names {
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n  namespace: \"..\"\n",
            serde_json::to_string(n).unwrap()
        ));
    }
    t.files(&[
        ("o/kustomization.yaml", "resources:\n- cm.yaml\n"),
        ("o/cm.yaml", &docs),
    ]);
    let o = t.kcompile(&["o", "-o", "out/x", "--no-validate"]);
    o.assert_ok();
    let all = files(&t.path().join("out/x"));
    assert_eq!(all.len(), names.len() + 2, "{all:?}");
    for f in &all {
        for comp in Path::new(f).components() {
            let c = comp.as_os_str().to_string_lossy();
            assert!(c != ".." && c != "." && c.len() <= 255, "{f}");
        }
    }
    assert!(
        all.contains(&"%2e./configmap-%2e.%2f..%2fescape.yaml".to_string()),
        "{all:?}"
    );
    assert!(
        all.contains(&"%2e./configmap-a%2fb.yaml".to_string()),
        "{all:?}"
    );
    // Nothing but o/ and out/ in the tree.
    let top: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(top.len(), 2, "{top:?}");
}

#[test]
fn names_differing_only_in_case_get_distinct_files() {
    let t = Tree::new();
    t.files(&[
            ("o/kustomization.yaml", "resources:\n- cm.yaml\n"),
            (
                "o/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Foo\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: foo\n",
            ),
        ],
    );
    let o = t.kcompile(&["o", "-o", "out", "--no-validate"]);
    o.assert_ok();
    let all = files(&t.path().join("out"));
    assert_eq!(all.len(), 4, "{all:?}");
}

#[cfg(unix)]
#[test]
fn never_follows_symlinks() {
    let t = lab();
    let outside = t.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("keep.txt"), "keep").unwrap();
    // The target itself a symlink: refused.
    std::os::unix::fs::symlink(&outside, t.path().join("link")).unwrap();
    let o = t.kcompile(&["overlays/b", "-o", "link"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("symlink"));
    assert_eq!(files(&outside), vec!["keep.txt"]);

    // A symlink inside a kcompile folder is replaced, its target untouched.
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    std::os::unix::fs::symlink(&outside, t.path().join("rendered/b/spark-b/evil")).unwrap();
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--check"]);
    assert_eq!(o.code, 1);
    t.kcompile(&["overlays/b", "-o", "rendered/b"]).assert_ok();
    assert!(!t.path().join("rendered/b/spark-b/evil").exists());
    assert_eq!(files(&outside), vec!["keep.txt"]);
    assert_eq!(
        fs::read_to_string(outside.join("keep.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn single_layout_writes_all_yaml() {
    let t = lab();
    let o = t.kcompile(&["overlays/b", "-o", "rendered/b", "--layout", "single"]);
    o.assert_ok();
    assert_eq!(
        files(&t.path().join("rendered/b")),
        vec![".kcompile", "all.yaml", "kustomization.yaml"]
    );
    let all = fs::read_to_string(t.path().join("rendered/b/all.yaml")).unwrap();
    let printed = t.kcompile(&["overlays/b"]);
    assert_eq!(all, printed.stdout);
}
