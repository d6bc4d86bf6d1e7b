//! `kcompile.lock`: the commit each remote base (repository URL and ref)
//! resolves to, written by `kcompile lock`, read by every build. Pure
//! text in and out; the file is found and written by the caller.
//!
//! ```yaml
//! # kcompile.lock: …
//! version: 1
//! remotes:
//! - url: "https://github.com/org/repo"
//!   ref: "v1.2.0"
//!   commit: "5f0c…"
//! ```
//!
//! Entries are sorted by URL, then ref; strings are double-quoted (JSON
//! escapes), so the same set of pins is always the same bytes. URLs are
//! stored with credentials redacted (`https://***@host/…`): a pin matches
//! its URL whatever credentials the kustomization carries.

use super::url::{is_full_commit, RemoteSpec};
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub const LOCK_FILE: &str = "kcompile.lock";

/// The pins: (URL, ref as written, `""` for the default branch) → commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    pub pins: BTreeMap<(String, String), String>,
}

impl Lock {
    /// The key of a remote base.
    pub fn key(spec: &RemoteSpec) -> (String, String) {
        (spec.shown_url(), spec.reference.clone())
    }

    pub fn get(&self, spec: &RemoteSpec) -> Option<&str> {
        self.pins.get(&Lock::key(spec)).map(String::as_str)
    }

    pub fn insert(&mut self, spec: &RemoteSpec, commit: &str) {
        self.pins.insert(Lock::key(spec), commit.to_string());
    }

    /// Read a lock file's text.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Lock> {
        let bad = |m: String| {
            Error::new(ErrorKind::Kustomization, m)
                .file(path)
                .hint("regenerate it with `kcompile lock`")
        };
        let text = crate::input::load::decode_text(path, bytes)?;
        let docs = crate::yaml::parse_stream(&text).map_err(|e| e.file(path))?;
        let doc = docs
            .into_iter()
            .map(|d| d.value)
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null);
        let mut lock = Lock::default();
        if doc.is_null() {
            return Ok(lock);
        }
        let Some(m) = doc.as_object() else {
            return Err(bad("the lock file is not a mapping".into()));
        };
        match m.get("version") {
            Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
            other => {
                return Err(bad(format!(
                    "unsupported lock file version {} (this kcompile writes version 1)",
                    other.map_or("(none)".to_string(), |v| v.to_string())
                )))
            }
        }
        let remotes = match m.get("remotes") {
            None | Some(Value::Null) => return Ok(lock),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(bad("`remotes` must be a list".into())),
        };
        for (i, r) in remotes.iter().enumerate() {
            let field = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
            let (Some(url), Some(commit)) = (field("url"), field("commit")) else {
                return Err(bad(format!(
                    "remotes[{i}] needs `url` and `commit` strings"
                )));
            };
            if !is_full_commit(&commit) {
                return Err(bad(format!(
                    "remotes[{i}]: `{commit}` is not a full commit id"
                )));
            }
            lock.pins
                .insert((url, field("ref").unwrap_or_default()), commit);
        }
        Ok(lock)
    }

    /// The file's text (deterministic).
    pub fn to_text(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = String::from(
            "# kcompile.lock: the commit each remote base resolves to, written by\n\
             # `kcompile lock`. Builds fetch these commits instead of resolving the refs.\n\
             version: 1\n",
        );
        if self.pins.is_empty() {
            out.push_str("remotes: []\n");
            return out;
        }
        out.push_str("remotes:\n");
        for ((url, r), commit) in &self.pins {
            out.push_str(&format!(
                "- url: {}\n  ref: {}\n  commit: {}\n",
                q(url),
                q(r),
                q(commit)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted() {
        let mut l = Lock::default();
        let c = "a".repeat(40);
        l.insert(&RemoteSpec::parse("https://h/z/repo?ref=v2").unwrap(), &c);
        l.insert(
            &RemoteSpec::parse("https://u:pw@h/a/repo//x?ref=v1").unwrap(),
            &c,
        );
        l.insert(&RemoteSpec::parse("git@h:a/repo").unwrap(), &c);
        let text = l.to_text();
        assert!(!text.contains("pw"), "{text}");
        let back = Lock::parse(Path::new("kcompile.lock"), text.as_bytes()).unwrap();
        assert_eq!(back, l);
        let urls: Vec<&str> = back.pins.keys().map(|(u, _)| u.as_str()).collect();
        assert_eq!(
            urls,
            ["git@h:a/repo", "https://***@h/a/repo", "https://h/z/repo"]
        );
        let empty = Lock::default().to_text();
        assert_eq!(
            Lock::parse(Path::new("l"), empty.as_bytes()).unwrap(),
            Lock::default()
        );
        assert!(Lock::parse(Path::new("l"), b"version: 2\n").is_err());
        assert!(Lock::parse(
            Path::new("l"),
            b"version: 1\nremotes:\n- url: x\n  commit: abc\n"
        )
        .is_err());
    }
}
