//! The builtin transformers: namespace, name prefix/suffix, labels and
//! annotations, images, replicas, and name-reference fixing. Pure functions
//! over a `ResMap`; which fields they touch comes from field specs (data).

pub mod config;
pub mod crds;
pub mod fieldpath;
pub mod fieldspec;
pub mod fieldspecs;
pub mod nameref;
pub mod plugins;
pub mod replacements;
pub mod select;
pub mod vars;

use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::{Image, Replica};
use crate::model::resmap::ResMap;
use crate::model::resource::Resource;
use crate::path::{Place, Step};
use fieldspec::{walk, walk_at, Create, FieldSpec};
use serde_json::{Map, Value};

fn spec_err(r: &Resource, fs: &FieldSpec, msg: String) -> Error {
    let e = Error::new(
        ErrorKind::Resource,
        format!("cannot update field `{}`: {msg}", fs.path),
    );
    r.error_at_place(e, spec_place(fs))
}

/// A field spec's path as a place (lists it crosses are not indexed, so
/// the position found stops at the list).
fn spec_place(fs: &FieldSpec) -> Place {
    fs.path
        .split('/')
        .filter(|k| !k.is_empty())
        .map(|k| Step::Key(k.to_string()))
        .collect()
}

/// Field specs with their paths split once per transformer run, not once
/// per resource.
struct Prepared<'a>(Vec<(&'a FieldSpec, Vec<String>)>);

impl<'a> Prepared<'a> {
    fn new(specs: impl IntoIterator<Item = &'a FieldSpec>) -> Prepared<'a> {
        Prepared(specs.into_iter().map(|fs| (fs, fs.segments())).collect())
    }
}

/// Apply `f` to every field named by the specs that select `r` (and that
/// `keep` accepts).
fn apply_specs(
    r: &mut Resource,
    specs: &Prepared,
    keep: impl Fn(&FieldSpec) -> bool,
    create: Create,
    f: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<()> {
    let gvk = r.gvk();
    for (fs, segs) in specs
        .0
        .iter()
        .filter(|(fs, _)| fs.selects(&gvk) && keep(fs))
    {
        let mode = if fs.create { create } else { Create::No };
        if let Err(m) = walk(&mut r.obj, segs, mode, f) {
            return Err(spec_err(r, fs, m));
        }
    }
    Ok(())
}

/// Which (Cluster)RoleBinding subjects the namespace transformer sets the
/// namespace of (its `setRoleBindingSubjects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subjects {
    /// Subjects named `default` (kustomize's default).
    DefaultOnly,
    /// Subjects of kind ServiceAccount.
    AllServiceAccounts,
    None,
}

impl Subjects {
    /// kustomize's values; empty means the default.
    pub fn parse(s: &str) -> Result<Subjects> {
        match s {
            "" | "defaultOnly" => Ok(Subjects::DefaultOnly),
            "allServiceAccounts" => Ok(Subjects::AllServiceAccounts),
            "none" => Ok(Subjects::None),
            other => Err(crate::error::Error::new(
                crate::error::ErrorKind::Kustomization,
                format!(
                    "invalid value {other:?} for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
                ),
            )),
        }
    }
}

/// kustomize's NamespaceTransformer.
pub fn namespace(
    rm: &mut ResMap,
    ns: &str,
    specs: &[FieldSpec],
    unset_only: bool,
    subjects: Subjects,
) -> Result<()> {
    if ns.is_empty() {
        return Ok(());
    }
    let specs = Prepared::new(specs.iter().filter(|fs| fs.path != "metadata/namespace"));
    let set = &mut |v: &mut Value| {
        if !(unset_only && v.as_str().is_some_and(|s| !s.is_empty())) {
            *v = Value::String(ns.to_string());
        }
        Ok(())
    };
    for r in rm.resources_mut() {
        if r.map().is_empty() {
            continue;
        }
        r.store_prev_id();
        let gvk = r.gvk();
        let kind = gvk.kind.clone();
        if !gvk.is_cluster_scoped() {
            let md = r
                .map_mut()
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(m) = md.as_object_mut() {
                let has = m
                    .get("namespace")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if !(unset_only && has) {
                    m.insert("namespace".into(), Value::String(ns.to_string()));
                }
            }
        }
        let is_binding = kind == "RoleBinding" || kind == "ClusterRoleBinding";
        if is_binding {
            if let Some(Value::Array(list)) = r.map_mut().get_mut("subjects") {
                for s in list.iter_mut() {
                    let (field, want) = match subjects {
                        Subjects::DefaultOnly => ("name", "default"),
                        Subjects::AllServiceAccounts => ("kind", "ServiceAccount"),
                        Subjects::None => break,
                    };
                    if s.get(field).and_then(Value::as_str) != Some(want) {
                        continue;
                    }
                    if let Some(m) = s.as_object_mut() {
                        let has = m
                            .get("namespace")
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty());
                        if !(unset_only && has) {
                            m.insert("namespace".into(), Value::String(ns.to_string()));
                        }
                    }
                }
            }
        }
        // The spec renaming a Namespace object applies to the core
        // Namespace only, not to a kind of that name in another API group.
        let own = |fs: &FieldSpec| {
            !(fs.kind == "Namespace" && fs.path == "metadata/name" && !gvk.group.is_empty())
                && !(is_binding
                    && fs.path == "subjects"
                    && (fs.kind == "RoleBinding" || fs.kind == "ClusterRoleBinding"))
        };
        apply_specs(r, &specs, own, Create::Str, set)?;
    }
    rm.reindex("the namespace transformation")
}

/// kustomize's PrefixTransformer and SuffixTransformer (one at a time).
pub fn prefix_suffix(
    rm: &mut ResMap,
    affix: &str,
    is_prefix: bool,
    specs: &[FieldSpec],
) -> Result<()> {
    if affix.is_empty() {
        return Ok(());
    }
    let prepared = Prepared::new(specs);
    for r in rm.resources_mut() {
        let org = r.org_id();
        // kustomize never renames these.
        if org.gvk.kind == "CustomResourceDefinition"
            || org.gvk.kind == "Namespace"
            || (org.gvk.kind == "APIService" && org.gvk.group == "apiregistration.k8s.io")
        {
            continue;
        }
        for (fs, segs) in prepared.0.iter().filter(|(fs, _)| fs.selects(&org.gvk)) {
            if fs.path == "metadata/name" {
                if is_prefix {
                    r.prefixes.push(affix.to_string());
                } else {
                    r.suffixes.push(affix.to_string());
                }
                r.store_prev_id();
            }
            let res = walk(&mut r.obj, segs, Create::No, &mut |v| {
                if let Value::String(s) = v {
                    *s = if is_prefix {
                        format!("{affix}{s}")
                    } else {
                        format!("{s}{affix}")
                    };
                }
                Ok(())
            });
            if let Err(m) = res {
                return Err(spec_err(r, fs, m));
            }
        }
    }
    rm.reindex(if is_prefix {
        "the name prefix"
    } else {
        "the name suffix"
    })
}

/// Add map entries (labels or annotations) at the spec'd fields.
pub fn add_entries(
    rm: &mut ResMap,
    entries: &Map<String, Value>,
    specs: &[FieldSpec],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let entries: Vec<(String, Value)> = entries
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(scalar_string(v))))
        .collect();
    let prepared = Prepared::new(specs);
    for r in rm.resources_mut() {
        let before = r.aliases.snapshot(&r.obj);
        // kustomize makes one node per key and inserts it at every field
        // it creates: those places share it from now on.
        let mut created: Vec<Vec<Place>> = vec![Vec::new(); entries.len()];
        let gvk = r.gvk();
        for (fs, segs) in prepared.0.iter().filter(|(fs, _)| fs.selects(&gvk)) {
            let mode = if fs.create { Create::Map } else { Create::No };
            let res = walk_at(
                &mut r.obj,
                segs,
                mode,
                &mut Vec::new(),
                &mut |v, at| match v {
                    Value::Object(m) => {
                        for (i, (k, val)) in entries.iter().enumerate() {
                            if m.insert(k.clone(), val.clone()).is_none() {
                                let mut place = at.clone();
                                place.push(Step::Key(k.clone()));
                                created[i].push(place);
                            }
                        }
                        Ok(())
                    }
                    Value::Null => Ok(()),
                    _ => Err("expected a mapping".into()),
                },
            );
            if let Err(m) = res {
                return Err(spec_err(r, fs, m));
            }
        }
        r.aliases.sync(&mut r.obj, before, None);
        for places in created {
            r.aliases.add(places);
        }
    }
    Ok(())
}

/// A scalar as the string kustomize would read it into a map[string]string.
pub fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// kustomize's ImageTagTransformer: the legacy walk over every
/// `containers`/`initContainers` list, then the field specs. kyaml's
/// `SetScalar` writes the new reference as an untagged node (`notes`):
/// a later replacement copying a number's text there makes it a number.
pub fn images(rm: &mut ResMap, img: &Image, specs: &[FieldSpec]) -> Result<()> {
    let specs = Prepared::new(specs);
    for r in rm.resources_mut() {
        let mut set: Vec<(Place, String)> = Vec::new();
        let notes = &r.notes;
        let mut update = |v: &mut Value, at: &Place| -> Result<(), String> {
            // kyaml's setter keeps the node's style: a quoted image stays
            // a string whatever is copied into it later.
            let styled = notes.is_styled(at, v);
            if let Value::String(s) = v {
                if let Some(n) = update_image(s, img) {
                    *s = n.clone();
                    if !styled {
                        set.push((at.clone(), n));
                    }
                }
            }
            Ok(())
        };
        legacy_images(&mut r.obj, &mut update, &mut Vec::new());
        let gvk = r.gvk();
        for (fs, segs) in specs.0.iter().filter(|(fs, _)| fs.selects(&gvk)) {
            if let Err(m) = walk_at(&mut r.obj, segs, Create::No, &mut Vec::new(), &mut update) {
                return Err(spec_err(r, fs, m));
            }
        }
        for (at, text) in set {
            let value = crate::yaml::resolve_plain(&text);
            r.notes.remove_at(&at);
            if !value.is_string() {
                if let Some(slot) = crate::path::get_mut(&mut r.obj, &at) {
                    *slot = value.clone();
                }
            }
            r.notes
                .set(at, crate::model::notes::Note::Untagged { text, value });
        }
    }
    Ok(())
}

fn legacy_images(
    v: &mut Value,
    f: &mut dyn FnMut(&mut Value, &Place) -> Result<(), String>,
    at: &mut Place,
) {
    if at.len() > 200 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                at.push(Step::Key(k.clone()));
                if (k == "containers" || k == "initContainers") && child.is_array() {
                    for (i, c) in child.as_array_mut().into_iter().flatten().enumerate() {
                        if let Some(img) = c.get_mut("image") {
                            at.push(Step::Index(i));
                            at.push(Step::Key("image".into()));
                            let _ = f(img, at);
                            at.pop();
                            at.pop();
                        }
                    }
                } else {
                    legacy_images(child, f, at);
                }
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                at.push(Step::Index(i));
                legacy_images(item, f, at);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The new image reference, when `image` is the one `img` names.
pub fn update_image(image: &str, img: &Image) -> Option<String> {
    if !image_matches(image, &img.name) {
        return None;
    }
    let (mut name, mut tag, mut digest) = split_image(image);
    if !img.new_name.is_empty() {
        name = img.new_name.clone();
    }
    // A new tag or digest replaces both; a tag suffix applies only
    // without them, and drops the digest.
    if !img.new_tag.is_empty() && !img.digest.is_empty() {
        tag = img.new_tag.clone();
        digest = img.digest.clone();
    } else if !img.new_tag.is_empty() {
        tag = img.new_tag.clone();
        digest.clear();
    } else if !img.digest.is_empty() {
        digest = img.digest.clone();
        tag.clear();
    } else if !img.tag_suffix.is_empty() {
        tag.push_str(&img.tag_suffix);
        digest.clear();
    }
    let mut out = name;
    if !tag.is_empty() {
        out.push(':');
        out.push_str(&tag);
    }
    if !digest.is_empty() {
        out.push('@');
        out.push_str(&digest);
    }
    Some(out)
}

/// `image` is `name`, then optionally `:tag`, then optionally
/// `@sha256:digest` (kustomize's pattern; tags of `[a-zA-Z0-9_.{}-]`), so an
/// image an earlier entry gave a tag and a digest still matches a later one.
fn image_matches(image: &str, name: &str) -> bool {
    let Some(mut rest) = image.strip_prefix(name) else {
        return false;
    };
    let tag_chars = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.{}-".contains(c))
    };
    if let Some(t) = rest.strip_prefix(':') {
        let end = t.find('@').unwrap_or(t.len());
        if !tag_chars(&t[..end]) {
            return false;
        }
        rest = &t[end..];
    }
    if rest.is_empty() {
        return true;
    }
    rest.strip_prefix("@sha256:").is_some_and(tag_chars)
}

/// Split an image reference into name, tag and digest (a registry port is
/// not mistaken for a tag).
pub fn split_image(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(a)) if c.is_none_or(|c| a < c) => (
            image[..a].to_string(),
            String::new(),
            image[a + 1..].to_string(),
        ),
        (Some(c), Some(a)) => (
            image[..c].to_string(),
            image[c + 1..a].to_string(),
            image[a + 1..].to_string(),
        ),
        (Some(c), None) => (
            image[..c].to_string(),
            image[c + 1..].to_string(),
            String::new(),
        ),
        (None, Some(_)) => unreachable!("handled above"),
    }
}

/// kustomize's ReplicaCountTransformer.
pub fn replicas(rm: &mut ResMap, rep: &Replica, specs: &[FieldSpec]) -> Result<()> {
    let mut found = false;
    for fs in specs {
        let sel = fs.gvk();
        let hits = rm.matching_any_id(|id| id.name == rep.name && sel.selects(&id.gvk));
        for i in hits {
            found = true;
            let r = &mut rm.resources_mut()[i];
            let res = walk(
                &mut r.obj,
                &fs.segments(),
                if fs.create { Create::Str } else { Create::No },
                &mut |v| {
                    *v = Value::from(rep.count);
                    Ok(())
                },
            );
            if let Err(m) = res {
                return Err(spec_err(r, fs, m));
            }
        }
    }
    if !found {
        let kinds: Vec<String> = specs.iter().map(|f| f.kind.clone()).collect();
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!(
                "replicas: resource with name {} does not match a config with the following kinds: {}",
                rep.name,
                kinds.join(", ")
            ),
        )
        .hint("`replicas:` names a Deployment, StatefulSet, ReplicaSet or ReplicationController (or a kind added by `configurations:`)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    fn img(name: &str, nn: &str, tag: &str, digest: &str) -> Image {
        Image {
            name: name.into(),
            new_name: nn.into(),
            new_tag: tag.into(),
            digest: digest.into(),
            ..Default::default()
        }
    }
    #[test]
    fn image_updates() {
        assert_eq!(
            update_image("nginx", &img("nginx", "", "1.2", "")).unwrap(),
            "nginx:1.2"
        );
        assert_eq!(
            update_image("nginx:1.0", &img("nginx", "my/nginx", "", "")).unwrap(),
            "my/nginx:1.0"
        );
        assert_eq!(
            update_image("reg:5000/nginx:1.0", &img("reg:5000/nginx", "", "2", "")).unwrap(),
            "reg:5000/nginx:2"
        );
        assert_eq!(
            update_image("nginx:1.0", &img("nginx", "", "", "sha256:abc")).unwrap(),
            "nginx@sha256:abc"
        );
        assert!(update_image("nginx-other", &img("nginx", "", "1", "")).is_none());
    }
}
