//! Small inputs that explode (issue 15, item 7): each ends in exit 2, an
//! empty stdout and an error naming the limit and how to raise it, in
//! bounded time and memory. Inputs are generated here; where the default
//! limit would make a test slow, the test lowers it through its
//! documented environment variable.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::path::Path;
use util::hostile::*;

fn cm(name: &str, data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {data}\n")
}

#[track_caller]
fn assert_limit(out: &Out, needle: &str, env: &str) {
    out.assert_error_naming(needle);
    out.assert_stderr_has(env);
    assert!(out.elapsed.as_secs() < 10, "took {:?}", out.elapsed);
    out.assert_rss_below_mb(600);
}

const VARS_KUST: &str = "resources: [cm.yaml, pod.yaml]\nvars:\n- name: V\n  objref: {kind: ConfigMap, name: big, apiVersion: v1}\n  fieldref: {fieldpath: data.v}\n";

/// `$(V)` many times in one string over a 1 MB value.
#[test]
fn a_var_repeated_over_a_long_value_is_bounded() {
    let tmp = Tree::new();
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    args: [\"{}\"]\n",
        "$(V)".repeat(5000)
    );
    write(
        tmp.path(),
        &[
            ("kustomization.yaml", VARS_KUST.as_bytes()),
            ("cm.yaml", cm("big", &"x".repeat(1_000_000)).as_bytes()),
            ("pod.yaml", pod.as_bytes()),
        ],
    );
    let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
    assert_limit(&out, "the limit for one value", "KCOMPILE_MAX_VALUE_BYTES");
    out.assert_stderr_has("Pod/p");
}

/// The same value in many fields: each is small enough, all together not.
#[test]
fn a_var_in_many_fields_is_bounded_by_the_output_limit() {
    let tmp = Tree::new();
    let args: Vec<&str> = vec!["\"$(V)\""; 50];
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    args: [{}]\n",
        args.join(", ")
    );
    write(
        tmp.path(),
        &[
            ("kustomization.yaml", VARS_KUST.as_bytes()),
            ("cm.yaml", cm("big", &"x".repeat(1_000_000)).as_bytes()),
            ("pod.yaml", pod.as_bytes()),
        ],
    );
    let out = kcompile_env(
        &[tmp.path().to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_OUTPUT_BYTES", "20000000")],
    );
    assert_limit(&out, "output limit", "KCOMPILE_MAX_OUTPUT_BYTES");
}

/// A replacement into `*` over 100,000 list items.
#[test]
fn a_replacement_into_many_list_items_is_bounded() {
    let tmp = Tree::new();
    let items: String = "  - x: a\n".repeat(100_000);
    write(
        tmp.path(),
        &[
            (
                "kustomization.yaml",
                b"resources: [src.yaml, t.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: src, fieldPath: data.v}\n  targets:\n  - select: {kind: T}\n    fieldPaths: [spec.items.*.x]\n",
            ),
            ("src.yaml", cm("src", &"y".repeat(1000)).as_bytes()),
            (
                "t.yaml",
                format!("apiVersion: x/v1\nkind: T\nmetadata:\n  name: t\nspec:\n  items:\n{items}")
                    .as_bytes(),
            ),
        ],
    );
    let out = kcompile_env(
        &[tmp.path().to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_OUTPUT_BYTES", "20000000")],
    );
    assert_limit(&out, "output limit", "KCOMPILE_MAX_OUTPUT_BYTES");
    out.assert_stderr_has("T/t");
}

/// A 100,000-segment `create:` path would nest far past the 500 levels a
/// document may have.
#[test]
fn a_create_path_deeper_than_the_nesting_bound_is_refused() {
    let tmp = Tree::new();
    let path = vec!["a"; 100_000].join(".");
    write(
        tmp.path(),
        &[
            (
                "kustomization.yaml",
                format!("resources: [src.yaml]\nreplacements:\n- source: {{kind: ConfigMap, name: src, fieldPath: data.v}}\n  targets:\n  - select: {{kind: ConfigMap}}\n    fieldPaths: [{path}]\n    options: {{create: true}}\n").as_bytes(),
            ),
            ("src.yaml", cm("src", "y").as_bytes()),
        ],
    );
    let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
    out.assert_error_naming("kustomization.yaml");
    out.assert_stderr_has("100000 segments");
    out.assert_stderr_has("nesting limit");
    assert!(out.elapsed.as_secs() < 10);
}

/// Generator files of 200 MB (sparse: nothing is written) are refused
/// unread; a smaller one over a lowered value limit is refused too.
#[test]
fn huge_generator_files_are_refused() {
    let tmp = Tree::new();
    for (kust, file) in [
        (
            "configMapGenerator:\n- name: g\n  files: [big.txt]\n",
            "big.txt",
        ),
        (
            "configMapGenerator:\n- name: g\n  envs: [big.env]\n",
            "big.env",
        ),
        (
            "secretGenerator:\n- name: g\n  files: [big.txt]\n",
            "big.txt",
        ),
    ] {
        write(tmp.path(), &[("kustomization.yaml", kust.as_bytes())]);
        let f = std::fs::File::create(tmp.path().join(file)).unwrap();
        f.set_len(200 * 1024 * 1024).unwrap();
        let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
        assert_limit(&out, file, "KCOMPILE_MAX_FILE_BYTES");
        out.assert_stderr_has("too large");
    }
    write(
        tmp.path(),
        &[
            (
                "kustomization.yaml",
                b"secretGenerator:\n- name: g\n  files: [v.txt]\n",
            ),
            ("v.txt", &vec![b'z'; 2_000_000]),
        ],
    );
    let out = kcompile_env(
        &[tmp.path().to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_VALUE_BYTES", "1000000")],
    );
    assert_limit(&out, "limit for one value", "KCOMPILE_MAX_VALUE_BYTES");
    out.assert_stderr_has("key `v.txt`");
}

/// A 111 MB one-line document is refused by its size; one under the file
/// limit whose flow collection holds millions of items is read in bounded
/// memory (a simple key is given up after a line or 1024 characters, as in
/// go-yaml, so the reader never queues the whole collection).
#[test]
fn huge_one_line_documents_are_refused() {
    let tmp = Tree::new();
    write(
        tmp.path(),
        &[("kustomization.yaml", b"resources: [big.yaml]\n")],
    );
    let f = std::fs::File::create(tmp.path().join("big.yaml")).unwrap();
    f.set_len(111 * 1024 * 1024).unwrap();
    let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
    assert_limit(&out, "big.yaml", "KCOMPILE_MAX_FILE_BYTES");

    let doc = format!(
        "{{apiVersion: v1, kind: ConfigMap, metadata: {{name: x}}, spec: {{a: [{}1]}}}}\n",
        "1,".repeat(1_100_000)
    );
    write(tmp.path(), &[("big.yaml", doc.as_bytes())]);
    let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.matches("\n  - 1").count(), 1_100_001);
    out.assert_rss_below_mb(600);
}

/// Each level includes the one below twice (under two name prefixes):
/// 24 levels would be 2^24 objects and 2^25 kustomizations.
fn diamond(dir: &Path, levels: usize, objects: usize) {
    let objs: String = (0..objects)
        .map(|i| format!("---\n{}", cm(&format!("c{i}"), "v")))
        .collect();
    write(
        dir,
        &[
            ("l0/kustomization.yaml", b"resources: [cm.yaml]\n"),
            ("l0/cm.yaml", objs.as_bytes()),
        ],
    );
    for i in 1..=levels {
        write(
            dir,
            &[(
                &format!("l{i}/kustomization.yaml"),
                b"resources: [a, b]\n".as_slice(),
            )],
        );
        for s in ["a", "b"] {
            write(
                dir,
                &[(
                    &format!("l{i}/{s}/kustomization.yaml"),
                    format!("namePrefix: {s}-\nresources: [../../l{}]\n", i - 1).as_bytes(),
                )],
            );
        }
    }
}

#[test]
fn a_diamond_of_bases_is_bounded() {
    let tmp = Tree::new();
    diamond(tmp.path(), 24, 1);
    let top = tmp.path().join("l24");
    let out = kcompile_env(
        &[top.to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_KUSTOMIZATIONS", "1000")],
    );
    assert_limit(
        &out,
        "more than 1000 kustomizations",
        "KCOMPILE_MAX_KUSTOMIZATIONS",
    );
    // Many objects at the bottom: the object limit comes first.
    let tmp = Tree::new();
    diamond(tmp.path(), 24, 100);
    let out = kcompile_env(
        &[tmp.path().join("l24").to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_OBJECTS", "2000")],
    );
    assert_limit(&out, "more than 2000 objects", "KCOMPILE_MAX_OBJECTS");
}

/// The printed output is bounded as a whole.
#[test]
fn output_over_the_limit_is_refused_before_printing() {
    let tmp = Tree::new();
    let objs: String = (0..20)
        .map(|i| format!("---\n{}", cm(&format!("c{i}"), &"v".repeat(10_000))))
        .collect();
    write(
        tmp.path(),
        &[
            ("kustomization.yaml", b"resources: [cm.yaml]\n"),
            ("cm.yaml", objs.as_bytes()),
        ],
    );
    let out = kcompile_env(
        &[tmp.path().to_str().unwrap()],
        None,
        &[("KCOMPILE_MAX_OUTPUT_BYTES", "100000")],
    );
    assert_limit(&out, "output limit", "KCOMPILE_MAX_OUTPUT_BYTES");
    // Within the limit by default.
    let out = kcompile_env(&[tmp.path().to_str().unwrap()], None, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}
