//! Remote base URLs, parsed as kustomize parses them
//! (`api/internal/git/repospec.go` of kustomize v5.5): the same forms are
//! accepted, split at the same places, and the same ones refused. Pure: no
//! file system, no network.
//!
//! A URL is `[git::][SCHEME://][USER@]HOST(/|:)REPO[//SUBPATH][?QUERY]`:
//! - `SCHEME` is `https`, `http`, `ssh` or `file` (any case); without one,
//!   only the scp form `USER@HOST:REPO` and the `github.com/ORG/REPO`
//!   shorthand are URLs (anything else is a local path);
//! - the repository ends at `_git/NAME`, else at `//`, else after the first
//!   `.git`, else after two path segments (`ORG/REPO`; for `file://`, the
//!   whole path);
//! - github.com is normalised: `https://github.com/…` unless a user or
//!   `ssh://` is given, then `USER@github.com:…`;
//! - the query gives `ref` (or its synonym `version`; `ref` wins),
//!   `timeout` (whole seconds or a Go duration; default 27s) and
//!   `submodules` (a Go boolean; default true). A query that does not parse
//!   leaves all three at their defaults, as in kustomize.

use std::time::Duration;

/// kustomize's default timeout for each git command of a fetch.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(27);

/// A parsed remote base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// The entry as written in the kustomization.
    pub raw: String,
    /// Scheme, user and host, normalised: `https://github.com/`,
    /// `git@github.com:`, `file://`.
    pub host: String,
    /// The repository's path on the host: `org/repo`, `org/repo.git`.
    pub repo_path: String,
    /// The kustomization's folder inside the repository (`""`: its root).
    pub subpath: String,
    /// The `ref` (or `version`) query value; `""`: the remote's HEAD.
    pub reference: String,
    pub timeout: Duration,
    pub submodules: bool,
}

impl RemoteSpec {
    /// Parse `n` as kustomize does; the error is kustomize's reason.
    pub fn parse(n: &str) -> Result<RemoteSpec, String> {
        if n.starts_with('/') {
            return Err(format!("uri looks like abs path: {n}"));
        }
        let raw = n.to_string();
        let (n, query) = n.split_once('?').unwrap_or((n, ""));
        let (reference, timeout, submodules) = parse_query(query);
        let (host, rest) = extract_host(n)?;
        let default_len = if host.starts_with(FILE) {
            None
        } else {
            Some(2)
        };
        let (repo_path, subpath) = parse_path_parts(&rest, default_len)?;
        Ok(RemoteSpec {
            raw,
            host,
            repo_path,
            subpath,
            reference,
            timeout,
            submodules,
        })
    }

    /// What git fetches from: host and repository path (kustomize's
    /// `CloneSpec`), credentials included.
    pub fn url(&self) -> String {
        format!("{}{}", self.host, self.repo_path)
    }

    /// The repository URL as it may be shown, written to the lock file or
    /// hashed into the cache: credentials replaced by `***`.
    pub fn shown_url(&self) -> String {
        redact_url(&self.url())
    }

    /// The entry as it may be shown (credentials and unknown query values
    /// replaced by `***`).
    pub fn shown_raw(&self) -> String {
        let (base, query) = self.raw.split_once('?').unwrap_or((&self.raw, ""));
        let mut out = redact_url(base);
        if !self.raw.contains('?') {
            return out;
        }
        out.push('?');
        let parts: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !KNOWN_KEYS.contains(&k) && !v.is_empty() => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
        out
    }

    /// The strings of this entry that are secret: a password or token in
    /// the user part, the values of query keys kcompile does not know.
    /// Any text shown about this entry (git's messages) has them replaced.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (base, query) = self.raw.split_once('?').unwrap_or((&self.raw, ""));
        if let Some((_, after)) = base.split_once("://") {
            let authority = after.split('/').next().unwrap_or("");
            if let Some((userinfo, _)) = authority.rsplit_once('@') {
                if userinfo_is_secret(base, userinfo) {
                    out.push(userinfo.to_string());
                    out.extend(userinfo.split(':').map(String::from));
                }
            }
        }
        for kv in query.split('&') {
            if let Some((k, v)) = kv.split_once('=') {
                if !KNOWN_KEYS.contains(&k) && !v.is_empty() {
                    out.push(v.to_string());
                }
            }
        }
        out.retain(|s| s.len() >= 3);
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out.dedup();
        out
    }

    /// Whether the reference is a full commit id (40 or 64 hex digits).
    pub fn ref_is_commit(&self) -> bool {
        is_full_commit(&self.reference)
    }
}

/// A full SHA-1 or SHA-256 commit id.
pub fn is_full_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

const KNOWN_KEYS: [&str; 4] = ["ref", "version", "timeout", "submodules"];

/// Whether the user part of a URL may hold a credential: anything with a
/// password, and any user on http(s) (a token is often given as the user,
/// `https://TOKEN@host/…`). A plain ssh user (`ssh://git@host`) is a name.
fn userinfo_is_secret(base: &str, userinfo: &str) -> bool {
    let lower = base.to_ascii_lowercase();
    let lower = lower.strip_prefix("git::").unwrap_or(&lower);
    userinfo.contains(':') || lower.starts_with("http://") || lower.starts_with("https://")
}

/// `url` with the credentials of its user part replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let (scheme, after) = (&url[..i + 3], &url[i + 3..]);
    let end = after.find('/').unwrap_or(after.len());
    let authority = &after[..end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo_is_secret(url, userinfo) => {
            format!("{scheme}***@{host}{}", &after[end..])
        }
        _ => url.to_string(),
    }
}

/// Replace every credential in `text` (git's messages): the `secrets` of
/// the entry, and the user part of any `scheme://user@` in it.
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        out = out.replace(s.as_str(), "***");
    }
    // Any URL git printed in another spelling.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("://") {
        result.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(rest.len());
        match rest[..end].rfind('@') {
            Some(at) if rest[..at].contains(':') || !rest[..at].is_empty() => {
                let user = &rest[..at];
                if user == "***" || (!user.contains(':') && user == "git") {
                    result.push_str(&rest[..end]);
                } else {
                    result.push_str("***");
                    result.push_str(&rest[at..end]);
                }
            }
            _ => result.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    result.push_str(rest);
    result
}

const FILE: &str = "file://";
const SCHEMES: [&str; 4] = ["ssh://", "https://", "http://", FILE];

fn trim_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix))
    .then(|| &s[prefix.len()..])
}

fn extract_host(n: &str) -> Result<(String, String), String> {
    let n = trim_prefix_ignore_case(n, "git::").unwrap_or(n);
    let (scheme, n) = SCHEMES
        .iter()
        .find_map(|p| trim_prefix_ignore_case(n, p).map(|rest| (*p, rest)))
        .unwrap_or(("", n));
    let (username, n) = extract_username(n);
    let lower = n.to_ascii_lowercase();
    let github = lower.starts_with("github.com/") || lower.starts_with("github.com:");
    let scp = scheme.is_empty() && (!username.is_empty() || github);
    if scheme.is_empty() && !scp {
        return Err("failed to parse scheme".into());
    }
    if scheme == FILE {
        // `username@` is part of the path here.
        return Ok((scheme.to_string(), format!("{username}{n}")));
    }
    let mut host = n;
    let mut rest = "";
    if let Some(sep) = find_path_separator(n, scp) {
        host = &n[..sep + 1];
        rest = &n[sep + 1..];
    }
    let (scheme, username, host) = if github {
        if scheme.starts_with("ssh://") || !username.is_empty() {
            ("", username, "github.com:")
        } else {
            ("https://", "", "github.com/")
        }
    } else {
        (scheme, username, host)
    };
    if host.is_empty() {
        return Err("failed to parse host segment".into());
    }
    Ok((format!("{scheme}{username}{host}"), rest.to_string()))
}

fn extract_username(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    if b.first().is_some_and(u8::is_ascii_alphabetic) {
        let end = b
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
            .unwrap_or(b.len());
        if b.get(end) == Some(&b'@') {
            return (&s[..end + 1], &s[end + 1..]);
        }
    }
    ("", s)
}

fn find_path_separator(host_path: &str, scp: bool) -> Option<usize> {
    let sep = host_path.find('/');
    if scp {
        if let Some(colon) = host_path.find(':') {
            if colon > 0 && sep.is_none_or(|s| colon < s) {
                return Some(colon);
            }
        }
        if sep.is_none() {
            // Go: `colonIndex` of -1 becomes the separator.
            return host_path.find(':');
        }
    }
    sep
}

fn parse_path_parts(n: &str, default_len: Option<usize>) -> Result<(String, String), String> {
    let (repo, sub) = explicit_split(n)
        .or_else(|| default_split(n, default_len))
        .filter(|(r, _)| !r.is_empty())
        .ok_or_else(|| "failed to parse repo path segment".to_string())?;
    if exits_repo(&sub) {
        return Err(format!("url path exits repo: {n}"));
    }
    Ok((repo, sub.strip_prefix('/').unwrap_or(&sub).to_string()))
}

fn explicit_split(n: &str) -> Option<(String, String)> {
    const GIT_ROOT: &str = "_git/";
    if let Some(i) = n.find(GIT_ROOT) {
        let root = &n[..i + GIT_ROOT.len()];
        let mut segs = n[i + GIT_ROOT.len()..].split('/');
        let first = segs.next().unwrap_or("");
        let rest: Vec<&str> = segs.collect();
        return Some((format!("{root}{first}"), rest.join("/")));
    }
    if let Some(i) = n.find("//") {
        return Some((n[..i].to_string(), n[i + 2..].to_string()));
    }
    if let Some(i) = n.find(".git") {
        let end = i + ".git".len();
        return Some((n[..end].to_string(), n[end..].to_string()));
    }
    None
}

fn default_split(n: &str, len: Option<usize>) -> Option<(String, String)> {
    let Some(len) = len else {
        return Some((n.to_string(), String::new()));
    };
    let segs: Vec<&str> = n.split('/').collect();
    (segs.len() >= len).then(|| (segs[..len].join("/"), segs[len..].join("/")))
}

/// Whether the subpath, cleaned, starts with `..` (Go's `filepath.Clean`).
fn exits_repo(sub: &str) -> bool {
    let sub = sub.strip_prefix('/').unwrap_or(sub);
    let mut stack: Vec<&str> = Vec::new();
    for seg in sub.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if stack.last().is_some_and(|s| *s != "..") {
                    stack.pop();
                } else {
                    stack.push("..");
                }
            }
            s => stack.push(s),
        }
    }
    stack.first() == Some(&"..")
}

/// The query's ref, timeout and submodules, as kustomize's `parseQuery`
/// (Go's `url.ParseQuery`: an error anywhere gives all defaults).
fn parse_query(query: &str) -> (String, Duration, bool) {
    let defaults = (String::new(), DEFAULT_TIMEOUT, true);
    let Some(values) = go_parse_query(query) else {
        return defaults;
    };
    let get = |k: &str| {
        values
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut reference = get("version").to_string();
    if !get("ref").is_empty() {
        reference = get("ref").to_string();
    }
    let mut timeout = DEFAULT_TIMEOUT;
    let t = get("timeout");
    if !t.is_empty() {
        match t.parse::<i64>() {
            Ok(secs) if secs > 0 => timeout = Duration::from_secs(secs as u64),
            _ => {
                if let Some(d) = go_duration(t).filter(|d| !d.is_zero()) {
                    timeout = d;
                }
            }
        }
    }
    let mut submodules = true;
    if let Some(b) = go_bool(get("submodules")) {
        submodules = b;
    }
    (reference, timeout, submodules)
}

fn go_parse_query(query: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for part in query.split('&') {
        if part.is_empty() {
            continue;
        }
        if part.contains(';') {
            ok = false;
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match (unescape(k), unescape(v)) {
            (Some(k), Some(v)) => out.push((k, v)),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration` for non-negative durations (`1m1s`, `1.5h`,
/// `300ms`); `None` where Go fails or the value is negative.
fn go_duration(s: &str) -> Option<Duration> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * unit;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(u: &str) -> RemoteSpec {
        RemoteSpec::parse(u).unwrap_or_else(|e| panic!("{u}: {e}"))
    }

    /// kustomize's `TestNewRepoSpecFromUrl_Permute`.
    #[test]
    fn permutations() {
        let hosts = [
            ("gitHub.com/", "https://github.com/"),
            ("github.com:", "https://github.com/"),
            ("http://github.com/", "https://github.com/"),
            ("https://github.com/", "https://github.com/"),
            ("hTTps://github.com/", "https://github.com/"),
            (
                "https://git-codecommit.us-east-2.amazonaws.com/",
                "https://git-codecommit.us-east-2.amazonaws.com/",
            ),
            (
                "https://fabrikops2.visualstudio.com/",
                "https://fabrikops2.visualstudio.com/",
            ),
            ("ssh://git.example.com:7999/", "ssh://git.example.com:7999/"),
            ("git::https://gitlab.com/", "https://gitlab.com/"),
            ("git::http://git.example.com/", "http://git.example.com/"),
            ("git::https://git.example.com/", "https://git.example.com/"),
            ("git@github.com:", "git@github.com:"),
            ("git@github.com/", "git@github.com:"),
            ("git::git@github.com:", "git@github.com:"),
            ("org-12345@github.com:", "org-12345@github.com:"),
            ("org-12345@github.com/", "org-12345@github.com:"),
        ];
        for (raw, host) in hosts {
            for repo in ["someOrg/someRepo", "kubernetes/website"] {
                for path in ["README.md", "foo/krusty.txt", ""] {
                    for r in ["group/version", "someBranch", "master", "v0.1.0", ""] {
                        let mut u = format!("{raw}{repo}");
                        if !path.is_empty() {
                            u = format!("{u}/{path}");
                        }
                        if !r.is_empty() {
                            u = format!("{u}?ref={r}");
                        }
                        let s = spec(&u);
                        assert_eq!(s.host, host, "{u}");
                        assert_eq!(s.repo_path, repo, "{u}");
                        assert_eq!(s.subpath, path, "{u}");
                        assert_eq!(s.reference, r, "{u}");
                    }
                }
            }
        }
    }

    /// kustomize's `TestNewRepoSpecFromUrlErrors`.
    #[test]
    fn errors() {
        for (u, want) in [
            ("/tmp", "uri looks like abs path"),
            ("../../tmp", "failed to parse scheme"),
            ("src/github.com/org/repo/path", "failed to parse scheme"),
            ("iauhsdiuashduas", "failed to parse scheme"),
            ("htxxxtp://github.com/", "failed to parse scheme"),
            ("ssh://git.example.com", "failed to parse repo path segment"),
            ("git::___", "failed to parse scheme"),
            (
                "https://host?ref=group/version/minor_version",
                "failed to parse repo path segment",
            ),
            (
                "https://github.com/org/repo.git//path/../../exits/repo",
                "url path exits repo",
            ),
            ("github.com!org/repo.git//path", "failed to parse scheme"),
            ("gh:org/repo", "failed to parse scheme"),
            (
                "https://github.com/thisisa404.yaml",
                "failed to parse repo path segment",
            ),
            (
                "file:////tmp//path/to/whatever",
                "failed to parse repo path segment",
            ),
            (
                "git@scp://github.com/org/repo.git//path",
                "failed to parse repo path segment",
            ),
            (
                "git@ssh://github.com/org/repo.git//path",
                "failed to parse repo path segment",
            ),
        ] {
            let e = RemoteSpec::parse(u).expect_err(u);
            assert!(e.contains(want), "{u}: {e}");
        }
    }

    /// kustomize's `TestNewRepoSpecFromUrl_Smoke`: input, clone URL,
    /// host, repository path, subpath, ref.
    #[test]
    fn smoke() {
        let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
            ("https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir", "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo", "https://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somedir", ""),
            ("https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir?ref=testbranch", "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo", "https://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somedir", "testbranch"),
            ("https://fabrikops2.visualstudio.com/someorg/somerepo?ref=master", "https://fabrikops2.visualstudio.com/someorg/somerepo", "https://fabrikops2.visualstudio.com/", "someorg/somerepo", "", "master"),
            ("http://github.com/someorg/somerepo/somedir", "https://github.com/someorg/somerepo", "https://github.com/", "someorg/somerepo", "somedir", ""),
            ("git@github.com:someorg/somerepo/somedir", "git@github.com:someorg/somerepo", "git@github.com:", "someorg/somerepo", "somedir", ""),
            ("http://github.com/someorg/somerepo.git/somedir", "https://github.com/someorg/somerepo.git", "https://github.com/", "someorg/somerepo.git", "somedir", ""),
            ("git@github.com:someorg/somerepo.git/somedir", "git@github.com:someorg/somerepo.git", "git@github.com:", "someorg/somerepo.git", "somedir", ""),
            ("git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0", "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git", "git@gitlab2.sqtools.ru:", "infra/kubernetes/thanos-base.git", "", "v0.1.0"),
            ("git@bitbucket.org:company/project.git//path?ref=branch", "git@bitbucket.org:company/project.git", "git@bitbucket.org:", "company/project.git", "path", "branch"),
            ("git@bitbucket.org/company/project.git//path?ref=branch", "git@bitbucket.org/company/project.git", "git@bitbucket.org/", "company/project.git", "path", "branch"),
            ("ssh://git@bitbucket.org/company/project.git//path?ref=branch", "ssh://git@bitbucket.org/company/project.git", "ssh://git@bitbucket.org/", "company/project.git", "path", "branch"),
            ("https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", ""),
            ("https://itfs.mycompany.com/collection/project/_git/somerepos?version=v1.0.0", "https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", "v1.0.0"),
            ("https://itfs.mycompany.com/collection/project/_git/somerepos/somedir?version=v1.0.0", "https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "somedir", "v1.0.0"),
            ("git::https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", ""),
            ("https://bitbucket.example.com/scm/project/repository.git", "https://bitbucket.example.com/scm/project/repository.git", "https://bitbucket.example.com/", "scm/project/repository.git", "", ""),
            ("ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somepath", "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo", "ssh://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somepath", ""),
            ("git@github.com/someorg/somerepo/somepath", "git@github.com:someorg/somerepo", "git@github.com:", "someorg/somerepo", "somepath", ""),
            ("https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6", "https://github.com/kubernetes-sigs/kustomize", "https://github.com/", "kubernetes-sigs/kustomize", "examples/multibases/dev/", "v1.0.6"),
            ("file://a/b/c/someRepo.git/somepath?ref=someBranch", "file://a/b/c/someRepo.git", "file://", "a/b/c/someRepo.git", "somepath", "someBranch"),
            ("file://a/b/c/someRepo//somepath?ref=someBranch", "file://a/b/c/someRepo", "file://", "a/b/c/someRepo", "somepath", "someBranch"),
            ("file://a/b/c/someRepo?ref=someBranch", "file://a/b/c/someRepo", "file://", "a/b/c/someRepo", "", "someBranch"),
            ("file:///a/b/c/someRepo?ref=someBranch", "file:///a/b/c/someRepo", "file://", "/a/b/c/someRepo", "", "someBranch"),
            ("ssh://git@github.com/kubernetes-sigs/kustomize//examples/multibases/dev?ref=v1.0.6", "git@github.com:kubernetes-sigs/kustomize", "git@github.com:", "kubernetes-sigs/kustomize", "examples/multibases/dev", "v1.0.6"),
            ("file:///a/b/c/someRepo", "file:///a/b/c/someRepo", "file://", "/a/b/c/someRepo", "", ""),
            ("file:///", "file:///", "file://", "/", "", ""),
            ("https://example.org/path/to/repo//examples/multibases/dev", "https://example.org/path/to/repo", "https://example.org/", "path/to/repo", "examples/multibases/dev", ""),
            ("https://example.org/path/to/repo.git/examples/multibases/dev", "https://example.org/path/to/repo.git", "https://example.org/", "path/to/repo.git", "examples/multibases/dev", ""),
            ("ssh://alice@example.com/path/to/repo//examples/multibases/dev", "ssh://alice@example.com/path/to/repo", "ssh://alice@example.com/", "path/to/repo", "examples/multibases/dev", ""),
            ("https://authority/org/repo?ref=group/version", "https://authority/org/repo", "https://authority/", "org/repo", "", "group/version"),
            ("https://authority/org/repo/?ref=includes_git/for_some_reason", "https://authority/org/repo", "https://authority/", "org/repo", "", "includes_git/for_some_reason"),
            ("https://authority/org/repo/?ref=includes.git/for_some_reason", "https://authority/org/repo", "https://authority/", "org/repo", "", "includes.git/for_some_reason"),
            ("https://authority/org/repo/%-invalid-uri-so-not-parsable-by-net/url.Parse", "https://authority/org/repo", "https://authority/", "org/repo", "%-invalid-uri-so-not-parsable-by-net/url.Parse", ""),
            ("ssh://myusername@bitbucket.org/ourteamname/ourrepositoryname.git//path?ref=branch", "ssh://myusername@bitbucket.org/ourteamname/ourrepositoryname.git", "ssh://myusername@bitbucket.org/", "ourteamname/ourrepositoryname.git", "path", "branch"),
            ("file://git@home/path/to/repository.git//path?ref=branch", "file://git@home/path/to/repository.git", "file://", "git@home/path/to/repository.git", "path", "branch"),
            ("http://git@home.com/path/to/repository.git//path?ref=branch", "http://git@home.com/path/to/repository.git", "http://git@home.com/", "path/to/repository.git", "path", "branch"),
            ("https://git@home.com/path/to/repository.git//path?ref=branch", "https://git@home.com/path/to/repository.git", "https://git@home.com/", "path/to/repository.git", "path", "branch"),
            ("ssh://git@ssh.github.com:443/YOUR-USERNAME/YOUR-REPOSITORY.git", "ssh://git@ssh.github.com:443/YOUR-USERNAME/YOUR-REPOSITORY.git", "ssh://git@ssh.github.com:443/", "YOUR-USERNAME/YOUR-REPOSITORY.git", "", ""),
            ("git@gitlab.com/user:name/YOUR-REPOSITORY.git/path", "git@gitlab.com/user:name/YOUR-REPOSITORY.git", "git@gitlab.com/", "user:name/YOUR-REPOSITORY.git", "path", ""),
            ("git@gitlab.com:gitlab-tests/sample-project.git", "git@gitlab.com:gitlab-tests/sample-project.git", "git@gitlab.com:", "gitlab-tests/sample-project.git", "", ""),
            ("git@gitlab.com:gitlab-tests/sample-project", "git@gitlab.com:gitlab-tests/sample-project", "git@gitlab.com:", "gitlab-tests/sample-project", "", ""),
            ("https://username@dev.azure.com/org/project/_git/repo//path/to/kustomization/root", "https://username@dev.azure.com/org/project/_git/repo", "https://username@dev.azure.com/", "org/project/_git/repo", "path/to/kustomization/root", ""),
            ("https://org.visualstudio.com/project/_git/repo/path/to/kustomization/root", "https://org.visualstudio.com/project/_git/repo", "https://org.visualstudio.com/", "project/_git/repo", "path/to/kustomization/root", ""),
            ("ssh://org-12345@github.com/kubernetes-sigs/kustomize", "org-12345@github.com:kubernetes-sigs/kustomize", "org-12345@github.com:", "kubernetes-sigs/kustomize", "", ""),
            ("org-12345@github.com/kubernetes-sigs/kustomize", "org-12345@github.com:kubernetes-sigs/kustomize", "org-12345@github.com:", "kubernetes-sigs/kustomize", "", ""),
            ("git@gist.github.com:bc7947cb727d7f9217e7862d961a1ffd.git", "git@gist.github.com:bc7947cb727d7f9217e7862d961a1ffd.git", "git@gist.github.com:", "bc7947cb727d7f9217e7862d961a1ffd.git", "", ""),
            ("https://gist.github.com/bc7947cb727d7f9217e7862d961a1ffd.git", "https://gist.github.com/bc7947cb727d7f9217e7862d961a1ffd.git", "https://gist.github.com/", "bc7947cb727d7f9217e7862d961a1ffd.git", "", ""),
        ];
        for (input, url, host, repo, sub, r) in cases {
            let s = spec(input);
            assert_eq!(s.url(), *url, "{input}");
            assert_eq!(s.host, *host, "{input}");
            assert_eq!(s.repo_path, *repo, "{input}");
            assert_eq!(s.subpath, *sub, "{input}");
            assert_eq!(s.reference, *r, "{input}");
        }
    }

    /// kustomize's `TestParseQuery` and `TestNewRepoSpecFromURL_DefaultQueryParams`.
    #[test]
    fn query() {
        let s = |secs: u64| Duration::from_secs(secs);
        for (q, r, sub, t) in [
            ("", "", true, s(27)),
            ("ref=v1.0.0", "v1.0.0", true, s(27)),
            ("ref=kustomize/v4.5.7", "kustomize/v4.5.7", true, s(27)),
            ("version=master", "master", true, s(27)),
            ("version=master&ref=v1.0.0", "v1.0.0", true, s(27)),
            ("version=master&submodules=", "master", true, s(27)),
            ("version=master&submodules=maybe", "master", true, s(27)),
            ("version=master&submodules=true", "master", true, s(27)),
            ("version=master&submodules=false", "master", false, s(27)),
            ("version=master&timeout=", "master", true, s(27)),
            ("version=master&timeout=jiffy", "master", true, s(27)),
            ("version=master&timeout=0", "master", true, s(27)),
            ("version=master&timeout=0s", "master", true, s(27)),
            ("version=master&timeout=61", "master", true, s(61)),
            ("version=master&timeout=1m1s", "master", true, s(61)),
            (
                "version=master&submodules=false&timeout=1m1s",
                "master",
                false,
                s(61),
            ),
            // Go's ParseQuery fails on a semicolon: every value is the default.
            ("ref=v1;x&timeout=5", "", true, s(27)),
            ("ref=a%2Fb", "a/b", true, s(27)),
        ] {
            assert_eq!(parse_query(q), (r.to_string(), t, sub), "{q}");
        }
        let d = spec("https://github.com/org/repo");
        assert_eq!((d.timeout, d.submodules), (DEFAULT_TIMEOUT, true));
        assert_eq!(go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(go_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(go_duration("1x"), None);
    }

    #[test]
    fn credentials_are_redacted() {
        let s =
            spec("https://user:s3cret-token@example.com/org/repo//sub?ref=v1&access_token=abcdef");
        assert_eq!(s.shown_url(), "https://***@example.com/org/repo");
        assert_eq!(
            s.shown_raw(),
            "https://***@example.com/org/repo//sub?ref=v1&access_token=***"
        );
        let text =
            "fatal: unable to access 'https://user:s3cret-token@example.com/org/repo/': abcdef";
        let r = redact_text(text, &s.secrets());
        assert!(!r.contains("s3cret") && !r.contains("abcdef"), "{r}");
        let t = spec("https://ghp_TOKEN123@github.com/org/repo");
        assert_eq!(t.shown_url(), "https://***@github.com/org/repo");
        // An ssh user is a name, not a secret.
        let u = spec("ssh://git@example.com/org/repo");
        assert_eq!(u.shown_url(), "ssh://git@example.com/org/repo");
        assert_eq!(
            redact_text("see https://a:b@h/x and ssh://git@h/y", &[]),
            "see https://***@h/x and ssh://git@h/y"
        );
    }
}
