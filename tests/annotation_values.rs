//! Annotation values as kustomize prints them: the string of each value's
//! YAML node (`port: 8080` comes out as "8080", `1.50` as "1.50", `~` as
//! "~"), on every path that writes annotations; labels stay as written.
//! Expected texts are kubectl's (v5.5), and each tree is also compared with
//! kubectl when it is installed.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use util::oracle::{kcompile, kubectl};
use util::{cmd, Tree};

/// kcompile's output (which must succeed), equal to kubectl's when present.
fn build(files: &[(&str, &str)]) -> String {
    let d = Tree::with(files);
    let out = kcompile(d.path());
    let stdout = out.stdout.clone();
    out.assert_ok();
    if let Some(k) = kubectl(d.path()) {
        k.assert_ok();
        assert_eq!(stdout, k.stdout);
    }
    stdout
}

/// Exit 2, empty stdout, every fragment on stderr; kubectl fails too unless
/// `kubectl_fails` is false (kustomize silently loses data there).
fn fails(files: &[(&str, &str)], fragments: &[&str], kubectl_fails: bool) {
    let d = Tree::with(files);
    let out = kcompile(d.path());
    out.assert_error(fragments);
    if kubectl_fails {
        if let Some(k) = kubectl(d.path()) {
            assert!(!k.success(), "{}", k.stdout);
        }
    }
}

const K: &str = "resources: [r.yaml]\n";

#[test]
fn resource_annotations_print_as_written() {
    let r = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: a
  annotations:
    port: 8080
    happy: true
    f: 1.50
    n: null
    e:
    q: "123"
    o: 0x1F
    t: 2020-01-01
    big: 12345678901234567890
    exp: 1e3
    tilde: ~
    tagint: !!int "5"
    anch: &x 42
    alias: *x
    plus: +12
    under: 1_000
    ts: 2001-12-14t21:59:43.10-05:00
    yes: yes
    b64: !!binary aGVsbG8=
    custom: !foo 9
    folded: >
      a
      b
  labels:
    port: 8080
    f: 1.50
spec:
  template:
    metadata:
      annotations:
        port: 8080
        f: 1.50
    spec:
      containers: []
"#;
    let out = build(&[("kustomization.yaml", K), ("r.yaml", r)]);
    assert_eq!(
        out,
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    alias: "42"
    anch: "42"
    b64: aGVsbG8=
    big: "12345678901234567890"
    custom: "9"
    e: ""
    exp: "1e3"
    f: "1.50"
    folded: |
      a b
    happy: "true"
    "n": "null"
    o: "0x1F"
    plus: "+12"
    port: "8080"
    q: "123"
    t: "2020-01-01"
    tagint: "5"
    tilde: "~"
    ts: "2001-12-14t21:59:43.10-05:00"
    under: "1_000"
    "yes": "yes"
  labels:
    f: 1.5
    port: 8080
  name: a
spec:
  template:
    metadata:
      annotations:
        f: 1.5
        port: 8080
    spec:
      containers: []
"#
    );
}

#[test]
fn list_items_keep_their_texts_only_when_kyaml_unwraps_them() {
    let list = |kind: &str, tail: &str| {
        format!(
            "apiVersion: v1\nkind: {kind}\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: i\n    annotations: {{f: 1.50, n: ~, b: !!binary aGVsbG8=}}\n{tail}"
        )
    };
    let as_written = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    b: aGVsbG8=\n    f: \"1.50\"\n    \"n\": \"~\"\n  name: i\n";
    let through_json = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    b: hello\n    f: \"1.5\"\n    \"n\": \"null\"\n  name: i\n";
    for (r, want) in [
        (list("List", ""), as_written),
        // A second piece, or a kind kyaml does not unwrap: through JSON.
        (list("List", "---\n"), through_json),
        (list("ConfigMapList", ""), through_json),
    ] {
        assert_eq!(build(&[("kustomization.yaml", K), ("r.yaml", &r)]), want);
    }
}

const TWO: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    p: 8080
    f: 1.50
    h: 0x1F
    n: ~
data:
  hex: 0x1F
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  annotations:
    keep: x
";

#[test]
fn patches_and_replacements_write_annotations_as_kustomize_does() {
    // A JSON patch sends the object through JSON: its annotations print as
    // the JSON they decode to. Replacements copy the value; JSON adds on an
    // object whose annotations are absent work (kustomize's internal
    // annotations exist then). A strategic merge patch writes its own
    // texts; a JSON patch in YAML reads `yes` and `on` as booleans.
    let k = r#"resources: [r.yaml]
patches:
- target: {name: a}
  patch: |
    - op: add
      path: /data/x
      value: {a: yes, b: 2020-01-01, c: on}
- patch: |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: b
      annotations:
        s: 2.50
        keep: ~
- target: {name: b}
  patch: '[{"op": "add", "path": "/metadata/annotations/j", "value": 5}]'
replacements:
- source: {kind: ConfigMap, name: a, fieldPath: data.hex}
  targets:
  - select: {name: b}
    fieldPaths: [metadata.annotations.hex]
    options: {create: true}
"#;
    let out = build(&[("kustomization.yaml", k), ("r.yaml", TWO)]);
    assert_eq!(
        out,
        r#"apiVersion: v1
data:
  hex: 31
  x:
    a: true
    b: "2020-01-01"
    c: true
kind: ConfigMap
metadata:
  annotations:
    f: "1.5"
    h: "31"
    "n": "null"
    p: "8080"
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  annotations:
    hex: "31"
    j: "5"
    s: "2.5"
  name: b
"#
    );
    // Without the JSON patch on b, the strategic merge patch's text stays.
    let k2 = k.replace("- target: {name: b}\n  patch: '[{\"op\": \"add\", \"path\": \"/metadata/annotations/j\", \"value\": 5}]'\n", "");
    let out = build(&[("kustomization.yaml", &k2), ("r.yaml", TWO)]);
    assert!(out.contains("    s: \"2.50\"\n"), "{out}");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    let out = build(&[
        (
            "kustomization.yaml",
            "resources: [r.yaml]\npatches:\n- target: {name: a}\n  patch: '[{\"op\": \"add\", \"path\": \"/metadata/annotations/z\", \"value\": true}]'\n",
        ),
        ("r.yaml", cm),
    ]);
    assert!(out.contains("annotations:\n    z: \"true\"\n"), "{out}");
}

#[test]
fn annotation_selectors_and_generator_merges_read_the_texts() {
    let k = r#"resources: [r.yaml]
configMapGenerator:
- name: a
  behavior: merge
  literals: [q=1]
patches:
- target: {annotationSelector: f=1.50}
  patch: '[{"op": "add", "path": "/data/selected", "value": "yes"}]'
"#;
    let out = build(&[("kustomization.yaml", k), ("r.yaml", TWO)]);
    assert!(out.contains("selected: \"yes\""), "{out}");
    // The merge turned the annotations into strings before the JSON patch.
    assert!(
        out.contains("f: \"1.50\"") && out.contains("h: \"0x1F\""),
        "{out}"
    );
    // Labels, annotations and data merge as the strings kustomize reads
    // (data's null as ""), and a label selector reads labels as written.
    let r = "apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels:
    v: 1.50
    l: ~
  annotations:
    a: ~
data:
  hex: 0x1F
  n: ~
  b: true
  m: [1]
";
    let k = r#"resources: [r.yaml]
configMapGenerator:
- name: a
  behavior: merge
  literals: [q=1]
patches:
- target: {labelSelector: v=1.50}
  patch: '[{"op": "add", "path": "/data/sel", "value": "yes"}]'
"#;
    assert_eq!(
        build(&[("kustomization.yaml", k), ("r.yaml", r)]),
        r#"apiVersion: v1
data:
  b: "true"
  hex: "0x1F"
  m: ""
  "n": ""
  q: "1"
  sel: "yes"
kind: ConfigMap
metadata:
  annotations:
    a: "~"
  labels:
    l: "~"
    v: "1.50"
  name: a
"#
    );
}

#[test]
fn empty_annotations_go_away() {
    let r = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {}\n  labels: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n";
    assert_eq!(
        build(&[("kustomization.yaml", K), ("r.yaml", r)]),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
    );
}

#[test]
fn values_kustomize_would_silently_lose_are_errors() {
    // kustomize prints "" for a list or map value and drops annotations
    // that are not a mapping; kcompile refuses both.
    for (ann, frag) in [
        ("annotations:\n    s: [1, 2]\n", "annotation `s` has a list"),
        ("annotations:\n    m: {a: 1}\n", "annotation `m` has a map"),
        ("annotations: foo\n", "`metadata.annotations` is a string"),
    ] {
        let r = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  {ann}");
        fails(
            &[("kustomization.yaml", K), ("r.yaml", &r)],
            &["ConfigMap/a", "r.yaml:1", frag],
            false,
        );
    }
}

#[test]
fn kustomization_string_maps_refuse_other_types() {
    let r = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    for (field, frag) in [
        (
            "commonAnnotations: {port: 8080}",
            "`commonAnnotations.port` must be a string, not a number",
        ),
        (
            "commonAnnotations: {on: yes}",
            "mapping key is not a string",
        ),
        (
            "commonAnnotations: {x: yes}",
            "`commonAnnotations.x` must be a string, not a boolean",
        ),
        (
            "commonAnnotations: {x: [1]}",
            "`commonAnnotations.x` must be a string, not a list",
        ),
        (
            "commonLabels: {x: 1.50}",
            "`commonLabels.x` must be a string, not a number",
        ),
        (
            "labels: [{pairs: {x: 5}}]",
            "`labels[0].pairs.x` must be a string",
        ),
        (
            "namePrefix: yes",
            "`namePrefix` must be a string, not a boolean",
        ),
    ] {
        fails(
            &[
                (
                    "kustomization.yaml",
                    &format!("resources: [r.yaml]\n{field}\n"),
                ),
                ("r.yaml", r),
            ],
            &["kustomization.yaml", frag],
            true,
        );
    }
    // Null reads as ""; a date stays as written; `yes` is a boolean where
    // the field is one (go-yaml v2, as kustomize reads kustomizations).
    let out = build(&[
        (
            "kustomization.yaml",
            "resources: [r.yaml]\ncommonAnnotations: {x: ~, d: 2020-01-01}\nnamespace: 2021-02-03\nlabels: [{pairs: {a: b}, includeSelectors: yes}]\n",
        ),
        ("r.yaml", r),
    ]);
    assert!(
        out.contains("    d: \"2020-01-01\"\n    x: \"\"\n")
            && out.contains("namespace: \"2021-02-03\""),
        "{out}"
    );
}

#[test]
fn local_config_is_dropped_unless_false() {
    for (value, kept) in [
        ("false", true),
        ("'false'", true),
        ("true", false),
        ("True", false),
        ("\"x\"", false),
        ("~", false),
    ] {
        let r = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lc\n  annotations:\n    config.kubernetes.io/local-config: {value}\n"
        );
        let out = build(&[("kustomization.yaml", K), ("r.yaml", &r)]);
        assert_eq!(out.contains("name: lc"), kept, "{value}: {out}");
    }
}

#[test]
fn labels_stay_as_written_and_validation_catches_them() {
    let r = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    port: 8080\n";
    let out = build(&[("kustomization.yaml", K), ("r.yaml", r)]);
    assert!(out.contains("    port: 8080\n"), "{out}");
    let d = Tree::with(&[("kustomization.yaml", K), ("r.yaml", r)]);
    let v = cmd().arg("validate").arg(d.path()).run();
    let stderr = v.stderr.as_str();
    assert_eq!(v.code, 2, "{stderr}");
    assert!(stderr.contains("metadata.labels.port"), "{stderr}");
}
