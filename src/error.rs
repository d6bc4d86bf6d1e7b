//! The library's one error type: every failure carries what the user needs to
//! find it (file, line/column where known, the resource) and a hint.

use std::fmt;
use std::path::PathBuf;

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
        }))
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
    /// Name the kustomization file that referred to the failing path, when
    /// the error already names the path itself.
    pub fn listed_in(mut self, f: &std::path::Path) -> Self {
        match &self.file {
            Some(existing) if existing != f => {
                self.message = format!("{} (listed in {})", self.message, f.display());
            }
            _ => self.file = Some(f.to_path_buf()),
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
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
