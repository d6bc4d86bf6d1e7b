//! A real kube-apiserver (Kubernetes 1.37) with etcd for the diff tests,
//! started by `scripts/kube-apiserver.sh`, and `kubectl` against it.
//!
//! `scripts/test.sh` starts one server for the whole run and exports
//! `KCOMPILE_TEST_KUBE_DIR`; a test binary run on its own starts its own
//! (once per process) and stops it at exit. Where Go is missing or the
//! server cannot start, tests are skipped with a reason on stderr, except
//! under CI (`CI` set), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub struct Server {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();
static OWN_DIR: OnceLock<PathBuf> = OnceLock::new();

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Written straight to the process's stderr: the test harness captures
/// `eprintln!`, and a skip must be seen.
pub fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn unavailable(why: &str) -> Option<Server> {
    if std::env::var_os("CI").is_some() {
        panic!("CI needs the real API server: {why}");
    }
    say(&format!("SKIP (real API server tests): {why}"));
    None
}

extern "C" fn stop_own_server() {
    if let Some(dir) = OWN_DIR.get() {
        let _ = Command::new(root().join("scripts/kube-apiserver.sh"))
            .arg("stop")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn ready(kubeconfig: &Path) -> bool {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "--raw", "/readyz"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn start() -> Option<Server> {
    if Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        return unavailable("kubectl is not installed");
    }
    if let Some(dir) = std::env::var_os("KCOMPILE_TEST_KUBE_DIR") {
        let dir = PathBuf::from(dir);
        let kubeconfig = dir.join("kubeconfig");
        if !ready(&kubeconfig) {
            return unavailable(&format!(
                "KCOMPILE_TEST_KUBE_DIR={} names no running server",
                dir.display()
            ));
        }
        return Some(Server { dir, kubeconfig });
    }
    if Command::new("go").arg("version").output().is_err() {
        return unavailable("Go is not installed (needed to build kube-apiserver and etcd)");
    }
    let dir = root()
        .join("target")
        .join("kube-run")
        .join(std::process::id().to_string());
    let _ = OWN_DIR.set(dir.clone());
    // SAFETY: registering a plain extern "C" function with no captured state.
    unsafe {
        libc::atexit(stop_own_server);
    }
    let out = Command::new(root().join("scripts/kube-apiserver.sh"))
        .arg("start")
        .arg(&dir)
        .stdout(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Server {
            kubeconfig: dir.join("kubeconfig"),
            dir,
        }),
        Ok(o) => unavailable(&format!(
            "scripts/kube-apiserver.sh start failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => unavailable(&format!("cannot run scripts/kube-apiserver.sh: {e}")),
    }
}

/// The shared server, or `None` (skip) outside CI when it cannot run.
pub fn server() -> Option<&'static Server> {
    SERVER.get_or_init(start).as_ref()
}

/// A name unique in this run: `prefix-<pid>-<n>`, DNS-label safe.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a run of kubectl or kcompile did.
pub use super::Out as Run;

impl Server {
    /// `kubectl --kubeconfig … ARGS` with `stdin` fed in; panics on failure.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let r = self.kubectl_run(args, stdin);
        assert_eq!(r.code, 0, "kubectl {args:?} failed: {r}");
        r.stdout
    }

    pub fn kubectl_run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = super::Cmd::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args);
        if let Some(text) = stdin {
            cmd = cmd.stdin(text);
        }
        cmd.run()
    }

    /// A copy of this server's kubeconfig in `dir` (to add contexts to),
    /// with a context `alias` for the server when one is given.
    pub fn kubeconfig_in(&self, dir: &Path, alias: Option<&str>) -> PathBuf {
        let kc = dir.join("kubeconfig");
        std::fs::copy(&self.kubeconfig, &kc).unwrap();
        if let Some(name) = alias {
            let cluster = kubectl_with(
                &kc,
                &[
                    "config",
                    "view",
                    "-o",
                    "jsonpath={.contexts[0].context.cluster}",
                ],
            );
            let user = kubectl_with(
                &kc,
                &[
                    "config",
                    "view",
                    "-o",
                    "jsonpath={.contexts[0].context.user}",
                ],
            );
            kubectl_with(
                &kc,
                &[
                    "config",
                    "set-context",
                    name,
                    &format!("--cluster={cluster}"),
                    &format!("--user={user}"),
                ],
            );
        }
        kc
    }

    /// `kcompile ARGS` with this server's kubeconfig in `$KUBECONFIG`.
    pub fn kcompile(&self, args: &[&str]) -> Run {
        kcompile_with(args, Some(&self.kubeconfig))
    }
}

/// `kcompile ARGS`, with no kubeconfig but the one given.
pub fn kcompile_with(args: &[&str], kubeconfig: Option<&Path>) -> Run {
    kcompile_cmd(args, kubeconfig).run()
}

/// The command of [`kcompile_with`], to add to.
pub fn kcompile_cmd(args: &[&str], kubeconfig: Option<&Path>) -> super::Cmd {
    let mut cmd = super::cmd()
        .args(args)
        .env_remove("NO_COLOR")
        .env("HOME", std::env::temp_dir().join("kcompile-test-no-home"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    if let Some(k) = kubeconfig {
        cmd = cmd.env("KUBECONFIG", k);
    }
    cmd
}

/// `kubectl --kubeconfig KC ARGS`; its stdout, panicking on failure.
pub fn kubectl_with(kc: &Path, args: &[&str]) -> String {
    let out = super::Cmd::new("kubectl")
        .arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .run();
    assert!(out.success(), "kubectl {args:?}: {out}");
    out.stdout
}

/// `kcompile ARGS` in `dir` (also its HOME) with `KUBECONFIG=kc`.
pub fn kcompile_in(dir: &Path, kc: &Path, args: &[&str]) -> Run {
    super::cmd()
        .args(args)
        .cwd(dir)
        .env("KUBECONFIG", kc)
        .env("HOME", dir)
        .run()
}
