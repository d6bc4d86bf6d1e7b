//! Paths into a value: the steps from a document's root to a node, as
//! errors name them (`images[1].newTag`), node notes and shared nodes
//! record them, and the locator follows them back to a line and column.

use serde_json::Value;
use std::fmt::Write;

/// One step of a path: a mapping key as written, or a list index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The steps from the object's root to a field.
pub type Place = Vec<Step>;

/// Renders a path as `images[1].newTag`; keys that are not plain words
/// are quoted (`commonLabels["app.kubernetes.io/name"]`).
pub fn path_text(path: &[Step]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Step::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            Step::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !plain {
                    let _ = write!(s, "[{k:?}]");
                } else if s.is_empty() {
                    s.push_str(k);
                } else {
                    let _ = write!(s, ".{k}");
                }
            }
        }
    }
    s
}

/// The value at `place`, when it exists.
pub fn get<'a>(v: &'a Value, place: &[Step]) -> Option<&'a Value> {
    place.iter().try_fold(v, |cur, s| match (s, cur) {
        (Step::Key(k), Value::Object(m)) => m.get(k),
        (Step::Index(i), Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

/// The value at `place`, mutable, when it exists.
pub fn get_mut<'a>(v: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
    place.iter().try_fold(v, |cur, s| match (s, cur) {
        (Step::Key(k), Value::Object(m)) => m.get_mut(k),
        (Step::Index(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}
