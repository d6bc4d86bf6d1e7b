//! YAML stream -> `serde_json::Value`, resolving scalars as kustomize does.
//!
//! kustomize reads resources with go-yaml v3, re-decodes each document into
//! `map[string]interface{}` and marshals it to JSON. That path fixes the
//! semantics reproduced here: the YAML 1.2-ish core schema with go-yaml v3's
//! quirks (legacy octal, `_` in numbers, timestamps turned into RFC 3339
//! strings), merge keys, and non-string keys only tolerated at the root.

use crate::error::Error;
use std::collections::HashMap;

use crate::path::{Place, Step};
use crate::yaml::note::Note;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::text::{check_printable, is_blank_stream, leading_document_end, split_kio, Chunk};

/// One document of a YAML stream and the (1-based) line it starts on.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub line: usize,
    /// Source text of the scalars in the string maps kustomize reads as
    /// written (annotations, labels, data; of the object, or of `items[i]`)
    /// where it differs from the parsed value: kustomize prints annotation
    /// values as written (`1.50`, `0x1F`, `~`), not as the JSON they decode
    /// to.
    pub raw: Vec<(Option<usize>, RawScalar)>,
    /// What the document's nodes carry besides their values (`notes`).
    pub notes: Vec<(Place, Note)>,
}

/// A value of one of an object's string maps, as parsed and as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RawScalar {
    pub field: RawField,
    pub key: String,
    pub value: Value,
    pub text: String,
}

/// The string maps whose source texts are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawField {
    /// `metadata.annotations`
    Annotation,
    /// `metadata.labels`
    Label,
    /// `data` (of a ConfigMap)
    Data,
}

/// Maximum nesting depth of a document, counting expanded aliases.
pub const MAX_DEPTH: usize = 500;
/// Maximum number of nodes that alias expansion may add to a stream. A
/// scalar counts one node per started `SCALAR_BYTES_PER_NODE` bytes, so an
/// alias of a long string is as costly as the memory its copy takes.
const MAX_ALIAS_NODES: usize = 1_000_000;
const SCALAR_BYTES_PER_NODE: usize = 64;

/// How a stream is read.
#[derive(Clone, Copy, Default)]
struct Mode {
    /// Later duplicate keys win instead of failing.
    lenient: bool,
    /// go-yaml v2's scalar rules (YAML 1.1 booleans such as `yes` and `on`;
    /// timestamps stay strings), as sigs.k8s.io/yaml reads.
    v2: bool,
    /// Read by kyaml, whose objects are printed through go-yaml v3: folded
    /// block scalars take the value kustomize prints (`folded`).
    kyaml: bool,
}

/// Parse a multi-document stream. Empty documents come back as `Value::Null`.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, Error> {
    check_printable(text)?;
    parse_with(text, Mode::default())
}

/// Parse a kustomization file as kustomize does (sigs.k8s.io/yaml, that is
/// go-yaml v2): a repeated mapping key replaces the earlier one instead of
/// being an error, and plain scalars follow go-yaml v2's rules.
pub fn parse_stream_lenient(text: &str) -> Result<Vec<Document>, Error> {
    check_printable(text)?;
    parse_with(
        text,
        Mode {
            lenient: true,
            v2: true,
            kyaml: false,
        },
    )
}

/// Parse with go-yaml v2's scalar rules (sigs.k8s.io/yaml's `YAMLToJSON`,
/// which kustomize uses for a JSON 6902 patch written in YAML).
pub fn parse_stream_v2(text: &str) -> Result<Vec<Document>, Error> {
    check_printable(text)?;
    parse_with(
        text,
        Mode {
            lenient: false,
            v2: true,
            kyaml: false,
        },
    )
}

/// A resource stream as kustomize's kyaml reader takes it.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub docs: Vec<Document>,
    /// Lines of documents with content that kustomize never reads: a piece
    /// between `---` separators yields only its first document (one after a
    /// `...` end marker is dropped), and a UTF-16 file only its first.
    pub ignored: Vec<usize>,
    /// Nothing but blank lines, comments and document markers.
    pub blank: bool,
    /// Read as one piece (UTF-16).
    pub whole: bool,
}

/// Parse a stream of resources (or strategic merge patches) as kyaml's
/// `ByteReader` does: split at `---` lines, then one document from each
/// piece, a byte order mark at the start of a piece skipped. `whole` reads
/// the text as one piece (a UTF-16 file, which the byte-level split never
/// matches).
pub fn parse_kio(text: &str, whole: bool) -> Result<Stream, Error> {
    check_printable(text)?;
    let chunks = if whole {
        vec![Chunk {
            start: 0,
            end: text.len(),
            line: 1,
        }]
    } else {
        split_kio(text)?
    };
    let mut out = Stream {
        blank: is_blank_stream(text),
        whole,
        ..Stream::default()
    };
    // kyaml unwraps a List's items as they are only when the stream is one
    // piece; otherwise kustomize expands the List through JSON, and the
    // items' annotations lose their source text.
    let one_piece = chunks.len() == 1;
    for c in chunks {
        let piece = &text[c.start..c.end];
        let piece = piece.strip_prefix('\u{feff}').unwrap_or(piece);
        let shift = c.line - 1;
        let mode = Mode {
            kyaml: true,
            ..Mode::default()
        };
        let mut docs = parse_with(piece, mode).map_err(|mut e| {
            if let Some((line, _)) = &mut e.pos {
                *line += shift;
            }
            e
        })?;
        // kustomize expands a List of a stream in pieces through Go values,
        // never printing its items' nodes: their folded scalars keep the
        // value read (see `folded`).
        if !one_piece && docs.first().is_some_and(|d| is_list_doc(&d.value)) {
            docs = parse_with(piece, Mode::default()).map_err(|mut e| {
                if let Some((line, _)) = &mut e.pos {
                    *line += shift;
                }
                e
            })?;
        }
        for (i, mut d) in docs.into_iter().enumerate() {
            d.line += shift;
            for (_, n) in d.notes.iter_mut() {
                if let Note::Unprintable { line, .. } = n {
                    *line += shift;
                }
            }
            if !one_piece {
                d.raw.retain(|(item, _)| item.is_none());
            }
            if i == 0 {
                out.docs.push(d);
            } else if !is_empty_value(&d.value) {
                out.ignored.push(d.line);
            }
        }
    }
    Ok(out)
}

fn is_list_doc(v: &Value) -> bool {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    kind.ends_with("List") && v.get("items").is_some()
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn parse_with(text: &str, mode: Mode) -> Result<Vec<Document>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = leading_document_end(text) {
        return Err(Error::yaml(line, 1, "did not find expected node content (a stream cannot begin with the document end marker `...`)"));
    }
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        mode,
        ..Builder::default()
    };
    let mut docs = Vec::new();
    let mut doc_line = 1;
    let mut content_line: Option<usize> = None;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            Error::yaml(
                e.marker().line(),
                e.marker().col() + 1,
                e.info().to_string(),
            )
        })?;
        match ev {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart => {
                doc_line = mark.line();
                content_line = None;
                b.reset();
            }
            Event::DocumentEnd => {
                let value = b.root.take().unwrap_or(Value::Null);
                docs.push(Document {
                    value,
                    line: content_line.unwrap_or(doc_line).max(1),
                    raw: std::mem::take(&mut b.raw),
                    notes: std::mem::take(&mut b.notes),
                });
            }
            ev => {
                if content_line.is_none() {
                    content_line = Some(mark.line());
                }
                b.event(ev, mark)?;
            }
        }
    }
    Ok(docs)
}

fn err_at(mark: Marker, message: impl Into<String>) -> Error {
    Error::yaml(mark.line(), mark.col() + 1, message.into())
}

/// A finished node on its way into its parent.
struct Node {
    value: Value,
    /// v3 would type this node `!!str` (matters for mapping keys).
    is_str: bool,
    /// A plain `<<` or `!!merge` scalar.
    is_merge: bool,
    /// Scalar source text when it differs in kind from `value` (root keys use it).
    raw: Option<String>,
    mark: Marker,
    nodes: usize,
    depth: usize,
}

struct Anchored {
    value: Value,
    /// A scalar's source text.
    text: Option<String>,
    is_str: bool,
    nodes: usize,
    depth: usize,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        mark: Marker,
        nodes: usize,
        depth: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<(String, Marker, bool)>,
        merge: Option<Value>,
        seen_merge: bool,
        anchor: usize,
        mark: Marker,
        nodes: usize,
        depth: usize,
        root: bool,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
    root: Option<Value>,
    mode: Mode,
    /// String-map values whose source text differs from their value.
    raw: Vec<(Option<usize>, RawScalar)>,
    notes: Vec<(Place, Note)>,
}

impl Builder {
    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.root = None;
        self.raw.clear();
        self.notes.clear();
    }

    /// The place of the value being read; `None` for a mapping key.
    fn place(&self) -> Option<Place> {
        let mut out = Vec::with_capacity(self.stack.len());
        for f in &self.stack {
            match f {
                Frame::Map {
                    key: Some((k, _, _)),
                    ..
                } => out.push(Step::Key(k.clone())),
                Frame::Map { key: None, .. } => return None,
                Frame::Seq { items, .. } => out.push(Step::Index(items.len())),
            }
        }
        Some(out)
    }

    /// Notes a scalar needs (see `notes`): its folded text as read, a plain
    /// `<<`, a quoted string that could have been plain, a number or
    /// boolean written other than as JSON writes it.
    fn note(&mut self, read: &str, style: TScalarStyle, tagged: bool, r: &Resolved) {
        let note = match &r.value {
            Value::String(_) if tagged => return,
            Value::String(s) if matches!(style, TScalarStyle::Folded) => Note::Folded {
                read: read.to_string(),
                printed: s.clone(),
            },
            Value::String(_) if r.is_merge && matches!(style, TScalarStyle::Plain) => Note::Merge,
            Value::String(s) if !matches!(style, TScalarStyle::Plain) => {
                // Only a map's field takes a patch's value in its style (a
                // list item is replaced whole); a text that could not be
                // plain needs no note.
                if !matches!(self.stack.last(), Some(Frame::Map { .. }))
                    || !resolve_plain(s).is_string()
                {
                    return;
                }
                Note::Quoted { value: s.clone() }
            }
            Value::Null if !tagged && read.is_empty() && matches!(style, TScalarStyle::Plain) => {
                Note::EmptyNull
            }
            v @ (Value::Number(_) | Value::Bool(_)) if !tagged => {
                if serde_json::to_string(v).is_ok_and(|j| j == read) {
                    return;
                }
                Note::Text {
                    text: read.to_string(),
                    value: v.clone(),
                }
            }
            _ => return,
        };
        if let Some(place) = self.place() {
            self.notes.push((place, note));
        }
    }

    /// Where the next value lands when it is a value of one of the string
    /// maps kustomize reads as written: the object's annotations, labels or
    /// `data`, or those of an entry of its `items` (a List). Returns the item
    /// index, the map and the key.
    fn raw_slot(&self) -> Option<(Option<usize>, RawField, String)> {
        fn key_of(f: &Frame) -> Option<&str> {
            match f {
                Frame::Map {
                    key: Some((k, _, false)),
                    ..
                } => Some(k.as_str()),
                _ => None,
            }
        }
        let (rest, item) = match self.stack.as_slice() {
            [top @ Frame::Map { root: true, .. }, Frame::Seq { items, .. }, rest @ ..]
                if key_of(top) == Some("items") =>
            {
                (rest, Some(items.len()))
            }
            all @ [Frame::Map { root: true, .. }, ..] => (all, None),
            _ => return None,
        };
        let (field, map) = match rest {
            [md, m, map] if key_of(md) == Some("metadata") => match key_of(m)? {
                "annotations" => (RawField::Annotation, map),
                "labels" => (RawField::Label, map),
                _ => return None,
            },
            [d, map] if key_of(d) == Some("data") => (RawField::Data, map),
            _ => return None,
        };
        Some((item, field, key_of(map)?.to_string()))
    }

    fn record(
        &mut self,
        slot: Option<(Option<usize>, RawField, String)>,
        value: &Value,
        text: Option<&String>,
    ) {
        let (Some((item, field, key)), Some(text)) = (slot, text) else {
            return;
        };
        if value.is_array() || value.is_object() || value.as_str() == Some(text.as_str()) {
            return;
        }
        self.raw.push((
            item,
            RawScalar {
                field,
                key,
                value: value.clone(),
                text: text.clone(),
            },
        ));
    }

    fn event(&mut self, ev: Event, mark: Marker) -> Result<(), Error> {
        match ev {
            Event::Scalar(mut text, style, anchor, tag) => {
                let slot = self.raw_slot();
                // kustomize rewrites annotations as strings before printing:
                // they keep the value read.
                let annotation = matches!(&slot, Some((_, RawField::Annotation, _)));
                let read = if self.mode.kyaml {
                    Some(text.clone())
                } else {
                    None
                };
                if self.mode.kyaml
                    && matches!(style, TScalarStyle::Folded)
                    && tag.is_none()
                    && !annotation
                {
                    text = super::folded::kustomize_value(&text).map_err(|m| err_at(mark, m))?;
                }
                let printed = read.as_ref().map(|_| text.clone());
                // An untagged quoted or block scalar is the string it reads
                // as: no copy of its text needed.
                let plain = matches!(style, TScalarStyle::Plain) || tag.is_some();
                let source = ((slot.is_some() && plain) || anchor != 0).then(|| text.clone());
                let r = resolve_scalar(text, style, tag.as_ref(), self.mode.v2)
                    .map_err(|m| err_at(mark, m))?;
                if let (Some(read), Some(printed)) = (&read, &printed) {
                    let _ = printed;
                    self.note(read, style, tag.is_some(), &r);
                    if annotation && matches!(style, TScalarStyle::Folded) && tag.is_none() {
                        // Kept as read, but a JSON round trip (a JSON patch)
                        // prints it first.
                        if let Ok(p) = super::folded::kustomize_value(read) {
                            if &p != read {
                                if let Some(place) = self.place() {
                                    self.notes.push((
                                        place,
                                        Note::Reprinted {
                                            value: read.clone(),
                                            printed: p,
                                        },
                                    ));
                                }
                            }
                        }
                    }
                }
                let mut nodes = 1;
                if let Value::String(s) = &r.value {
                    if let Err(m) = check_round_trip(s) {
                        // An object's value fails only when kustomize prints
                        // it: a patch may still delete the object.
                        match self.place().filter(|_| self.mode.kyaml) {
                            Some(place) => self.notes.push((
                                place,
                                Note::Unprintable {
                                    line: mark.line(),
                                    col: mark.col() + 1,
                                    message: m,
                                },
                            )),
                            None => return Err(err_at(mark, m)),
                        }
                    }
                    nodes += s.len() / SCALAR_BYTES_PER_NODE;
                }
                let node = Node {
                    value: r.value,
                    is_str: r.is_str,
                    is_merge: r.is_merge,
                    raw: r.raw,
                    mark,
                    nodes,
                    depth: 1,
                };
                self.record(slot, &node.value, source.as_ref());
                if anchor != 0 {
                    self.remember(anchor, &node, source);
                }
                self.push_node(node)
            }
            Event::Alias(id) => {
                let Some(a) = self.anchors.get(&id) else {
                    return Err(err_at(mark, "unknown anchor"));
                };
                self.alias_nodes = self.alias_nodes.saturating_add(a.nodes);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(err_at(
                        mark,
                        format!("alias expansion exceeds {MAX_ALIAS_NODES} nodes"),
                    ));
                }
                if self.stack.len() + a.depth > MAX_DEPTH {
                    return Err(err_at(
                        mark,
                        format!("document nesting exceeds depth {MAX_DEPTH}"),
                    ));
                }
                let node = Node {
                    value: a.value.clone(),
                    is_str: a.is_str,
                    is_merge: false,
                    raw: None,
                    mark,
                    nodes: a.nodes,
                    depth: a.depth,
                };
                let text = a.text.clone();
                let slot = self.raw_slot();
                self.record(slot, &node.value, text.as_ref());
                self.push_node(node)
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(mark)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    mark,
                    nodes: 1,
                    depth: 1,
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(mark)?;
                let root = self.stack.is_empty();
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    merge: None,
                    seen_merge: false,
                    anchor,
                    mark,
                    nodes: 1,
                    depth: 1,
                    root,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        anchor,
                        mark,
                        nodes,
                        depth,
                    }) => {
                        let node = Node {
                            value: Value::Array(items),
                            is_str: false,
                            is_merge: false,
                            raw: None,
                            mark,
                            nodes,
                            depth,
                        };
                        if anchor != 0 {
                            self.remember(anchor, &node, None);
                        }
                        node
                    }
                    Some(Frame::Map {
                        mut map,
                        merge,
                        anchor,
                        mark,
                        nodes,
                        depth,
                        ..
                    }) => {
                        if let Some(m) = merge {
                            apply_merge(&mut map, m);
                        }
                        let node = Node {
                            value: Value::Object(map),
                            is_str: false,
                            is_merge: false,
                            raw: None,
                            mark,
                            nodes,
                            depth,
                        };
                        if anchor != 0 {
                            self.remember(anchor, &node, None);
                        }
                        node
                    }
                    None => return Err(err_at(mark, "unbalanced collection end")),
                };
                self.push_node(node)
            }
            _ => Ok(()),
        }
    }

    fn check_depth(&self, mark: Marker) -> Result<(), Error> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(
                mark,
                format!("document nesting exceeds depth {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node, text: Option<String>) {
        self.anchors.insert(
            anchor,
            Anchored {
                value: node.value.clone(),
                text,
                is_str: node.is_str,
                nodes: node.nodes,
                depth: node.depth,
            },
        );
    }

    fn push_node(&mut self, node: Node) -> Result<(), Error> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node.value);
                Ok(())
            }
            Some(Frame::Seq {
                items,
                nodes,
                depth,
                ..
            }) => {
                *nodes = nodes.saturating_add(node.nodes);
                *depth = (*depth).max(node.depth + 1);
                items.push(node.value);
                Ok(())
            }
            Some(Frame::Map {
                map,
                key,
                merge,
                seen_merge,
                nodes,
                depth,
                root,
                ..
            }) => {
                *nodes = nodes.saturating_add(node.nodes);
                *depth = (*depth).max(node.depth + 1);
                let Some((k, kmark, is_merge)) = key.take() else {
                    *key = Some(map_key(node, *root)?);
                    return Ok(());
                };
                if is_merge {
                    if *seen_merge {
                        return Err(err_at(kmark, "duplicate merge key"));
                    }
                    *seen_merge = true;
                    let ok = match &node.value {
                        Value::Object(_) => true,
                        Value::Array(a) => a.iter().all(Value::is_object),
                        _ => false,
                    };
                    if !ok {
                        return Err(err_at(
                            node.mark,
                            "map merge requires map or sequence of maps as the value",
                        ));
                    }
                    *merge = Some(node.value);
                    return Ok(());
                }
                if map.contains_key(&k) && !self.mode.lenient {
                    return Err(err_at(kmark, format!("mapping key {k:?} already defined")));
                }
                // kustomize drops a quoted `"<<"` entry (observed with kubectl).
                if k == "<<" {
                    return Ok(());
                }
                map.insert(k, node.value);
                Ok(())
            }
        }
    }
}

/// kustomize cannot print some characters: go-yaml v2 rejects raw C1
/// controls (except NEL), DEL and U+FFFE/U+FFFF when it re-reads the JSON. Fail like it does instead of printing something.
pub(crate) fn check_round_trip(s: &str) -> Result<(), String> {
    if !s.bytes().any(|b| b == 0x7f || b >= 0xc2) {
        return Ok(());
    }
    match s
        .chars()
        .find(|&c| matches!(c as u32, 0x7f..=0x84 | 0x86..=0x9f | 0xfffe | 0xffff))
    {
        Some(c) => Err(format!(
            "character U+{:04X} cannot be printed by kustomize (control characters are not allowed)",
            c as u32
        )),
        None => Ok(()),
    }
}

/// Turn a key node into its string, as the JSON round trip would.
fn map_key(node: Node, root: bool) -> Result<(String, Marker, bool), Error> {
    // kyaml fails to re-read its own output for a key holding NEL (observed).
    if matches!(&node.value, Value::String(s) if s.contains('\u{85}')) {
        return Err(err_at(node.mark, "mapping key contains U+0085 (NEL)"));
    }
    if node.is_merge {
        return Ok((String::new(), node.mark, true));
    }
    if node.is_str {
        if let Value::String(s) = node.value {
            return Ok((s, node.mark, false));
        }
    }
    // The root is decoded into map[string]interface{}: a scalar key becomes its
    // source text. Deeper maps with such keys make Go's encoding/json fail.
    if root {
        if let Some(raw) = node.raw {
            return Ok((raw, node.mark, false));
        }
        if let Value::String(s) = node.value {
            return Ok((s, node.mark, false));
        }
    }
    Err(err_at(
        node.mark,
        "mapping key is not a string (JSON cannot represent it)",
    ))
}

/// Merge keys: explicit keys win, then earlier merged maps over later ones.
fn apply_merge(map: &mut Map<String, Value>, merge: Value) {
    let mut add = |src: Map<String, Value>| {
        for (k, v) in src {
            if !map.contains_key(&k) {
                map.insert(k, v);
            }
        }
    };
    match merge {
        Value::Object(m) => add(m),
        Value::Array(items) => {
            for it in items {
                if let Value::Object(m) = it {
                    add(m);
                }
            }
        }
        _ => {}
    }
}

struct Resolved {
    value: Value,
    is_str: bool,
    is_merge: bool,
    raw: Option<String>,
}

/// What a scalar resolves to under go-yaml v3's rules.
#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Timestamp(Timestamp),
    Str,
}

const YAML_TAG_PREFIX: &str = "tag:yaml.org,2002:";

fn resolve_scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    v2: bool,
) -> Result<Resolved, String> {
    let full;
    let tag_name: &str = match tag {
        None => "",
        Some(t) => {
            full = format!("{}{}", t.handle, t.suffix);
            match full.strip_prefix(YAML_TAG_PREFIX) {
                Some(short) => short,
                // The non-specific tag `!` resolves like no tag (observed).
                None if full == "!" => "",
                // Custom tags keep the text as a string.
                None => {
                    return Ok(Resolved {
                        value: Value::String(text),
                        is_str: false,
                        is_merge: false,
                        raw: None,
                    });
                }
            }
        }
    };
    let plain = matches!(style, TScalarStyle::Plain);
    let string = |text: String| Resolved {
        value: Value::String(text),
        is_str: true,
        is_merge: false,
        raw: None,
    };
    match tag_name {
        "" if !plain => return Ok(string(text)),
        "str" => return Ok(string(text)),
        "" if text == "<<" => {
            return Ok(Resolved {
                value: Value::String(text),
                is_str: true,
                is_merge: true,
                raw: None,
            })
        }
        "merge" => {
            return Ok(Resolved {
                value: Value::String(text),
                is_str: false,
                is_merge: true,
                raw: None,
            })
        }
        "binary" => {
            let bytes = super::go::base64_decode(&text)
                .ok_or_else(|| "!!binary value contains invalid base64 data".to_string())?;
            return Ok(Resolved {
                value: Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                is_str: false,
                is_merge: false,
                raw: None,
            });
        }
        "" | "bool" | "int" | "float" | "null" | "timestamp" => {}
        _ => {
            return Ok(Resolved {
                value: Value::String(text),
                is_str: false,
                is_merge: false,
                raw: None,
            })
        }
    }
    // go-yaml v2 keeps YAML 1.1's booleans, and decodes an untagged
    // timestamp into an interface as the string it is written as.
    let v2_bool = if v2 && (tag_name.is_empty() || tag_name == "bool") {
        match text.as_str() {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
            _ => None,
        }
    } else {
        None
    };
    let kind = match v2_bool {
        Some(b) => Kind::Bool(b),
        None => resolve_v3(
            &text,
            (tag_name.is_empty() && !v2) || tag_name == "timestamp",
        ),
    };
    let kind_name = match kind {
        Kind::Null => "null",
        Kind::Bool(_) => "bool",
        Kind::Int(_) | Kind::Uint(_) => "int",
        Kind::Float(_) => "float",
        Kind::Timestamp(_) => "timestamp",
        Kind::Str => "str",
    };
    let kind = if tag_name.is_empty() || tag_name == kind_name {
        kind
    } else if tag_name == "float" {
        match kind {
            Kind::Int(i) => Kind::Float(i as f64),
            Kind::Uint(u) => Kind::Float(u as f64),
            _ => return Err(format!("cannot decode a !!{kind_name} scalar as a !!float")),
        }
    } else {
        return Err(format!(
            "cannot decode a !!{kind_name} scalar as a !!{tag_name}"
        ));
    };
    let value = match kind {
        Kind::Str => return Ok(string(text)),
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(b),
        Kind::Int(i) => Value::Number(i.into()),
        Kind::Uint(u) => Value::Number(u.into()),
        Kind::Float(f) => match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => {
                return Err(
                    "a float that cannot be represented in JSON (kustomize fails on it too)"
                        .to_string(),
                )
            }
        },
        Kind::Timestamp(ts) => {
            // Go's Time.MarshalJSON refuses zone offsets of 24h or more.
            if ts.offset.is_some_and(|o| o.unsigned_abs() / 3600 >= 24) {
                return Err("timestamp: timezone hour outside of range [0,23]".to_string());
            }
            Value::String(ts.rfc3339())
        }
    };
    Ok(Resolved {
        value,
        is_str: false,
        is_merge: false,
        raw: Some(text),
    })
}

/// The value go-yaml v3 reads from `text` as an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    match resolve_scalar(text.to_string(), TScalarStyle::Plain, None, false) {
        Ok(r) => r.value,
        Err(_) => Value::String(text.to_string()),
    }
}

/// A text copied into a scalar node that keeps its `!!int`, `!!float` or
/// `!!bool` tag (kustomize's replacements copy only the text): the value
/// go-yaml v3 decodes from it, or its error. The message leaves the text
/// out, as it may come from a Secret.
pub fn retag(text: &str, target: &Value) -> Result<Value, String> {
    let tag = match target {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        _ => return Ok(Value::String(text.to_string())),
    };
    let kind = if text.is_empty() {
        Kind::Null
    } else {
        resolve_v3(text, false)
    };
    let value = match (&kind, tag) {
        (Kind::Bool(b), "bool") => Some(Value::Bool(*b)),
        (Kind::Int(i), "int" | "float") => Some(Value::from(*i)),
        (Kind::Uint(u), "int" | "float") => Some(Value::from(*u)),
        (Kind::Float(f), "float") => serde_json::Number::from_f64(*f).map(Value::Number),
        _ => None,
    };
    value.ok_or_else(|| {
        let found = match kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Int(_) | Kind::Uint(_) => "int",
            Kind::Float(_) => "float",
            Kind::Timestamp(_) | Kind::Str => "str",
        };
        format!("cannot decode a !!{found} value as a !!{tag}: the target field is typed {tag} and kustomize keeps its type")
    })
}

/// go-yaml v3's `resolve` for an untagged plain scalar.
pub(crate) fn resolve_v3(s: &str, timestamps: bool) -> Kind {
    match s {
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match s.as_bytes()[0] {
        b'.' => match go_parse_float(s) {
            Some(f) => Kind::Float(f),
            None => Kind::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => {
            if timestamps {
                if let Some(ts) = parse_timestamp(s) {
                    return Kind::Timestamp(ts);
                }
            }
            resolve_number(s).unwrap_or(Kind::Str)
        }
        _ => Kind::Str,
    }
}

/// The int/float part of go-yaml's resolver (shared by v2 and v3).
pub(crate) fn resolve_number(s: &str) -> Option<Kind> {
    let owned;
    let plain = if s.contains('_') {
        owned = s.replace('_', "");
        owned.as_str()
    } else {
        s
    };
    if let Some(i) = go_parse_int(plain, 0) {
        return Some(Kind::Int(i));
    }
    if let Some(u) = go_parse_uint(plain, 0) {
        return Some(Kind::Uint(u));
    }
    if yaml_style_float(plain) {
        if let Some(f) = go_parse_float(plain) {
            return Some(Kind::Float(f));
        }
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Some(i) = go_parse_int(rest, 2) {
            return Some(Kind::Int(i));
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if let Some(i) = go_parse_int(rest, 2) {
            return Some(Kind::Int(i.wrapping_neg()));
        }
    }
    None
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseUint(s, base, 64)` for base 0 (prefix-detected) or 2.
/// Underscores are not accepted (callers strip them first, as go-yaml does).
pub(crate) fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits) = if base == 0 {
        if b[0] == b'0' {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (2, &b[2..]),
                Some(b'o') if b.len() >= 3 => (8, &b[2..]),
                Some(b'x') if b.len() >= 3 => (16, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (10, b)
        }
    } else {
        (base, b)
    };
    let mut n: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(base)?;
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`.
pub(crate) fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest, base)?;
    if neg {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u >= 1u64 << 63 {
        None
    } else {
        Some(u as i64)
    }
}

/// Go's `strconv.ParseFloat(s, 64)` restricted to decimal syntax (the only
/// form go-yaml can reach), including its underscore rules. Overflow is an
/// error in Go, so it is `None` here.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut underscores = false;
    while i < b.len() {
        match b[i] {
            b'_' => underscores = true,
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            underscores |= b[i] == b'_';
            i += 1;
        }
    }
    if i != b.len() || (underscores && !underscore_ok(s)) {
        return None;
    }
    let owned;
    let clean = if underscores {
        owned = s.replace('_', "");
        owned.as_str()
    } else {
        s
    };
    let f: f64 = clean.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

/// Go's `underscoreOK` for decimal literals: `_` only between digits.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut saw = b'^';
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// A timestamp accepted by go-yaml (`time.Parse` with its four layouts).
#[derive(Debug, PartialEq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nsec: u32,
    /// Zone offset in seconds; `None` means UTC.
    offset: Option<i32>,
}

impl Timestamp {
    /// Go's `time.Time` JSON form (RFC 3339 with trimmed nanoseconds).
    pub(crate) fn rfc3339(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.min, self.sec
        );
        if self.nsec != 0 {
            let frac = format!("{:09}", self.nsec);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        match self.offset {
            None | Some(0) => s.push('Z'),
            Some(off) => {
                let (sign, off) = if off < 0 { ('-', -off) } else { ('+', off) };
                let mins = off / 60;
                s.push_str(&format!("{sign}{:02}:{:02}", mins / 60, mins % 60));
            }
        }
        s
    }
}

/// go-yaml's `parseTimestamp`: layouts `2006-1-2T15:4:5.999999999Z07:00`,
/// the same with `t`, `2006-1-2 15:4:5.999999999`, and `2006-1-2`.
pub(crate) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    // Quick check: exactly four leading digits then '-'.
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |i: &mut usize| -> Option<u32> {
        let d0 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        let mut n = (d0 - b'0') as u32;
        if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + (d1 - b'0') as u32;
            *i += 1;
        }
        Some(n)
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    let year = s[..4].parse::<u32>().ok()?;
    let mut i = 5;
    let month = num(&mut i)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    lit(&mut i, b'-')?;
    let day = num(&mut i)?;
    let mut ts = Timestamp {
        year,
        month,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nsec: 0,
        offset: None,
    };
    if i < b.len() {
        let with_zone = match b[i] {
            b'T' | b't' => true,
            b' ' => false,
            _ => return None,
        };
        i += 1;
        // A space in a Go time layout matches a run of spaces.
        while !with_zone && b.get(i) == Some(&b' ') {
            i += 1;
        }
        ts.hour = num(&mut i)?;
        if ts.hour >= 24 {
            return None;
        }
        lit(&mut i, b':')?;
        ts.min = num(&mut i)?;
        if ts.min >= 60 {
            return None;
        }
        lit(&mut i, b':')?;
        ts.sec = num(&mut i)?;
        if ts.sec >= 60 {
            return None;
        }
        if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            // Go keeps at most nine fractional digits (truncating the rest).
            let digits = &s[start..i.min(start + 9)];
            let mut ns: u32 = digits.parse().ok()?;
            for _ in digits.len()..9 {
                ns *= 10;
            }
            ts.nsec = ns;
        }
        if with_zone {
            if b.get(i) == Some(&b'Z') {
                i += 1;
                ts.offset = Some(0);
            } else {
                let z = b.get(i..i + 6)?;
                if z[3] != b':' || !z[1..3].iter().chain(&z[4..6]).all(u8::is_ascii_digit) {
                    return None;
                }
                let hh = ((z[1] - b'0') * 10 + (z[2] - b'0')) as i32;
                let mm = ((z[4] - b'0') * 10 + (z[5] - b'0')) as i32;
                if hh > 24 || mm > 60 {
                    return None;
                }
                let off = (hh * 60 + mm) * 60;
                ts.offset = Some(match z[0] {
                    b'+' => off,
                    b'-' => -off,
                    _ => return None,
                });
                i += 6;
            }
        }
        if i != b.len() {
            return None;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return None;
    }
    Some(ts)
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(s: &str) -> Value {
        parse_stream(s).unwrap().remove(0).value
    }

    #[test]
    fn scalars() {
        let v = one("a: 012\nb: 0x1F\nc: 1_000\nd: yes\ne: 2020-01-01\nf: ~\ng: 1.5\nh: '1'\ni: 0o17\nj: +1\n");
        assert_eq!(
            v,
            json!({"a":10,"b":31,"c":1000,"d":"yes","e":"2020-01-01T00:00:00Z","f":null,"g":1.5,"h":"1","i":15,"j":1})
        );
    }

    #[test]
    fn timestamps() {
        let t = |s: &str| parse_timestamp(s).map(|t| t.rfc3339());
        assert_eq!(
            t("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            t("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(t("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(t("2021-02-29"), None);
        assert_eq!(t("2020-1-2").as_deref(), Some("2020-01-02T00:00:00Z"));
    }

    #[test]
    fn errors() {
        assert!(parse_stream("a: 1\na: 2\n").is_err());
        assert!(parse_stream("a: .inf\n").is_err());
        assert!(parse_stream("a:\n  1: x\n").is_err());
        assert!(parse_stream("a: !!null x\n").is_err());
        let e = parse_stream("a: [\n").unwrap_err();
        assert!(e.pos.is_some_and(|p| p.0 >= 1));
    }

    #[test]
    fn root_keys_and_merge() {
        let v = one("1: a\nb: &x {p: 1, q: 2}\nc: {<<: [*x, {r: 3, p: 9}], q: 5}\n");
        assert_eq!(
            v,
            json!({"1":"a","b":{"p":1,"q":2},"c":{"q":5,"p":1,"r":3}})
        );
    }

    #[test]
    fn empty_docs_and_lines() {
        let d = parse_stream("---\n---\n# c\n---\na: 1\n").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].value, Value::Null);
        assert_eq!(d[2].line, 5);
        assert_eq!(
            parse_stream("\u{feff}a: 1").unwrap()[0].value,
            json!({"a":1})
        );
    }

    #[test]
    fn bombs_and_depth() {
        let mut s = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 0..9 {
            let p = (b'a' + i) as char;
            let n = (b'a' + i + 1) as char;
            s.push_str(&format!(
                "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
            ));
        }
        assert!(parse_stream(&s).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_stream(&deep).is_err());
        let deep_map = (0..2000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect::<String>();
        assert!(parse_stream(&deep_map).is_err());
    }

    #[test]
    fn deep_but_allowed_renders() {
        let text = format!("{}1{}", "[".repeat(250), "]".repeat(250));
        let v = one(&text);
        assert!(crate::yaml::to_string(&v).starts_with("- - - "));
    }

    #[test]
    fn v2_rules_for_kustomizations() {
        let v = parse_stream_lenient("a: yes\nb: 2020-01-01\nc: 'on'\nd: !!bool off\ne: 1\ne: 2\n")
            .unwrap()
            .remove(0)
            .value;
        assert_eq!(
            v,
            json!({"a": true, "b": "2020-01-01", "c": "on", "d": false, "e": 2})
        );
        assert_eq!(
            one("a: yes\nb: 2020-01-01\n"),
            json!({"a": "yes", "b": "2020-01-01T00:00:00Z"})
        );
    }

    #[test]
    fn raw_texts_of_string_maps() {
        let text = "metadata:\n  annotations:\n    a: 1.50\n    b: '1.50'\n    c: x\n    d: &x 0o7\n    e: *x\n  labels: {l: 0x1F}\ndata:\n  n: ~\nspec:\n  x: 1.50\n";
        let d = parse_stream(text).unwrap().remove(0);
        let got: Vec<(Option<usize>, RawField, &str, &str)> = d
            .raw
            .iter()
            .map(|(i, r)| (*i, r.field, r.key.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (None, RawField::Annotation, "a", "1.50"),
                (None, RawField::Annotation, "d", "0o7"),
                (None, RawField::Annotation, "e", "0o7"),
                (None, RawField::Label, "l", "0x1F"),
                (None, RawField::Data, "n", "~"),
            ]
        );
        let list =
            "kind: List\nitems:\n- metadata: {name: a}\n- metadata: {annotations: {p: 8080}}\n";
        let d = parse_stream(list).unwrap().remove(0);
        assert_eq!(d.raw.len(), 1);
        assert_eq!(d.raw[0].0, Some(1));
        assert_eq!(d.raw[0].1.value, json!(8080));
    }

    #[test]
    fn kio_pieces() {
        let s = parse_kio("a: 1\n...\nb: 2\n---\n\u{feff}c: 3\n---\n", false).unwrap();
        let values: Vec<Value> = s.docs.iter().map(|d| d.value.clone()).collect();
        assert_eq!(values, [json!({"a": 1}), json!({"c": 3})]);
        assert_eq!(s.ignored, [3]);
        assert_eq!(s.docs[1].line, 5);
        let e = parse_kio("a: 1\n---\nb: [\n", false).unwrap_err();
        assert_eq!(e.pos.map(|p| p.0), Some(4));
        assert!(parse_kio("# c\n...\n", false).is_err());
        assert!(parse_kio("a: 1\n---\nb: 2\n", true).unwrap().ignored == [3]);
    }

    #[test]
    fn tags() {
        let v = one("a: !!str 1\nb: !!int \"12\"\nc: !!float 1\nd: !!binary aGVsbG8=\ne: !foo bar\nf: !!str\n");
        assert_eq!(
            v,
            json!({"a":"1","b":12,"c":1.0,"d":"hello","e":"bar","f":""})
        );
    }
}
