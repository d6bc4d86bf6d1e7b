//! The legacy `vars`: `$(VAR)` in the fields kustomize allows (its
//! varReference field specs) is replaced by a field of a named object.

use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Var;
use crate::model::notes::Notes;
use crate::model::resmap::ResMap;
use crate::model::resource::Gvk;
use crate::path::{Place, Step};
use crate::transform::fieldpath::{self, scalar_text};
use crate::transform::fieldspec::{walk_lenient_at, FieldSpec};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub fn resolve(rm: &mut ResMap, vars: &[Var], specs: &[FieldSpec]) -> Result<()> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values: HashMap<String, Value> = HashMap::new();
    for v in vars {
        values.insert(v.name.clone(), value_of(rm, v)?);
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut budget = crate::limits::Budget::default();
    for r in rm.resources_mut() {
        let gvk = r.gvk();
        let before = r.aliases.snapshot(&r.obj);
        // What the var filter reads of a node depends on its tag and style
        // (`notes`), looked up in the object as it was before the filter.
        let seen = if r.notes.is_empty() {
            Value::Null
        } else {
            r.obj.clone()
        };
        for fs in specs.iter().filter(|fs| fs.selects(&gvk)) {
            let notes = &r.notes;
            let res = walk_lenient_at(&mut r.obj, &fs.segments(), &mut |node, at| {
                let node_notes = NodeNotes { notes, obj: &seen };
                substitute(node, at, &node_notes, &values, &mut used, &mut budget)
            });
            if let Err(m) = res {
                let e = Error::new(
                    ErrorKind::Resource,
                    format!("substituting vars in `{}`: {m}", fs.path),
                );
                let place = fs
                    .path
                    .split('/')
                    .filter(|k| !k.is_empty())
                    .map(|k| Step::Key(k.to_string()))
                    .collect();
                return Err(r.error_at_place(e, place));
            }
        }
        r.aliases.sync(&mut r.obj, before, None);
    }
    Ok(())
}

/// Bind each var to the one object its objref names, among the objects
/// of the kustomization that declares it (kustomize's MergeVars).
pub fn bind(rm: &mut ResMap, vars: &[Var]) -> Result<()> {
    for v in vars {
        let o = &v.objref;
        let (group, version) = if !o.api_version.is_empty() {
            let g = Gvk::from_api_version(&o.api_version, &o.kind);
            (g.group, g.version)
        } else {
            (o.group.clone(), o.version.clone())
        };
        let ns_matters =
            !o.namespace.is_empty() || crate::model::resource::is_cluster_scoped(&group, &o.kind);
        let hits = rm.matching_any_id(|id| {
            id.name == o.name
                && id.gvk.kind == o.kind
                && (group.is_empty() || id.gvk.group == group)
                && (version.is_empty() || id.gvk.version == version)
                && (!ns_matters
                    || crate::model::resource::effective_ns(&o.namespace)
                        == crate::model::resource::effective_ns(&id.namespace))
        });
        match hits.len() {
            0 => {}
            1 => rm.resources_mut()[hits[0]].ref_vars.push(v.name.clone()),
            n => {
                return Err(Error::new(
                    ErrorKind::Kustomization,
                    format!(
                        "found {n} resId matches for var {} (unable to disambiguate)",
                        v.name
                    ),
                )
                .hint("add `namespace` or `apiVersion` to the var's objref"))
            }
        }
    }
    Ok(())
}

/// The value a var stands for: a field of the object bound to it.
fn value_of(rm: &ResMap, v: &Var) -> Result<Value> {
    let not_found = || {
        Error::new(
            ErrorKind::Kustomization,
            format!(
                "var '{}' cannot be mapped to a field in the set of known resources",
                v.name
            ),
        )
        .hint(format!(
            "no object {}/{} in the build has that field; check `objref` and `fieldref`",
            v.objref.kind, v.objref.name
        ))
    };
    let r = rm
        .resources()
        .iter()
        .find(|r| r.ref_vars.contains(&v.name))
        .ok_or_else(not_found)?;
    let path = if v.fieldref.field_path.is_empty() {
        "metadata.name"
    } else {
        &v.fieldref.field_path
    };
    fieldpath::get(&r.obj, &fieldpath::parse(path))
        .cloned()
        .ok_or_else(not_found)
}

struct NodeNotes<'a> {
    notes: &'a Notes,
    obj: &'a Value,
}

impl NodeNotes<'_> {
    /// The text kustomize's var filter reads from the scalar at `at`, when
    /// it reads one: a string's (a folded scalar's as read, its style
    /// reset), an untagged scalar's whatever it resolves to; `None` for a
    /// number, boolean, null or plain `<<`.
    fn text(&self, v: &Value, at: &[Step]) -> Option<String> {
        if let Some(t) = self.notes.untagged_text(self.obj, at) {
            return Some(t);
        }
        let s = v.as_str()?;
        if self.notes.is_merge(self.obj, at) {
            return None;
        }
        Some(
            self.notes
                .folded_read(self.obj, at)
                .unwrap_or_else(|| s.to_string()),
        )
    }
}

fn substitute_scalar(
    node: &mut Value,
    at: &[Step],
    notes: &NodeNotes,
    values: &HashMap<String, Value>,
    used: &mut HashSet<String>,
    budget: &mut crate::limits::Budget,
) -> Result<(), String> {
    let Some(text) = notes.text(node, at) else {
        return Ok(());
    };
    // The filter sets every string it visits (tagging it a string, its
    // style reset), replaced or not.
    *node = match expand(&text, values, used)? {
        Some(v) => {
            budget.spend(crate::limits::size_of(&v), "substituting vars")?;
            v
        }
        None => Value::String(text),
    };
    Ok(())
}

fn substitute(
    node: &mut Value,
    at: &Place,
    notes: &NodeNotes,
    values: &HashMap<String, Value>,
    used: &mut HashSet<String>,
    budget: &mut crate::limits::Budget,
) -> Result<(), String> {
    let mut at = at.clone();
    match node {
        Value::Array(items) => {
            // kustomize's var filter refuses a list with anything but strings.
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                let text = notes.text(item, &at);
                at.pop();
                if text.is_none() {
                    let what = if item.is_string() {
                        "a plain `<<` (YAML's merge key, not a string to kustomize)".to_string()
                    } else {
                        crate::yaml::describe(item).to_string()
                    };
                    return Err(format!(
                        "invalid value type expect a string: the list holds {what}, and kustomize substitutes vars only in lists of strings"
                    ));
                }
            }
            for (i, item) in items.iter_mut().enumerate() {
                at.push(Step::Index(i));
                substitute_scalar(item, &at, notes, values, used, budget)?;
                at.pop();
            }
        }
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if v.is_object() || v.is_array() {
                    continue;
                }
                at.push(Step::Key(k.clone()));
                substitute_scalar(v, &at, notes, values, used, budget)?;
                at.pop();
            }
        }
        _ => substitute_scalar(node, &at, notes, values, used, budget)?,
    }
    Ok(())
}

/// Kubernetes' `$(VAR)` expansion (`$$` escapes a dollar); `None` when the
/// text has no `$`. A string that is exactly `$(VAR)` takes the var's type.
fn expand(
    input: &str,
    values: &HashMap<String, Value>,
    used: &mut HashSet<String>,
) -> Result<Option<Value>, String> {
    if !input.contains('$') {
        return Ok(None);
    }
    // Each `$(VAR)` may copy a long value: the result is checked against
    // the value limit before it grows, not after.
    let grow = |out: &String, n: usize| {
        crate::limits::check_value("the value with vars substituted", (out.len() + n) as u64)
    };
    let b = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            grow(&out, i - checkpoint)?;
            out.push_str(&input[checkpoint..i]);
            let rest = &input[i + 1..];
            let advance;
            if rest.starts_with('$') {
                out.push('$');
                advance = 1;
            } else if rest.starts_with('(') {
                match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        match values.get(name) {
                            Some(v) => {
                                used.insert(name.to_string());
                                if input.len() == name.len() + 3 {
                                    return Ok(Some(v.clone()));
                                }
                                let text = scalar_text(v).unwrap_or_else(|| v.to_string());
                                grow(&out, text.len())?;
                                out.push_str(&text);
                            }
                            None => out.push_str(&format!("$({name})")),
                        }
                        advance = close + 1;
                    }
                    None => {
                        out.push_str("$(");
                        advance = 1;
                    }
                }
            } else {
                out.push('$');
                out.push_str(&rest[..rest.chars().next().map_or(0, char::len_utf8)]);
                advance = rest.chars().next().map_or(0, char::len_utf8);
            }
            i += advance + 1;
            checkpoint = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    Ok(Some(Value::String(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn expands() {
        let mut m = HashMap::new();
        m.insert("A".to_string(), json!("x"));
        m.insert("N".to_string(), json!(3));
        let mut u = HashSet::new();
        assert_eq!(expand("a-$(A)-b", &m, &mut u), Ok(Some(json!("a-x-b"))));
        assert_eq!(expand("$(N)", &m, &mut u), Ok(Some(json!(3))));
        assert_eq!(expand("$$(A)", &m, &mut u), Ok(Some(json!("$(A)"))));
        assert_eq!(expand("$(B)", &m, &mut u), Ok(Some(json!("$(B)"))));
        assert_eq!(expand("plain", &m, &mut u), Ok(None));
    }
}
