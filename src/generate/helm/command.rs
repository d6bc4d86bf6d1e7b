//! The `helm` program, run as kustomize runs it (`helm template`, `helm
//! pull`), at the IO edge: a private temporary folder per run for the
//! values files and helm's own homes, charts pulled into the chart home
//! atomically. The rest of the Helm support is pure (see `super`).

#![allow(clippy::disallowed_methods)] // the helm edge: see clippy.toml

use super::{ChartAt, Failure, Pull, Runner, Template, Version};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Runs the helm program named by `--helm-command`.
#[derive(Debug)]
pub struct HelmCommand {
    program: String,
    version: OnceLock<Result<Version, Failure>>,
    /// One lock per chart folder being pulled, so parallel builds of
    /// several clusters pull a shared chart once.
    pulls: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
}

impl HelmCommand {
    pub fn new(program: impl Into<String>) -> HelmCommand {
        HelmCommand {
            program: program.into(),
            version: OnceLock::new(),
            pulls: Mutex::default(),
        }
    }

    fn run(&self, args: &[String], home: &Path) -> Result<Vec<u8>, Failure> {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .env("HELM_CONFIG_HOME", home)
            .env("HELM_CACHE_HOME", home.join(".cache"))
            .env("HELM_DATA_HOME", home.join(".data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| Failure {
            message: if e.kind() == std::io::ErrorKind::NotFound {
                format!("the helm program `{}` was not found", self.program)
            } else {
                format!("cannot run the helm program `{}`: {e}", self.program)
            },
            stderr: String::new(),
            missing: e.kind() == std::io::ErrorKind::NotFound,
        })?;
        // stderr on its own thread, so neither pipe can fill and stall helm.
        let mut err = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = (&mut err).take(1 << 20).read_to_end(&mut b);
            // Drain the rest unread, or helm would block on a full pipe.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            b
        });
        let limit = crate::limits::output_bytes();
        let mut out = Vec::new();
        let read = child
            .stdout
            .take()
            .expect("piped")
            .take(limit + 1)
            .read_to_end(&mut out);
        let too_big = out.len() as u64 > limit;
        if too_big {
            let _ = child.kill();
        }
        let status = child.wait();
        let stderr = String::from_utf8_lossy(&errs.join().unwrap_or_default())
            .trim()
            .to_string();
        let fail = |message: String| Failure {
            message,
            stderr: stderr.clone(),
            missing: false,
        };
        if too_big {
            return Err(fail(format!(
                "`helm {}` printed more than {limit} bytes ({})",
                args.first().map_or("", String::as_str),
                crate::limits::hint(crate::limits::OUTPUT_BYTES_ENV)
            )));
        }
        read.map_err(|e| fail(format!("cannot read helm's output: {e}")))?;
        let status = status.map_err(|e| fail(format!("cannot wait for helm: {e}")))?;
        if !status.success() {
            return Err(fail(format!(
                "`{} {}` failed ({status})",
                self.program,
                args.join(" ")
            )));
        }
        Ok(out)
    }
}

impl Runner for HelmCommand {
    fn version(&self) -> Result<Version, Failure> {
        self.version
            .get_or_init(|| {
                let tmp = TempDir::new()?;
                // `version --short` works on helm 3 and 4 (4 dropped `-c`).
                let out = self.run(
                    &["version".into(), "--short".into()],
                    &tmp.path.join("helm"),
                )?;
                let text = String::from_utf8_lossy(&out).trim().to_string();
                Version::parse(&text).ok_or_else(|| Failure {
                    message: format!(
                        "cannot find a version in `{} version --short`: {text:?}",
                        self.program
                    ),
                    stderr: String::new(),
                    missing: false,
                })
            })
            .clone()
    }

    fn template(&self, t: &Template) -> Result<Vec<u8>, Failure> {
        let tmp = TempDir::new()?;
        let mut args = t.head.clone();
        match &t.chart {
            ChartAt::Path(p) => args.push(p.to_string_lossy().into_owned()),
            ChartAt::Files(name, files) => {
                let root = tmp.path.join(name);
                for (rel, bytes) in files {
                    let p = root.join(rel);
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            io_failure("cannot write the chart to a temporary folder", &e)
                        })?;
                    }
                    std::fs::write(&p, bytes).map_err(|e| {
                        io_failure("cannot write the chart to a temporary folder", &e)
                    })?;
                }
                args.push(root.to_string_lossy().into_owned());
            }
        }
        args.extend(t.middle.iter().cloned());
        for (i, v) in t.values.iter().enumerate() {
            let p = tmp.path.join(format!("values-{i}.yaml"));
            std::fs::write(&p, v)
                .map_err(|e| io_failure("cannot write a values file to a temporary folder", &e))?;
            args.push("-f".into());
            args.push(p.to_string_lossy().into_owned());
        }
        args.extend(t.flags.iter().cloned());
        let home = t
            .config_home
            .clone()
            .unwrap_or_else(|| tmp.path.join("helm"));
        self.run(&args, &home)
    }

    fn pull(&self, p: &Pull) -> Result<(), Failure> {
        let lock = {
            let mut pulls = self.pulls.lock().unwrap_or_else(|e| e.into_inner());
            pulls.entry(p.dest.clone()).or_default().clone()
        };
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        let target = p.dest.join(&p.name);
        if target.is_dir() {
            return Ok(()); // pulled by another build of this run
        }
        std::fs::create_dir_all(&p.dest).map_err(|e| {
            io_failure(
                &format!("cannot create the chart home {}", p.dest.display()),
                &e,
            )
        })?;
        // Into a fresh folder beside the target, then one rename: a build
        // that stops half way leaves no half chart where the next one looks.
        let stage = p.dest.join(format!(".kcompile-pull-{}", unique()));
        let tmp = TempDir::new()?;
        let mut args = p.args.clone();
        args.extend([
            "--untar".into(),
            "--untardir".into(),
            stage.to_string_lossy().into_owned(),
        ]);
        let home = p
            .config_home
            .clone()
            .unwrap_or_else(|| tmp.path.join("helm"));
        let r = self.run(&args, &home).and_then(|_| {
            let got = stage.join(&p.name);
            if !got.is_dir() {
                return Err(Failure {
                    message: format!("`helm pull` left no folder `{}`", p.name),
                    stderr: String::new(),
                    missing: false,
                });
            }
            std::fs::rename(&got, &target).map_err(|e| {
                io_failure(
                    &format!("cannot move the pulled chart to {}", target.display()),
                    &e,
                )
            })
        });
        let _ = std::fs::remove_dir_all(&stage);
        r
    }
}

fn io_failure(what: &str, e: &std::io::Error) -> Failure {
    Failure {
        message: format!("{what}: {e}"),
        stderr: String::new(),
        missing: false,
    }
}

fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A private folder removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<TempDir, Failure> {
        let path = std::env::temp_dir().join(format!("kcompile-helm-{}", unique()));
        std::fs::create_dir(&path)
            .map_err(|e| io_failure("cannot create a temporary folder for helm", &e))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
