//! The one test harness (in the style of ripgrep's `tests/util`): a
//! temporary tree of files (`Tree`), one way to run a program, above all
//! the real kcompile binary (`Cmd`, `kcompile`), and what it did (`Out`)
//! with the assertions the tests share.
//!
//! Beside it: running kcompile on hostile input (`hostile`), a fake API
//! server over HTTPS (`fake_api`), the real API server (`kube`) with
//! generated trees for it (`fleet`) and applying them (`apply`), and the
//! kustomize oracle (`oracle`).
// Each test file uses a part of the harness.
#![allow(dead_code, unused_imports)]

pub mod apply;
pub mod fake_api;
pub mod fleet;
pub mod helm;
pub mod hostile;
pub mod kube;
pub mod oracle;

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run of kcompile fails (rather than hangs) after this long, unless the
/// test sets its own limit with `Cmd::timeout`.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary folder, removed when dropped, to write a tree of files in.
///
/// ```ignore
/// let t = Tree::new();
/// t.file("k/kustomization.yaml", "resources: [cm.yaml]\n")
///     .file("k/cm.yaml", CM);
/// t.kcompile(&["k"]).assert_ok();
/// ```
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    /// An empty tree in the system's temporary folder.
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("make a temporary folder"),
        }
    }

    /// An empty tree inside `parent` (made if missing).
    pub fn new_in(parent: impl AsRef<Path>) -> Tree {
        std::fs::create_dir_all(parent.as_ref()).unwrap();
        Tree {
            dir: tempfile::tempdir_in(parent).expect("make a temporary folder"),
        }
    }

    /// A tree holding `files` (relative path -> text).
    pub fn with(files: &[(&str, &str)]) -> Tree {
        let t = Tree::new();
        t.files(files);
        t
    }

    /// The tree's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` below the tree's folder.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write `contents` to `rel`, making its folders.
    pub fn file(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &Tree {
        write_file(&self.join(rel), contents);
        self
    }

    /// Write every (relative path -> text) of `files`.
    pub fn files(&self, files: &[(&str, &str)]) -> &Tree {
        write_tree(self.path(), files);
        self
    }

    /// Make the folder `rel` (and its parents); its full path.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// The text of the file `rel`.
    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let p = self.join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// kcompile with the tree's folder as working folder.
    pub fn cmd(&self) -> Cmd {
        cmd().cwd(self.path())
    }

    /// `kcompile ARGS` run in the tree's folder.
    pub fn kcompile<S: AsRef<OsStr>>(&self, args: &[S]) -> Out {
        self.cmd().args(args).run()
    }
}

/// Write `contents` to `path`, making its folders.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Write files (relative path -> text) under `dir`.
pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        write_file(&dir.join(rel), text);
    }
}

/// Write files (relative path -> bytes) under `dir`.
pub fn write_bytes(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, bytes) in files {
        write_file(&dir.join(rel), bytes);
    }
}

/// Copy a folder of the repository (e.g. `base`) under `dest`.
pub fn copy_repo_dir(rel: &str, dest: &Path) {
    copy_dir(&repo().join(rel), &dest.join(rel));
}

/// Copy the folder `src` to `dest` (files and folders; no symlinks).
pub fn copy_dir(src: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dest.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// The real kcompile binary, to be given args, a working folder and
/// environment, then `run`.
pub fn cmd() -> Cmd {
    Cmd::new(env!("CARGO_BIN_EXE_kcompile"))
}

/// `kcompile ARGS` in the test's working folder.
pub fn kcompile<S: AsRef<OsStr>>(args: &[S]) -> Out {
    cmd().args(args).run()
}

/// `kcompile ARGS` in `cwd`.
pub fn kcompile_in<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Out {
    cmd().args(args).cwd(cwd).run()
}

/// A program to run: stdin is empty unless given, `KUBECONFIG` is unset
/// (no test may reach a real cluster by accident) unless set again, and
/// the run is killed after `TIMEOUT`.
pub struct Cmd {
    cmd: Command,
    shown: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let mut cmd = Command::new(program.as_ref());
        cmd.env_remove("KUBECONFIG");
        Cmd {
            cmd,
            shown: vec![program.as_ref().to_owned()],
            stdin: None,
            timeout: TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.cmd.arg(arg.as_ref());
        self.shown.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Cmd {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// The working folder.
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(mut self, vars: &[(K, V)]) -> Cmd {
        for (k, v) in vars {
            self.cmd.env(k, v);
        }
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.cmd.env_remove(key);
        self
    }

    /// An environment with nothing but `PATH` (then `env` adds to it).
    pub fn env_clear(mut self) -> Cmd {
        self.cmd.env_clear();
        if let Some(p) = std::env::var_os("PATH") {
            self.cmd.env("PATH", p);
        }
        self
    }

    /// Feed `bytes` on stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(bytes.into());
        self
    }

    /// Kill the run, and fail the test, after `limit`.
    pub fn timeout(mut self, limit: Duration) -> Cmd {
        self.timeout = limit;
        self
    }

    /// Set up the `std::process::Command` further (a uid, a `pre_exec`).
    pub fn with(mut self, f: impl FnOnce(&mut Command)) -> Cmd {
        f(&mut self.cmd);
        self
    }

    /// The `std::process::Command` itself, for a test that must manage the
    /// child (kill it, run several at once).
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Run to the end (or the timeout) and collect what it did.
    // The child is reaped by wait4(2) below (to read its own rusage), which
    // clippy cannot see.
    #[allow(clippy::zombie_processes)]
    pub fn run(mut self) -> Out {
        let shown = self
            .shown
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("run {shown:?}: {e}"));
        let feed = self.stdin.take().map(|bytes| {
            let mut w = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                // The child may exit without reading it all.
                let _ = w.write_all(&bytes);
            })
        });
        // Drain the pipes on threads so a big output cannot block the child.
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = so.read_to_end(&mut v);
            v
        });
        let t_err = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = se.read_to_end(&mut v);
            v
        });
        // wait4 reaps this one child and returns its own rusage: ru_maxrss
        // is the kernel's exact peak RSS of the child (KiB on Linux),
        // unaffected by other tests running in parallel (unlike
        // RUSAGE_CHILDREN).
        let pid = child.id() as libc::pid_t;
        let (status, ru) = loop {
            let mut status: libc::c_int = 0;
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
            if r == pid {
                break (status, ru);
            }
            assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
                panic!(
                    "{shown:?} did not finish within {:?} (hang guard)",
                    self.timeout
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = start.elapsed();
        if let Some(f) = feed {
            f.join().unwrap();
        }
        let stdout_bytes = t_out.join().unwrap();
        let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        };
        Out {
            args: shown,
            code,
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stdout_bytes,
            stderr,
            max_rss_kb: Some(ru.ru_maxrss as u64),
            elapsed,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Out {
    /// The program and its args, for messages.
    pub args: Vec<String>,
    /// The exit code, or -1 when killed by a signal.
    pub code: i32,
    /// stdout as text (invalid UTF-8 replaced; see `stdout_bytes`).
    pub stdout: String,
    /// stdout exactly as written.
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
    /// Peak resident set size of the process, in KiB.
    pub max_rss_kb: Option<u64>,
    pub elapsed: Duration,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Out {
    /// Exit 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Exit 0 (stderr shown otherwise).
    #[track_caller]
    pub fn assert_ok(&self) -> &Out {
        assert_eq!(
            self.code, 0,
            "{:?} failed; stderr:\n{}",
            self.args, self.stderr
        );
        self
    }

    /// Exit `code` (stderr shown otherwise).
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Out {
        assert_eq!(
            self.code, code,
            "{:?}: exit code; stderr:\n{}",
            self.args, self.stderr
        );
        self
    }

    /// A user error: exit 2, nothing on stdout, no panic, and every
    /// fragment on stderr.
    #[track_caller]
    pub fn assert_error(&self, fragments: &[&str]) -> &Out {
        assert_eq!(self.code, 2, "stderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "stdout must be empty on error");
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        for f in fragments {
            assert!(
                self.stderr.contains(f),
                "stderr lacks {f:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    /// Exit 2, nothing on stdout, an `error:` naming `needle` on stderr.
    #[track_caller]
    pub fn assert_error_naming(&self, needle: &str) -> &Out {
        assert_eq!(self.code, 2, "exit code; stderr:\n{}", self.stderr);
        assert_eq!(self.stdout, "", "nothing may be printed on error");
        assert!(
            self.stderr.starts_with("error: "),
            "stderr:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "error should name {needle:?}:\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    /// stderr mentions `needle`.
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) -> &Out {
        assert!(
            self.stderr.contains(needle),
            "stderr should mention {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    /// stdout holds `needle`.
    #[track_caller]
    pub fn assert_stdout_has(&self, needle: &str) -> &Out {
        assert!(
            self.stdout.contains(needle),
            "stdout should hold {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn assert_rss_below_mb(&self, mb: u64) -> &Out {
        let kb = self.max_rss_kb.unwrap_or(0);
        assert!(kb < mb * 1024, "peak RSS {kb} KiB exceeds {mb} MiB");
        self
    }
}

/// A small Deployment the CLI tests build trees with.
pub const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.0
";
