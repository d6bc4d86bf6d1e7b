//! Hostile input to `kcompile build`: YAML bombs, not-YAML, filesystem
//! tricks, broken patches and secrets in error paths. Every case checks the
//! exit status (2 for errors), that the message names the file or object,
//! that nothing is printed on stdout on error, and that no test secret
//! appears in the output. A child running past `HANG_GUARD` fails the test.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::os::unix::fs::symlink;
use std::path::Path;
use util::hostile::*;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n";

fn kust_with(dir: &Path, kust: &str, files: &[(&str, &[u8])]) -> String {
    write(dir, &[("kustomization.yaml", kust.as_bytes())]);
    write(dir, files);
    dir.to_str().unwrap().to_string()
}

fn one_resource(dir: &Path, name: &str, content: &[u8]) -> String {
    kust_with(dir, &format!("resources:\n- {name}\n"), &[(name, content)])
}

// ---------------------------------------------------------------- bombs

/// "Billion laughs": nine levels of nine-way aliases of a list.
#[test]
fn billion_laughs_is_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = format!(
        "{}bomb:\n  l0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        secret_yaml("s")
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        y.push_str(&format!("  l{i}: &a{i} [{refs}]\n"));
    }
    let d = one_resource(tmp.path(), "bomb.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("bomb.yaml");
    out.assert_stderr_has("alias expansion");
    out.assert_no_secret(true);
    out.assert_rss_below_mb(200);
    assert!(out.elapsed.as_secs() < 10);
}

/// Aliases of a long string: few nodes, gigabytes once expanded.
#[test]
fn alias_of_long_string_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a0: &a0 \"{}\"\n",
        "l".repeat(100_000)
    );
    y.push_str(&format!("  a1: &a1 [{}]\n", ["*a0"; 9].join(",")));
    for i in 2..7 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        y.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let d = one_resource(tmp.path(), "strings.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("strings.yaml");
    out.assert_stderr_has("alias expansion");
    out.assert_rss_below_mb(200);
}

#[test]
fn deeply_nested_flow_document_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let y = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let d = one_resource(tmp.path(), "deep.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("deep.yaml");
    out.assert_rss_below_mb(200);
}

#[test]
fn deeply_nested_block_document_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let y: String = (0..5000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    let d = one_resource(tmp.path(), "deep.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("deep.yaml");
    out.assert_stderr_has("depth");
    out.assert_rss_below_mb(200);
}

/// Nesting just under the limit goes through every stage (merge, emit)
/// without overflowing the stack.
#[test]
fn nesting_at_the_limit_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n");
    // Under both the parser's depth limit (500) and strategic merge's (300).
    for i in 0..280 {
        y.push_str(&format!("{}k:\n", " ".repeat(2 + i)));
    }
    y.push_str(&format!("{}v: end\n", " ".repeat(2 + 280)));
    let d = kust_with(
        tmp.path(),
        "resources:\n- deep.yaml\ncommonLabels:\n  a: b\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x\n    data:\n      extra: y\n",
        &[("deep.yaml", y.as_bytes())],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("v: end"));
}

#[test]
fn very_long_scalar_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let y = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {}\n",
        "x".repeat(16 * 1024 * 1024)
    );
    let d = one_resource(tmp.path(), "long.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.len() > 16 * 1024 * 1024);
    out.assert_rss_below_mb(200);
}

#[test]
fn huge_stream_of_documents_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let y: String = (0..10_000)
        .map(|i| {
            format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  a: b\n"
            )
        })
        .collect();
    let d = one_resource(tmp.path(), "many.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.matches("kind: ConfigMap").count(), 10_000);
    out.assert_rss_below_mb(200);
}

/// A file over the size limit is refused before it is read (a sparse file,
/// so the test writes nothing).
#[test]
fn oversized_file_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let d = one_resource(tmp.path(), "big.yaml", b"");
    let f = std::fs::File::options()
        .write(true)
        .open(tmp.path().join("big.yaml"))
        .unwrap();
    f.set_len(kcompile::limits::MAX_FILE_BYTES + 1).unwrap();
    let out = kcompile(&[&d]);
    out.assert_error_naming("big.yaml");
    out.assert_stderr_has("too large");
    out.assert_rss_below_mb(200);
}

// ---------------------------------------------------------------- not YAML

#[test]
fn binary_resource_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let d = one_resource(tmp.path(), "blob.yaml", &bytes);
    kcompile(&[&d]).assert_error_naming("blob.yaml");
}

#[test]
fn binary_kustomization_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..=255u8).rev().cycle().take(512).collect();
    write(tmp.path(), &[("kustomization.yaml", &bytes)]);
    kcompile(&[tmp.path().to_str().unwrap()]).assert_error_naming("kustomization.yaml");
}

/// Invalid UTF-8 inside a Secret: the error gives an offset, never the text.
#[test]
fn invalid_utf8_in_a_secret_is_refused_without_quoting() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = secret_yaml("s").into_bytes();
    let at = y.len() - 4;
    y.insert(at, 0xff);
    let d = one_resource(tmp.path(), "s.yaml", &y);
    let out = kcompile(&[&d]);
    out.assert_error_naming("s.yaml");
    out.assert_stderr_has("UTF-8");
    out.assert_no_secret(true);
}

#[test]
fn byte_order_mark_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "\u{feff}resources:\n- cm.yaml\n",
        &[("cm.yaml", format!("\u{feff}{CM}").as_bytes())],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("apiVersion: v1\n"), "{}", out.stdout);
}

#[test]
fn tab_indentation_is_an_error_with_position() {
    let tmp = tempfile::tempdir().unwrap();
    let d = one_resource(
        tmp.path(),
        "tabs.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("tabs.yaml:4:");
    out.assert_stderr_has("tab");
}

#[test]
fn duplicate_key_in_a_resource_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let y = format!("{}stringData:\n  other: {SECRET}\n", secret_yaml("s"));
    let d = one_resource(tmp.path(), "dup.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("dup.yaml:");
    out.assert_stderr_has("\"stringData\" already defined");
    out.assert_no_secret(true);
}

/// kustomize reads kustomization files leniently: the last repeated key wins.
#[test]
fn duplicate_key_in_a_kustomization_last_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "namePrefix: a-\nresources:\n- cm.yaml\nnamePrefix: b-\n",
        &[("cm.yaml", CM.as_bytes())],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("name: b-cm"), "{}", out.stdout);
}

#[test]
fn kustomization_with_two_documents_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources:\n- cm.yaml\n---\nnamePrefix: x-\n",
        &[("cm.yaml", CM.as_bytes())],
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("one YAML document");
}

#[test]
fn kustomization_that_is_a_list_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(tmp.path(), "- resources\n- cm.yaml\n", &[]);
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("found a list");
}

#[test]
fn resource_without_kind_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let y = secret_yaml("s").replace("kind: Secret\n", "");
    let d = one_resource(tmp.path(), "nokind.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("nokind.yaml");
    out.assert_stderr_has("no `kind`");
    out.assert_no_secret(true);
}

#[test]
fn resource_without_name_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let y = secret_yaml("s").replace("  name: s\n", "  labels: {}\n");
    let d = one_resource(tmp.path(), "noname.yaml", y.as_bytes());
    let out = kcompile(&[&d]);
    out.assert_error_naming("noname.yaml");
    out.assert_stderr_has("Secret has no `metadata.name`");
    out.assert_no_secret(true);
}

// ---------------------------------------------------------------- filesystem

/// A directory `outside/` beside the root holding a Secret.
fn outside(tmp: &Path) -> std::path::PathBuf {
    let o = tmp.join("outside");
    write(&o, &[("secret.yaml", secret_yaml("stolen").as_bytes())]);
    o
}

#[test]
fn climbing_out_of_the_root_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    outside(tmp.path());
    let root = tmp.path().join("app");
    // As many `..` as it takes to reach `/`, then down to outside/.
    let levels = root.components().count();
    let climb = format!(
        "{}{}",
        "../".repeat(levels + 3),
        tmp.path()
            .join("outside/secret.yaml")
            .to_str()
            .unwrap()
            .trim_start_matches('/')
    );
    let d = kust_with(&root, &format!("resources:\n- {climb}\n"), &[]);
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    assert!(out.stderr.contains("security;"), "{}", out.stderr);
    out.assert_stderr_has("is not in or below");
    out.assert_no_secret(true);
}

#[test]
fn absolute_paths_outside_the_root_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = outside(tmp.path());
    let root = tmp.path().join("app");
    for entry in [
        format!("resources:\n- {}\n", o.join("secret.yaml").display()),
        "resources:\n- /etc/passwd\n".to_string(),
        format!("patches:\n- path: {}\n", o.join("secret.yaml").display()),
        format!(
            "configMapGenerator:\n- name: c\n  files:\n  - {}\n",
            o.join("secret.yaml").display()
        ),
        format!(
            "secretGenerator:\n- name: c\n  envs:\n  - {}\n",
            o.join("secret.yaml").display()
        ),
    ] {
        let d = kust_with(&root, &entry, &[]);
        let out = kcompile(&[&d]);
        out.assert_error_naming("kustomization.yaml");
        assert!(out.stderr.contains("security;"), "{entry}: {}", out.stderr);
        out.assert_no_secret(true);
    }
}

#[test]
fn symlink_to_a_file_outside_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = outside(tmp.path());
    let root = tmp.path().join("app");
    let d = kust_with(&root, "resources:\n- link.yaml\n", &[]);
    symlink(o.join("secret.yaml"), root.join("link.yaml")).unwrap();
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    assert!(
        out.stderr.contains("security;") && out.stderr.contains("link.yaml"),
        "{}",
        out.stderr
    );
    out.assert_no_secret(true);
}

/// A directory symlink inside the tree pointing outside: files reached
/// through it are outside the root once resolved.
#[test]
fn symlinked_directory_cannot_smuggle_files() {
    let tmp = tempfile::tempdir().unwrap();
    let o = outside(tmp.path());
    let root = tmp.path().join("app");
    let d = kust_with(&root, "resources:\n- sub/secret.yaml\n", &[]);
    symlink(&o, root.join("sub")).unwrap();
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    assert!(out.stderr.contains("security;"), "{}", out.stderr);
    out.assert_no_secret(true);
}

/// The kustomization file itself is under the restriction too.
#[test]
fn kustomization_file_symlinked_outside_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = outside(tmp.path());
    write(
        &o,
        &[("kustomization.yaml", b"resources:\n- secret.yaml\n")],
    );
    let root = tmp.path().join("app");
    std::fs::create_dir_all(&root).unwrap();
    symlink(
        o.join("kustomization.yaml"),
        root.join("kustomization.yaml"),
    )
    .unwrap();
    let out = kcompile(&[root.to_str().unwrap()]);
    out.assert_error_naming("kustomization.yaml");
    assert!(out.stderr.contains("security;"), "{}", out.stderr);
    out.assert_no_secret(true);
}

/// A directory listed under `resources:` may lie outside (kustomize allows
/// bases anywhere; each is a root of its own), even through a symlink.
#[test]
fn base_directory_outside_is_allowed_as_its_own_root() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    write(
        &base,
        &[
            ("kustomization.yaml", b"resources:\n- cm.yaml\n"),
            ("cm.yaml", CM.as_bytes()),
        ],
    );
    let root = tmp.path().join("app");
    let d = kust_with(&root, "resources:\n- linked-base\n", &[]);
    symlink(&base, root.join("linked-base")).unwrap();
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("name: cm"));
}

#[test]
fn directory_cycle_through_symlinks_is_a_cycle_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    let d = kust_with(
        &root,
        "resources:\n- a\n",
        &[("a/kustomization.yaml", b"resources:\n- loop\n")],
    );
    symlink("..", root.join("a/loop")).unwrap();
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("cycle");
}

#[test]
fn symlink_loop_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    let d = kust_with(&root, "resources:\n- x/y.yaml\n", &[]);
    symlink("x", root.join("x")).unwrap();
    let out = kcompile(&[&d]);
    out.assert_error_naming("x/y.yaml");
    out.assert_stderr_has("symbolic links");
}

#[test]
fn kustomization_cycle_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            ("a/kustomization.yaml", b"resources:\n- ../b\n"),
            ("b/kustomization.yaml", b"resources:\n- ../a\n"),
        ],
    );
    let out = kcompile(&[tmp.path().join("a").to_str().unwrap()]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("cycle detected");
}

/// 200 nested bases (`b/b/b/…`) build; each adds a prefix.
#[test]
fn two_hundred_nested_bases_build() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = tmp.path().to_path_buf();
    for _ in 0..200 {
        write(
            &d,
            &[("kustomization.yaml", b"resources:\n- b\nnamePrefix: p-\n")],
        );
        d = d.join("b");
    }
    write(
        &d,
        &[
            ("kustomization.yaml", b"resources:\n- cm.yaml\n"),
            ("cm.yaml", CM.as_bytes()),
        ],
    );
    let out = kcompile(&[tmp.path().to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .contains(&format!("name: {}cm", "p-".repeat(200))));
}

/// A chain longer than `MAX_NESTING` is a clear error, not a stack overflow.
#[test]
fn overlong_base_chain_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let n = kcompile::compile::MAX_NESTING + 100;
    for i in 0..n {
        write(
            tmp.path(),
            &[(
                &format!("b{i}/kustomization.yaml"),
                format!("resources:\n- ../b{}\n", i + 1).as_bytes(),
            )],
        );
    }
    write(
        tmp.path(),
        &[(&format!("b{n}/kustomization.yaml"), b"resources: []\n")],
    );
    let out = kcompile(&[tmp.path().join("b0").to_str().unwrap()]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("nested more than");
}

#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    if is_root() {
        eprintln!("SKIP unreadable_file_is_reported: running as root, where file permissions do not apply");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = one_resource(tmp.path(), "locked.yaml", secret_yaml("s").as_bytes());
    let f = tmp.path().join("locked.yaml");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = kcompile(&[&d]);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    out.assert_error_naming("locked.yaml");
    out.assert_stderr_has("permission denied");
    out.assert_no_secret(true);
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn fifo_resource_is_refused_not_blocked_on() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(tmp.path(), "resources:\n- pipe.yaml\n", &[]);
    mkfifo(&tmp.path().join("pipe.yaml"));
    let out = kcompile(&[&d]);
    out.assert_error_naming("pipe.yaml");
    out.assert_stderr_has("not a regular file");
}

#[test]
fn fifo_kustomization_is_refused_not_blocked_on() {
    let tmp = tempfile::tempdir().unwrap();
    mkfifo(&tmp.path().join("kustomization.yaml"));
    let out = kcompile(&[tmp.path().to_str().unwrap()]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("not a regular file");
}

#[test]
fn fifo_generator_and_patch_inputs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (kust, name) in [
        (
            "configMapGenerator:\n- name: c\n  files:\n  - pipe\n",
            "pipe",
        ),
        ("secretGenerator:\n- name: c\n  envs:\n  - pipe\n", "pipe"),
        ("resources:\n- cm.yaml\npatches:\n- path: pipe\n", "pipe"),
    ] {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = kust_with(dir.path(), kust, &[("cm.yaml", CM.as_bytes())]);
        mkfifo(&dir.path().join(name));
        let out = kcompile(&[&d]);
        out.assert_error_naming("pipe");
        assert!(
            out.stderr.contains("not a regular file"),
            "{kust}: {}",
            out.stderr
        );
    }
}

/// Devices, by absolute path or through a symlink in the tree: outside the
/// root, so refused by the restriction before anything is opened.
#[test]
fn devices_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for dev in ["/dev/zero", "/dev/random", "/dev/urandom"] {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = kust_with(dir.path(), &format!("resources:\n- {dev}\n"), &[]);
        let out = kcompile(&[&d]);
        out.assert_error_naming(dev);
        assert!(out.stderr.contains("security;"), "{}", out.stderr);

        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = kust_with(
            dir.path(),
            "resources:\n- dev.yaml\nconfigMapGenerator:\n- name: c\n  files:\n  - dev.yaml\n",
            &[],
        );
        symlink(dev, dir.path().join("dev.yaml")).unwrap();
        kcompile(&[&d]).assert_error_naming(dev);

        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        symlink(dev, dir.path().join("kustomization.yaml")).unwrap();
        kcompile(&[dir.path().to_str().unwrap()]).assert_error_naming("kustomization.yaml");
    }
    // The build directory itself being a device.
    kcompile(&["/dev/zero"]).assert_error_naming("/dev/zero");
}

// ---------------------------------------------------------------- patches

fn secret_with_patch(tmp: &Path, patch: &str, target: bool) -> String {
    let t = if target {
        "  target:\n    kind: Secret\n    name: s\n"
    } else {
        ""
    };
    kust_with(
        tmp,
        &format!("resources:\n- s.yaml\npatches:\n- path: p.yaml\n{t}"),
        &[
            ("s.yaml", secret_yaml("s").as_bytes()),
            ("p.yaml", patch.as_bytes()),
        ],
    )
}

#[test]
fn json6902_failing_test_op() {
    let tmp = tempfile::tempdir().unwrap();
    let d = secret_with_patch(
        tmp.path(),
        "- op: test\n  path: /stringData/password\n  value: a-wrong-guess\n",
        true,
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("p.yaml");
    out.assert_stderr_has("Secret/s");
    out.assert_stderr_has("value did not match");
    out.assert_no_secret(true);
}

/// A `move` whose destination is missing fails after removing its source;
/// the json-patch crate's undo of such a patch panics (found by fuzzing).
/// kcompile reports it, naming the object as it was before the patch (the
/// earlier rename is not applied), and never echoes the moved value.
#[test]
fn json6902_failing_move_after_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let d = secret_with_patch(
        tmp.path(),
        "- op: replace\n  path: /metadata/name\n  value: renamed\n- op: move\n  from: /stringData/password\n  path: /missing/password\n",
        true,
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("p.yaml");
    out.assert_stderr_has("Secret/s");
    out.assert_stderr_has("/missing/password");
    assert!(!out.stderr.contains("renamed"), "{}", out.stderr);
    out.assert_no_secret(true);
}

#[test]
fn json6902_missing_list_index() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources:\n- d.yaml\npatches:\n- target: {kind: Deployment, name: d}\n  patch: |-\n    - op: replace\n      path: /spec/template/spec/containers/5/image\n      value: x\n",
        &[("d.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: b\n")],
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("kustomization.yaml:4:3: ");
    out.assert_stderr_has("inline patch");
    out.assert_stderr_has("Deployment/d");
    assert!(
        out.stderr
            .contains("/spec/template/spec/containers/5/image"),
        "{}",
        out.stderr
    );
}

#[test]
fn json6902_malformed_ops_against_a_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let d = secret_with_patch(
        tmp.path(),
        &format!("- op: frobnicate\n  path: /stringData/password\n  value: {SECRET}\n"),
        true,
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("p.yaml");
    out.assert_stderr_has("invalid JSON 6902 patch");
    out.assert_no_secret(true);
}

#[test]
fn strategic_merge_wrong_type_at_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    for patch in [
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData: {SECRET}\n"),
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password:\n    nested: {SECRET}\n"),
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata: [{SECRET}]\n"),
    ] {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = secret_with_patch(dir.path(), &patch, false);
        let out = kcompile(&[&d]);
        out.assert_error_naming("p.yaml");
        out.assert_stderr_has("Secret/s");
        out.assert_stderr_has("wrong node kind");
        out.assert_no_secret(true);
    }
}

#[test]
fn strategic_merge_list_given_as_map() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
        &[
            ("d.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: b\n"),
            ("p.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n        name: a\n"),
        ],
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("p.yaml");
    out.assert_stderr_has("spec.template.spec.containers");
}

#[test]
fn patch_directive_in_the_wrong_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dep = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: b\n";
    for (patch, needle) in [
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        $patch: bogus\n",
            "unknown patch strategy",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  $patch: 7\n",
            "unknown patch strategy",
        ),
        // A lone directive names no object (kustomize: missing kind).
        ("$patch: delete\n", "has no `kind`"),
    ] {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = kust_with(
            dir.path(),
            "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
            &[("d.yaml", dep), ("p.yaml", patch.as_bytes())],
        );
        let out = kcompile(&[&d]);
        out.assert_error_naming("p.yaml");
        assert!(out.stderr.contains(needle), "{patch}: {}", out.stderr);
    }
}

// ---------------------------------------------------------------- secrets

/// YAML errors in a file holding secrets never quote the offending value.
#[test]
fn yaml_errors_in_secrets_do_not_quote_values() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in [
        format!("  password: !!int {SECRET}\n"),
        format!("  password: !!float {SECRET}\n"),
        format!("  password: !!bool {SECRET}\n"),
        format!("  password: !!null {SECRET}\n"),
        format!("  password: !!binary {SECRET}%%\n"),
        format!("  password: \"{SECRET}\n"),
        format!("  password: {SECRET}: x\n"),
        format!("  password: [{SECRET}\n"),
        format!("  password: *{SECRET}\n"),
        format!("  password: {SECRET}\n\t  bad: tab\n"),
        format!("  password: {SECRET}\u{7f}\n"),
    ] {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let y = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n{bad}");
        let d = one_resource(dir.path(), "s.yaml", y.as_bytes());
        let out = kcompile(&[&d]);
        out.assert_error_naming("s.yaml");
        out.assert_no_secret(true);
    }
}

#[test]
fn duplicate_secret_does_not_leak() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources:\n- a.yaml\n- b.yaml\n",
        &[
            ("a.yaml", secret_yaml("s").as_bytes()),
            ("b.yaml", secret_yaml("s").as_bytes()),
        ],
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("Secret/s");
    out.assert_stderr_has("a.yaml");
    out.assert_stderr_has("b.yaml");
    out.assert_no_secret(true);
}

#[test]
fn secret_generator_env_errors_do_not_leak() {
    let tmp = tempfile::tempdir().unwrap();
    let g = "secretGenerator \"g\"";
    let cases: Vec<(String, Vec<u8>, &str, &str)> = vec![
        // The same key twice across env files.
        (
            "secretGenerator:\n- name: g\n  envs:\n  - a.env\n  - b.env\n".into(),
            format!("PASSWORD={ENV_SECRET}\n").into_bytes(),
            "illegally repeats the key",
            g,
        ),
        // Invalid UTF-8 in an env file.
        (
            "secretGenerator:\n- name: g\n  envs:\n  - a.env\n".into(),
            [format!("PASSWORD={ENV_SECRET}").as_bytes(), b"\xff\n"].concat(),
            "invalid UTF-8",
            g,
        ),
        // A literal that is not key=value.
        (
            format!(
                "secretGenerator:\n- name: g\n  envs:\n  - a.env\n  literals:\n  - {ENV_SECRET}\n"
            ),
            b"A=b\n".to_vec(),
            "invalid literal source",
            g,
        ),
        // A control character the output cannot carry, in a literal (the
        // kustomization's own YAML refuses it).
        (
            format!("secretGenerator:\n- name: g\n  literals:\n  - \"p={ENV_SECRET}\\x7f\"\n"),
            b"".to_vec(),
            "control character",
            "kustomization.yaml:4:",
        ),
    ];
    for (kust, env, needle, names) in cases {
        let dir = tempfile::tempdir_in(tmp.path()).unwrap();
        let d = kust_with(dir.path(), &kust, &[("a.env", &env), ("b.env", &env)]);
        let out = kcompile(&[&d]);
        out.assert_error_naming(names);
        assert!(out.stderr.contains(needle), "{kust}: {}", out.stderr);
        out.assert_no_secret(true);
    }
}

/// Warnings (deprecated fields) on a build holding secrets mention fields,
/// not values; stdout holds the Secret, which is the build's job.
#[test]
fn warnings_do_not_leak() {
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources:\n- s.yaml\ncommonLabels:\n  a: b\npatchesStrategicMerge:\n- p.yaml\nsecretGenerator:\n- name: g\n  envs:\n  - a.env\n",
        &[
            ("s.yaml", secret_yaml("s").as_bytes()),
            ("p.yaml", format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  more: {SECRET}\n").as_bytes()),
            ("a.env", format!("PASSWORD={ENV_SECRET}\n").as_bytes()),
        ],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.assert_stderr_has("deprecated");
    out.assert_no_secret(false);
}

// ------------------------------------------------------ identity lost

/// A patch or replacement that leaves an object without kind or name (or
/// not a mapping at all) fails the build naming the step, as kustomize
/// does; `apiVersion` may go (kustomize prints the object without it).
#[test]
fn a_step_that_strips_identity_fails() {
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n";
    let json = |ops: &str| format!("patches:\n- patch: '{ops}'\n  target: {{kind: Deployment}}\n");
    let repl = |path: &str| {
        format!(
            "replacements:\n- source: {{kind: ConfigMap, fieldPath: data.a}}\n  targets:\n  - select: {{kind: Deployment}}\n    fieldPaths: ['{path}']\n"
        )
    };
    let cases = [
        (
            json(r#"[{"op": "remove", "path": "/kind"}]"#),
            "without `kind`",
        ),
        (
            json(r#"[{"op": "remove", "path": "/metadata"}]"#),
            "without `metadata.name`",
        ),
        (
            json(r#"[{"op": "remove", "path": "/metadata/name"}]"#),
            "without `metadata.name`",
        ),
        (
            json(r#"[{"op": "replace", "path": "/metadata", "value": "x"}]"#),
            "without `metadata.name`",
        ),
        (
            repl("metadata"),
            "a replacement leaves the object without `metadata.name`",
        ),
        (repl(""), "the path names no field"),
        (repl("......"), "the path names no field"),
    ];
    for (kust, want) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let d = kust_with(
            tmp.path(),
            &format!("resources: [d.yaml, cm.yaml]\n{kust}"),
            &[("d.yaml", dep.as_bytes()), ("cm.yaml", CM.as_bytes())],
        );
        let out = kcompile(&[&d]);
        out.assert_error_naming("Deployment/d");
        out.assert_stderr_has(want);
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        &format!(
            "resources: [d.yaml]\n{}",
            json(r#"[{"op": "remove", "path": "/apiVersion"}]"#)
        ),
        &[("d.yaml", dep.as_bytes())],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("kind: Deployment\n"),
        "{}",
        out.stdout
    );
}

/// Issue 15, item 9: what kustomize accepts is built the same way, what it
/// rejects or silently drops fails here.
#[test]
fn kustomize_corner_cases_of_item_nine() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    // A tab after `key:` separates as a space does.
    let tmp = tempfile::tempdir().unwrap();
    let d = one_resource(
        tmp.path(),
        "c.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\tc\ndata:\n  k:\tv\n",
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("  k: v\n") && out.stdout.contains("  name: c\n"));
    // A top-level `$patch: replace` leaves the object as it is.
    let tmp = tempfile::tempdir().unwrap();
    let d = kust_with(
        tmp.path(),
        "resources: [c.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n    $patch: replace\n    data: {k: v}\n",
        &[("c.yaml", cm.as_bytes())],
    );
    let out = kcompile(&[&d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, cm);
    // A List whose items are a map: kustomize fails; a scalar: it drops
    // the file without a word. Both fail here.
    for items in [
        "items:\n  a: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n",
        "items: x\n",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let d = one_resource(
            tmp.path(),
            "l.yaml",
            format!("apiVersion: v1\nkind: List\n{items}").as_bytes(),
        );
        let out = kcompile(&[&d]);
        out.assert_error_naming("l.yaml");
        out.assert_stderr_has("not a list");
    }
    // A number as a name: kustomize prints it unquoted (no API server takes
    // it); refused with the fix.
    let tmp = tempfile::tempdir().unwrap();
    let d = one_resource(
        tmp.path(),
        "c.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 12345\n",
    );
    let out = kcompile(&[&d]);
    out.assert_error_naming("c.yaml");
    out.assert_stderr_has("quote the name");
}
