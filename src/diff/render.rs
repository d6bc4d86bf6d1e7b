//! Rendering comparisons: per-object unified diffs of the YAML text (with
//! optional ANSI colour) and the machine-readable JSON report.

use super::{Action, Mode, ObjectDiff, Summary};
use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;
use std::fmt::Write as _;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Labels of the two sides in diff headers (`live` / `desired`, or the two
/// overlay paths).
#[derive(Debug, Clone)]
pub struct Sides {
    pub before: String,
    pub after: String,
    /// What the sides are (names the actions: "to be created" against a
    /// cluster, "added" between revisions).
    pub mode: Mode,
}

fn yaml(v: Option<&Value>) -> String {
    match v {
        Some(v) => crate::yaml::to_string(v),
        None => String::new(),
    }
}

fn action_text(a: Action, mode: Mode) -> &'static str {
    match (a, mode) {
        (Action::Unchanged, _) => "unchanged",
        (Action::Changed, _) => "changed",
        (Action::Create, Mode::Revisions) => "added",
        (Action::Prune, Mode::Revisions) => "removed",
        (Action::Create, _) => "to be created",
        (Action::Prune, _) => "to be pruned",
    }
}

/// One object's unified diff, headed by kind, namespace and name; empty
/// for an unchanged object.
pub fn object_text(d: &ObjectDiff, sides: &Sides, color: bool) -> String {
    if d.action == Action::Unchanged {
        return String::new();
    }
    let before = yaml(d.before.as_ref());
    let after = yaml(d.after.as_ref());
    let td = TextDiff::from_lines(&before, &after);
    let body = td
        .unified_diff()
        .context_radius(3)
        .header(&sides.before, &sides.after)
        .to_string();
    let mut out = String::new();
    let head = format!("{} ({})", d.id, action_text(d.action, sides.mode));
    if color {
        let _ = writeln!(out, "{BOLD}=== {head}{RESET}");
    } else {
        let _ = writeln!(out, "=== {head}");
    }
    // Whom the apply would overwrite: fields another manager owns now.
    for c in &d.changes {
        if let Some(owner) = &c.owner {
            let _ = writeln!(out, "# {} is managed by {owner}", c.path);
        }
    }
    for line in body.lines() {
        if !color {
            let _ = writeln!(out, "{line}");
            continue;
        }
        let c = if line.starts_with("+++") || line.starts_with("---") {
            BOLD
        } else if line.starts_with('+') {
            GREEN
        } else if line.starts_with('-') {
            RED
        } else if line.starts_with("@@") {
            CYAN
        } else {
            ""
        };
        if c.is_empty() {
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "{c}{line}{RESET}");
        }
    }
    out
}

/// All objects' diffs, in order.
pub fn text(diffs: &[ObjectDiff], sides: &Sides, color: bool) -> String {
    diffs
        .iter()
        .map(|d| object_text(d, sides, color))
        .collect::<Vec<_>>()
        .concat()
}

#[derive(Serialize)]
struct Report<'a> {
    mode: Mode,
    summary: Summary,
    objects: &'a [ObjectDiff],
    warnings: &'a [String],
}

/// The JSON report: mode, summary counts, per-object action and changed
/// field paths (Secret values masked), warnings.
pub fn json(diffs: &[ObjectDiff], mode: Mode, warnings: &[String]) -> String {
    let mut s = serde_json::to_string_pretty(&report(diffs, mode, warnings))
        .unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// The JSON report as a value (several of them make the multi-cluster one).
pub fn report(diffs: &[ObjectDiff], mode: Mode, warnings: &[String]) -> Value {
    let r = Report {
        mode,
        summary: Summary::of(diffs),
        objects: diffs,
        warnings,
    };
    serde_json::to_value(&r).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{compare, CompareOptions, ResId};
    use serde_json::json;

    fn sides() -> Sides {
        Sides {
            before: "live".into(),
            after: "desired".into(),
            mode: Mode::ClientSide,
        }
    }

    #[test]
    fn unified_text_shows_only_the_change() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n"}, "spec": {"replicas": 1, "paused": false}});
        let mut desired = live.clone();
        desired["spec"]["replicas"] = json!(3);
        let id = ResId::of(&live);
        let d = compare(
            id,
            Some(&live),
            Some(&desired),
            CompareOptions {
                mode: Mode::ClientSide,
                show_secrets: false,
                field_manager: None,
            },
        );
        let t = text(std::slice::from_ref(&d), &sides(), false);
        assert!(t.starts_with("=== Deployment/d in namespace n (changed)\n--- live\n+++ desired\n"));
        let changed: Vec<&str> = t
            .lines()
            .filter(|l| {
                (l.starts_with('-') || l.starts_with('+'))
                    && !l.starts_with("---")
                    && !l.starts_with("+++")
            })
            .collect();
        // The emitter's indentation is not this module's business.
        let trimmed: Vec<String> = changed
            .iter()
            .map(|l| format!("{}{}", &l[..1], l[1..].trim()))
            .collect();
        assert_eq!(trimmed, vec!["-replicas: 1", "+replicas: 3"]);
        let colored = text(&[d], &sides(), true);
        assert!(colored.contains("\x1b[31m-"));
        assert!(colored.contains("\x1b[32m+"));
        let j: Value = serde_json::from_str(&json(&[], Mode::ClientSide, &[])).unwrap();
        assert_eq!(j["summary"]["changed"], json!(0));
    }
}
