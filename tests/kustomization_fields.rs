//! Field names inside kustomization entries, as kustomize v5.5 reads them:
//! misspelt fields are errors naming the file, line, entry and the field
//! meant; case variants are accepted; files kustomize reads leniently
//! (replacement files, builtin plugin configs) ignore unknown fields. Where
//! `kubectl kustomize` is installed, every tree is also run through it and
//! the outcome must agree (same bytes, or both failing for the same field).
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use util::oracle::{kcompile, kubectl};
use util::Tree;

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-worker
  labels:
    app: w
spec:
  replicas: 1
  selector:
    matchLabels:
      app: w
  template:
    metadata:
      labels:
        app: w
    spec:
      containers:
      - name: worker
        image: spark:3.5.4
";

const CM: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  a: b
";

const BINDING: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: r
subjects:
- kind: ServiceAccount
  name: default
- kind: ServiceAccount
  name: spark
- kind: User
  name: default
";

/// A tree with the two resources and `files` (the kustomization first).
fn tree(files: &[(&str, &str)]) -> Tree {
    let t = Tree::with(&[
        ("deploy.yaml", DEPLOY),
        ("cm.yaml", CM),
        ("binding.yaml", BINDING),
    ]);
    t.files(files);
    t
}

/// kcompile fails with exit 2, nothing on stdout, and every fragment on
/// stderr; kubectl (when present) fails on the same unknown field.
fn assert_unknown_field(files: &[(&str, &str)], field: &str, fragments: &[&str]) {
    let t = tree(files);
    let out = kcompile(t.path());
    let err = &out.stderr;
    assert_eq!(out.code, 2, "{err}");
    assert!(out.stdout.is_empty(), "stdout must be empty on error");
    assert!(err.contains(&format!("unknown field `{field}`")), "{err}");
    for f in fragments {
        assert!(err.contains(f), "stderr lacks {f:?}:\n{err}");
    }
    if let Some(k) = kubectl(t.path()) {
        let kerr = &k.stderr;
        assert!(!k.success(), "kubectl accepted it");
        assert!(
            kerr.contains(&format!("unknown field \\\"{field}\\\""))
                || kerr.contains(&format!("unknown field \"{field}\"")),
            "kubectl fails otherwise: {kerr}"
        );
    }
}

/// kcompile succeeds and prints what kubectl (when present) prints; returns
/// kcompile's stdout and stderr.
fn assert_same_as_kubectl(files: &[(&str, &str)]) -> (String, String) {
    let t = tree(files);
    let out = kcompile(t.path());
    let (stdout, stderr) = (out.stdout.clone(), out.stderr.clone());
    assert!(out.success(), "{stderr}");
    if let Some(k) = kubectl(t.path()) {
        assert!(k.success(), "kubectl fails: {}", k.stderr);
        assert_eq!(stdout, k.stdout, "differs from kubectl kustomize");
    }
    (stdout, stderr)
}

#[test]
fn misspelt_fields_in_every_entry_family_are_errors() {
    let k = "kustomization.yaml";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "resources: [deploy.yaml]\nreplicas:\n- name: spark-worker\n  cuont: 3\n",
            "cuont",
            &["kustomization.yaml:4:3:", "in replicas[0]", "did you mean `count`?"],
        ),
        (
            "resources: [deploy.yaml]\nimages:\n- name: nginx\n- name: spark\n  newTg: \"3.5.5\"\n",
            "newTg",
            &["kustomization.yaml:5:3:", "in images[1]", "did you mean `newTag`?"],
        ),
        (
            "resources: [deploy.yaml]\nimageTags:\n- name: spark\n  digets: sha256:x\n",
            "digets",
            &["in imageTags[0]", "did you mean `digest`?"],
        ),
        (
            "resources: [deploy.yaml]\npatches:\n- patch: '[{\"op\": \"add\", \"path\": \"/metadata/labels/z\", \"value\": \"1\"}]'\n  target:\n    knd: Deployment\n",
            "knd",
            &["kustomization.yaml:5:5:", "in patches[0].target", "did you mean `kind`?"],
        ),
        (
            "resources: [deploy.yaml]\npatches:\n- pth: p.yaml\n",
            "pth",
            &["in patches[0]", "did you mean `path`?"],
        ),
        (
            "resources: [deploy.yaml]\npatchesJson6902:\n- path: p.yaml\n  target: {kind: Deployment, nme: x}\n",
            "nme",
            &["in patchesJson6902[0].target", "did you mean `name`?"],
        ),
        (
            "resources: [deploy.yaml]\nlabels:\n- pair:\n    team: spark\n",
            "pair",
            &["in labels[0]", "did you mean `pairs`?"],
        ),
        (
            "resources: [deploy.yaml]\nlabels:\n- pairs: {team: spark}\n  includeSelector: true\n",
            "includeSelector",
            &["kustomization.yaml:4:3:", "in labels[0]", "did you mean `includeSelectors`?"],
        ),
        (
            "resources: [deploy.yaml]\nlabels:\n- pairs: {team: spark}\n  fields:\n  - path: metadata/labels\n    crate: true\n",
            "crate",
            &["in labels[0].fields[0]", "did you mean `create`?"],
        ),
        (
            "configMapGenerator:\n- name: g\n  literal: [a=b]\n",
            "literal",
            &["in configMapGenerator[0]", "did you mean `literals`?"],
        ),
        (
            "configMapGenerator:\n- name: g\n  literals: [a=b]\n  type: Opaque\n",
            "type",
            &["in configMapGenerator[0]"],
        ),
        (
            "secretGenerator:\n- name: s\n  literals: [a=b]\n  options:\n    disableNameSufixHash: true\n",
            "disableNameSufixHash",
            &["in secretGenerator[0].options", "did you mean `disableNameSuffixHash`?"],
        ),
        (
            "resources: [cm.yaml]\ngeneratorOptions:\n  lables: {a: b}\n",
            "lables",
            &["in generatorOptions", "did you mean `labels`?"],
        ),
        (
            "resources: [deploy.yaml, cm.yaml]\nreplacements:\n- source: {kind: Deployment, feildPath: metadata.name}\n  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.a]}]\n",
            "feildPath",
            &["in replacements[0].source", "did you mean `fieldPath`?"],
        ),
        (
            "resources: [deploy.yaml, cm.yaml]\nreplacements:\n- source: {kind: Deployment}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.a]\n    options: {delimeter: '-'}\n",
            "delimeter",
            &["in replacements[0].targets[0].options", "did you mean `delimiter`?"],
        ),
        (
            "resources: [deploy.yaml, cm.yaml]\nreplacements:\n- source: {kind: Deployment}\n  targets:\n  - selct: {kind: ConfigMap}\n",
            "selct",
            &["in replacements[0].targets[0]", "did you mean `select`?"],
        ),
        (
            "resources: [deploy.yaml]\nvars:\n- name: W\n  objref: {kind: Deployment, name: spark-worker, apiversion: apps/v1, grp: x}\n",
            "grp",
            &["in vars[0].objref", "did you mean `group`?"],
        ),
        (
            "resources: [deploy.yaml]\nvars:\n- name: W\n  objref: {kind: Deployment, name: spark-worker}\n  fieldref: {feldpath: metadata.name}\n",
            "feldpath",
            &["in vars[0].fieldref", "did you mean `fieldPath`?"],
        ),
        (
            "resources: [deploy.yaml]\nsortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirts: [Deployment]\n",
            "orderFirts",
            &["in sortOptions.legacySortOptions", "did you mean `orderFirst`?"],
        ),
        (
            "resources: [deploy.yaml]\nmetadata:\n  nmae: x\n",
            "nmae",
            &["in metadata", "did you mean `name`?"],
        ),
        (
            "resources: [deploy.yaml]\nhelmGlobals:\n  chartHom: charts\n",
            "chartHom",
            &["in helmGlobals", "did you mean `chartHome`?"],
        ),
        (
            "resources: [deploy.yaml]\nreplica:\n- name: spark-worker\n  count: 3\n",
            "replica",
            &["kustomization.yaml:2:1:", "in kustomization", "did you mean `replicas`?"],
        ),
    ];
    for (kust, field, fragments) in cases {
        assert_unknown_field(&[(k, kust)], field, fragments);
    }
}

#[test]
fn misspelt_fields_in_configuration_files_are_errors() {
    // kustomize reads `configurations:` files strictly, at every level.
    assert_unknown_field(
        &[
            ("kustomization.yaml", "resources: [deploy.yaml]\nconfigurations: [conf.yaml]\n"),
            ("conf.yaml", "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/volumes/configMap/name\n    knd: Deployment\n"),
        ],
        "knd",
        &["conf.yaml:5:5:", "in nameReference[0].fieldSpecs[0]", "did you mean `kind`?"],
    );
    assert_unknown_field(
        &[
            (
                "kustomization.yaml",
                "resources: [deploy.yaml]\nconfigurations: [conf.yaml]\n",
            ),
            ("conf.yaml", "namePrefixes:\n- path: metadata/name\n"),
        ],
        "namePrefixes",
        &[
            "conf.yaml:1:1:",
            "in transformer configuration",
            "did you mean `namePrefix`?",
        ],
    );
}

#[test]
fn case_variants_are_read_as_kustomize_reads_them() {
    let k = "kustomization.yaml";
    // Lower-, upper- and mixed-case field names at every level.
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "resources: [deploy.yaml]\nimages:\n- name: spark\n  newtag: 3.5.5-a\nreplicas:\n- NAME: spark-worker\n  Count: 3\n",
    )]);
    assert!(out.contains("image: spark:3.5.5-a"), "{out}");
    assert!(out.contains("replicas: 3"), "{out}");
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "RESOURCES: [deploy.yaml]\nImages:\n- NAME: spark\n  NEWTAG: upper\n  NewName: apache/spark\nLabels:\n- Pairs: {team: spark}\n  IncludeSelectors: true\n",
    )]);
    assert!(out.contains("image: apache/spark:upper"), "{out}");
    assert!(out.contains("team: spark"), "{out}");
    // A case variant beside the exact name: decoded in byte order, each
    // over what the earlier left (`newTag` < `newtag`: the lower case wins;
    // `Images` < `images`: the items merge).
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "resources: [deploy.yaml]\nimages:\n- name: spark\n  newtag: low\n  newTag: cap\n",
    )]);
    assert!(out.contains("image: spark:low"), "{out}");
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "resources: [deploy.yaml]\nImages:\n- name: spark\n  newName: other\n  newTag: b\nimages:\n- name: spark\n  newTag: a\n",
    )]);
    assert!(out.contains("image: other:a"), "{out}");
    // Go folds U+212A KELVIN SIGN to k and U+017F LONG S to s.
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "resources: [deploy.yaml]\nnamespace: spark-b\n\u{212A}ind: Kustomization\nimage\u{17F}: [{name: spark, newTag: long-s}]\n",
    )]);
    assert!(out.contains("image: spark:long-s"), "{out}");
    // Replacements, generators and their options, sort options.
    let (out, _) = assert_same_as_kubectl(&[(
        k,
        "resources: [deploy.yaml, cm.yaml]\nReplacements:\n- SOURCE: {Kind: Deployment, FieldPath: metadata.name}\n  Targets: [{Select: {KIND: ConfigMap, Name: conf}, fieldpaths: [data.a]}]\nconfigMapGenerator:\n- Name: gen\n  Literals: [x=y]\n  Options: {DisableNameSuffixHash: true}\nsortoptions: {Order: fifo}\n",
    )]);
    assert!(out.contains("a: spark-worker"), "{out}");
    assert!(out.contains("name: gen\n"), "{out}");
}

#[test]
fn types_are_checked_as_kustomize_checks_them() {
    let t = tree(&[(
        "kustomization.yaml",
        "resources: [deploy.yaml]\ncommonLabels:\n  tier: 1\n",
    )]);
    let out = kcompile(t.path());
    let err = &out.stderr;
    assert_eq!(out.code, 2, "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("kustomization.yaml:3:3:"), "{err}");
    assert!(
        err.contains("`commonLabels.tier` must be a string, not a number"),
        "{err}"
    );
    if let Some(k) = kubectl(t.path()) {
        assert!(!k.success(), "kubectl accepted a number label");
    }
    // A whole number written as a float is an int64 to Go; a null string
    // field is left alone.
    let (out, _) = assert_same_as_kubectl(&[(
        "kustomization.yaml",
        "resources: [deploy.yaml]\nnamespace: ~\nreplicas:\n- name: spark-worker\n  count: 4.0\nimages:\n- name: spark\n  newTag: ~\n  newName: apache/spark\n",
    )]);
    assert!(out.contains("replicas: 4"), "{out}");
}

#[test]
fn lenient_files_ignore_unknown_fields_with_a_warning() {
    // A replacement file: unknown fields ignored (a misspelt `knd` selects
    // every object, as in kustomize), case folded, first document only.
    let (out, err) = assert_same_as_kubectl(&[
        (
            "kustomization.yaml",
            "resources: [deploy.yaml, cm.yaml]\nreplacements:\n- path: repl.yaml\n",
        ),
        (
            "repl.yaml",
            "Source: {KIND: Deployment, fieldPath: metadata.name, bogus: 1}\ntargets:\n- select: {kind: ConfigMap}\n  FieldPaths: [data.a]\n---\nsource: {kind: Deployment, fieldPath: kind}\ntargets:\n- select: {kind: ConfigMap}\n  fieldPaths: [data.b]\n",
        ),
    ]);
    assert!(out.contains("a: spark-worker"), "{out}");
    assert!(!out.contains("b: Deployment"), "{out}");
    assert!(
        err.contains("repl.yaml: unknown field `bogus` in Source ignored"),
        "{err}"
    );
    // A builtin plugin config: lenient and case-insensitive.
    let (out, err) = assert_same_as_kubectl(&[
        (
            "kustomization.yaml",
            "resources: [deploy.yaml]\ntransformers: [images.yaml]\n",
        ),
        (
            "images.yaml",
            "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: img\nImageTag:\n  name: spark\n  newtag: 2.50\n  newTg: ignored\nfieldSpecs:\n- path: spec/template/spec/containers/image\n",
        ),
    ]);
    assert!(out.contains("image: spark:2.5"), "{out}");
    assert!(
        err.contains("unknown field `ImageTag.newTg` in the ImageTagTransformer config ignored"),
        "{err}"
    );
    // The prefix and suffix plugins read their config with go-yaml v3:
    // exact names only.
    let (out, _) = assert_same_as_kubectl(&[
        (
            "kustomization.yaml",
            "resources: [deploy.yaml]\ntransformers: [prefix.yaml]\n",
        ),
        (
            "prefix.yaml",
            "apiVersion: builtin\nkind: PrefixTransformer\nmetadata:\n  name: p\nprefix: a-\nPrefix: b-\nfieldSpecs:\n- path: metadata/name\n",
        ),
    ]);
    assert!(out.contains("name: a-spark-worker"), "{out}");
    // Unknown buildMetadata options: ignored by kustomize, a warning here.
    let (_, err) = assert_same_as_kubectl(&[(
        "kustomization.yaml",
        "resources: [deploy.yaml]\nbuildMetadata: [originAnotations]\n",
    )]);
    assert!(err.contains("did you mean `originAnnotations`?"), "{err}");
}

#[test]
fn configuration_files_fold_case_and_read_the_first_document() {
    let (out, _) = assert_same_as_kubectl(&[
        (
            "kustomization.yaml",
            "resources: [deploy.yaml, cm.yaml]\nconfigurations: [conf.yaml]\nlabels:\n- pairs: {tier: x}\n  includeSelectors: true\n",
        ),
        (
            "conf.yaml",
            "CommonLabels:\n- Path: data/one\n  KIND: ConfigMap\n  Create: true\n---\ncommonLabels:\n- path: data/two\n  kind: ConfigMap\n  create: true\n",
        ),
    ]);
    assert!(out.contains("one:\n    tier: x"), "{out}");
    assert!(!out.contains("two:"), "{out}");
}

#[test]
fn namespace_transformer_role_binding_subjects() {
    for (mode, default_sa, spark_sa, user) in [
        ("", true, false, true),
        ("defaultOnly", true, false, true),
        ("allServiceAccounts", true, true, false),
        ("none", false, false, false),
    ] {
        let cfg = format!(
            "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: spark-b\nsetRoleBindingSubjects: \"{mode}\"\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n"
        );
        let (out, _) = assert_same_as_kubectl(&[
            (
                "kustomization.yaml",
                "resources: [binding.yaml]\ntransformers: [ns.yaml]\n",
            ),
            ("ns.yaml", &cfg),
        ]);
        let subjects = out.split("subjects:").nth(1).unwrap().to_string();
        let items: Vec<&str> = subjects.split("- ").skip(1).collect();
        let has_ns = |i: usize| items[i].contains("namespace: spark-b");
        assert_eq!(
            (has_ns(0), has_ns(1), has_ns(2)),
            (default_sa, spark_sa, user),
            "{mode}: {out}"
        );
    }
    let t = tree(&[
        (
            "kustomization.yaml",
            "resources: [binding.yaml]\ntransformers: [ns.yaml]\n",
        ),
        (
            "ns.yaml",
            "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: x\nsetRoleBindingSubjects: some\n",
        ),
    ]);
    let out = kcompile(t.path());
    assert_eq!(out.code, 2);
    assert!(out
        .stderr
        .contains("invalid value \"some\" for setRoleBindingSubjects"));
}
