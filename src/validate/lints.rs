//! Spark-aware lints over one build's objects. Warnings by default;
//! `--strict` makes them fatal.
//!
//! - `service-env-collision`: Kubernetes injects `<SERVICE>_PORT`,
//!   `<SERVICE>_SERVICE_HOST`, … into every pod of the namespace (unless the
//!   pod sets `enableServiceLinks: false`). A Service named `spark-master`
//!   yields `SPARK_MASTER_PORT=tcp://10.0.0.1:7077`, which Spark's scripts read
//!   as the port to bind, and the master fails to start.
//! - `rwo-claim-replicas`: a ReadWriteOnce claim mounted by a Deployment with
//!   more than one replica (the extra pods hang in ContainerCreating on other
//!   nodes).
//! - `spark-master-url`: a `spark://host:port` URL (container args, command
//!   or env) that names a Service or port this build does not define.

use super::{object_label, Diagnostic};
use crate::model::resource::{effective_ns, Resource};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Environment variables Spark's standalone scripts and images read.
pub const SPARK_SETTINGS: &[&str] = &[
    "SPARK_MASTER_HOST",
    "SPARK_MASTER_PORT",
    "SPARK_MASTER_WEBUI_PORT",
    "SPARK_MASTER_OPTS",
    "SPARK_MASTER_URL",
    "SPARK_WORKER_PORT",
    "SPARK_WORKER_WEBUI_PORT",
    "SPARK_WORKER_CORES",
    "SPARK_WORKER_MEMORY",
    "SPARK_WORKER_INSTANCES",
    "SPARK_WORKER_DIR",
    "SPARK_WORKER_OPTS",
    "SPARK_DAEMON_MEMORY",
    "SPARK_DAEMON_JAVA_OPTS",
    "SPARK_HISTORY_OPTS",
    "SPARK_SHUFFLE_OPTS",
    "SPARK_PUBLIC_DNS",
    "SPARK_LOCAL_IP",
    "SPARK_LOCAL_DIRS",
    "SPARK_LOCAL_HOSTNAME",
    "SPARK_NO_DAEMONIZE",
    "SPARK_CONF_DIR",
    "SPARK_LOG_DIR",
    "SPARK_PID_DIR",
    "SPARK_HOME",
    "SPARK_MODE",
];

/// Run every lint.
pub fn run(resources: &[Resource]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    service_env_collisions(resources, &mut out);
    rwo_claims(resources, &mut out);
    master_urls(resources, &mut out);
    out
}

fn diag(
    r: &Resource,
    path: Option<String>,
    lint: &'static str,
    msg: String,
    hint: &str,
) -> Diagnostic {
    Diagnostic {
        object: object_label(r),
        path,
        message: msg,
        hint: Some(hint.to_string()),
        file: r.origin.as_ref().map(|o| o.file.clone()),
        line: r.origin.as_ref().map(|o| o.line),
        pos: None,
        lint: Some(lint),
    }
}

/// The pod spec of a workload and its path, if the object has one.
pub fn pod_spec(r: &Resource) -> Option<(&Value, &'static str)> {
    let o = &r.obj;
    let (v, p) = match r.kind() {
        "Pod" => (o.get("spec"), "spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => (o.pointer("/spec/template/spec"), "spec.template.spec"),
        "CronJob" => (
            o.pointer("/spec/jobTemplate/spec/template/spec"),
            "spec.jobTemplate.spec.template.spec",
        ),
        _ => (None, ""),
    };
    v.filter(|v| v.is_object()).map(|v| (v, p))
}

fn containers(spec: &Value) -> impl Iterator<Item = (&'static str, usize, &Value)> {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(move |k| {
            spec.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(i, c)| (k, i, c))
        })
}

/// The env var prefix Kubernetes derives from a Service name.
fn service_env_prefix(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

fn mentions_spark(spec: &Value) -> bool {
    containers(spec).any(|(_, _, c)| {
        ["image", "command", "args", "env"]
            .iter()
            .filter_map(|k| c.get(k))
            .any(|v| v.to_string().to_lowercase().contains("spark"))
    })
}

fn service_env_collisions(resources: &[Resource], out: &mut Vec<Diagnostic>) {
    let services: Vec<&Resource> = resources.iter().filter(|r| r.kind() == "Service").collect();
    if services.is_empty() {
        return;
    }
    for r in resources {
        let Some((spec, sp)) = pod_spec(r) else {
            continue;
        };
        if spec.get("enableServiceLinks") == Some(&Value::Bool(false)) || !mentions_spark(spec) {
            continue;
        }
        let ns = effective_ns(r.namespace());
        for svc in services
            .iter()
            .filter(|s| effective_ns(s.namespace()) == ns)
        {
            let prefix = service_env_prefix(svc.name());
            let mut injected = vec![
                format!("{prefix}_SERVICE_HOST"),
                format!("{prefix}_SERVICE_PORT"),
                format!("{prefix}_PORT"),
            ];
            for p in svc
                .obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = p.get("name").and_then(Value::as_str) {
                    injected.push(format!("{prefix}_SERVICE_PORT_{}", service_env_prefix(n)));
                }
            }
            for var in injected {
                if SPARK_SETTINGS.contains(&var.as_str()) {
                    out.push(diag(
                        r,
                        Some(format!("{sp}.enableServiceLinks")),
                        "service-env-collision",
                        format!(
                            "Service `{}` makes Kubernetes inject `{var}` (e.g. `tcp://10.0.0.1:7077`) into this pod, colliding with Spark's `{var}` setting",
                            svc.name()
                        ),
                        "set `enableServiceLinks: false` in the pod spec, or rename the Service (e.g. `spark-master-svc`)",
                    ));
                }
            }
        }
    }
}

fn rwo_claims(resources: &[Resource], out: &mut Vec<Diagnostic>) {
    let mut rwo: HashSet<(&str, &str)> = HashSet::new();
    for r in resources
        .iter()
        .filter(|r| r.kind() == "PersistentVolumeClaim")
    {
        let modes: Vec<&str> = r
            .obj
            .pointer("/spec/accessModes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let single = !modes.is_empty()
            && modes
                .iter()
                .all(|m| *m == "ReadWriteOnce" || *m == "ReadWriteOncePod");
        if single {
            rwo.insert((effective_ns(r.namespace()), r.name()));
        }
    }
    if rwo.is_empty() {
        return;
    }
    for r in resources.iter().filter(|r| r.kind() == "Deployment") {
        let replicas = match r.obj.pointer("/spec/replicas") {
            None | Some(Value::Null) => 1,
            Some(v) => v.as_i64().unwrap_or(1),
        };
        if replicas <= 1 {
            continue;
        }
        let Some((spec, sp)) = pod_spec(r) else {
            continue;
        };
        let ns = effective_ns(r.namespace());
        for (i, vol) in spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(claim) = vol
                .pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
            else {
                continue;
            };
            if rwo.contains(&(ns, claim)) {
                out.push(diag(
                    r,
                    Some(format!("{sp}.volumes[{i}]")),
                    "rwo-claim-replicas",
                    format!(
                        "ReadWriteOnce claim `{claim}` is mounted by {replicas} replicas; pods scheduled on another node cannot attach it"
                    ),
                    "use a ReadWriteMany claim (e.g. CephFS), one replica, or a StatefulSet with volumeClaimTemplates",
                ));
            }
        }
    }
}

/// `spark://h1:7077,h2:7077` -> [(h1, 7077), (h2, 7077)]; the default port is 7077.
pub fn parse_master_urls(text: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("spark://") {
        rest = &rest[i + "spark://".len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '/')
            .unwrap_or(rest.len());
        for hp in rest[..end].split(',') {
            if hp.is_empty() || hp.contains('$') || hp.contains('{') {
                continue;
            }
            let (h, p) = match hp.rsplit_once(':') {
                Some((h, p)) => match p.parse::<u16>() {
                    Ok(p) => (h, p),
                    Err(_) => continue,
                },
                None => (hp, 7077),
            };
            if !h.is_empty() {
                out.push((h.to_string(), p));
            }
        }
        rest = &rest[end..];
    }
    out
}

fn master_urls(resources: &[Resource], out: &mut Vec<Diagnostic>) {
    // (namespace, service) -> ports
    let mut services: HashMap<(String, String), Vec<u16>> = HashMap::new();
    for s in resources.iter().filter(|r| r.kind() == "Service") {
        let ports = s
            .obj
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("port").and_then(Value::as_u64))
            .filter_map(|p| u16::try_from(p).ok())
            .collect();
        services.insert(
            (
                effective_ns(s.namespace()).to_string(),
                s.name().to_string(),
            ),
            ports,
        );
    }
    for r in resources {
        let Some((spec, sp)) = pod_spec(r) else {
            continue;
        };
        let own_ns = effective_ns(r.namespace());
        for (ck, i, c) in containers(spec) {
            let mut texts: Vec<(String, String)> = Vec::new();
            for k in ["command", "args"] {
                for (j, a) in c
                    .get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(s) = a.as_str() {
                        texts.push((format!("{sp}.{ck}[{i}].{k}[{j}]"), s.to_string()));
                    }
                }
            }
            for (j, e) in c
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(s) = e.get("value").and_then(Value::as_str) {
                    texts.push((format!("{sp}.{ck}[{i}].env[{j}].value"), s.to_string()));
                }
            }
            for (path, text) in texts {
                for (host, port) in parse_master_urls(&text) {
                    let parts: Vec<&str> = host.split('.').collect();
                    let (svc, ns) = match parts.as_slice() {
                        [svc] => (*svc, own_ns),
                        [svc, ns] => (*svc, *ns),
                        [svc, ns, "svc", ..] => (*svc, *ns),
                        _ => continue, // an IP or an outside host name
                    };
                    if svc.chars().all(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    match services.get(&(ns.to_string(), svc.to_string())) {
                        None => out.push(diag(
                            r,
                            Some(path.clone()),
                            "spark-master-url",
                            format!(
                                "master URL `spark://{host}:{port}` names Service `{svc}` in namespace `{ns}`, which this build does not define"
                            ),
                            "define the master Service in the overlay, or fix the host in the URL (namePrefix/namespace changes do not rewrite URLs)",
                        )),
                        Some(ports) if !ports.contains(&port) => out.push(diag(
                            r,
                            Some(path.clone()),
                            "spark-master-url",
                            format!(
                                "master URL `spark://{host}:{port}`: Service `{svc}` has no port {port} (it has {})",
                                if ports.is_empty() {
                                    "none".to_string()
                                } else {
                                    ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                                }
                            ),
                            "make the URL's port match the Service's `port`",
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_master_urls() {
        assert_eq!(
            parse_master_urls("--master spark://spark-master:7077"),
            vec![("spark-master".to_string(), 7077)]
        );
        assert_eq!(
            parse_master_urls("spark://a:1,b.ns:2 spark://c"),
            vec![
                ("a".to_string(), 1),
                ("b.ns".to_string(), 2),
                ("c".to_string(), 7077)
            ]
        );
        assert!(parse_master_urls("spark://$(HOST):7077").is_empty());
    }
}
