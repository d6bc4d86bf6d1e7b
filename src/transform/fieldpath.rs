//! Dotted field paths as `vars` and `replacements` write them:
//! `spec.template.spec.containers.[name=app].image`, `spec.ports.0.port`,
//! `metadata.annotations.[a.b/c]`, `data.*`, `spec.containers[name=x].env`.

use crate::path::{Place, Step};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
    /// A list element whose `key` field equals `value` (`[=value]`: the
    /// element itself equals `value`).
    Match(String, String),
    /// Every element of a list or value of a map.
    All,
}

/// Split on dots outside brackets, then read each part.
pub fn parse(path: &str) -> Vec<Seg> {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for ch in path.chars() {
        match ch {
            '[' => {
                depth += 1;
                cur.push(ch);
            }
            ']' => {
                depth -= 1;
                cur.push(ch);
            }
            '.' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    let mut segs = Vec::new();
    for p in parts {
        if p.is_empty() {
            continue;
        }
        // `name[k=v]` is a field followed by a match.
        let (field, bracket) = match p.find('[') {
            Some(0) => ("", p.as_str()),
            Some(i) if p.ends_with(']') => (&p[..i], &p[i..]),
            _ => (p.as_str(), ""),
        };
        if !field.is_empty() {
            if field == "*" {
                segs.push(Seg::All);
            } else if let Ok(i) = field.parse::<usize>() {
                segs.push(Seg::Index(i));
            } else {
                segs.push(Seg::Key(field.to_string()));
            }
        }
        if let Some(inner) = bracket.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
            match inner.split_once('=') {
                Some((k, v)) => segs.push(Seg::Match(k.to_string(), v.to_string())),
                None => match inner.parse::<usize>() {
                    Ok(i) => segs.push(Seg::Index(i)),
                    // `[a.b/c]`: a key holding dots.
                    Err(_) => segs.push(Seg::Key(inner.to_string())),
                },
            }
        }
    }
    segs
}

/// The value at `segs`, when it exists and is unique.
pub fn get<'a>(v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    find(v, segs).map(|(_, v)| v)
}

/// `get`, with the value's place.
pub fn find<'a>(v: &'a Value, segs: &[Seg]) -> Option<(Place, &'a Value)> {
    let mut cur = v;
    let mut at = Vec::with_capacity(segs.len());
    for s in segs {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Object(m)) => {
                at.push(Step::Key(k.clone()));
                m.get(k)?
            }
            (Seg::Index(i), Value::Array(a)) => {
                at.push(Step::Index(*i));
                a.get(*i)?
            }
            (Seg::Match(k, val), Value::Array(a)) => {
                let i = a.iter().position(|e| matches_elem(e, k, val))?;
                at.push(Step::Index(i));
                &a[i]
            }
            _ => return None,
        };
    }
    Some((at, cur))
}

fn matches_elem(e: &Value, k: &str, val: &str) -> bool {
    if k.is_empty() {
        return scalar_text(e).as_deref() == Some(val);
    }
    e.get(k).and_then(scalar_text).as_deref() == Some(val)
}

pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Visit every value at `segs`; when `create` is given, missing maps and
/// list elements (for `[k=v]`) are created and a missing last field is set
/// to `create`'s value. Returns how many fields were visited.
pub fn visit(
    v: &mut Value,
    segs: &[Seg],
    create: Option<&Value>,
    f: &mut dyn FnMut(&mut Value, bool, &Place) -> Result<(), String>,
) -> Result<usize, String> {
    visit_at(v, segs, create, &mut Vec::new(), f)
}

fn visit_at(
    v: &mut Value,
    segs: &[Seg],
    create: Option<&Value>,
    at: &mut Place,
    f: &mut dyn FnMut(&mut Value, bool, &Place) -> Result<(), String>,
) -> Result<usize, String> {
    if segs.is_empty() {
        f(v, false, at)?;
        return Ok(1);
    }
    let last = segs.len() == 1;
    // Visit the child at `step`, with its place.
    macro_rules! down {
        ($step:expr, $child:expr, $segs:expr) => {{
            at.push($step);
            let r = visit_at($child, $segs, create, at, f);
            at.pop();
            r
        }};
    }
    match (&segs[0], v) {
        // kustomize (kyaml's PathMatcher) creates below a null field on a
        // detached node: the field counts as found and stays null.
        (_, Value::Null) if create.is_some() => Ok(1),
        (Seg::Key(k), Value::Object(m)) => {
            if !m.contains_key(k) {
                let Some(c) = create else { return Ok(0) };
                let fresh = if last {
                    c.clone()
                } else {
                    new_container(&segs[1])
                };
                m.insert(k.clone(), fresh);
                if last {
                    at.push(Step::Key(k.clone()));
                    let r = f(m.get_mut(k).expect("inserted"), true, at).map(|_| 1);
                    at.pop();
                    return r;
                }
            }
            down!(
                Step::Key(k.clone()),
                m.get_mut(k).expect("present"),
                &segs[1..]
            )
        }
        (Seg::Index(i), Value::Array(a)) => {
            // One past the end is created, as kyaml appends there.
            if *i == a.len() {
                let Some(c) = create else { return Ok(0) };
                if last {
                    a.push(c.clone());
                    at.push(Step::Index(*i));
                    let r = f(a.last_mut().expect("pushed"), true, at).map(|_| 1);
                    at.pop();
                    return r;
                }
                a.push(new_container(&segs[1]));
            }
            match a.get_mut(*i) {
                Some(e) => down!(Step::Index(*i), e, &segs[1..]),
                None => Ok(0),
            }
        }
        (Seg::Match(k, val), Value::Array(a)) => {
            let mut n = 0;
            for (i, e) in a.iter_mut().enumerate() {
                if matches_elem(e, k, val) {
                    n += down!(Step::Index(i), e, &segs[1..])?;
                }
            }
            if n == 0 && create.is_some() && !k.is_empty() {
                let mut m = Map::new();
                m.insert(k.clone(), Value::String(val.clone()));
                a.push(Value::Object(m));
                let i = a.len() - 1;
                let e = a.last_mut().expect("pushed");
                n += down!(Step::Index(i), e, &segs[1..])?;
            }
            Ok(n)
        }
        (Seg::All, Value::Array(a)) => {
            let mut n = 0;
            for (i, e) in a.iter_mut().enumerate() {
                n += down!(Step::Index(i), e, &segs[1..])?;
            }
            Ok(n)
        }
        (Seg::All, Value::Object(m)) => {
            let mut n = 0;
            for (k, e) in m.iter_mut() {
                n += down!(Step::Key(k.clone()), e, &segs[1..])?;
            }
            Ok(n)
        }
        _ => Ok(0),
    }
}

fn new_container(next: &Seg) -> Value {
    match next {
        Seg::Key(_) => Value::Object(Map::new()),
        _ => Value::Array(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn parses_paths() {
        assert_eq!(
            parse("spec.containers.[name=app].image"),
            vec![
                Seg::Key("spec".into()),
                Seg::Key("containers".into()),
                Seg::Match("name".into(), "app".into()),
                Seg::Key("image".into())
            ]
        );
        assert_eq!(parse("a.b[c=d]").len(), 3);
        assert_eq!(
            parse("metadata.annotations.[a.b/c]")[2],
            Seg::Key("a.b/c".into())
        );
        assert_eq!(parse("spec.ports.0.port")[2], Seg::Index(0));
    }
    #[test]
    fn get_and_create() {
        let mut v = json!({"spec": {"containers": [{"name": "app", "image": "x"}]}});
        assert_eq!(
            get(&v, &parse("spec.containers.[name=app].image")),
            Some(&json!("x"))
        );
        let n = visit(
            &mut v,
            &parse("spec.a.b"),
            Some(&json!("new")),
            &mut |_, _, _| Ok(()),
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(v["spec"]["a"]["b"], "new");
    }
}
