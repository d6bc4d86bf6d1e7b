//! Kubernetes JSON Schema validation of compiled objects.
//!
//! The schemas are derived from the PyPI package `kubernetes-validate` by
//! `scripts/derive-validation-schemas.py` into `schemas/k8s/v1.XX.json.gz`,
//! embedded with `include_bytes!` and decoded lazily (once per version per
//! process) the first time an object is validated against that version.
//!
//! The validator covers the subset of JSON Schema those files use: `type`
//! (one or a list), `properties`, `additionalProperties` (false or a schema),
//! `required`, `items`, `enum`, `$ref` (bare definition names),
//! `oneOf`/`anyOf`/`allOf` and `x-kubernetes-preserve-unknown-fields`.

use super::semantic;
use crate::input::kustomization::suggest;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::sync::OnceLock;

/// Kubernetes versions with bundled schemas, oldest first.
pub const VERSIONS: &[&str] = &["1.35", "1.36", "1.37"];

/// The newest bundled version (the default of `--kubernetes-version`).
pub fn default_version() -> &'static str {
    VERSIONS[VERSIONS.len() - 1]
}

const BUNDLES: [&[u8]; 3] = [
    include_bytes!("../../schemas/k8s/v1.35.json.gz"),
    include_bytes!("../../schemas/k8s/v1.36.json.gz"),
    include_bytes!("../../schemas/k8s/v1.37.json.gz"),
];

static DECODED: [OnceLock<Result<Bundle, String>>; 3] =
    [OnceLock::new(), OnceLock::new(), OnceLock::new()];

static NULL: Value = Value::Null;

/// Deepest schema nesting followed (JSONSchemaProps refers to itself).
const MAX_DEPTH: usize = 96;

/// The schemas of one Kubernetes version.
#[derive(Debug)]
pub struct Bundle {
    pub version: String,
    /// `apiVersion/kind` (e.g. `apps/v1/Deployment`) -> definition name.
    kinds: HashMap<String, String>,
    definitions: Map<String, Value>,
    /// API groups the version serves ("" for core).
    groups: BTreeSet<String>,
}

/// Normalise `v1.37`, `1.37`, `1.37.2` to `1.37`.
pub fn normalize_version(v: &str) -> String {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => v.to_string(),
    }
}

/// The bundle for a Kubernetes version, decoded on first use.
pub fn bundle(version: &str) -> Result<&'static Bundle, String> {
    let v = normalize_version(version);
    let Some(i) = VERSIONS.iter().position(|x| *x == v) else {
        return Err(format!(
            "no bundled schemas for Kubernetes {version}; bundled: {}",
            VERSIONS.join(", ")
        ));
    };
    DECODED[i]
        .get_or_init(|| decode(BUNDLES[i]))
        .as_ref()
        .map_err(Clone::clone)
}

fn decode(gz: &[u8]) -> Result<Bundle, String> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut text)
        .map_err(|e| format!("bundled schema is corrupt: {e}"))?;
    let mut doc: Value =
        serde_json::from_slice(&text).map_err(|e| format!("bundled schema is corrupt: {e}"))?;
    let version = doc["version"].as_str().unwrap_or_default().to_string();
    let kinds: HashMap<String, String> = doc["kinds"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let definitions = match doc.get_mut("definitions").map(Value::take) {
        Some(Value::Object(m)) => m,
        _ => return Err("bundled schema has no definitions".into()),
    };
    let groups = kinds
        .keys()
        .map(|k| {
            let api = k.rsplit_once('/').map(|x| x.0).unwrap_or("");
            api.rsplit_once('/')
                .map(|x| x.0.to_string())
                .unwrap_or_default()
        })
        .collect();
    Ok(Bundle {
        version,
        kinds,
        definitions,
        groups,
    })
}

/// One schema violation: where (a field path such as
/// `spec.template.spec.containers[0].image`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

/// What validating one object found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Checked(Vec<Violation>),
    /// No schema (a custom resource): the string says which kind.
    NoSchema(String),
}

impl Bundle {
    /// Validate one object against the schema of its kind.
    pub fn validate(&self, obj: &Value) -> Outcome {
        let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let mut out = Vec::new();
        if api.is_empty() || kind.is_empty() {
            let missing = if api.is_empty() { "apiVersion" } else { "kind" };
            out.push(Violation {
                path: missing.into(),
                message: "required field is missing".into(),
                hint: None,
            });
            return Outcome::Checked(out);
        }
        let key = format!("{api}/{kind}");
        let Some(def) = self.kinds.get(&key) else {
            let group = api.rsplit_once('/').map(|x| x.0).unwrap_or("");
            let builtin = !group.contains('.') || self.groups.contains(group);
            if !builtin {
                return Outcome::NoSchema(format!("{kind} ({api})"));
            }
            // A built-in group: the version or kind is wrong for this release.
            let served: Vec<&str> = self
                .kinds
                .keys()
                .filter(|k| k.rsplit_once('/').map(|x| x.1) == Some(kind))
                .map(|k| k.rsplit_once('/').map(|x| x.0).unwrap_or(""))
                .collect();
            let mut served = served;
            served.sort();
            let hint = if !served.is_empty() {
                Some(format!("{kind} is served as {}", served.join(", ")))
            } else {
                let in_api: Vec<&str> = self
                    .kinds
                    .keys()
                    .filter(|k| k.rsplit_once('/').map(|x| x.0) == Some(api))
                    .filter_map(|k| k.rsplit_once('/').map(|x| x.1))
                    .collect();
                suggest(kind, &in_api).map(|s| format!("did you mean `{s}`?"))
            };
            out.push(Violation {
                path: "kind".into(),
                message: format!("Kubernetes {} serves no kind {kind} in {api}", self.version),
                hint,
            });
            return Outcome::Checked(out);
        };
        let schema = ref_schema(def);
        let mut path = String::new();
        let ctx = Ctx {
            // The server does not check the label selectors of an
            // autoscaler's metrics.
            selectors: api.rsplit_once('/').map(|x| x.0) != Some("autoscaling"),
        };
        self.check(obj, &schema, &mut path, 0, &ctx, &mut out);
        semantic::check(obj, true, &mut out);
        Outcome::Checked(out)
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        let mut cur = s;
        for _ in 0..8 {
            match cur.get("$ref").and_then(Value::as_str) {
                Some(name) => match self.definitions.get(name) {
                    Some(d) => cur = d,
                    None => return &NULL,
                },
                None => break,
            }
        }
        cur
    }

    fn check(
        &self,
        v: &Value,
        s: &Value,
        path: &mut String,
        depth: usize,
        ctx: &Ctx,
        out: &mut Vec<Violation>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let def = s.get("$ref").and_then(Value::as_str);
        let s = self.resolve(s);
        let Some(sm) = s.as_object() else {
            return;
        };
        if sm.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(t) = sm.get("type") {
            if !type_matches(v, t) {
                out.push(Violation {
                    path: display_path(path),
                    message: format!("{} is not {}", show(v), type_words(t)),
                    hint: None,
                });
                return;
            }
        }
        if v.is_null() {
            return;
        }
        // Formats the schema cannot say, checked where their types are used.
        let before = out.len();
        match def {
            Some(QUANTITY) => semantic::quantity(v, &display_path(path), out),
            Some(LABEL_SELECTOR) if ctx.selectors => semantic::label_selector(v, path, out),
            _ => {}
        }
        if out.len() > before {
            return;
        }
        // "" means unset (the server defaults it); `status` is dropped on
        // create, so its values are never checked against an enum.
        let unset = v.as_str() == Some("");
        let in_status = path == "status" || path.starts_with("status.");
        if let Some(Value::Array(allowed)) = sm.get("enum").filter(|_| !unset && !in_status) {
            if !allowed.contains(v) {
                let words: Vec<String> = allowed.iter().map(show).collect();
                let strs: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                let hint = v
                    .as_str()
                    .and_then(|x| suggest(x, &strs))
                    .map(|x| format!("did you mean `{x}`?"));
                out.push(Violation {
                    path: display_path(path),
                    message: format!("{} is not one of {}", show(v), words.join(", ")),
                    hint,
                });
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(alts)) = sm.get(key) {
                let ok = alts.iter().any(|alt| {
                    let mut scratch = Vec::new();
                    let mut p = path.clone();
                    self.check(v, alt, &mut p, depth + 1, ctx, &mut scratch);
                    scratch.is_empty()
                });
                if !ok {
                    let types: Vec<String> = alts
                        .iter()
                        .filter_map(|a| self.resolve(a).get("type"))
                        .map(type_words)
                        .collect();
                    let what = if types.len() == alts.len() {
                        types.join(" or ")
                    } else {
                        "any of the allowed forms".to_string()
                    };
                    out.push(Violation {
                        path: display_path(path),
                        message: format!("{} is not {what}", show(v)),
                        hint: None,
                    });
                }
            }
        }
        if let Some(Value::Array(all)) = sm.get("allOf") {
            for sub in all {
                self.check(v, sub, path, depth + 1, ctx, out);
            }
        }
        match v {
            Value::Object(m) => self.check_object(m, sm, path, depth, ctx, out),
            Value::Array(items) => {
                if let Some(is) = sm.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        let len = path.len();
                        path.push_str(&format!("[{i}]"));
                        self.check(item, is, path, depth + 1, ctx, out);
                        path.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_object(
        &self,
        m: &Map<String, Value>,
        sm: &Map<String, Value>,
        path: &mut String,
        depth: usize,
        ctx: &Ctx,
        out: &mut Vec<Violation>,
    ) {
        let props = sm.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(req)) = sm.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !m.contains_key(r) {
                    let len = path.len();
                    push_key(path, r);
                    out.push(Violation {
                        path: display_path(path),
                        message: "required field is missing".into(),
                        hint: None,
                    });
                    path.truncate(len);
                }
            }
        }
        let additional = sm.get("additionalProperties");
        for (k, child) in m {
            let len = path.len();
            push_key(path, k);
            if let Some(ps) = props.and_then(|p| p.get(k)) {
                self.check(child, ps, path, depth + 1, ctx, out);
            } else {
                match additional {
                    Some(Value::Bool(false)) => {
                        let known: Vec<&str> = props
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        let hint = match suggest(k, &known) {
                            Some(s) => Some(format!("did you mean `{s}`?")),
                            None if !known.is_empty() && known.len() <= 12 => {
                                Some(format!("known fields: {}", known.join(", ")))
                            }
                            None => None,
                        };
                        out.push(Violation {
                            path: display_path(path),
                            message: "unknown field".into(),
                            hint,
                        });
                    }
                    Some(s @ Value::Object(_)) => self.check(child, s, path, depth + 1, ctx, out),
                    _ => {}
                }
            }
            path.truncate(len);
        }
    }
}

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const LABEL_SELECTOR: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector";

/// What the walk needs to know about the whole object.
struct Ctx {
    /// Check label selectors' keys and values.
    selectors: bool,
}

fn ref_schema(name: &str) -> Value {
    let mut m = Map::new();
    m.insert("$ref".into(), Value::String(name.to_string()));
    Value::Object(m)
}

pub(super) fn push_key(path: &mut String, k: &str) {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(k);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(k).unwrap_or_default());
        path.push(']');
    }
}

fn display_path(p: &str) -> String {
    if p.is_empty() {
        "(object)".into()
    } else {
        p.to_string()
    }
}

fn type_matches(v: &Value, t: &Value) -> bool {
    match t {
        Value::String(s) => one_type(v, s),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|s| one_type(v, s)),
        _ => true,
    }
}

fn one_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

fn type_words(t: &Value) -> String {
    let word = |s: &str| match s {
        "integer" => "an integer",
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "boolean" => "a boolean",
        "number" => "a number",
        _ => "null",
    };
    match t {
        Value::String(s) => word(s).to_string(),
        Value::Array(ts) => {
            let ws: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| *s != "null")
                .map(word)
                .collect();
            if ws.is_empty() {
                "null".into()
            } else {
                ws.join(" or ")
            }
        }
        _ => "valid".into(),
    }
}

/// A value for a message: scalars as JSON (long strings cut), containers by type.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let cut: String = s.chars().take(60).collect();
            let mut q = serde_json::to_string(&cut).unwrap_or_default();
            if cut.len() < s.len() {
                q.insert(q.len() - 1, '…');
            }
            q
        }
        Value::Object(_) => "a mapping".into(),
        Value::Array(_) => "a list".into(),
        other => other.to_string(),
    }
}
