//! Output safety of `kcompile DIR -o OUT` (GitOps output):
//! object names are escaped (or refused) so nothing is written outside OUT,
//! and a failed run leaves OUT exactly as it was.

mod hostile_support;

use hostile_support::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every entry under `root` (relative path -> file bytes, or None for
/// directories and symlinks), without following symlinks.
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let md = std::fs::symlink_metadata(&p).unwrap();
            if md.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else if md.is_file() {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            } else {
                out.insert(format!("{rel} (special)"), None);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn cm(name: &str) -> String {
    format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n")
}

/// A temp dir holding `app/`: a kustomization listing `objs.yaml` with
/// `objects`. Returns the dir and the app's path.
fn app_with(objects: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    write(
        &app,
        &[
            ("kustomization.yaml", b"resources:\n- objs.yaml\n"),
            ("objs.yaml", objects.as_bytes()),
        ],
    );
    (tmp, app)
}

/// Build `app/` (objects with hostile names) into `out/`; the temp dir
/// must afterwards hold nothing but `app/` and `out/`, and every path under
/// `out/` must be a plain, short component.
fn render_hostile(objects: &str) -> (tempfile::TempDir, Out) {
    let (tmp, app) = app_with(objects);
    let before: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(before, vec!["app".to_string()]);
    let out_dir = tmp.path().join("out");
    let out = kcompile(&[app.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let mut after: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    after.sort();
    let allowed = if out.code == 0 {
        vec!["app".to_string(), "out".to_string()]
    } else {
        vec!["app".to_string()]
    };
    assert_eq!(after, allowed, "files written beside the target");
    // Nothing escaped into the input either.
    let app_files: Vec<String> = snapshot(&app).into_keys().collect();
    assert_eq!(app_files, vec!["kustomization.yaml", "objs.yaml"]);
    if out.code == 0 {
        for (rel, _) in snapshot(&out_dir) {
            assert!(!rel.contains("(special)"), "special file {rel}");
            for comp in rel.split('/') {
                assert!(!comp.is_empty() && comp != "." && comp != "..", "{rel}");
                assert!(comp.len() <= 255, "component too long: {comp}");
                assert!(!comp.contains('\0'), "{rel:?}");
            }
        }
    }
    (tmp, out)
}

#[test]
fn names_with_slashes_and_dots_stay_inside() {
    let objs = [
        cm("\"../../../escaped\""),
        cm("\"a/b/c\""),
        cm("\"..\""),
        cm("\".\""),
        cm("\"/etc/passwd\""),
        cm("\".hidden\""),
    ]
    .concat();
    let (tmp, out) = render_hostile(&objs);
    assert!(!tmp.path().parent().unwrap().join("escaped").exists());
    if out.code == 2 {
        out.assert_stderr_has("ConfigMap/");
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn names_with_nul_and_control_characters_stay_inside() {
    let objs = [
        cm("\"nul\\0byte\""),
        cm("\"tab\\there\""),
        cm("\"new\\nline\""),
    ]
    .concat();
    let (_tmp, out) = render_hostile(&objs);
    if out.code == 2 {
        out.assert_stderr_has("ConfigMap/");
    }
}

#[test]
fn very_long_names_are_shortened_or_refused() {
    let objs = [
        cm(&"x".repeat(300)),
        cm(&"x".repeat(5000)),
        cm(&"é".repeat(200)),
    ]
    .concat();
    let (_tmp, out) = render_hostile(&objs);
    if out.code == 0 {
        // Distinct objects stay distinct files after shortening.
        let n = snapshot(&_tmp.path().join("out"))
            .keys()
            .filter(|k| k.contains("configmap") || k.ends_with(".yaml"))
            .count();
        assert!(n >= 3, "{n}");
    }
}

/// A build error after a good render: the earlier output is untouched and
/// nothing is left beside it; no Secret value is printed.
#[test]
fn failed_build_leaves_the_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    write(
        &app,
        &[
            ("kustomization.yaml", b"resources:\n- s.yaml\n"),
            ("s.yaml", secret_yaml("s").as_bytes()),
        ],
    );
    let out_dir = tmp.path().join("out");
    let first = kcompile(&[app.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    first.assert_no_secret(true);
    let before = snapshot(&out_dir);
    assert!(!before.is_empty());

    // Now break the build midway: a patch that fails against the Secret.
    write(
        &app,
        &[
            (
                "kustomization.yaml",
                b"resources:\n- s.yaml\npatches:\n- path: p.yaml\n  target:\n    kind: Secret\n",
            ),
            (
                "p.yaml",
                b"- op: test\n  path: /stringData/password\n  value: guess\n",
            ),
        ],
    );
    let second = kcompile(&[app.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    second.assert_error_naming("p.yaml");
    second.assert_no_secret(true);
    assert_eq!(snapshot(&out_dir), before, "target changed by a failed run");
    let mut entries: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec!["app", "out"],
        "temporary files left beside the target"
    );
}

/// A target that is a symlink (e.g. to a directory outside) is refused,
/// and what it points to is untouched.
#[test]
fn symlinked_target_is_refused() {
    let (tmp, app) = app_with(&cm("x"));
    let victim = tmp.path().join("victim");
    write(&victim, &[("keep.txt", b"precious")]);
    let link = tmp.path().join("out");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let out = kcompile(&[app.to_str().unwrap(), "-o", link.to_str().unwrap()]);
    out.assert_error_naming("out");
    assert_eq!(snapshot(&victim).len(), 1);
    assert_eq!(std::fs::read(victim.join("keep.txt")).unwrap(), b"precious");
}

/// A target that is a file, or a device, is refused without writing.
#[test]
fn non_directory_target_is_refused() {
    let (tmp, app) = app_with(&cm("x"));
    let file = tmp.path().join("out.txt");
    std::fs::write(&file, b"not a folder").unwrap();
    let out = kcompile(&[app.to_str().unwrap(), "-o", file.to_str().unwrap()]);
    out.assert_error_naming("out.txt");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
    let out = kcompile(&[app.to_str().unwrap(), "-o", "/dev/null"]);
    out.assert_error_naming("/dev/null");
}
