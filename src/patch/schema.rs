//! Merge keys and strategies per type (derived from the Kubernetes schemas).
//! TEMPORARY placeholder on main until the schema work lands.
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Schema;

impl Schema {
    pub fn builtin() -> Schema {
        Schema
    }
    pub fn merge_openapi(&mut self, _doc: &Value) -> Result<(), String> {
        Ok(())
    }
}
