//! A chart's values with `valuesInline` folded in, as kustomize folds them
//! (kyaml's merge2 walk over the values file and the inline map, with no
//! schema): maps merge key by key, any other value (scalars and lists) is
//! taken whole from the side that wins, and a null on the winning side
//! removes the key.

use serde_json::{Map, Value};

/// How `valuesInline` meets the values file (`valuesMerge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuesMerge {
    /// The inline values win (kustomize's default).
    #[default]
    Override,
    /// The values file wins; inline values only add keys it lacks.
    Merge,
    /// The inline values alone (the chart's own defaults still apply in helm).
    Replace,
}

impl ValuesMerge {
    pub fn parse(s: &str) -> Option<ValuesMerge> {
        match s {
            "" | "override" => Some(ValuesMerge::Override),
            "merge" => Some(ValuesMerge::Merge),
            "replace" => Some(ValuesMerge::Replace),
            _ => None,
        }
    }
}

/// Fold `inline` into `file` (the values file's top-level map). The error
/// names the dotted key where one side has a map and the other does not
/// (kustomize fails there too: "wrong node kind").
pub fn fold(
    file: Map<String, Value>,
    inline: Map<String, Value>,
    how: ValuesMerge,
) -> Result<Map<String, Value>, String> {
    match how {
        ValuesMerge::Replace => Ok(inline),
        ValuesMerge::Override => merge_maps(file, inline, &mut Vec::new()),
        ValuesMerge::Merge => merge_maps(inline, file, &mut Vec::new()),
    }
}

/// `src` over `dest`.
fn merge_maps(
    dest: Map<String, Value>,
    mut src: Map<String, Value>,
    at: &mut Vec<String>,
) -> Result<Map<String, Value>, String> {
    if let Some(key) = src
        .keys()
        .chain(dest.keys())
        .find(|k| k.as_str() == "$patch")
    {
        at.push(key.clone());
        return Err(format!(
            "`{}`: a `$patch` directive in values is not supported",
            at.join(".")
        ));
    }
    let mut out = Map::new();
    for (k, d) in dest {
        match src.shift_remove(&k) {
            None => {
                out.insert(k, d);
            }
            Some(Value::Null) => {}
            Some(s) => {
                at.push(k.clone());
                let v = merge_values(d, s, at)?;
                at.pop();
                out.insert(k, v);
            }
        }
    }
    for (k, s) in src {
        if !s.is_null() {
            out.insert(k, s);
        }
    }
    Ok(out)
}

fn merge_values(dest: Value, src: Value, at: &mut Vec<String>) -> Result<Value, String> {
    match (dest, src) {
        (Value::Null, s) => Ok(s),
        (Value::Object(d), Value::Object(s)) => merge_maps(d, s, at).map(Value::Object),
        (Value::Object(_), _) | (_, Value::Object(_)) => Err(format!(
            "`{}`: a map on one side and not on the other cannot be merged",
            at.join(".")
        )),
        (Value::Array(_), s) if !s.is_array() => Err(format!(
            "`{}`: a list on one side and not on the other cannot be merged",
            at.join(".")
        )),
        (d, Value::Array(_)) if !d.is_array() => Err(format!(
            "`{}`: a list on one side and not on the other cannot be merged",
            at.join(".")
        )),
        (_, s) => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn override_takes_inline_and_keeps_the_rest() {
        let file = map(json!({"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": "x"}));
        let inline = map(json!({"b": {"c": 3, "d": [9]}, "e": null, "f": true}));
        let got = fold(file, inline, ValuesMerge::Override).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": 1, "b": {"c": 3, "d": [9]}, "f": true})
        );
    }

    #[test]
    fn merge_lets_the_file_win() {
        let file = map(json!({"a": 1, "b": {"c": 2}}));
        let inline = map(json!({"a": 5, "b": {"c": 3, "z": 1}, "n": 2}));
        let got = fold(file, inline, ValuesMerge::Merge).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": 1, "b": {"c": 2, "z": 1}, "n": 2})
        );
    }

    #[test]
    fn replace_is_the_inline_map() {
        let got = fold(
            map(json!({"a": 1})),
            map(json!({"b": 2})),
            ValuesMerge::Replace,
        )
        .unwrap();
        assert_eq!(Value::Object(got), json!({"b": 2}));
    }

    #[test]
    fn a_map_against_a_scalar_is_an_error_naming_the_key() {
        let e = fold(
            map(json!({"a": {"b": {"c": 1}}})),
            map(json!({"a": {"b": 2}})),
            ValuesMerge::Override,
        )
        .unwrap_err();
        assert!(e.contains("`a.b`"), "{e}");
    }

    #[test]
    fn a_null_in_the_file_is_filled() {
        let got = fold(
            map(json!({"a": null})),
            map(json!({"a": {"b": 1}})),
            ValuesMerge::Override,
        )
        .unwrap();
        assert_eq!(Value::Object(got), json!({"a": {"b": 1}}));
    }
}
