//! ConfigMap and Secret generators (`configMapGenerator`, `secretGenerator`)
//! and the name-suffix hash, matching kustomize v5.5.
//!
//! Pure: file contents come through a caller-supplied reader. Generated
//! objects carry their base name; the caller appends the hash suffix (see
//! [`hash_suffix`], [`apply_hash_suffix`]) once merges and patches are done.

// `Error` is the crate-wide type; its size is not this module's choice.
#![allow(clippy::result_large_err)]

use crate::error::{Error, ErrorKind};
use crate::yaml::go;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How a generated object relates to one of the same id from a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Absent or unrecognised (kustomize accepts any string): acts as create.
    #[default]
    Unspecified,
    Create,
    Replace,
    Merge,
}

impl Behavior {
    /// kustomize's parsing: exact, case-sensitive; anything else is unspecified.
    pub fn parse(s: &str) -> Behavior {
        match s {
            "create" => Behavior::Create,
            "replace" => Behavior::Replace,
            "merge" => Behavior::Merge,
            _ => Behavior::Unspecified,
        }
    }
}

/// `generatorOptions` (kustomization level) or a generator's `options`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorOptions {
    /// `None` when absent; `Some(empty)` when given as `{}` (matters for merging).
    #[serde(default, deserialize_with = "opt_string_map")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "opt_string_map")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "null_default")]
    pub disable_name_suffix_hash: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub immutable: bool,
}

impl GeneratorOptions {
    /// Parses a `generatorOptions` value (strict like kustomize: unknown
    /// fields and non-string label values are errors; null means absent).
    pub fn from_value(v: &Value) -> Result<GeneratorOptions, Error> {
        serde_json::from_value(v.clone()).map_err(|e| {
            Error::new(
                ErrorKind::Kustomization,
                format!("invalid generatorOptions: {e}"),
            )
        })
    }
}

/// Combines a generator's own `options` with the kustomization's
/// `generatorOptions`: local labels/annotations win per key, global ones fill
/// in; a global `true` for disableNameSuffixHash/immutable cannot be undone
/// locally.
pub fn merge_options(
    local: Option<&GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> Option<GeneratorOptions> {
    let Some(global) = global else {
        return local.cloned();
    };
    let mut out = local.cloned().unwrap_or_default();
    fill_map(&mut out.labels, &global.labels);
    fill_map(&mut out.annotations, &global.annotations);
    out.disable_name_suffix_hash |= global.disable_name_suffix_hash;
    out.immutable |= global.immutable;
    Some(out)
}

fn fill_map(
    local: &mut Option<BTreeMap<String, String>>,
    global: &Option<BTreeMap<String, String>>,
) {
    match (local.as_mut(), global) {
        (None, Some(g)) => *local = Some(g.clone()),
        (Some(l), Some(g)) => {
            for (k, v) in g {
                l.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        _ => {}
    }
}

/// One entry of `configMapGenerator` or `secretGenerator`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorArgs {
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub namespace: String,
    /// Raw string; see [`Behavior::parse`].
    #[serde(default, deserialize_with = "null_default")]
    pub behavior: String,
    /// `key=value`; the value may contain `=`; matching surrounding quotes
    /// are stripped.
    #[serde(default, deserialize_with = "string_list")]
    pub literals: Vec<String>,
    /// `path` (key = basename) or `key=path`.
    #[serde(default, deserialize_with = "string_list")]
    pub files: Vec<String>,
    /// Env files: `KEY=VALUE` lines.
    #[serde(default, deserialize_with = "string_list")]
    pub envs: Vec<String>,
    /// Deprecated single env file; read after `envs`.
    #[serde(default, deserialize_with = "null_default")]
    pub env: String,
    #[serde(default)]
    pub options: Option<GeneratorOptions>,
    /// Secrets only (`type`); `None`/empty means `Opaque`.
    #[serde(default, rename = "type", deserialize_with = "opt_nullable")]
    pub secret_type: Option<String>,
}

impl GeneratorArgs {
    /// Parses one `configMapGenerator` entry (no `type` field allowed).
    pub fn configmap_from_value(v: &Value) -> Result<GeneratorArgs, Error> {
        if v.get("type").is_some() {
            return Err(Error::new(
                ErrorKind::Kustomization,
                "invalid configMapGenerator entry: unknown field \"type\"",
            )
            .hint("`type` is only valid in secretGenerator"));
        }
        Self::parse(v, "configMapGenerator")
    }

    /// Parses one `secretGenerator` entry.
    pub fn secret_from_value(v: &Value) -> Result<GeneratorArgs, Error> {
        Self::parse(v, "secretGenerator")
    }

    fn parse(v: &Value, what: &str) -> Result<GeneratorArgs, Error> {
        serde_json::from_value(v.clone()).map_err(|e| {
            Error::new(
                ErrorKind::Kustomization,
                format!("invalid {what} entry: {e}"),
            )
            .hint(
                "allowed fields: name, namespace, behavior, literals, files, envs, env, options \
                 (and type for secrets)",
            )
        })
    }

    pub fn behavior(&self) -> Behavior {
        Behavior::parse(&self.behavior)
    }

    fn env_sources(&self) -> impl Iterator<Item = &String> {
        self.envs
            .iter()
            .chain((!self.env.is_empty()).then_some(&self.env))
    }
}

/// A generated object and what the build must do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The ConfigMap/Secret, named without hash suffix, keys sorted.
    pub obj: Value,
    /// True unless `disableNameSuffixHash` (after merging options).
    pub needs_hash: bool,
    pub behavior: Behavior,
}

/// File reader: gets the path as written in the kustomization.
pub type ReadFn<'a> = dyn FnMut(&str) -> Result<Vec<u8>, Error> + 'a;

/// Generates a ConfigMap from a `configMapGenerator` entry.
pub fn generate_configmap(
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    read: &mut ReadFn<'_>,
) -> Result<Generated, Error> {
    generate(args, global, read, false)
}

/// Generates a Secret from a `secretGenerator` entry.
pub fn generate_secret(
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    read: &mut ReadFn<'_>,
) -> Result<Generated, Error> {
    generate(args, global, read, true)
}

fn gen_err(kind: ErrorKind, secret: bool, name: &str, msg: impl std::fmt::Display) -> Error {
    let what = if secret {
        "secretGenerator"
    } else {
        "configMapGenerator"
    };
    Error::new(kind, format!("{what} {name:?}: {msg}"))
}

fn generate(
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    read: &mut ReadFn<'_>,
    secret: bool,
) -> Result<Generated, Error> {
    let folded = fold_args(args);
    let args = &folded;
    let name = args.name.as_str();
    let kerr = |msg: String| gen_err(ErrorKind::Kustomization, secret, name, msg);
    if name.is_empty() {
        let what = if secret {
            "secretGenerator"
        } else {
            "configMapGenerator"
        };
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!("a {what} entry must have a name"),
        )
        .hint("add `name:` to the generator"));
    }
    let opts = merge_options(args.options.as_ref(), global);
    check_config_strings(args, opts.as_ref(), secret)?;

    // Pairs in kustomize's order: env files, literals, files.
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    for path in args.env_sources() {
        let content = read(path).map_err(|e| e.file(path.as_str()))?;
        parse_env_file(&content, secret)
            .map_err(|m| kerr(format!("env file {path:?}: {m}")).file(path.as_str()))?
            .into_iter()
            .for_each(|(k, v)| pairs.push((k, v.into_bytes())));
    }
    for lit in &args.literals {
        let (k, v) = parse_literal(lit).ok_or_else(|| {
            let shown = if secret {
                "(value hidden)".to_string()
            } else {
                format!("{lit:?}")
            };
            kerr(format!(
                "invalid literal source {shown}, expected key=value"
            ))
            .hint("literals are `key=value`; the key must be non-empty")
        })?;
        pairs.push((k, v.into_bytes()));
    }
    for src in &args.files {
        let (key, path) = parse_file_source(src).map_err(kerr)?;
        let content = read(&path).map_err(|e| e.file(path.as_str()))?;
        pairs.push((key, content));
    }

    let mut data: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (k, v) in pairs {
        // Sizes only: the value may be a Secret's.
        crate::limits::check_value(&format!("the generated value of key `{k}`"), v.len() as u64)
            .map_err(|m| kerr(m).hint(crate::limits::hint(crate::limits::VALUE_BYTES_ENV)))?;
        if data.contains_key(&k) {
            return Err(kerr(format!("illegally repeats the key `{k}`"))
                .hint("each key may appear once across literals, files and env files"));
        }
        data.insert(k, v);
    }

    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::from("v1"));
    if secret {
        let d: BTreeMap<String, String> = data
            .iter()
            .map(|(k, v)| (k.clone(), encode_base64_wrapped(v)))
            .collect();
        obj.insert("data".into(), Value::Object(sorted_map(&d)));
    } else {
        let (mut text, mut bin) = (BTreeMap::new(), BTreeMap::new());
        for (k, v) in data {
            match String::from_utf8(v) {
                Ok(s) => {
                    text.insert(k, s);
                }
                Err(e) => {
                    bin.insert(k, encode_base64_wrapped(e.as_bytes()));
                }
            }
        }
        if !bin.is_empty() {
            obj.insert("binaryData".into(), Value::Object(sorted_map(&bin)));
        }
        if !text.is_empty() {
            obj.insert("data".into(), Value::Object(sorted_map(&text)));
        }
    }
    let immutable = opts.as_ref().is_some_and(|o| o.immutable);
    if immutable {
        obj.insert("immutable".into(), Value::Bool(true));
    }
    obj.insert(
        "kind".into(),
        Value::from(if secret { "Secret" } else { "ConfigMap" }),
    );
    let mut meta = Map::new();
    let str_map = |m: &Option<BTreeMap<String, String>>| {
        m.as_ref()
            .filter(|m| !m.is_empty())
            .map(|m| Value::Object(sorted_map(m)))
    };
    if let Some(o) = &opts {
        if let Some(a) = str_map(&o.annotations) {
            meta.insert("annotations".into(), a);
        }
        if let Some(l) = str_map(&o.labels) {
            meta.insert("labels".into(), l);
        }
    }
    meta.insert("name".into(), Value::from(name));
    if !args.namespace.is_empty() {
        meta.insert("namespace".into(), Value::from(args.namespace.as_str()));
    }
    obj.insert("metadata".into(), Value::Object(meta));
    if secret {
        let t = args
            .secret_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("Opaque");
        obj.insert("type".into(), Value::from(t));
    }
    let obj = Value::Object(obj);
    if !secret {
        // kustomize's YAML round trip rejects these characters in output.
        if let Some(s) = find_unemittable(&obj) {
            return Err(kerr(format!(
                "data contains a character YAML output cannot carry: {s}"
            ))
            .hint("remove DEL, C1 control characters, U+FFFE and U+FFFF"));
        }
    }
    Ok(Generated {
        obj,
        needs_hash: !opts.as_ref().is_some_and(|o| o.disable_name_suffix_hash),
        behavior: args.behavior(),
    })
}

/// Characters kustomize's YAML layer refuses (it fails with "control
/// characters are not allowed").
fn unemittable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

fn describe_bad(s: &str) -> Option<String> {
    s.chars()
        .find(|&c| unemittable(c))
        .map(|c| format!("U+{:04X}", c as u32))
}

fn find_unemittable(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => describe_bad(s),
        Value::Array(a) => a.iter().find_map(find_unemittable),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, v)| describe_bad(k).or_else(|| find_unemittable(v))),
        _ => None,
    }
}

/// kustomize re-serialises generator arguments as YAML; some characters make
/// that fail, whatever field they are in.
fn check_config_strings(
    args: &GeneratorArgs,
    opts: Option<&GeneratorOptions>,
    secret: bool,
) -> Result<(), Error> {
    let mut strs: Vec<(&str, &str)> = vec![
        ("name", &args.name),
        ("namespace", &args.namespace),
        ("behavior", &args.behavior),
        ("env", &args.env),
    ];
    if let Some(t) = &args.secret_type {
        strs.push(("type", t));
    }
    strs.extend(args.literals.iter().map(|s| ("literals", s.as_str())));
    strs.extend(args.files.iter().map(|s| ("files", s.as_str())));
    strs.extend(args.envs.iter().map(|s| ("envs", s.as_str())));
    let maps = opts.into_iter().flat_map(|o| {
        [("labels", &o.labels), ("annotations", &o.annotations)]
            .into_iter()
            .filter_map(|(n, m)| m.as_ref().map(|m| (n, m)))
    });
    let mut map_strs = Vec::new();
    for (n, m) in maps {
        for (k, v) in m {
            map_strs.push((n, k.as_str()));
            map_strs.push((n, v.as_str()));
        }
    }
    for (field, s) in strs.into_iter().chain(map_strs) {
        if let Some(c) = describe_bad(s) {
            return Err(gen_err(
                ErrorKind::Kustomization,
                secret,
                &args.name,
                format!("{field} contains a control character ({c}) YAML cannot carry"),
            ));
        }
    }
    Ok(())
}

/// `key=value` → (key, value with one pair of matching quotes removed).
/// `None` when there is no `=` or the key is empty.
pub fn parse_literal(src: &str) -> Option<(String, String)> {
    let (k, v) = src.split_once('=')?;
    if k.is_empty() {
        return None;
    }
    let b = v.as_bytes();
    let v = if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &v[1..v.len() - 1]
    } else {
        v
    };
    Some((k.to_string(), v.to_string()))
}

/// `path` → (basename, path); `key=path` → (key, path).
pub fn parse_file_source(src: &str) -> Result<(String, String), String> {
    match src.matches('=').count() {
        0 => Ok((go_path_base(src), src.to_string())),
        1 => {
            let (k, p) = src.split_once('=').unwrap_or_default();
            if k.is_empty() {
                Err(format!(
                    "missing key name for file path {p:?} in source {src:?}"
                ))
            } else if p.is_empty() {
                Err(format!(
                    "missing file path for key name {k:?} in source {src:?}"
                ))
            } else {
                Ok((k.to_string(), p.to_string()))
            }
        }
        _ => Err(format!("source {src:?} key name or file path contains '='")),
    }
}

/// Go's `path.Base`.
fn go_path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Longest line Go's bufio.Scanner accepts; kustomize silently stops at a
/// longer one.
const MAX_LINE: usize = 64 * 1024 - 1;

/// Parses an env file: one `KEY=VALUE` per line, leading whitespace ignored,
/// blank lines and `#` comments skipped, `KEY` alone means empty value, a
/// UTF-8 BOM on the first line dropped. Values are kept verbatim (no quote
/// handling); only a trailing `\r` is removed.
pub fn parse_env_file(content: &[u8], secret: bool) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = content;
    let mut lineno = 0usize;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.len() > MAX_LINE {
            break;
        }
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        lineno += 1;
        let Ok(mut s) = std::str::from_utf8(line) else {
            return Err(if secret {
                format!("line {lineno} has invalid UTF-8")
            } else {
                format!(
                    "line {lineno} has invalid UTF-8: {:?}",
                    String::from_utf8_lossy(line)
                )
            });
        };
        if lineno == 1 {
            s = s.strip_prefix('\u{feff}').unwrap_or(s);
        }
        let s = s.trim_start();
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        let Some((k, v)) = s.split_once('=') else {
            // kustomize takes such a value from its own environment: a tree
            // could copy CI credentials into the output. Refused instead; a
            // Secret's line is not quoted (it may be a pasted value).
            let what = if secret {
                "has no `=`".to_string()
            } else {
                format!("`{}` has no `=`", s.chars().take(64).collect::<String>())
            };
            return Err(format!(
                "line {lineno}: {what}; kustomize would read the value from the environment of the process that builds, which kcompile refuses (the tree could copy the build machine's credentials into the output); write `KEY=` for an empty value or `KEY=value`"
            ));
        };
        if k.is_empty() {
            continue;
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Standard base64, broken into 70-char lines each ending in `\n` once the
/// encoding reaches 70 chars (kyaml's encoding of binary values).
pub fn encode_base64_wrapped(data: &[u8]) -> String {
    const LINE: usize = 70;
    let enc = crate::yaml::go::base64_encode(data);
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for chunk in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// A string map in go-yaml v2's key order.
fn sorted_map<V: Clone + Into<Value>>(m: &BTreeMap<String, V>) -> Map<String, Value> {
    let m: Map<String, Value> = m
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    go::sorted_map(&m)
}

/// Folds NEL ([`go::fold_nel`]) in every string kustomize re-serialises:
/// it round-trips generator arguments through YAML.
fn fold_args(args: &GeneratorArgs) -> GeneratorArgs {
    let f = |v: &[String]| {
        v.iter()
            .map(|s| go::fold_nel(s).into_owned())
            .collect::<Vec<_>>()
    };
    let fm = |m: &Option<BTreeMap<String, String>>| {
        m.as_ref().map(|m| {
            m.iter()
                .map(|(k, v)| (go::fold_nel(k).into_owned(), go::fold_nel(v).into_owned()))
                .collect()
        })
    };
    GeneratorArgs {
        name: go::fold_nel(&args.name).into_owned(),
        namespace: go::fold_nel(&args.namespace).into_owned(),
        behavior: go::fold_nel(&args.behavior).into_owned(),
        literals: f(&args.literals),
        files: f(&args.files),
        envs: f(&args.envs),
        env: go::fold_nel(&args.env).into_owned(),
        options: args.options.as_ref().map(|o| GeneratorOptions {
            labels: fm(&o.labels),
            annotations: fm(&o.annotations),
            ..o.clone()
        }),
        secret_type: args
            .secret_type
            .as_deref()
            .map(|t| go::fold_nel(t).into_owned()),
    }
}

// ---------------------------------------------------------------- hashing

/// kustomize's 10-character content hash of a ConfigMap or Secret (the name
/// suffix). Covers kind and data (+binaryData) for ConfigMaps; kind, type and
/// data (+stringData) for Secrets. The name (a kustomize quirk), labels,
/// annotations, namespace and `immutable` do not count.
pub fn hash_suffix(obj: &Value) -> Result<String, Error> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let get = |path: &[&str]| -> Option<&Value> {
        let mut cur = obj;
        for p in path {
            cur = cur.get(p)?;
        }
        Some(cur)
    };
    let mut m: BTreeMap<&str, Value> = BTreeMap::new();
    m.insert("kind", Value::from(kind));
    // kustomize looks the name up as one field literally called
    // "metadata/name", which never exists: the name is always "".
    m.insert("name", hash_field(get(&["metadata/name"])));
    m.insert("data", hash_field(get(&["data"])));
    let extra = match kind {
        "ConfigMap" => "binaryData",
        "Secret" => {
            m.insert("type", hash_field(get(&["type"])));
            "stringData"
        }
        _ => {
            return Err(Error::new(
                ErrorKind::Resource,
                format!("cannot compute a name hash for kind {kind:?}"),
            )
            .hint("only ConfigMaps and Secrets get a name-suffix hash"))
        }
    };
    if let Some(v @ Value::Object(_)) = get(&[extra]) {
        m.insert(extra, v.clone());
    }
    let mut json = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        go_json_string(k, &mut json);
        json.push(':');
        go_json(v, &mut json);
    }
    json.push('}');
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Ok(hex
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect())
}

/// Sets `metadata.name` to `name-<hash>` (hash of the object as it is).
pub fn apply_hash_suffix(obj: &mut Value) -> Result<(), Error> {
    let h = hash_suffix(obj)?;
    let meta = obj
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| Error::new(ErrorKind::Resource, "object has no metadata"))?;
    let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
    let new = format!("{name}-{h}");
    meta.insert("name".into(), Value::from(new));
    Ok(())
}

/// kustomize reads these fields as YAML nodes: absent/null → "", scalars →
/// their text, maps/lists → themselves.
fn hash_field(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::from(""),
        Some(Value::Bool(b)) => Value::from(b.to_string()),
        Some(Value::Number(n)) => Value::from(n.to_string()),
        Some(v) => v.clone(),
    }
}

/// Go `encoding/json` encoding: sorted keys, HTML-safe escaping, float64
/// numbers.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go::json_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => go_json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn go_json_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ------------------------------------------------------ serde helpers

/// Null → default (Go leaves the zero value); wrong types still error.
fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn opt_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Vec<Option<String>>>::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

fn opt_string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let v = Option::<BTreeMap<String, Option<String>>>::deserialize(d)?;
    Ok(v.map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_of_the_tables() {
        use crate::input::decode::{sample, shapes, Shape};
        let cm = sample(&Shape::Struct(&shapes::CONFIG_MAP_ARGS));
        let a = GeneratorArgs::configmap_from_value(&cm).unwrap();
        assert_eq!((a.env.as_str(), a.literals.len()), ("x", 1));
        assert!(a.options.unwrap().immutable);
        let sec = sample(&Shape::Struct(&shapes::SECRET_ARGS));
        let a = GeneratorArgs::secret_from_value(&sec).unwrap();
        assert_eq!(a.secret_type.as_deref(), Some("x"));
        let o = GeneratorOptions::from_value(&sample(&Shape::Struct(&shapes::GENERATOR_OPTIONS)));
        assert!(o.unwrap().disable_name_suffix_hash);
    }

    #[test]
    fn literal_parsing() {
        assert_eq!(parse_literal("a=b=c"), Some(("a".into(), "b=c".into())));
        assert_eq!(parse_literal("a=\"x\""), Some(("a".into(), "x".into())));
        assert_eq!(parse_literal("a='x\""), Some(("a".into(), "'x\"".into())));
        assert_eq!(parse_literal("a=\""), Some(("a".into(), "\"".into())));
        assert_eq!(parse_literal("=x"), None);
        assert_eq!(parse_literal("ab"), None);
    }

    #[test]
    fn base64_wrapping() {
        assert_eq!(encode_base64_wrapped(b"v"), "dg==");
        let w = encode_base64_wrapped(&[0u8; 54]);
        assert_eq!(w.len(), 72 + 2);
        assert!(w.ends_with("AA\n"));
    }

    #[test]
    fn nel_folding() {
        assert_eq!(go::fold_nel("a\u{85}b"), "a b");
        assert_eq!(go::fold_nel("a \u{85} b"), "a b");
        assert_eq!(go::fold_nel("a\u{85}\u{85}b"), "a\nb");
        assert_eq!(go::fold_nel("\u{85}ab"), " ab");
        assert_eq!(go::fold_nel(" a\u{85}"), " a ");
    }

    #[test]
    fn key_order() {
        assert!(go::key_less("\u{feff}B", "A"));
        assert!(go::key_less("a9", "a10"));
        assert!(go::key_less("_x", "A"));
        assert!(go::key_less("B", "a"));
        assert!(go::key_less("name", "namespace"));
    }

    #[test]
    fn path_base() {
        assert_eq!(go_path_base("a/b/c.txt"), "c.txt");
        assert_eq!(go_path_base("./f"), "f");
        assert_eq!(go_path_base("d/"), "d");
    }
}
