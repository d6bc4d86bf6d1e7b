//! Resource selection: kustomize's `Selector` (anchored regexes on gvk, name
//! and namespace, original or current) and Kubernetes label selectors.

use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::Selector;
use crate::model::resmap::ResMap;
use crate::model::resource::{effective_ns, ResId, Resource};
use crate::yaml::RawField;
use regex::Regex;
use serde_json::{Map, Value};

pub struct Compiled {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(field: &str, pat: &str) -> Result<Option<Regex>> {
    if pat.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{pat})$")).map(Some).map_err(|e| {
        Error::new(
            ErrorKind::Kustomization,
            format!("invalid regular expression in target {field} `{pat}`: {e}"),
        )
    })
}

impl Compiled {
    pub fn new(s: &Selector) -> Result<Compiled> {
        Ok(Compiled {
            group: anchored("group", &s.group)?,
            version: anchored("version", &s.version)?,
            kind: anchored("kind", &s.kind)?,
            name: anchored("name", &s.name)?,
            namespace: anchored("namespace", &s.namespace)?,
            labels: LabelSelector::parse_opt(&s.label_selector)?,
            annotations: LabelSelector::parse_opt(&s.annotation_selector)?,
        })
    }

    fn ns_of(id: &ResId) -> &str {
        if id.gvk.is_cluster_scoped() {
            ""
        } else {
            effective_ns(&id.namespace)
        }
    }

    pub fn matches(&self, r: &Resource) -> bool {
        let cur = r.id();
        let org = r.org_id();
        let m = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|re| re.is_match(s));
        if !(m(&self.namespace, Self::ns_of(&org)) || m(&self.namespace, Self::ns_of(&cur))) {
            return false;
        }
        if !(m(&self.name, &org.name) || m(&self.name, &cur.name)) {
            return false;
        }
        if !(m(&self.group, &cur.gvk.group)
            && m(&self.version, &cur.gvk.version)
            && m(&self.kind, &cur.gvk.kind))
        {
            return false;
        }
        // Selectors read labels and annotations as kustomize does: as
        // written (`v: 1.50` matches `v=1.50`).
        if let Some(ls) = &self.labels {
            if !ls.matches(r.string_map(RawField::Label).as_ref()) {
                return false;
            }
        }
        if let Some(ls) = &self.annotations {
            if !ls.matches(r.annotation_strings().as_ref()) {
                return false;
            }
        }
        true
    }
}

/// Indices of the resources `s` selects.
pub fn select(rm: &ResMap, s: &Selector) -> Result<Vec<usize>> {
    let c = Compiled::new(s)?;
    Ok(rm
        .resources()
        .iter()
        .enumerate()
        .filter(|(_, r)| c.matches(r))
        .map(|(i, _)| i)
        .collect())
}

#[derive(Debug)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A Kubernetes label selector in its string form (`a=b,c!=d,e in (x,y),!f`).
#[derive(Debug)]
pub struct LabelSelector(Vec<Req>);

impl LabelSelector {
    pub fn parse_opt(s: &str) -> Result<Option<LabelSelector>> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        LabelSelector::parse(s).map(Some)
    }

    pub fn parse(s: &str) -> Result<LabelSelector> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::Kustomization,
                format!("invalid label selector `{s}`: {why}"),
            )
        };
        let mut reqs = Vec::new();
        // Split on commas outside parentheses.
        let mut parts = Vec::new();
        let (mut depth, mut start) = (0i32, 0usize);
        for (i, ch) in s.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&s[start..]);
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                return Err(bad("empty requirement"));
            }
            if let Some(k) = p.strip_prefix('!') {
                reqs.push(Req::NotExists(k.trim().to_string()));
            } else if let Some((k, v)) = p.split_once("!=") {
                reqs.push(Req::Ne(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once("==") {
                reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once('=') {
                reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, rest)) = split_word(p, " notin ") {
                reqs.push(Req::NotIn(
                    k,
                    set_values(rest).ok_or_else(|| bad("expected (values)"))?,
                ));
            } else if let Some((k, rest)) = split_word(p, " in ") {
                reqs.push(Req::In(
                    k,
                    set_values(rest).ok_or_else(|| bad("expected (values)"))?,
                ));
            } else {
                reqs.push(Req::Exists(p.to_string()));
            }
        }
        Ok(LabelSelector(reqs))
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).map(super::scalar_string);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k).as_deref() == Some(v.as_str()),
            Req::Ne(k, v) => get(k).as_deref() != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
            Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }
}

fn split_word(p: &str, word: &str) -> Option<(String, String)> {
    p.find(word).map(|i| {
        (
            p[..i].trim().to_string(),
            p[i + word.len()..].trim().to_string(),
        )
    })
}

fn set_values(s: String) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn label_selectors() {
        let l = json!({"app": "web", "tier": "front"});
        let m = l.as_object();
        assert!(LabelSelector::parse("app=web").unwrap().matches(m));
        assert!(LabelSelector::parse("app=web,tier in (front, back)")
            .unwrap()
            .matches(m));
        assert!(!LabelSelector::parse("app!=web").unwrap().matches(m));
        assert!(LabelSelector::parse("!missing,app").unwrap().matches(m));
        assert!(!LabelSelector::parse("tier notin (front)")
            .unwrap()
            .matches(m));
    }
}
