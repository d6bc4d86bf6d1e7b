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
use crate::input::load::Loader;
use crate::model::resource::Resource;
use crate::path::{Place, Step};
use std::collections::HashMap;
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
    /// The first line of the object's document in `file`.
    pub line: Option<usize>,
    /// Where the field (or the object) is in `file`, once [`Report::locate`]
    /// found it.
    pub pos: Option<(usize, usize)>,
    /// The lint's name, for lint findings (`service-env-collision`, …).
    pub lint: Option<&'static str>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let located = match (&self.file, self.pos) {
            (Some(file), Some((l, c))) => {
                write!(f, "{}:{l}:{c}: ", crate::error::shown(file))?;
                true
            }
            _ => false,
        };
        write!(f, "{}: ", self.object)?;
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let (Some(file), false) = (&self.file, located) {
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

    /// Give each finding the line and column of its field in the file its
    /// object came from (read again through `loader`; values carry no
    /// positions). A field the object's text does not hold (one a
    /// transformer added) gets the nearest node that is there.
    pub fn locate(&mut self, loader: &Loader) {
        let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
        for d in self.errors.iter_mut().chain(self.warnings.iter_mut()) {
            let (Some(file), Some(line)) = (&d.file, d.line) else {
                continue;
            };
            let text = texts.entry(file.clone()).or_insert_with(|| {
                let bytes = loader.read(file).ok()?;
                crate::input::load::decode_text(file, &bytes)
                    .ok()
                    .map(|t| t.into_owned())
            });
            let Some(text) = text else { continue };
            let place = d.path.as_deref().map(parse_path).unwrap_or_default();
            d.pos = crate::yaml::locate_at_line(text, line, &place).or(Some((line, 1)));
        }
    }
}

/// Validate compiled objects. Fails only when the options are unusable (an
/// unknown Kubernetes version); findings go into the report, located in
/// the files read through `loader`.
pub fn validate(resources: &[Resource], opts: &Options, loader: &Loader) -> Result<Report> {
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
                line: r.origin.as_ref().map(|o| o.line),
                pos: None,
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
    report.locate(loader);
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

/// A finding's field path (`spec.containers[0].image`, `metadata.labels["a/b"]`)
/// as steps.
fn parse_path(p: &str) -> Place {
    let mut out = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix("[\"") {
            // A JSON string up to its closing quote.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in r.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { break };
            let key: String = serde_json::from_str(&rest[1..end + 3]).unwrap_or_default();
            out.push(Step::Key(key));
            rest = r[end + 1..].strip_prefix(']').unwrap_or("");
            continue;
        }
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            match r[..end].parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => break,
            }
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        out.push(Step::Key(rest[..end].to_string()));
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn finding_paths_read_back_as_steps() {
        let k = |s: &str| Step::Key(s.into());
        assert_eq!(
            parse_path("spec.containers[0].image"),
            vec![k("spec"), k("containers"), Step::Index(0), k("image")]
        );
        assert_eq!(
            parse_path("metadata.labels[\"app.kubernetes.io/name\"]"),
            vec![k("metadata"), k("labels"), k("app.kubernetes.io/name")]
        );
        assert_eq!(parse_path(""), Vec::<Step>::new());
    }
}
