//! Running kcompile on hostile input: a hang guard (the child is killed
//! after `HANG_GUARD`), peak memory of the child, and leak checks.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A test fails (rather than hangs) when kcompile runs longer than this.
pub const HANG_GUARD: Duration = Duration::from_secs(10);

/// Values that must never appear in kcompile's output on error paths.
pub const SECRET: &str = "TOPSECRET-hunter2-91f3";
pub const SECRET_B64: &str = "VE9QU0VDUkVULWh1bnRlcjItOTFmMw==";
pub const ENV_SECRET: &str = "ENVSECRET-from-dotenv-5c2a";

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size of the kcompile process, in KiB.
    pub max_rss_kb: Option<u64>,
    pub elapsed: Duration,
}

impl Out {
    /// Exit 2, nothing on stdout, an `error:` naming `needle` on stderr.
    #[track_caller]
    pub fn assert_error_naming(&self, needle: &str) {
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
    }

    /// stderr mentions `needle` (the cause, beyond the file named).
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "stderr should mention {needle:?}:\n{}",
            self.stderr
        );
    }

    /// No test secret on stderr (and on stdout, unless the build printed
    /// the Secret itself, which is its job).
    #[track_caller]
    pub fn assert_no_secret(&self, check_stdout: bool) {
        for s in [SECRET, SECRET_B64, ENV_SECRET] {
            assert!(
                !self.stderr.contains(s),
                "{s} leaked on stderr:\n{}",
                self.stderr
            );
            if check_stdout {
                assert!(!self.stdout.contains(s), "{s} leaked on stdout");
            }
        }
    }

    #[track_caller]
    pub fn assert_rss_below_mb(&self, mb: u64) {
        let kb = self.max_rss_kb.unwrap_or(0);
        assert!(kb < mb * 1024, "peak RSS {kb} KiB exceeds {mb} MiB");
    }
}

/// Run the kcompile binary with `args`, killing it after `HANG_GUARD`.
pub fn kcompile(args: &[&str]) -> Out {
    kcompile_in(args, None)
}

pub fn kcompile_in(args: &[&str], cwd: Option<&Path>) -> Out {
    kcompile_env(args, cwd, &[])
}

/// `kcompile_in` with extra environment variables (e.g. a lowered limit).
// The child is reaped by wait4(2) below (to read its own rusage), which
// clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn kcompile_env(args: &[&str], cwd: Option<&Path>, env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kcompile"));
    cmd.envs(env.iter().copied());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KUBECONFIG");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn kcompile");
    // Drain the pipes on threads so a big output cannot block the child.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut v);
        v
    });
    // wait4 reaps this one child and returns its own rusage: ru_maxrss is
    // the kernel's exact peak RSS of kcompile (KiB on Linux), unaffected by
    // other tests running in parallel (unlike RUSAGE_CHILDREN).
    let pid = child.id() as libc::pid_t;
    let (status, ru) = loop {
        let mut status: libc::c_int = 0;
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (status, ru);
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            panic!("kcompile {args:?} did not finish within {HANG_GUARD:?} (hang guard)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Out {
        code,
        stdout,
        stderr,
        max_rss_kb: Some(ru.ru_maxrss as u64),
        elapsed,
    }
}

/// Write files (relative path -> bytes) under `dir`.
pub fn write(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, bytes) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// A Secret holding `SECRET` in stringData and base64 in data.
pub fn secret_yaml(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\nstringData:\n  password: {SECRET}\ndata:\n  token: {SECRET_B64}\n"
    )
}

pub fn is_root() -> bool {
    // The effective uid, without libc: /proc/self/status `Uid:` line.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
