//! What kustomize's YAML nodes carry that a JSON value does not.
//!
//! kustomize works on go-yaml v3 nodes: a scalar has a tag and a style
//! besides its text, and some steps look at them. kcompile keeps values;
//! where a node's tag or style can still change what kustomize prints, the
//! object carries a note at that place:
//!
//! - a folded block scalar (`>`) keeps the text read until kustomize
//!   prints it; kcompile holds the printed value (go-yaml v3's round trip,
//!   `yaml::folded`), and a var that visits the node resets its style, so
//!   the text read is printed instead;
//! - a plain `<<` is go-yaml's merge tag, not a string: kustomize's var
//!   filter refuses a list holding one;
//! - an untagged scalar (one a replacement creates, or kyaml's `SetScalar`
//!   writes) prints as what its text resolves to, and turns into the string
//!   of its text when a field setter or a var visits it;
//! - a scalar written quoted or as a block keeps that style when a
//!   strategic-merge patch writes a number or boolean over it, which then
//!   prints as a string;
//! - a number or boolean written other than as JSON writes it (`0x1F`,
//!   `1e3`, `True`) is copied by its text.
//!
//! A note holds only while the value at its place is the one it was made
//! for: steps that move values around (list merges, JSON patches) leave
//! stale notes that `valid` filters out.

use crate::path::{get, get_mut, Place, Step};
pub use crate::yaml::note::Note;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Notes(Vec<(Place, Note)>);

impl Notes {
    pub fn new(notes: Vec<(Place, Note)>) -> Notes {
        Notes(notes)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Notes whose place starts with `prefix`, with the prefix taken off
    /// (the notes of a List's item).
    pub fn under(&self, prefix: &[Step]) -> Notes {
        Notes(
            self.0
                .iter()
                .filter(|(p, _)| p.starts_with(prefix))
                .map(|(p, n)| (p[prefix.len()..].to_vec(), n.clone()))
                .collect(),
        )
    }

    /// Replaces the notes of one kind at `place` (at most one of a kind).
    pub fn set(&mut self, place: Place, note: Note) {
        let same = std::mem::discriminant(&note);
        self.0
            .retain(|(p, n)| !(p == &place && std::mem::discriminant(n) == same));
        self.0.push((place, note));
    }

    pub fn remove_at(&mut self, place: &[Step]) {
        self.0.retain(|(p, _)| p.as_slice() != place);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The notes at `place` that still describe what `obj` holds there.
    pub fn at<'a>(&'a self, obj: &'a Value, place: &'a [Step]) -> impl Iterator<Item = &'a Note> {
        let v = if self.0.is_empty() {
            None
        } else {
            get(obj, place)
        };
        self.0
            .iter()
            .filter(move |(p, n)| p.as_slice() == place && v.is_some_and(|v| n.describes(v)))
            .map(|(_, n)| n)
    }

    /// The untagged text of the scalar `v` at `place`.
    pub fn untagged_text_of(&self, place: &[Step], v: &Value) -> Option<String> {
        self.0.iter().find_map(|(p, n)| match n {
            Note::Untagged { text, .. } if p.as_slice() == place && n.describes(v) => {
                Some(text.clone())
            }
            _ => None,
        })
    }

    /// Whether the scalar `v` at `place` was written quoted or as a block
    /// (a note says so, or its text could not be plain).
    pub fn is_styled(&self, place: &[Step], v: &Value) -> bool {
        if v.as_str()
            .is_some_and(|s| s.contains('\n') || !crate::yaml::resolve_plain(s).is_string())
        {
            return true;
        }
        self.0.iter().any(|(p, n)| {
            p.as_slice() == place
                && matches!(n, Note::Quoted { .. } | Note::Folded { .. })
                && n.describes(v)
        })
    }

    pub fn folded_read(&self, obj: &Value, place: &[Step]) -> Option<String> {
        self.at(obj, place).find_map(|n| match n {
            Note::Folded { read, .. } => Some(read.clone()),
            _ => None,
        })
    }

    /// Whether the scalar at `place` is a folded block scalar.
    pub fn is_folded(&self, obj: &Value, place: &[Step]) -> bool {
        self.at(obj, place)
            .any(|n| matches!(n, Note::Folded { .. }))
    }

    pub fn is_merge(&self, obj: &Value, place: &[Step]) -> bool {
        self.at(obj, place).any(|n| matches!(n, Note::Merge))
    }

    pub fn untagged_text(&self, obj: &Value, place: &[Step]) -> Option<String> {
        self.at(obj, place).find_map(|n| match n {
            Note::Untagged { text, .. } => Some(text.clone()),
            _ => None,
        })
    }

    /// The text a number or boolean was written as, where it is not the
    /// JSON text.
    pub fn text(&self, obj: &Value, place: &[Step]) -> Option<String> {
        self.at(obj, place).find_map(|n| match n {
            Note::Text { text, .. } | Note::Untagged { text, .. } => Some(text.clone()),
            _ => None,
        })
    }

    pub fn is_empty_null(&self, obj: &Value, place: &[Step]) -> bool {
        self.at(obj, place).any(|n| matches!(n, Note::EmptyNull))
    }

    pub fn is_quoted(&self, obj: &Value, place: &[Step]) -> bool {
        self.at(obj, place)
            .any(|n| matches!(n, Note::Quoted { .. }))
    }

    /// Drops the notes that no longer describe `obj`.
    pub fn retain_valid(&mut self, obj: &Value) {
        self.0
            .retain(|(p, n)| get(obj, p).is_some_and(|v| n.describes(v)));
    }

    /// Where a string kustomize cannot print at `place` was read.
    pub fn unprintable(&self, obj: &Value, place: &[Step]) -> Option<(usize, usize, String)> {
        self.at(obj, place).find_map(|n| match n {
            Note::Unprintable { line, col, message } => Some((*line, *col, message.clone())),
            _ => None,
        })
    }

    /// What a JSON round trip prints and reads back where it differs from
    /// the value held.
    pub fn reprint(&self, obj: &mut Value) {
        for (p, n) in &self.0 {
            if let Note::Reprinted { printed, .. } = n {
                if let Some(slot) = get_mut(obj, p).filter(|v| n.describes(v)) {
                    *slot = Value::String(printed.clone());
                }
            }
        }
    }

    /// The object was rebuilt from JSON (kyaml's `UnmarshalJSON`): every
    /// node is new, written by go-yaml v3 and read back, so no style or
    /// source text survives, and every `<<` string in a list is plain again.
    pub fn rebuilt(&mut self, obj: &Value) {
        self.0.clear();
        let mut at = Vec::new();
        merges(obj, &mut at, &mut self.0);
    }
}

fn merges(v: &Value, at: &mut Place, out: &mut Vec<(Place, Note)>) {
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                at.push(Step::Index(i));
                if e.as_str() == Some("<<") {
                    out.push((at.clone(), Note::Merge));
                } else {
                    merges(e, at, out);
                }
                at.pop();
            }
        }
        Value::Object(m) => {
            for (k, e) in m {
                at.push(Step::Key(k.clone()));
                merges(e, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[test]
    fn a_note_holds_while_its_value_does() {
        let mut obj = json!({"a": ["ends\n\n"]});
        let place = vec![key("a"), Step::Index(0)];
        let notes = Notes::new(vec![(
            place.clone(),
            Note::Folded {
                read: "ends\n".into(),
                printed: "ends\n\n".into(),
            },
        )]);
        assert_eq!(notes.folded_read(&obj, &place).as_deref(), Some("ends\n"));
        obj["a"][0] = json!("other");
        assert_eq!(notes.folded_read(&obj, &place), None);
    }

    #[test]
    fn a_rebuilt_object_has_plain_merge_keys_in_lists_only() {
        let obj = json!({"x": "<<", "l": ["a", "<<", {"y": ["<<"]}]});
        let mut notes = Notes::default();
        notes.rebuilt(&obj);
        let merge = |p: Vec<Step>| notes.is_merge(&obj, &p);
        assert!(!merge(vec![key("x")]));
        assert!(merge(vec![key("l"), Step::Index(1)]));
        assert!(merge(vec![
            key("l"),
            Step::Index(2),
            key("y"),
            Step::Index(0)
        ]));
    }
}
