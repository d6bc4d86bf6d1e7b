//! The library's one error type: every failure carries what the user needs to
//! find it (file, line/column where known, the resource) and a hint.

use crate::path::Place;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Io,
    Yaml,
    Kustomization,
    Resource,
    Patch,
    Restriction,
    Cycle,
    Conflict,
    Validation,
}

/// Boxed so `Result<T, Error>` stays small on the hot path.
#[derive(Debug, Clone)]
pub struct Error(Box<Details>);

/// What an error says; reached through `Error`'s `Deref`.
#[derive(Debug, Clone)]
pub struct Details {
    pub kind: ErrorKind,
    pub file: Option<PathBuf>,
    /// 1-based line and column, where the parser knows them.
    pub pos: Option<(usize, usize)>,
    /// The resource, e.g. `Deployment/spark-worker in namespace spark-b`.
    pub resource: Option<String>,
    pub message: String,
    pub hint: Option<String>,
    /// The kustomization entry that led to the failing file or object,
    /// with its position: `(listed in FILE:LINE:COL)`.
    pub listed: Option<(PathBuf, Option<(usize, usize)>)>,
    /// The object the error is about, where it was read, and the field:
    /// values carry no positions, so `compile` finds the line and column
    /// by reading that text again, on error only.
    pub object: Option<ObjectAt>,
}

/// Where an object was read (file, first line of its document) and the
/// field of it an error is about (empty: the object).
#[derive(Debug, Clone)]
pub struct ObjectAt {
    pub file: PathBuf,
    pub line: usize,
    pub field: Place,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Details {
            kind,
            file: None,
            pos: None,
            resource: None,
            message: message.into(),
            hint: None,
            listed: None,
            object: None,
        }))
    }
    /// A YAML syntax or structure error at a 1-based line and column.
    pub fn yaml(line: usize, col: usize, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Yaml, message).pos(line, col)
    }
    pub fn file(mut self, f: impl Into<PathBuf>) -> Self {
        if self.file.is_none() {
            self.file = Some(f.into());
        }
        self
    }
    pub fn pos(mut self, line: usize, col: usize) -> Self {
        self.pos = Some((line, col));
        self
    }
    pub fn resource(mut self, r: impl Into<String>) -> Self {
        if self.resource.is_none() {
            self.resource = Some(r.into());
        }
        self
    }
    /// The error comes from the kustomization entry at `pos` of `file`
    /// (a `resources:` item, a patch, a generator's file…). An error that
    /// points nowhere yet points at the entry; one about another file
    /// without a position points at the entry and names that file; one
    /// with a position of its own keeps it and says where it was listed.
    pub fn entry(mut self, file: &Path, pos: Option<(usize, usize)>) -> Self {
        match &self.file {
            _ if self.object.is_some() && self.pos.is_none() => {
                if self.listed.is_none() {
                    self.listed = Some((file.to_path_buf(), pos));
                }
            }
            None => {
                self.file = Some(file.to_path_buf());
                self.pos = pos;
            }
            Some(f) if f == file => {
                if self.pos.is_none() {
                    self.pos = pos;
                }
            }
            Some(_) if self.pos.is_some() => {
                if self.listed.is_none() {
                    self.listed = Some((file.to_path_buf(), pos));
                }
            }
            Some(other) => {
                self.message = format!("{}: {}", shown(other), self.message);
                self.file = Some(file.to_path_buf());
                self.pos = pos;
            }
        }
        self
    }
    /// The error is about `field` of the object read from `file` (its
    /// document starting on `line`).
    pub fn object_at(mut self, file: &Path, line: usize, field: Place) -> Self {
        if self.object.is_none() {
            self.object = Some(ObjectAt {
                file: file.to_path_buf(),
                line,
                field,
            });
        }
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        if self.hint.is_none() {
            self.hint = Some(h.into());
        }
        self
    }
}

impl std::ops::Deref for Error {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

/// A path as messages show it: relative to the current folder when it lies
/// below it (as the user typed it, usually), else as it is.
pub fn shown(path: &std::path::Path) -> String {
    static CWD: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok());
    match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", shown(file))?;
            if let Some((l, c)) = self.pos {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ": ")?;
        }
        if let Some(r) = &self.resource {
            write!(f, "{r}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some((file, pos)) = &self.listed {
            write!(f, " (listed in {}", shown(file))?;
            if let Some((l, c)) = pos {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ")")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
