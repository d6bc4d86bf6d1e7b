//! Running kcompile on hostile input: a tight hang guard (the child is
//! killed after `HANG_GUARD`), peak memory of the child (`Out::max_rss_kb`),
//! and leak checks against test secrets.

pub use super::{cmd, write_bytes as write, Cmd, Out, Tree};
use std::path::Path;
use std::time::Duration;

/// A test fails (rather than hangs) when kcompile runs longer than this.
pub const HANG_GUARD: Duration = Duration::from_secs(10);

/// Values that must never appear in kcompile's output on error paths.
pub const SECRET: &str = "TOPSECRET-hunter2-91f3";
pub const SECRET_B64: &str = "VE9QU0VDUkVULWh1bnRlcjItOTFmMw==";
pub const ENV_SECRET: &str = "ENVSECRET-from-dotenv-5c2a";

impl Out {
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
}

/// Run the kcompile binary with `args`, killing it after `HANG_GUARD`.
pub fn kcompile(args: &[&str]) -> Out {
    kcompile_in(args, None)
}

pub fn kcompile_in(args: &[&str], cwd: Option<&Path>) -> Out {
    kcompile_env(args, cwd, &[])
}

/// `kcompile_in` with extra environment variables (e.g. a lowered limit).
pub fn kcompile_env(args: &[&str], cwd: Option<&Path>, env: &[(&str, &str)]) -> Out {
    let mut c = cmd().args(args).envs(env).timeout(HANG_GUARD);
    if let Some(d) = cwd {
        c = c.cwd(d);
    }
    c.run()
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
