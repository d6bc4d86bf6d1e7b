//! The only module that talks to the network: kubeconfig and contexts (or
//! the in-cluster service account), discovery, GET/LIST and server-side
//! apply dry-run, all through the `kube` crate. Every request is bounded by
//! the request timeout; GET and LIST (and the side-effect-free dry-run) are
//! retried a few times with backoff on 429 and 5xx.

mod error;
pub mod live;

pub use error::{ClusterError, Failure};

use futures::stream::{self, StreamExt};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::params::{GetParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::Request;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// How many requests are in flight at once.
pub const CONCURRENCY: usize = 8;
/// Attempts for a retried request (1 + retries).
const ATTEMPTS: u32 = 4;
const BACKOFF: Duration = Duration::from_millis(200);

/// Where to find credentials and how long to wait.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub timeout: Duration,
}

/// A connected API server.
pub struct Cluster {
    client: kube::Client,
    /// The kubeconfig context, or `in-cluster service account`.
    pub context: String,
    pub server: String,
    pub default_namespace: String,
    timeout: Duration,
}

/// A resource kind as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// Verbs the server lists for it (`get`, `list`, `patch`…).
    pub verbs: Vec<String>,
}

impl Kind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// `deployments.apps`, `services`: how kubectl and RBAC name it.
    pub fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
    fn url_path(&self, namespace: Option<&str>) -> String {
        let root = if self.group.is_empty() { "api" } else { "apis" };
        let ns = match namespace {
            Some(ns) if self.namespaced => format!("namespaces/{ns}/"),
            _ => String::new(),
        };
        format!("/{root}/{}/{ns}{}", self.api_version(), self.plural)
    }
}

/// What a request was about, for error messages.
#[derive(Debug, Clone)]
pub struct Target {
    pub verb: &'static str,
    pub resource: String,
    /// `Deployment/web in namespace a`, or `deployments.apps in namespace a` for a list.
    pub object: String,
}

impl Cluster {
    /// Load credentials: `--kubeconfig`, else `$KUBECONFIG`, else
    /// `~/.kube/config`, else the in-cluster service account.
    pub async fn connect(opts: &ConnectOptions) -> Result<Cluster, ClusterError> {
        let kc_opts = KubeConfigOptions {
            context: opts.context.clone(),
            ..Default::default()
        };
        let from_env = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
        let default_path = home_kubeconfig();
        let kubeconfig = match &opts.kubeconfig {
            Some(p) => Some(Kubeconfig::read_from(p).map_err(|e| {
                ClusterError::config(format!("cannot read kubeconfig {}: {e}", p.display()))
            })?),
            // The kubeconfig is the cluster edge's own input (kube reads it).
            #[allow(clippy::disallowed_methods)]
            None if from_env || default_path.as_ref().is_some_and(|p| p.exists()) => {
                Some(Kubeconfig::read().map_err(|e| {
                    let src = if from_env {
                        "$KUBECONFIG".to_string()
                    } else {
                        default_path
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    };
                    ClusterError::config(format!("cannot read kubeconfig ({src}): {e}"))
                })?)
            }
            None => None,
        };
        let (mut config, context) = match kubeconfig {
            Some(kc) => {
                let context = opts
                    .context
                    .clone()
                    .or_else(|| kc.current_context.clone())
                    .unwrap_or_default();
                if context.is_empty() {
                    return Err(ClusterError::config(
                        "the kubeconfig names no current context; pass --context NAME",
                    ));
                }
                if !kc.contexts.iter().any(|c| c.name == context) {
                    return Err(ClusterError::config(format!(
                        "context {context:?} is not in the kubeconfig (it has: {})",
                        kc.contexts
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                let config = kube::Config::from_custom_kubeconfig(kc, &kc_opts)
                    .await
                    .map_err(|e| {
                        ClusterError::config(format!(
                            "cannot use context {context:?} from the kubeconfig: {e}"
                        ))
                    })?;
                (config, context)
            }
            None => {
                if opts.context.is_some() {
                    return Err(ClusterError::config(
                        "--context given but no kubeconfig found (set $KUBECONFIG, pass --kubeconfig, or create ~/.kube/config)",
                    ));
                }
                let config = kube::Config::incluster().map_err(|e| {
                    ClusterError::config(format!(
                        "no kubeconfig found ($KUBECONFIG unset, no ~/.kube/config) and not running in a cluster: {e}"
                    ))
                })?;
                (config, "in-cluster service account".to_string())
            }
        };
        config.connect_timeout = Some(opts.timeout);
        config.read_timeout = Some(opts.timeout);
        config.write_timeout = Some(opts.timeout);
        // Retries are ours (bounded, GET/LIST/dry-run only).
        config.default_retry = false;
        let server = config.cluster_url.to_string();
        let server = server.trim_end_matches('/').to_string();
        let default_namespace = config.default_namespace.clone();
        let client = kube::Client::try_from(config).map_err(|e| {
            ClusterError::config(format!(
                "cannot set up a client for {server} (context {context}): {}",
                error::chain(&e)
            ))
        })?;
        Ok(Cluster {
            client,
            context,
            server,
            default_namespace,
            timeout: opts.timeout,
        })
    }

    /// Where errors say we were talking to.
    pub fn describe(&self) -> String {
        format!("{} (context {})", self.server, self.context)
    }

    async fn send(
        &self,
        req: http::Request<Vec<u8>>,
        target: &Target,
        retry: bool,
    ) -> Result<Value, ClusterError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r =
                tokio::time::timeout(self.timeout, self.client.request_text(clone_req(&req))).await;
            let failure = match r {
                Err(_) => Failure::Timeout(self.timeout),
                Ok(Ok(text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) if v.is_object() => return Ok(v),
                    Ok(_) => Failure::Malformed("the response is not a JSON object".into()),
                    Err(e) => Failure::Malformed(e.to_string()),
                },
                Ok(Err(e)) => Failure::from_kube(e),
            };
            if retry && attempt < ATTEMPTS && failure.retryable() {
                tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1)).await;
                continue;
            }
            return Err(ClusterError::request(failure, target, self, attempt));
        }
    }

    /// Resolve each apiVersion+kind through discovery (one request per
    /// group version, concurrently). Kinds the server lacks are in the
    /// second map, with the reason.
    pub async fn discover(
        &self,
        wanted: &BTreeSet<(String, String)>,
    ) -> Result<BTreeMap<(String, String), Kind>, ClusterError> {
        let versions: BTreeSet<String> = wanted.iter().map(|(av, _)| av.clone()).collect();
        let results: Vec<(String, Result<Option<Value>, ClusterError>)> =
            stream::iter(versions.into_iter().map(|av| async move {
                let path = if av.contains('/') {
                    format!("/apis/{av}")
                } else {
                    format!("/api/{av}")
                };
                let target = Target {
                    verb: "get",
                    resource: path.clone(),
                    object: format!("discovery of apiVersion {av}"),
                };
                let req = http::Request::get(path).body(Vec::new());
                let r = match req {
                    Ok(req) => match self.send(req, &target, true).await {
                        Ok(v) => Ok(Some(v)),
                        Err(e) if e.failure.status_code() == Some(404) => Ok(None),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(ClusterError::config(format!("bad discovery path: {e}"))),
                };
                (av, r)
            }))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut found = BTreeMap::new();
        for (av, r) in results {
            let list = r?;
            let (group, version) = match av.rsplit_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), av.clone()),
            };
            let resources = list
                .as_ref()
                .and_then(|l| l.get("resources"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for r in &resources {
                let (Some(name), Some(kind)) = (
                    r.get("name").and_then(Value::as_str),
                    r.get("kind").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if name.contains('/') || !wanted.contains(&(av.clone(), kind.to_string())) {
                    continue; // subresource, or not needed
                }
                found.insert(
                    (av.clone(), kind.to_string()),
                    Kind {
                        group: group.clone(),
                        version: version.clone(),
                        kind: kind.to_string(),
                        plural: name.to_string(),
                        namespaced: r.get("namespaced").and_then(Value::as_bool).unwrap_or(true),
                        verbs: r
                            .get("verbs")
                            .and_then(Value::as_array)
                            .map(|v| {
                                v.iter()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    },
                );
            }
        }
        Ok(found)
    }

    /// GET one object; `None` when it (or its namespace) does not exist.
    pub async fn get(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
        object: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let target = Target {
            verb: "get",
            resource: kind.resource_name(),
            object: object.to_string(),
        };
        let req = Request::new(kind.url_path(namespace))
            .get(name, &GetParams::default())
            .map_err(|e| ClusterError::request(Failure::Other(e.to_string()), &target, self, 1))?;
        match self.send(req, &target, true).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.failure.status_code() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// LIST a kind in a namespace (or cluster-wide), optionally by label.
    pub async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let mut what = kind.resource_name();
        if let Some(ns) = namespace.filter(|_| kind.namespaced) {
            what.push_str(&format!(" in namespace {ns}"));
        }
        if let Some(sel) = label_selector {
            what.push_str(&format!(" with label {sel}"));
        }
        let target = Target {
            verb: "list",
            resource: kind.resource_name(),
            object: what,
        };
        let mut lp = ListParams::default();
        if let Some(sel) = label_selector {
            lp = lp.labels(sel);
        }
        let req = Request::new(kind.url_path(namespace))
            .list(&lp)
            .map_err(|e| ClusterError::request(Failure::Other(e.to_string()), &target, self, 1))?;
        let v = self.send(req, &target, true).await?;
        let Some(items) = v.get("items").and_then(Value::as_array) else {
            return Err(ClusterError::request(
                Failure::Malformed("the list has no `items` array".into()),
                &target,
                self,
                1,
            ));
        };
        // List items carry no apiVersion/kind; restore them.
        Ok(items
            .iter()
            .filter(|i| i.is_object())
            .map(|i| {
                let mut i = i.clone();
                if let Some(o) = i.as_object_mut() {
                    o.entry("apiVersion")
                        .or_insert_with(|| Value::String(kind.api_version()));
                    o.entry("kind")
                        .or_insert_with(|| Value::String(kind.kind.clone()));
                }
                i
            })
            .collect())
    }

    /// Ask the server what `obj` would become if applied: server-side apply
    /// with `dryRun=All`, `force=true`, as `field_manager`.
    pub async fn dry_run_apply(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
        obj: &Value,
        object: &str,
        field_manager: &str,
    ) -> Result<Value, ClusterError> {
        let target = Target {
            verb: "patch (server-side apply, dry run)",
            resource: kind.resource_name(),
            object: object.to_string(),
        };
        let pp = PatchParams::apply(field_manager).force().dry_run();
        let req = Request::new(kind.url_path(namespace))
            .patch(name, &pp, &Patch::Apply(obj))
            .map_err(|e| ClusterError::request(Failure::Other(e.to_string()), &target, self, 1))?;
        self.send(req, &target, true).await
    }
}

impl Cluster {
    /// Ask the server what replacing the object with `obj` would give (a
    /// dry-run PUT as `field_manager`): how kubectl's client-side apply,
    /// whose three-way merge kcompile computes, would end.
    pub async fn dry_run_update(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        name: &str,
        obj: &Value,
        object: &str,
        field_manager: &str,
    ) -> Result<Value, ClusterError> {
        let target = Target {
            verb: "update (client-side apply, dry run)",
            resource: kind.resource_name(),
            object: object.to_string(),
        };
        let pp = PostParams {
            dry_run: true,
            field_manager: Some(field_manager.to_string()),
        };
        let body = serde_json::to_vec(obj)
            .map_err(|e| ClusterError::request(Failure::Other(e.to_string()), &target, self, 1))?;
        let req = Request::new(kind.url_path(namespace))
            .replace(name, &pp, body)
            .map_err(|e| ClusterError::request(Failure::Other(e.to_string()), &target, self, 1))?;
        self.send(req, &target, true).await
    }
}

fn clone_req(req: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder()
        .method(req.method().clone())
        .uri(req.uri().clone());
    if let Some(h) = b.headers_mut() {
        *h = req.headers().clone();
    }
    b.body(req.body().clone())
        .unwrap_or_else(|_| http::Request::new(req.body().clone()))
}

fn home_kubeconfig() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"))
}

/// Run futures with at most `CONCURRENCY` in flight, keeping input order.
pub async fn bounded<F, T>(futs: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    stream::iter(futs).buffered(CONCURRENCY).collect().await
}
