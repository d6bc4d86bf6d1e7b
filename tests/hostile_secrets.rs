//! Secret values from every source stay out of every output: live objects
//! that exports wrote without `apiVersion` are Secrets all the same.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use util::kube::kcompile_with;
use util::write_tree;

const VALUE: &str = "Live-Only-Secret-Value-77";

#[test]
fn a_live_secret_without_api_version_is_masked() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(VALUE);
    let tmp = tempfile::tempdir().unwrap();
    let secret = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: app\n  labels:\n    kcompile.io/overlay: app\ndata:\n  k: dmFsdWU=\n"
        )
    };
    write_tree(
        tmp.path(),
        &[
            ("o/s.yaml", &secret("kept")),
            ("o/kustomization.yaml", "resources: [s.yaml]\n"),
            // As some exports write them: no apiVersion. One changed, one
            // no longer in the overlay (to be pruned).
            (
                "live.yaml",
                &format!(
                    "kind: Secret\nmetadata:\n  name: kept\n  namespace: app\n  labels:\n    kcompile.io/overlay: app\ndata:\n  k: {b64}\n---\nkind: Secret\nmetadata:\n  name: gone\n  namespace: app\n  labels:\n    kcompile.io/overlay: app\ndata:\n  k: {b64}\n  plain: {VALUE}\n"
                ),
            ),
        ],
    );
    let o = tmp.path().join("o");
    let live = tmp.path().join("live.yaml");
    for extra in [&[][..], &["--format", "json"][..]] {
        let mut args = vec![
            "diff",
            o.to_str().unwrap(),
            "--live-from",
            live.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let r = kcompile_with(&args, None);
        assert_eq!(r.code, 1, "{r}");
        assert!(
            r.stdout.contains("gone"),
            "the stale Secret is to be pruned: {r}"
        );
        for leak in [VALUE, b64.as_str()] {
            assert!(
                !r.stdout.contains(leak) && !r.stderr.contains(leak),
                "{leak} leaked: {r}"
            );
        }
    }
}

/// Replacement and generator errors about a Secret's value say what is
/// wrong without quoting the value.
#[test]
fn errors_about_a_secret_value_do_not_quote_it() {
    let tmp = tempfile::tempdir().unwrap();
    let secret =
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: {VALUE}\n");
    let replace = |opts: &str, to: &str| {
        format!(
            "resources: [s.yaml, c.yaml]\nreplacements:\n- source: {{kind: Secret, name: s, fieldPath: stringData.k{opts}}}\n  targets:\n  - select: {{kind: ConfigMap}}\n    fieldPaths: [{to}]\n"
        )
    };
    let cases = [
        // An index past the parts of the value.
        replace(", options: {delimiter: '-', index: 9}", "data.y"),
        // A string into a field typed int.
        replace("", "metadata.generation"),
    ];
    for kust in cases {
        write_tree(
            tmp.path(),
            &[
                ("kustomization.yaml", &kust),
                ("s.yaml", &secret),
                ("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  generation: 3\ndata:\n  y: y\n"),
            ],
        );
        let r = kcompile_with(&[tmp.path().to_str().unwrap()], None);
        assert_eq!(r.code, 2, "{r}");
        assert!(r.stdout.is_empty(), "{r}");
        for leak in [VALUE, "Live-Only", "Secret-Value"] {
            assert!(!r.stderr.contains(leak), "{leak} leaked: {r}");
        }
    }
}

/// An env-file line without `=`: kustomize takes the value from the
/// environment of the process, which would copy the build machine's
/// credentials into the output. kcompile refuses the line, with the line
/// number, quoting nothing of a Secret's file.
#[test]
fn an_env_line_without_equals_is_refused_not_read_from_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let env_value = "Build-Machine-Credential-31";
    for (gen, quoted) in [("secretGenerator", false), ("configMapGenerator", true)] {
        write_tree(
            tmp.path(),
            &[
                (
                    "kustomization.yaml",
                    &format!("{gen}:\n- name: g\n  envs: [e.env]\n"),
                ),
                ("e.env", "A=1\nCI_TOKEN_FOR_TEST\n"),
            ],
        );
        let r = util::cmd()
            .arg(tmp.path())
            .env("CI_TOKEN_FOR_TEST", env_value)
            .run();
        let (stdout, stderr) = (&r.stdout, &r.stderr);
        assert_eq!(r.code, 2, "{gen}: {stderr}");
        assert!(stdout.is_empty(), "{gen}: {stdout}");
        assert!(stderr.contains("e.env"), "{gen}: {stderr}");
        assert!(stderr.contains("line 2"), "{gen}: {stderr}");
        assert!(stderr.contains("environment"), "{gen}: {stderr}");
        assert_eq!(
            stderr.contains("CI_TOKEN_FOR_TEST"),
            quoted,
            "{gen}: {stderr}"
        );
        assert!(!stderr.contains(env_value), "{gen}: {stderr}");
    }
}

/// Validation findings about a Secret whose `apiVersion` is missing or
/// `core/v1` never quote its values (the same test as masking uses).
#[test]
fn validation_masks_secrets_without_a_plain_api_version() {
    let tmp = tempfile::tempdir().unwrap();
    for av in ["", "apiVersion: core/v1\n"] {
        write_tree(
            tmp.path(),
            &[
                ("kustomization.yaml", "resources: [s.yaml]\n"),
                (
                    "s.yaml",
                    &format!(
                        "{av}kind: Secret\nmetadata:\n  name: s\ndata:\n  k: {VALUE}!\n  n: [{VALUE}]\n"
                    ),
                ),
            ],
        );
        let r = kcompile_with(&["validate", tmp.path().to_str().unwrap()], None);
        assert!(!r.stderr.contains(VALUE), "{r}");
        assert!(!r.stdout.contains(VALUE), "{r}");
    }
}
