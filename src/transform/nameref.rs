//! Name-reference fixing (kustomize's nameReference transformer): after
//! renames (prefix, suffix, hash, namespace), rewrite the fields that refer
//! to renamed objects. Candidates are found through an index of previous
//! names, so the pass is linear in the number of resources and references.

use super::config::NameBackRef;
use super::fieldspec::{walk_lenient, GvkSel};
use crate::error::{Error, ErrorKind, Result};
use crate::model::resmap::ResMap;
use crate::model::resource::{effective_ns, ResId, Resource};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What name fixing needs to know about a possible referral target.
struct Cand {
    cur: ResId,
    org_ns: String,
    prev: Vec<ResId>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

struct Ctx<'a> {
    cands: &'a [Cand],
    by_prev_name: &'a HashMap<&'a str, Vec<usize>>,
    /// Namespaced resources by the effective namespace of their original id
    /// (kustomize's GroupedByOriginalNamespace), built on first use: only
    /// references that name a namespace need it.
    by_org_ns: std::cell::OnceCell<HashMap<&'a str, Vec<usize>>>,
}

impl<'a> Ctx<'a> {
    fn by_org_ns(&self) -> &HashMap<&'a str, Vec<usize>> {
        self.by_org_ns.get_or_init(|| {
            let mut m: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, c) in self.cands.iter().enumerate() {
                if !c.cur.gvk.is_cluster_scoped() {
                    m.entry(effective_ns(&c.org_ns)).or_default().push(i);
                }
            }
            m
        })
    }
}

pub fn fix(rm: &mut ResMap, backrefs: &[NameBackRef]) -> Result<()> {
    let cands: Vec<Cand> = rm
        .resources()
        .iter()
        .map(|r| Cand {
            cur: r.id(),
            org_ns: r.org_id().namespace,
            prev: r.prev_ids.clone(),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        })
        .collect();
    let mut by_prev_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in cands.iter().enumerate() {
        let mut seen = HashSet::new();
        for p in &c.prev {
            if seen.insert(p.name.as_str()) {
                by_prev_name.entry(p.name.as_str()).or_default().push(i);
            }
        }
    }
    let ctx = Ctx {
        cands: &cands,
        by_prev_name: &by_prev_name,
        by_org_ns: std::cell::OnceCell::new(),
    };
    let segments: Vec<Vec<Vec<String>>> = backrefs
        .iter()
        .map(|br| br.referrers.iter().map(|fs| fs.segments()).collect())
        .collect();
    for (ri, r) in rm.resources_mut().iter_mut().enumerate() {
        let org_gvk = match r.prev_ids.first() {
            Some(id) => id.gvk.clone(),
            None => r.gvk(),
        };
        for (br, br_segs) in backrefs.iter().zip(&segments) {
            for (fs, segs) in br
                .referrers
                .iter()
                .zip(br_segs)
                .filter(|(fs, _)| fs.selects(&org_gvk))
            {
                let referrer = Referrer::new(r, &cands[ri], &fs.path)?;
                let res = walk_lenient(&mut r.obj, segs, &mut |v| {
                    set(&ctx, &referrer, &br.target, v)
                });
                if let Err(m) = res {
                    return Err(Error::new(
                        ErrorKind::Resource,
                        format!("updating name reference in `{}`: {m}", fs.path),
                    )
                    .resource(cands[ri].cur.to_string()));
                }
            }
        }
    }
    Ok(())
}

/// The facts about the referring object that selection needs.
struct Referrer<'a> {
    cand: &'a Cand,
    role_ref: Option<GvkSel>,
    rb_namespaces: HashSet<String>,
}

impl<'a> Referrer<'a> {
    fn new(r: &Resource, cand: &'a Cand, path: &str) -> Result<Referrer<'a>> {
        let role_ref = if path.ends_with("roleRef/name") {
            r.obj.get("roleRef").and_then(|rr| {
                let g = rr.get("apiGroup")?.as_str()?;
                let k = rr.get("kind")?.as_str()?;
                Some(GvkSel {
                    group: g.to_string(),
                    version: String::new(),
                    kind: k.to_string(),
                })
            })
        } else {
            None
        };
        let mut rb_namespaces = HashSet::new();
        if r.kind() == "RoleBinding" {
            for s in r
                .obj
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if s.get("kind").and_then(Value::as_str) == Some("ServiceAccount") {
                    match s.get("namespace") {
                        Some(Value::String(ns)) => {
                            rb_namespaces.insert(ns.to_string());
                        }
                        Some(_) => {
                            return Err(Error::new(
                                ErrorKind::Resource,
                                "Invalid Input: namespace is blank for resource: a ServiceAccount subject has an empty `namespace:`",
                            )
                            .resource(r.describe())
                            .hint("give the subject a namespace, or remove the empty `namespace:` line"))
                        }
                        None => {}
                    }
                }
            }
        }
        Ok(Referrer {
            cand,
            role_ref,
            rb_namespaces,
        })
    }

    /// kustomize's SubsetThatCouldBeReferencedByResource.
    fn could_reference(&self, t: &Cand) -> bool {
        let me = &self.cand.cur;
        me.gvk.is_cluster_scoped()
            || t.cur.gvk.is_cluster_scoped()
            || me.ns_eq(&t.cur)
            || self.rb_namespaces.contains(&t.cur.namespace)
    }

    /// kustomize's sameCurrentNamespaceAsReferrer.
    fn same_namespace(&self, t: &Cand) -> bool {
        let me = &self.cand.cur;
        me.gvk.is_cluster_scoped()
            || t.cur.gvk.is_cluster_scoped()
            || t.cur.gvk.kind == "ServiceAccount"
            || me.ns_eq(&t.cur)
    }
}

fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long[long.len() - short.len()..] == *short
}

/// kustomize's PrefixesSuffixesEquals. With `allow_empty`, a side that
/// carries no prefixes (suffixes) is compatible with any: a ConfigMap
/// generated in an overlay binds to a Deployment that a base gave its own
/// suffix, while sibling overlays' prefixes still tell the branches apart.
fn affixes_match(t: &Cand, me: &Cand, allow_empty: bool) -> bool {
    let ok = |a: &[String], b: &[String]| {
        (allow_empty && (a.is_empty() || b.is_empty())) || same_ending(a, b)
    };
    ok(&t.prefixes, &me.prefixes) && ok(&t.suffixes, &me.suffixes)
}

fn set(ctx: &Ctx, me: &Referrer, target: &GvkSel, v: &mut Value) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::String(_) => set_scalar(ctx, me, target, v),
        Value::Object(_) => set_mapping(ctx, me, target, v),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(_) => set_scalar(ctx, me, target, item)?,
                    Value::Object(_) => set_mapping(ctx, me, target, item)?,
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Candidates once named `old` that the referrer could refer to.
fn reachable(ctx: &Ctx, me: &Referrer, old: &str) -> Vec<usize> {
    ctx.by_prev_name
        .get(old)
        .map(|l| {
            l.iter()
                .copied()
                .filter(|&i| me.could_reference(&ctx.cands[i]))
                .collect()
        })
        .unwrap_or_default()
}

fn set_scalar(ctx: &Ctx, me: &Referrer, target: &GvkSel, v: &mut Value) -> Result<(), String> {
    let Some(old) = v.as_str() else { return Ok(()) };
    let pool = reachable(ctx, me, old);
    if let Some(i) = select(ctx, me, target, old, pool, false)? {
        let new = &ctx.cands[i].cur.name;
        if new != old {
            *v = Value::String(new.clone());
        }
    }
    Ok(())
}

fn set_mapping(ctx: &Ctx, me: &Referrer, target: &GvkSel, v: &mut Value) -> Result<(), String> {
    let Some(m) = v.as_object_mut() else {
        return Ok(());
    };
    let Some(old) = m.get("name").and_then(Value::as_str).map(str::to_string) else {
        if m.contains_key("name") {
            return Ok(());
        }
        return Err("path config error; no 'name' field in node".into());
    };
    let all = reachable(ctx, me, &old);
    let pool = match m.get("namespace") {
        None => all,
        Some(v) => {
            // kustomize looks the field's text up among the groups of the
            // resources the referrer can reach, keyed by effective namespace
            // (so "" or a null matches none): the group by original
            // namespace if there is one, else the group by current namespace.
            let text = match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            // Whether a resource the referrer can reach was first in that
            // namespace.
            let by_org = text
                .as_deref()
                .and_then(|t| ctx.by_org_ns().get(t))
                .is_some_and(|g| g.iter().any(|&i| me.could_reference(&ctx.cands[i])));
            match text {
                None => Vec::new(),
                Some(t) => all
                    .into_iter()
                    .filter(|&i| {
                        let c = &ctx.cands[i];
                        let ns = if by_org { &c.org_ns } else { &c.cur.namespace };
                        !c.cur.gvk.is_cluster_scoped() && effective_ns(ns) == t
                    })
                    .collect(),
            }
        }
    };
    if let Some(i) = select(ctx, me, target, &old, pool, true)? {
        let c = &ctx.cands[i];
        if c.cur.name == old && c.cur.namespace.is_empty() {
            return Ok(());
        }
        m.insert("name".into(), Value::String(c.cur.name.clone()));
        if !c.cur.namespace.is_empty() {
            m.insert("namespace".into(), Value::String(c.cur.namespace.clone()));
        }
    }
    Ok(())
}

/// kustomize's selectReferral, over candidates whose previous names include
/// `old` and that the referrer could reach.
fn select(
    ctx: &Ctx,
    me: &Referrer,
    target: &GvkSel,
    old: &str,
    pool: Vec<usize>,
    with_ns: bool,
) -> Result<Option<usize>, String> {
    let c: Vec<usize> = pool
        .into_iter()
        .filter(|&i| {
            let t = &ctx.cands[i];
            t.prev.iter().any(|p| p.name == old)
                && t.prev.iter().any(|p| target.selects(&p.gvk))
                && me
                    .role_ref
                    .as_ref()
                    .is_none_or(|rr| t.prev.iter().any(|p| rr.selects(&p.gvk)))
                && me.same_namespace(t)
        })
        .collect();
    if c.len() == 1 {
        return Ok(Some(c[0]));
    }
    // Lenient first (an empty side matches), then exact, as kustomize.
    let c: Vec<usize> = c
        .into_iter()
        .filter(|&i| affixes_match(&ctx.cands[i], me.cand, true))
        .collect();
    if c.len() == 1 {
        return Ok(Some(c[0]));
    }
    let c: Vec<usize> = c
        .into_iter()
        .filter(|&i| affixes_match(&ctx.cands[i], me.cand, false))
        .collect();
    match c.len() {
        0 => Ok(None),
        1 => Ok(Some(c[0])),
        _ => {
            let first = &ctx.cands[c[0]].cur;
            let identical = c.iter().all(|&i| {
                let t = &ctx.cands[i].cur;
                t.name == first.name && (!with_ns || t.namespace == first.namespace)
            });
            if identical {
                Ok(Some(c[0]))
            } else {
                let ids: Vec<String> = c.iter().map(|&i| ctx.cands[i].cur.to_string()).collect();
                Err(format!(
                    "found multiple possible referrals for `{old}`: {}",
                    ids.join(", ")
                ))
            }
        }
    }
}
