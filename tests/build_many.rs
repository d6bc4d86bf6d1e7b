//! `compile::build_many`: same results as one `build` per overlay, in order,
//! and a base shared by the overlays is read and parsed once.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

use kcompile::compile::{build, build_many, Options};
use kcompile::input::load::Loader;
use std::fs;
use std::path::PathBuf;

fn tree() -> (tempfile::TempDir, Vec<PathBuf>) {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("base");
    fs::create_dir_all(&base).unwrap();
    let mut res = String::from("resources:\n");
    for i in 0..4 {
        fs::write(
            base.join(format!("cm{i}.yaml")),
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  k: v{i}\n"
            ),
        )
        .unwrap();
        res.push_str(&format!("- cm{i}.yaml\n"));
    }
    fs::write(base.join("kustomization.yaml"), res).unwrap();
    let mut dirs = Vec::new();
    for o in 0..6 {
        let d = t.path().join(format!("overlays/o{o}"));
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("kustomization.yaml"),
            format!("resources:\n- ../../base\nnamespace: ns{o}\nnamePrefix: o{o}-\n"),
        )
        .unwrap();
        dirs.push(d);
    }
    // One overlay that fails: its error comes back in its place.
    let bad = t.path().join("overlays/bad");
    fs::create_dir_all(&bad).unwrap();
    fs::write(
        bad.join("kustomization.yaml"),
        "resources:\n- missing.yaml\n",
    )
    .unwrap();
    dirs.insert(2, bad);
    (t, dirs)
}

fn text(o: &kcompile::compile::Output) -> String {
    let docs: Vec<&kcompile::Value> = o.resources.iter().map(|r| &r.obj).collect();
    kcompile::yaml::stream_to_string(&docs)
}

#[test]
fn same_as_one_build_each_and_base_parsed_once() {
    let (_t, dirs) = tree();
    let loader = Loader::new(kcompile::input::disk::Disk);
    let many = build_many(&loader, &dirs, &Options::default());
    assert_eq!(many.len(), dirs.len());
    for (d, got) in dirs.iter().zip(&many) {
        let want = build(
            &Loader::new(kcompile::input::disk::Disk),
            d,
            &Options::default(),
        );
        match (got, want) {
            (Ok(g), Ok(w)) => assert_eq!(text(g), text(&w)),
            (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string()),
            (g, w) => panic!(
                "{}: build_many {:?} vs build {:?}",
                d.display(),
                g.is_ok(),
                w.is_ok()
            ),
        }
    }
    assert!(many[2].is_err());
    // The four base files, each once, though six overlays use them.
    assert_eq!(loader.parse_count(), 4);
}

#[test]
fn build_each_hands_over_every_result() {
    let (_t, dirs) = tree();
    let loader = Loader::new(kcompile::input::disk::Disk);
    let got = std::sync::Mutex::new(vec![None; dirs.len()]);
    kcompile::compile::build_each(&loader, &dirs, &Options::default(), |i, r| {
        got.lock().unwrap()[i] = Some(r.map(|o| text(&o)).map_err(|e| e.to_string()));
    });
    let got = got.into_inner().unwrap();
    for (d, g) in dirs.iter().zip(got) {
        let want = build(
            &Loader::new(kcompile::input::disk::Disk),
            d,
            &Options::default(),
        )
        .map(|o| text(&o))
        .map_err(|e| e.to_string());
        assert_eq!(g.unwrap(), want);
    }
    assert_eq!(loader.parse_count(), 4);
}
