//! The legacy `vars`: `$(VAR)` substitution.
use crate::error::Result;
use crate::kustomization::Var;
use crate::resmap::ResMap;
use crate::transform::fieldspec::FieldSpec;

pub fn resolve(_rm: &mut ResMap, _vars: &[Var], _specs: &[FieldSpec]) -> Result<()> {
    Ok(())
}
