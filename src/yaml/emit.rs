//! TEMPORARY shim until the YAML work lands.
use serde_json::Value;

pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    emit(v, 0, &mut out, false);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                && s.parse::<f64>().is_err()
                && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
                    .contains(&s.to_lowercase().as_str())
            {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn emit(v: &Value, ind: usize, out: &mut String, _in_seq: bool) {
    let pad = " ".repeat(ind);
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let c = &m[k];
                out.push_str(&pad);
                out.push_str(&scalar(&Value::String(k.clone())));
                out.push(':');
                match c {
                    Value::Object(cm) if !cm.is_empty() => {
                        out.push('\n');
                        emit(c, ind + 2, out, false);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        emit(c, ind, out, false);
                    }
                    Value::Object(_) => out.push_str(" {}\n"),
                    Value::Array(_) => out.push_str(" []\n"),
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(c));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut s = String::new();
                        emit(item, ind + 2, &mut s, true);
                        out.push_str(s.trim_start());
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str("\n");
                        emit(item, ind + 2, out, true);
                    }
                    Value::Object(_) => out.push_str("{}\n"),
                    Value::Array(_) => out.push_str("[]\n"),
                    _ => {
                        out.push_str(&scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

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
