//! Strategic merge patch with kustomize (kyaml merge2) semantics.
//!
//! kustomize v5 does not use apimachinery's strategicpatch: it walks target
//! ("dest") and patch ("origin") together with kyaml's merge2 visitor, with
//! new list elements *prepended* (patch order first, then target-only
//! elements). Behaviours reproduced here, all checked against kustomize v5.5:
//! - maps merge recursively; a patch `null` clears a field; target fields
//!   with no value at all (`key:`) are dropped wherever the walk passes,
//!   a written `null` stays;
//! - lists merge element-wise only when the schema gives a `merge` strategy;
//!   otherwise (including custom resources without schema: kustomize does not
//!   infer keys here) the patch list replaces the target list;
//! - `$patch: delete|replace|merge` on maps (also on list elements);
//!   other directives (`$setElementOrder/..`, `$retainKeys`,
//!   `$deleteFromPrimitiveList/..`) are not understood and stay as fields;
//! - a patch value of a different kind than the target's is an error.
//!
//! The element-matching rules (including kyaml's quirks with multi-key lists
//! such as container ports keyed by containerPort+protocol) follow kyaml's
//! `walk` package step by step: which element wins and where it lands is
//! part of the output kustomize users see.

use super::merge_keys::{Schema, SchemaRef};
use crate::error::{Error, ErrorKind};
use crate::model::notes::Notes;
use crate::path::{Place, Step};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Deepest nesting accepted in target or patch.
const MAX_DEPTH: usize = 300;

/// Apply `patch` to `target` in place. When the patch deletes the whole
/// object (`$patch: delete` at the top), `target` becomes `Value::Null`.
pub fn strategic_merge(target: &mut Value, patch: &Value, schema: &Schema) -> Result<(), Error> {
    strategic_merge_noted(target, patch, schema, None)
}

/// The target's node notes (`notes`), with the target as it was when they
/// were looked at: their places are its places.
pub struct Styles<'a> {
    pub notes: &'a Notes,
    /// `None` when the target has no notes.
    pub before: Option<&'a Value>,
    /// The patch's own notes (the texts of its numbers).
    pub patch_notes: &'a Notes,
}

/// `strategic_merge`, with what kyaml's field setter does to node styles
/// and tags: a number or boolean written over a quoted string keeps the
/// quotes (it becomes that string), and an untagged scalar set back turns
/// into the string of its text.
pub fn strategic_merge_noted(
    target: &mut Value,
    patch: &Value,
    schema: &Schema,
    styles: Option<Styles<'_>>,
) -> Result<(), Error> {
    let dest_at = styles.as_ref().and_then(|s| s.before).map(|_| Vec::new());
    let origin_at = styles
        .as_ref()
        .filter(|s| !s.patch_notes.is_empty())
        .map(|_| Vec::new());
    let styles_patch = origin_at.as_ref().map(|_| patch.clone());
    let mut w = Walker {
        schema,
        path: Vec::new(),
        styles,
        dest_at,
        origin_at,
        patch: styles_patch,
        in_field: false,
        dest_present: false,
    };
    match w.walk(target, Some(patch), None, false)? {
        Out::InPlace => {}
        Out::New(v) => *target = v,
        Out::Clear => *target = Value::Null,
    }
    Ok(())
}

/// Result of walking one position.
enum Out {
    /// The dest value was merged in place and is the result.
    InPlace,
    /// A new value replaces dest (dest itself left untouched).
    New(Value),
    /// The position is removed.
    Clear,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Empty,
    Map,
    List,
    Scalar,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Empty,
        Value::Object(_) => Kind::Map,
        Value::Array(_) => Kind::List,
        _ => Kind::Scalar,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Empty => "null",
        Kind::Map => "MappingNode",
        Kind::List => "SequenceNode",
        Kind::Scalar => "ScalarNode",
    }
}

/// The text kyaml compares merge-key values by (a YAML scalar's value).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        _ => String::new(),
    }
}

fn is_empty_map(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

const PATCH_KEY: &str = "$patch";

/// `$patch` of a patch map: the directive and whether the key is to be
/// dropped (kyaml elides recognised directives from the patch).
fn directive(origin: Option<&Value>) -> Result<(Directive, bool), String> {
    let Some(o) = origin else {
        return Ok((Directive::Merge, false));
    };
    let Some(m) = o.as_object() else {
        return Err(format!(
            "no implemented strategic merge patch strategy for {}",
            kind_name(kind_of(o))
        ));
    };
    match m.get(PATCH_KEY) {
        None => Ok((Directive::Merge, false)),
        Some(v) => match scalar_text(v).as_str() {
            "delete" => Ok((Directive::Delete, true)),
            "replace" => Ok((Directive::Replace, true)),
            "merge" => Ok((Directive::Merge, true)),
            other => Err(format!("unknown patch strategy '{other}'")),
        },
    }
}

struct Walker<'s> {
    schema: &'s Schema,
    path: Vec<String>,
    styles: Option<Styles<'s>>,
    /// The place in `styles.before` of the target value being walked, while
    /// it is known.
    dest_at: Option<Place>,
    /// The place in the patch of the patch value being walked, while
    /// the patch has notes.
    origin_at: Option<Place>,
    /// The patch, while it has notes.
    patch: Option<Value>,
    /// The position walked is a field of a map (kyaml sets it with its
    /// field setter), not a list element.
    in_field: bool,
    /// The map field walked exists in the target (kyaml's field setter
    /// copies the style of an existing field only).
    dest_present: bool,
}

impl<'s> Walker<'s> {
    /// A failed merge: where (the dotted field path) and what.
    fn err(&self, message: impl Into<String>) -> Error {
        let message = message.into();
        let text = if self.path.is_empty() {
            format!("strategic merge patch: {message}")
        } else {
            format!(
                "strategic merge patch at {}: {message}",
                self.path.join(".")
            )
        };
        Error::new(ErrorKind::Patch, text)
    }

    /// kyaml looks a schema up by apiVersion/kind wherever none is known yet
    /// (top level, and embedded objects under schema-less fields).
    fn schema_from_meta(&self, v: &Value) -> Option<SchemaRef<'s>> {
        let m = v.as_object()?;
        let api = m.get("apiVersion")?.as_str()?;
        let kind = m.get("kind")?.as_str()?;
        if api.is_empty() || kind.is_empty() {
            return None;
        }
        self.schema.for_type(api, kind)
    }

    /// Walk one position. `dest` is `Null` when missing. `aliased`: dest is a
    /// copy of origin (kyaml walks an added patch subtree against itself).
    fn walk(
        &mut self,
        dest: &mut Value,
        origin: Option<&Value>,
        sch: Option<SchemaRef<'s>>,
        aliased: bool,
    ) -> Result<Out, Error> {
        if self.path.len() > MAX_DEPTH {
            return Err(self.err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        if origin.is_none() && dest.is_null() {
            // Nothing to apply: kustomize keeps a written `null` or `~`,
            // and drops a field with no value at all (`key:`).
            let empty = self
                .styles
                .as_ref()
                .zip(self.dest_at.as_ref())
                .and_then(|(st, at)| Some(st.notes.is_empty_null(st.before?, at)))
                .unwrap_or(false);
            return Ok(if empty { Out::Clear } else { Out::InPlace });
        }
        let dk = kind_of(dest);
        let ok = origin.map_or(Kind::Empty, kind_of);
        let kind = if dk != Kind::Empty { dk } else { ok };
        if ok != Kind::Empty && ok != kind {
            return Err(self.err(format!(
                "wrong node kind: expected {} but got {}",
                kind_name(kind),
                kind_name(ok)
            )));
        }
        let sch = match sch {
            Some(s) => Some(s),
            None => self
                .schema_from_meta(dest)
                .or_else(|| origin.and_then(|o| self.schema_from_meta(o))),
        };
        match kind {
            Kind::Map | Kind::Empty => self.walk_map(dest, origin, sch, aliased),
            Kind::List => match sch.and_then(|s| s.list()) {
                Some(meta) if meta.is_associative() => self.walk_assoc(dest, origin, sch, aliased),
                _ => Ok(replace_or_keep(origin)),
            },
            // An added subtree is walked against a copy of itself: no
            // target style to take.
            Kind::Scalar => match (self.in_field && !aliased)
                .then(|| self.styled(dest, origin))
                .flatten()
            {
                Some(v) => Ok(Out::New(v)),
                None => Ok(replace_or_keep(origin)),
            },
        }
    }

    /// What kyaml's field setter makes of a scalar field, where it is not
    /// the patch's value or the target's as they are.
    fn styled(&self, dest: &Value, origin: Option<&Value>) -> Option<Value> {
        let noted = || {
            let st = self.styles.as_ref()?;
            Some((st.notes, st.before?, self.dest_at.as_ref()?))
        };
        let patch_text = |p: &Value| {
            self.styles
                .as_ref()
                .zip(self.origin_at.as_ref().zip(self.patch.as_ref()))
                .and_then(|(st, (at, patch))| st.patch_notes.text(patch, at))
                .unwrap_or_else(|| scalar_text(p))
        };
        match origin {
            None => {
                let (notes, before, at) = noted()?;
                notes.untagged_text(before, at).map(Value::String)
            }
            // The patch's scalar takes the target's style: a folded one
            // over a scalar written otherwise prints as read; a string over
            // a folded one is printed folded.
            Some(Value::String(p))
                if self.dest_present && !dest.is_object() && !dest.is_array() =>
            {
                let dest_folded =
                    noted().is_some_and(|(notes, before, at)| notes.is_folded(before, at));
                let patch_read = self
                    .styles
                    .as_ref()
                    .zip(self.origin_at.as_ref().zip(self.patch.as_ref()))
                    .and_then(|(st, (at, patch))| st.patch_notes.folded_read(patch, at));
                match patch_read {
                    Some(read) if !dest_folded => Some(Value::String(read)),
                    Some(_) => None,
                    None if dest_folded => crate::yaml::folded_value(p).map(Value::String),
                    None => None,
                }
            }
            Some(p @ (Value::Number(_) | Value::Bool(_))) => {
                let d = dest.as_str()?;
                let quoted = d.contains('\n')
                    || !crate::yaml::resolve_plain(d).is_string()
                    || noted().is_some_and(|(notes, before, at)| notes.is_quoted(before, at));
                quoted.then(|| Value::String(patch_text(p)))
            }
            _ => None,
        }
    }

    fn walk_map(
        &mut self,
        dest: &mut Value,
        origin: Option<&Value>,
        sch: Option<SchemaRef<'s>>,
        aliased: bool,
    ) -> Result<Out, Error> {
        let mut fresh: Option<Value> = None;
        let elided;
        if dest.is_null() {
            // Add: kyaml ignores an unreadable directive here.
            let (d, e) = directive(origin).unwrap_or((Directive::Merge, false));
            match origin {
                Some(o) if o.is_object() && d != Directive::Delete => {
                    fresh = Some(o.clone());
                    elided = e;
                }
                _ => return Ok(Out::Clear),
            }
        } else {
            if origin.is_some_and(Value::is_null) {
                return Ok(Out::Clear);
            }
            let (d, e) = directive(origin).map_err(|m| self.err(m))?;
            elided = e;
            match d {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => fresh = Some(origin.cloned().unwrap_or_default()),
                Directive::Merge => {}
            }
        }
        let added = fresh.is_some();
        let aliased = aliased || added;
        let target: &mut Value = match fresh.as_mut() {
            Some(f) => f,
            None => dest,
        };
        let Some(tmap) = target.as_object_mut() else {
            return Ok(Out::Clear);
        };
        if elided && aliased {
            tmap.shift_remove(PATCH_KEY);
        }
        let omap = origin.and_then(Value::as_object);
        let mut names: Vec<String> = tmap.keys().cloned().collect();
        if let Some(om) = omap {
            for k in om.keys() {
                let directive_key = elided && k == PATCH_KEY;
                if !tmap.contains_key(k) && !directive_key {
                    names.push(k.clone());
                }
            }
        }
        for name in names {
            let fsch = sch.and_then(|s| s.field(&name));
            let o = if elided && name == PATCH_KEY {
                None
            } else {
                omap.and_then(|m| m.get(&name))
            };
            self.path.push(name.clone());
            self.dest_present = tmap.contains_key(&name);
            let parent_at = self.dest_at.take();
            self.dest_at = parent_at
                .as_ref()
                .filter(|_| !added)
                .map(|p| [p.as_slice(), &[Step::Key(name.clone())]].concat());
            let mut tmp = Value::Null;
            let slot = tmap.get_mut(&name).unwrap_or(&mut tmp);
            let parent_origin_at = self.origin_at.take();
            self.origin_at = parent_origin_at
                .as_ref()
                .filter(|_| o.is_some())
                .map(|p| [p.as_slice(), &[Step::Key(name.clone())]].concat());
            self.in_field = true;
            let out = self.walk(slot, o, fsch, aliased);
            self.dest_at = parent_at;
            self.origin_at = parent_origin_at;
            self.path.pop();
            match out? {
                Out::InPlace => {}
                Out::New(v) if !v.is_null() => {
                    tmap.insert(name, v);
                }
                Out::New(_) | Out::Clear => {
                    tmap.shift_remove(&name);
                }
            }
        }
        Ok(match fresh {
            Some(f) => Out::New(f),
            None => Out::InPlace,
        })
    }

    /// An associative (merge-keyed or primitive-merge) list.
    fn walk_assoc(
        &mut self,
        dest: &mut Value,
        origin: Option<&Value>,
        sch: Option<SchemaRef<'s>>,
        aliased: bool,
    ) -> Result<Out, Error> {
        let Some(meta) = sch.and_then(|s| s.list()) else {
            return Ok(replace_or_keep(origin));
        };
        let elem_sch = sch.and_then(|s| s.elements());
        let mut fresh: Option<Value> = None;
        if dest.is_null() {
            match origin {
                Some(o) if o.is_array() => fresh = Some(o.clone()),
                _ => return Ok(Out::Clear),
            }
        } else if origin.is_some_and(Value::is_null) {
            return Ok(Out::Clear);
        }
        let aliased = aliased || fresh.is_some();
        let dlist: Vec<Value> = match fresh.take() {
            Some(Value::Array(a)) => a,
            _ => match std::mem::take(dest) {
                Value::Array(a) => a,
                other => {
                    *dest = other;
                    return Ok(Out::InPlace);
                }
            },
        };
        let olist: Option<&Vec<Value>> = origin.and_then(Value::as_array);
        let keys: Vec<String> = meta.keys.iter().map(|k| k.to_string()).collect();
        let out = self.merge_elements(dlist, olist, &keys, elem_sch, aliased)?;
        Ok(Out::New(Value::Array(out)))
    }

    /// kyaml's setAssociativeSequenceElements + appendListNode, with patch
    /// elements first (kustomize merges with "prepend" direction).
    fn merge_elements(
        &mut self,
        mut dlist: Vec<Value>,
        olist: Option<&Vec<Value>>,
        keys: &[String],
        elem_sch: Option<SchemaRef<'s>>,
        aliased: bool,
    ) -> Result<Vec<Value>, Error> {
        let primitive = keys.is_empty();
        let keys: Vec<String> = if primitive {
            vec![String::new()]
        } else {
            keys.to_vec()
        };
        // All key-value tuples, patch elements first, deduplicated.
        let mut values_list: Vec<Vec<String>> = Vec::new();
        {
            let mut seen: HashSet<Vec<String>> = HashSet::new();
            let sources = olist.into_iter().chain(std::iter::once(&dlist));
            for src in sources {
                for e in src {
                    let vals: Vec<String> = if primitive {
                        vec![scalar_text(e)]
                    } else {
                        keys.iter()
                            .map(|k| e.get(k.as_str()).map(scalar_text).unwrap_or_default())
                            .collect()
                    };
                    if seen.insert(vals.clone()) {
                        values_list.push(vals);
                    }
                }
            }
        }
        if keys.len() > 1 {
            merge_values(&mut values_list);
        }
        let mut items = Items::default();
        let mut dest_index = ListIndex::new(&dlist, &keys);
        let mut origin_index = olist.map(|o| ListIndex::new(o, &keys));
        let mut valid_keys = keys.clone();
        for (n, values) in values_list.iter().enumerate() {
            if values.is_empty() {
                continue;
            }
            let (vk, vv) = validate_keys(&values_list, values, &keys);
            let (sk, sv) = validate_keys(std::slice::from_ref(&vv), &vv, &vk);
            let di = dest_index.find(&dlist, &sk, &sv);
            let oi = match (olist, origin_index.as_mut()) {
                (Some(o), Some(ix)) => ix.find(o, &sk, &sv),
                _ => None,
            };
            let oe = olist.zip(oi).map(|(o, i)| &o[i]);
            self.path.push(format!("[{}]", describe(&sk, &sv, n)));
            let mut tmp = Value::Null;
            let slot = match di {
                Some(i) => &mut dlist[i],
                None => &mut tmp,
            };
            // The element's place before the merge: found again by its keys.
            let parent_at = self.dest_at.take();
            self.dest_at = match (&parent_at, self.styles.as_ref().and_then(|s| s.before), di) {
                (Some(p), Some(before), Some(_)) if !aliased => crate::path::get(before, p)
                    .and_then(Value::as_array)
                    .and_then(|l| find_element(l, &sk, &sv))
                    .map(|j| [p.as_slice(), &[Step::Index(j)]].concat()),
                _ => None,
            };
            let parent_origin_at = self.origin_at.take();
            self.origin_at = parent_origin_at
                .as_ref()
                .zip(oi)
                .map(|(p, i)| [p.as_slice(), &[Step::Index(i)]].concat());
            self.in_field = false;
            let out = self.walk(slot, oe, elem_sch, aliased);
            self.dest_at = parent_at;
            self.origin_at = parent_origin_at;
            self.path.pop();
            let val: Option<Value> = match out? {
                Out::InPlace => di.map(|i| dlist[i].clone()).filter(|v| !v.is_null()),
                Out::New(v) => Some(v),
                Out::Clear => None,
            };
            valid_keys = vk.clone();
            let mut val = match val {
                Some(v) if !v.is_null() && !is_empty_map(&v) => v,
                _ => {
                    element_setter(&mut dlist, None, &vk, &vv).map_err(|m| self.err(m))?;
                    dest_index.invalidate();
                    continue;
                }
            };
            if let Some(m) = val.as_object_mut() {
                for (k, v) in vk.iter().zip(&vv) {
                    if !k.is_empty() && !v.is_empty() && !m.contains_key(k) {
                        m.insert(k.clone(), Value::String(v.clone()));
                    }
                }
            }
            items.set(Some(val), &vk, &vv).map_err(|m| self.err(m))?;
        }
        if values_list.is_empty() {
            return Ok(dlist);
        }
        // appendListNode(items, dest): target elements land on their merged
        // entries (or at the end).
        for elem in dlist {
            if valid_keys.first().is_none_or(String::is_empty) {
                let t = scalar_text(&elem);
                items
                    .set(Some(elem), &[String::new()], &[t])
                    .map_err(|m| self.err(m))?;
                continue;
            }
            let mut v: Vec<String> = Vec::new();
            for k in &valid_keys {
                match elem.as_object() {
                    None => return Err(self.err("wrong node kind: expected MappingNode")),
                    Some(m) => match m.get(k) {
                        Some(x) => v.push(scalar_text(x)),
                        None => items.push(elem.clone()),
                    },
                }
            }
            if valid_keys.len() > 1 {
                items.set(None, &valid_keys, &v).map_err(|m| self.err(m))?;
            }
            items
                .set(Some(elem), &valid_keys, &v)
                .map_err(|m| self.err(m))?;
        }
        Ok(items.into_vec())
    }
}

/// Scalars and non-associative lists: the patch value wins when present.
fn replace_or_keep(origin: Option<&Value>) -> Out {
    match origin {
        Some(Value::Null) => Out::Clear,
        Some(o) => Out::New(o.clone()),
        None => Out::InPlace,
    }
}

fn describe(keys: &[String], values: &[String], n: usize) -> String {
    if keys.first().is_none_or(String::is_empty) {
        return values.first().cloned().unwrap_or_else(|| n.to_string());
    }
    keys.iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// kyaml's mergeValues: tuples equal except where one side is empty are
/// unified (e.g. a port without protocol matches the same port with one).
fn merge_values(list: &mut [Vec<String>]) {
    for i in 0..list.len() {
        let v1 = list[i].clone();
        for j in 0..list.len() {
            if let Some(res) = match_values(&v1, &list[j]) {
                list[i] = res.clone();
                list[j] = res;
            }
        }
    }
}

fn match_values(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut res = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            res.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            res.push(x.clone());
        } else {
            res.push(y.clone());
        }
    }
    common.then_some(res)
}

/// kyaml's validateKeys: keep the keys that have a value somewhere.
fn validate_keys(
    all: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut set: HashSet<&str> = HashSet::new();
    for vals in all {
        for (i, v) in vals.iter().enumerate() {
            if !v.is_empty() {
                if let Some(k) = keys.get(i) {
                    set.insert(k);
                }
            }
        }
    }
    if set.is_empty() {
        return (keys.to_vec(), values.to_vec());
    }
    let vk = keys
        .iter()
        .filter(|k| set.contains(k.as_str()))
        .cloned()
        .collect();
    let vv = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || keys.get(*i).is_some_and(|k| set.contains(k.as_str())))
        .map(|(_, v)| v.clone())
        .collect();
    (vk, vv)
}

/// Does `item` match field `name` = `value`? An empty value only requires
/// the field to exist (kyaml's FieldMatcher with an empty string value);
/// an empty name compares a scalar item itself.
fn field_matches(item: &Value, name: &str, value: &str) -> Result<bool, String> {
    if name.is_empty() {
        if item.is_object() || item.is_array() {
            return Err("wrong node kind: expected ScalarNode".into());
        }
        return Ok(scalar_text(item) == value);
    }
    let m = item
        .as_object()
        .ok_or_else(|| "wrong node kind: expected MappingNode".to_string())?;
    Ok(match m.get(name) {
        Some(f) => value.is_empty() || scalar_text(f) == value,
        None => false,
    })
}

/// kyaml's ElementSetter on a plain list (used for deletions from dest).
fn element_setter(
    list: &mut Vec<Value>,
    element: Option<Value>,
    keys: &[String],
    values: &[String],
) -> Result<(), String> {
    let mut items = Items {
        list: std::mem::take(list),
        index: None,
    };
    let r = items.set(element, keys, values);
    *list = items.into_vec();
    r
}

/// Index from single-key value to positions, so lookups on long lists do not
/// scan per element. Built lazily; used only where it gives kyaml's answer
/// (single non-empty key whose value is present).
struct ListIndex {
    key: Option<String>,
    map: Option<HashMap<String, usize>>,
}

/// Lists shorter than this are scanned; indexing would cost more.
const INDEX_MIN_LEN: usize = 16;

impl ListIndex {
    fn new(list: &[Value], keys: &[String]) -> ListIndex {
        let key = (keys.len() == 1 && !keys[0].is_empty() && list.len() >= INDEX_MIN_LEN)
            .then(|| keys[0].clone());
        let mut ix = ListIndex { key, map: None };
        ix.build(list);
        ix
    }

    fn build(&mut self, list: &[Value]) {
        let Some(k) = &self.key else {
            return;
        };
        let mut map = HashMap::with_capacity(list.len());
        for (i, e) in list.iter().enumerate() {
            if let Some(v) = e.as_object().and_then(|m| m.get(k)) {
                // First match wins, like kyaml's ElementMatcher.
                map.entry(scalar_text(v)).or_insert(i);
            }
        }
        self.map = Some(map);
    }

    fn invalidate(&mut self) {
        self.map = None;
    }

    /// kyaml's ElementMatcher: the first map element whose fields equal the
    /// values (for an empty key: the first scalar equal to the value).
    fn find(&mut self, list: &[Value], keys: &[String], values: &[String]) -> Option<usize> {
        if let (Some(k), [only_key], [v]) = (&self.key, keys, values) {
            if only_key == k && !v.is_empty() {
                if self.map.is_none() {
                    self.build(list);
                }
                if let Some(m) = &self.map {
                    return m.get(v).copied();
                }
            }
        }
        find_element(list, keys, values)
    }
}

fn find_element(list: &[Value], keys: &[String], values: &[String]) -> Option<usize> {
    if keys.first().is_none_or(String::is_empty) {
        let want = values.first().map(String::as_str).unwrap_or("");
        return list.iter().position(|e| scalar_text(e) == want);
    }
    list.iter().position(|e| {
        let Some(m) = e.as_object() else {
            return false;
        };
        keys.iter()
            .zip(values)
            .all(|(k, v)| m.get(k).is_some_and(|f| scalar_text(f) == *v))
    })
}

/// The list being built (kyaml's itemsToBeAdded), with kyaml's ElementSetter.
#[derive(Default)]
struct Items {
    list: Vec<Value>,
    /// Single-key fast path: key, and value -> positions of items having it.
    index: Option<(String, HashMap<String, Vec<usize>>)>,
}

impl Items {
    fn push(&mut self, v: Value) {
        self.index = None;
        self.list.push(v);
    }

    fn into_vec(self) -> Vec<Value> {
        self.list
    }

    /// ElementSetter: drop empty elements, replace (or with `None` delete)
    /// every element matching all key/value pairs, append when none matched.
    fn set(
        &mut self,
        element: Option<Value>,
        keys: &[String],
        values: &[String],
    ) -> Result<(), String> {
        let element = element.filter(|e| !e.is_null());
        if let Some(done) = self.fast_set(&element, keys, values) {
            return Ok(done);
        }
        self.index = None;
        let keys_owned;
        let keys = if keys.is_empty() {
            keys_owned = vec![String::new()];
            &keys_owned[..]
        } else {
            keys
        };
        let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
        let mut out = Vec::with_capacity(self.list.len() + 1);
        let mut matched = false;
        for item in std::mem::take(&mut self.list) {
            if item.is_null() || is_empty_map(&item) {
                continue;
            }
            if !item.is_object() && mapping_setter {
                out.push(item);
                continue;
            }
            let mut found = false;
            for (j, k) in keys.iter().enumerate() {
                if let Some(v) = values.get(j) {
                    found = field_matches(&item, k, v)?;
                }
                if !found {
                    break;
                }
            }
            if !found {
                if !values.is_empty() {
                    out.push(item);
                }
                continue;
            }
            matched = true;
            if let Some(e) = &element {
                out.push(e.clone());
            }
        }
        if let Some(e) = element {
            if !matched {
                out.push(e);
            }
        }
        self.list = out;
        Ok(())
    }

    /// Same result as `set` for the common case (one key, non-empty value,
    /// replacing or appending an element, no empty items), without a scan.
    fn fast_set(
        &mut self,
        element: &Option<Value>,
        keys: &[String],
        values: &[String],
    ) -> Option<()> {
        let ([key], [value], Some(elem)) = (keys, values, element) else {
            return None;
        };
        if key.is_empty() || value.is_empty() || is_empty_map(elem) {
            return None;
        }
        if self.index.as_ref().is_none_or(|(k, _)| k != key) {
            // Build only when every item is a non-empty map (else kyaml's
            // dropping/keeping rules apply: take the slow path).
            if self.list.len() < INDEX_MIN_LEN {
                return None;
            }
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, it) in self.list.iter().enumerate() {
                let m = it.as_object().filter(|m| !m.is_empty())?;
                if let Some(v) = m.get(key) {
                    map.entry(scalar_text(v)).or_default().push(i);
                }
            }
            self.index = Some((key.clone(), map));
        }
        let (_, map) = self.index.as_mut()?;
        match map.get(value) {
            Some(pos) => {
                for &p in pos {
                    self.list[p] = elem.clone();
                }
            }
            None => {
                map.insert(value.clone(), vec![self.list.len()]);
                self.list.push(elem.clone());
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn smp(t: Value, p: Value) -> Value {
        let mut t = t;
        strategic_merge(&mut t, &p, Schema::builtin()).expect("merge");
        t
    }

    #[test]
    fn containers_prepend_and_merge() {
        let t = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}}}});
        let p = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": "3"}, {"name": "a", "image": "9"}]}}}});
        let r = smp(t, p);
        assert_eq!(
            r["spec"]["template"]["spec"]["containers"],
            json!([{"name": "c", "image": "3"}, {"name": "a", "image": "9"}, {"name": "b", "image": "2"}])
        );
    }

    #[test]
    fn long_list_uses_index_same_result() {
        let envs: Vec<Value> = (0..100)
            .map(|i| json!({"name": format!("E{i}"), "value": "x"}))
            .collect();
        let t = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "env": envs}]}});
        let p = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "env": [
            {"name": "E50", "value": "y"}, {"name": "NEW", "value": "z"}]}]}});
        let r = smp(t, p);
        let env = r["spec"]["containers"][0]["env"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(env.len(), 101);
        assert_eq!(env[0], json!({"name": "E50", "value": "y"}));
        assert_eq!(env[1], json!({"name": "NEW", "value": "z"}));
        assert_eq!(env[2], json!({"name": "E0", "value": "x"}));
    }

    #[test]
    fn kind_mismatch_is_error_with_path() {
        let mut t = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
        let e = strategic_merge(&mut t, &json!({"data": "x"}), Schema::builtin());
        assert!(e
            .unwrap_err()
            .message
            .contains("strategic merge patch at data:"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut deep = json!(1);
        for _ in 0..310 {
            let mut m = Map::new();
            m.insert("a".into(), deep);
            deep = Value::Object(m);
        }
        let mut t = deep.clone();
        let r = strategic_merge(&mut t, &deep, Schema::builtin());
        assert!(r.is_err_and(|e| e.message.contains("deeper")));
    }
}
