//! Errors talking to the API server, classified for clear messages and for
//! the decisions callers make (retry, fall back to client-side diff).

use super::{Cluster, Target};
use std::fmt;
use std::time::Duration;

/// What went wrong with one request.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The server answered with an error status (and maybe a `Status` body).
    Status {
        code: u16,
        reason: String,
        message: String,
    },
    /// No answer within the request timeout.
    Timeout(Duration),
    /// Could not connect (refused, no route, DNS).
    Unreachable(String),
    /// TLS handshake or certificate verification failed.
    Tls(String),
    /// Authentication could not be set up (exec plugin, token file…).
    Auth(String),
    /// The response was not the JSON we expected.
    Malformed(String),
    /// The connection broke mid-request (reset, closed before the whole
    /// answer arrived).
    Interrupted(String),
    Other(String),
}

/// Render an error with its sources (`a: b: c`).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        src = s.source();
    }
    None
}

impl Failure {
    pub fn from_kube(e: kube::Error) -> Failure {
        match e {
            kube::Error::Api(s) => Failure::Status {
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            kube::Error::SerdeError(e) => Failure::Malformed(e.to_string()),
            kube::Error::FromUtf8(e) => Failure::Malformed(e.to_string()),
            kube::Error::Auth(e) => Failure::Auth(chain(&e)),
            kube::Error::RustlsTls(e) => Failure::Tls(chain(&e)),
            other => {
                let text = chain(&other);
                let text = text
                    .strip_prefix("ServiceError: ")
                    .unwrap_or(&text)
                    .to_string();
                let lower = text.to_lowercase();
                let kind = io_kind(&other);
                // A connection dropped mid-answer (checked before the TLS
                // test: rustls words an unclean close as a TLS error).
                if matches!(
                    kind,
                    Some(
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::BrokenPipe
                    )
                ) || lower.contains("close_notify")
                    || lower.contains("connection closed")
                    || lower.contains("connection reset")
                    || lower.contains("incomplete message")
                    || lower.contains("reading a body")
                {
                    return Failure::Interrupted(text);
                }
                match kind {
                    Some(std::io::ErrorKind::TimedOut) => Failure::Timeout(Duration::ZERO),
                    _ if lower.contains("certificate")
                        || lower.contains("tls")
                        || lower.contains("handshake") =>
                    {
                        Failure::Tls(text)
                    }
                    Some(
                        std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::HostUnreachable
                        | std::io::ErrorKind::NetworkUnreachable
                        | std::io::ErrorKind::AddrNotAvailable,
                    ) => Failure::Unreachable(text),
                    _ if lower.contains("connect") || lower.contains("dns") => {
                        Failure::Unreachable(text)
                    }
                    _ if lower.contains("timed out") || lower.contains("timeout") => {
                        Failure::Timeout(Duration::ZERO)
                    }
                    _ => Failure::Other(text),
                }
            }
        }
    }

    pub fn status_code(&self) -> Option<u16> {
        match self {
            Failure::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth another try: throttled, a server-side failure, or a broken
    /// connection (callers only retry requests without side effects).
    pub fn retryable(&self) -> bool {
        matches!(self, Failure::Interrupted(_))
            || matches!(self.status_code(), Some(429 | 500 | 502 | 503 | 504))
    }

    /// The server will not do server-side apply dry-run for us: forbidden,
    /// method not allowed, apply-patch media type unsupported, or an old
    /// server that does not know dry-run.
    pub fn refuses_dry_run(&self) -> bool {
        match self {
            Failure::Status {
                code: 403 | 405 | 415,
                ..
            } => true,
            Failure::Status {
                code: 400, message, ..
            } => {
                let m = message.to_lowercase();
                m.contains("dryrun") || m.contains("dry run") || m.contains("dry-run")
            }
            _ => false,
        }
    }
}

/// An error from `cluster`, naming the server, the context and, for a
/// request, the verb and the object.
#[derive(Debug, Clone)]
pub struct ClusterError {
    pub failure: Failure,
    pub message: String,
    pub hint: Option<String>,
}

impl ClusterError {
    pub fn config(message: impl Into<String>) -> ClusterError {
        let message = message.into();
        ClusterError {
            failure: Failure::Other(message.clone()),
            message,
            hint: Some("check --kubeconfig, --context and $KUBECONFIG".into()),
        }
    }

    pub fn request(failure: Failure, t: &Target, c: &Cluster, attempts: u32) -> ClusterError {
        let server = c.describe();
        let tries = if attempts > 1 {
            format!(" (after {attempts} attempts)")
        } else {
            String::new()
        };
        let (message, hint) = match &failure {
            Failure::Status {
                code: 401,
                message,
                ..
            } => (
                format!(
                    "{}: unauthorized (401) to {} {} on {server}: {message}",
                    t.object, t.verb, t.resource
                ),
                Some("the credentials of this context were rejected; log in again or check the token".into()),
            ),
            Failure::Status {
                code: 403,
                message,
                ..
            } => (
                format!(
                    "{}: forbidden (403) to {} {} on {server}: {message}",
                    t.object, t.verb, t.resource
                ),
                Some(format!("your user needs RBAC permission to {} {}", t.verb, t.resource)),
            ),
            Failure::Status {
                code,
                reason,
                message,
            } => {
                let reason = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" {reason}")
                };
                (
                    format!(
                        "{}: the API server answered {code}{reason} to {} {} on {server}{tries}: {message}",
                        t.object, t.verb, t.resource
                    ),
                    None,
                )
            }
            Failure::Timeout(d) => (
                format!(
                    "{}: no answer within {} to {} {} from {server}",
                    t.object,
                    fmt_duration(if d.is_zero() { c.timeout } else { *d }),
                    t.verb,
                    t.resource
                ),
                Some("the server is slow or unreachable; raise --request-timeout or check the network".into()),
            ),
            Failure::Unreachable(detail) => (
                format!("cannot reach the API server {server}: {detail}"),
                Some("is the cluster running and the server address in the kubeconfig right?".into()),
            ),
            Failure::Tls(detail) => (
                format!("TLS error talking to the API server {server}: {detail}"),
                Some("check certificate-authority(-data) for this cluster in the kubeconfig".into()),
            ),
            Failure::Auth(detail) => (
                format!("cannot authenticate to {server}: {detail}"),
                None,
            ),
            Failure::Malformed(detail) => (
                format!(
                    "{}: malformed response to {} {} from {server}{tries}: {detail}",
                    t.object, t.verb, t.resource
                ),
                Some("the server (or a proxy in between) did not answer like a Kubernetes API server".into()),
            ),
            Failure::Interrupted(detail) => (
                format!(
                    "{}: the connection to {server} broke during {} {}{tries}: {detail}",
                    t.object, t.verb, t.resource
                ),
                Some("the server or a proxy in between closed the connection early; retry, or check the network".into()),
            ),
            Failure::Other(detail) => (
                format!(
                    "{}: {} {} on {server} failed: {detail}",
                    t.object, t.verb, t.resource
                ),
                None,
            ),
        };
        ClusterError {
            failure,
            message,
            hint,
        }
    }
}

pub fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ClusterError {}
