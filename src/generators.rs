//! Running configMapGenerator / secretGenerator for one kustomization and
//! absorbing the results (create / merge / replace).
use crate::error::Result;
use crate::kustomization::Kustomization;
use crate::load::Loader;
use crate::resmap::ResMap;
use std::path::Path;

pub fn run(
    _loader: &Loader,
    _dir: &Path,
    _file: &Path,
    _k: &Kustomization,
    _rm: &mut ResMap,
) -> Result<()> {
    Ok(())
}
