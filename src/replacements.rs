//! `replacements`: copy a field from a source object into target fields.
use crate::error::Result;
use crate::load::Loader;
use crate::resmap::ResMap;
use serde_json::Value;
use std::path::Path;

pub fn run(
    _loader: &Loader,
    _dir: &Path,
    _file: &Path,
    _r: &[Value],
    _rm: &mut ResMap,
) -> Result<()> {
    Ok(())
}
