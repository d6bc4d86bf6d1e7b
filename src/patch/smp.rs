//! Strategic merge patch with kustomize (kyaml merge2) semantics.
//! TEMPORARY placeholder on main until the schema work lands.
use super::schema::Schema;
use serde_json::Value;

#[derive(Debug)]
pub struct SmpError(pub String);
impl std::fmt::Display for SmpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn strategic_merge(target: &mut Value, patch: &Value, _s: &Schema) -> Result<(), SmpError> {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else if let Some(tv) = t.get_mut(k) {
                    if tv.is_object() && v.is_object() {
                        strategic_merge(tv, v, _s)?;
                    } else {
                        *tv = v.clone();
                    }
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
            Ok(())
        }
        (t, p) => {
            *t = p.clone();
            Ok(())
        }
    }
}
