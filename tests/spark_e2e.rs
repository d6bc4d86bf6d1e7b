//! End-to-end proof that the compiled Spark overlay describes a working
//! Spark standalone cluster.
//!
//! 1. Compile `overlays/cluster-a` with the kcompile binary (or, while the
//!    compiler is unfinished, with the shell command in
//!    `KCOMPILE_E2E_YAML_CMD`, e.g. `kubectl kustomize overlays/cluster-a`).
//! 2. Read the master and worker Deployments' container command, args and env
//!    from that YAML stream, and the worker replica count.
//! 3. Run them as local processes, the way the kubelet would run the
//!    containers: env resolved in order (`$(VAR)` expansion, `status.podIP`
//!    = 127.0.0.1), Docker-link variables injected for every Service unless
//!    the pod spec sets `enableServiceLinks: false`, args expanded, the
//!    image's `/opt/spark` replaced by the Spark distribution shipped in the
//!    PyPI `pyspark` package, and the master's Service host mapped to
//!    127.0.0.1.
//! 4. Wait until the master's `/json/` lists `replicas` ALIVE workers with the
//!    cores/memory the manifest promises, run `examples/pi.py` through
//!    `spark-submit --master spark://127.0.0.1:<port>`, expect
//!    `Pi is roughly 3.1`.
//!
//! Ports: the manifest's master ports (7077, 8080) are used when free; when
//! one is busy a free port is used instead and the worker's master URL is
//! rewritten to match (the test proves the wiring, not the port number).
//! Worker web UIs get port 0 (any free port), several run on one host.
//!
//! Skips (passes with a message) when java or pyspark is missing, unless the
//! `CI` environment variable is set: then it fails. `tests/spark_e2e/setup.sh`
//! installs the pinned pyspark.
#![allow(clippy::disallowed_methods)] // tests build and read trees on disk

mod util;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

const OVERLAY: &str = "overlays/cluster-a";
const WORKERS_ALIVE_TIMEOUT: Duration = Duration::from_secs(120);
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(120);
/// Stand-in ClusterIP for the Docker-link variables Kubernetes would inject.
/// Only ever written into environment strings, never connected to.
const FAKE_CLUSTER_IP: &str = "10.96.0.10";

// ---------------------------------------------------------------- skipping

/// Missing prerequisite: skip locally, fail under CI.
fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("spark e2e prerequisite missing under CI: {why} (run tests/spark_e2e/setup.sh)");
    }
    eprintln!("SKIPPED spark_e2e: {why} (install with tests/spark_e2e/setup.sh)");
}

struct Pyspark {
    python: String,
    version: String,
    spark_home: PathBuf,
}

fn find_pyspark() -> Result<Pyspark, String> {
    // setup.sh's virtual environment, unless told otherwise.
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    let python = std::env::var("SPARK_E2E_PYTHON").unwrap_or_else(|_| {
        if venv.is_file() {
            venv.display().to_string()
        } else {
            "python3".into()
        }
    });
    let out = Command::new(&python)
        .args([
            "-c",
            "import os, sys, pyspark; print(sys.executable); print(pyspark.__version__); \
             print(os.path.dirname(pyspark.__file__))",
        ])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !out.status.success() {
        return Err(format!("pyspark is not importable by {python}"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() < 3 {
        return Err(format!("unexpected pyspark probe output: {text:?}"));
    }
    let spark_home = PathBuf::from(lines[2]);
    if !spark_home.join("bin/spark-class").exists() || !spark_home.join("jars").is_dir() {
        return Err(format!(
            "{} has no bin/spark-class or jars/ (not a full pyspark install)",
            spark_home.display()
        ));
    }
    Ok(Pyspark {
        python: lines[0].to_string(),
        version: lines[1].to_string(),
        spark_home,
    })
}

fn java_available() -> bool {
    Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

// ---------------------------------------------------------------- YAML

fn yaml_to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(s.clone())),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match yaml_to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                m.insert(key, yaml_to_json(v));
            }
            Value::Object(m)
        }
        other => panic!("unsupported YAML node in compiled output: {other:?}"),
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The compiled YAML stream of the overlay: kcompile by default, or the
/// shell command in KCOMPILE_E2E_YAML_CMD (run in the repository root).
fn compiled_overlay() -> String {
    let (what, out) = match std::env::var("KCOMPILE_E2E_YAML_CMD") {
        Ok(cmd) if !cmd.trim().is_empty() => (
            cmd.clone(),
            Command::new("sh")
                .args(["-c", &cmd])
                .current_dir(repo_root())
                .output(),
        ),
        _ => (
            format!("kcompile {OVERLAY}"),
            util::cmd().arg(OVERLAY).cwd(repo_root()).command().output(),
        ),
    };
    let out = out.unwrap_or_else(|e| panic!("cannot run `{what}`: {e}"));
    assert!(
        out.status.success(),
        "`{what}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("compiled output is not UTF-8")
}

fn parse_stream(text: &str) -> Vec<Value> {
    YamlLoader::load_from_str(text)
        .unwrap_or_else(|e| panic!("compiled output is not valid YAML: {e}"))
        .iter()
        .map(yaml_to_json)
        .filter(|v| !v.is_null())
        .collect()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn deployment_by_component<'a>(docs: &'a [Value], component: &str) -> &'a Value {
    let found: Vec<&Value> = docs
        .iter()
        .filter(|d| str_at(d, "/kind") == Some("Deployment"))
        .filter(|d| {
            str_at(
                d,
                "/spec/template/metadata/labels/app.kubernetes.io~1component",
            ) == Some(component)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one Deployment with app.kubernetes.io/component={component}"
    );
    found[0]
}

// ---------------------------------------------------------------- kubelet emulation

/// Kubernetes `$(VAR)` expansion: defined names are replaced, `$$` escapes,
/// anything else is left as written.
fn expand(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(stripped) = tail.strip_prefix("$$") {
            out.push('$');
            rest = stripped;
        } else if let Some(inner) = tail.strip_prefix("$(") {
            match inner.find(')') {
                Some(end) if vars.contains_key(&inner[..end]) => {
                    out.push_str(&vars[&inner[..end]]);
                    rest = &inner[end + 1..];
                }
                _ => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The Docker-link variables the kubelet injects for one Service when
/// service links are on (the trap the manifests must avoid).
fn service_link_vars(svc: &Value) -> Vec<(String, String)> {
    let name = str_at(svc, "/metadata/name")
        .unwrap_or_default()
        .to_uppercase()
        .replace('-', "_");
    let ports = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut vars = vec![(format!("{name}_SERVICE_HOST"), FAKE_CLUSTER_IP.to_string())];
    for (i, p) in ports.iter().enumerate() {
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        let proto = str_at(p, "/protocol").unwrap_or("TCP");
        let lower = proto.to_lowercase();
        let url = format!("{lower}://{FAKE_CLUSTER_IP}:{port}");
        if i == 0 {
            vars.push((format!("{name}_SERVICE_PORT"), port.to_string()));
            vars.push((format!("{name}_PORT"), url.clone()));
        }
        if let Some(pn) = str_at(p, "/name") {
            let pn = pn.to_uppercase().replace('-', "_");
            vars.push((format!("{name}_SERVICE_PORT_{pn}"), port.to_string()));
        }
        let base = format!("{name}_PORT_{port}_{proto}");
        vars.push((base.clone(), url));
        vars.push((format!("{base}_PROTO"), lower));
        vars.push((format!("{base}_PORT"), port.to_string()));
        vars.push((format!("{base}_ADDR"), FAKE_CLUSTER_IP.to_string()));
    }
    vars
}

/// A container of a Deployment as the kubelet would start it, minus the
/// container: the program, its arguments and its environment.
struct Launch {
    command: Vec<String>,
    args: Vec<String>,
    env: BTreeMap<String, String>,
}

fn launch_of(deploy: &Value, services: &[&Value]) -> Launch {
    let pod = deploy.pointer("/spec/template/spec").expect("pod spec");
    let container = pod
        .pointer("/containers/0")
        .expect("Deployment has no container");
    let list = |key: &str| -> Vec<String> {
        container
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut env = BTreeMap::new();
    // Service links come first; the container's own env overrides them.
    let links_on = pod
        .get("enableServiceLinks")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if links_on {
        for svc in services {
            env.extend(service_link_vars(svc));
        }
    }
    let mut defined = BTreeMap::new();
    for e in container
        .get("env")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let name = str_at(&e, "/name")
            .expect("env entry without name")
            .to_string();
        let value = if let Some(v) = e.get("value") {
            expand(v.as_str().unwrap_or_default(), &defined)
        } else if let Some(path) = str_at(&e, "/valueFrom/fieldRef/fieldPath") {
            match path {
                "status.podIP" | "status.hostIP" => "127.0.0.1".to_string(),
                "metadata.name" => str_at(deploy, "/metadata/name").unwrap().to_string(),
                "metadata.namespace" => str_at(deploy, "/metadata/namespace")
                    .unwrap_or("default")
                    .to_string(),
                other => panic!("env {name}: fieldRef {other} is not emulated"),
            }
        } else {
            panic!("env {name}: only value and valueFrom.fieldRef are emulated")
        };
        defined.insert(name.clone(), value.clone());
        env.insert(name, value);
    }
    let command = list("command")
        .iter()
        .map(|s| expand(s, &env))
        .collect::<Vec<_>>();
    let args = list("args")
        .iter()
        .map(|s| expand(s, &env))
        .collect::<Vec<_>>();
    assert!(
        !command.is_empty(),
        "container needs an explicit command (the test does not read the image)"
    );
    Launch { command, args, env }
}

/// Value following `flag` in an argument list, if any.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn set_flag(args: &mut [String], flag: &str, value: &str) {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} not in args {args:?}"));
    args[i + 1] = value.to_string();
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn any_free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn preferred_or_free(port: u16) -> u16 {
    if port_free(port) {
        port
    } else {
        let p = any_free_port();
        eprintln!("spark_e2e: port {port} busy, using {p}");
        p
    }
}

// ---------------------------------------------------------------- processes

/// Kills every process group it started, also when the test panics.
#[derive(Default)]
struct Processes {
    children: Vec<(String, Child, PathBuf)>,
}

impl Processes {
    fn spawn(&mut self, name: &str, mut cmd: Command, log: PathBuf) -> &mut Child {
        let file = File::create(&log).expect("log file");
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            // Own process group: executors and python workers it forks die
            // with it.
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.children.push((name.to_string(), child, log));
        &mut self.children.last_mut().unwrap().1
    }

    /// Panics with the log of any started process that already exited.
    fn assert_running(&mut self) {
        for (name, child, log) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited early ({status}); log:\n{}", tail(log, 40));
            }
        }
    }

    fn logs(&self) -> String {
        self.children
            .iter()
            .map(|(name, _, log)| format!("----- {name}\n{}", tail(log, 25)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child, _) in &self.children {
            signal_group(child.id(), "-TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for (_, child, _) in &mut self.children {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        for (_, child, _) in &mut self.children {
            // Also reaches group members left behind by an exited leader.
            signal_group(child.id(), "-KILL");
            let _ = child.wait();
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A process environment: inherited (PATH, JAVA_HOME, HOME...), without any
/// SPARK_*/PYSPARK_* of the developer's shell, plus the container's env.
fn command_with_env(program: &str, env: &BTreeMap<String, String>) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("SPARK_") || k.starts_with("PYSPARK_") {
            cmd.env_remove(k.as_ref());
        }
    }
    cmd.envs(env);
    cmd
}

fn http_get_json(port: u16, path: &str) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    stream.read_to_string(&mut resp).ok()?;
    let body = resp.split_once("\r\n\r\n")?.1;
    serde_json::from_str(body).ok()
}

fn alive_workers(state: &Value) -> Vec<&Value> {
    state
        .get("workers")
        .and_then(Value::as_array)
        .map(|ws| {
            ws.iter()
                .filter(|w| str_at(w, "/state") == Some("ALIVE"))
                .collect()
        })
        .unwrap_or_default()
}

/// "1g" / "512m" -> MiB, as the master reports worker memory.
fn mebibytes(s: &str) -> i64 {
    let s = s.trim().to_lowercase();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .unwrap_or_else(|_| panic!("bad memory size {s}"));
    match unit {
        "g" | "gb" => n * 1024,
        "m" | "mb" | "" => n,
        "t" | "tb" => n * 1024 * 1024,
        other => panic!("unknown memory unit {other} in {s}"),
    }
}

// ---------------------------------------------------------------- the test

#[test]
fn compiled_cluster_a_runs_pi_on_local_spark_standalone() {
    let started = Instant::now();
    if !java_available() {
        return skip_or_fail("`java` not found on PATH");
    }
    let pyspark = match find_pyspark() {
        Ok(p) => p,
        Err(why) => return skip_or_fail(&why),
    };

    let docs = parse_stream(&compiled_overlay());
    assert!(
        !docs.is_empty(),
        "compiling {OVERLAY} produced no documents (to test the manifests with \
         kustomize's rendering instead: KCOMPILE_E2E_YAML_CMD=\"kubectl kustomize {OVERLAY}\")"
    );
    let master = deployment_by_component(&docs, "master");
    let worker = deployment_by_component(&docs, "worker");
    let namespace = str_at(master, "/metadata/namespace").unwrap_or("default");
    let services: Vec<&Value> = docs
        .iter()
        .filter(|d| str_at(d, "/kind") == Some("Service"))
        .filter(|d| str_at(d, "/metadata/namespace").unwrap_or("default") == namespace)
        .collect();

    // The image tag is the Spark version; the driver must match it.
    let image = str_at(master, "/spec/template/spec/containers/0/image").unwrap();
    let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
    if tag != pyspark.version {
        return skip_or_fail(&format!(
            "pyspark {} installed, manifests use Spark {tag}",
            pyspark.version
        ));
    }

    // The Service that selects the master pods, and the master port behind
    // its 7077 (port -> targetPort -> containerPort).
    let master_labels = master
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .unwrap();
    let svc = services
        .iter()
        .find(|s| {
            s.pointer("/spec/selector")
                .and_then(Value::as_object)
                .is_some_and(|sel| sel.iter().all(|(k, v)| master_labels.get(k) == Some(v)))
        })
        .expect("no Service selects the master pods");
    let svc_name = str_at(svc, "/metadata/name").unwrap();

    let mut m = launch_of(master, &services);
    let mut w = launch_of(worker, &services);
    let replicas = worker
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    assert!(replicas >= 1, "worker replicas must be >= 1");

    // Worker -> spark://<service>:<port>; check it names the master's Service
    // and a port that Service forwards to the master's RPC port.
    let url_idx = w
        .args
        .iter()
        .position(|a| a.starts_with("spark://"))
        .expect("worker args have no spark:// master URL");
    let url = w.args[url_idx].clone();
    let hostport = url.trim_start_matches("spark://");
    let (host, port) = hostport.rsplit_once(':').expect("master URL has no port");
    let short_host = host.split('.').next().unwrap();
    assert_eq!(
        short_host, svc_name,
        "worker master URL {url} is not the master's Service"
    );
    let svc_port = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .find(|p| p.get("port").and_then(Value::as_i64) == port.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("Service {svc_name} does not expose port {port}"));
    let container_ports = master
        .pointer("/spec/template/spec/containers/0/ports")
        .and_then(Value::as_array)
        .unwrap();
    let target = svc_port.get("targetPort").unwrap();
    let rpc_container_port = container_ports
        .iter()
        .find(|p| p.get("name") == Some(target) || p.get("containerPort") == Some(target))
        .and_then(|p| p.get("containerPort").and_then(Value::as_i64))
        .expect("Service targetPort matches no master container port");
    let manifest_rpc = flag_value(&m.args, "--port")
        .map(|p| p.parse::<i64>().unwrap())
        .or_else(|| m.env.get("SPARK_MASTER_PORT").and_then(|p| p.parse().ok()))
        .unwrap_or(7077);
    assert_eq!(
        manifest_rpc, rpc_container_port,
        "master listens on {manifest_rpc} but the Service forwards to {rpc_container_port}"
    );
    let manifest_ui = flag_value(&m.args, "--webui-port")
        .map(|p| p.parse::<u16>().unwrap())
        .unwrap_or(8080);

    // Local ports: the manifest's, unless busy.
    let rpc = preferred_or_free(manifest_rpc as u16);
    let ui = preferred_or_free(manifest_ui);
    if flag_value(&m.args, "--port").is_some() {
        set_flag(&mut m.args, "--port", &rpc.to_string());
    } else {
        m.args.extend(["--port".into(), rpc.to_string()]);
    }
    if flag_value(&m.args, "--webui-port").is_some() {
        set_flag(&mut m.args, "--webui-port", &ui.to_string());
    } else {
        m.args.extend(["--webui-port".into(), ui.to_string()]);
    }
    // The Service name means 127.0.0.1 here.
    w.args[url_idx] = format!("spark://127.0.0.1:{rpc}");

    // The image's /opt/spark is the pyspark package here.
    let local_program = |cmd: &[String]| -> String {
        let prog = Path::new(&cmd[0]);
        let base = prog.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(base, "spark-class", "unexpected container command {cmd:?}");
        pyspark
            .spark_home
            .join("bin")
            .join(base)
            .display()
            .to_string()
    };

    let tmp = tempfile::tempdir().expect("tempdir");
    let conf_dir = tmp.path().join("conf");
    std::fs::create_dir_all(&conf_dir).unwrap();
    // Local-only additions: everything on loopback, an empty conf dir (no
    // spark-defaults of the developer), SPARK_HOME of pyspark.
    let local = |env: &mut BTreeMap<String, String>| {
        env.insert("SPARK_LOCAL_IP".into(), "127.0.0.1".into());
        env.insert("SPARK_CONF_DIR".into(), conf_dir.display().to_string());
        env.insert(
            "SPARK_HOME".into(),
            pyspark.spark_home.display().to_string(),
        );
    };
    local(&mut m.env);

    let mut procs = Processes::default();
    let mut cmd = command_with_env(&local_program(&m.command), &m.env);
    cmd.args(m.command[1..].iter().chain(&m.args));
    procs.spawn("master", cmd, tmp.path().join("master.log"));

    for i in 0..replicas {
        let mut env = w.env.clone();
        local(&mut env);
        // Several workers on one host: own UI port (any free), own work dir.
        env.insert("SPARK_WORKER_WEBUI_PORT".into(), "0".into());
        let work = tmp.path().join(format!("work-{i}"));
        std::fs::create_dir_all(&work).unwrap();
        env.insert("SPARK_WORKER_DIR".into(), work.display().to_string());
        if env.contains_key("SPARK_WORKER_PORT") {
            env.insert("SPARK_WORKER_PORT".into(), "0".into());
        }
        let mut args = w.args.clone();
        if flag_value(&args, "--webui-port").is_some() {
            set_flag(&mut args, "--webui-port", "0");
        }
        let mut cmd = command_with_env(&local_program(&w.command), &env);
        cmd.args(w.command[1..].iter().chain(&args));
        procs.spawn(
            &format!("worker-{i}"),
            cmd,
            tmp.path().join(format!("worker-{i}.log")),
        );
    }

    // Wait for the cluster: `replicas` ALIVE workers at the master.
    let deadline = Instant::now() + WORKERS_ALIVE_TIMEOUT;
    let state = loop {
        procs.assert_running();
        if let Some(state) = http_get_json(ui, "/json/") {
            if alive_workers(&state).len() as u64 >= replicas {
                break state;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{replicas} workers not ALIVE within {WORKERS_ALIVE_TIMEOUT:?}\n{}",
            procs.logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let alive = alive_workers(&state);
    assert_eq!(alive.len() as u64, replicas, "{state:#}");
    let cores: i64 = w.env["SPARK_WORKER_CORES"].parse().unwrap();
    let memory = mebibytes(&w.env["SPARK_WORKER_MEMORY"]);
    for wk in &alive {
        assert_eq!(
            wk.get("cores").and_then(Value::as_i64),
            Some(cores),
            "{wk:#}"
        );
        assert_eq!(
            wk.get("memory").and_then(Value::as_i64),
            Some(memory),
            "{wk:#}"
        );
    }
    eprintln!(
        "spark_e2e: {} ALIVE workers after {:.1?}",
        alive.len(),
        started.elapsed()
    );

    // Submit the example through the master.
    let mut driver_env = BTreeMap::new();
    local(&mut driver_env);
    driver_env.insert("PYSPARK_PYTHON".into(), pyspark.python.clone());
    driver_env.insert("PYSPARK_DRIVER_PYTHON".into(), pyspark.python.clone());
    let submit = pyspark.spark_home.join("bin/spark-submit");
    let mut cmd = command_with_env(&submit.display().to_string(), &driver_env);
    cmd.current_dir(repo_root()).args([
        "--master",
        &format!("spark://127.0.0.1:{rpc}"),
        "--conf",
        "spark.driver.host=127.0.0.1",
        "--conf",
        "spark.ui.enabled=false",
        "examples/pi.py",
        "4",
    ]);
    let out_log = tmp.path().join("pi.log");
    let child = procs.spawn("spark-submit pi.py", cmd, out_log.clone());
    let deadline = Instant::now() + SUBMIT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait spark-submit") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "pi.py did not finish within {SUBMIT_TIMEOUT:?}\n{}",
            procs.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = String::new();
    File::open(&out_log)
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    assert!(
        status.success(),
        "spark-submit failed ({status}):\n{}",
        tail(&out_log, 60)
    );
    assert!(
        output.contains("Pi is roughly 3.1"),
        "no `Pi is roughly 3.1` in output:\n{}",
        tail(&out_log, 60)
    );

    // It ran on the cluster, not in local mode: the master saw the app.
    let state = http_get_json(ui, "/json/").expect("master UI gone");
    let apps = state
        .get("completedapps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        apps.iter().any(|a| str_at(a, "/name") == Some("PythonPi")),
        "master does not list the PythonPi application: {state:#}"
    );
    eprintln!(
        "spark_e2e: pi.py OK on {replicas} workers in {:.1?}",
        started.elapsed()
    );
    drop(procs);
}

#[test]
fn kubernetes_var_expansion_matches_kubelet() {
    let mut vars = BTreeMap::new();
    vars.insert("POD_IP".to_string(), "10.1.2.3".to_string());
    assert_eq!(expand("$(POD_IP)", &vars), "10.1.2.3");
    assert_eq!(expand("a$(POD_IP)b", &vars), "a10.1.2.3b");
    assert_eq!(expand("$(UNSET)", &vars), "$(UNSET)");
    assert_eq!(expand("$$(POD_IP)", &vars), "$(POD_IP)");
    assert_eq!(expand("cost $5", &vars), "cost $5");
}

#[test]
fn service_links_reproduce_the_spark_master_port_trap() {
    // A Service named spark-master would hand the master this variable.
    let svc: Value = serde_json::json!({
        "metadata": {"name": "spark-master"},
        "spec": {"ports": [{"name": "spark", "port": 7077, "protocol": "TCP"}]}
    });
    let vars: BTreeMap<_, _> = service_link_vars(&svc).into_iter().collect();
    assert_eq!(
        vars["SPARK_MASTER_PORT"],
        format!("tcp://{FAKE_CLUSTER_IP}:7077")
    );
    assert_eq!(vars["SPARK_MASTER_SERVICE_PORT"], "7077");
}
