//! What a YAML node carries besides its value, where kustomize's output
//! can depend on it (tag, style, source text, where it was read). The
//! parser records notes by place; `model::notes` keeps them with an object
//! while they hold.

use serde_json::Value;

/// One node's note (see `model::notes` for when each matters).
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Folded {
        read: String,
        printed: String,
    },
    Merge,
    Untagged {
        text: String,
        value: Value,
    },
    Quoted {
        value: String,
    },
    Text {
        text: String,
        value: Value,
    },
    /// A folded scalar kustomize keeps as read (an annotation) until a
    /// JSON round trip prints it: then it reads back as `printed`.
    Reprinted {
        value: String,
        printed: String,
    },
    /// A field with no value at all (`key:`), which a strategic merge
    /// drops; a written `null` or `~` it keeps.
    EmptyNull,
    /// A string kustomize cannot print (`yaml::check_round_trip`), where
    /// it was read; an error once it reaches the output.
    Unprintable {
        line: usize,
        col: usize,
        message: String,
    },
}

impl Note {
    /// Whether the note still describes `v`.
    pub fn describes(&self, v: &Value) -> bool {
        match self {
            Note::Folded { printed, .. } => v.as_str() == Some(printed),
            Note::Merge => v.as_str() == Some("<<"),
            Note::Quoted { value } | Note::Reprinted { value, .. } => v.as_str() == Some(value),
            Note::Untagged { value, .. } | Note::Text { value, .. } => v == value,
            Note::EmptyNull => v.is_null(),
            Note::Unprintable { .. } => v
                .as_str()
                .is_some_and(|s| crate::yaml::check_round_trip(s).is_err()),
        }
    }
}
