//! Reports of several comparisons at once (every cluster of
//! `kcompile.yaml`, or a pull request's effect on each): one section per
//! cluster, as text, JSON (one object per cluster, each shaped as the
//! single-overlay report) or Markdown made to be posted as a pull-request
//! comment.

use super::render::{self, Sides};
use super::{Action, Mode, ObjectDiff, Summary};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// What one cluster's comparison found.
pub struct Compared {
    pub diffs: Vec<ObjectDiff>,
    pub mode: Mode,
    pub sides: Sides,
    pub warnings: Vec<String>,
}

/// One cluster (or overlay) of a report.
pub struct Section {
    /// The cluster's name (or the overlay's path).
    pub name: String,
    /// The overlay, as written in `kcompile.yaml`.
    pub overlay: String,
    /// The comparison, or why there is none (already free of secret values).
    pub outcome: Result<Compared, String>,
}

impl Section {
    pub fn summary(&self) -> Option<Summary> {
        self.outcome.as_ref().ok().map(|c| Summary::of(&c.diffs))
    }
}

/// Counts over every section that compared.
pub fn total(sections: &[Section]) -> Summary {
    let mut t = Summary::default();
    for s in sections.iter().filter_map(Section::summary) {
        t.unchanged += s.unchanged;
        t.changed += s.changed;
        t.create += s.create;
        t.prune += s.prune;
    }
    t
}

/// Unified diffs, one section per cluster headed by its name.
pub fn text(sections: &[Section], color: bool) -> String {
    let mut out = String::new();
    for s in sections {
        let _ = writeln!(out, "### cluster {} ({})", s.name, s.overlay);
        match &s.outcome {
            Ok(c) => out.push_str(&render::text(&c.diffs, &c.sides, color)),
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
            }
        }
    }
    out
}

/// One JSON object per cluster, keyed by its name, each shaped as the
/// single-overlay report (or `{"error": …}`).
pub fn json(sections: &[Section]) -> String {
    let mut m = Map::new();
    for s in sections {
        let v = match &s.outcome {
            Ok(c) => render::report(&c.diffs, c.mode, &c.warnings),
            Err(e) => serde_json::json!({ "overlay": s.overlay, "error": e }),
        };
        m.insert(s.name.clone(), v);
    }
    let mut out = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

/// Lines of diff shown per cluster in Markdown before the rest is cut.
pub const MARKDOWN_LINES: usize = 300;

/// A pull-request comment: a summary table, then one collapsible section
/// per cluster with its diffs (cut after [`MARKDOWN_LINES`] lines, saying
/// how much was left out); no colour codes.
pub fn markdown(title: &str, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {title}\n");
    let revisions = sections
        .iter()
        .any(|s| matches!(&s.outcome, Ok(c) if c.mode == Mode::Revisions));
    let (add, del) = if revisions {
        ("added", "removed")
    } else {
        ("to be created", "to be pruned")
    };
    let _ = writeln!(out, "| cluster | unchanged | changed | {add} | {del} |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for s in sections {
        match s.summary() {
            Some(t) => {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cell(&s.name),
                    t.unchanged,
                    t.changed,
                    t.create,
                    t.prune
                );
            }
            None => {
                let _ = writeln!(out, "| {} | error | | | |", cell(&s.name));
            }
        }
    }
    for s in sections {
        let what = match (&s.outcome, s.summary()) {
            (Err(_), _) => "error".to_string(),
            (Ok(_), Some(t)) if !t.has_differences() => "no changes".to_string(),
            (Ok(c), _) => {
                let n = |a: Action| c.diffs.iter().filter(|d| d.action == a).count();
                [
                    (n(Action::Changed), "changed"),
                    (n(Action::Create), add),
                    (n(Action::Prune), del),
                ]
                .iter()
                .filter(|(k, _)| *k > 0)
                .map(|(k, w)| format!("{k} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
            }
        };
        let _ = writeln!(
            out,
            "\n<details><summary><code>{}</code> ({}): {what}</summary>\n",
            html(&s.name),
            html(&s.overlay)
        );
        match &s.outcome {
            Err(e) => {
                let _ = writeln!(out, "```text\n{}\n```", fence_safe(e));
            }
            Ok(c) if c.diffs.iter().all(|d| d.action == Action::Unchanged) => {
                let _ = writeln!(out, "No object changes.");
            }
            Ok(c) => {
                let body = render::text(&c.diffs, &c.sides, false);
                let lines: Vec<&str> = body.lines().collect();
                let shown = lines.len().min(MARKDOWN_LINES);
                let _ = writeln!(out, "```diff");
                for l in &lines[..shown] {
                    let _ = writeln!(out, "{}", fence_safe(l));
                }
                let _ = writeln!(out, "```");
                if shown < lines.len() {
                    let _ = writeln!(
                        out,
                        "\n… {} more line(s) of this cluster's diff not shown; run `kcompile diff` for all of it.",
                        lines.len() - shown
                    );
                }
            }
        }
        if let Ok(c) = &s.outcome {
            for w in &c.warnings {
                let _ = writeln!(out, "\n> {}", fence_safe(w));
            }
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

/// A table cell: pipes and line breaks would end it.
fn cell(s: &str) -> String {
    html(s).replace('|', "\\|")
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A code line that cannot close the fence around it.
fn fence_safe(s: &str) -> String {
    s.replace("```", "`\u{200b}``")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::pair::revision_diffs;
    use serde_json::json;

    fn cm(name: &str, v: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"}, "data": {"k": v}})
    }

    fn section(name: &str, before: Vec<Value>, after: Vec<Value>) -> Section {
        Section {
            name: name.into(),
            overlay: format!("overlays/{name}"),
            outcome: Ok(Compared {
                diffs: revision_diffs(before, after, false),
                mode: Mode::Revisions,
                sides: Sides {
                    before: "main".into(),
                    after: "working tree".into(),
                    mode: Mode::Revisions,
                },
                warnings: vec![],
            }),
        }
    }

    #[test]
    fn markdown_has_a_table_and_a_section_per_cluster() {
        let s = vec![
            section(
                "a",
                vec![cm("x", "1"), cm("gone", "1")],
                vec![cm("x", "2"), cm("new", "1")],
            ),
            section("b", vec![cm("x", "1")], vec![cm("x", "1")]),
            Section {
                name: "c".into(),
                overlay: "overlays/c".into(),
                outcome: Err("overlays/c/kustomization.yaml:3:3: boom".into()),
            },
        ];
        let md = markdown("kcompile diff: main → working tree", &s);
        assert!(md.contains("| a | 0 | 1 | 1 | 1 |"), "{md}");
        assert!(md.contains("| b | 1 | 0 | 0 | 0 |"), "{md}");
        assert!(md.contains("| c | error | | | |"), "{md}");
        assert!(
            md.contains("<code>a</code> (overlays/a): 1 changed, 1 added, 1 removed"),
            "{md}"
        );
        assert!(
            md.contains("-  k: \"1\"") && md.contains("+  k: \"2\""),
            "{md}"
        );
        assert!(
            md.contains("=== ConfigMap/new in namespace a (added)"),
            "{md}"
        );
        assert!(
            md.contains("=== ConfigMap/gone in namespace a (removed)"),
            "{md}"
        );
        assert!(
            md.contains("<code>b</code> (overlays/b): no changes"),
            "{md}"
        );
        assert!(!md.contains('\x1b'));
    }

    #[test]
    fn long_diffs_are_cut_with_a_note() {
        let many: Vec<Value> = (0..200).map(|i| cm(&format!("m{i}"), "1")).collect();
        let md = markdown("t", &[section("a", vec![], many)]);
        assert!(
            md.contains("more line(s) of this cluster's diff not shown"),
            "{md}"
        );
        assert!(md.lines().count() < MARKDOWN_LINES + 40);
    }

    #[test]
    fn json_is_one_report_per_cluster() {
        let s = vec![section("a", vec![cm("x", "1")], vec![cm("x", "2")])];
        let v: Value = serde_json::from_str(&json(&s)).unwrap();
        assert_eq!(v["a"]["mode"], "revisions");
        assert_eq!(v["a"]["summary"]["changed"], 1);
    }
}
