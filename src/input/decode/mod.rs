//! Decoding kustomize's typed configuration (the kustomization, its entries,
//! `configurations:` files, replacement files, builtin plugin configs) the
//! way kustomize's Go code does, driven by the type tables in [`shapes`].
//!
//! kustomize reads these through `encoding/json` (after turning the YAML
//! into JSON), so every level behaves alike:
//! - a key names a field when it equals the field's JSON name or, where Go
//!   folds case, equals it under Unicode simple case folding (`newtag`,
//!   `NEWTAG`; U+212A KELVIN SIGN and U+017F LONG S fold to `k` and `s`);
//! - an unknown key is an error in strict contexts and ignored elsewhere;
//! - keys are decoded in byte order (the YAML→JSON step sorts them), each
//!   into the value the earlier ones left: structs and maps merge, a list
//!   decodes its items over the items already there (Go reuses the slice's
//!   backing array, even beyond its current length), a scalar is replaced;
//! - `null` resets pointers, maps, lists and `interface{}` and leaves other
//!   values alone;
//! - types are checked (a number is not a string, a whole number is an
//!   int64), except that `sigs.k8s.io/yaml.Unmarshal` first turns numbers and
//!   booleans headed for a string field into strings ([`Coerce`]).
//!
//! The result is the same JSON value with every key spelt as its field's
//! canonical name, ready for serde.

pub mod shapes;

use crate::error::{Error, ErrorKind};
use crate::path::{path_text, Step};
use serde_json::{Map, Number, Value};
use std::fmt::Write as _;
use std::path::Path;

/// A Go type, as far as decoding is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Str,
    Bool,
    /// int / int64.
    Int,
    /// `interface{}`: any value, replaced whole.
    Any,
    List(&'static Shape),
    /// `map[string]T`: keys are data, matched exactly.
    Map(&'static Shape),
    Struct(&'static Struct),
    /// `*T`: `null` resets it.
    Ptr(&'static Shape),
}

/// A Go struct: its fields in declaration order.
#[derive(Debug)]
pub struct Struct {
    /// The Go type name (for reference only).
    pub name: &'static str,
    pub fields: &'static [Field],
}

#[derive(Debug)]
pub enum Field {
    /// A field with its JSON name.
    Named(&'static str, Shape),
    /// An embedded struct (`json:",inline"`): its fields are promoted.
    Embedded(&'static Struct),
}

impl Struct {
    /// The JSON field names and shapes, embedded structs flattened (Go's
    /// promotion), with the index of the top-level field each comes from.
    pub fn all_fields(&self) -> Vec<(&'static str, Shape, usize)> {
        let mut out = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            match f {
                Field::Named(n, s) => out.push((*n, *s, i)),
                Field::Embedded(e) => {
                    out.extend(e.all_fields().into_iter().map(|(n, s, _)| (n, s, i)))
                }
            }
        }
        out
    }

    /// The JSON field names, embedded structs flattened.
    pub fn field_names(&self) -> Vec<&'static str> {
        self.all_fields().into_iter().map(|(n, _, _)| n).collect()
    }
}

/// Turning numbers and booleans into strings where the target is a string,
/// as `sigs.k8s.io/yaml.Unmarshal` does before JSON decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coerce {
    /// No conversion (`yaml.YAMLToJSON` + `encoding/json`, or go-yaml v3).
    No,
    /// The file's YAML scalars as go-yaml v2 read them: floats are written
    /// with Go's `%g` at float32 precision.
    Direct,
    /// A config kustomize first loaded as a resource: its numbers passed
    /// through JSON (floats printed by `encoding/json`) before go-yaml v2
    /// read them back.
    ViaJson,
}

/// How one kind of input is decoded.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Unknown fields are errors (`DisallowUnknownFields`).
    pub strict: bool,
    /// Field names match case-insensitively (`encoding/json`; go-yaml v3
    /// matches exactly).
    pub fold: bool,
    pub coerce: Coerce,
}

/// The kustomization file: `yaml.YAMLToJSON` then a strict JSON decoder.
pub const KUSTOMIZATION: Mode = Mode {
    strict: true,
    fold: true,
    coerce: Coerce::No,
};
/// `configurations:` files: `sigs.k8s.io/yaml.UnmarshalStrict`.
pub const TRANSFORMER_CONFIG: Mode = Mode {
    strict: true,
    fold: true,
    coerce: Coerce::Direct,
};
/// Replacement files named by `replacements: [{path: …}]`:
/// `sigs.k8s.io/yaml.Unmarshal`.
pub const REPLACEMENT_FILE: Mode = Mode {
    strict: false,
    fold: true,
    coerce: Coerce::Direct,
};
/// Most builtin plugin configs: `sigs.k8s.io/yaml.Unmarshal` of the object.
pub const PLUGIN: Mode = Mode {
    strict: false,
    fold: true,
    coerce: Coerce::ViaJson,
};
/// The prefix/suffix plugins: go-yaml v3 (`kyaml/yaml.Unmarshal`).
pub const PLUGIN_YAML_V3: Mode = Mode {
    strict: false,
    fold: false,
    coerce: Coerce::No,
};

/// Why a value could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// `field` is not a field of the struct at the problem's path.
    Unknown {
        field: String,
        known: Vec<&'static str>,
    },
    /// The value at the problem's path has the wrong type.
    Type {
        expected: &'static str,
        found: &'static str,
    },
}

/// A decoding failure and where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// For `Unknown`, the path to the struct; for `Type`, to the value.
    pub path: Vec<Step>,
    pub kind: ProblemKind,
}

impl Problem {
    /// The path to the offending key or value in the source document.
    pub fn source_path(&self) -> Vec<Step> {
        let mut p = self.path.clone();
        if let ProblemKind::Unknown { field, .. } = &self.kind {
            p.push(Step::Key(field.clone()));
        }
        p
    }

    /// The user-facing error: `what` names the root (`kustomization`,
    /// `transformer configuration`, …); `src` is the file's text and the
    /// index of the document, to give the line and column.
    pub fn to_error(&self, file: &Path, what: &str, src: Option<(&str, usize)>) -> Error {
        let at = if self.path.is_empty() {
            what.to_string()
        } else {
            path_text(&self.path)
        };
        let mut e = match &self.kind {
            ProblemKind::Unknown { field, known } => {
                let e = Error::new(
                    ErrorKind::Kustomization,
                    format!("unknown field `{field}` in {at}"),
                );
                match crate::input::kustomization::suggest(field, known) {
                    Some(s) => e.hint(format!("did you mean `{s}`?")),
                    None if known.len() > 12 => e.hint(
                        "see schemas/kustomization.schema.json for the fields kcompile accepts",
                    ),
                    None => e.hint(format!("the fields of {at} are: {}", known.join(", "))),
                }
            }
            ProblemKind::Type { expected, found } => {
                let e = Error::new(
                    ErrorKind::Kustomization,
                    format!("invalid {what}: `{at}` must be {expected}, not {found}"),
                );
                match *expected {
                    "a string" => e.hint("quote the value so that YAML reads it as a string"),
                    "a whole number" => e.hint("write a whole number without quotes"),
                    "a boolean" => e.hint("write true or false, without quotes"),
                    _ => e,
                }
            }
        }
        .file(file);
        if let Some((text, doc)) = src {
            if let Some((line, col)) = crate::yaml::locate(text, doc, &self.source_path()) {
                e = e.pos(line, col);
            }
        }
        e
    }
}

/// A decoded value and the unknown fields that were ignored (lenient modes).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub value: Value,
    /// Path to the struct and the ignored key, in decoding order.
    pub ignored: Vec<(Vec<Step>, String)>,
}

/// Decode `v` as Go decodes it into a value of `shape`, returning it with
/// canonical field names. A `null` or absent document decodes to `null`.
pub fn decode(v: Value, shape: &Shape, mode: Mode) -> Result<Decoded, Problem> {
    let mut v = v;
    if mode.coerce != Coerce::No {
        coerce(&mut v, Some(*shape), mode.coerce);
    }
    let mut d = Decoder {
        mode,
        path: Vec::new(),
        ignored: Vec::new(),
    };
    let mut slot = Slot::Zero;
    d.decode_into(&mut slot, v, shape)?;
    Ok(Decoded {
        value: finish(slot, shape).unwrap_or(Value::Null),
        ignored: d.ignored,
    })
}

/// Does `key` name the field `name` under Go's `encoding/json` case folding?
/// Field names are ASCII, so only ASCII letters and the two non-ASCII
/// letters whose simple-fold orbit holds an ASCII letter can match.
pub fn fold_eq(key: &str, name: &str) -> bool {
    let mut k = key.chars();
    for n in name.chars() {
        let Some(c) = k.next() else { return false };
        let c = match c {
            '\u{212A}' => 'k',
            '\u{017F}' => 's',
            c => c,
        };
        if !c.eq_ignore_ascii_case(&n) {
            return false;
        }
    }
    k.next().is_none()
}

/// The field a key names: an exact match first, else (folding) the first
/// field in declaration order that matches under case folding.
fn lookup(fields: &[(&'static str, Shape, usize)], key: &str, fold: bool) -> Option<usize> {
    fields.iter().position(|(n, _, _)| *n == key).or_else(|| {
        fold.then(|| fields.iter().position(|(n, _, _)| fold_eq(key, n)))
            .flatten()
    })
}

/// The Go value being decoded into.
enum Slot {
    /// The zero value, or nil.
    Zero,
    /// A string, bool, number, or an `interface{}` value.
    Scalar(Value),
    /// One slot per flattened field.
    Struct(Vec<Slot>),
    Map(Map<String, Value>),
    /// The slice's backing array (every item ever decoded) and its length.
    List(Vec<Slot>, usize),
}

struct Decoder {
    mode: Mode,
    path: Vec<Step>,
    ignored: Vec<(Vec<Step>, String)>,
}

impl Decoder {
    fn type_err(&self, expected: &'static str, v: &Value) -> Problem {
        Problem {
            path: self.path.clone(),
            kind: ProblemKind::Type {
                expected,
                found: crate::yaml::describe(v),
            },
        }
    }

    /// A mapping's entries in the order Go decodes them.
    fn entries(&self, m: Map<String, Value>) -> Vec<(String, Value)> {
        let mut e: Vec<(String, Value)> = m.into_iter().collect();
        if self.mode.fold {
            // YAML→JSON marshals a Go map: keys in byte order.
            e.sort_by(|a, b| a.0.cmp(&b.0));
        }
        e
    }

    fn decode_into(&mut self, slot: &mut Slot, v: Value, shape: &Shape) -> Result<(), Problem> {
        match shape {
            Shape::Ptr(inner) => {
                if v.is_null() {
                    *slot = Slot::Zero;
                    return Ok(());
                }
                self.decode_into(slot, v, inner)
            }
            Shape::Any => {
                *slot = if v.is_null() {
                    Slot::Zero
                } else {
                    Slot::Scalar(v)
                };
                Ok(())
            }
            Shape::Str => match v {
                Value::Null => Ok(()),
                Value::String(_) => {
                    *slot = Slot::Scalar(v);
                    Ok(())
                }
                other => Err(self.type_err("a string", &other)),
            },
            Shape::Bool => match v {
                Value::Null => Ok(()),
                Value::Bool(_) => {
                    *slot = Slot::Scalar(v);
                    Ok(())
                }
                other => Err(self.type_err("a boolean", &other)),
            },
            Shape::Int => match v {
                Value::Null => Ok(()),
                Value::Number(ref n) => match whole_number(n) {
                    Some(i) => {
                        *slot = Slot::Scalar(Value::from(i));
                        Ok(())
                    }
                    None => Err(self.type_err("a whole number", &v)),
                },
                other => Err(self.type_err("a whole number", &other)),
            },
            Shape::List(item) => match v {
                Value::Null => {
                    *slot = Slot::Zero;
                    Ok(())
                }
                Value::Array(items) => {
                    let (mut backing, _) = match std::mem::replace(slot, Slot::Zero) {
                        Slot::List(b, n) => (b, n),
                        _ => (Vec::new(), 0),
                    };
                    let n = items.len();
                    for (i, it) in items.into_iter().enumerate() {
                        if i == backing.len() {
                            backing.push(Slot::Zero);
                        }
                        self.path.push(Step::Index(i));
                        self.decode_into(&mut backing[i], it, item)?;
                        self.path.pop();
                    }
                    if n == 0 {
                        // Go replaces the slice with a new empty one.
                        backing.clear();
                    }
                    *slot = Slot::List(backing, n);
                    Ok(())
                }
                other => Err(self.type_err("a list", &other)),
            },
            Shape::Map(elem) => match v {
                Value::Null => {
                    *slot = Slot::Zero;
                    Ok(())
                }
                Value::Object(m) => {
                    let mut out = match std::mem::replace(slot, Slot::Zero) {
                        Slot::Map(m) => m,
                        _ => Map::new(),
                    };
                    for (k, val) in self.entries(m) {
                        // Each map value is decoded into a fresh zero value.
                        let mut fresh = Slot::Zero;
                        self.path.push(Step::Key(k.clone()));
                        self.decode_into(&mut fresh, val, elem)?;
                        self.path.pop();
                        out.insert(k, finish(fresh, elem).unwrap_or_else(|| zero(elem)));
                    }
                    *slot = Slot::Map(out);
                    Ok(())
                }
                other => Err(self.type_err("a mapping", &other)),
            },
            Shape::Struct(s) => match v {
                Value::Null => Ok(()),
                Value::Object(m) => {
                    let fields = s.all_fields();
                    let mut slots = match std::mem::replace(slot, Slot::Zero) {
                        Slot::Struct(f) => f,
                        _ => fields.iter().map(|_| Slot::Zero).collect(),
                    };
                    for (k, val) in self.entries(m) {
                        let Some(i) = lookup(&fields, &k, self.mode.fold) else {
                            if self.mode.strict {
                                return Err(Problem {
                                    path: self.path.clone(),
                                    kind: ProblemKind::Unknown {
                                        field: k,
                                        known: s.field_names(),
                                    },
                                });
                            }
                            self.ignored.push((self.path.clone(), k));
                            continue;
                        };
                        self.path.push(Step::Key(k));
                        self.decode_into(&mut slots[i], val, &fields[i].1)?;
                        self.path.pop();
                    }
                    *slot = Slot::Struct(slots);
                    Ok(())
                }
                other => Err(self.type_err("a mapping", &other)),
            },
        }
    }
}

/// An int64 from a JSON number as Go's decoder accepts it: the number's
/// JSON text must be a whole number in range (a float from YAML is written
/// without a fraction when it has none).
fn whole_number(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    // 2^63: the first value out of range. Floats at or above 1e21 are
    // written with an exponent, which ParseInt refuses; they are also out
    // of range.
    (f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f))
        .then_some(f as i64)
}

/// The Go zero value of a shape, as it appears inside a list or map.
fn zero(shape: &Shape) -> Value {
    match shape {
        Shape::Str => Value::String(String::new()),
        Shape::Bool => Value::Bool(false),
        Shape::Int => Value::from(0),
        Shape::Struct(_) => Value::Object(Map::new()),
        Shape::Any | Shape::List(_) | Shape::Map(_) | Shape::Ptr(_) => Value::Null,
    }
}

/// The JSON value of a slot; `None` for an unset field (zero or nil).
fn finish(slot: Slot, shape: &Shape) -> Option<Value> {
    let inner = match shape {
        Shape::Ptr(i) => i,
        s => s,
    };
    match slot {
        Slot::Zero => None,
        Slot::Scalar(v) => Some(v),
        Slot::Map(m) => Some(Value::Object(m)),
        Slot::List(mut backing, n) => {
            let Shape::List(item) = inner else {
                return None;
            };
            backing.truncate(n);
            Some(Value::Array(
                backing
                    .into_iter()
                    .map(|s| finish(s, item).unwrap_or_else(|| zero(item)))
                    .collect(),
            ))
        }
        Slot::Struct(slots) => {
            let Shape::Struct(s) = inner else {
                return None;
            };
            let mut m = Map::new();
            for ((name, shape, _), slot) in s.all_fields().into_iter().zip(slots) {
                if let Some(v) = finish(slot, &shape) {
                    m.insert(name.to_string(), v);
                }
            }
            Some(Value::Object(m))
        }
    }
}

/// `sigs.k8s.io/yaml`'s type-directed conversion: numbers and booleans
/// whose target is a string become strings. Like kustomize's copy of it, a
/// key that names a promoted field is followed into the embedded struct
/// the field comes from, not into the field, so scalars under promoted
/// fields stay as they are.
fn coerce(v: &mut Value, target: Option<Shape>, how: Coerce) {
    let target = match target {
        Some(Shape::Ptr(inner)) => Some(*inner),
        t => t,
    };
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                let t = match target {
                    Some(Shape::Struct(s)) => {
                        let fields = s.all_fields();
                        // sigs.k8s.io/yaml: an exact match, else the first
                        // case-insensitive one.
                        lookup(&fields, k, true).map(|i| match &s.fields[fields[i].2] {
                            Field::Named(_, shape) => *shape,
                            Field::Embedded(e) => Shape::Struct(e),
                        })
                    }
                    Some(Shape::Map(elem)) => Some(*elem),
                    _ => None,
                };
                coerce(val, t, how);
            }
        }
        Value::Array(items) => {
            let t = match target {
                Some(Shape::List(item)) => Some(*item),
                _ => None,
            };
            for it in items {
                coerce(it, t, how);
            }
        }
        Value::Bool(b) => {
            if matches!(target, Some(Shape::Str)) {
                *v = Value::String(b.to_string());
            }
        }
        Value::Number(n) => {
            if matches!(target, Some(Shape::Str)) {
                *v = Value::String(number_text(n, how));
            }
        }
        _ => {}
    }
}

/// A number as sigs.k8s.io/yaml writes it for a string field: integers in
/// decimal, floats with Go's `strconv.FormatFloat(f, 'g', -1, 32)`.
fn number_text(n: &Number, how: Coerce) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if how == Coerce::ViaJson && f.fract() == 0.0 && f.abs() < 1e21 {
        // encoding/json writes it without a fraction; go-yaml v2 reads that
        // back as an integer when it fits.
        if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return (f as u64).to_string();
        }
    }
    go_format_g32(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest decimal that
/// reads back as the same float32, in `%e` form when the decimal exponent
/// is below -4 or at least 6 (Go's choice for the shortest form).
pub fn go_format_g32(f: f64) -> String {
    let x = f as f32;
    if x.is_infinite() {
        return if x < 0.0 { "-Inf" } else { "+Inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` prints the shortest round-trip digits: `-1.2345e-7`.
    let e = format!("{x:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// A value of `shape` with every field set (for tests that check a serde
/// struct reads every field the tables list).
#[cfg(test)]
pub(crate) fn sample(shape: &Shape) -> Value {
    match shape {
        Shape::Str => Value::from("x"),
        Shape::Bool => Value::Bool(true),
        Shape::Int => Value::from(1),
        Shape::Any => serde_json::json!({"any": ["thing"]}),
        Shape::List(i) => Value::Array(vec![sample(i)]),
        Shape::Map(e) => serde_json::json!({ "key": sample(e) }),
        Shape::Ptr(i) => sample(i),
        Shape::Struct(s) => Value::Object(
            s.all_fields()
                .into_iter()
                .map(|(n, sh, _)| (n.to_string(), sample(&sh)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(v: Value) -> Result<Value, Problem> {
        decode(v, &Shape::Struct(&shapes::KUSTOMIZATION), KUSTOMIZATION).map(|d| d.value)
    }

    #[test]
    fn folds_case_at_every_level() {
        let v = dec(json!({"IMAGES": [{"Name": "a", "newtag": "1"}], "kind": "Kustomization"}))
            .unwrap();
        assert_eq!(
            v,
            json!({"kind": "Kustomization", "images": [{"name": "a", "newTag": "1"}]})
        );
        // U+212A KELVIN SIGN and U+017F LONG S fold to k and s; dotted and
        // dotless i do not fold to i.
        assert!(fold_eq("\u{212A}ind", "kind"));
        assert!(fold_eq("image\u{017F}", "images"));
        assert!(!fold_eq("\u{130}mages", "images"));
        assert!(!fold_eq("\u{131}mages", "images"));
        assert!(!fold_eq("image", "images"));
    }

    #[test]
    fn unknown_fields_name_their_entry() {
        let p = dec(json!({"images": [{"name": "a"}, {"name": "b", "newTg": "2"}]})).unwrap_err();
        assert_eq!(p.path, vec![Step::Key("images".into()), Step::Index(1)]);
        assert!(matches!(&p.kind, ProblemKind::Unknown { field, .. } if field == "newTg"));
        let p = dec(json!({"patches": [{"patch": "x", "target": {"knd": "D"}}]})).unwrap_err();
        assert_eq!(path_text(&p.path), "patches[0].target");
    }

    #[test]
    fn collisions_follow_go() {
        // Byte order: `newTag` < `newtag`, so `newtag` is decoded last.
        let v = dec(json!({"images": [{"name": "s", "newtag": "low", "newTag": "cap"}]})).unwrap();
        assert_eq!(v["images"][0]["newTag"], "low");
        // `Images` < `images`: the second decodes over the first's items.
        let v = dec(json!({
            "Images": [{"name": "s", "newName": "other", "newTag": "b"}, {"name": "z"}],
            "images": [{"name": "s", "newTag": "a"}],
        }))
        .unwrap();
        assert_eq!(
            v["images"],
            json!([{"name": "s", "newName": "other", "newTag": "a"}])
        );
        // A third decode reaches items beyond the current length.
        let v = dec(json!({
            "IMAGES": [{"name": "a", "digest": "d1"}, {"name": "b", "digest": "d2"}],
            "Images": [{"name": "x"}],
            "images": [{"name": "y"}, {"name": "z"}],
        }))
        .unwrap();
        assert_eq!(
            v["images"],
            json!([{"name": "y", "digest": "d1"}, {"name": "z", "digest": "d2"}])
        );
        // Maps merge; null resets a map and leaves a string alone.
        let v =
            dec(json!({"CommonLabels": {"a": "1", "b": "2"}, "commonLabels": {"a": "3"}})).unwrap();
        assert_eq!(v["commonLabels"], json!({"a": "3", "b": "2"}));
        let v = dec(json!({"NAMESPACE": "x", "namespace": null, "CommonLabels": {"a": "1"}, "commonLabels": null})).unwrap();
        assert_eq!(v, json!({"namespace": "x"}));
    }

    #[test]
    fn types_are_checked() {
        let p = dec(json!({"commonLabels": {"a": 1}})).unwrap_err();
        assert_eq!(path_text(&p.path), "commonLabels.a");
        assert!(matches!(
            p.kind,
            ProblemKind::Type {
                expected: "a string",
                found: "a number"
            }
        ));
        let v = dec(json!({"replicas": [{"name": "w", "count": 3.0}]})).unwrap();
        assert_eq!(v["replicas"][0]["count"], 3);
        assert!(dec(json!({"replicas": [{"name": "w", "count": 3.5}]})).is_err());
        assert!(dec(json!({"replicas": [{"name": "w", "count": "3"}]})).is_err());
        assert!(dec(json!({"labels": [{"includeSelectors": "yes"}]})).is_err());
    }

    #[test]
    fn lenient_modes_ignore_and_coerce() {
        let shape = Shape::Struct(&shapes::IMAGE_TAG_TRANSFORMER);
        let d = decode(
            json!({"ImageTag": {"name": "s", "newtag": 2.5, "bogus": 1}, "apiVersion": "builtin"}),
            &shape,
            PLUGIN,
        )
        .unwrap();
        assert_eq!(d.value, json!({"imageTag": {"name": "s", "newTag": "2.5"}}));
        assert_eq!(d.ignored.len(), 2);
        // Promoted fields are not converted (kustomize's quirk).
        let shape = Shape::Struct(&shapes::CONFIG_MAP_GENERATOR);
        assert!(decode(json!({"name": 1}), &shape, PLUGIN).is_err());
        // go-yaml v3 matches names exactly.
        let shape = Shape::Struct(&shapes::PREFIX_TRANSFORMER);
        let d = decode(
            json!({"Prefix": "p-", "prefix": "q-"}),
            &shape,
            PLUGIN_YAML_V3,
        )
        .unwrap();
        assert_eq!(d.value, json!({"prefix": "q-"}));
    }

    #[test]
    fn floats_print_as_go_does() {
        for (f, s) in [
            (1.0, "1"),
            (2.5, "2.5"),
            (1e7, "1e+07"),
            (123456.0, "123456"),
            (1e-6, "1e-06"),
            (0.0001, "0.0001"),
            (1.23456789, "1.2345679"),
            (1234567.0, "1.234567e+06"),
            (0.00001234, "1.234e-05"),
            (99999.99, "99999.99"),
            (3e38, "3e+38"),
            (-0.5, "-0.5"),
            (1e21, "1e+21"),
        ] {
            assert_eq!(go_format_g32(f), s, "{f}");
        }
        assert_eq!(
            number_text(&Number::from_f64(1e7).unwrap(), Coerce::ViaJson),
            "10000000"
        );
        assert_eq!(
            number_text(&Number::from_f64(1e7).unwrap(), Coerce::Direct),
            "1e+07"
        );
    }

    #[test]
    fn field_names_are_unique_under_folding() {
        fn check(s: &'static Struct, seen: &mut Vec<&'static str>) {
            if seen.contains(&s.name) {
                return;
            }
            seen.push(s.name);
            let names = s.field_names();
            for (i, a) in names.iter().enumerate() {
                for b in &names[i + 1..] {
                    assert!(!fold_eq(a, b), "{}: {a} and {b}", s.name);
                }
            }
            for (_, shape, _) in s.all_fields() {
                let mut sh = shape;
                loop {
                    match sh {
                        Shape::List(i) | Shape::Map(i) | Shape::Ptr(i) => sh = *i,
                        Shape::Struct(t) => {
                            check(t, seen);
                            break;
                        }
                        _ => break,
                    }
                }
            }
        }
        let mut seen = Vec::new();
        for s in [
            &shapes::KUSTOMIZATION,
            &shapes::TRANSFORMER_CONFIG,
            &shapes::CONFIG_MAP_GENERATOR,
            &shapes::SECRET_GENERATOR,
            &shapes::NAMESPACE_TRANSFORMER,
            &shapes::REPLACEMENT_TRANSFORMER,
            &shapes::IAM_POLICY_GENERATOR,
        ] {
            check(s, &mut seen);
        }
    }
}
