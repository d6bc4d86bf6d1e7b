//! `kcompile.yaml`: the clusters of a repository, compiled together, and the
//! checks that only make sense across clusters.
//!
//! ```yaml
//! # yaml-language-server: $schema=schemas/kcompile.schema.json
//! kubernetesVersion: "1.37"        # optional: validation schemas to use
//! clusters:
//!   - name: cluster-a
//!     overlay: overlays/cluster-a  # relative to this file
//!     context: kind-spark          # kubeconfig context (used by `diff`)
//!     output: rendered/cluster-a   # optional GitOps folder
//! ```
//!
//! [`compile_all`] builds (and validates) every cluster, in parallel across
//! cores with one shared [`Loader`] (so a shared base is read and parsed
//! once); results come back in configuration order, identical to a serial
//! run. [`collisions`] finds clusters that share a kubeconfig context and
//! would overwrite each other's objects.
//!
//! The file is not trusted more than the tree it names: it is read like any
//! input (regular file, bounded, never blocking); cluster names are DNS
//! labels and paths carry no control characters, since both are printed;
//! and outputs are only handed out by [`Config::resolve_outputs`], which
//! keeps them inside the file's folder (or another root the user names),
//! refuses symlinks on the way and outputs that overlap.

use crate::compile::{self, Output};
use crate::error::{Error, ErrorKind, Result};
use crate::input::kustomization::suggest;
use crate::input::load::Loader;
use crate::input::source::{Entry, Source};
use crate::model::resource::{effective_ns, is_cluster_scoped, Resource};
use crate::validate;
use crate::yaml::describe;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The configuration file's name.
pub const CONFIG_FILE: &str = "kcompile.yaml";
const TOP_FIELDS: &[&str] = &["apiVersion", "kind", "kubernetesVersion", "clusters"];
const CLUSTER_FIELDS: &[&str] = &["name", "overlay", "context", "output"];
/// Largest `kcompile.yaml` read.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
/// Longest cluster name (a DNS label).
pub const MAX_NAME: usize = 63;
/// Most threads `compile_all` starts (`--jobs`); more only costs memory.
pub const MAX_JOBS: usize = 256;
/// Stack of every thread that runs a build. Builds recurse through base
/// chains and nested documents (both bounded, see `compile::MAX_NESTING` and
/// the YAML depth limit); rayon's default 2 MiB overflows well within those
/// bounds. Only touched pages are ever committed.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// A parsed `kcompile.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub file: PathBuf,
    /// The folder holding the file; cluster paths are relative to it.
    pub root: PathBuf,
    pub kubernetes_version: Option<String>,
    pub clusters: Vec<Cluster>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    /// As written in the file (for messages).
    pub overlay: String,
    /// Resolved against the config's folder.
    pub overlay_path: PathBuf,
    pub context: Option<String>,
    /// The GitOps folder as written, relative to the config's folder; the
    /// path to write is [`Config::resolve_outputs`]'s, which checks it.
    pub output: Option<String>,
}

/// Look for `kcompile.yaml` in `start` and its parents. Any entry by that
/// name counts (a FIFO, a device, a dangling symlink), so that it is
/// refused when read rather than silently passed over for one further up.
pub fn find_config(source: &dyn Source, start: &Path) -> Result<Option<PathBuf>> {
    let start = source.canonicalize(start).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot resolve the working folder to look for {CONFIG_FILE}: {e}"),
        )
        .file(start)
        .hint("a folder whose absolute path is longer than the system allows (PATH_MAX) cannot be resolved; run kcompile from a shorter path, or pass --config")
    })?;
    Ok(start
        .ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| source.entry(p).is_ok()))
}

/// A string from the file as it may be shown in a message: control
/// characters escaped (so it cannot forge lines or colours), at most 80
/// characters.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(80)
        .collect::<String>()
        .escape_debug()
        .collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// A DNS label (RFC 1123): what Kubernetes accepts as a namespace name.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn cfg_err(file: &Path, msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Kustomization, msg).file(file)
}

fn check_fields(
    file: &Path,
    m: &serde_json::Map<String, Value>,
    known: &[&str],
    what: &str,
) -> Result<()> {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            let hint = match suggest(k, known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known fields: {}", known.join(", ")),
            };
            return Err(
                cfg_err(file, format!("unknown field `{}` in {what}", shown(k))).hint(hint),
            );
        }
    }
    Ok(())
}

/// Check a `kcompile.yaml` read as `bytes` (at most [`MAX_CONFIG_BYTES`]:
/// the caller reads it, like any file outside the tree, with
/// `input::disk::read_regular`).
pub fn from_bytes(file: &Path, bytes: Vec<u8>) -> Result<Config> {
    let text = String::from_utf8(bytes).map_err(|e| {
        cfg_err(
            file,
            format!(
                "the configuration is not valid UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let docs = crate::yaml::parse_stream(&text).map_err(|e| e.file(file))?;
    let v = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    parse(v, file)
}

/// Check a parsed configuration document.
pub fn parse(v: Value, file: &Path) -> Result<Config> {
    let root = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let Value::Object(m) = v else {
        return Err(cfg_err(
            file,
            format!(
                "the configuration must be a mapping, found {}",
                describe(&v)
            ),
        )
        .hint("start with `clusters:`"));
    };
    check_fields(file, &m, TOP_FIELDS, CONFIG_FILE)?;
    let kubernetes_version = match m.get("kubernetesVersion") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(cfg_err(
                file,
                format!(
                    "kubernetesVersion must be a string, found {}",
                    describe(other)
                ),
            ))
        }
    };
    let list = match m.get("clusters") {
        Some(Value::Array(a)) => a.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            return Err(cfg_err(
                file,
                format!("`clusters` must be a list, found {}", describe(other)),
            ))
        }
    };
    if list.is_empty() {
        return Err(cfg_err(file, "no clusters configured")
            .hint("add `clusters:` entries with `name`, `overlay`, `context` and `output`"));
    }
    let mut clusters = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, c) in list.iter().enumerate() {
        let Value::Object(cm) = c else {
            return Err(cfg_err(
                file,
                format!("clusters[{i}] must be a mapping, found {}", describe(c)),
            ));
        };
        check_fields(file, cm, CLUSTER_FIELDS, &format!("clusters[{i}]"))?;
        let field = |k: &str| -> Result<Option<String>> {
            match cm.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.chars().any(char::is_control) => Err(cfg_err(
                    file,
                    format!(
                        "clusters[{i}].{k} `{}` holds control characters",
                        shown(s)
                    ),
                )
                .hint("names and paths in kcompile.yaml are printed; line breaks, tabs and escape sequences are not allowed")),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(other) => Err(cfg_err(
                    file,
                    format!(
                        "clusters[{i}].{k} must be a non-empty string, found {}",
                        describe(other)
                    ),
                )),
            }
        };
        let name =
            field("name")?.ok_or_else(|| cfg_err(file, format!("clusters[{i}] has no `name`")))?;
        if !is_dns_label(&name) {
            return Err(cfg_err(
                file,
                format!("clusters[{i}].name `{}` is not a DNS label", shown(&name)),
            )
            .hint(format!("a cluster name is up to {MAX_NAME} characters of a-z, 0-9 and `-`, starting and ending with a letter or digit (it labels output and messages)")));
        }
        let overlay = field("overlay")?
            .ok_or_else(|| cfg_err(file, format!("cluster `{name}` has no `overlay`")))?;
        if !seen.insert(name.clone()) {
            return Err(cfg_err(
                file,
                format!("cluster `{name}` is configured twice"),
            ));
        }
        clusters.push(Cluster {
            overlay_path: root.join(&overlay),
            overlay,
            context: field("context")?,
            output: field("output")?,
            name,
        });
    }
    Ok(Config {
        file: file.to_path_buf(),
        root,
        kubernetes_version,
        clusters,
    })
}

impl Config {
    /// Where each cluster's output goes (in configuration order; `None` for
    /// clusters that print). Every output must lie strictly inside
    /// `output_root` (default: the folder of `kcompile.yaml`) once `.` and
    /// `..` are resolved; no component below that root may be a symlink
    /// (the trailing slash of `rendered/a/` makes the system follow one);
    /// and no output may equal or contain another, since each write
    /// replaces its whole folder.
    pub fn resolve_outputs(
        &self,
        source: &dyn Source,
        output_root: Option<&Path>,
    ) -> Result<Vec<Option<PathBuf>>> {
        let croot = source.canonicalize(&self.root).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot resolve the folder of {CONFIG_FILE}: {e}"),
            )
            .file(&self.file)
        })?;
        let allowed = match output_root {
            None => croot.clone(),
            Some(r) => source.canonicalize(r).map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot resolve --output-root: {e}")).file(r)
            })?,
        };
        let mut abs: Vec<Option<(PathBuf, &Cluster)>> = Vec::new();
        for c in &self.clusters {
            let Some(o) = &c.output else {
                abs.push(None);
                continue;
            };
            let p = crate::input::load::clean(&croot.join(o));
            if !p.starts_with(&allowed) || p == allowed {
                let hint = if output_root.is_some() {
                    format!("outputs must lie inside {}", allowed.display())
                } else {
                    format!(
                        "outputs must lie inside the folder of {CONFIG_FILE} ({}); pass --output-root DIR to allow another folder",
                        allowed.display()
                    )
                };
                return Err(cfg_err(
                    &self.file,
                    format!(
                        "cluster `{}`: output `{}` is {}",
                        c.name,
                        shown(o),
                        if p == allowed {
                            "the output root itself"
                        } else {
                            "outside the output root"
                        }
                    ),
                )
                .hint(hint));
            }
            check_no_symlinks(source, &allowed, &p).map_err(|(at, why)| {
                cfg_err(
                    &self.file,
                    format!(
                        "cluster `{}`: output `{}` goes through {} ({})",
                        c.name,
                        shown(o),
                        why,
                        at.display()
                    ),
                )
                .hint("kcompile does not follow symlinks to outputs; name the real folder")
            })?;
            abs.push(Some((p, c)));
        }
        let set: Vec<&(PathBuf, &Cluster)> = abs.iter().flatten().collect();
        for (i, (pa, ca)) in set.iter().enumerate() {
            for (pb, cb) in &set[i + 1..] {
                let how = if pa == pb {
                    "share the output"
                } else if pb.starts_with(pa) || pa.starts_with(pb) {
                    "have nested outputs"
                } else {
                    continue;
                };
                return Err(cfg_err(
                    &self.file,
                    format!(
                        "clusters `{}` and `{}` {how} (`{}`, `{}`)",
                        ca.name,
                        cb.name,
                        shown(ca.output.as_deref().unwrap_or_default()),
                        shown(cb.output.as_deref().unwrap_or_default())
                    ),
                )
                .hint("each write replaces its whole folder; give every cluster a folder of its own, none inside another"));
            }
        }
        Ok(abs
            .into_iter()
            .map(|a| {
                a.map(|(p, _)| match p.strip_prefix(&croot) {
                    Ok(rel) => self.root.join(rel),
                    Err(_) => p,
                })
            })
            .collect())
    }
}

/// Every existing component of `path` below `root` must be a real folder
/// (the last one may be anything: the writer refuses what is not a folder).
fn check_no_symlinks(
    source: &dyn Source,
    root: &Path,
    path: &Path,
) -> std::result::Result<(), (PathBuf, String)> {
    let Ok(rel) = path.strip_prefix(root) else {
        return Ok(());
    };
    let n = rel.components().count();
    let mut p = root.to_path_buf();
    for (i, comp) in rel.components().enumerate() {
        p.push(comp);
        match source.entry(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err((p, format!("a path that cannot be read: {e}"))),
            Ok(Entry::Symlink) => return Err((p, "a symlink".into())),
            Ok(e) if e != Entry::Dir && i + 1 < n => return Err((p, "a file".into())),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// One cluster's compiled objects and validation findings.
#[derive(Debug)]
pub struct Compiled {
    pub output: Output,
    /// `None` when validation was not asked for.
    pub report: Option<validate::Report>,
}

/// Build (and validate, when `vopts` is given) every cluster. `jobs`: 1 for
/// serial, 0 for one thread per core, else that many threads (never more
/// than clusters, nor [`MAX_JOBS`]). `progress` is
/// called with (done, total) after each cluster. Results are in the order
/// of `cfg.clusters` whatever the parallelism.
pub fn compile_all(
    loader: &Loader,
    cfg: &Config,
    opts: &compile::Options,
    vopts: Option<&validate::Options>,
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<Compiled>> {
    let total = cfg.clusters.len();
    let done = AtomicUsize::new(0);
    let one = |c: &Cluster| -> Result<Compiled> {
        let r = compile_one(loader, c, opts, vopts);
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        progress(n, total);
        r
    };
    if jobs == 1 || total <= 1 {
        return cfg.clusters.iter().map(one).collect();
    }
    let run = || cfg.clusters.par_iter().map(one).collect::<Vec<_>>();
    let jobs = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let jobs = jobs.min(total).min(MAX_JOBS);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(STACK_BYTES)
        .build();
    match pool {
        Ok(pool) => pool.install(run),
        Err(_) => cfg.clusters.iter().map(one).collect(),
    }
}

fn compile_one(
    loader: &Loader,
    c: &Cluster,
    opts: &compile::Options,
    vopts: Option<&validate::Options>,
) -> Result<Compiled> {
    loader.check_dir(&c.overlay_path)?;
    let output = compile::build(loader, &c.overlay_path, opts)?;
    let report = match vopts {
        Some(v) => Some(validate::validate(&output.resources, v, loader)?),
        None => None,
    };
    Ok(Compiled { output, report })
}

/// A cluster's objects, as the collision check sees them.
#[derive(Debug, Clone, Copy)]
pub struct Deployed<'a> {
    pub name: &'a str,
    pub overlay: &'a str,
    /// Kubeconfig context; clusters without one are not compared.
    pub context: Option<&'a str>,
    pub resources: &'a [Resource],
}

/// What two clusters on the same context both claim.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    Namespace(String),
    /// A cluster-scoped object (kind, name), other than a Namespace.
    ClusterObject(String, String),
    /// A Service `nodePort` (the first Service of each cluster pinning it).
    NodePort(u64, String, String),
}

/// Two clusters sharing a kubeconfig context that would collide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Collision {
    pub context: String,
    /// (cluster name, overlay) of each side, in configuration order.
    pub a: (String, String),
    pub b: (String, String),
    pub claim: Claim,
}

impl fmt::Display for Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "clusters `{}` ({}) and `{}` ({}) share context `{}` and both ",
            self.a.0, self.a.1, self.b.0, self.b.1, self.context
        )?;
        match &self.claim {
            Claim::Namespace(ns) => write!(f, "use namespace `{ns}`"),
            Claim::ClusterObject(k, n) => write!(f, "define cluster-scoped {k}/{n}"),
            Claim::NodePort(p, sa, sb) => write!(
                f,
                "pin nodePort {p} (Service {sa} in {}, Service {sb} in {})",
                self.a.0, self.b.0
            ),
        }
    }
}

#[derive(Default)]
struct Claims {
    namespaces: BTreeSet<String>,
    objects: BTreeSet<(String, String)>,
    node_ports: BTreeMap<u64, String>,
}

fn claims(resources: &[Resource]) -> Claims {
    let mut c = Claims::default();
    for r in resources {
        let kind = r.kind();
        if kind == "Namespace" {
            c.namespaces.insert(r.name().to_string());
        } else if is_cluster_scoped(&r.gvk().group, kind) {
            c.objects.insert((kind.to_string(), r.name().to_string()));
        } else {
            c.namespaces.insert(effective_ns(r.namespace()).to_string());
        }
        if kind == "Service" {
            let ports = r.obj.pointer("/spec/ports").and_then(Value::as_array);
            for p in ports.into_iter().flatten() {
                if let Some(np) = p.get("nodePort").and_then(Value::as_u64) {
                    if np != 0 {
                        let label = match r.namespace() {
                            "" => r.name().to_string(),
                            ns => format!("{}/{}", ns, r.name()),
                        };
                        c.node_ports.entry(np).or_insert(label);
                    }
                }
            }
        }
    }
    c
}

/// Every collision between clusters that share a kubeconfig context: the
/// same namespace, the same cluster-scoped object, the same pinned nodePort.
/// Sorted by context, then the clusters' order in `items`.
pub fn collisions(items: &[Deployed]) -> Vec<Collision> {
    let all: Vec<Claims> = items.iter().map(|d| claims(d.resources)).collect();
    let mut out = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            let (a, b) = (&items[i], &items[j]);
            let ctx = match (a.context, b.context) {
                (Some(x), Some(y)) if x == y => x,
                _ => continue,
            };
            let mk = |claim| Collision {
                context: ctx.to_string(),
                a: (a.name.to_string(), a.overlay.to_string()),
                b: (b.name.to_string(), b.overlay.to_string()),
                claim,
            };
            let (ca, cb) = (&all[i], &all[j]);
            for ns in ca.namespaces.intersection(&cb.namespaces) {
                out.push(mk(Claim::Namespace(ns.clone())));
            }
            for (k, n) in ca.objects.intersection(&cb.objects) {
                out.push(mk(Claim::ClusterObject(k.clone(), n.clone())));
            }
            for (p, sa) in &ca.node_ports {
                if let Some(sb) = cb.node_ports.get(p) {
                    out.push(mk(Claim::NodePort(*p, sa.clone(), sb.clone())));
                }
            }
        }
    }
    out.sort_by(|x, y| x.context.cmp(&y.context));
    out
}
