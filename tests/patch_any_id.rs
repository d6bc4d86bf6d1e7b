//! A strategic merge patch without a target finds its object as kustomize's
//! `GetById` does: by the current id or any earlier one (before a prefix,
//! suffix or namespace), and more than one match is an error, also when one
//! of them matches exactly. That is the case of the same base reached twice,
//! directly and through an overlay that renames it.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use util::oracle::{kcompile, kubectl};
use util::Tree;

const PATCH: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  y: \"2\"\n";

/// base (ConfigMap a), overlay `o` (the base with a prefix), and `top`
/// with the given kustomization.
fn layout(top: &str) -> Tree {
    let t = Tree::new();
    t.file("base/kustomization.yaml", "resources: [cm.yaml]\n")
        .file(
            "base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"1\"\n",
        )
        .file(
            "o/kustomization.yaml",
            "resources: [../base]\nnamePrefix: x-\n",
        )
        .file("top/kustomization.yaml", top)
        .file("top/p.yaml", PATCH);
    t
}

fn inline(patch: &str) -> String {
    let body: String = patch.lines().map(|l| format!("    {l}\n")).collect();
    format!("- patch: |\n{body}")
}

#[test]
fn a_base_reached_twice_makes_a_target_less_patch_ambiguous() {
    for top in [
        format!("resources: [../base, ../o]\npatches:\n{}", inline(PATCH)),
        "resources: [../o, ../base]\npatches:\n- path: p.yaml\n".to_string(),
        "resources: [../base, ../o]\npatchesStrategicMerge: [p.yaml]\n".to_string(),
    ] {
        let d = layout(&top);
        let dir = d.path().join("top");
        let out = kcompile(&dir);
        let stderr = out.stderr.as_str();
        assert_eq!(out.code, 2, "{top}\n{stderr}");
        assert!(out.stdout.is_empty());
        for f in [
            "multiple matches for ConfigMap/a",
            "failed to find unique target for patch",
            "ConfigMap/x-a, formerly ConfigMap/a",
            "base/cm.yaml:1",
        ] {
            assert!(stderr.contains(f), "stderr lacks {f:?}:\n{stderr}");
        }
        if let Some(k) = kubectl(&dir) {
            let theirs = k.stderr.as_str();
            assert!(!k.success(), "{top}");
            assert!(theirs.contains("multiple matches for Id"), "{theirs}");
        }
    }
}

#[test]
fn one_match_by_any_id_still_patches() {
    for (top, patched) in [
        // Only the renamed copy: found by its earlier name.
        (
            format!("resources: [../o]\npatches:\n{}", inline(PATCH)),
            "x-a",
        ),
        // Both copies, the patch names the renamed one by its current name.
        (
            format!(
                "resources: [../base, ../o]\npatches:\n{}",
                inline(&PATCH.replace("name: a", "name: x-a"))
            ),
            "x-a",
        ),
    ] {
        let d = layout(&top);
        let dir = d.path().join("top");
        let out = kcompile(&dir);
        let stdout = out.stdout.as_str();
        out.assert_ok();
        let patched_doc = stdout
            .split("---\n")
            .find(|doc| doc.contains(&format!("name: {patched}\n")))
            .unwrap();
        assert!(patched_doc.contains("\"y\": \"2\""), "{stdout}");
        assert_eq!(stdout.matches("\"y\": \"2\"").count(), 1, "{stdout}");
        if let Some(k) = kubectl(&dir) {
            k.assert_ok();
            assert_eq!(stdout, k.stdout);
        }
    }
}
