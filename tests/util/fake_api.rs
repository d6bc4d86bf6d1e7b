//! A fake Kubernetes API server over HTTPS for `kcompile diff` tests: a CA
//! and server certificate made at test time (rcgen), a small HTTP/1.1 loop
//! over tokio-rustls, discovery, GET/LIST with the shapes a real server
//! returns (server metadata, managedFields, status, defaults), `Status`
//! errors, and server-side apply dry-run returning the merged object.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = "test-token-4f1c";
pub const CONTEXT: &str = "fake-ctx";

#[derive(Default)]
pub struct State {
    /// key: (apiVersion, namespace, plural, name)
    pub objects: BTreeMap<(String, String, String, String), Value>,
    /// "METHOD path?query" of every request.
    pub requests: Vec<String>,
    /// Authorization header of every request.
    pub auth: Vec<Option<String>>,
    /// Answer server-side apply with this error code (403, 405…).
    pub dry_run_error: Option<u16>,
    /// Path -> number of 500 answers to give before answering properly.
    pub fail_first: HashMap<String, u32>,
    /// Paths answered with broken JSON.
    pub malformed: Vec<String>,
    /// Path -> a fault injected into every answer for it.
    pub faults: HashMap<String, Fault>,
    rv: u64,
}

/// A misbehaving answer (tests/hostile_cluster.rs).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer every request with this status code (a `Status` body).
    Status(u16),
    /// Send the head and part of the body, then drop the connection.
    Reset,
    /// Wait this long before answering.
    Delay(Duration),
    /// Answer a LIST with this many (small) items.
    HugeList(usize),
    /// A 200 whose body is valid JSON but not an object.
    NotAnObject,
}

pub struct FakeApi {
    pub port: u16,
    pub ca_pem: String,
    pub state: Arc<Mutex<State>>,
}

struct Resource {
    api_version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
}

const RESOURCES: &[Resource] = &[
    Resource {
        api_version: "v1",
        plural: "namespaces",
        kind: "Namespace",
        namespaced: false,
    },
    Resource {
        api_version: "v1",
        plural: "services",
        kind: "Service",
        namespaced: true,
    },
    Resource {
        api_version: "v1",
        plural: "configmaps",
        kind: "ConfigMap",
        namespaced: true,
    },
    Resource {
        api_version: "v1",
        plural: "secrets",
        kind: "Secret",
        namespaced: true,
    },
    Resource {
        api_version: "v1",
        plural: "serviceaccounts",
        kind: "ServiceAccount",
        namespaced: true,
    },
    Resource {
        api_version: "apps/v1",
        plural: "deployments",
        kind: "Deployment",
        namespaced: true,
    },
    Resource {
        api_version: "apps/v1",
        plural: "statefulsets",
        kind: "StatefulSet",
        namespaced: true,
    },
];

fn resource_by_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.api_version == api_version && r.kind == kind)
}

fn resource_by_plural(api_version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.api_version == api_version && r.plural == plural)
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "code": code}),
    )
}

impl FakeApi {
    /// Start the server on 127.0.0.1 on a free port.
    pub fn start() -> FakeApi {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "fake-kube-ca");
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("leaf params");
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf cert");

        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let server_config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("tls versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca_cert.der().clone()],
                tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
                    leaf_key.serialize_der().into(),
                ),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));

        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let acceptor = acceptor.clone();
                    let st = st.clone();
                    tokio::spawn(async move {
                        if let Ok(tls) = acceptor.accept(tcp).await {
                            let _ = serve_conn(tls, st).await;
                        }
                    });
                }
            });
        });
        FakeApi {
            port,
            ca_pem: ca_cert.pem(),
            state,
        }
    }

    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Write a kubeconfig for this server into `dir`.
    pub fn kubeconfig(&self, dir: &Path, token: &str) -> PathBuf {
        write_kubeconfig(dir, &self.server(), &self.ca_pem, token)
    }

    /// Store `obj` as the server would after `kubectl apply`: defaults,
    /// server metadata, managedFields, status, last-applied annotation.
    pub fn apply(&self, obj: &Value) {
        let mut st = self.state.lock().unwrap();
        st.rv += 1;
        let rv = st.rv;
        let mut o = obj.clone();
        let applied = serde_json::to_string(obj).unwrap();
        let md = o["metadata"].as_object_mut().unwrap();
        md.entry("annotations")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap()
            .insert(
                "kubectl.kubernetes.io/last-applied-configuration".into(),
                Value::String(applied),
            );
        let live = populate(server_defaults(&o), None, rv, "kubectl-client-side-apply");
        let key = store_key(&live).expect("known kind");
        st.objects.insert(key, live);
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

pub fn write_kubeconfig(dir: &Path, server: &str, ca_pem: &str, token: &str) -> PathBuf {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let text = format!(
        "apiVersion: v1
kind: Config
current-context: {CONTEXT}
clusters:
- name: fake
  cluster:
    server: {server}
    certificate-authority-data: {ca}
contexts:
- name: {CONTEXT}
  context:
    cluster: fake
    user: tester
    namespace: default
users:
- name: tester
  user:
    token: {token}
"
    );
    let p = dir.join("kubeconfig");
    std::fs::write(&p, text).unwrap();
    p
}

fn store_key(o: &Value) -> Option<(String, String, String, String)> {
    let av = o["apiVersion"].as_str()?;
    let r = resource_by_kind(av, o["kind"].as_str()?)?;
    let ns = if r.namespaced {
        o["metadata"]["namespace"].as_str().unwrap_or("default")
    } else {
        ""
    };
    Some((
        av.to_string(),
        ns.to_string(),
        r.plural.to_string(),
        o["metadata"]["name"].as_str()?.to_string(),
    ))
}

/// Quantities as the API server stores them (enough for the tests).
pub fn canonical_quantity(q: &str) -> String {
    if let Some(n) = q.strip_suffix('m').and_then(|n| n.parse::<u64>().ok()) {
        if n % 1000 == 0 {
            return (n / 1000).to_string();
        }
    }
    if let Some(n) = q.strip_suffix("Mi").and_then(|n| n.parse::<u64>().ok()) {
        if n % 1024 == 0 {
            return format!("{}Gi", n / 1024);
        }
    }
    q.to_string()
}

fn default_pod_spec(spec: &mut Value) {
    let s = spec.as_object_mut().unwrap();
    s.entry("dnsPolicy").or_insert(json!("ClusterFirst"));
    s.entry("restartPolicy").or_insert(json!("Always"));
    s.entry("schedulerName")
        .or_insert(json!("default-scheduler"));
    s.entry("securityContext").or_insert(json!({}));
    s.entry("terminationGracePeriodSeconds")
        .or_insert(json!(30));
    if let Some(cs) = s.get_mut("containers").and_then(Value::as_array_mut) {
        for c in cs {
            let c = c.as_object_mut().unwrap();
            let latest = c["image"]
                .as_str()
                .is_some_and(|i| !i.contains(':') || i.ends_with(":latest"));
            c.entry("imagePullPolicy").or_insert(json!(if latest {
                "Always"
            } else {
                "IfNotPresent"
            }));
            c.entry("terminationMessagePath")
                .or_insert(json!("/dev/termination-log"));
            c.entry("terminationMessagePolicy").or_insert(json!("File"));
            c.entry("resources").or_insert(json!({}));
            if let Some(ps) = c.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ps {
                    p.as_object_mut()
                        .unwrap()
                        .entry("protocol")
                        .or_insert(json!("TCP"));
                }
            }
            if let Some(res) = c.get_mut("resources").and_then(Value::as_object_mut) {
                for part in ["limits", "requests"] {
                    if let Some(m) = res.get_mut(part).and_then(Value::as_object_mut) {
                        for v in m.values_mut() {
                            let t = match &*v {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            *v = Value::String(canonical_quantity(&t));
                        }
                    }
                }
            }
        }
    }
}

/// What the API server's defaulting and conversion does to an object.
pub fn server_defaults(obj: &Value) -> Value {
    let mut o = obj.clone();
    let kind = o["kind"].as_str().unwrap_or("").to_string();
    match kind.as_str() {
        "Deployment" => {
            let spec = o["spec"].as_object_mut().unwrap();
            spec.entry("replicas").or_insert(json!(1));
            spec.entry("revisionHistoryLimit").or_insert(json!(10));
            spec.entry("progressDeadlineSeconds").or_insert(json!(600));
            spec.entry("strategy")
                .or_insert(json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}));
            let tpl = spec["template"].as_object_mut().unwrap();
            tpl.entry("metadata")
                .or_insert(json!({}))
                .as_object_mut()
                .unwrap()
                .insert("creationTimestamp".into(), Value::Null);
            default_pod_spec(&mut o["spec"]["template"]["spec"]);
        }
        "Service" => {
            let spec = o["spec"].as_object_mut().unwrap();
            let ty = spec.entry("type").or_insert(json!("ClusterIP")).clone();
            spec.entry("clusterIP").or_insert(json!("10.96.12.34"));
            spec.entry("clusterIPs").or_insert(json!(["10.96.12.34"]));
            spec.entry("sessionAffinity").or_insert(json!("None"));
            spec.entry("ipFamilies").or_insert(json!(["IPv4"]));
            spec.entry("ipFamilyPolicy").or_insert(json!("SingleStack"));
            spec.entry("internalTrafficPolicy")
                .or_insert(json!("Cluster"));
            if ty == json!("NodePort") {
                spec.entry("externalTrafficPolicy")
                    .or_insert(json!("Cluster"));
            }
            if let Some(ps) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for (i, p) in ps.iter_mut().enumerate() {
                    let p = p.as_object_mut().unwrap();
                    p.entry("protocol").or_insert(json!("TCP"));
                    let port = p["port"].clone();
                    p.entry("targetPort").or_insert(port);
                    if ty == json!("NodePort") {
                        p.entry("nodePort").or_insert(json!(30080 + i));
                    }
                }
            }
        }
        "Secret" => {
            let m = o.as_object_mut().unwrap();
            m.entry("type").or_insert(json!("Opaque"));
            if let Some(Value::Object(sd)) = m.remove("stringData") {
                let data = m
                    .entry("data")
                    .or_insert(json!({}))
                    .as_object_mut()
                    .unwrap();
                for (k, v) in sd {
                    let enc = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    data.insert(k, Value::String(enc));
                }
            }
        }
        "Namespace" => {
            let name = o["metadata"]["name"].clone();
            o["metadata"]
                .as_object_mut()
                .unwrap()
                .entry("labels")
                .or_insert(json!({}))
                .as_object_mut()
                .unwrap()
                .insert("kubernetes.io/metadata.name".into(), name);
            o.as_object_mut()
                .unwrap()
                .insert("spec".into(), json!({"finalizers": ["kubernetes"]}));
        }
        _ => {}
    }
    o
}

/// Server-written metadata and status.
fn populate(mut o: Value, existing: Option<&Value>, rv: u64, manager: &str) -> Value {
    let name = o["metadata"]["name"].as_str().unwrap_or("x").to_string();
    let gen = existing
        .and_then(|e| e["metadata"]["generation"].as_i64())
        .unwrap_or(0)
        + 1;
    let api_version = o["apiVersion"].clone();
    let is_deployment = o["kind"] == "Deployment";
    let md = o["metadata"].as_object_mut().unwrap();
    md.insert(
        "uid".into(),
        existing
            .map(|e| e["metadata"]["uid"].clone())
            .unwrap_or_else(|| json!(format!("0b6f-{name}-uid"))),
    );
    md.insert("resourceVersion".into(), json!(rv.to_string()));
    md.insert("generation".into(), json!(gen));
    md.insert("creationTimestamp".into(), json!("2024-05-01T10:00:00Z"));
    md.insert(
        "managedFields".into(),
        json!([{"manager": manager, "operation": "Apply", "apiVersion": api_version,
                "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {}}}]),
    );
    if is_deployment {
        md.entry("annotations")
            .or_insert(json!({}))
            .as_object_mut()
            .unwrap()
            .insert("deployment.kubernetes.io/revision".into(), json!("1"));
        let r = o["spec"]["replicas"].clone();
        o.as_object_mut().unwrap().insert(
            "status".into(),
            json!({"observedGeneration": gen, "replicas": r, "readyReplicas": r,
                   "availableReplicas": r, "updatedReplicas": r,
                   "conditions": [{"type": "Available", "status": "True"}]}),
        );
    }
    if o["kind"] == "Service" {
        o.as_object_mut()
            .unwrap()
            .insert("status".into(), json!({"loadBalancer": {}}));
    }
    o
}

async fn serve_conn<S>(mut s: S, st: Arc<Mutex<State>>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Read the head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("").to_string();
        let mut headers = HashMap::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                headers.insert(k.trim().to_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 8192];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let (mut code, mut text) = handle(&st, &method, &target, &headers, &body);
        let path = target.split('?').next().unwrap_or("").to_string();
        let fault = st.lock().unwrap().faults.get(&path).cloned();
        match fault {
            None => {}
            Some(Fault::Status(c)) => {
                let reason = match c {
                    401 => "Unauthorized",
                    403 => "Forbidden",
                    429 => "TooManyRequests",
                    _ => "InternalError",
                };
                let (c, v) = status(c, reason, &format!("injected {c} for {path}"));
                code = c;
                text = v.to_string();
            }
            Some(Fault::Reset) => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"kind\": \"Deploym";
                s.write_all(head.as_bytes()).await?;
                s.flush().await?;
                return Ok(());
            }
            Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
            Some(Fault::HugeList(n)) => {
                let items: Vec<Value> = (0..n)
                    .map(|i| {
                        json!({"metadata": {"name": format!("extra-{i}"), "namespace": "spark-b",
                               "labels": {"app": "spark-worker", "kcompile.io/overlay": "cluster-b"}},
                               "spec": {"replicas": 1}})
                    })
                    .collect();
                code = 200;
                text = json!({"kind": "DeploymentList", "apiVersion": "apps/v1",
                              "metadata": {"resourceVersion": "1"}, "items": items})
                .to_string();
            }
            Some(Fault::NotAnObject) => {
                code = 200;
                text = "[1, 2, 3]".to_string();
            }
        }
        let reason = match code {
            200 => "OK",
            201 => "Created",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            _ => "Error",
        };
        let resp = format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        s.write_all(resp.as_bytes()).await?;
        s.flush().await?;
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            v.replace("%3D", "=")
                .replace("%2F", "/")
                .replace("%2f", "/")
                .replace("%3d", "=")
        })
    })
}

fn handle(
    st: &Arc<Mutex<State>>,
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
) -> (u16, String) {
    let mut state = st.lock().unwrap();
    state.requests.push(format!("{method} {target}"));
    let auth = headers.get("authorization").cloned();
    state.auth.push(auth.clone());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        let (c, v) = status(401, "Unauthorized", "Unauthorized");
        return (c, v.to_string());
    }
    if let Some(n) = state.fail_first.get_mut(path) {
        if *n > 0 {
            *n -= 1;
            let (c, v) = status(500, "InternalError", "etcdserver: request timed out");
            return (c, v.to_string());
        }
    }
    if state.malformed.iter().any(|p| p == path) {
        return (
            200,
            "{\"kind\": \"Deployment\", \"apiVersion\": ".to_string(),
        );
    }
    let (code, v) = route(&mut state, method, path, query, headers, body);
    (code, v.to_string())
}

fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
) -> (u16, Value) {
    match path {
        "/api" => return (200, json!({"kind": "APIVersions", "versions": ["v1"]})),
        "/apis" => {
            return (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                    {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                     "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]}),
            )
        }
        _ => {}
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (api_version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => (v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (format!("{g}/{v}"), rest),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )
        }
    };
    if rest.is_empty() {
        let resources: Vec<Value> = RESOURCES
            .iter()
            .filter(|r| r.api_version == api_version)
            .flat_map(|r| {
                let mut v = vec![
                    json!({"name": r.plural, "singularName": r.kind.to_lowercase(),
                    "namespaced": r.namespaced, "kind": r.kind,
                    "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}),
                ];
                if r.kind == "Deployment" {
                    v.push(
                        json!({"name": "deployments/status", "singularName": "", "namespaced": true,
                        "kind": "Deployment", "verbs": ["get", "patch", "update"]}),
                    );
                }
                v
            })
            .collect();
        if resources.is_empty() {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
        return (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version,
                   "resources": resources}),
        );
    }
    let (ns, plural, name) = match rest {
        ["namespaces", ns, plural] => (ns.to_string(), *plural, None),
        ["namespaces", ns, plural, name] => (ns.to_string(), *plural, Some(name.to_string())),
        [plural] => (String::new(), *plural, None),
        [plural, name] => (String::new(), *plural, Some(name.to_string())),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )
        }
    };
    let Some(res) = resource_by_plural(&api_version, plural) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let group_res = match api_version.split_once('/') {
        Some((g, _)) => format!("{plural}.{g}"),
        None => plural.to_string(),
    };
    match (method, name) {
        ("GET", Some(name)) => {
            let key = (
                api_version.clone(),
                ns.clone(),
                plural.to_string(),
                name.clone(),
            );
            match state.objects.get(&key) {
                Some(o) => (200, o.clone()),
                None => status(
                    404,
                    "NotFound",
                    &format!("{group_res} \"{name}\" not found"),
                ),
            }
        }
        ("GET", None) => {
            let selector = query_param(query, "labelSelector");
            let items: Vec<Value> = state
                .objects
                .iter()
                .filter(|((av, ons, pl, _), _)| {
                    *av == api_version && pl == plural && (ns.is_empty() || *ons == ns)
                })
                .filter(|(_, o)| match &selector {
                    None => true,
                    Some(sel) => sel.split(',').all(|term| {
                        let (k, v) = term.split_once('=').unwrap_or((term, ""));
                        o["metadata"]["labels"][k].as_str() == Some(v)
                    }),
                })
                .map(|(_, o)| {
                    let mut o = o.clone();
                    let m = o.as_object_mut().unwrap();
                    m.remove("apiVersion");
                    m.remove("kind");
                    o
                })
                .collect();
            (
                200,
                json!({"kind": format!("{}List", res.kind), "apiVersion": api_version,
                       "metadata": {"resourceVersion": state.rv.to_string()}, "items": items}),
            )
        }
        ("PATCH", Some(name)) => {
            if let Some(code) = state.dry_run_error {
                let (reason, msg) = match code {
                    403 => ("Forbidden", format!("{group_res} \"{name}\" is forbidden: User \"tester\" cannot patch resource \"{plural}\" in API group \"\" in the namespace \"{ns}\"")),
                    409 => ("Conflict", "Apply failed with 1 conflict: conflict with \"helm\": .spec.replicas".to_string()),
                    405 => ("MethodNotAllowed", "the server does not allow this method on the requested resource".to_string()),
                    _ => ("UnsupportedMediaType", "the body of the request was in an unknown format".to_string()),
                };
                return status(code, reason, &msg);
            }
            if query_param(query, "dryRun").as_deref() != Some("All") {
                return status(
                    400,
                    "BadRequest",
                    "test server only accepts dry-run patches",
                );
            }
            if query_param(query, "fieldManager").is_none_or(|m| m.is_empty())
                || query_param(query, "force").as_deref() != Some("true")
                || headers.get("content-type").map(String::as_str)
                    != Some("application/apply-patch+yaml")
            {
                return status(
                    400,
                    "BadRequest",
                    "expected server-side apply with a field manager and force",
                );
            }
            let Ok(patch) = serde_json::from_slice::<Value>(body) else {
                return status(400, "BadRequest", "patch body is not JSON");
            };
            let key = (
                api_version.clone(),
                ns.clone(),
                plural.to_string(),
                name.clone(),
            );
            let existing = state.objects.get(&key).cloned();
            let mut merged = server_defaults(&patch);
            // Fields other managers own (and the annotation kubectl wrote) stay.
            if let Some(e) = &existing {
                if let Some(ann) = e["metadata"]["annotations"].as_object() {
                    let m = merged["metadata"].as_object_mut().unwrap();
                    let a = m
                        .entry("annotations")
                        .or_insert(json!({}))
                        .as_object_mut()
                        .unwrap();
                    for (k, v) in ann {
                        a.entry(k.clone()).or_insert(v.clone());
                    }
                }
            }
            let rv = state.rv + 1;
            let out = populate(merged, existing.as_ref(), rv, "kcompile");
            (200, out)
        }
        _ => status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ),
    }
}

/// Bind and drop a listener: a port where nothing listens.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A TCP listener that accepts connections and never answers.
pub fn silent_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: a few connections are all a test makes.
        for s in l.incoming().take(32).flatten() {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    port
}

/// Compile an overlay through the library, as `kcompile build` would.
pub fn compile(dir: &Path) -> Vec<Value> {
    let out = kcompile::compile::build(
        &kcompile::input::load::Loader::new(kcompile::input::disk::Disk),
        dir,
        &kcompile::compile::Options::default(),
    )
    .expect("overlay builds");
    out.resources.into_iter().map(|r| r.obj).collect()
}

pub use super::{write_tree, Out as Run};

/// Run `kcompile diff ARGS` with a clean environment for kubeconfig lookup.
pub fn kcompile(args: &[&str], kubeconfig: Option<&Path>, extra_env: &[(&str, &str)]) -> Run {
    super::kube::kcompile_cmd(args, kubeconfig)
        .envs(extra_env)
        .run()
}

/// The `+`/`-` lines of a unified diff, without the file headers, with
/// the text after the sign trimmed and unquoted (so the emitter's
/// indentation and quoting do not matter).
pub fn changed_lines(diff: &str) -> Vec<String> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .map(|l| format!("{}{}", &l[..1], l[1..].trim().replace(['"', '\''], "")))
        .collect()
}

pub fn obj_map(v: &Value) -> &Map<String, Value> {
    v.as_object().unwrap()
}
