//! Bounds on what one build may read and produce, so that a small input
//! that explodes (a value copied a million times, a diamond of bases, a
//! huge file) ends in a clear error in bounded time and memory instead of
//! an allocation abort. Each bound has a default here and an environment
//! variable to raise (or lower) it; docs/security.md lists them.

use crate::error::{Error, ErrorKind};
use std::sync::OnceLock;

/// One file of the input tree (resources, patches, generator files…).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const FILE_BYTES_ENV: &str = "KCOMPILE_MAX_FILE_BYTES";

/// One string value produced by the build (vars substitution, a
/// replacement, a generator's data). The API server takes at most ~1.5 MiB
/// per object, so this only stops runaways.
pub const MAX_VALUE_BYTES: u64 = 32 * 1024 * 1024;
pub const VALUE_BYTES_ENV: &str = "KCOMPILE_MAX_VALUE_BYTES";

/// Objects in one kustomization's result (a diamond of bases doubles them
/// at every level).
pub const MAX_OBJECTS: u64 = 100_000;
pub const OBJECTS_ENV: &str = "KCOMPILE_MAX_OBJECTS";

/// Kustomizations read in one build, counting a base once per inclusion:
/// a diamond of bases (each level including the one below twice) doubles
/// the work at every level long before its objects are many.
pub const MAX_KUSTOMIZATIONS: u64 = 10_000;
pub const KUSTOMIZATIONS_ENV: &str = "KCOMPILE_MAX_KUSTOMIZATIONS";

/// Bytes one build may produce: the printed output, and before it every
/// byte copied by vars substitution and replacements.
pub const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;
pub const OUTPUT_BYTES_ENV: &str = "KCOMPILE_MAX_OUTPUT_BYTES";

/// Segments of a field path (replacements, `create:`): an object may not
/// nest deeper than a document may (`yaml::MAX_DEPTH`).
pub const MAX_PATH_SEGMENTS: usize = crate::yaml::MAX_DEPTH;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

macro_rules! limit {
    ($f:ident, $env:ident, $default:ident) => {
        pub fn $f() -> u64 {
            static V: OnceLock<u64> = OnceLock::new();
            *V.get_or_init(|| env_or($env, $default))
        }
    };
}

limit!(file_bytes, FILE_BYTES_ENV, MAX_FILE_BYTES);
limit!(value_bytes, VALUE_BYTES_ENV, MAX_VALUE_BYTES);
limit!(objects, OBJECTS_ENV, MAX_OBJECTS);
limit!(output_bytes, OUTPUT_BYTES_ENV, MAX_OUTPUT_BYTES);
limit!(kustomizations, KUSTOMIZATIONS_ENV, MAX_KUSTOMIZATIONS);

/// How to raise the limit set by `env`.
pub fn hint(env: &str) -> String {
    format!("a limit against inputs that explode; if the input is meant to be this large, raise it with the environment variable {env} (docs/security.md)")
}

/// The message for a value longer than `value_bytes()`: `what` says where.
/// Sizes only: the value may be a Secret's.
pub fn value_too_large(what: &str, len: u64) -> String {
    format!(
        "{what} would be {len} bytes or more; the limit for one value is {} bytes (raise it with {VALUE_BYTES_ENV})",
        value_bytes()
    )
}

/// Check that a value of `len` bytes is within `value_bytes()`.
pub fn check_value(what: &str, len: u64) -> Result<(), String> {
    if len > value_bytes() {
        return Err(value_too_large(what, len));
    }
    Ok(())
}

/// Bytes a JSON value takes, roughly as printed (strings by their length).
pub fn size_of(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match v {
        Value::String(s) => s.len() as u64 + 2,
        Value::Array(a) => a.iter().map(size_of).sum::<u64>() + 2 + a.len() as u64,
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| k.len() as u64 + 2 + size_of(v))
            .sum::<u64>()
            .saturating_add(2),
        _ => 8,
    }
}

/// A running count of bytes a step of the build copies (vars
/// substitution, a replacement), against `output_bytes()`.
#[derive(Default, Debug, Clone)]
pub struct Budget {
    used: u64,
}

impl Budget {
    /// Count `n` more bytes made by `what`; a message past the limit.
    pub fn spend(&mut self, n: u64, what: &str) -> Result<(), String> {
        self.used = self.used.saturating_add(n);
        if self.used > output_bytes() {
            return Err(format!(
                "{what} would produce more than {} bytes, the output limit (raise it with {OUTPUT_BYTES_ENV})",
                output_bytes()
            ));
        }
        Ok(())
    }
}

/// The error for too many objects in one kustomization's result.
pub fn check_objects(n: usize) -> Result<(), Error> {
    if n as u64 > objects() {
        return Err(Error::new(
            ErrorKind::Resource,
            format!(
                "the build would hold more than {} objects (the object limit)",
                objects()
            ),
        )
        .hint(hint(OBJECTS_ENV)));
    }
    Ok(())
}

/// The error for too many kustomizations read in one build.
pub fn check_kustomizations(n: u64) -> Result<(), Error> {
    if n > kustomizations() {
        return Err(Error::new(
            ErrorKind::Kustomization,
            format!(
                "the build reads more than {} kustomizations (a base included many times over, e.g. a diamond of bases doubling at every level; the kustomization limit)",
                kustomizations()
            ),
        )
        .hint(hint(KUSTOMIZATIONS_ENV)));
    }
    Ok(())
}
