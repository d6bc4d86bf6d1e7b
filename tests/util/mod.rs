//! Shared test harness: temporary trees, the real binary, and the real
//! API server (`kube`) with generated trees for it (`fleet`).
#![allow(dead_code)]

pub mod apply;
pub mod fleet;
pub mod kube;
pub mod oracle;

use std::path::Path;

/// Write files (relative path -> text) under `dir`.
pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Copy a folder of the repository (e.g. `base`) under `dest`.
pub fn copy_repo_dir(rel: &str, dest: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    copy_dir(&src, &dest.join(rel));
}

fn copy_dir(src: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dest.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}
