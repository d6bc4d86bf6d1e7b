//! YAML text <-> `serde_json::Value`, with kustomize's semantics.
//!
//! Parsing resolves plain scalars the way kustomize (go-yaml v3 / kyaml) does;
//! emission writes the text `kubectl kustomize` writes (go-yaml v2 style, keys
//! sorted, after kustomize's JSON round trip).

mod emit;
mod folded;
pub mod go;
mod locate;
pub mod note;
mod parse;
mod text;

pub(crate) use emit::annotation_text;
pub use emit::{stream_to_string, to_string};
pub use locate::{locate, locate_at_line};
pub(crate) use parse::check_round_trip;
pub use parse::{
    parse_kio, parse_stream, parse_stream_lenient, parse_stream_v2, resolve_plain, retag, Document,
    RawField, RawScalar, Stream, MAX_DEPTH,
};

/// The value kustomize prints for `value` held as a folded block scalar;
/// `None` where that depends on the nesting depth.
pub(crate) fn folded_value(value: &str) -> Option<String> {
    folded::kustomize_value(value).ok()
}
pub use text::{check_printable, decode, is_blank_stream, Decoded};

/// A short description of a value's type, for messages.
pub fn describe(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
