//! The compile core reads only through `input::Source`: a tree held in
//! memory compiles exactly like the same tree on disk, load restriction
//! included.
#![allow(clippy::disallowed_methods)] // the disk twin of the tree is written here

use kcompile::compile::{build, Options};
use kcompile::input::disk::Disk;
use kcompile::input::load::Loader;
use kcompile::input::memory::Memory;
use std::path::Path;

const TREE: &[(&str, &str)] = &[
    (
        "base/kustomization.yaml",
        "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: conf\n  files:\n  - app.properties\n",
    ),
    (
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        envFrom:\n        - configMapRef:\n            name: conf\n",
    ),
    ("base/app.properties", "a=1\nb=2\n"),
    (
        "overlay/kustomization.yaml",
        "namespace: prod\nnamePrefix: p-\nresources:\n- ../base\npatches:\n- path: replicas.yaml\nimages:\n- name: nginx\n  newTag: \"1.27\"\nlabels:\n- pairs:\n    team: web\n  includeSelectors: true\n",
    ),
    (
        "overlay/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    ),
];

fn text(out: &kcompile::compile::Output) -> String {
    let docs: Vec<&kcompile::Value> = out.resources.iter().map(|r| &r.obj).collect();
    kcompile::yaml::stream_to_string(&docs)
}

#[test]
fn a_tree_in_memory_compiles_as_on_disk() {
    let mut mem = Memory::new();
    for (rel, body) in TREE {
        mem.file(Path::new("/repo").join(rel), *body);
    }
    let in_memory = build(
        &Loader::new(mem),
        Path::new("/repo/overlay"),
        &Options::default(),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    for (rel, body) in TREE {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    let on_disk = build(
        &Loader::new(Disk),
        &dir.path().join("overlay"),
        &Options::default(),
    )
    .unwrap();
    let t = text(&in_memory);
    assert_eq!(t, text(&on_disk));
    assert!(
        t.contains("name: p-web") && t.contains("replicas: 3"),
        "{t}"
    );
    assert!(
        t.contains("image: nginx:1.27") && t.contains("team: web"),
        "{t}"
    );
    assert!(t.contains("name: p-conf-"), "generated name with hash: {t}");
}

#[test]
fn the_load_restriction_holds_in_memory() {
    let mut mem = Memory::new();
    mem.file("/repo/secret.txt", "s3cret")
        .file(
            "/repo/app/kustomization.yaml",
            "configMapGenerator:\n- name: c\n  files:\n  - link.txt\n",
        )
        .symlink("/repo/app/link.txt", "../secret.txt");
    let e = build(
        &Loader::new(mem),
        Path::new("/repo/app"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("is not in or below"), "{e}");
    assert!(!e.to_string().contains("s3cret"));
}

#[test]
fn missing_entries_point_at_their_line() {
    let mut mem = Memory::new();
    mem.file(
        "/repo/app/kustomization.yaml",
        "resources:\n- a.yaml\n- missing.yaml\n",
    )
    .file(
        "/repo/app/a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    );
    let e = build(
        &Loader::new(mem),
        Path::new("/repo/app"),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.file.as_deref(),
        Some(Path::new("/repo/app/kustomization.yaml"))
    );
    assert_eq!(e.pos, Some((3, 3)), "{e}");
}
