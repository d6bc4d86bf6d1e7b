//! Field specs: which field of which kinds a transformer touches, and the
//! walk that finds those fields in an object (lists are traversed
//! implicitly, as in kustomize).

use crate::model::resource::Gvk;
use crate::path::{Place, Step};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
}

/// A gvk pattern: empty parts match anything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct GvkSel {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl GvkSel {
    pub fn selects(&self, gvk: &Gvk) -> bool {
        (self.group.is_empty() || self.group == gvk.group)
            && (self.version.is_empty() || self.version == gvk.version)
            && (self.kind.is_empty() || self.kind == gvk.kind)
    }
    pub fn from_value(v: &Value) -> GvkSel {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        GvkSel {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
        }
    }
}

impl FieldSpec {
    pub fn gvk(&self) -> GvkSel {
        GvkSel {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
        }
    }
    pub fn selects(&self, gvk: &Gvk) -> bool {
        (self.group.is_empty() || self.group == gvk.group)
            && (self.version.is_empty() || self.version == gvk.version)
            && (self.kind.is_empty() || self.kind == gvk.kind)
    }
    pub fn from_value(v: &Value) -> Option<FieldSpec> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let path = s("path");
        if path.is_empty() {
            return None;
        }
        Some(FieldSpec {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            path,
            create: v.get("create").and_then(Value::as_bool).unwrap_or(false),
        })
    }
    /// Path segments; `\/` escapes a slash inside a segment.
    pub fn segments(&self) -> Vec<String> {
        split_path(&self.path)
    }
}

pub fn split_path(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// What to create at the end of the path when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    No,
    Map,
    Str,
}

/// Walk `segs` from `v`, calling `f` on every field found (creating the
/// path when `create` is not `No`). Errors are messages about the path.
pub fn walk(
    v: &mut Value,
    segs: &[String],
    create: Create,
    f: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    walk_at(v, segs, create, &mut Vec::new(), &mut |v, _| f(v))
}

/// `walk`, telling `f` the place of each field.
pub fn walk_at(
    v: &mut Value,
    segs: &[String],
    create: Create,
    at: &mut Place,
    f: &mut dyn FnMut(&mut Value, &Place) -> Result<(), String>,
) -> Result<(), String> {
    walk_in(v, segs, create, false, at, f)
}

/// `walk` as kustomize's name-reference filter walks: a list inside a list
/// is walked into rather than an error.
pub fn walk_lenient(
    v: &mut Value,
    segs: &[String],
    f: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    walk_in(v, segs, Create::No, true, &mut Vec::new(), &mut |v, _| f(v))
}

/// `walk_lenient`, telling `f` the place of each field.
pub fn walk_lenient_at(
    v: &mut Value,
    segs: &[String],
    f: &mut dyn FnMut(&mut Value, &Place) -> Result<(), String>,
) -> Result<(), String> {
    walk_in(v, segs, Create::No, true, &mut Vec::new(), f)
}

fn walk_in(
    v: &mut Value,
    segs: &[String],
    create: Create,
    lenient: bool,
    at: &mut Place,
    f: &mut dyn FnMut(&mut Value, &Place) -> Result<(), String>,
) -> Result<(), String> {
    if segs.is_empty() {
        return f(v, at);
    }
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                // A null element holds nothing to update (kyaml skips it).
                if item.is_null() {
                    continue;
                }
                // kyaml looks fields up in each element: a list there is
                // the wrong kind of node, not another level to walk.
                if item.is_array() && !lenient {
                    return Err(format!(
                        "wrong node kind: expected a mapping at `{}`, found a list inside a list",
                        segs.join("/")
                    ));
                }
                at.push(Step::Index(i));
                let r = walk_in(item, segs, create, lenient, at, f);
                at.pop();
                r?;
            }
            Ok(())
        }
        Value::Object(m) => field(m, segs, create, lenient, at, f),
        _ => Err(format!(
            "expected a sequence or mapping at `{}`",
            segs.join("/")
        )),
    }
}

fn field(
    m: &mut Map<String, Value>,
    segs: &[String],
    create: Create,
    lenient: bool,
    at: &mut Place,
    f: &mut dyn FnMut(&mut Value, &Place) -> Result<(), String>,
) -> Result<(), String> {
    let (name, is_seq) = match segs[0].strip_suffix("[]") {
        Some(n) => (n, true),
        None => (segs[0].as_str(), false),
    };
    let last = segs.len() == 1;
    let make: Option<Value> = if create == Create::No || is_seq {
        None
    } else if last {
        Some(match create {
            Create::Map => Value::Object(Map::new()),
            _ => Value::String(String::new()),
        })
    } else {
        Some(Value::Object(Map::new()))
    };
    let child = match (m.get_mut(name).is_some(), make) {
        (true, make) => {
            let c = m.get_mut(name).expect("checked");
            if c.is_null() {
                match make {
                    Some(mk) => *c = mk,
                    None if is_seq => *c = Value::Array(Vec::new()),
                    None => {}
                }
            }
            c
        }
        (false, Some(mk)) => m.entry(name.to_string()).or_insert(mk),
        (false, None) => return Ok(()),
    };
    if child.is_null() && !last {
        return Ok(());
    }
    at.push(Step::Key(name.to_string()));
    let r = walk_in(child, &segs[1..], create, lenient, at, f);
    at.pop();
    r
}

/// Does `v` have something at the field-spec path?
pub fn has_path(v: &Value, segs: &[String]) -> bool {
    if segs.is_empty() {
        return true;
    }
    match v {
        Value::Array(items) => items.iter().any(|i| has_path(i, segs)),
        Value::Object(m) => {
            let name = segs[0].strip_suffix("[]").unwrap_or(&segs[0]);
            m.get(name).is_some_and(|c| has_path(c, &segs[1..]))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walks_lists_and_creates() {
        let mut v = json!({"spec": {"containers": [{"image": "a"}, {"image": "b"}]}});
        let segs = split_path("spec/containers/image");
        let mut seen = vec![];
        walk(&mut v, &segs, Create::No, &mut |x| {
            seen.push(x.as_str().unwrap().to_string());
            *x = json!("z");
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["a", "b"]);
        assert_eq!(v["spec"]["containers"][1]["image"], "z");
        let mut w = json!({"metadata": {}});
        walk(
            &mut w,
            &split_path("spec/template/metadata/labels"),
            Create::Map,
            &mut |x| {
                x.as_object_mut().unwrap().insert("a".into(), json!("b"));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(w["spec"]["template"]["metadata"]["labels"]["a"], "b");
    }

    #[test]
    fn escaped_slash() {
        assert_eq!(
            split_path("metadata/annotations/a\\/b"),
            ["metadata", "annotations", "a/b"]
        );
    }
}
