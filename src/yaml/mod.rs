//! YAML text <-> `serde_json::Value`, with kustomize's semantics.
//!
//! Parsing resolves plain scalars the way kustomize (go-yaml v3 / kyaml) does;
//! emission writes the text `kubectl kustomize` writes (go-yaml v2 style, keys
//! sorted, after kustomize's JSON round trip).

mod emit;
mod folded;
mod locate;
mod parse;
mod text;

pub(crate) use emit::annotation_text;
pub use emit::{stream_to_string, to_string};
pub use locate::locate;
pub use parse::{
    parse_kio, parse_stream, parse_stream_lenient, parse_stream_v2, retag, Document, RawField,
    RawScalar, Stream, YamlError, MAX_DEPTH,
};
pub use text::{check_printable, decode, is_blank_stream, Decoded};
