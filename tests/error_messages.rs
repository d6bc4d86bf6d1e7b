//! The whole message of each kind of user error, as snapshots: exit code
//! and stderr exactly as printed (the temporary folder shows as `[TREE]`),
//! with nothing on stdout. Other tests check messages by fragments; these
//! show every word, so a change to a message is seen in review.
//!
//! Each test is one error: a small tree, the args, and the snapshot in
//! `tests/snapshots/error_messages__<test name>.snap`. After changing a
//! message on purpose, update the snapshots and read the diffs:
//!
//!     INSTA_UPDATE=always cargo test --release --test error_messages
//!     git diff tests/snapshots/
//!
//! (or `cargo insta test --review` where cargo-insta is installed).

#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use util::{Tree, DEPLOY};

const CM: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
";

/// `kcompile ARGS` in a tree holding `files` fails: nothing on stdout, no
/// panic, and the exit code and stderr match the snapshot `name` (the
/// test's name).
#[track_caller]
fn assert_error_snapshot(name: &str, files: &[(&str, &str)], args: &[&str]) {
    let t = Tree::with(files);
    assert_tree_error_snapshot(name, &t, args);
}

#[track_caller]
fn assert_tree_error_snapshot(name: &str, t: &Tree, args: &[&str]) {
    let out = t.kcompile(args);
    assert_ne!(out.code, 0, "kcompile {args:?} succeeded:\n{}", out.stdout);
    assert_eq!(out.stdout, "", "nothing may be printed on stdout on error");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let mut settings = insta::Settings::clone_current();
    settings.set_description(format!("kcompile {}", args.join(" ")));
    settings.set_omit_expression(true);
    // The tree's folder, however it is spelt (a symlinked temp folder).
    let mut roots = vec![t.path().to_path_buf()];
    if let Ok(real) = t.path().canonicalize() {
        roots.push(real);
    }
    for root in roots {
        settings.add_filter(&regex::escape(&root.display().to_string()), "[TREE]");
    }
    settings.bind(|| {
        insta::assert_snapshot!(name, format!("exit code: {}\n{}", out.code, out.stderr));
    });
}

#[test]
fn unknown_kustomization_field() {
    assert_error_snapshot(
        "unknown_kustomization_field",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\nreplica:\n- name: web\n  count: 2\n",
            ),
            ("k/d.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn misspelt_nested_field() {
    assert_error_snapshot(
        "misspelt_nested_field",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\nimages:\n- name: nginx\n  newTg: \"2.0\"\n",
            ),
            ("k/d.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn resource_file_does_not_exist() {
    assert_error_snapshot(
        "resource_file_does_not_exist",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\n- nope.yaml\n",
            ),
            ("k/d.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn invalid_yaml_in_a_resource() {
    assert_error_snapshot(
        "invalid_yaml_in_a_resource",
        &[
            ("k/kustomization.yaml", "resources:\n- bad.yaml\n"),
            (
                "k/bad.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n  b: 3\n",
            ),
        ],
        &["k"],
    );
}

#[test]
fn invalid_yaml_in_the_kustomization() {
    assert_error_snapshot(
        "invalid_yaml_in_the_kustomization",
        &[(
            "k/kustomization.yaml",
            "resources:\n- d.yaml\n  namePrefix: x-\n",
        )],
        &["k"],
    );
}

#[test]
fn patch_target_matches_nothing() {
    assert_error_snapshot(
        "patch_target_matches_nothing",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
            ),
            ("k/d.yaml", DEPLOY),
            (
                "k/p.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  replicas: 2\n",
            ),
        ],
        &["k"],
    );
}

#[test]
fn json_patch_operation_fails() {
    assert_error_snapshot(
        "json_patch_operation_fails",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\npatches:\n- target:\n    kind: Deployment\n    name: web\n  patch: |-\n    - op: replace\n      path: /spec/strategy/type\n      value: Recreate\n",
            ),
            ("k/d.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn duplicate_resource_id() {
    assert_error_snapshot(
        "duplicate_resource_id",
        &[
            ("k/kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n"),
            ("k/a.yaml", DEPLOY),
            ("k/b.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn cycle_of_kustomizations() {
    assert_error_snapshot(
        "cycle_of_kustomizations",
        &[
            ("a/kustomization.yaml", "resources:\n- ../b\n"),
            ("b/kustomization.yaml", "resources:\n- ../a\n"),
        ],
        &["a"],
    );
}

#[test]
fn file_outside_the_kustomization_root() {
    assert_error_snapshot(
        "file_outside_the_kustomization_root",
        &[
            ("secret.yaml", CM),
            ("k/kustomization.yaml", "resources:\n- ../secret.yaml\n"),
        ],
        &["k"],
    );
}

#[test]
fn config_map_generator_literal_without_value() {
    assert_error_snapshot(
        "config_map_generator_literal_without_value",
        &[(
            "k/kustomization.yaml",
            "configMapGenerator:\n- name: settings\n  literals:\n  - mode=fast\n  - verbose\n",
        )],
        &["k"],
    );
}

#[test]
fn config_map_generator_missing_file() {
    assert_error_snapshot(
        "config_map_generator_missing_file",
        &[(
            "k/kustomization.yaml",
            "configMapGenerator:\n- name: settings\n  files:\n  - app.properties\n",
        )],
        &["k"],
    );
}

#[test]
fn forbidden_control_byte_in_a_resource() {
    assert_error_snapshot(
        "forbidden_control_byte_in_a_resource",
        &[
            ("k/kustomization.yaml", "resources:\n- cm.yaml\n"),
            (
                "k/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\u{1}c\n",
            ),
        ],
        &["k"],
    );
}

#[test]
fn overlay_folder_does_not_exist() {
    assert_error_snapshot(
        "overlay_folder_does_not_exist",
        &[("k/kustomization.yaml", "resources: []\n")],
        &["overlays/nope"],
    );
}

#[test]
fn folder_without_a_kustomization() {
    let t = Tree::new();
    t.mkdir("empty");
    assert_tree_error_snapshot("folder_without_a_kustomization", &t, &["empty"]);
}

#[test]
fn strategic_merge_patch_without_kind() {
    assert_error_snapshot(
        "strategic_merge_patch_without_kind",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\npatches:\n- path: p.yaml\n",
            ),
            ("k/d.yaml", DEPLOY),
            (
                "k/p.yaml",
                "apiVersion: apps/v1\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
            ),
        ],
        &["k"],
    );
}

#[test]
fn replacement_source_matches_nothing() {
    assert_error_snapshot(
        "replacement_source_matches_nothing",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: missing\n    fieldPath: data.mode\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.image\n",
            ),
            ("k/d.yaml", DEPLOY),
            ("k/cm.yaml", CM),
        ],
        &["k"],
    );
}

#[test]
fn replacement_source_field_missing() {
    assert_error_snapshot(
        "replacement_source_field_missing",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: settings\n    fieldPath: data.nope\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.0.image\n",
            ),
            ("k/d.yaml", DEPLOY),
            ("k/cm.yaml", CM),
        ],
        &["k"],
    );
}

#[test]
fn resource_without_a_name() {
    assert_error_snapshot(
        "resource_without_a_name",
        &[
            ("k/kustomization.yaml", "resources:\n- cm.yaml\n"),
            (
                "k/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
            ),
        ],
        &["k"],
    );
}

#[test]
fn wrong_type_in_the_kustomization() {
    assert_error_snapshot(
        "wrong_type_in_the_kustomization",
        &[
            (
                "k/kustomization.yaml",
                "resources:\n- d.yaml\ncommonLabels:\n  tier: 1\n",
            ),
            ("k/d.yaml", DEPLOY),
        ],
        &["k"],
    );
}

#[test]
fn schema_validation_failure() {
    assert_error_snapshot(
        "schema_validation_failure",
        &[
            ("k/kustomization.yaml", "resources:\n- d.yaml\n"),
            ("k/d.yaml", &DEPLOY.replace("replicas: 1", "replicas: many")),
        ],
        &["validate", "k"],
    );
}

#[test]
fn unknown_field_in_kcompile_yaml() {
    assert_error_snapshot(
        "unknown_field_in_kcompile_yaml",
        &[
            (
                "kcompile.yaml",
                "clusters:\n- name: a\n  overlay: k\n  contxt: prod\n",
            ),
            ("k/kustomization.yaml", "resources:\n- d.yaml\n"),
            ("k/d.yaml", DEPLOY),
        ],
        &["build"],
    );
}

#[test]
fn unknown_command_line_flag() {
    assert_error_snapshot(
        "unknown_command_line_flag",
        &[("k/kustomization.yaml", "resources: []\n")],
        &["k", "--outptu", "x"],
    );
}

#[test]
fn helm_chart_without_enable_helm() {
    assert_error_snapshot(
        "helm_chart_without_enable_helm",
        &[(
            "k/kustomization.yaml",
            "helmCharts:\n- name: spark\n  version: 1.2.3\n  releaseName: spark\n",
        )],
        &["k"],
    );
}

#[test]
fn helm_chart_pull_without_version() {
    assert_error_snapshot(
        "helm_chart_pull_without_version",
        &[(
            "k/kustomization.yaml",
            "helmCharts:\n- name: spark\n  repo: https://charts.example.com\n  releaseName: spark\n",
        )],
        &["k", "--enable-helm", "--helm-command", "/bin/echo"],
    );
}
