//! Output safety of `kcompile DIR -o OUT` (GitOps output):
//! object names are escaped (or refused) so nothing is written outside OUT,
//! and a failed run leaves OUT exactly as it was.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use util::hostile::*;

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

// ------------------------------------------------- --check and Secret values

/// An app holding one Secret (`SECRET` in stringData, `SECRET_B64` in data)
/// and one ConfigMap, rendered into `out/`.
fn rendered_secret_app() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (tmp, app) = app_with(&format!("{}---\n{}", secret_yaml("s"), cm("c")));
    let out_dir = tmp.path().join("out");
    let o = kcompile(&[app.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    (tmp, app, out_dir)
}

/// `--check` shows a changed Secret as `kcompile diff` does: masked, old
/// and new value alike, in both layouts; `--show-secrets` opts in.
#[test]
fn check_masks_secret_values() {
    for layout in ["per-object", "single"] {
        let (tmp, app, out_dir) = rendered_secret_app();
        let (app_s, out_s) = (app.to_str().unwrap(), out_dir.to_str().unwrap());
        let w = kcompile(&[app_s, "-o", out_s, "--layout", layout]);
        assert_eq!(w.code, 0, "{}", w.stderr);
        // New values for both keys; the ConfigMap changes too.
        let new_plain = "NEWSECRET-correct-horse-77";
        let new_b64 = "TkVXU0VDUkVULWJhdHRlcnktc3RhcGxl";
        let objs = format!("{}---\n{}", secret_yaml("s"), cm("c"))
            .replace(SECRET_B64, new_b64)
            .replace(SECRET, new_plain)
            .replace("a: b", "a: changed");
        write(&app, &[("objs.yaml", objs.as_bytes())]);
        let o = kcompile(&[app_s, "-o", out_s, "--layout", layout, "--check"]);
        assert_eq!(o.code, 1, "{layout}: {}", o.stderr);
        o.assert_no_secret(true);
        for v in [new_plain, new_b64] {
            assert!(!o.stdout.contains(v), "{layout}: {v} leaked:\n{}", o.stdout);
        }
        assert!(o.stdout.contains("*** (before)"), "{layout}:\n{}", o.stdout);
        assert!(o.stdout.contains("*** (after)"), "{layout}:\n{}", o.stdout);
        assert!(
            o.stdout.contains("+  a: changed"),
            "{layout}:\n{}",
            o.stdout
        );

        let shown = kcompile(&[
            app_s,
            "-o",
            out_s,
            "--layout",
            layout,
            "--check",
            "--show-secrets",
        ]);
        assert_eq!(shown.code, 1);
        assert!(shown.stdout.contains(new_plain), "{}", shown.stdout);
        assert!(shown.stdout.contains(SECRET), "{}", shown.stdout);
        drop(tmp);
    }
}

/// A Secret file in the folder edited into something that is not YAML
/// cannot be masked: its content is not shown at all.
#[test]
fn check_hides_a_secret_file_that_does_not_parse() {
    let (_tmp, app, out_dir) = rendered_secret_app();
    let f = out_dir.join("_default/secret-s.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, format!("{text}\n  : [broken {SECRET}\n")).unwrap();
    let o = kcompile(&[
        app.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    o.assert_no_secret(true);
    o.assert_stderr_has("out of date");
    assert!(o.stdout.contains("content not shown"), "{}", o.stdout);
}

// ----------------------------------------- an existing target: marker first

/// A non-empty folder without the marker is never read, by `-o` or
/// `--check`: a FIFO (blocks when read), a 64 GiB sparse file and a deep
/// tree in it cost nothing. With `--force`, `--check` says it would replace
/// the folder, and `-o` replaces it unread.
#[test]
fn a_foreign_target_is_refused_unread() {
    let (tmp, app) = app_with(&cm("x"));
    let out_dir = tmp.path().join("out");
    let mut deep = out_dir.join("deep");
    for _ in 0..50 {
        deep = deep.join("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    mkfifo(&out_dir.join("kustomization.yaml"));
    let big = std::fs::File::create(out_dir.join("all.yaml")).unwrap();
    big.set_len(64 << 30).unwrap();
    let (app_s, out_s) = (app.to_str().unwrap(), out_dir.to_str().unwrap());
    for extra in [&[][..], &["--check"][..]] {
        let mut args = vec![app_s, "-o", out_s];
        args.extend_from_slice(extra);
        let o = kcompile(&args);
        o.assert_error_naming("not created by kcompile");
        assert!(
            o.elapsed < std::time::Duration::from_secs(5),
            "{:?}",
            o.elapsed
        );
    }
    let o = kcompile(&[app_s, "-o", out_s, "--check", "--force"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stdout.contains("not a kcompile folder"), "{}", o.stdout);
    o.assert_rss_below_mb(200);
    let o = kcompile(&[app_s, "-o", out_s, "--force"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(out_dir.join(".kcompile").exists());
    assert!(!out_dir.join("deep").exists());
}

/// System folders are not kcompile's: refused at once, nothing read.
#[test]
fn system_folders_as_targets_are_refused_unread() {
    let (_tmp, app) = app_with(&cm("x"));
    for target in ["/proc", "/sys", "/usr", "/dev"] {
        if !Path::new(target).is_dir() {
            continue;
        }
        for extra in [&[][..], &["--check"][..]] {
            let mut args = vec![app.to_str().unwrap(), "-o", target];
            args.extend_from_slice(extra);
            let o = kcompile(&args);
            o.assert_error_naming(target);
            o.assert_stderr_has("not created by kcompile");
            assert!(
                o.elapsed < std::time::Duration::from_secs(5),
                "{:?}",
                o.elapsed
            );
        }
    }
}

/// In a kcompile folder only what kcompile writes is read: FIFOs, symlinks
/// (to `/`), deep folders and unexpected files are listed by name, never
/// opened or walked, and the next write drops them.
#[test]
fn a_kcompile_folder_is_read_only_where_kcompile_writes() {
    let (tmp, app) = app_with(&cm("x"));
    let out_dir = tmp.path().join("out");
    let (app_s, out_s) = (app.to_str().unwrap(), out_dir.to_str().unwrap());
    assert_eq!(kcompile(&[app_s, "-o", out_s]).code, 0);
    mkfifo(&out_dir.join("_default/fifo.yaml"));
    mkfifo(&out_dir.join("all.yaml"));
    std::os::unix::fs::symlink("/", out_dir.join("root")).unwrap();
    std::os::unix::fs::symlink("/", out_dir.join("_default/root.yaml")).unwrap();
    let mut deep = out_dir.join("_default/deep");
    for _ in 0..30 {
        deep = deep.join("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("x.yaml"), "not read").unwrap();
    std::fs::write(out_dir.join("notes.txt"), "mine").unwrap();
    // A name that would forge a diff header and a colour if printed raw.
    std::fs::write(out_dir.join("_default/e\n+++ forged\x1b[31m.yaml"), "x").unwrap();
    let o = kcompile(&[app_s, "-o", out_s, "--check"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(!o.stdout.contains("\n+++ forged"), "{}", o.stdout);
    assert!(!o.stdout.contains('\x1b'), "{}", o.stdout);
    assert!(o.stdout.contains("e\\n+++ forged"), "{}", o.stdout);
    for entry in [
        "_default/fifo.yaml (not a regular file)",
        "all.yaml (not a regular file)",
        "root (a symlink)",
        "_default/root.yaml (a symlink)",
        "_default/deep (a folder kcompile does not write)",
        "notes.txt (a file kcompile does not write)",
    ] {
        assert!(o.stdout.contains(entry), "{entry}:\n{}", o.stdout);
    }
    assert!(!o.stdout.contains("not read"), "{}", o.stdout);
    let o = kcompile(&[app_s, "-o", out_s]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let left: Vec<String> = snapshot(&out_dir).into_keys().collect();
    assert_eq!(
        left,
        vec![
            ".kcompile",
            "_default",
            "_default/configmap-x.yaml",
            "kustomization.yaml"
        ]
    );
}

/// `-o link/`: the trailing slash makes the system follow the link, so the
/// check is made on `link` itself; the kcompile folder it points to (outside)
/// is neither read nor replaced.
#[test]
fn a_target_written_with_a_trailing_slash_is_not_followed() {
    let (tmp, app) = app_with(&format!("{}---\n{}", secret_yaml("s"), cm("x")));
    let victim = tmp.path().join("victim");
    let app_s = app.to_str().unwrap();
    assert_eq!(kcompile(&[app_s, "-o", victim.to_str().unwrap()]).code, 0);
    // The victim's Secret now differs from what the app renders.
    let f = victim.join("_default/secret-s.yaml");
    let edited = std::fs::read_to_string(&f).unwrap().replace(SECRET, "x");
    std::fs::write(&f, edited).unwrap();
    let before = snapshot(&victim);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let with_slash = format!("{}/", link.display());
    for extra in [&["--check"][..], &[][..], &["--force"][..]] {
        let mut args = vec![app_s, "-o", with_slash.as_str()];
        args.extend_from_slice(extra);
        let o = kcompile(&args);
        o.assert_error_naming("symlink");
        o.assert_no_secret(true);
    }
    assert_eq!(snapshot(&victim), before);
}

// ----------------------------------------------------------- locking

/// Two apps whose renders share no file: a folder mixing them is caught by
/// `--check` of either.
fn two_apps(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mk = |name: &str, prefix: &str| {
        let app = tmp.join(name);
        let objs: String = (0..40).map(|i| cm(&format!("{prefix}{i}"))).collect();
        write(
            &app,
            &[
                ("kustomization.yaml", b"resources:\n- objs.yaml\n"),
                ("objs.yaml", objs.as_bytes()),
            ],
        );
        app
    };
    (mk("a", "a"), mk("b", "b"))
}

/// Concurrent writers of one folder follow one another: every run exits 0
/// and the folder is always entirely one app's render.
#[test]
fn concurrent_writers_never_leave_a_mixed_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_apps(tmp.path());
    let out_dir = tmp.path().join("out");
    let out_s = out_dir.to_str().unwrap().to_string();
    for round in 0..8 {
        let runs: Vec<_> = [&a, &b, &a, &b]
            .iter()
            .map(|app| {
                let app = app.to_str().unwrap().to_string();
                let out_s = out_s.clone();
                std::thread::spawn(move || kcompile(&[&app, "-o", &out_s, "--no-validate"]))
            })
            .collect();
        for r in runs {
            let o = r.join().unwrap();
            assert_eq!(o.code, 0, "round {round}: {}", o.stderr);
        }
        let up_to_date: Vec<i32> = [&a, &b]
            .iter()
            .map(|app| {
                kcompile(&[
                    app.to_str().unwrap(),
                    "-o",
                    &out_s,
                    "--check",
                    "--no-validate",
                ])
                .code
            })
            .collect();
        assert!(
            up_to_date == [0, 1] || up_to_date == [1, 0],
            "round {round}: folder is not one app's render ({up_to_date:?})"
        );
    }
}

/// The lock is the target's parent folder's: while another process holds
/// it, kcompile says so on stderr and waits; it writes once the lock is
/// released.
#[test]
fn a_second_writer_waits_for_the_lock() {
    use std::io::BufRead;
    let (tmp, app) = app_with(&cm("x"));
    let out_dir = tmp.path().join("out");
    let held = std::fs::File::open(tmp.path()).unwrap();
    held.lock().unwrap();
    // Read stderr while it runs, so not `Cmd::run`.
    let mut child = cmd()
        .args([app.to_str().unwrap(), "-o", out_dir.to_str().unwrap()])
        .command()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
    });
    let first = rx.recv_timeout(HANG_GUARD);
    let waiting = matches!(&first, Ok(l) if l.contains("waiting for another kcompile"));
    if !waiting {
        let _ = child.kill();
        let _ = child.wait();
        panic!("expected a waiting message, got {first:?}");
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!out_dir.exists(), "written while the lock was held");
    drop(held);
    let status = child.wait().unwrap();
    assert!(status.success());
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("file(s) written")),
        "{rest:?}"
    );
    assert!(out_dir.join(".kcompile").exists());
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {p:?}"
    );
}
