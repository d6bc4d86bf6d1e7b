use serde_json::Value;

/// One document as `kubectl kustomize` prints it, ending in a newline.
pub fn to_string(_v: &Value) -> String {
    todo!("yaml helper")
}

/// Documents joined by `---\n`, as `kubectl kustomize` prints a stream.
pub fn stream_to_string(docs: &[&Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(d));
    }
    out
}
