//! Running configMapGenerator / secretGenerator for one kustomization and
//! absorbing the results into the accumulated resources (create / merge /
//! replace, as kustomize's AbsorbAll).

use crate::error::{Error, ErrorKind, Result};
use crate::generate::configmap::{self, GeneratorArgs, GeneratorOptions};
use crate::input::kustomization::Kustomization;
use crate::input::load::Loader;
use crate::model::provenance::{ConfiguredBy, Provenance};
use crate::model::resmap::ResMap;
use crate::model::resource::{Behavior, Origin, Resource};
use crate::path::Step;
use crate::yaml::RawField;
use serde_json::{Map, Value};
use std::path::Path;

/// Where a generator entry was written: the kustomization's directory and
/// file, and the loader that reads what it names.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub loader: &'a Loader,
    pub dir: &'a Path,
    pub file: &'a Path,
    /// The kustomization's text, to point errors at their entry.
    pub text: Option<&'a str>,
}

/// Which generator an entry is for.
#[derive(Clone, Copy)]
pub enum Kind {
    ConfigMap,
    Secret,
}

/// Run the kustomization's generators; `configured_in` (the kustomization
/// file's origin path) is given when origin annotations are on.
pub fn run(
    site: Site,
    k: &Kustomization,
    configured_in: Option<&str>,
    rm: &mut ResMap,
) -> Result<()> {
    let prov = |kind: &str| {
        configured_in.map(|c| Provenance::configured(c.to_string(), ConfiguredBy::builtin(kind)))
    };
    let global = match &k.generator_options {
        Some(v) => Some(GeneratorOptions::from_value(v).map_err(|e| e.file(site.file))?),
        None => None,
    };
    let at = |field: &str, i: usize| {
        let path = [Step::Key(field.to_string()), Step::Index(i)];
        let pos = site.text.and_then(|t| crate::yaml::locate(t, 0, &path));
        move |e: Error| e.entry(site.file, pos)
    };
    for (i, v) in k.config_map_generator.iter().enumerate() {
        generate_one(
            site,
            Kind::ConfigMap,
            v,
            global.as_ref(),
            prov("ConfigMapGenerator"),
            rm,
        )
        .map_err(at("configMapGenerator", i))?;
    }
    for (i, v) in k.secret_generator.iter().enumerate() {
        generate_one(
            site,
            Kind::Secret,
            v,
            global.as_ref(),
            prov("SecretGenerator"),
            rm,
        )
        .map_err(at("secretGenerator", i))?;
    }
    Ok(())
}

/// Run one generator entry (from the kustomization's lists or from a
/// builtin generator config) and absorb the result.
pub fn generate_one(
    site: Site,
    kind: Kind,
    v: &Value,
    global: Option<&GeneratorOptions>,
    prov: Option<Provenance>,
    rm: &mut ResMap,
) -> Result<()> {
    let mut read = |rel: &str| -> Result<Vec<u8>> {
        site.loader
            .read_restricted(site.dir, rel)
            .map(|(_, b)| b)
            .map_err(|e| e.entry(site.file, None))
    };
    let g = match kind {
        Kind::ConfigMap => {
            let args = GeneratorArgs::configmap_from_value(v).map_err(|e| e.file(site.file))?;
            configmap::generate_configmap(&args, global, &mut read)
        }
        Kind::Secret => {
            let args = GeneratorArgs::secret_from_value(v).map_err(|e| e.file(site.file))?;
            configmap::generate_secret(&args, global, &mut read)
        }
    }
    .map_err(|e| e.file(site.file))?;
    let mut obj = g.obj;
    if let Some(p) = prov {
        p.annotate(&mut obj);
    }
    let mut r = Resource::new(
        obj,
        Some(Origin {
            file: site.file.to_path_buf(),
            line: 0,
        }),
    );
    r.needs_hash = g.needs_hash;
    r.behavior = match g.behavior {
        configmap::Behavior::Merge => Behavior::Merge,
        configmap::Behavior::Replace => Behavior::Replace,
        _ => Behavior::Create,
    };
    absorb(rm, r).map_err(|e| e.file(site.file))
}

/// Add a generated object, or merge/replace an existing one of the same id.
pub fn absorb(rm: &mut ResMap, mut r: Resource) -> Result<()> {
    let id = r.id();
    let hits = rm.matching_any_id(|x| x.equals(&id));
    match hits.len() {
        0 => match r.behavior {
            Behavior::Create => rm.append(r),
            _ => Err(Error::new(
                ErrorKind::Kustomization,
                format!("id {id} does not exist; cannot merge or replace"),
            )
            .hint("`behavior: merge` and `behavior: replace` need a generated object of the same name in a base; use `behavior: create` for a new one")),
        },
        1 => {
            let i = hits[0];
            let old = rm.get(i).clone();
            match r.behavior {
                Behavior::Create => {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!("id {id} exists; behavior must be merge or replace"),
                    )
                    .hint("set `behavior: merge` or `behavior: replace` on the generator that redefines it"))
                }
                Behavior::Merge => {
                    // As strings, the old values as written (GetDataMap).
                    let old_data = old.string_map(RawField::Data);
                    merge_map_from(&mut r.obj, old_data.as_ref(), "data");
                    let old_binary = old.obj.get("binaryData").and_then(Value::as_object).map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                let s = crate::yaml::annotation_text(v).unwrap_or_default();
                                (k.clone(), Value::String(s))
                            })
                            .collect()
                    });
                    merge_map_from(&mut r.obj, old_binary.as_ref(), "binaryData");
                }
                Behavior::Replace => {}
            }
            copy_meta_from(&mut r, &old);
            // A merge keeps the origin of the object merged into (where the
            // generator was declared first); a replace takes the new one.
            if r.behavior == Behavior::Merge {
                if let Some(o) = old
                    .annotations()
                    .and_then(|a| a.get(crate::model::provenance::ORIGIN_ANNOTATION))
                    .and_then(Value::as_str)
                {
                    crate::model::provenance::set_meta_entry(
                        &mut r.obj,
                        "annotations",
                        crate::model::provenance::ORIGIN_ANNOTATION,
                        o.to_string(),
                    );
                }
            }
            rm.replace(i, r);
            Ok(())
        }
        _ => Err(Error::new(
            ErrorKind::Conflict,
            format!("found multiple objects that could accept merge of {id}"),
        )),
    }
}

/// kustomize's CopyMergeMetaDataFieldsFrom: labels and annotations merged
/// (the new ones win) as the string maps kustomize reads (values as
/// written), name, namespace and build state taken from the old.
fn copy_meta_from(r: &mut Resource, old: &Resource) {
    for (key, field) in [
        ("labels", RawField::Label),
        ("annotations", RawField::Annotation),
    ] {
        let mut merged: Map<String, Value> = old.string_map(field).unwrap_or_default();
        if let Some(new) = r.string_map(field) {
            merged.extend(new);
        }
        let md = r
            .map_mut()
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(md) = md.as_object_mut() {
            if merged.is_empty() {
                md.remove(key);
            } else {
                md.insert(key.to_string(), Value::Object(merged));
            }
        }
    }
    r.set_name(old.name());
    r.set_namespace(old.namespace());
    r.prev_ids = old.prev_ids.clone();
    r.prefixes = old.prefixes.clone();
    r.suffixes = old.suffixes.clone();
    r.ref_vars = old.ref_vars.clone();
    // Kept in an annotation by kustomize, so merged like one: the new object
    // has had no transformer run over it yet.
    r.transformations = old.transformations.clone();
    // Hashed only when both want it: merging onto a plain object keeps its
    // plain name, and an overlay may turn the hash off.
    r.needs_hash = old.needs_hash && r.needs_hash;
}

fn merge_map_from(new: &mut Value, old: Option<&Map<String, Value>>, key: &str) {
    let mut merged = old.cloned().unwrap_or_default();
    if let Some(n) = new.get(key).and_then(Value::as_object) {
        for (k, v) in n {
            merged.insert(k.clone(), v.clone());
        }
    }
    if let Some(m) = new.as_object_mut() {
        // kustomize sets the merged map, and setting an empty one removes
        // the field (which the content hash then leaves out too).
        if merged.is_empty() {
            m.remove(key);
        } else {
            m.insert(key.to_string(), Value::Object(merged));
        }
    }
}
