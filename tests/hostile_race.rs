//! A race on the load restriction (issue 15, item 4): while kcompile
//! builds, another thread keeps swapping a folder of the tree for a
//! symlink to a folder outside it. Whatever the timing, no build may print
//! a file from outside: a build either reads the folder's own file or
//! fails with an error (a missing path, or a path that changed after the
//! check). The assertion holds for every interleaving, so the test cannot
//! fail by chance when the code is right.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use util::hostile::*;

const OUTSIDE: &str = "OUTSIDE-the-root-4b1e";
const BUILDS: usize = 300;

fn cm(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n")
}

/// Swap the entries `a` and `b` atomically (`renameat2(RENAME_EXCHANGE)`),
/// so the path always exists: the build sees one or the other.
fn exchange(a: &std::path::Path, b: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes()).unwrap();
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes()).unwrap();
    // SAFETY: two valid C strings.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    assert_eq!(r, 0, "renameat2: {}", std::io::Error::last_os_error());
}

#[test]
fn swapping_a_folder_for_a_symlink_never_leaks_outside_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("outside");
    write(
        &out,
        &[
            ("cm.yaml", cm("cm", OUTSIDE).as_bytes()),
            ("f.txt", OUTSIDE.as_bytes()),
        ],
    );
    // One file read through the swapped folder per tree (a build prints
    // only when every check passed): a resource, a generator file, a
    // patch.
    let trees: [(&str, &str); 3] = [
        ("res", "resources:\n- sub/cm.yaml\n"),
        (
            "gen",
            "configMapGenerator:\n- name: gen\n  files:\n  - sub/f.txt\n",
        ),
        (
            "patch",
            "resources:\n- cm.yaml\npatches:\n- path: sub/cm.yaml\n",
        ),
    ];
    let mut roots = Vec::new();
    for (name, kust) in trees {
        let root = tmp.path().join(name);
        write(
            &root,
            &[
                ("kustomization.yaml", kust.as_bytes()),
                ("cm.yaml", cm("cm", "base").as_bytes()),
                ("sub/cm.yaml", cm("cm", "inside").as_bytes()),
                ("sub/f.txt", b"inside"),
            ],
        );
        symlink(&out, root.join("link")).unwrap();
        roots.push(root);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let roots = roots.clone();
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // `sub` is the real folder, then the symlink out, in turn,
                // at a varying pace so that some swaps land between a
                // check and an open however long that gap is.
                for root in &roots {
                    exchange(&root.join("sub"), &root.join("link"));
                }
                swaps += 1;
                for _ in 0..(swaps % 64) * 50 {
                    std::hint::spin_loop();
                }
            }
            swaps
        })
    };
    let (mut ok, mut failed) = (0, 0);
    let mut leaked = Vec::new();
    for i in 0..BUILDS {
        let r = kcompile(&[roots[i % roots.len()].to_str().unwrap()]);
        if r.stdout.contains(OUTSIDE) || r.stderr.contains(OUTSIDE) {
            leaked.push(r.stdout.clone());
        }
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        if r.code == 0 {
            ok += 1;
        } else {
            assert_eq!(r.code, 2, "{}", r.stderr);
            assert_eq!(r.stdout, "", "nothing on stdout on error");
            failed += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert!(
        leaked.is_empty(),
        "{} of {BUILDS} builds printed a file from outside the root:\n{}",
        leaked.len(),
        leaked[0]
    );
    eprintln!("{ok} builds read the folder, {failed} failed cleanly, {swaps} swaps");
}

/// With the symlink left in place (no race), the restriction refuses it.
#[test]
fn a_folder_replaced_by_a_symlink_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let out = tmp.path().join("outside");
    write(
        &root,
        &[("kustomization.yaml", b"resources:\n- sub/cm.yaml\n")],
    );
    write(&out, &[("cm.yaml", cm("cm", OUTSIDE).as_bytes())]);
    symlink(&out, root.join("sub")).unwrap();
    let r = kcompile(&[root.to_str().unwrap()]);
    r.assert_error_naming("cm.yaml");
    r.assert_stderr_has("security");
    assert!(!r.stderr.contains(OUTSIDE));
}
