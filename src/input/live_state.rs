//! Live state read from files instead of a cluster (`kcompile diff
//! --live-from`): a file, or the `.yaml`/`.yml`/`.json` entries of a
//! folder (not recursive), as `kubectl get -o yaml` writes them. These
//! files lie outside any kustomization, so each is read as
//! [`super::disk::read_regular`] reads (regular, bounded, never blocking);
//! an entry with one of those extensions that is not a regular file is an
//! error, not skipped, so no live object goes missing unnoticed.

use super::disk::{read_regular, Disk};
use super::load::{parse_bytes, resources_from_docs, MAX_FILE_BYTES};
use super::source::{Entry, Source};
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;
use std::path::Path;

/// The objects of the live state at `path`, files in name order.
pub fn read(path: &Path) -> Result<Vec<Value>> {
    let io = |e: std::io::Error| {
        Error::new(ErrorKind::Io, format!("cannot read the live state: {e}")).file(path)
    };
    let is_dir = match Disk.entry(path).map_err(io)? {
        Entry::Dir => true,
        Entry::Symlink => {
            Disk.canonicalize(path)
                .and_then(|c| Disk.entry(&c))
                .map_err(io)?
                == Entry::Dir
        }
        _ => false,
    };
    let mut files = Vec::new();
    if is_dir {
        for name in Disk.list(path).map_err(io)? {
            let p = path.join(name);
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if matches!(ext, "yaml" | "yml" | "json") {
                files.push(p);
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut out = Vec::new();
    for f in files {
        let bytes = read_regular(&f, MAX_FILE_BYTES)?;
        let docs = parse_bytes(&f, &bytes)?;
        out.extend(resources_from_docs(&f, docs)?.into_iter().map(|r| r.obj));
    }
    Ok(out)
}
