//! Validation of compiled objects: the Kubernetes JSON Schema of each kind
//! (`schema`) and Spark-aware lints (`lints`).
//!
//! Pure: takes resources, returns a [`Report`]; the CLI prints it and decides
//! the exit status (errors always fail; lint warnings fail under `--strict`).

pub mod json_schema;
pub mod lints;
mod semantic;
pub mod syntax;

use crate::error::{Error, ErrorKind, Result};
use crate::model::resource::Resource;
use std::fmt;
use std::path::PathBuf;

pub use json_schema::{default_version, VERSIONS};

/// What to check.
#[derive(Debug, Clone)]
pub struct Options {
    /// `1.37`, `v1.36`, …; one of [`VERSIONS`].
    pub kubernetes_version: String,
    /// Check objects against the Kubernetes schemas.
    pub schema: bool,
    /// Run the Spark lints.
    pub lints: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubernetes_version: default_version().to_string(),
            schema: true,
            lints: true,
        }
    }
}

/// One finding about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `Deployment/spark-worker (spark-b)`.
    pub object: String,
    /// Field path inside the object, if the finding is about one field.
    pub path: Option<String>,
    pub message: String,
    pub hint: Option<String>,
    /// The file the object came from.
    pub file: Option<PathBuf>,
    /// The lint's name, for lint findings (`service-env-collision`, …).
    pub lint: Option<&'static str>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.object)?;
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(file) = &self.file {
            write!(f, " (from {})", crate::error::shown(file))?;
        }
        if let Some(l) = self.lint {
            write!(f, " [{l}]")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// `Kind/name (namespace)`, as findings name objects.
pub fn object_label(r: &Resource) -> String {
    let mut s = format!("{}/{}", r.kind(), r.name());
    if !r.namespace().is_empty() {
        s.push_str(&format!(" ({})", r.namespace()));
    }
    s
}

/// Everything validation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Schema violations: always fatal.
    pub errors: Vec<Diagnostic>,
    /// Lint findings: fatal under `--strict`.
    pub warnings: Vec<Diagnostic>,
    /// Informational (objects without a schema).
    pub notes: Vec<String>,
}

impl Report {
    pub fn failed(&self, strict: bool) -> bool {
        !self.errors.is_empty() || (strict && !self.warnings.is_empty())
    }
}

/// Validate compiled objects. Fails only when the options are unusable (an
/// unknown Kubernetes version); findings go into the report.
pub fn validate(resources: &[Resource], opts: &Options) -> Result<Report> {
    let mut report = Report::default();
    if opts.schema {
        let bundle = json_schema::bundle(&opts.kubernetes_version).map_err(|m| {
            Error::new(ErrorKind::Validation, m)
                .hint("pass --kubernetes-version with a bundled version, or --no-validate")
        })?;
        let mut no_schema = std::collections::BTreeSet::new();
        for r in resources {
            let masked;
            let secret = crate::diff::normalize::is_secret(&r.obj);
            let obj = if secret {
                masked = mask_secret(&r.obj);
                &masked
            } else {
                &r.obj
            };
            let vs = match bundle.validate(obj) {
                json_schema::Outcome::Checked(mut vs) => {
                    if secret {
                        semantic::secret_data(&r.obj, &mut vs);
                    }
                    vs
                }
                json_schema::Outcome::NoSchema(k) => {
                    no_schema.insert(k);
                    // What every object's metadata must satisfy still holds.
                    let mut vs = Vec::new();
                    semantic::check(obj, false, &mut vs);
                    vs
                }
            };
            report.errors.extend(vs.into_iter().map(|v| Diagnostic {
                object: object_label(r),
                path: Some(v.path),
                message: v.message,
                hint: v.hint,
                file: r.origin.as_ref().map(|o| o.file.clone()),
                lint: None,
            }));
        }
        for k in no_schema {
            report.notes.push(format!(
                "note: no schema for {k} (a custom resource?); its objects are not validated"
            ));
        }
    }
    if opts.lints {
        report.warnings = lints::run(resources);
    }
    Ok(report)
}

/// A Secret with every scalar under `data`/`stringData` replaced by a
/// placeholder of the same type, so findings never print secret values.
fn mask_secret(obj: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    fn mask(v: &mut Value) {
        match v {
            Value::String(s) => *s = "***".into(),
            Value::Number(n) => {
                *n = if n.is_f64() {
                    serde_json::Number::from_f64(0.5).unwrap_or_else(|| 0.into())
                } else {
                    0.into()
                }
            }
            Value::Array(a) => a.iter_mut().for_each(mask),
            Value::Object(m) => m.values_mut().for_each(mask),
            _ => {}
        }
    }
    let mut o = obj.clone();
    for k in ["data", "stringData"] {
        if let Some(v) = o.get_mut(k) {
            mask(v);
        }
    }
    o
}
