//! Hostile `kcompile.yaml`, `--live-from` and command-line conditions:
//! outputs outside the repository, overlapping outputs, cluster names that
//! forge output, files that block when read, failed runs that still print,
//! and the "smaller" failures (a full stdout, `--jobs`, unreadable or
//! too-deep folders) that must say what happened.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::{Path, PathBuf};
use util::hostile::*;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n";

/// A repository: `app/` (a ConfigMap and the test Secret), `kcompile.yaml`
/// with `config`.
fn repo(config: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let objs = format!("{CM}---\n{}", secret_yaml("s"));
    write(
        tmp.path(),
        &[
            ("repo/app/kustomization.yaml", b"resources:\n- objs.yaml\n"),
            ("repo/app/objs.yaml", objs.as_bytes()),
            ("repo/kcompile.yaml", config.as_bytes()),
        ],
    );
    tmp
}

fn build_in(dir: &Path, args: &[&str]) -> Out {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    kcompile_in(&all, Some(dir))
}

fn one_cluster(output: &str) -> String {
    format!("clusters:\n- name: a\n  overlay: app\n  output: {output}\n")
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {p:?}"
    );
}

/// Every entry below `root`, without following symlinks.
fn entries(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------ outputs confined

/// `output:` may not leave the folder of kcompile.yaml: not by `..`, not
/// absolute, not through a committed symlink (with or without a trailing
/// slash, at the end or in the middle), not the folder itself. `--check`
/// prints nothing from outside (the outside folder is a kcompile folder
/// holding a Secret, which it would otherwise diff), and `build` writes
/// nothing.
#[test]
fn outputs_outside_the_repository_are_refused() {
    let outputs = [
        "../private",
        "ABSOLUTE",
        "rendered/a/",
        "rendered/a",
        "rendered/a/x",
        "rendered/../../private",
        ".",
        "rendered/..",
    ];
    for output in outputs {
        let tmp = repo("");
        let root = tmp.path().join("repo");
        let private = tmp.path().join("private");
        let output = output.replace("ABSOLUTE", private.to_str().unwrap());
        write(&root, &[("kcompile.yaml", one_cluster(&output).as_bytes())]);
        // A kcompile folder outside whose Secret differs from the app's.
        let o = kcompile_in(&["app", "-o", "../private"], Some(&root));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let f = private.join("_default/secret-s.yaml");
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, text.replace(SECRET, &format!("{SECRET}-old"))).unwrap();
        std::fs::create_dir_all(root.join("rendered")).unwrap();
        std::os::unix::fs::symlink(&private, root.join("rendered/a")).unwrap();
        let before = entries(&private);
        for extra in [
            &["--check"][..],
            &[][..],
            &["--check", "--show-secrets"][..],
        ] {
            let o = build_in(&root, extra);
            o.assert_error_naming("kcompile.yaml");
            o.assert_stderr_has("cluster `a`");
            assert!(
                o.stderr.contains("outside the output root")
                    || o.stderr.contains("a symlink")
                    || o.stderr.contains("the output root itself"),
                "{output}: {}",
                o.stderr
            );
            o.assert_no_secret(true);
        }
        assert_eq!(
            entries(&private),
            before,
            "{output}: outside folder changed"
        );
        assert_eq!(
            entries(&root),
            vec![
                "app",
                "app/kustomization.yaml",
                "app/objs.yaml",
                "kcompile.yaml",
                "rendered",
                "rendered/a"
            ],
            "{output}"
        );
    }
}

/// `--output-root` names another folder outputs may lie in; outside it,
/// still refused.
#[test]
fn output_root_allows_another_folder() {
    let tmp = repo(&one_cluster("../shared/a"));
    let root = tmp.path().join("repo");
    let o = build_in(&root, &[]);
    o.assert_error_naming("--output-root");
    std::fs::create_dir(tmp.path().join("shared")).unwrap();
    let o = build_in(&root, &["--output-root", "../shared"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(tmp.path().join("shared/a/.kcompile").exists());
    let o = build_in(&root, &["--output-root", "../shared", "--check"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = build_in(&root, &["--output-root", "app"]);
    o.assert_error_naming("outside the output root");
    // Only with kcompile.yaml.
    let o = kcompile_in(&["app", "-o", "x", "--output-root", "."], Some(&root));
    o.assert_error_naming("--output-root");
}

/// Two clusters with the same output (also spelled differently) or nested
/// outputs: refused before anything is built or written.
#[test]
fn overlapping_outputs_are_refused() {
    for (a, b, how) in [
        ("rendered/x", "rendered/x", "share the output"),
        ("rendered/x", "./rendered/y/../x/", "share the output"),
        ("rendered/n", "rendered/n/b", "nested outputs"),
        ("rendered/n/b", "rendered", "nested outputs"),
    ] {
        let cfg = format!(
            "clusters:\n- name: a\n  overlay: app\n  output: {a}\n- name: b\n  overlay: app\n  output: {b}\n"
        );
        let tmp = repo(&cfg);
        let root = tmp.path().join("repo");
        for extra in [&[][..], &["--check"][..]] {
            let o = build_in(&root, extra);
            o.assert_error_naming("clusters `a` and `b`");
            o.assert_stderr_has(how);
        }
        assert!(!root.join("rendered").exists(), "{a} {b}: written");
    }
}

// ------------------------------------------------ names and printed text

/// Cluster names are DNS labels, and names, overlays, contexts and outputs
/// carry no control characters: nothing in kcompile.yaml can inject a
/// document into stdout or forge a line or a colour on stderr.
#[test]
fn cluster_names_and_paths_cannot_forge_output() {
    let bad = [
        ("name", "\"a\\n---\\napiVersion: v1\\nkind: Secret\""),
        ("name", "\"a\\e[31mred\""),
        ("name", "Upper"),
        ("name", "-a"),
        ("name", "a_b"),
        ("name", &"a".repeat(64)),
        ("overlay", "\"app\\n---\\nkind: X\""),
        ("context", "\"ctx\\e]0;title\\a\""),
        ("output", "\"out\\rforged\""),
    ];
    for (field, value) in bad {
        let mut fields = vec![
            ("name", "a".to_string()),
            ("overlay", "app".to_string()),
            ("context", "ctx".to_string()),
        ];
        for f in fields.iter_mut() {
            if f.0 == field {
                f.1 = value.to_string();
            }
        }
        if field == "output" {
            fields.push(("output", value.to_string()));
        }
        let body: String = fields
            .iter()
            .enumerate()
            .map(|(i, (k, v))| format!("{}{k}: {v}\n", if i == 0 { "- " } else { "  " }))
            .collect();
        let tmp = repo(&format!("clusters:\n{body}"));
        let o = build_in(&tmp.path().join("repo"), &[]);
        o.assert_error_naming(&format!(".{field}"));
        assert!(!o.stderr.contains('\x1b'), "{field}: raw escape on stderr");
        assert!(!o.stderr.contains('\r'), "{field}: raw CR on stderr");
        assert!(
            !o.stderr.contains("\n---") && !o.stderr.contains("\nkind:"),
            "{field}: forged lines:\n{}",
            o.stderr
        );
    }
    // An unknown field's name is shown escaped too.
    let tmp = repo("clusters:\n- name: a\n  overlay: app\n  \"x\\e[2Jy\": 1\n");
    let o = build_in(&tmp.path().join("repo"), &[]);
    o.assert_error_naming("unknown field");
    assert!(!o.stderr.contains('\x1b'), "{}", o.stderr);
}

/// One cluster failing while another prints: exit 2 and nothing on
/// stdout, for printing and for `--check` diffs alike.
#[test]
fn a_failed_run_prints_nothing_on_stdout() {
    let cfg = "clusters:\n- name: good\n  overlay: app\n- name: bad\n  overlay: missing\n";
    let tmp = repo(cfg);
    let root = tmp.path().join("repo");
    let o = build_in(&root, &[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(o.stdout, "");
    o.assert_stderr_has("[bad] error:");
    o.assert_stderr_has("nothing printed on stdout");
    // The good cluster alone prints.
    let tmp2 = repo("clusters:\n- name: good\n  overlay: app\n");
    let o = build_in(&tmp2.path().join("repo"), &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("# cluster: good (app)"));

    // --check: an out-of-date folder's diff is not printed when another
    // cluster fails.
    let cfg = "clusters:\n- name: good\n  overlay: app\n  output: rendered/good\n- name: bad\n  overlay: missing\n  output: rendered/bad\n";
    let tmp = repo(cfg);
    let root = tmp.path().join("repo");
    let o = build_in(&root, &["--check"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(o.stdout, "");
}

// ------------------------------------------ `--check` over kcompile.yaml

/// `kcompile build --check` masks Secret values like `-o --check`.
#[test]
fn build_check_masks_secret_values() {
    let tmp = repo(&one_cluster("rendered/a"));
    let root = tmp.path().join("repo");
    assert_eq!(build_in(&root, &[]).code, 0);
    let objs = format!("{CM}---\n{}", secret_yaml("s")).replace(SECRET, "CHANGED-value-123");
    write(&root, &[("app/objs.yaml", objs.as_bytes())]);
    let o = build_in(&root, &["--check"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    o.assert_no_secret(true);
    assert!(!o.stdout.contains("CHANGED-value-123"), "{}", o.stdout);
    assert!(o.stdout.contains("*** (after)"), "{}", o.stdout);
    let o = build_in(&root, &["--check", "--show-secrets"]);
    assert!(o.stdout.contains("CHANGED-value-123"), "{}", o.stdout);
}

// ------------------------------------- files that block or never end

/// `--config` naming a FIFO, a kernel pseudo-file or a huge sparse file;
/// a `kcompile.yaml` found in the working folder that is a FIFO or a link
/// to `/proc/kmsg` (not passed over for the parent's): refused at once.
#[test]
fn configuration_that_is_not_a_plain_file_is_refused() {
    let tmp = repo(&one_cluster("rendered/a"));
    let root = tmp.path().join("repo");
    let fifo = tmp.path().join("fifo.yaml");
    mkfifo(&fifo);
    let sparse = tmp.path().join("sparse.yaml");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    for (cfg, why) in [
        (fifo.to_str().unwrap(), "not a regular file"),
        ("/proc/kmsg", "/proc/kmsg"),
        ("/proc/self/status", "pseudo-file"),
        ("/dev/zero", "not a regular file"),
        (sparse.to_str().unwrap(), "too large"),
    ] {
        let o = build_in(&root, &["--config", cfg]);
        o.assert_error_naming(cfg);
        o.assert_stderr_has(why);
        let o = kcompile_in(&["validate", "--config", cfg], Some(&root));
        o.assert_error_naming(cfg);
    }
    // Found by name in a sub-folder: refused, not skipped for ../kcompile.yaml.
    let sub = root.join("sub");
    std::fs::create_dir(&sub).unwrap();
    mkfifo(&sub.join("kcompile.yaml"));
    let o = build_in(&sub, &[]);
    // Named relative to the working folder, where it was found.
    o.assert_error_naming("error: kcompile.yaml:");
    std::fs::remove_file(sub.join("kcompile.yaml")).unwrap();
    std::os::unix::fs::symlink("/proc/kmsg", sub.join("kcompile.yaml")).unwrap();
    let o = build_in(&sub, &[]);
    // Named relative to the working folder, where it was found.
    o.assert_error_naming("error: kcompile.yaml:");
}

/// `kcompile diff --live-from` naming a FIFO, a kernel pseudo-file, or a
/// folder holding either as a `.yaml` entry: refused at once (an entry is
/// never skipped silently either).
#[test]
fn live_state_that_is_not_a_plain_file_is_refused() {
    let tmp = repo("");
    let app = tmp.path().join("repo/app");
    let fifo = tmp.path().join("live.yaml");
    mkfifo(&fifo);
    let dir_fifo = tmp.path().join("d1");
    std::fs::create_dir(&dir_fifo).unwrap();
    mkfifo(&dir_fifo.join("a.yaml"));
    let dir_kmsg = tmp.path().join("d2");
    std::fs::create_dir(&dir_kmsg).unwrap();
    std::os::unix::fs::symlink("/proc/kmsg", dir_kmsg.join("a.yaml")).unwrap();
    for (live, needle) in [
        (fifo.clone(), "live.yaml"),
        (PathBuf::from("/proc/kmsg"), "/proc/kmsg"),
        (dir_fifo, "a.yaml"),
        (dir_kmsg, "a.yaml"),
    ] {
        let o = kcompile(&[
            "diff",
            app.to_str().unwrap(),
            "--live-from",
            live.to_str().unwrap(),
        ]);
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert_eq!(o.stdout, "");
        o.assert_stderr_has("error: --live-from");
        o.assert_stderr_has(needle);
        o.assert_no_secret(true);
    }
}

// ------------------------------------------------------------- smaller

/// A full device or a closed pipe on stdout: exit 2 with the reason.
#[test]
fn failed_writes_to_stdout_are_reported() {
    let tmp = repo("clusters:\n- name: a\n  overlay: app\n");
    let root = tmp.path().join("repo");
    // stdout is the device or pipe itself, so the run is not `Cmd::run`.
    let run = |args: &[&str], stdout: std::process::Stdio| {
        cmd()
            .args(args)
            .cwd(&root)
            .command()
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap()
    };
    for args in [&["app"][..], &["build"][..], &["app", "--validate"][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = run(args, full.into());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("cannot write the output to stdout"), "{err}");
        assert!(err.contains("No space left"), "{err}");

        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = run(args, writer.into());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("Broken pipe"), "{err}");
    }
}

/// `--jobs` is bounded (256), and threads never outnumber clusters.
#[test]
fn jobs_are_bounded() {
    let tmp = repo("clusters:\n- name: a\n  overlay: app\n- name: b\n  overlay: app\n");
    let root = tmp.path().join("repo");
    let o = build_in(&root, &["--jobs", "1500"]);
    assert_eq!(o.code, 2);
    assert_eq!(o.stdout, "");
    o.assert_stderr_has("--jobs");
    o.assert_stderr_has("0..=256");
    let o = build_in(&root, &["--jobs", "256"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    o.assert_rss_below_mb(200);
}

/// Builds of several clusters run on threads with the main thread's
/// stack, set explicitly: a chain of nested bases does not overflow them
/// (rayon's default, 2 MiB or `RUST_MIN_STACK`, overflowed and aborted
/// the process at ~480 levels; with `RUST_MIN_STACK` at 256 KiB, at 60).
#[test]
fn parallel_cluster_builds_have_the_stack_for_deep_input() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = tmp.path().join("chain");
    for _ in 0..80 {
        write(&d, &[("kustomization.yaml", b"resources:\n- b\n")]);
        d = d.join("b");
    }
    write(
        &d,
        &[
            ("kustomization.yaml", b"resources:\n- cm.yaml\n"),
            ("cm.yaml", CM.as_bytes()),
        ],
    );
    write(
        tmp.path(),
        &[(
            "kcompile.yaml",
            b"clusters:\n- name: a\n  overlay: chain\n- name: b\n  overlay: chain\n- name: c\n  overlay: chain\n",
        )],
    );
    for jobs in ["0", "3"] {
        let o = cmd()
            .args(["build", "--no-validate", "--jobs", jobs])
            .cwd(tmp.path())
            .env("RUST_MIN_STACK", "262144")
            .timeout(HANG_GUARD)
            .run();
        assert_eq!(o.code, 0, "--jobs {jobs}: {}", o.stderr);
        assert_eq!(o.stdout.matches("name: cm").count(), 3, "{}", o.stdout);
    }
}

/// A folder kcompile may not read is reported as such (not as a missing
/// kustomization). Run as an unprivileged user when the tests run as root,
/// where permissions do not apply.
#[test]
fn unreadable_overlay_folder_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let tmp = repo("");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = tmp.path().join("repo");
    let app = root.join("app");
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = if is_root() {
        // The unprivileged user may not reach the build folder: a copy.
        let bin = tmp.path().join("kcompile");
        std::fs::copy(env!("CARGO_BIN_EXE_kcompile"), &bin).unwrap();
        Cmd::new(bin).with(|c| {
            c.uid(65534).gid(65534);
        })
    } else {
        cmd()
    };
    let o = run.arg("app").cwd(&root).timeout(HANG_GUARD).run();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = &o.stderr;
    assert_eq!(o.code, 2, "{err}");
    assert!(o.stdout.is_empty());
    assert!(err.contains("permission denied"), "{err}");
    assert!(!err.contains("unable to find"), "{err}");
}

/// A working folder whose absolute path is longer than PATH_MAX: the
/// error says so (it said "not a directory", or found no kcompile.yaml).
/// The tree is made and entered through file descriptors, since no path
/// to it can be used.
#[test]
fn working_folder_deeper_than_path_max_is_reported() {
    use std::ffi::CString;
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let c = |s: &str| CString::new(s).unwrap();
    let seg = c(&"d".repeat(200));
    // SAFETY: plain syscalls on descriptors this test owns.
    let deep = unsafe {
        let mut fd = libc::open(
            c(tmp.path().to_str().unwrap()).as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY,
        );
        assert!(fd >= 0);
        for _ in 0..25 {
            assert_eq!(libc::mkdirat(fd, seg.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, seg.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        for (name, text) in [
            ("kustomization.yaml", "resources:\n- cm.yaml\n"),
            (
                "cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            ),
        ] {
            let f = libc::openat(fd, c(name).as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644);
            assert!(f >= 0);
            assert_eq!(
                libc::write(f, text.as_ptr().cast(), text.len()),
                text.len() as isize
            );
            libc::close(f);
        }
        fd
    };
    for args in [&["."][..], &["build"][..]] {
        let o = cmd()
            .args(args)
            .timeout(HANG_GUARD)
            .with(|c| {
                // SAFETY: fchdir is async-signal-safe; `deep` stays open
                // meanwhile.
                unsafe {
                    c.pre_exec(move || {
                        if libc::fchdir(deep) == 0 {
                            Ok(())
                        } else {
                            Err(std::io::Error::last_os_error())
                        }
                    });
                }
            })
            .run();
        let err = &o.stderr;
        assert_eq!(o.code, 2, "{args:?}: {err}");
        assert!(o.stdout.is_empty());
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("PATH_MAX"), "{args:?}: {err}");
        assert!(!err.contains("not a directory"), "{err}");
        assert!(!err.contains("no kcompile.yaml found"), "{err}");
    }
    unsafe { libc::close(deep) };
}
